"""For the operator's tools, not devices (no device token; left out of the protocol's OpenAPI
document): `/healthz` (the process answers), `/readyz` (what it needs answers too) and `/metrics`
(Prometheus, behind a bearer token of its own)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sync.server import errors, identity
from sync.server.deps import ServiceDep

router = APIRouter(include_in_schema=False)
METRICS_OFF = "Metrics are off: the service's administrator turns them on with a token file (docs/deployment.md)."
NO_METRICS_TOKEN = "Sign-in needed: /metrics takes the metrics token (Authorization: Bearer …)."
BAD_METRICS_TOKEN = "That is not the metrics token."


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers: nothing else is asked (a restart would not mend a database that is down)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(service: ServiceDep) -> JSONResponse:
    """Whether the database, the blob store and (when configured) Redis answer: 200, or 503 naming
    which do not, and nothing more (the reasons go to the service's log)."""
    failing = service.unready()
    if failing:
        return JSONResponse({"status": "not ready", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
def metrics(request: Request, service: ServiceDep, authorization: Annotated[str | None, Header()] = None) -> Response:
    """The Prometheus text exposition, for the bearer of the metrics token only."""
    expected = service.settings.metrics_token
    if expected is None:
        raise errors.NotFoundError(METRICS_OFF)
    if not hmac.compare_digest(identity.bearer(authorization, missing=NO_METRICS_TOKEN).encode(), expected.encode()):
        raise errors.Unauthenticated(BAD_METRICS_TOKEN)
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
