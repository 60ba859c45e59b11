"""The audit log (issue 16): a device pushes the entries of its own security events, each stored once."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from sync import protocol
from sync.server import audit_log
from sync.server.deps import ERRORS, CurrentDevice, ServiceDep

log = logging.getLogger("fieldapp.server")  # ids and counts only

router = APIRouter(prefix=protocol.API, tags=["audit"], responses=ERRORS)


@router.post("/audit", response_model=protocol.AuditPushResponse)
def push_audit(body: protocol.AuditPush, who: CurrentDevice, service: ServiceDep) -> protocol.AuditPushResponse:
    """Store the device's signed audit entries once each; refused ones say why."""
    with service.writing() as session:
        answer = audit_log.accept(session=session, caller=who, batch=body)
    log.info("audit from device %s: %d entries, %d refused", who.device_id, len(body.entries),
             sum(a.status == "refused" for a in answer.acks))  # fmt: skip
    return answer
