"""The office's list of concerns across teams (issue 15), for an office token and nothing else: the
open ones, one in full, and acknowledging one, which the team's laptops learn at their next pull."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query

from sync import protocol
from sync.server import office
from sync.server.deps import ERRORS, ConcernId, CurrentOffice, ServiceDep

log = logging.getLogger("fieldapp.server")
router = APIRouter(prefix=office.PATH_PREFIX.rstrip("/"), tags=["office"], responses=ERRORS)
All = Annotated[bool, Query(alias="all", description="acknowledged concerns too")]
After = Annotated[str | None, Query(pattern=protocol.UUID_PATTERN, description="the `next` of the page before")]


@router.get("/concerns", response_model=protocol.OfficeConcerns)
def list_concerns(_who: CurrentOffice, service: ServiceDep, include_acknowledged: All = False, after: After = None) -> protocol.OfficeConcerns:
    """Open concerns across every team (all of them with all=true), most urgent first, then oldest, a
    page at a time: `next` says where the next page starts (ask with after=next)."""
    with service.reading() as session:
        return office.concerns(session, include_acknowledged=include_acknowledged, after=after)


@router.get("/concerns/{concern_id}", response_model=protocol.OfficeConcern)
def show_concern(concern_id: ConcernId, _who: CurrentOffice, service: ServiceDep) -> protocol.OfficeConcern:
    """One concern in full, with its acknowledgement if the office gave one."""
    with service.reading() as session:
        return office.concern(session, concern_id)


@router.post("/concerns/{concern_id}/acknowledge", response_model=protocol.OfficeConcern)
def acknowledge_concern(concern_id: ConcernId, body: protocol.Acknowledgement, who: CurrentOffice, service: ServiceDep) -> protocol.OfficeConcern:
    """Acknowledge a concern once: a note, and who (by default the office token's name). A second
    acknowledgement is a 409 naming the first's who and when."""
    with service.writing() as session:
        answer = office.acknowledge(session, who, concern_id, body)
    # Stored: say which and by which token in the service's log; never the note, nor what was heard.
    log.info("office token %s acknowledged concern %s", who.token_id, concern_id)
    return answer
