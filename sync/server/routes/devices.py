"""Devices: enrolment, where a one-time code becomes a device's token. Revoking a device is an
administrator's command (`fieldapp-server admin`), not a route."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sync import protocol
from sync.server import identity
from sync.server.deps import ERRORS, ServiceDep

router = APIRouter(prefix=protocol.API, tags=["devices"], responses=ERRORS)


@router.post("/enrol", response_model=protocol.EnrolResponse)
def enrol(request: Request, body: protocol.EnrolRequest, service: ServiceDep) -> protocol.EnrolResponse:
    """Spend a one-time code: register this device's public key, receive its token."""
    service.take_enrol_turn(request.client.host if request.client else "?")
    with service.writing() as session:
        return identity.enrol(session=session, request=body)
