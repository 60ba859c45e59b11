"""Whether the service is there: the one route a stranger may call besides enrolment."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from fieldapp.ids import iso, utcnow
from sync import protocol
from sync.server.deps import ServiceDep

router = APIRouter(prefix=protocol.API, tags=["service"])


@router.get("/status", response_model=protocol.ServiceStatus)
def status(response: Response, service: ServiceDep) -> protocol.ServiceStatus:
    """Whether the service is there and which protocol it speaks (no sign-in needed). Its
    `Fieldapp-Instance` header names the data folder it runs on (a random id kept there)."""
    response.headers[protocol.INSTANCE_HEADER] = service.instance
    return protocol.ServiceStatus(time=iso(utcnow()))
