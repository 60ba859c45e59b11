"""The app under the service's limits: a batch the service finds too large is sent again in smaller
ones, and a device told to slow down (429, Retry-After) waits and carries on; either way every
revision arrives once and the sync ends normally."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from faultproxy import Fault, FaultProxy
from sqlalchemy.orm import Session
from sync_fixtures import Device, Service, inprocess_service, running_service

from fieldapp import domain
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine
from sync.client.transport import HttpTransport, RetryPolicy
from sync.server.models import Revision
from sync.server.settings import Limits


@pytest.fixture
def strict_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    with inprocess_service(tmp_path / "service", limits=request.param) as running:
        yield running


def _stored(service: Service) -> int:
    with Session(service.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Revision)) or 0


def _laptop_with_records(service: Service, make_device: Callable[..., Device], count: int) -> Device:
    assessment, (inspector,) = service.team()
    laptop = make_device(service, inspector)
    laptop.sync()
    for n in range(count):
        laptop.vault.records.create(assessment, domain.Observation(title=f"Meeting {n}", notes="Chair opens"))
    return laptop


@pytest.mark.parametrize("strict_service", [Limits(max_batch=40, requests_per_s=10_000, burst=10_000)], indirect=True)
def test_a_batch_the_service_finds_too_large_goes_again_in_smaller_ones(strict_service: Service, make_device: Callable[..., Device]) -> None:
    laptop = _laptop_with_records(strict_service, make_device, 130)
    report = laptop.sync()  # the app sends up to 500 at once; this service takes 40
    assert (report.pushed, report.refused, report.problems) == (130, [], [])
    assert _stored(strict_service) == 130
    assert laptop.vault.replication.status().waiting == 0


@pytest.fixture
def slow_socket_service(tmp_path: Path) -> Iterator[Service]:
    """On a socket, so that a proxy can count its answers."""
    with running_service(tmp_path / "service", limits=Limits(requests_per_s=4, burst=3)) as running:
        yield running


def test_a_device_told_to_slow_down_waits_and_carries_on(slow_socket_service: Service, make_device: Callable[..., Device]) -> None:
    strict_service = slow_socket_service
    laptop = _laptop_with_records(strict_service, make_device, 60)
    link = laptop.vault.replication.link()
    assert link is not None
    with FaultProxy(strict_service.url, seed=0, weights={Fault.PASS: 1.0}) as proxy:  # passes all, counts answers
        transport = HttpTransport(proxy.url, retry=RetryPolicy(attempts=4, base_s=0.01, cap_s=0.05))
        try:
            report = SyncEngine(laptop.vault, ServiceApi(transport, link.token), batch=10).run()  # six pushes and more
        finally:
            transport.close()
        statuses = [hit.status for hit in proxy.hits]
    assert 429 in statuses  # it was told to slow down, more than once a sync
    assert (report.pushed, report.refused, report.problems) == (60, [], [])
    assert _stored(strict_service) == 60
