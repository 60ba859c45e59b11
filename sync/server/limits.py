"""Guards in front of every route: body size, gzip request bodies, the protocol version, and rates.

Bodies are read whole before a route sees them (bounded by the limit, after decompression too,
so a small gzip bomb is refused like a large body); requests say their protocol version.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import OrderedDict

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import protocol
from sync.server import errors

_THREAD_ABOVE = 1 << 20  # decompress bodies bigger than this off the event loop


async def send_error(send: Send, status: int, code: str, detail: str, **extra: object) -> None:
    body = protocol.ErrorBody(detail=detail, code=code, **extra).model_dump_json(exclude_none=True).encode()  # type: ignore[arg-type]
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.append((protocol.PROTOCOL_HEADER.lower().encode(), str(protocol.PROTOCOL_VERSION).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """Checks the protocol header, limits and inflates request bodies, stamps the version on replies."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        spoken = headers.get(protocol.PROTOCOL_HEADER)
        if spoken is not None and spoken.strip() != str(protocol.PROTOCOL_VERSION):
            detail = f"This app speaks sync protocol {spoken[:20]!r}; the service speaks {protocol.PROTOCOL_VERSION}. Update the app."
            await send_error(send, 400, protocol.E_PROTOCOL, detail)
            return
        encoding = headers.get("content-encoding", "identity").strip().lower() or "identity"
        if encoding not in ("identity", "gzip"):
            await send_error(send, 415, protocol.E_UNSUPPORTED_ENCODING, f"Request bodies may be gzip or plain, not {encoding[:40]!r}.")
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        try:
            body = await self._read(receive)
        except _Disconnected:
            return  # the client went away mid-body: nothing to answer, nothing half-read to act on
        if body is None:
            await self._too_large(send)
            return
        if encoding == "gzip":
            try:
                body = await run_in_threadpool(self._inflate, body) if len(body) > _THREAD_ABOVE else self._inflate(body)
            except errors.TooLarge:
                await self._too_large(send)
                return
            except errors.BadRequest as exc:
                await send_error(send, 400, protocol.E_INVALID, exc.detail)
                return
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in (b"content-encoding", b"content-length")]
        scope["headers"].append((b"content-length", str(len(body)).encode()))
        await self.app(scope, _replay(body, receive), _stamped(send))

    async def _read(self, receive: Receive) -> bytes | None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return bytes(body)

    def _inflate(self, body: bytes) -> bytes:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out = inflater.decompress(body, self.max_bytes + 1)
        except zlib.error:
            raise errors.BadRequest("The request body says gzip but is not valid gzip.") from None
        if len(out) > self.max_bytes or inflater.unconsumed_tail:
            raise errors.TooLarge("", limit=self.max_bytes)
        if not inflater.eof:
            raise errors.BadRequest("The gzip request body ends early (cut off on the way?); send it again.")
        return out

    async def _too_large(self, send: Send) -> None:
        detail = f"The request is larger than the service accepts ({self.max_bytes:,} bytes); send smaller batches."
        await send_error(send, 413, protocol.E_TOO_LARGE, detail, limit=self.max_bytes)


class _Disconnected(Exception):
    pass


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _stamped(send: Send) -> Send:
    async def stamped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = list(message.get("headers", [])) + [
                (protocol.PROTOCOL_HEADER.lower().encode(), str(protocol.PROTOCOL_VERSION).encode())
            ]
        await send(message)

    return stamped


class RateLimiter:
    """Token buckets by key (a device, or a client address for enrolment); the oldest keys are
    forgotten beyond `max_keys`, so memory stays bounded. Per process: behind a load balancer
    each worker counts alone, which makes the limit approximate, never absent."""

    def __init__(self, rate_per_s: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate_per_s, burst, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float | None:
        """None when allowed; else the seconds to wait before trying again."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= cost
            self._buckets[key] = (tokens - cost if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return None if allowed else round((cost - tokens) / self.rate, 2)


def error_json(error: errors.ServiceError) -> bytes:
    extra = {}
    if isinstance(error, errors.TooLarge):
        extra["limit"] = error.limit
    if isinstance(error, (errors.RateLimited, errors.Unavailable)):
        extra["retry_after_s"] = error.retry_after_s
    return json.dumps({"detail": error.detail, "code": error.code, **extra}).encode()
