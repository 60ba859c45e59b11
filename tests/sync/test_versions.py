"""One version across the wire: every request of a sync names this build in its User-Agent, the
status answer names the service's version and the newest client its administrator set, and a sync
reports a newer client only when it is newer (as numbers: 0.10 is later than 0.9)."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from inprocess import serving
from sync_fixtures import PROTOCOL_HEADERS, Device, Service, free_port, inprocess_service

from fieldapp.version import app_version
from sync import protocol
from sync.client.api import ServiceApi
from sync.server import cli
from sync.server.app import create_app
from sync.server.settings import NEWEST_CLIENT_ENV, Limits, Settings


@contextmanager
def heard_service(data_dir: Path, heard: list[dict[str, str]]) -> Iterator[Service]:
    """The real service in-process, with every request's headers written down before it answers."""
    settings = Settings(data_dir=data_dir, limits=Limits(requests_per_s=10_000, burst=10_000))
    app = create_app(settings)

    async def listening(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            heard.append({name.decode().lower(): value.decode() for name, value in scope["headers"]} | {"path": scope["path"]})
        await app(scope, receive, send)

    with serving(listening) as adapter:
        yield Service(f"http://127.0.0.1:{free_port()}", settings, app.state.service.engine, adapter)


def test_every_request_of_enrolling_and_syncing_names_this_build(tmp_path: Path, make_device: Callable[..., Device]) -> None:
    heard: list[dict[str, str]] = []
    with heard_service(tmp_path / "service", heard) as service:
        _team, (inspector,) = service.team()
        device = make_device(service, inspector)
        device.sync()
    expected = f"fieldapp/{app_version()} (Python {sys.version_info.major}.{sys.version_info.minor}; {platform.system()})"
    paths = {request["path"] for request in heard}
    assert {"/v1/enrol", "/v1/pull", "/v1/status"} <= paths  # a laptop with nothing to send pushes nothing
    assert {request["user-agent"] for request in heard} == {expected}


def _status(service: Service, features: str | None) -> dict[str, Any]:
    headers = {**PROTOCOL_HEADERS, **({protocol.FEATURES_HEADER: features} if features is not None else {})}
    answer = service.session().get(service.url + protocol.API + "/status", headers=headers)
    assert answer.status_code == 200
    return answer.json()


def test_the_status_answer_names_the_versions_only_to_clients_that_ask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NEWEST_CLIENT_ENV, "0.10.0")
    with inprocess_service(tmp_path / "service") as service:
        asked = _status(service, f"{protocol.F_CONCERNS},{protocol.F_VERSIONS}")
        older_client = _status(service, protocol.F_CONCERNS)
        no_features = _status(service, None)
    assert (asked["version"], asked["newest_client"]) == (app_version(), "0.10.0")
    # A client from before versions refuses fields it does not know: it is sent none.
    assert set(older_client) == set(no_features) == {"service", "protocol", "time"}
    protocol.ServiceStatus.model_validate(asked)


def test_without_a_newest_client_set_the_status_answer_names_only_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NEWEST_CLIENT_ENV, raising=False)
    with inprocess_service(tmp_path / "service") as service:
        transport = service.transport()
        try:
            answer = ServiceApi(transport).status()
        finally:
            transport.close()
    assert (answer.version, answer.newest_client) == (app_version(), None)


@pytest.mark.parametrize(("newest", "told"), [("0.10.0", "0.10.0"), (app_version(), None), ("0.0.9", None), (None, None)])
def test_a_sync_reports_a_newer_client_only_when_the_service_names_a_later_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_device: Callable[..., Device], newest: str | None, told: str | None
) -> None:
    assert app_version() == "0.1.0"  # the cases above are written against it: 0.10.0 is later, 0.0.9 earlier
    if newest is None:
        monkeypatch.delenv(NEWEST_CLIENT_ENV, raising=False)
    else:
        monkeypatch.setenv(NEWEST_CLIENT_ENV, newest)
    with inprocess_service(tmp_path / "service") as service:
        _team, (inspector,) = service.team()
        report = make_device(service, inspector).sync()
    assert report.newer_client == told


def test_the_server_refuses_to_start_with_a_newest_client_that_is_not_a_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(NEWEST_CLIENT_ENV, "latest")
    assert cli.main(["--data", str(tmp_path / "service"), "admin", "inspector", "list"]) == 1
    assert "FIELDAPP_NEWEST_CLIENT='latest' is not a release number" in capsys.readouterr().err
