"""The real service app in this process, behind a requests adapter: the sync client's transport
runs unchanged (retries, bounds, gzip, refused redirects) while only the socket is left out.

The app runs on an event loop in a thread of its own, its lifespan started once; each request is
handed over as ASGI messages and its answer streamed back as the raw body urllib3 would read.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

log = logging.getLogger("tests.inprocess")
_PIECE = 64 << 10  # a request body is handed to the app in pieces of this size, as a socket would
_END, _CUT = object(), object()  # the answer's last piece arrived; the app stopped part-way through it
_NO_BODY_STATUSES = {204, 304}
Message = dict[str, Any]


class AsgiAdapter(requests.adapters.BaseAdapter):
    """Sends requests to an ASGI app on its own event loop; answers come back as requests gives
    them over a socket: status, headers (with the framing an HTTP/1.1 server adds), a raw stream."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self._app = app
        self._ports = itertools.count(40000)  # a client port per request, as each connection has one
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="in-process service", daemon=True)
        self._thread.start()
        self._lifespan = _Lifespan(app, self._loop)
        self._lifespan.start()
        self._stopped = False

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, verify: Any = True,
        cert: Any = None, proxies: Any = None,
    ) -> requests.Response:  # fmt: skip
        if self._stopped:
            raise requests.exceptions.ConnectionError("Connection refused: the in-process service has stopped", request=request)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        exchange = _Exchange(request, self._loop, read_timeout)
        future = asyncio.run_coroutine_threadsafe(self._app(self._scope(request), exchange.receive, exchange.send), self._loop)
        future.add_done_callback(exchange.app_finished)
        status, headers = exchange.wait_for_head(request)
        raw = urllib3.HTTPResponse(
            body=exchange, headers=headers, status=status, version=11, version_string="HTTP/1.1", preload_content=False,
            decode_content=False, request_method=request.method, request_url=request.url, enforce_content_length=True,
        )  # fmt: skip
        return _response(request, raw, self)

    def close(self) -> None:
        """Nothing: every transport's session closes its adapters, and this one serves them all."""

    def stop(self) -> None:
        """The app's lifespan shut down (its engine disposed), and the loop ended."""
        self._stopped = True
        self._lifespan.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _scope(self, request: requests.PreparedRequest) -> Message:
        url = urlsplit(request.url or "")
        # A server's parser drops the whitespace around a header's value ("Bearer " arrives as "Bearer").
        headers = [(str(k).lower().encode("latin-1"), _bytes(v).strip(b" \t")) for k, v in request.headers.items()]
        if not any(k == b"host" for k, _ in headers):
            headers.insert(0, (b"host", url.netloc.encode("ascii")))  # added by http.client on a socket
        return {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": request.method, "scheme": url.scheme, "path": requests.utils.unquote(url.path),
            "raw_path": url.path.encode("ascii"), "query_string": url.query.encode("ascii"), "root_path": "",
            "headers": headers, "client": ("127.0.0.1", next(self._ports)), "server": (url.hostname, url.port or 80),
            "state": dict(self._lifespan.state),
        }  # fmt: skip


