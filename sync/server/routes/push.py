"""Push: a device's signed revisions, each stored once, the batch answered revision by revision."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter
from fastapi.responses import Response

from sync import protocol
from sync.server import errors, metrics, push
from sync.server.deps import ERRORS, CurrentDevice, Features, ServiceDep, json_answer, named
from sync.server.limits import large_body

log = logging.getLogger("fieldapp.server")  # ids, counts and timings only

router = APIRouter(prefix=protocol.API, tags=["sync"], responses=ERRORS)


@router.post("/push", response_model=protocol.PushResponse)
@large_body
def push_revisions(body: protocol.PushRequest, who: CurrentDevice, service: ServiceDep, features: Features = "") -> Response:
    """Store signed revisions once each; rejected ones say why, the rest are stored. Another team's
    revisions: each refused alone (`not_in_team`) to a client naming `team-refusals`, else a 403."""
    limit = service.settings.limits.max_batch
    if len(body.revisions) > limit:
        raise errors.TooLarge(f"At most {limit} revisions in one push.", limit=limit)
    metrics.PUSH_REVISIONS.observe(len(body.revisions))
    started = time.monotonic()
    incoming = push.prepare(caller=who, batch=body)  # outside the write lock: it is most of the work
    with service.writing_rows() as connection:
        answer = push.accept_prepared(
            connection=connection, caller=who, incoming=incoming, one_by_one=protocol.F_TEAM_REFUSALS in named(features)
        )
    log.info("push from device %s: %d revisions, %d accepted, in %d ms", who.device_id, len(body.revisions),
             sum(a.status == "accepted" for a in answer.acks), round((time.monotonic() - started) * 1000))  # fmt: skip
    return json_answer(answer)
