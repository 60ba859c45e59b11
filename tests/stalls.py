"""A slowloris for tests: hundreds of connections that never finish a request head, some silent and
some trickling a byte a second, renewed as the server closes them, counted as it does.

The server's side is seen only as a client sees it: a connection is closed by the server when a read
finds its end (or a reset), or a write is refused.
"""

from __future__ import annotations

import selectors
import socket
import ssl
import threading
import time
from collections import Counter
from typing import Literal

Kind = Literal["silent", "trickling"]
# A head that never ends: one header whose value grows a byte a second (far below any size limit
# for as long as a test runs).
HEAD = b"GET /v1/status HTTP/1.1\r\nHost: fieldapp\r\nX-Slow: "
TICK_S = 1.0


class Stalls:
    """`silent` connections that send nothing and `trickling` ones that send one byte of an endless
    head each second, from `source` (another loopback address than the real callers, as an
    attacker's would be). While held, each one the server closes is replaced at the next tick.
    With `tls`, trickling connections finish a TLS handshake first; silent ones never begin it.
    Held inside `with`; afterwards, `assert_closed_by_server()`."""

    def __init__(self, host: str, port: int, *, silent: int, trickling: int, source: str = "127.0.0.2", tls: ssl.SSLContext | None = None) -> None:
        self.where, self.source, self.tls = (host, port), source, tls
        self.wanted: Counter[Kind] = Counter(silent=silent, trickling=trickling)
        self.opened: Counter[Kind] = Counter()
        self.closed_by_server: Counter[Kind] = Counter()
        self._open: dict[socket.socket, tuple[Kind, int]] = {}  # each socket: its kind, and head bytes sent
        self._selector = selectors.DefaultSelector()
        self._renew, self._stop, self._held = True, threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="stalls", daemon=True)

    def __enter__(self) -> Stalls:
        self._thread.start()
        if not self._held.wait(60):
            raise RuntimeError("the stalled connections could not all be opened")
        return self

    def __exit__(self, failed: type[BaseException] | None, *_exc: object) -> None:
        self._renew = False  # from now on, what the server closes stays closed
        if failed is not None:  # the test failed while they were held: let them go now
            self._stop.set()
            self._thread.join(timeout=10)

    def assert_closed_by_server(self, wait_s: float = 30.0) -> None:
        """Waits (at most `wait_s`) for the server to close every stalled connection, the trickling
        ones too (their bytes never bought more time); fails naming what it left open."""
        self._renew = False
        deadline = time.monotonic() + wait_s
        while self._open and time.monotonic() < deadline:
            time.sleep(0.1)
        left = len(self._open)
        self._stop.set()  # the thread closes what is left as it ends
        self._thread.join(timeout=10)
        assert left == 0, f"the server left {left} stalled connections open ({self.opened} opened, {self.closed_by_server} closed by it)"
        assert self.closed_by_server == self.opened and self.opened["silent"] > 0 and self.opened["trickling"] > 0

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self._renew:
                    self._top_up()
                    self._held.set()
                tick = time.monotonic() + TICK_S
                while (left := tick - time.monotonic()) > 0 and not self._stop.is_set():
                    for key, _ in self._selector.select(min(left, 0.2)):
                        self._read(key.fileobj)  # type: ignore[arg-type]
                self._trickle()
        finally:
            for sock in list(self._open):
                self._drop(sock)

    def _top_up(self) -> None:
        for kind in ("silent", "trickling"):
            while sum(k == kind for k, _ in self._open.values()) < self.wanted[kind]:
                try:
                    sock = self._connect(kind)
                except OSError:
                    return  # the server is not taking more just now: the next tick tries again
                sock.setblocking(False)
                self._open[sock] = (kind, 0)
                self.opened[kind] += 1
                self._selector.register(sock, selectors.EVENT_READ)

    def _connect(self, kind: Kind) -> socket.socket:
        sock = socket.create_connection(self.where, timeout=10, source_address=(self.source, 0))
        if self.tls is None or kind == "silent":
            return sock
        try:
            return self.tls.wrap_socket(sock, server_hostname=self.where[0])
        except OSError:
            sock.close()
            raise

    def _read(self, sock: socket.socket) -> None:
        try:
            if sock.recv(4096):
                return  # an answer (a 400 or 408, say) before the end: the end is what counts
        except (ssl.SSLWantReadError, BlockingIOError):
            return
        except OSError:
            pass  # reset, or a TLS connection cut without its closing alert
        self._closed(sock)

    def _trickle(self) -> None:
        for sock, (kind, sent) in list(self._open.items()):
            if kind != "trickling":
                continue
            try:
                sock.send(HEAD[sent : sent + 1] or b"a")
            except (ssl.SSLWantWriteError, BlockingIOError):
                continue
            except OSError:
                self._closed(sock)
                continue
            self._open[sock] = (kind, sent + 1)

    def _closed(self, sock: socket.socket) -> None:
        self.closed_by_server[self._open[sock][0]] += 1
        self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        self._open.pop(sock, None)
        self._selector.unregister(sock)
        sock.close()

