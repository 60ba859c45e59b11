"""Why a sync or an enrolment failed, in words: a short headline for the status bar and the details
(what went wrong, and what to do next) for its tooltip and the Sync settings dialog."""

from __future__ import annotations

from dataclasses import dataclass

from fieldapp.errors import FieldappError
from sync.client import errors as sync_errors

from ui.errors import message_for

NOT_SET_UP = "Not set up to sync"
NOT_SET_UP_DETAIL = sync_errors.NOT_SET_UP
OFFLINE = "Offline: your work is safe here"


@dataclass(frozen=True)
class Problem:
    headline: str  # the status bar's words: what happened, never "see details"
    detail: str  # what went wrong and the next step, in full


# Most specific first: the first class that matches gives the headline.
_HEADLINES: tuple[tuple[type[BaseException], str], ...] = (
    (sync_errors.NotSetUp, NOT_SET_UP),
    (sync_errors.DeviceRevoked, "Sync stopped: this laptop's access was revoked"),
    (sync_errors.NotEnrolled, "Sync stopped: the service does not recognise this laptop"),
    (sync_errors.ServiceUnreachable, OFFLINE),
    (sync_errors.InsecureService, "Sync stopped: the connection to the service could not be made secure"),
    (sync_errors.ServiceMoved, "Sync stopped: the service address has moved"),
    (sync_errors.RateLimited, "Sync paused: the service asks to slow down"),
    (sync_errors.TooLarge, "Sync stopped: the service refused something too large"),
    (sync_errors.ServiceRefused, "Sync stopped: the service refused a request"),
    (sync_errors.ServiceFault, "Sync stopped: the service had a problem"),
    (FieldappError, "Sync stopped: a problem on this laptop"),
)
def sync_problem(exc: BaseException) -> Problem:
    """A failed sync in words."""
    headline = next((words for kind, words in _HEADLINES if isinstance(exc, kind)), "Sync stopped: something unexpected went wrong")
    detail = message_for(exc)
    if isinstance(exc, (sync_errors.ServiceUnreachable, sync_errors.RateLimited, sync_errors.ServiceFault)):
        detail += " Sync tries again by itself."
    return Problem(headline, detail)


def enrol_problem(exc: BaseException, url: str, *, local: bool = False) -> Problem:
    """A failed enrolment in words; `local` when the address and code came from `packaging/dev.sh app`."""
    where = f"the local service at {url}" if local else f"the service at {url}"
    detail = f"This laptop could not enrol with {where}. {message_for(exc)}"
    if local:
        detail += (
            " The code came from `bash packaging/dev.sh app`, which starts that service: close the app and run it "
            "again for a fresh code, or enrol by hand in Sync settings."
        )
    return Problem(f"{NOT_SET_UP}: enrolling failed", detail)
