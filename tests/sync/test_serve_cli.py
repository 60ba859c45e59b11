"""`fieldapp-server serve` as it is run: which caller address the enrolment rate limit counts.

A client that names itself in X-Forwarded-For must not escape the limit, unless the service was
told it sits behind that proxy (`--trust-proxy`)."""

from __future__ import annotations

import base64
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sync_fixtures import ChildService

from sync import protocol
from sync.server.settings import Limits

ATTEMPTS = Limits().enrol_per_minute + 3  # more than the burst that one address is allowed


def _enrol_attempts(url: str, forwarded_for: list[str]) -> list[int]:
    """Wrong-code enrolments, each claiming to come from a different address."""
    statuses = []
    for address in forwarded_for:
        body = {"code": "WRONG-CODE-0000", "device_id": str(uuid.uuid4()), "public_key": base64.b64encode(bytes(range(1, 33))).decode()}
        answer = requests.post(f"{url}{protocol.API}/enrol", json=body, headers={"X-Forwarded-For": address}, timeout=10)
        if answer.status_code != 429:
            assert answer.json()["code"] == protocol.E_ENROLMENT_CODE, answer.text
        statuses.append(answer.status_code)
    return statuses


@pytest.fixture
def child(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChildService]:
    service = ChildService(tmp_path / "service", None, serve_args=tuple(request.param))
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.mark.parametrize("child", [[]], indirect=True)
def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_enrolment_limit(child: ChildService) -> None:
    statuses = _enrol_attempts(child.url, [f"203.0.113.{n}" for n in range(ATTEMPTS)])
    assert 429 in statuses, statuses  # every attempt was counted against 127.0.0.1
    assert set(statuses) <= {422, 429}


@pytest.mark.parametrize("child", [["--trust-proxy", "127.0.0.1"]], indirect=True)
def test_behind_a_named_proxy_each_forwarded_address_has_its_own_limit(child: ChildService) -> None:
    statuses = _enrol_attempts(child.url, [f"203.0.113.{n}" for n in range(ATTEMPTS)])
    assert statuses == [422] * ATTEMPTS  # wrong code, but no one address went over its limit
    same = _enrol_attempts(child.url, ["198.51.100.7"] * ATTEMPTS)
    assert 429 in same  # one address is still limited


@pytest.mark.parametrize("child", [["--max-connections", "4"]], indirect=True)
def test_beyond_the_connection_cap_a_caller_gets_a_503_at_once_not_a_hang(child: ChildService) -> None:
    where = urlsplit(child.url)
    held: list[socket.socket] = []
    try:
        for _ in range(3):  # slow clients, one after another: half a request each, never finished
            held.append(socket.create_connection((where.hostname, where.port), timeout=10))
            held[-1].sendall(b"POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            time.sleep(0.2)
        statuses = []
        for _ in range(50):  # the service takes the held connections in as it gets to them
            statuses.append(requests.get(f"{child.url}{protocol.API}/status", timeout=10).status_code)
            if statuses[-1] == 503:
                break
            time.sleep(0.1)
        assert statuses[-1] == 503, statuses
    finally:
        for sock in held:
            sock.close()
    for _ in range(50):  # and back once they go (as the service notices them closed)
        if requests.get(f"{child.url}{protocol.API}/status", timeout=10).status_code == 200:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the service still refused callers after the slow ones left")