class _Exchange:
    """One request and its answer, between the caller's thread and the app's loop; also the file
    urllib3 reads the answer's body from."""

    def __init__(self, request: requests.PreparedRequest, loop: asyncio.AbstractEventLoop, read_timeout: float | None) -> None:
        self._loop, self._timeout = loop, read_timeout
        self._body, self._blocking = _pieces(request.body)
        self._head: Future[tuple[int, urllib3.HTTPHeaderDict]] = Future()
        self._pieces: queue.Queue[object] = queue.Queue()
        self._gone = asyncio.Event()  # the caller closed the answer, or the app finished it
        self._head_only = request.method == "HEAD"
        self._ended = False
        self._left = b""  # what a short read left of the last piece
        self.closed = False

    # -- the app's side (on the loop) -------------------------------------------------------------

    async def receive(self) -> Message:
        piece = await asyncio.to_thread(next, self._body, None) if self._blocking else next(self._body, None)
        if piece is not None:
            return {"type": "http.request", "body": piece, "more_body": True}
        if not self._ended:
            self._ended = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()  # as a server does: "disconnected" only once the caller is gone
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._head.set_result((message["status"], _framed(message, self._head_only)))
        elif message["type"] == "http.response.body" and not self._gone.is_set():
            if message.get("body") and not self._head_only:
                self._pieces.put(bytes(message["body"]))
            if not message.get("more_body", False):
                self._pieces.put(_END)
                self._gone.set()

    def app_finished(self, future: Future[None]) -> None:
        failure = None if future.cancelled() else future.exception()
        if failure is not None:
            log.error("the service failed on a request", exc_info=failure)
        if not self._head.done():
            # What uvicorn answers for an app that failed (or said nothing) before its answer began.
            text = b"Internal Server Error"
            headers = urllib3.HTTPHeaderDict({"content-type": "text/plain; charset=utf-8", "content-length": str(len(text))})
            self._head.set_result((500, headers))
            self._pieces.put(text)
        self._pieces.put(_CUT)  # after _END this is never read; before it, the connection was cut

    # -- the caller's side ----------------------------------------------------------------------

    def wait_for_head(self, request: requests.PreparedRequest) -> tuple[int, urllib3.HTTPHeaderDict]:
        try:
            return self._head.result(timeout=self._timeout)
        except TimeoutError:
            self.close()
            raise requests.exceptions.ReadTimeout(f"the in-process service did not answer in {self._timeout} s", request=request) from None

    def read(self, amt: int | None = None) -> bytes:
        if self.closed:
            return b""
        if self._left:
            cut = len(self._left) if amt is None else amt
            piece, self._left = self._left[:cut], self._left[cut:]
            return piece
        try:
            piece = self._pieces.get(timeout=self._timeout)
        except queue.Empty:
            raise urllib3.exceptions.ReadTimeoutError(None, None, "the in-process service stopped sending") from None  # type: ignore[arg-type]
        if piece is _END or piece is _CUT:
            self.close()
            if piece is _CUT:
                raise urllib3.exceptions.ProtocolError("the connection was cut off before the answer ended")
            return b""
        assert isinstance(piece, bytes)
        if amt is not None and len(piece) > amt:
            piece, self._left = piece[:amt], piece[amt:]
        return piece

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._loop.call_soon_threadsafe(self._gone.set)


class _Lifespan:
    """The app's startup and shutdown, through the ASGI lifespan messages."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._app, self._loop = app, loop
        self.state: dict[str, Any] = {}
        self._events: asyncio.Queue[Message] | None = None
        self._replies: queue.Queue[Message] = queue.Queue()
        self._task: Future[None] | None = None

    def start(self) -> None:
        async def run() -> None:
            self._events = asyncio.Queue()
            self._events.put_nowait({"type": "lifespan.startup"})
            scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
            await self._app(scope, self._events.get, self._reply)

        self._task = asyncio.run_coroutine_threadsafe(run(), self._loop)
        self._expect("lifespan.startup.complete")

    def stop(self) -> None:
        assert self._events is not None
        self._loop.call_soon_threadsafe(self._events.put_nowait, {"type": "lifespan.shutdown"})
        self._expect("lifespan.shutdown.complete")

    async def _reply(self, message: Message) -> None:
        self._replies.put(message)

    def _expect(self, kind: str) -> None:
        message = self._replies.get(timeout=30)
        if message["type"] != kind:
            raise RuntimeError(f"the in-process service did not start or stop: {message}")


def _pieces(body: bytes | str | Iterable[bytes] | None) -> tuple[Iterator[bytes], bool]:
    """The request body as pieces, and whether reading them may block (a generator the caller made)."""
    if body is None:
        return iter(()), False
    if isinstance(body, (bytes, str)):
        data = body.encode("utf-8") if isinstance(body, str) else body
        return (data[i : i + _PIECE] for i in range(0, len(data), _PIECE)), False
    return (bytes(piece) for piece in body if piece), True


def _framed(start: Message, head_only: bool) -> urllib3.HTTPHeaderDict:
    """The app's headers, with the framing an HTTP/1.1 server adds on the wire: an answer of
    unknown length goes chunked."""
    headers = urllib3.HTTPHeaderDict()
    for key, value in start.get("headers", []):
        headers.add(key.decode("latin-1"), value.decode("latin-1"))
    status = start["status"]
    if "content-length" not in headers and status >= 200 and status not in _NO_BODY_STATUSES and not head_only:
        headers["transfer-encoding"] = "chunked"
    return headers


def _response(request: requests.PreparedRequest, raw: urllib3.HTTPResponse, adapter: AsgiAdapter) -> requests.Response:
    # What requests' own HTTPAdapter makes of a urllib3 answer (cookies aside: the service sets none).
    response = requests.Response()
    response.status_code = raw.status
    response.headers = CaseInsensitiveDict(raw.headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = raw
    response.reason = raw.reason or ""
    response.url = request.url or ""
    response.request = request
    response.connection = adapter  # type: ignore[attr-defined]
    return response


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


@contextmanager
def serving(app: Any) -> Iterator[AsgiAdapter]:
    """An adapter for the app, its lifespan started; stopped after."""
    adapter = AsgiAdapter(app)
    try:
        yield adapter
    finally:
        adapter.stop()
