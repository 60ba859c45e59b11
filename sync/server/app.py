"""The service as a FastAPI app: `create_app(settings)` with its middleware, its one place for
errors, and the routes of `sync.server.routes`.

Routes parse (pydantic, from `sync.protocol`), call a service function inside one transaction,
and return; a write is committed before its answer is sent, so an acknowledgement means stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.routing import Match
from starlette.types import Scope

from fieldapp import logs
from sync import protocol
from sync.server import errors, metrics, sealing
from sync.server.deps import service_of
from sync.server.limits import RequestGuard
from sync.server.routes import ROUTERS
from sync.server.service import Service
from sync.server.settings import Settings

log = logging.getLogger("fieldapp.server")
STORED_EVIDENCE_ALTERED = "The service's stored evidence failed its integrity check, so nothing was sent; tell the service's administrator."


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    service = Service(settings or Settings(), migrate=migrate)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        service.engine.dispose()

    app = FastAPI(
        title="fieldapp central service",
        version=f"protocol {protocol.PROTOCOL_VERSION}",
        summary="Stores inspectors' signed evidence revisions and attachments, and serves them to their teams.",
        openapi_url=f"{protocol.API}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.metrics = metrics.registry(service)
    app.add_middleware(
        GZipMiddleware, minimum_size=1024, compresslevel=5,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream"),
    )  # fmt: skip
    limits, route_of = service.settings.limits, _route_finder(app)
    app.add_middleware(
        RequestGuard, max_bytes=limits.max_request_bytes, small_bytes=limits.small_request_bytes,
        body_deadline_s=limits.body_deadline_s, authenticate=service.sign_in_at, route_of=route_of,
    )  # fmt: skip
    app.add_middleware(metrics.RequestMetrics, route_of=route_of)  # outermost: it counts what the guard refuses too
    _add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _route_finder(app: FastAPI) -> Callable[[Scope], Any | None]:
    """The route that takes a request's method and path, for the guard to read its body limit.

    An included router sits in `app.router.routes` as one wrapper (FastAPI includes routers
    lazily), which neither names the endpoint nor matches like it: `iter_route_contexts` opens
    the wrappers into each route as included, with its prefix and its endpoint."""

    def route_of(scope: Scope) -> Any | None:
        return next((route for route in iter_route_contexts(app.router.routes) if route.matches(scope)[0] == Match.FULL), None)

    return route_of


def _methods_at(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route takes at this request's path, for a 405's `Allow`."""
    routes = (route for route in iter_route_contexts(app.router.routes) if route.matches(scope)[0] != Match.NONE)
    return sorted({method for route in routes for method in getattr(route, "methods", None) or ()})


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.ServiceError)
    async def service_error(_request: Request, exc: errors.ServiceError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "too_long" and tuple(e.get("loc", ())) == ("body", "revisions") for e in exc.errors()):
            limit = min(protocol.MAX_BATCH, service_of(request).settings.limits.max_batch)
            return _error(errors.TooLarge(f"At most {limit} revisions in one push.", limit=limit))
        if any(e.get("type") == "too_long" and tuple(e.get("loc", ())) == ("body", "entries") for e in exc.errors()):
            return _error(errors.TooLarge(f"At most {protocol.MAX_AUDIT_BATCH} audit entries in one push.", limit=protocol.MAX_AUDIT_BATCH))
        if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body", "proof") for e in exc.errors()):
            return _error(errors.BadRequest(errors.NO_PROOF, code=protocol.E_PROTOCOL))  # an app from before issue 17
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()[:5])
        return _error(errors.Invalid(f"The request is not valid: {problems}"[:2000]))

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own answers (no such path, or method) and FastAPI's body parser, as an ErrorBody.
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            return _error(errors.Invalid("The request body cannot be read as JSON: not UTF-8, nested too deeply, or a number too long."))
        code = protocol.E_NOT_FOUND if exc.status_code == 404 else protocol.E_INVALID
        body = protocol.ErrorBody(detail=f"{exc.detail}: {request.method} {request.url.path[:200]}", code=code)
        headers = exc.headers
        if exc.status_code == 405:  # Starlette's names only the first route of the path's methods
            headers = {**(headers or {}), "Allow": ", ".join(_methods_at(app, request.scope))}
        return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status_code, headers=headers)

    @app.exception_handler(sealing.SealError)
    async def unsealable(_request: Request, exc: sealing.SealError) -> JSONResponse:
        log.error("%s", exc)  # its words name no evidence
        body = protocol.ErrorBody(detail=STORED_EVIDENCE_ALTERED, code="internal")
        return JSONResponse(body.model_dump(exclude_none=True), status_code=500)

    @app.exception_handler(sa.exc.OperationalError)
    async def database_busy(_request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        log.warning("database refused a request: %s", logs.kind_of(exc.orig))  # never its words: they may quote values
        return _error(errors.Unavailable("The service's database is busy or out of space; nothing was stored. Try again shortly."))

    @app.exception_handler(sa.exc.IntegrityError)
    async def lost_race(_request: Request, exc: sa.exc.IntegrityError) -> JSONResponse:
        # Two requests made the same new thing at once (a device id, an offered assessment): on
        # PostgreSQL the second meets the first's unique key. It rolled back; trying again settles it.
        log.warning("a write lost a race: %s", logs.kind_of(exc.orig))  # a key's values (a name) are in its words
        return _error(errors.Unavailable("Another request made the same thing at the same moment; nothing was stored. Try again.", retry_after_s=1))


def _error(exc: errors.ServiceError) -> JSONResponse:
    body = protocol.ErrorBody(
        detail=exc.detail, code=exc.code,
        retry_after_s=getattr(exc, "retry_after_s", None), limit=getattr(exc, "limit", None),
    )  # fmt: skip
    headers = {}
    if body.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(body.retry_after_s)))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status, headers=headers)
