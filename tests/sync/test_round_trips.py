"""Round trips of the everyday sync (issue 17), counted by the client's own transport: a sync with
nothing to do is one request (its pull's last page carries the status), one edit synced is two, and
a pull tells the status only on its last page and only to clients that ask."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inprocess import serving
from sync_fixtures import PROTOCOL_HEADERS, Device, Service, free_port, raw_device

from fieldapp import domain
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine, SyncReport
from sync.server.app import create_app
from sync.server.settings import Limits, Settings


def _counted_sync(service: Service, device: Device) -> tuple[SyncReport, int]:
    """A whole sync through the real transport: its report, and how many requests were answered."""
    link = device.vault.replication.link()
    assert link is not None
    transport = service.transport()
    try:
        report = SyncEngine(device.vault, ServiceApi(transport, link.token)).run()
        return report, transport.requests_answered
    finally:
        transport.close()


def _settled(service: Service, make_device: Callable[..., Device]) -> tuple[str, Device]:
    """A laptop enrolled and synced until nothing is left to send (its audit entries included)."""
    assessment_id, (inspector,) = service.team()
    device = make_device(service, inspector)
    device.sync()
    device.sync()
    return assessment_id, device


def test_a_sync_with_nothing_to_do_makes_one_request(inprocess_sqlite_service: Service, make_device: Callable[..., Device]) -> None:
    _assessment, device = _settled(inprocess_sqlite_service, make_device)
    report, requests = _counted_sync(inprocess_sqlite_service, device)
    assert (report.pushed, report.pulled, requests) == (0, 0, 1)


def test_one_edit_synced_makes_a_push_and_a_pull(inprocess_sqlite_service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, device = _settled(inprocess_sqlite_service, make_device)
    device.vault.records.create(assessment_id, domain.Observation(title="Board meeting", notes="minutes read"))
    report, requests = _counted_sync(inprocess_sqlite_service, device)
    assert (report.pushed, requests) == (1, 2)


@contextmanager
def _service_naming_a_newer_client(data_dir: Path, *, older: bool = False) -> Iterator[Service]:
    """The real service in-process, its administrator having named fieldapp 99.0; `older`: reached as
    a service from before `status-in-pull` would be, the feature taken out of every request's
    features header (an older service ignores a name it does not know)."""
    settings = Settings(data_dir=data_dir, limits=Limits(requests_per_s=10_000, burst=10_000), newest_client="99.0")
    app = create_app(settings)
    header = protocol.FEATURES_HEADER.lower().encode()

    async def as_older(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "headers": [(name, _without_status_in_pull(value) if name == header else value) for name, value in scope["headers"]]}
        await app(scope, receive, send)

    with serving(as_older if older else app) as adapter:
        yield Service(f"http://127.0.0.1:{free_port()}", settings, app.state.service.engine, adapter)


def _without_status_in_pull(value: bytes) -> bytes:
    return b",".join(name for name in value.split(b",") if name.strip() != protocol.F_STATUS_IN_PULL.encode())


def test_a_sync_with_nothing_to_do_still_learns_of_a_newer_client_from_its_pull(tmp_path: Path, make_device: Callable[..., Device]) -> None:
    with _service_naming_a_newer_client(tmp_path / "service") as service:
        _assessment, device = _settled(service, make_device)
        report, requests = _counted_sync(service, device)
    assert (report.newer_client, requests) == ("99.0", 1)


def test_a_sync_with_a_service_that_sends_no_status_in_its_pull_asks_for_it(tmp_path: Path, make_device: Callable[..., Device]) -> None:
    with _service_naming_a_newer_client(tmp_path / "service", older=True) as service:
        _assessment, device = _settled(service, make_device)
        report, requests = _counted_sync(service, device)
    assert (report.newer_client, requests) == ("99.0", 2)


def test_a_pull_carries_the_status_on_its_last_page_only_to_clients_that_ask(inprocess_sqlite_service: Service) -> None:
    service = inprocess_sqlite_service
    assessment_id, (inspector,) = service.team()
    device = raw_device(service, inspector)
    for _ in range(3):
        assert device.push(device.revision(assessment_id)).status_code == 200

    def pull(cursor: str | None, features: str) -> dict[str, Any]:
        headers = {**PROTOCOL_HEADERS, protocol.FEATURES_HEADER: features}
        answer = device.request("POST", "/pull", json={"cursor": cursor, "limit": 2, "include_own": True}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    asking = f"{protocol.F_STATUS_IN_PULL},{protocol.F_AUDIT}"
    first = pull(None, asking)
    last = pull(first["cursor"], asking)
    assert first["more"] and first.get("status") is None
    assert not last["more"] and last["status"]["service"] == "fieldapp" and last["status"]["audit"] is True
    assert "status" not in pull(None, protocol.F_AUDIT)
