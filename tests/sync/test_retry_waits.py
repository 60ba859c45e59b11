"""How long the app waits before trying again: once per retry, the longer of what the service asked
(Retry-After) and the jittered backoff, never the one and then the other. The transport runs over
real sockets against a tiny server on 127.0.0.1 standing in for any busy or limited service; its
sleep is recorded instead of slept."""

from __future__ import annotations

import http.server
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sync.client.transport import MAX_WAIT_S, HttpTransport, RetryPolicy

HANG_UP = 0
SEED = 0  # its first draw is 0.84: scaled to a 4 s ceiling, longer than a Retry-After of 1 s
OK = b'{"protocol": 1, "time": "2026-11-23T10:00:00Z"}'


@contextmanager
def busy_then_ready(*busy: tuple[int, str | None]) -> Iterator[tuple[str, list[str]]]:
    """A server answering each (status, Retry-After) in turn, then 200 (status HANG_UP: no answer,
    the connection closed); yields its URL and the paths it was asked for."""
    asked: list[str] = []

    class Handle(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real service

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            status, retry_after = busy[len(asked) - 1] if len(asked) <= len(busy) else (200, None)
            if status == HANG_UP:
                self.close_connection = True
                return
            body = OK if status == 200 else b'{"code": "busy", "detail": "Slow down."}'
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="busy-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def known_draws() -> Iterator[list[float]]:
    """The draws the backoff's jitter will make (the global random, seeded; restored after)."""
    state = random.getstate()
    draws = random.Random(SEED)
    random.seed(SEED)
    yield [draws.random() for _ in range(10)]
    random.setstate(state)


def _get(url: str, retry: RetryPolicy) -> tuple[int, list[float]]:
    """The status the transport ends with, and every wait it asked for."""
    slept: list[float] = []
    transport = HttpTransport(url, retry=retry, sleep=slept.append)
    try:
        return transport.request("GET", "/api/v1/status").status, slept
    finally:
        transport.close()


def test_a_retry_after_is_waited_once_not_once_and_then_again_for_the_backoff() -> None:
    with busy_then_ready((429, "1")) as (url, asked):
        status, slept = _get(url, RetryPolicy(attempts=3, base_s=0.25, cap_s=0.25))  # backoff at most 0.25 s
    assert (status, len(asked)) == (200, 2)
    assert slept == [1.0]


def test_when_the_backoff_is_longer_than_retry_after_it_alone_is_waited(known_draws: list[float]) -> None:
    with busy_then_ready((503, "1"), (429, "0"), (503, None)) as (url, asked):
        status, slept = _get(url, RetryPolicy(attempts=4, base_s=4.0, cap_s=4.0))  # backoff anywhere in [0, 4)
    assert (status, len(asked)) == (200, 4)
    backoff = [4.0 * draw for draw in known_draws[:3]]
    assert backoff[0] > 1.0
    assert slept == backoff  # one wait per retry, each the longer of the two


def test_a_wait_the_service_asked_for_is_not_carried_over_to_a_later_retry() -> None:
    with busy_then_ready((429, "1"), (HANG_UP, None)) as (url, asked):
        status, slept = _get(url, RetryPolicy(attempts=3, base_s=0.25, cap_s=0.25))
    assert (status, len(asked)) == (200, 3)
    assert len(slept) == 2 and slept[0] == 1.0
    assert 0.0 <= slept[1] <= 0.25  # the retry after the hang-up waits the backoff only


def test_a_retry_after_longer_than_the_app_will_sleep_is_handed_back_unslept() -> None:
    with busy_then_ready((429, str(int(MAX_WAIT_S) + 1))) as (url, asked):
        status, slept = _get(url, RetryPolicy(attempts=3, base_s=0.01, cap_s=0.01))
    assert (status, len(asked), slept) == (429, 1, [])  # the caller tells the inspector when to try again


def test_the_backoff_for_one_attempt_is_jittered_between_zero_and_its_ceiling() -> None:
    policy = RetryPolicy(base_s=0.25, cap_s=8.0)
    draws = [policy.wait(2) for _ in range(50)]
    assert len(set(draws)) > 1  # clients that failed together do not retry together
    assert all(0.0 <= wait <= 1.0 for wait in draws)  # 0.25 doubled twice
    assert policy.wait(10, rng=lambda: 1.0) == 8.0  # and never above the cap


@pytest.mark.parametrize("retry_after", ["soon", "-5"])
def test_a_retry_after_that_asks_for_no_wait_leaves_the_backoff_alone(retry_after: str) -> None:
    with busy_then_ready((503, retry_after)) as (url, asked):
        status, slept = _get(url, RetryPolicy(attempts=2, base_s=0.5, cap_s=0.5))
    assert (status, len(asked), len(slept)) == (200, 2, 1)
    assert 0.0 <= slept[0] < 0.5
