"""A fault-injecting TCP proxy for sync tests: real sockets between the client and the service.

It relays HTTP/1.1 exchange by exchange (keep-alive included) and, for each request a connection
carries, draws from a seeded RNG whether to pass it or to drop, cut, stall or truncate it; a fault
ends that connection. Bodies of any size pass in both directions (attachment chunks up and down).
It counts the faults it actually applied, so a test can assert that each one happened.
"""

from __future__ import annotations

import enum
import random
import socket
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

_MAX_HEAD = 64 << 10
_IDLE_S = 120.0  # a connection with no request for this long is closed (a leaked client)


Hook = Callable[[str, str], "bool | None"]


class Fault(enum.Enum):
    PASS = "pass"
    DROP = "drop"  # the connection closes before anything is forwarded
    CUT_REQUEST = "cut_request"  # part of the request is forwarded, then both sides are cut
    CUT_BEFORE_RESPONSE = "cut_before_response"  # the service answered (it acted); the client hears nothing
    CUT_RESPONSE_HEAD = "cut_response_head"  # the client gets part of the status line and headers
    TRUNCATE_BODY = "truncate_body"  # the client gets the headers and part of the body
    STALL_REQUEST = "stall_request"  # the request is held past the client's timeout, then delivered
    STALL_RESPONSE = "stall_response"  # the answer is held past the client's timeout
    FLIP_BODY = "flip_body"  # one byte of the answer's body is changed (only when a test asks for it)


FAULTS = tuple(f for f in Fault if f not in (Fault.PASS, Fault.FLIP_BODY))  # the ways a connection breaks
DEFAULT_WEIGHTS: Mapping[Fault, float] = {
    Fault.PASS: 70.0,
    Fault.DROP: 5.0,
    Fault.CUT_REQUEST: 5.0,
    Fault.CUT_BEFORE_RESPONSE: 7.0,
    Fault.CUT_RESPONSE_HEAD: 4.0,
    Fault.TRUNCATE_BODY: 7.0,
    Fault.STALL_REQUEST: 0.3,  # rare: each costs the client a whole read timeout
    Fault.STALL_RESPONSE: 0.3,
}


@dataclass(frozen=True)
class Hit:
    """One request the proxy saw, and what it did to it."""

    fault: Fault
    method: str
    path: str
    request_body: int  # bytes of the request's body
    response_body: int  # bytes of the service's response body (0 if the service never answered)
    status: int  # the service's HTTP status (0 if it never answered)

    @property
    def attachment(self) -> bool:
        return "/chunks/" in self.path


class _Closed(Exception):
    """The peer closed the connection in the middle of a message."""


