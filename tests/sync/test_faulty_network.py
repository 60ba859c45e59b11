"""Each network fault the proxy injects, alone at the worst moment, and a large attachment through
many of them: the client retries or stops, and nothing is lost, doubled or damaged."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from faultproxy import FAULTS, Fault, FaultProxy
from sync_fixtures import BACKENDS, Device, Service, service_on
from vault_fixtures import sample_contents

from fieldapp.errors import Cancelled
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine, SyncReport
from sync.client.errors import SyncError
from sync.client.transport import HttpTransport, RetryPolicy
from sync.server import models as server

READ_TIMEOUT_S = 0.5
CHUNK = 256 << 10
BIG = 3 << 20  # twelve transfer chunks
ATTACHMENT_FAULTS = {
    Fault.PASS: 60.0,
    Fault.DROP: 5.0,
    Fault.CUT_REQUEST: 10.0,
    Fault.CUT_BEFORE_RESPONSE: 10.0,
    Fault.CUT_RESPONSE_HEAD: 5.0,
    Fault.TRUNCATE_BODY: 10.0,
}


def _sync(device: Device, url: str, *, attempts: int = 3) -> SyncReport:
    link = device.vault.replication.link()
    assert link is not None
    transport = HttpTransport(url, read_timeout_s=READ_TIMEOUT_S, retry=RetryPolicy(attempts=attempts, base_s=0.005, cap_s=0.02))
    try:
        return SyncEngine(device.vault, ServiceApi(transport, link.token)).run()
    finally:
        transport.close()


def _stored(service: Service) -> list[str]:
    with service.engine.connect() as connection:
        return list(connection.scalars(sa.select(server.Revision.id)))


@dataclass
class Pair:
    service: Service
    first: Device
    second: Device
    assessment_id: str


@pytest.fixture(params=BACKENDS)
def pair(request: pytest.FixtureRequest, tmp_path: Path, make_device: Callable[..., Device]) -> Iterator[Pair]:
    with service_on(request.param, tmp_path / "service", chunk_size=CHUNK, sockets=True) as service:
        assessment_id, (a, b) = service.team(inspectors=2)
        first, second = make_device(service, a, "first"), make_device(service, b, "second")
        first.sync()
        second.sync()
        yield Pair(service, first, second, assessment_id)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.value for f in FAULTS])
def test_a_push_struck_by_one_fault_is_stored_once_and_acknowledged(pair: Pair, fault: Fault) -> None:
    for content in sample_contents():
        pair.first.vault.records.create(pair.assessment_id, content)
    with FaultProxy(pair.service.url, seed=1, weights={Fault.PASS: 1.0}, script=[fault], stall_s=READ_TIMEOUT_S + 0.3) as proxy:
        _sync(pair.first, proxy.url)  # the first request is the push; the retry goes through
        proxy.quiet()  # a stalled push reaches the service late, after its retry
        (struck,) = [h for h in proxy.hits if h.fault is fault]
    assert struck.method == "POST" and struck.path.endswith("/push")
    held = {r.id for r in pair.first.vault.records.list()}
    assert len(held) == 4
    stored = _stored(pair.service)
    assert len(stored) == len(set(stored)) == 4
    assert pair.first.vault.replication.status().waiting == 0
    assert pair.second.sync().pulled == 4


def test_an_answer_cut_off_inside_its_headers_is_retried_like_any_broken_connection(pair: Pair) -> None:
    for where in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99):
        pair.first.vault.records.create(pair.assessment_id, sample_contents()[0])
        with FaultProxy(pair.service.url, seed=1, weights={Fault.PASS: 1.0}, script=[(Fault.CUT_RESPONSE_HEAD, where)]) as proxy:
            report = _sync(pair.first, proxy.url)  # not "the service answered in a form this app does not understand"
            assert proxy.counts[Fault.CUT_RESPONSE_HEAD] == 1
        assert report.pushed == 1, where
    assert len(_stored(pair.service)) == 9


def test_a_large_attachment_crosses_a_faulty_network_whole_in_both_directions(pair: Pair) -> None:
    rec = pair.first.vault.records.create(pair.assessment_id, sample_contents()[1]).value
    data = random.Random(3).randbytes(BIG)
    pair.first.vault.attachments.add(rec.id, io.BytesIO(data), name="interview.m4a")
    hits = []
    for device, method, first_faults in (
        (pair.first, "PUT", [Fault.CUT_REQUEST, Fault.CUT_BEFORE_RESPONSE, Fault.DROP, Fault.CUT_RESPONSE_HEAD]),
        (pair.second, "GET", [Fault.TRUNCATE_BODY, Fault.CUT_BEFORE_RESPONSE, Fault.CUT_REQUEST, Fault.CUT_RESPONSE_HEAD]),
    ):
        chunks = lambda m, p, method=method: m == method and "/chunks/" in p  # noqa: E731
        with FaultProxy(pair.service.url, seed=3, weights=ATTACHMENT_FAULTS, script=first_faults, target=chunks) as proxy:
            for _ in range(40):  # a sync may stop at a fault; the next carries on from there
                try:
                    _sync(device, proxy.url, attempts=2)
                except (SyncError, Cancelled):
                    continue
                status = device.vault.replication.status()
                if status.uploads == status.downloads == 0:
                    break
            hits += [h for h in proxy.hits if h.attachment]
            assert set(first_faults) <= {h.fault for h in proxy.hits if h.method == method}, proxy.summary()
    (att,) = pair.second.vault.records.get(rec.id).attachments
    assert pair.second.vault.attachments.read_bytes(att.id) == data
    assert pair.first.vault.replication.status().uploads == 0
    last = BIG // CHUNK - 1
    cut_up = [h for h in hits if h.method == "PUT" and h.fault is Fault.CUT_REQUEST]
    cut_down = [h for h in hits if h.method == "GET" and h.fault is Fault.TRUNCATE_BODY]
    assert all(h.request_body == CHUNK for h in cut_up if int(h.path.rsplit("/", 1)[1]) < last)  # whole chunks, only part passed on
    assert all(h.response_body == CHUNK for h in cut_down)
    assert pair.second.vault.verify().ok and pair.first.vault.verify().ok
