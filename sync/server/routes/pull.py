"""Pull: what changed since a device's cursor, a page at a time."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sync import protocol
from sync.server import pull
from sync.server.deps import ERRORS, CurrentDevice, Features, ServiceDep, json_answer, named

router = APIRouter(prefix=protocol.API, tags=["sync"], responses=ERRORS)


@router.post("/pull", response_model=protocol.PullResponse)
def pull_changes(body: protocol.PullRequest, who: CurrentDevice, service: ServiceDep, features: Features = "") -> Response:
    """Changes since the cursor: revisions of this device's assessments, their signers, assessments, frameworks."""
    apart, held = protocol.F_DEVICE_INSPECTOR in named(features), protocol.F_HELD_BACK in named(features)
    with service.reading_rows() as connection:
        answer = pull.changes_since(connection=connection, caller=who, request=body, inspector_apart=apart, held_back=held)
    # Without a feature its field is left out: older clients refuse fields they do not know.
    return json_answer(answer, exclude_none=not apart, exclude=None if held else {"held_back"})