class _Reader:
    """Buffered reads of HTTP/1.1 messages from one socket, keeping the bytes exactly as sent."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buf = sock, bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(1 << 16)
        self.buf += data
        return bool(data)

    def head(self) -> bytes | None:
        """The start line and headers; None if the peer closed cleanly between messages."""
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if len(self.buf) > _MAX_HEAD:
                raise _Closed("header too long")
            if not self._fill():
                if self.buf:
                    raise _Closed("closed inside a header")
                return None
        return self._take(end + 4)

    def body(self, head: bytes, *, no_body: bool = False) -> bytes:
        """The body as framed on the wire (Content-Length, chunked, or until the peer closes)."""
        if no_body:
            return b""
        headers = _headers(head)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._chunked()
        if "content-length" in headers:
            return self._exact(int(headers["content-length"]))
        if head.startswith(b"HTTP/"):
            while self._fill():
                pass
            return self._take(len(self.buf))
        return b""  # a request without a length has no body

    def _chunked(self) -> bytes:
        out = bytearray()
        while True:
            line = self._line()
            out += line
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (trailer := self._line()) != b"\r\n":
                    out += trailer
                return bytes(out + b"\r\n")
            out += self._exact(size + 2)

    def _line(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            if not self._fill():
                raise _Closed("closed inside a chunk size")
        return self._take(end + 2)

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise _Closed("closed inside a body")
        return self._take(n)

    def _take(self, n: int) -> bytes:
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}


class FaultProxy:
    """Listens on 127.0.0.1 and forwards to `upstream` (a base URL), injecting faults by `seed`.

    `stall_s` should exceed the client's read timeout. `script` names the faults of the first
    requests, optionally with where each cuts (a fraction of what could be sent), then the RNG
    draws: for a test about one fault at one moment. `target(method, path)` limits faults (and the
    script) to the requests it accepts. Hooks
    `(method, path) -> bool | None` let a test act at an exact moment (kill the service, say):
    `on_forwarded` once a whole request has reached the service, `on_answered` once its whole
    answer has reached the proxy; one that returns True cuts the client off there.
    `decide` `(method, path, request body) -> Fault | None` picks the fault for a request by what
    it carries (None: drawn as usual). `faults_enabled` switches every fault off (see `clean()`).
    """

    def __init__(
        self,
        upstream: str,
        *,
        seed: int,
        weights: Mapping[Fault, float] = DEFAULT_WEIGHTS,
        stall_s: float = 1.5,
        script: Iterable[Fault | tuple[Fault, float]] = (),
        target: Callable[[str, str], bool] | None = None,
        on_forwarded: Hook | None = None,
        on_answered: Hook | None = None,
        decide: Callable[[str, str, bytes], Fault | None] | None = None,
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.seed, self.stall_s = seed, stall_s
        self.faults_enabled = True
        self.target = target
        self.on_forwarded, self.on_answered = on_forwarded, on_answered
        self.decide = decide
        self.counts: Counter[Fault] = Counter()
        self.hits: list[Hit] = []
        self._rng = random.Random(seed)
        # Faults for the first requests, in order, before any is drawn; each may say where it cuts.
        self._script = deque(item if isinstance(item, tuple) else (item, None) for item in script)
        self._kinds = list(weights)
        self._weights = [weights[k] for k in self._kinds]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._busy = threading.Condition()
        self._exchanges = 0  # requests read and not yet answered, cut or dropped
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept, name="faultproxy", daemon=True)
        self._acceptor.start()

    # -- public -----------------------------------------------------------------------------------

    def close(self) -> None:
        self._stop.set()
        _shut(self._listener)  # shutdown() wakes the thread blocked in accept(); close() alone does not
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)
        self._acceptor.join(timeout=5)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def quiet(self, timeout_s: float = 60.0) -> None:
        """Wait until no request is on its way (stalled ones delivered late included)."""
        with self._busy:
            self._busy.wait_for(lambda: self._exchanges == 0, timeout=timeout_s)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def clean(self) -> Iterator[None]:
        """Pass everything while inside."""
        before, self.faults_enabled = self.faults_enabled, False
        try:
            yield
        finally:
            self.faults_enabled = before

    def faults(self, *, attachments: bool | None = None) -> Counter[Fault]:
        """Faults applied (PASS left out), optionally only to attachment chunk transfers or only not."""
        with self._lock:
            hits = list(self.hits)
        return Counter(h.fault for h in hits if h.fault is not Fault.PASS and (attachments is None or h.attachment == attachments))

    def summary(self) -> str:
        with self._lock:
            counts = dict(self.counts)
        return ", ".join(f"{k.value}={counts.get(k, 0)}" for k in Fault)

    # -- relaying ---------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve, args=(client,), name="faultproxy-conn", daemon=True)
            with self._lock:
                self._sockets.add(client)
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _draw(self, method: str, path: str) -> tuple[Fault, float]:
        if self.target is not None and not self.target(method, path):
            return Fault.PASS, 0.0
        with self._lock:
            fault = self._rng.choices(self._kinds, self._weights)[0]
            cut = self._rng.random()  # where a cut falls, as a fraction of what could be sent
            if self._script:
                fault, at = self._script.popleft()
                cut = cut if at is None else at
        return (fault if self.faults_enabled else Fault.PASS), cut

    def _note(self, fault: Fault, method: str, path: str, request: bytes, response: bytes, status: int = 0) -> None:
        with self._lock:
            self.counts[fault] += 1
            self.hits.append(Hit(fault, method, path, len(request), len(response), status))

    def _serve(self, client: socket.socket) -> None:
        link = _Link(client)
        try:
            client.settimeout(_IDLE_S)
            while not self._stop.is_set():
                head = link.from_client.head()
                if head is None:
                    return
                with self._busy:
                    self._exchanges += 1
                try:
                    if not self._exchange(link, head):
                        return
                finally:
                    with self._busy:
                        self._exchanges -= 1
                        self._busy.notify_all()
        except (OSError, _Closed):
            return  # either side went away; the client sees a broken connection
        finally:
            for sock in (client, link.upstream):
                if sock is not None:
                    _shut(sock)
                    with self._lock:
                        self._sockets.discard(sock)

    def _exchange(self, link: _Link, head: bytes) -> bool:
        """Relay one request and its answer, or fault them; whether the connection goes on."""
        client = link.client
        body = link.from_client.body(head)
        method, path = (head.split(b" ", 2) + [b"", b""])[:2]
        method_s, path_s = method.decode("latin-1"), path.decode("latin-1")
        chosen = self.decide(method_s, path_s, body) if self.decide is not None else None
        fault, cut = (chosen, 0.0) if chosen is not None else self._draw(method_s, path_s)
        if fault is Fault.DROP:
            self._note(fault, method_s, path_s, body, b"")
            return False
        upstream, from_service = self._connect(link)
        request = head + body
        if fault is Fault.CUT_REQUEST:
            upstream.sendall(request[: _inside(len(request), cut)])
            self._note(fault, method_s, path_s, body, b"")
            return False
        if fault is Fault.STALL_REQUEST and self._stop.wait(self.stall_s):
            return False
        upstream.sendall(request)
        if self.on_forwarded is not None and self.on_forwarded(method_s, path_s):
            self._note(Fault.CUT_BEFORE_RESPONSE, method_s, path_s, body, b"")
            return False
        answer_head = from_service.head()
        if answer_head is None:
            raise _Closed("the service closed without answering")
        answer_body = from_service.body(answer_head, no_body=method == b"HEAD" or _bodiless(answer_head))
        if self.on_answered is not None and self.on_answered(method_s, path_s):
            fault = Fault.CUT_BEFORE_RESPONSE
        if fault is Fault.TRUNCATE_BODY and not answer_body:
            fault = Fault.CUT_RESPONSE_HEAD  # nothing to truncate: cut the head instead
        self._note(fault, method_s, path_s, body, answer_body, _status(answer_head))
        if fault is Fault.CUT_BEFORE_RESPONSE:
            return False
        if fault is Fault.CUT_RESPONSE_HEAD:
            client.sendall(answer_head[: _inside(len(answer_head), cut)])
            return False
        if fault is Fault.TRUNCATE_BODY:
            client.sendall(answer_head + answer_body[: _inside(len(answer_body), cut)])
            return False
        if fault is Fault.FLIP_BODY and answer_body:
            at = min(_inside(len(answer_body), cut), len(answer_body) - 1)
            answer_body = answer_body[:at] + bytes([answer_body[at] ^ 0x40]) + answer_body[at + 1 :]
        if fault is Fault.STALL_RESPONSE:
            if not self._stop.wait(self.stall_s):
                _send_quietly(client, answer_head + answer_body)  # the client gave up long ago
            return False
        if fault is Fault.STALL_REQUEST:
            _send_quietly(client, answer_head + answer_body)
            return False
        client.sendall(answer_head + answer_body)
        return not (_closes(head) or _closes(answer_head))

    def _connect(self, link: _Link) -> tuple[socket.socket, _Reader]:
        if link.upstream is None or link.from_service is None:
            link.upstream = socket.create_connection(self.upstream, timeout=_IDLE_S)
            link.upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets.add(link.upstream)
            link.from_service = _Reader(link.upstream)
        return link.upstream, link.from_service


class _Link:
    """One client connection and, once needed, its own connection to the service."""

    def __init__(self, client: socket.socket) -> None:
        self.client, self.from_client = client, _Reader(client)
        self.upstream: socket.socket | None = None
        self.from_service: _Reader | None = None


def _inside(length: int, fraction: float) -> int:
    """A cut point that sends something (when there is anything) but never all of it."""
    if length <= 1:
        return 0
    return 1 + int(fraction * (length - 1))


def _status(head: bytes) -> int:
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _bodiless(head: bytes) -> bool:
    status = head.split(b" ", 2)[1] if head.count(b" ") >= 1 else b""
    return status.startswith(b"1") or status in (b"204", b"304")


def _closes(head: bytes) -> bool:
    return _headers(head).get("connection", "").lower() == "close"


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
