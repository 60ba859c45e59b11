"""Whether the service is there: the one route a stranger may call besides enrolment."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import Response

from fieldapp.ids import iso, utcnow
from fieldapp.version import app_version
from sync import protocol
from sync.server.deps import ERRORS, Features, ServiceDep, json_answer, named
from sync.server.service import Service

router = APIRouter(prefix=protocol.API, tags=["service"])


@router.get("/status", response_model=protocol.ServiceStatus, responses=ERRORS)  # a features header too long is a 422
def status(service: ServiceDep, features: Features = "") -> Response:
    """Whether the service is there and which protocol it speaks (no sign-in needed); to a client
    naming the `versions` feature, also the service's version and the newest client's, when set; to
    one naming `audit`, that it takes audit entries.
    Its `Fieldapp-Instance` header names the service's data (a random id kept in its database, the
    same from every host on it, new after a restore)."""
    response = json_answer(status_for(service, named(features)), exclude_none=True)  # older clients refuse fields they do not know
    response.headers[protocol.INSTANCE_HEADER] = service.instance
    return response


def status_for(service: Service, wanted: set[str]) -> protocol.ServiceStatus:
    """The status answer for a client naming these features (a pull's last page carries it too)."""
    answer = protocol.ServiceStatus(time=iso(utcnow()))
    if protocol.F_VERSIONS in wanted:
        answer = answer.model_copy(update={"version": _ours(), "newest_client": service.settings.newest_client})
    if protocol.F_AUDIT in wanted:
        answer = answer.model_copy(update={"audit": True})
    if protocol.F_STATUS_IN_PULL in wanted:
        answer = answer.model_copy(update={"instance": service.instance})
    return answer


def _ours() -> str | None:
    """This build's version, if it is a plain release number (a build from a bare source tree has none)."""
    version = app_version()
    return version if re.fullmatch(protocol.RELEASE, version) else None
