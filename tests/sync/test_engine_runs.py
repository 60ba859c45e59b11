"""What one run of the sync engine does beyond the plain path: a parent that lands after its child,
words typed while a pull arrives, an engine run again and again (as the benchmark's and a
long-lived caller's are)."""

from __future__ import annotations

import gzip

from faultproxy import Fault, FaultProxy
from sync_fixtures import Device, Service, colleagues
from vault_fixtures import sample_contents

from fieldapp import domain
from sync.client.api import ServiceApi
from sync.client.engine import Progress, SyncEngine
from sync.client.transport import HttpTransport


def _engine(device: Device, proxy_url: str | None = None, **kwargs: object) -> tuple[SyncEngine, HttpTransport]:
    link = device.vault.replication.link()
    assert link is not None
    transport = HttpTransport(proxy_url) if proxy_url else HttpTransport(link.url, adapter=device.adapter)
    return SyncEngine(device.vault, ServiceApi(transport, link.token), **kwargs), transport  # type: ignore[arg-type]


def _chain_of_four(device: Device, assessment_id: str) -> str:
    rec = device.vault.records.create(assessment_id, domain.Observation(title="Board", notes="one")).value
    device.vault.records.cut_revision(rec.id)
    for words in ("two", "three", "four"):
        device.vault.records.add_note(rec.id, words)
        device.vault.records.cut_revision(rec.id)
    return rec.id


def test_a_child_that_lands_before_its_parent_is_sent_again_in_the_same_sync(socket_service: Service, make_device) -> None:
    service = socket_service  # behind a proxy that holds one request back
    assessment_id, first, _second, _ = colleagues(service, make_device)
    _chain_of_four(first, assessment_id)
    assert first.vault.replication.status().waiting == 4
    root = first.vault.replication.pending(1)[0].id
    # Two batches of two go out on two connections; the first is held back, so the second (the
    # chain's last two) reaches the service before their parent and is refused for now.
    def hold_the_first_batch(_method: str, path: str, body: bytes) -> Fault | None:
        if path.endswith("/push") and root.encode() in gzip.decompress(body) and not held:
            held.append(path)
            return Fault.STALL_REQUEST
        return None

    held: list[str] = []
    with FaultProxy(service.url, seed=3, weights={Fault.PASS: 1.0}, stall_s=0.5, decide=hold_the_first_batch) as proxy:
        engine, transport = _engine(first, proxy.url, batch=2)
        try:
            report = engine.run()
        finally:
            transport.close()
        pushes = [h for h in proxy.hits if h.path.endswith("/push")]
    assert [h.fault for h in pushes].count(Fault.STALL_REQUEST) == 1
    assert len(pushes) == 3  # the held batch, the early one, and the early one again in turn
    assert report.pushed == 4 and report.refused == []
    assert first.vault.replication.status().waiting == 0


def test_words_typed_while_a_pull_arrives_are_merged_and_sent_in_the_same_sync(service: Service, make_device) -> None:
    assessment_id, first, second, record_id = colleagues(service, make_device, sample_contents()[1])
    assert record_id is not None
    base = first.vault.records.get(record_id).content
    assert isinstance(base, domain.Interview)
    first.vault.records.save(record_id, domain.Interview(**{**base.__dict__, "location": "Carers' centre"}))
    first.sync()

    def type_while_pulling(progress: Progress) -> None:
        # The inspector edits another field after the sync saved the drafts and before the page
        # is stored: settling must cut these words into a revision, merge, and send both.
        if progress.stage == "pull" and not typed:
            typed.append(second.vault.records.save(record_id, domain.Interview(**{**base.__dict__, "pseudonym": "Carer C9"})))

    typed: list[object] = []
    engine, transport = _engine(second, progress=type_while_pulling)
    try:
        report = engine.run()
    finally:
        transport.close()
    assert typed and report.merged == 1
    assert second.vault.replication.status().waiting == 0  # the cut and the merge went in this sync
    first.sync()
    one, two = first.vault.records.get(record_id), second.vault.records.get(record_id)
    assert one.content == two.content and one.head_revision_id == two.head_revision_id
    assert (one.content.location, one.content.pseudonym) == ("Carers' centre", "Carer C9")  # type: ignore[union-attr]


def test_an_engine_run_again_reports_each_run_alone(service: Service, make_device) -> None:
    assessment_id, first, second, _ = colleagues(service, make_device)
    engine, transport = _engine(second)
    try:
        for round_ in range(3):
            first.vault.records.create(assessment_id, domain.Observation(title=f"Meeting {round_}", notes="minutes"))
            first.sync()
            report = engine.run()
            assert (report.pulled, report.updated, report.pushed) == (1, 1, 0), round_
            assert len(report.changes.records) == 1
            assert report.changes.from_sync  # an editor with this record open takes the colleague's words in
    finally:
        transport.close()
    assert len(second.vault.records.list()) == 3
