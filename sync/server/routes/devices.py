"""Devices: enrolment, where a one-time code becomes a device's token, and a revoked device's
confirmation that it wiped its vault. Revoking a device is an administrator's command
(`fieldapp-server admin`), not a route."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sync import protocol
from sync.server import admin, errors, identity
from sync.server.deps import ERRORS, Features, RevokedDevice, ServiceDep, named

router = APIRouter(prefix=protocol.API, tags=["devices"], responses=ERRORS)


@router.post("/enrol", response_model=protocol.EnrolResponse)
def enrol(request: Request, body: protocol.EnrolRequest, service: ServiceDep) -> protocol.EnrolResponse:
    """Spend a one-time code: register this device's public key, receive its token."""
    service.take_enrol_turn(request.client.host if request.client else "?")
    with service.writing() as session:
        return identity.enrol(session=session, request=body)


@router.post(identity.WIPED_PATH.removeprefix(protocol.API), response_model=protocol.WipeConfirmation)
def confirm_wiped(who: RevokedDevice, service: ServiceDep, features: Features = "") -> protocol.WipeConfirmation:
    """A revoked device confirms that it wiped its vault (its token opens this route and no other)."""
    if protocol.F_WIPE not in named(features):
        raise errors.BadRequest(f"Confirming a wipe is for clients that name {protocol.F_WIPE!r} in {protocol.FEATURES_HEADER}.")
    with service.writing() as session:
        return admin.confirm_wipe(session=session, device_id=who.device_id)
