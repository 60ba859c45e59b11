"""Items: records fetched again whole, after retention removed their content from a laptop (issue 16)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sync import protocol
from sync.server import items
from sync.server.deps import ERRORS, CurrentDevice, Features, ServiceDep, json_answer, named

router = APIRouter(prefix=protocol.API, tags=["sync"], responses=ERRORS)


@router.post("/items", response_model=protocol.ItemsResponse)
def fetch_items(body: protocol.ItemsRequest, who: CurrentDevice, service: ServiceDep, features: Features = "") -> Response:
    """Every revision of these records of this device's assessments, with their signers (404 for any other id)."""
    apart = protocol.F_DEVICE_INSPECTOR in named(features)
    with service.reading_rows() as connection:
        answer = items.revisions_of(connection=connection, caller=who, request=body, inspector_apart=apart)
    return json_answer(answer, exclude_none=not apart)
