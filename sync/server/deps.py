"""What routes take besides their body, as `Annotated` aliases: the service, the signed-in device
(or office token), checked path parameters and the features header; with the error responses every route declares
and the one way routes answer with a model they built."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.responses import Response

from sync import protocol
from sync.server import errors, identity, office
from sync.server.limits import CALLER
from sync.server.service import Service

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": protocol.ErrorBody} for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
}


def service_of(request: Request) -> Service:
    """The Service the app was made with."""
    return request.app.state.service


async def _service(request: Request) -> Service:
    # async, so that FastAPI calls it on the event loop: a plain def would cost a thread per request.
    return service_of(request)


def _caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> identity.Caller:
    # The guard signed the caller in before reading the body; the header parameter stays so
    # that the OpenAPI document says these routes take a token.
    who = request.scope.get(CALLER)
    who = who if who is not None else service_of(request).sign_in(authorization)
    if not isinstance(who, identity.Caller):  # an office token on a device's route: never
        raise errors.Unauthenticated(errors.BAD_TOKEN)
    return who


def _office(request: Request, authorization: Annotated[str | None, Header()] = None) -> office.OfficeCaller:
    # As _caller, for the office's routes: the guard signed in an office token for their paths.
    who = request.scope.get(CALLER)
    who = who if who is not None else service_of(request).sign_in_office(authorization)
    if not isinstance(who, office.OfficeCaller):  # a device's token on an office route: never
        raise errors.Unauthenticated(errors.BAD_OFFICE_TOKEN)
    return who


def _revoked(request: Request, authorization: Annotated[str | None, Header()] = None) -> identity.RevokedCaller:
    # As _caller, for the wipe confirmation: the guard signed in a revoked device's token for its path.
    who = request.scope.get(CALLER)
    who = who if who is not None else service_of(request).sign_in_revoked(authorization)
    if not isinstance(who, identity.RevokedCaller):
        raise errors.Unauthenticated(errors.BAD_TOKEN)
    return who


ServiceDep = Annotated[Service, Depends(_service)]
CurrentDevice = Annotated[identity.Caller, Depends(_caller)]
RevokedDevice = Annotated[identity.RevokedCaller, Depends(_revoked)]
CurrentOffice = Annotated[office.OfficeCaller, Depends(_office)]
Sha256 = Annotated[str, Path(pattern=protocol.HEX64_PATTERN)]
ChunkIndex = Annotated[int, Path(ge=0, le=1_000_000)]
AssessmentId = Annotated[str, Path(pattern=protocol.UUID_PATTERN)]
ConcernId = Annotated[str, Path(pattern=protocol.UUID_PATTERN)]
FrameworkKey = Annotated[str, Path(pattern=protocol.FRAMEWORK_KEY_PATTERN)]
Features = Annotated[str, Header(alias=protocol.FEATURES_HEADER, max_length=1000)]  # see protocol.FEATURES_HEADER


def named(features: str) -> set[str]:
    """The features a client named in protocol.FEATURES_HEADER."""
    return {name.strip() for name in features.split(",")}


def json_answer(model: protocol.Wire, *, exclude_none: bool = False, exclude: set[str] | dict[str, Any] | None = None) -> Response:
    """A model the service built from checked rows, serialised once: FastAPI would otherwise check
    it again against its response_model (every id and body of a 1,000-revision page) before
    sending. The response_model stays on the route for the OpenAPI document."""
    return Response(model.model_dump_json(exclude_none=exclude_none, exclude=exclude), media_type="application/json")
