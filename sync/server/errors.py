"""The service's own errors; `app.py` turns each into its HTTP status and an `ErrorBody`.

    ServiceError
    ├── BadRequest            400  malformed, or a protocol version we do not speak
    ├── Unauthenticated       401  no token, an unknown one, a revoked device's or office token's, or
    │                              the wrong kind (a device's on an office route, or the other way)
    ├── Forbidden             403  another team's assessment or record; nothing stored
    ├── NotFoundError         404
    ├── ConflictError         409  e.g. a device id already enrolled with another key
    ├── Invalid               422  well-formed, but not acceptable (a bad enrolment code, a blob that
    │                              does not match its SHA-256)
    ├── TooLarge              413  a body or batch over the limit; says the limit
    ├── UnsupportedEncoding   415
    ├── RateLimited           429  says how long to wait
    └── Unavailable           503  busy or out of disk; says when to try again
        └── SchemaBehind      503  the database needs `fieldapp-server migrate` (said at start, not in a route)
"""

from __future__ import annotations

from sync import protocol


class ServiceError(Exception):
    status = 500
    code = "internal"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class BadRequest(ServiceError):
    status, code = 400, protocol.E_INVALID


class Unauthenticated(ServiceError):
    status, code = 401, protocol.E_UNAUTHENTICATED


class Forbidden(ServiceError):
    status, code = 403, protocol.E_FORBIDDEN


class NotFoundError(ServiceError):
    status, code = 404, protocol.E_NOT_FOUND


class ConflictError(ServiceError):
    status, code = 409, protocol.E_CONFLICT


class Invalid(ServiceError):
    status, code = 422, protocol.E_INVALID


class TooLarge(ServiceError):
    status, code = 413, protocol.E_TOO_LARGE

    def __init__(self, detail: str, *, limit: int) -> None:
        super().__init__(detail)
        self.limit = limit


class UnsupportedEncoding(ServiceError):
    status, code = 415, protocol.E_UNSUPPORTED_ENCODING


class RateLimited(ServiceError):
    status, code = 429, protocol.E_RATE_LIMITED

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


# Messages shared with the tests, so a reworded message is one change.
NO_TOKEN = "Sign-in needed: this device is not enrolled with the service (no token was sent)."
BAD_TOKEN = "This device's token is not known to the service. Enrol the device again."
REVOKED = "This device was revoked by the service's administrator; it is never enrolled again. Set fieldapp up again as a new device."
# Enrolling a revoked device id again, even with its own key: a revocation is for good (the laptop wipes its vault).
REVOKED_FOR_GOOD = "This laptop's access was revoked; set fieldapp up again as a new device."
BAD_PROOF = (
    "The enrolment was not signed with the private key of the public key it sent, for this code; nothing was "
    "changed and the code is not spent. Enrol from the app itself."
)
# An app from before issue 17 enrols without proving it holds its key: it must be updated first.
NO_PROOF = (
    "This version of fieldapp is too old to enrol with this service, which asks each laptop to prove it holds "
    "its key. Install the newer fieldapp, then enter the code again (the code is not spent)."
)
NOT_REVOKED = (
    "Only a device whose access was revoked confirms a wipe; this device's access stands, so nothing was recorded."
)
BAD_CODE = "That enrolment code is not valid: it may be mistyped, expired or used already. Ask your administrator for a new one."
OTHER_TEAM = "This device's inspector is not in the team of assessment {assessment_id}; nothing was stored."
NO_OFFICE_TOKEN = (
    "Sign-in needed: the office's routes take an office token (Authorization: Bearer …), made by the "
    "service's administrator with `fieldapp-server admin office-token create`."
)
BAD_OFFICE_TOKEN = "This is not an office token the service knows: it may be mistyped, or a device's. Ask the service's administrator for one."
OFFICE_REVOKED = "This office token was revoked by the service's administrator. Ask them for a new one."
RECORD_ELSEWHERE = "Record {record_id} belongs to an assessment this device's inspector is not in; nothing was stored."
# The same, refused one revision at a time (protocol.F_TEAM_REFUSALS): the rest of the push is stored.
NOT_IN_TEAM = "This device's inspector is not in the team of assessment {assessment_id}; this change was not stored."
RECORD_NOT_OURS = "Record {record_id} belongs to an assessment this device's inspector is not in; this change was not stored."


class Unavailable(ServiceError):
    status, code = 503, "unavailable"

    def __init__(self, detail: str, *, retry_after_s: float = 30.0) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class SchemaBehind(Unavailable):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, retry_after_s=300)
