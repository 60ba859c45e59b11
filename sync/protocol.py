"""The wire protocol between the app and the central service: versioned pydantic models and limits.

Shared by `sync.client` and `sync.server`, and the source of the service's OpenAPI document.
Revisions travel as their exact canonical body text and signature, so what was signed is what
arrives; every model refuses unknown fields, and every list and string has a bound.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StringConstraints
from pydantic.fields import FieldInfo

from fieldapp.item_kinds import MAX_ACK_NOTE as MAX_ACK_NOTE, MAX_TELL, MAX_TEXT
from fieldapp.revisions.revision import AUTO_MERGE_DEVICE as AUTO_MERGE_DEVICE  # re-exported: the signer of auto-merges

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "Fieldapp-Protocol"  # sent on every request; a mismatch is a clear 400
# On the status answer: which data folder the service runs on (a random id kept in it), so that
# `packaging/dev.sh app` can tell its own local service from another user's on the same port.
INSTANCE_HEADER = "Fieldapp-Instance"
# Additions to protocol 1 a client understands, comma-separated. Answers carry a new field only to
# clients that name it (older ones refuse unknown fields); older services ignore the header.
FEATURES_HEADER = "Fieldapp-Features"
F_DEVICE_INSPECTOR = "device-inspector"  # pulled devices name their inspector apart from the laptop
F_HELD_BACK = "held-back"  # a pull's last page says whether committed revisions wait behind an open transaction
F_LEAD_INSPECTOR = "lead-inspector"  # pulled assessments name their lead inspector, who alone agrees judgements
F_CONCERNS = "concerns"  # a pull carries the office's acknowledgements of the team's concerns (issue 15)
F_VERSIONS = "versions"  # the status answer names the service's version and the newest client its administrator knows (issue 16)
F_TEAM_ROLES = "team-roles"  # pulled assessments give each member's role (issue 15: lead, inspector, adviser, Expert by Experience)
F_AUDIT = "audit"  # the status answer says whether the service keeps laptops' audit logs (POST /v1/audit, issue 16)
F_WIPE = "wipe-confirmation"  # a revoked device confirms, once, that it wiped its vault (issue 16): POST /v1/device/wiped
F_RETENTION = "retention"  # pulled assessments carry their retention period; POST /v1/items fetches purged records again (issue 16)
F_STATUS_IN_PULL = "status-in-pull"  # a pull's last page carries the status answer, so a sync needs no GET /v1/status (issue 17)
# A push's revisions of an assessment outside the device's teams are refused one by one (R_NOT_IN_TEAM),
# the rest stored, rather than the whole batch with a 403 (issue 17): one team left never holds up the others.
F_TEAM_REFUSALS = "team-refusals"
API = "/v1"

# Limits. The service enforces them and says them in its errors; the client sizes its work to them.
MAX_BATCH = 500  # revisions in one push
MAX_REVISION_BYTES = 8 << 20  # one revision's canonical body (a pasted transcript fits)
MAX_REQUEST_BYTES = 32 << 20  # a request body, after decompression
MAX_PULL_LIMIT = 2000  # revisions in one pull page
DEFAULT_PULL_LIMIT = 500
# Revision bodies in one pull page: the service ends a page before a revision that would pass this
# (a page always holds at least one, so a pull makes progress), and says `more`.
MAX_PULL_PAGE_BYTES = 16 << 20
# An answer the client reads, on the wire and after gzip inflation; more is refused. Room for a full
# pull page: its bodies are JSON strings inside JSON, which at worst doubles them.
MAX_ANSWER_BYTES = 64 << 20
MAX_CURSOR_CHARS = 256 << 10
MAX_SMALL_REQUEST_BYTES = 2 * MAX_CURSOR_CHARS  # any body but a push or a chunk: a pull holds a cursor
MAX_ACKNOWLEDGEMENTS = 100_000  # concerns acknowledged in the assessments one device sees
MAX_OFFICE_CONCERNS = 100_000  # concerns in one answer of the office's list (every one ever, with ?all=true)
MAX_AUDIT_BATCH = 100  # audit entries in one push: a small body (MAX_SMALL_REQUEST_BYTES) holds them whole
MAX_AUDIT_ENTRY_BYTES = 2048  # one entry's canonical body (fieldapp.audit.MAX_ENTRY_BYTES)
MAX_RETENTION_DAYS = 3650  # an assessment's retention period, in days (ten years)
MAX_ITEMS_FETCHED = 100  # records asked for in one POST /v1/items
MAX_PARENTS = 100  # parents of one revision (a merge has two; resolving many heads, more)
MAX_ATTACHMENT_BYTES = 1 << 40  # an attachment's size as a revision names it
CHUNK_SIZE = 4 << 20  # attachment transfer chunk

# Error codes: stable words the client and tests match on (the detail text is for people).
E_PROTOCOL = "protocol_mismatch"
E_UNAUTHENTICATED = "unauthenticated"
E_REVOKED = "device_revoked"
E_OFFICE_REVOKED = "office_token_revoked"
E_NOT_REVOKED = "device_not_revoked"  # only a revoked device confirms a wipe
E_BAD_CURSOR = "bad_cursor"
E_FORBIDDEN = "forbidden"
E_NOT_FOUND = "not_found"
E_INVALID = "invalid_request"
E_TOO_LARGE = "too_large"
E_RATE_LIMITED = "rate_limited"
E_ENROLMENT_CODE = "enrolment_code_invalid"
E_DEVICE_CONFLICT = "device_conflict"
E_ENROLMENT_PROOF = "enrolment_proof_invalid"  # the enrolment was not signed with the key it registers
E_DEVICE_GONE = "device_revoked_for_good"  # enrolling a revoked device id again: never
E_UNSUPPORTED_ENCODING = "unsupported_encoding"
E_CONFLICT = "conflict"
E_BLOB_MISMATCH = "blob_mismatch"
E_NOT_READY = "not_ready"

# Per-revision rejection codes in push acknowledgements.
R_HASH = "hash_mismatch"
R_SIGNATURE = "bad_signature"
R_BODY = "malformed_body"
R_PARENT = "unknown_parent"
R_DEVICE = "wrong_device"
R_RECORD = "record_mismatch"
R_MERGE = "merge_mismatch"
R_CONTENT = "invalid_content"
R_FRAMEWORK = "unknown_framework"
R_IMMUTABLE = "immutable_snapshot"  # a second revision of a rating snapshot or a published report: neither ever changes
R_ID_TAKEN = "id_taken"  # an audit entry whose id the service already holds with another body
R_NOT_IN_TEAM = "not_in_team"  # only with F_TEAM_REFUSALS: an assessment (or record) outside the device's teams; may pass later
R_NOT_LEAD = "not_lead"  # agreeing a judgement, a final rating or a snapshot from a device not of the lead inspector

# What ids, digests and framework keys look like on the wire; the service checks the same fields
# inside signed bodies against them.
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
HEX64_PATTERN = r"^[0-9a-f]{64}$"
FRAMEWORK_KEY_PATTERN = r"^[a-z0-9-]{1,64}@[0-9.]{1,32}$"
# A moment the service stamps (fieldapp.ids.iso): UTC, microseconds, "Z".
ISO_MOMENT_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"


# Standard base64 of exactly 32 and 64 bytes: an Ed25519 public key, and a signature.
KEY_PATTERN = r"^[A-Za-z0-9+/]{43}=$"
SIGNATURE_PATTERN = r"^[A-Za-z0-9+/]{86}==$"


def _schema_pattern(pattern: str) -> FieldInfo:
    """What the OpenAPI document says a string must match, where the service refuses more than the
    model's own constraints say (words it checks where they are stored): a schema that admitted
    them would promise answers the service does not give. (A lone surrogate, refused in any string
    by the service's JSON parser, is in no UTF-8 text, so no client or fuzzer that writes UTF-8
    sends one; JSON Schema patterns cannot name them portably, so none tries.)"""
    return Field(json_schema_extra={"pattern": pattern})


# Characters in the document's patterns: the control characters a one-line field refuses, and
# Python's whitespace (str.isspace), as the service strips it before a name or note is stored.
_CONTROLS = r"\x00-\x1f\x7f"
_SPACES = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _words(refused: str) -> str:
    """A pattern for text without the refused characters and not all whitespace."""
    return f"^[^{refused}]*[^{refused}{_SPACES}][^{refused}]*$"


Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
Hex64 = Annotated[str, StringConstraints(pattern=HEX64_PATTERN)]
PublicKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Signature = Annotated[str, StringConstraints(pattern=f"^(?:{SIGNATURE_PATTERN[1:-1]})?$")]  # or empty, for auto-merges
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"  # stored as text: PostgreSQL refuses NUL, and no label needs a control character
Label = Annotated[str, StringConstraints(max_length=200, pattern=_ONE_LINE)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
# A name a device offers: the service strips it, and refuses one with nothing left.
NewName = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=_ONE_LINE), _schema_pattern(_words(_CONTROLS))]
IsoDate = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
IsoMoment = Annotated[str, StringConstraints(max_length=32, pattern=ISO_MOMENT_PATTERN), Field(json_schema_extra={"format": "date-time"})]
FrameworkKey = Annotated[str, StringConstraints(pattern=FRAMEWORK_KEY_PATTERN)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorBody(Wire):
    """Every error the service returns: words for a person, a code for the program."""

    detail: str
    code: str
    retry_after_s: float | None = None  # 429: wait this long; 503: try again later
    limit: int | None = None  # 413: the limit that was passed (bytes or items)


# A release number as pyproject.toml writes one (0.1.0, 1.10): what the status answer's versions hold.
RELEASE = r"^\d{1,6}(\.\d{1,6}){0,3}$"
Release = Annotated[str, StringConstraints(pattern=RELEASE)]


class ServiceStatus(Wire):
    service: Literal["fieldapp"] = "fieldapp"
    protocol: int = PROTOCOL_VERSION
    time: str
    # Only to clients naming F_VERSIONS: the service's own build, and the newest fieldapp its
    # administrator has said is out (None: not said), so laptops can tell their inspectors to update.
    version: Release | None = None
    newest_client: Release | None = None
    # Only to clients naming F_AUDIT: the service takes audit entries (POST /v1/audit).
    audit: bool | None = None
    # Only in a pull's last page (F_STATUS_IN_PULL): the id of the service's data, as the status
    # route's Fieldapp-Instance header says it; it changes when the service is restored from a backup.
    instance: Annotated[str, StringConstraints(max_length=64)] | None = None


class WipeConfirmation(Wire):
    """The service's record of a revoked device's wipe: which device, and when it first said so."""

    device_id: Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
    wiped_at: str


# -- enrolment -------------------------------------------------------------------------------------


class EnrolRequest(Wire):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    device_id: Uuid  # the vault's own device id: the one its revisions are signed under
    public_key: PublicKey  # Ed25519, raw 32 bytes
    # Ed25519 under that key over the code, the device id and the key (fieldapp.replication.enrolment_proof):
    # that the device holds the private half, for this code alone. An app from before issue 17 sends none.
    proof: Annotated[str, StringConstraints(pattern=SIGNATURE_PATTERN)]
    label: Label = ""


class Inspector(Wire):
    id: Uuid
    name: str


class EnrolResponse(Wire):
    device_id: Uuid
    token: str  # sent as "Authorization: Bearer <token>"; shown nowhere, kept in the vault
    inspector: Inspector


# -- assessments -----------------------------------------------------------------------------------


class LeadInspector(Wire):
    id: Uuid
    name: Annotated[str, StringConstraints(max_length=300)]


class Member(Wire):
    """A team member and their role: "lead", "inspector", "specialist_adviser", "expert_by_experience"
    (a role a newer service adds is kept by the app as it came, and shown as a team member)."""

    name: Annotated[str, StringConstraints(max_length=300)]
    role: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]


class Assessment(Wire):
    id: Uuid
    name: Name
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None
    framework: FrameworkKey
    team: list[Annotated[str, StringConstraints(max_length=300)]] = Field(default_factory=list, max_length=500)
    # Only with F_LEAD_INSPECTOR: the team's lead inspector (None: the team has none, anyone agrees)
    lead: LeadInspector | None = None
    # Only with F_TEAM_ROLES: each member with their role, in the order of `team` (None: not said)
    members: Annotated[list[Member], Field(max_length=500)] | None = None
    # Only with F_RETENTION: days after its last change that synced evidence leaves the laptops (None: never)
    retention_days: Annotated[int, Field(ge=1, le=MAX_RETENTION_DAYS)] | None = None


class AssessmentProposal(Wire):
    """An assessment first made on a laptop, offered to the service (allowed for some inspectors)."""

    name: NewName
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None
    framework: FrameworkKey


# -- revisions -------------------------------------------------------------------------------------


class Revision(Wire):
    id: Hex64
    body: Annotated[str, StringConstraints(max_length=MAX_REVISION_BYTES)]  # canonical JSON, exactly as hashed
    signature: Signature


class PushRequest(Wire):
    revisions: list[Revision] = Field(max_length=MAX_BATCH)


class Ack(Wire):
    id: str
    status: Literal["accepted", "rejected"]
    code: str | None = None  # one of the R_* codes when rejected
    reason: str | None = None


class PushResponse(Wire):
    acks: list[Ack]


# -- the audit log (issue 16): each laptop's security events, signed by the device ------------------


class AuditEntry(Wire):
    """One entry as the laptop signed it: its canonical JSON body (fieldapp.audit) and the signature."""

    id: Uuid
    body: Annotated[str, StringConstraints(max_length=MAX_AUDIT_ENTRY_BYTES)]
    signature: Annotated[str, StringConstraints(pattern=SIGNATURE_PATTERN)]


class AuditPush(Wire):
    entries: list[AuditEntry] = Field(max_length=MAX_AUDIT_BATCH)  # more: 413, as for a push's revisions


class AuditAck(Wire):
    id: str
    status: Literal["stored", "refused"]  # stored: held now (again, if it was before); refused: for good
    code: str | None = None  # one of the R_* codes when refused
    reason: str | None = None


class AuditPushResponse(Wire):
    acks: list[AuditAck]


class Device(Wire):
    id: str
    public_key: PublicKey
    label: str = ""  # the laptop's; to a client without F_DEVICE_INSPECTOR, "Inspector – laptop"
    inspector: Annotated[str, StringConstraints(max_length=300)] | None = None  # its inspector: only with F_DEVICE_INSPECTOR


def _json_integer(value: object) -> object:
    """An integer as JSON Schema has it (400 and 400.0, never "400" nor true), which lax pydantic widens."""
    if isinstance(value, (str, bool)):
        raise ValueError("must be a JSON number")
    return value


class PullRequest(Wire):
    # URL-safe base64, as the service makes them, so one at its longest fits a small body. Said in the
    # document only: any other string is a cursor this service never made (400 bad_cursor, pull afresh).
    cursor: Annotated[str, StringConstraints(max_length=MAX_CURSOR_CHARS), _schema_pattern(r"^[A-Za-z0-9_=-]*$")] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PULL_LIMIT), BeforeValidator(_json_integer)] = DEFAULT_PULL_LIMIT
    # A device's own revisions are left out of its pulls (it holds them), except when it asks:
    # a vault restored from a backup lacks what it pushed after that backup.
    include_own: StrictBool = False


class ConcernAcknowledgement(Wire):
    """The office saw a concern and said so: a fact the service keeps, never a revision (it signs nothing)."""

    concern_id: Uuid
    acknowledged_by: Annotated[str, StringConstraints(max_length=300)]
    acknowledged_at: Annotated[str, StringConstraints(max_length=40)]  # ISO 8601, UTC
    note: Annotated[str, StringConstraints(max_length=MAX_ACK_NOTE)] = ""


class PullResponse(Wire):
    revisions: list[Revision]
    devices: list[Device]  # the signers of these revisions, so each can be checked
    assessments: list[Assessment]  # every assessment this device may see, with its team
    frameworks: list[str]  # framework keys the service can send (GET /frameworks/{key})
    cursor: str  # opaque: send it back unchanged
    more: bool  # another page is ready now
    # Only with F_HELD_BACK: revisions already stored wait behind a transaction still open elsewhere
    # on the database (the cursor never passes one, DESIGN section 6); they are ready in a moment.
    held_back: bool | None = None
    # Only with F_CONCERNS: the office's acknowledgement of every acknowledged concern of these assessments.
    acknowledgements: list[ConcernAcknowledgement] | None = Field(default=None, max_length=MAX_ACKNOWLEDGEMENTS)
    # Only with F_STATUS_IN_PULL, on the last page (`more` false): what GET /v1/status would answer
    # this client, so the sync that ends with this page makes no request for it.
    status: ServiceStatus | None = None


class ItemsRequest(Wire):
    """Records to fetch again whole (issue 16, F_RETENTION): their content left the laptop, the service kept it."""

    ids: Annotated[list[Uuid], Field(min_length=1, max_length=MAX_ITEMS_FETCHED)]


class ItemsResponse(Wire):
    """Every revision of the records asked for (oldest first, record by record), with their signers,
    checked by the app as a pull's are. A record that would pass MAX_PULL_PAGE_BYTES of bodies waits
    for another request (`left`); the first is always sent whole."""

    revisions: list[Revision]
    devices: list[Device]
    left: list[Uuid] = Field(default_factory=list, max_length=MAX_ITEMS_FETCHED)  # not sent this time: ask again


# -- the office (issue 15): its list of concerns across teams, over HTTP with an office token ---------------


class OfficeConcern(Wire):
    """A concern as the office sees it, as `fieldapp-server admin concern show --json` prints it."""

    id: Uuid
    assessment_id: Uuid
    assessment: Annotated[str, StringConstraints(max_length=300)]  # its name
    concern_kind: Annotated[str, StringConstraints(max_length=32)]  # a key of fieldapp.item_kinds.CONCERN_KINDS
    urgency: Annotated[str, StringConstraints(max_length=32)]  # "immediate", "soon" or "routine"
    heard: Annotated[str, StringConstraints(max_length=MAX_TEXT)]  # what was heard: evidence, never logged
    tell: Annotated[str, StringConstraints(max_length=MAX_TELL)]  # who else should know
    raised_by: Annotated[str, StringConstraints(max_length=300)]  # the inspector the pushing device is enrolled for
    # When the laptop says it was raised: ISO 8601 as the laptop wrote it (its own check), "" if it did not say.
    raised_at: Annotated[str, StringConstraints(max_length=40)]
    device_id: Annotated[str, StringConstraints(max_length=36)]  # the device that first sent it
    received_at: IsoMoment  # when its first revision arrived at the service
    updated_at: IsoMoment  # when its newest revision arrived
    acknowledged_by: Annotated[str, StringConstraints(max_length=300)] | None = None
    acknowledged_at: IsoMoment | None = None
    acknowledgement_note: Annotated[str, StringConstraints(max_length=MAX_ACK_NOTE)] | None = None


class OfficeConcerns(Wire):
    """The office's list: open concerns across every team (all of them with ?all=true), most urgent
    first, then oldest, as `fieldapp-server admin concern list` shows them; a page at a time."""

    concerns: list[OfficeConcern] = Field(max_length=MAX_OFFICE_CONCERNS)
    # More follow: ask again with ?after=<next> (and the same ?all); None: this page is the last.
    next: Uuid | None = None


class Acknowledgement(Wire):
    """The office acknowledges a concern: a note of what it did or will do, and who (by default the
    name the office token was made with)."""

    # The service strips the note and refuses one with nothing left, or holding a NUL.
    note: Annotated[str, StringConstraints(min_length=1, max_length=MAX_ACK_NOTE), _schema_pattern(_words("\\x00"))]
    # Its spaces are collapsed, and a C1 control character (U+0080 to U+009F) is refused besides.
    by: Annotated[
        str, StringConstraints(min_length=1, max_length=300, pattern=_ONE_LINE), _schema_pattern(_words(_CONTROLS + r"\x80-\x9f"))
    ] | None = None


# -- attachments -----------------------------------------------------------------------------------


class BlobStatus(Wire):
    sha256: Hex64
    size: int
    chunk_size: int
    received: list[int]  # indexes of the chunks the service holds
    complete: bool  # every chunk is there and the whole file matched its SHA-256


class ChunkReceipt(Wire):
    sha256: Hex64
    index: int
    received: int  # chunks held now
    complete: bool
