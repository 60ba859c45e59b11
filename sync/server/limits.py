"""Guards in front of every route: sign-in, body size, gzip request bodies, the protocol version,
and rates.

A caller is signed in before its body is read: a stranger's request costs a header check, never
memory (parsed JSON is many times its bytes). Bodies are then read whole before a route sees them,
bounded by the route's limit (after decompression too, so a small gzip bomb is refused like a
large body) and by a deadline (a body trickled in a byte at a time would hold a connection for
ever). Requests say their protocol version.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fieldapp.sizes import size_text
from sync import protocol
from sync.server import errors

_THREAD_ABOVE = 1 << 20  # decompress bodies bigger than this off the event loop


# Paths a stranger may call: whether the service is there, enrolment (which is how a device gets
# its token) and the protocol's documentation. Every other path, unknown ones too, needs a token.
# The probes and /metrics (which checks its own token) are for the operator's tools, not devices.
_OPEN_PATHS = frozenset({
    f"{protocol.API}/status", f"{protocol.API}/enrol", f"{protocol.API}/openapi.json", "/docs", "/docs/oauth2-redirect",
    "/healthz", "/readyz", "/metrics",
})  # fmt: skip
_LARGE_BODY = "__fieldapp_large_body__"


def large_body(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a route whose body may be large (revisions, attachment chunks); every other route's
    body is small."""
    setattr(endpoint, _LARGE_BODY, True)
    return endpoint
CALLER = "fieldapp.caller"  # where the guard leaves the signed-in caller in the request's scope
ROUTE = "fieldapp.route"  # where the metrics in front leave the route they found (None: no route takes it)


async def send_error(send: Send, status: int, code: str, detail: str, **extra: object) -> None:
    body = protocol.ErrorBody(detail=detail, code=code, **extra).model_dump_json(exclude_none=True).encode()  # type: ignore[arg-type]
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.append((protocol.PROTOCOL_HEADER.lower().encode(), str(protocol.PROTOCOL_VERSION).encode()))
    retry = extra.get("retry_after_s")
    if isinstance(retry, (int, float)):
        headers.append((b"retry-after", str(max(1, round(retry))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """Checks the protocol header and the caller's token, limits and inflates request bodies,
    stamps the version on replies."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, *, small_bytes: int | None = None, body_deadline_s: float = 120.0,
        authenticate: Callable[[str, str | None], Any] | None = None, route_of: Callable[[Scope], Any | None] | None = None,
    ) -> None:  # fmt: skip
        self.app = app
        self.max_bytes = max_bytes
        self.small_bytes = min(small_bytes or max_bytes, max_bytes)
        self.body_deadline_s = body_deadline_s
        self.authenticate = authenticate  # (path, token) -> caller, or raises a ServiceError (401, 429)
        self.route_of = route_of  # the route that takes this method and path, if any

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
        route = scope[ROUTE] if ROUTE in scope else self.route_of(scope) if self.route_of is not None else None
        scope = dict(scope)
        if self.route_of is not None and route is None:
            # No route takes it: the app answers 404 or 405 without the body, so it is never read.
            await self.app(scope, _replay(b"", receive), _stamped(send))
            return
        if self.authenticate is not None and scope["path"] not in _OPEN_PATHS:
            try:
                caller = await run_in_threadpool(self.authenticate, scope["path"], headers.get("authorization"))
            except errors.ServiceError as exc:
                await send_error(send, exc.status, exc.code, exc.detail, retry_after_s=getattr(exc, "retry_after_s", None))
                return
            scope[CALLER] = caller
        large = self.route_of is None or getattr(getattr(route, "endpoint", None), _LARGE_BODY, False)
        limit = self.max_bytes if large else self.small_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        try:
            body = await asyncio.wait_for(self._read(receive, limit), self.body_deadline_s)
        except _Disconnected:
            return  # the client went away mid-body: nothing to answer, nothing half-read to act on
        except TimeoutError:
            detail = f"The request body did not arrive within {self.body_deadline_s:g} s; send it again on a better connection."
            await send_error(send, 408, protocol.E_INVALID, detail)
            return
        if body is None:
            await self._too_large(send, limit)
            return
        if encoding == "gzip":
            try:
                body = await run_in_threadpool(self._inflate, body, limit) if len(body) > _THREAD_ABOVE else self._inflate(body, limit)
            except errors.TooLarge:
                await self._too_large(send, limit)
                return
            except errors.BadRequest as exc:
                await send_error(send, 400, protocol.E_INVALID, exc.detail)
                return
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in (b"content-encoding", b"content-length")]
        scope["headers"].append((b"content-length", str(len(body)).encode()))
        await self.app(scope, _replay(body, receive), _stamped(send))

    @staticmethod
    async def _read(receive: Receive, limit: int) -> bytes | None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            body += message.get("body", b"")
            if len(body) > limit:
                return None
            if not message.get("more_body", False):
                return bytes(body)

    @staticmethod
    def _inflate(body: bytes, limit: int) -> bytes:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise errors.BadRequest("The request body says gzip but is not valid gzip.") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise errors.TooLarge("", limit=limit)
        if not inflater.eof:
            raise errors.BadRequest("The gzip request body ends early (cut off on the way?); send it again.")
        return out

    @staticmethod
    async def _too_large(send: Send, limit: int) -> None:
        detail = f"The request is larger than the service accepts ({size_text(limit)}); send smaller batches."
        await send_error(send, 413, protocol.E_TOO_LARGE, detail, limit=limit)


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


def error_json(error: errors.ServiceError) -> bytes:
    extra = {}
    if isinstance(error, errors.TooLarge):
        extra["limit"] = error.limit
    if isinstance(error, (errors.RateLimited, errors.Unavailable)):
        extra["retry_after_s"] = error.retry_after_s
    return json.dumps({"detail": error.detail, "code": error.code, **extra}).encode()
