"""Pull: what changed since a device's cursor, a page at a time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sync import protocol
from sync.server import pull
from sync.server.deps import ERRORS, CurrentDevice, Features, ServiceDep, json_answer, named

router = APIRouter(prefix=protocol.API, tags=["sync"], responses=ERRORS)


@router.post("/pull", response_model=protocol.PullResponse)
def pull_changes(body: protocol.PullRequest, who: CurrentDevice, service: ServiceDep, features: Features = "") -> Response:
    """Changes since the cursor: revisions of this device's assessments, their signers, assessments, frameworks."""
    wanted = named(features)
    apart, held, lead, concerns = (
        f in wanted for f in (protocol.F_DEVICE_INSPECTOR, protocol.F_HELD_BACK, protocol.F_LEAD_INSPECTOR, protocol.F_CONCERNS)
    )
    with service.reading_rows() as connection:
        answer = pull.changes_since(
            connection=connection, caller=who, request=body, inspector_apart=apart, held_back=held, lead=lead, concerns=concerns,
        )  # fmt: skip
    # Without a feature its field is left out: older clients refuse fields they do not know.
    exclude: dict[str, Any] = {} if held else {"held_back": True}
    if not concerns:
        exclude["acknowledgements"] = True
    if not lead:
        exclude["assessments"] = {"__all__": {"lead"}}
    return json_answer(answer, exclude_none=not apart, exclude=exclude or None)
