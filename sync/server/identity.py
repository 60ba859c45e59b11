"""Who is calling: bearer tokens, one-time enrolment codes, and enrolling a device with its key."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.ids import iso, utcnow
from fieldapp.replication import enrolment_proof
from sync import protocol
from sync.server import errors
from sync.server.models import Device, EnrolmentCode, Inspector, TeamMember

TOKEN_PREFIX = "fa1_"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud and typed from paper
CODE_LENGTH = 12  # ~59 bits; with enrolment rate-limited per address, guessing is hopeless
DEFAULT_CODE_TTL = timedelta(hours=24)
# Ed25519 points of small order (top bit ignored, as libsodium does): under such a "key" one
# forged signature holds for every message, so a device enrolled with one would prove nothing.
_SMALL_ORDER_KEYS = frozenset(
    bytes.fromhex(h)
    for h in (
        "00" * 32,
        "01" + "00" * 31,
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ec" + "ff" * 30 + "7f",
        "ed" + "ff" * 30 + "7f",  # p: 0, not canonically written
        "ee" + "ff" * 30 + "7f",  # p + 1: 1, not canonically written
    )
)
BAD_KEY = "That public key is not a usable Ed25519 key (a point of small order); the app makes a new one."


@dataclass(frozen=True)
class Caller:
    """An authenticated device and the assessments its inspector may see."""

    device_id: str
    inspector_id: str
    assessment_ids: frozenset[str]
    public_key: bytes = b""  # the device's Ed25519 key, which its pushed revisions must hold under


@dataclass(frozen=True)
class RevokedCaller:
    """A revoked device, signed in for the one thing it may still do: confirm that it wiped its vault."""

    device_id: str


WIPED_PATH = f"{protocol.API}/device/wiped"  # the one route a revoked device's token opens


def new_token(prefix: str = TOKEN_PREFIX) -> str:
    """256 random bits, after a prefix saying whose token it is (a device's, or the office's)."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def bearer(authorization: str | None, *, missing: str = errors.NO_TOKEN) -> str:
    """The token of an `Authorization: Bearer …` header; 401 saying `missing` when there is none."""
    token = authorization[len("Bearer ") :].strip() if authorization and authorization.startswith("Bearer ") else ""
    if not token:
        raise errors.Unauthenticated(missing)
    return token


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def code_hash(code: str) -> bytes:
    """Codes are forgiving: case, spaces and dashes do not matter."""
    return hashlib.sha256(b"fieldapp-enrolment-code\n" + enrolment_proof.normal_code(code).encode()).digest()


def issue_code(session: Session, inspector_id: str, *, ttl: timedelta = DEFAULT_CODE_TTL, now: datetime | None = None) -> tuple[str, str]:
    """A one-time code for the inspector's next device; returns (code, expires_at)."""
    if session.get(Inspector, inspector_id) is None:
        raise errors.NotFoundError(f"No inspector with id {inspector_id}.")
    moment = now or utcnow()
    code = new_code()
    expires = iso(moment + ttl)
    session.add(EnrolmentCode(code_hash=code_hash(code), inspector_id=inspector_id, created_at=iso(moment), expires_at=expires))
    return code, expires


def enrol(*, session: Session, request: protocol.EnrolRequest) -> protocol.EnrolResponse:
    """Spend a code: register the device's public key and hand it a token. A code works once, and
    only for a device that proves it holds the private key (its signature over this code)."""
    now = iso(utcnow())
    code = session.get(EnrolmentCode, code_hash(request.code), with_for_update=True)
    if code is None or code.used_at is not None or code.expires_at <= now:
        raise errors.Invalid(errors.BAD_CODE, code=protocol.E_ENROLMENT_CODE)
    public_key = base64.b64decode(request.public_key)
    if public_key[:31] + bytes([public_key[31] & 0x7F]) in _SMALL_ORDER_KEYS:
        raise errors.Invalid(BAD_KEY)  # before the proof: under such a key one forged proof holds for every code
    if not enrolment_proof.holds(public_key, base64.b64decode(request.proof), request.code, request.device_id):
        raise errors.Invalid(errors.BAD_PROOF, code=protocol.E_ENROLMENT_PROOF)
    token = new_token()
    device = session.get(Device, request.device_id, with_for_update=True)
    if device is not None:
        # The same vault enrolling again (a lost token) keeps its id only with its own key, for its
        # own inspector: an id cannot be taken over by another key. A revoked one never comes back.
        if device.public_key != public_key or device.inspector_id != code.inspector_id:
            raise errors.ConflictError(
                "A different device is already enrolled under this device id; nothing was changed.",
                code=protocol.E_DEVICE_CONFLICT,
            )
        if device.revoked_at is not None:
            raise errors.Forbidden(errors.REVOKED_FOR_GOOD, code=protocol.E_DEVICE_GONE)
        device.token_hash = token_hash(token)
        device.label = request.label or device.label
    else:
        device = Device(
            id=request.device_id,
            inspector_id=code.inspector_id,
            public_key=public_key,
            label=request.label,
            token_hash=token_hash(token),
            enrolled_at=now,
        )
        session.add(device)
    code.used_at, code.device_id = now, request.device_id
    inspector = session.get(Inspector, code.inspector_id)
    assert inspector is not None  # the foreign key holds it
    return protocol.EnrolResponse(
        device_id=device.id, token=token, inspector=protocol.Inspector(id=inspector.id, name=inspector.name)
    )


# Built once, as this runs on every request: SQLAlchemy keeps a statement's cache key on the
# object, so a request only binds the token's hash. One row per team of the device's inspector
# (one with no team when there is none); token hashes are unique, so all rows are one device.
_CALLER_ROWS = (
    sa.select(Device.id, Device.inspector_id, Device.public_key, Device.revoked_at, TeamMember.assessment_id)
    .outerjoin(TeamMember, TeamMember.inspector_id == Device.inspector_id)
    .where(Device.token_hash == sa.bindparam("token_hash"))
)


def authenticate(connection: sa.Connection, authorization: str | None) -> Caller:
    """The caller a bearer token names, read afresh every time: a revocation holds at once."""
    rows = connection.execute(_CALLER_ROWS, {"token_hash": token_hash(bearer(authorization))}).all()
    if not rows:
        raise errors.Unauthenticated(errors.BAD_TOKEN)
    device = rows[0]
    if device.revoked_at is not None:
        raise errors.Unauthenticated(errors.REVOKED, code=protocol.E_REVOKED)
    teams = frozenset(row.assessment_id for row in rows if row.assessment_id is not None)
    return Caller(device.id, device.inspector_id, teams, device.public_key)


def authenticate_revoked(connection: sa.Connection, authorization: str | None) -> RevokedCaller:
    """The revoked device a bearer token names; 401 for a token nobody holds, 403 for a device not
    revoked (its wipe would be news to nobody, and a working laptop must not be marked wiped)."""
    row = connection.execute(
        sa.select(Device.id, Device.revoked_at).where(Device.token_hash == token_hash(bearer(authorization)))
    ).first()
    if row is None:
        raise errors.Unauthenticated(errors.BAD_TOKEN)
    if row.revoked_at is None:
        raise errors.Forbidden(errors.NOT_REVOKED, code=protocol.E_NOT_REVOKED)
    return RevokedCaller(row.id)
