"""Frameworks: a version's document, as the app loads it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sync import protocol
from sync.server import frameworks
from sync.server.deps import ERRORS, CurrentDevice, FrameworkKey, ServiceDep

router = APIRouter(prefix=protocol.API, tags=["sync"], responses=ERRORS)


@router.get("/frameworks/{key}")
def framework(key: FrameworkKey, _who: CurrentDevice, service: ServiceDep) -> Response:
    """A framework version as the JSON document the app loads."""
    with service.reading() as session:
        return Response(frameworks.document(session=session, key=key), media_type="application/json")
