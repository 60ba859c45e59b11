"""The transport seam the sync tests run on: the client's own transport, handed the service app
in-process, gets what it gets over a socket (answers, gzip, bounds, broken answers), and a client
left without the seam finds nothing at an in-process service's address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inprocess import serving
from sync_fixtures import Service, inprocess_service, running_service

from sync import protocol
from sync.client.api import ServiceApi
from sync.client.errors import ServiceFault, ServiceUnreachable
from sync.client.transport import HttpTransport, RetryPolicy

NO_WAITS = RetryPolicy(attempts=2, base_s=0.0, cap_s=0.0)


def _get(service: Service, path: str) -> Any:
    transport = service.transport(retry=NO_WAITS)
    try:
        return transport.request("GET", protocol.API + path)
    finally:
        transport.close()


def test_the_same_request_gets_the_same_answer_in_process_as_over_a_socket(tmp_path: Path) -> None:
    with running_service(tmp_path / "socket") as over_socket, inprocess_service(tmp_path / "here") as in_process:
        socket_answer, inprocess_answer = _get(over_socket, "/openapi.json"), _get(in_process, "/openapi.json")
    assert socket_answer.status == inprocess_answer.status == 200
    assert socket_answer.headers["Content-Encoding"] == inprocess_answer.headers["Content-Encoding"] == "gzip"
    assert socket_answer.content == inprocess_answer.content  # inflated by the transport on both paths
    assert b'"openapi"' in inprocess_answer.content


def test_an_answer_past_the_size_bound_is_dropped_in_process_too(inprocess_sqlite_service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "MAX_ANSWER_BYTES", 2_000)
    with pytest.raises(ServiceFault, match="larger than this app accepts"):
        _get(inprocess_sqlite_service, "/openapi.json")


def test_a_client_without_the_seam_finds_no_service_at_an_in_process_address(inprocess_sqlite_service: Service) -> None:
    transport = HttpTransport(inprocess_sqlite_service.url, retry=RetryPolicy(attempts=1))
    try:
        with pytest.raises(ServiceUnreachable, match="Cannot reach the service"):
            ServiceApi(transport).status()
    finally:
        transport.close()


def test_an_answer_the_app_cuts_short_is_retried_like_a_connection_cut_on_a_socket() -> None:
    calls: list[str] = []

    async def cuts_short(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b"x" * 10, "more_body": True})  # and then nothing more

    with serving(cuts_short) as adapter:
        transport = HttpTransport("http://127.0.0.1:9", retry=NO_WAITS, adapter=adapter)
        try:
            with pytest.raises(ServiceUnreachable, match="Cannot reach the service"):
                transport.request("GET", "/v1/status")
        finally:
            transport.close()
    assert calls == ["/v1/status", "/v1/status"]  # tried again, as for a connection cut mid-answer
