"""Pull: what changed since a device's cursor, a page at a time."""

from __future__ import annotations

import logging
import time

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sync import protocol
from sync.server import metrics, pull
from sync.server.deps import ERRORS, CurrentDevice, Features, ServiceDep, json_answer, named
from sync.server.routes.status import status_for

log = logging.getLogger("fieldapp.server")  # ids, counts and timings only

router = APIRouter(prefix=protocol.API, tags=["sync"], responses=ERRORS)


@router.post("/pull", response_model=protocol.PullResponse)
def pull_changes(body: protocol.PullRequest, who: CurrentDevice, service: ServiceDep, features: Features = "") -> Response:
    """Changes since the cursor: revisions of this device's assessments, their signers, assessments, frameworks."""
    wanted = named(features)
    apart, held, lead, roles, concerns, retention = (
        f in wanted
        for f in (protocol.F_DEVICE_INSPECTOR, protocol.F_HELD_BACK, protocol.F_LEAD_INSPECTOR, protocol.F_TEAM_ROLES, protocol.F_CONCERNS,
                  protocol.F_RETENTION)  # fmt: skip
    )
    started = time.monotonic()
    with service.reading_rows() as connection:
        answer = pull.changes_since(
            connection=connection, caller=who, request=body, inspector_apart=apart, held_back=held, lead=lead, roles=roles,
            concerns=concerns, retention=retention,
        )  # fmt: skip
    metrics.PULL_REVISIONS.observe(len(answer.revisions))
    log.info("pull by device %s: %d revisions, %d assessments, more: %s, in %d ms", who.device_id, len(answer.revisions),
             len(answer.assessments), answer.more, round((time.monotonic() - started) * 1000))  # fmt: skip
    in_pull = protocol.F_STATUS_IN_PULL in wanted
    if in_pull and not answer.more:
        answer = answer.model_copy(update={"status": status_for(service, wanted)})
    # Without a feature its field is left out: older clients refuse fields they do not know.
    exclude: dict[str, Any] = {} if held else {"held_back": True}
    if not in_pull:
        exclude["status"] = True
    if not concerns:
        exclude["acknowledgements"] = True
    left_out = ({"lead"} if not lead else set()) | ({"members"} if not roles else set()) | ({"retention_days"} if not retention else set())
    if left_out:
        exclude["assessments"] = {"__all__": left_out}
    return json_answer(answer, exclude_none=not apart, exclude=exclude or None)
