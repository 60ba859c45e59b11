"""Connections that never finish a request head, against `fieldapp-server serve` itself (no proxy):
each is closed by the head deadline however it trickles, near the cap the waiting ones are shed
(past a new connection's grace, idle before part-sent, oldest first) and a request under way never
is, so a real sync still completes."""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests
from stalls import Stalls
from sync_fixtures import Device, child_service, enrol_body, raw_device

from fieldapp import domain
from sync import protocol
from sync.server.connections import GRACE_S


def test_a_real_sync_completes_and_signed_in_callers_are_served_while_hundreds_of_connections_stall(
    tmp_path: Path, make_device: Callable[..., Device]
) -> None:
    # More stalled connections than the cap: without shedding every caller would get 503, and
    # without the head deadline the trickling ones would never close.
    with child_service(tmp_path / "service", "--max-connections", "200", "--head-deadline", "2", "--keep-alive", "1") as service:
        assessment_id, (first, second) = service.team(inspectors=2)
        laptop, colleague = make_device(service, first), raw_device(service, second, "colleague")
        laptop.sync()  # the assessment arrives
        laptop.vault.records.create(assessment_id, domain.Observation(title="ICB board", notes="10:42 chair opens"))
        where = urlsplit(service.url)
        stalls = Stalls(where.hostname or "", where.port or 0, silent=150, trickling=150)
        with stalls:
            report = laptop.sync()
            pulls = [colleague.request("POST", "/pull", json={"cursor": None}).status_code for _ in range(10)]
        stalls.assert_closed_by_server()
    assert (report.pushed, report.refused, report.problems) == (1, [], [])
    assert pulls == [200] * 10


def test_near_the_cap_an_idle_connection_is_shed_before_an_older_part_sent_head_and_a_request_under_way_never(tmp_path: Path) -> None:
    # Deadlines far beyond the test: only shedding closes anything here. 20 connections at most;
    # past 18, each new one closes one that waits.
    with child_service(tmp_path / "service", "--max-connections", "20", "--head-deadline", "600", "--keep-alive", "600") as service:
        where = (urlsplit(service.url).hostname or "", urlsplit(service.url).port or 0)
        part_sent = _connected(where, b"GET /v1/status HTTP/1.1\r\n")  # the oldest waiting, but its head has begun
        body = json.dumps(enrol_body("WRONG-CODE-0000")).encode()
        busy = _connected(where, b"POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10])
        idle = _connected(where, b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _answer(idle).startswith(b"HTTP/1.1 200")  # and kept alive: idle from here on
        time.sleep(GRACE_S + 0.5)  # past the grace of a new connection, whose head may be on its way
        silent = [socket.create_connection(where, timeout=30) for _ in range(15)]  # 18 open: no one shed yet
        try:
            silent.append(socket.create_connection(where, timeout=30))  # the 19th: one must go
            assert idle.recv(1) == b""  # idle, so shed before the part-sent head that is older
            part_sent.sendall(b"Host: x\r\n\r\n")
            assert _answer(part_sent).startswith(b"HTTP/1.1 200")  # kept
            silent += [socket.create_connection(where, timeout=30) for _ in range(15)]  # past the cap
            busy.sendall(body[10:])
            assert _answer(busy).startswith(b"HTTP/1.1 422")  # the wrong code is answered: never shed
            assert requests.get(f"{service.url}{protocol.API}/status", timeout=30).status_code == 200  # not 503: there was room
        finally:
            for sock in (busy, part_sent, idle, *silent):
                sock.close()


def test_a_later_head_trickled_on_a_kept_alive_connection_is_closed_too(tmp_path: Path) -> None:
    with child_service(tmp_path / "service", "--head-deadline", "2", "--keep-alive", "1") as service:
        kept = _connected((urlsplit(service.url).hostname or "", urlsplit(service.url).port or 0), b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            assert _answer(kept).startswith(b"HTTP/1.1 200")
            kept.settimeout(0.5)  # each half second, the next byte of a head that never ends
            for byte in itertools.chain(b"GET /v1/status HTTP/1.1\r\nX-Slow: ", itertools.repeat(ord("a"), 60)):
                try:
                    kept.sendall(bytes([byte]))
                    assert kept.recv(1) == b"", "the service answered a head that never ended"
                    return  # closed: the first byte stopped the keep-alive timer, and the head deadline ran on
                except TimeoutError:
                    continue
                except OSError:
                    return  # closed, and it said so by refusing the byte
            raise AssertionError("a head trickled a byte at a time held the connection open")
        finally:
            kept.close()


def _connected(where: tuple[str, int], sent: bytes) -> socket.socket:
    sock = socket.create_connection(where, timeout=30)
    sock.sendall(sent)
    return sock


def _answer(sock: socket.socket) -> bytes:
    """The service's whole answer (it says its length), read off the connection."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536) or _ended()
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += sock.recv(65536) or _ended()
    return answer


def _ended() -> bytes:
    raise AssertionError("the service closed the connection before its answer ended")
