"""Errors of talking to the service, each with words the inspector can act on.

    SyncError (FieldappError)
    ├── ServiceUnreachable      no network, DNS, refused, timed out, cut off: try again later
    ├── InsecureService         plain http:// to anything but this computer, an ambiguous address, or a TLS check failed
    ├── ServiceMoved            the service address answered with a redirect: fix the address
    ├── NotEnrolled             the service does not know this device's token (any more)
    │   ├── NotSetUp            no service set up for this vault yet: its evidence stays on this laptop
    │   └── DeviceRevoked       the service itself said the administrator revoked this device: the app wipes the vault
    ├── ServiceRefused          the service said no (4xx), with its reason and code
    │   ├── TooLarge            413, with the limit
    │   └── RateLimited         429, with how long to wait
    └── ServiceFault            the service failed (5xx), or answered too much or what the protocol does not allow
        └── DamagedOnTheWay     an attachment chunk that does not match the hash the service sent with it
"""

from __future__ import annotations

from fieldapp.errors import FieldappError


class SyncError(FieldappError):
    """A sync could not be done; nothing in the vault was lost."""


class ServiceUnreachable(SyncError):
    pass


class InsecureService(SyncError):
    pass


class ServiceMoved(SyncError):
    """Redirects are never followed (a body would be re-sent to wherever they point); the inspector
    or administrator corrects the address instead."""


class NotEnrolled(SyncError):
    pass


class NotSetUp(NotEnrolled):
    pass


class DeviceRevoked(NotEnrolled):
    pass


NOT_SET_UP = (
    "This laptop is not set up to sync with a central service, so its evidence is kept on it only. "
    "To sync, enrol it in Sync settings with the service's address and a code from the service's administrator."
)
REVOKED = (
    "Your organisation's administrator revoked this laptop's access to the service, so it no longer sends or receives "
    "evidence and fieldapp removes the vault from this laptop; evidence already synced is kept on the service. "
    "To use fieldapp on this laptop again, ask the administrator for a new enrolment code."
)
UNKNOWN_DEVICE = (
    "The service at {host} does not recognise this laptop (it may have been reset, or another service now answers "
    "at that address); everything recorded is safe on this laptop. Check the address in Sync settings, and ask "
    "the service's administrator for a new enrolment code."
)


class ServiceRefused(SyncError):
    def __init__(self, message: str, *, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status, self.code = status, code


class TooLarge(ServiceRefused):
    def __init__(self, message: str, *, limit: int | None) -> None:
        super().__init__(message, status=413, code="too_large")
        self.limit = limit


class RateLimited(ServiceRefused):
    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message, status=429, code="rate_limited")
        self.retry_after_s = retry_after_s


class ServiceFault(SyncError):
    pass


class DamagedOnTheWay(ServiceFault):
    pass
