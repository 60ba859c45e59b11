"""The service as a FastAPI app: `create_app(settings)`, thin routes, and one place for errors.

Routes parse (pydantic, from `sync.protocol`), call a service function inside one transaction,
and return; a write is committed before its answer is sent, so an acknowledgement means stored.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.routing import Match

from fieldapp.ids import iso, utcnow
from sync import protocol
from sync.server import admin, blobs, db, errors, frameworks, identity, migrations, pull, push
from sync.server.limits import CALLER, RateLimiter, RequestGuard, large_body
from sync.server.settings import Settings, instance_id

log = logging.getLogger("fieldapp.server")
Sha256 = Annotated[str, Path(pattern=protocol.HEX64_PATTERN)]
ChunkIndex = Annotated[int, Path(ge=0, le=1_000_000)]
AssessmentId = Annotated[str, Path(pattern=protocol.UUID_PATTERN)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": protocol.ErrorBody} for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
}


class Service:
    """What routes share: settings, engines, the blob folder and the rate limiters."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.instance = instance_id(settings.data_dir)
        self.engine = db.create_engine(settings.url)
        self.writer = db.writer(self.engine)
        self.blobs = blobs.BlobFolder(settings.blobs_dir)
        self.device_rate = RateLimiter(settings.limits.requests_per_s, settings.limits.burst)
        self._write_turn = db.write_turn(self.engine)
        self.enrol_rate = RateLimiter(settings.limits.enrol_per_minute / 60, settings.limits.enrol_per_minute)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    @contextmanager
    def reading_rows(self) -> Iterator[sa.Connection]:
        """A read transaction on a bare connection, for the routes on every sync's path (sign-in,
        pull): they read rows, not objects, and a Session would only add its own bookkeeping."""
        with self.engine.begin() as connection:
            yield connection

    def sign_in(self, authorization: str | None) -> identity.Caller:
        """The device a token belongs to, within its rate; else 401 or 429."""
        with self.reading_rows() as connection:
            who = identity.authenticate(connection, authorization)
        wait = self.device_rate.take(who.device_id)
        if wait is not None:
            raise errors.RateLimited(f"Too many requests from this device; wait {wait:g} s.", retry_after_s=wait)
        return who

    @contextmanager
    def writing(self) -> Iterator[Session]:
        # SQLite takes one writer at a time: writers queue on db.WriteTurn instead of its busy handler.
        with self._write_turn, Session(self.writer) as session, session.begin():
            yield session

    @contextmanager
    def writing_rows(self) -> Iterator[sa.Connection]:
        """A write transaction on a bare connection (as writing() takes its turn), for push."""
        with self._write_turn, self.writer.begin() as connection:
            yield connection


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    service = Service(settings or Settings())
    if migrate:
        migrations.upgrade(service.engine)

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
    app.add_middleware(
        GZipMiddleware, minimum_size=1024, compresslevel=5,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream"),
    )  # fmt: skip
    limits = service.settings.limits
    app.add_middleware(
        RequestGuard, max_bytes=limits.max_request_bytes, small_bytes=limits.small_request_bytes,
        body_deadline_s=limits.body_deadline_s, authenticate=service.sign_in,
        route_of=lambda scope: next((route for route in app.router.routes if route.matches(scope)[0] == Match.FULL), None),
    )  # fmt: skip
    _add_error_handlers(app)
    _add_routes(app, service)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.ServiceError)
    async def service_error(_request: Request, exc: errors.ServiceError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "too_long" and tuple(e.get("loc", ())) == ("body", "revisions") for e in exc.errors()):
            limit = min(protocol.MAX_BATCH, _service(request).settings.limits.max_batch)
            return _error(errors.TooLarge(f"At most {limit} revisions in one push.", limit=limit))
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()[:5])
        return _error(errors.Invalid(f"The request is not valid: {problems}"[:2000]))

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own answers (no such path, or method) and FastAPI's body parser, as an ErrorBody.
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            return _error(errors.Invalid("The request body cannot be read as JSON: not UTF-8, nested too deeply, or a number too long."))
        code = protocol.E_NOT_FOUND if exc.status_code == 404 else protocol.E_INVALID
        body = protocol.ErrorBody(detail=f"{exc.detail}: {request.method} {request.url.path[:200]}", code=code)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(sa.exc.OperationalError)
    async def database_busy(_request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        log.warning("database refused a request: %s", exc.orig)
        return _error(errors.Unavailable("The service's database is busy or out of space; nothing was stored. Try again shortly."))

    @app.exception_handler(sa.exc.IntegrityError)
    async def lost_race(_request: Request, exc: sa.exc.IntegrityError) -> JSONResponse:
        # Two requests made the same new thing at once (a device id, an offered assessment): on
        # PostgreSQL the second meets the first's unique key. It rolled back; trying again settles it.
        log.warning("a write lost a race: %s", exc.orig)
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


def _service(request: Request) -> Service:
    return request.app.state.service


def _caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> identity.Caller:
    # The guard signed the caller in before reading the body; the header parameter stays so
    # that the OpenAPI document says these routes take a token.
    who = request.scope.get(CALLER)
    return who if who is not None else _service(request).sign_in(authorization)


CurrentDevice = Annotated[identity.Caller, Depends(_caller)]
Features = Annotated[str, Header(alias=protocol.FEATURES_HEADER, max_length=1000)]  # see protocol.FEATURES_HEADER


def _add_routes(app: FastAPI, service: Service) -> None:  # noqa: C901 - one flat list of thin routes
    @app.get(f"{protocol.API}/status", response_model=protocol.ServiceStatus, tags=["service"])
    def status(response: Response) -> protocol.ServiceStatus:
        """Whether the service is there and which protocol it speaks (no sign-in needed). Its
        `Fieldapp-Instance` header names the data folder it runs on (a random id kept there)."""
        response.headers[protocol.INSTANCE_HEADER] = service.instance
        return protocol.ServiceStatus(time=iso(utcnow()))

    @app.post(f"{protocol.API}/enrol", response_model=protocol.EnrolResponse, responses=_ERRORS, tags=["devices"])
    def enrol(request: Request, body: protocol.EnrolRequest) -> protocol.EnrolResponse:
        """Spend a one-time code: register this device's public key, receive its token."""
        wait = service.enrol_rate.take(request.client.host if request.client else "?")
        if wait is not None:
            raise errors.RateLimited(f"Too many enrolment attempts from here; wait {wait:g} s.", retry_after_s=wait)
        with service.writing() as session:
            return identity.enrol(session, body)

    @app.put(f"{protocol.API}/assessments/{{assessment_id}}", response_model=protocol.Assessment, responses=_ERRORS, tags=["sync"])
    def offer_assessment(assessment_id: AssessmentId, body: protocol.AssessmentProposal, who: CurrentDevice) -> protocol.Assessment:
        """Offer an assessment first made on a laptop (only inspectors allowed to create them)."""
        with service.writing() as session:
            return admin.offer_assessment(session, who, assessment_id, body)

    @app.post(f"{protocol.API}/push", response_model=protocol.PushResponse, responses=_ERRORS, tags=["sync"])
    @large_body
    def push_revisions(body: protocol.PushRequest, who: CurrentDevice) -> Response:
        """Store signed revisions once each; rejected ones say why, the rest are stored."""
        if len(body.revisions) > service.settings.limits.max_batch:
            raise errors.TooLarge(f"At most {service.settings.limits.max_batch} revisions in one push.", limit=service.settings.limits.max_batch)
        incoming = push.prepare(caller=who, batch=body)  # outside the write lock: it is most of the work
        with service.writing_rows() as connection:
            answer = push.accept_prepared(connection=connection, caller=who, incoming=incoming)
        return _json(answer)

    @app.post(f"{protocol.API}/pull", response_model=protocol.PullResponse, responses=_ERRORS, tags=["sync"])
    def pull_changes(body: protocol.PullRequest, who: CurrentDevice, features: Features = "") -> Response:
        """Changes since the cursor: revisions of this device's assessments, their signers, assessments, frameworks."""
        apart = protocol.F_DEVICE_INSPECTOR in _named(features)
        with service.reading_rows() as connection:
            answer = pull.changes_since(connection=connection, caller=who, request=body, inspector_apart=apart)
        # Without the feature no device has an inspector: leave the field out, as older clients refuse it.
        return _json(answer, exclude_none=not apart)

    @app.get(f"{protocol.API}/frameworks/{{key}}", responses=_ERRORS, tags=["sync"])
    def framework(key: Annotated[str, Path(pattern=protocol.FRAMEWORK_KEY_PATTERN)], _who: CurrentDevice) -> Response:
        """A framework version as the JSON document the app loads."""
        with service.reading() as session:
            return Response(frameworks.document(session, key), media_type="application/json")

    @app.get(f"{protocol.API}/blobs/{{sha256}}", response_model=protocol.BlobStatus, responses=_ERRORS, tags=["attachments"])
    def blob_status(sha256: Sha256, who: CurrentDevice) -> protocol.BlobStatus:
        """Which chunks of an attachment the service holds (for this device's upload), and whether it is whole."""
        with service.reading() as session:
            return blobs.status(session=session, caller=who, folder=service.blobs, sha256=sha256, chunk_size=service.settings.chunk_size)

    @app.put(
        f"{protocol.API}/blobs/{{sha256}}/chunks/{{index}}",
        response_model=protocol.ChunkReceipt,
        responses=_ERRORS,
        tags=["attachments"],
        openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    )
    @large_body
    async def put_chunk(
        request: Request, sha256: Sha256, index: ChunkIndex, who: CurrentDevice,
        chunk_sha256: Annotated[str | None, Header(alias="X-Chunk-SHA256", pattern=protocol.HEX64_PATTERN)] = None,
    ) -> protocol.ChunkReceipt:  # fmt: skip
        """One chunk of an attachment; the last one makes the service check the whole file."""
        data = await request.body()

        def store() -> protocol.ChunkReceipt:
            limits = service.settings.limits
            service.blobs.sweep_if_due(max_age_s=limits.staging_max_age_s, every_s=limits.staging_sweep_every_s)
            # Given both ways in, not one session: the bytes are written and hashed between them,
            # so one device's upload does not hold up every other writer.
            return blobs.put_chunk(
                reading=service.reading, writing=service.writing, caller=who, folder=service.blobs, sha256=sha256,
                index=index, data=data, declared_sha256=chunk_sha256, chunk_size=service.settings.chunk_size,
                staging_quota=limits.staging_per_device_bytes,
            )  # fmt: skip

        return await run_in_threadpool(store)

    @app.get(
        f"{protocol.API}/blobs/{{sha256}}/chunks/{{index}}",
        responses={**_ERRORS, 200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
        response_class=Response,
        tags=["attachments"],
    )
    def get_chunk(sha256: Sha256, index: ChunkIndex, who: CurrentDevice) -> Response:
        """One chunk of a whole attachment."""
        with service.reading() as session:
            data = blobs.get_chunk(session=session, caller=who, folder=service.blobs, sha256=sha256, index=index)
        return Response(data, media_type="application/octet-stream", headers={"X-Chunk-SHA256": _sha256(data)})


def _json(model: protocol.Wire, *, exclude_none: bool = False) -> Response:
    """A model the service built from checked rows, serialised once: FastAPI would otherwise check
    it again against its response_model (every id and body of a 1,000-revision page) before
    sending. The response_model stays on the route for the OpenAPI document."""
    return Response(model.model_dump_json(exclude_none=exclude_none), media_type="application/json")


def _named(features: str) -> set[str]:
    """The features a client named in protocol.FEATURES_HEADER."""
    return {name.strip() for name in features.split(",")}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
