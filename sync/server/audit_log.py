"""The laptops' audit logs on the service (issue 16): each entry a device pushes is kept once, as it was
signed, when its body is well formed and its signature holds under that device's own key; the
administrator lists them by device and day. Entries carry ids, counts and format names, never evidence."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import audit
from fieldapp.errors import IntegrityError, ValidationError
from fieldapp.ids import iso, utcnow
from sync import protocol
from sync.server import errors
from sync.server.identity import Caller
from sync.server.models import AuditEntry, Device, Inspector


@dataclass(frozen=True)
class AuditInfo:
    """One entry as the administrator's list shows it."""

    id: str
    device_id: str
    device: str  # the laptop's label
    inspector: str
    kind: str
    words: str  # what happened, in words (fieldapp.audit.describe)
    at: str  # when the laptop says it happened, ISO 8601 UTC
    detail: dict[str, object]
    received_at: str


def accept(*, session: Session, caller: Caller, batch: protocol.AuditPush, limit: int = protocol.MAX_AUDIT_BATCH) -> protocol.AuditPushResponse:
    """Store each entry once (a resent one is stored again as a no-op); refuse, for good and in words,
    one that is malformed, of an unknown kind, another device's, or whose signature does not hold."""
    if len(batch.entries) > limit:
        raise errors.TooLarge(f"At most {limit} audit entries in one push.", limit=limit)
    held = {
        row.id: row.body
        for row in session.execute(sa.select(AuditEntry.id, AuditEntry.body).where(AuditEntry.id.in_([e.id for e in batch.entries])))
    }
    acks, now = [], iso(utcnow())
    for wire in batch.entries:
        ack = _check(wire, caller, held)
        if ack is None:
            body = wire.body.encode("utf-8")
            data = audit.parse(body)
            session.add(AuditEntry(
                id=wire.id, device_id=caller.device_id, kind=data["kind"], at=data["at"], detail=json.dumps(data["detail"], sort_keys=True),
                body=body, signature=base64.b64decode(wire.signature), received_at=now,
            ))  # fmt: skip
            held[wire.id] = body
            ack = protocol.AuditAck(id=wire.id, status="stored")
        acks.append(ack)
    return protocol.AuditPushResponse(acks=acks)


def _check(wire: protocol.AuditEntry, caller: Caller, held: dict[str, bytes]) -> protocol.AuditAck | None:
    """None when the entry is new and sound; else its answer: stored already, or refused and why."""
    body = wire.body.encode("utf-8")
    try:
        data = audit.parse(body)
    except ValidationError as exc:
        return _refused(wire.id, protocol.R_BODY, str(exc))
    if data["id"] != wire.id:
        return _refused(wire.id, protocol.R_BODY, "The entry's id is not the one its body names.")
    if data["device_id"] != caller.device_id:
        return _refused(wire.id, protocol.R_DEVICE, "An audit entry is pushed only by the device that wrote it.")
    try:
        audit.check_signature(audit.SignedEntry(wire.id, body, base64.b64decode(wire.signature)), caller.public_key)
    except IntegrityError as exc:
        return _refused(wire.id, protocol.R_SIGNATURE, str(exc))
    if wire.id in held:
        if held[wire.id] != body:
            return _refused(wire.id, protocol.R_ID_TAKEN, "The service holds another entry with this id.")
        return protocol.AuditAck(id=wire.id, status="stored")
    return None


def _refused(entry_id: str, code: str, reason: str) -> protocol.AuditAck:
    return protocol.AuditAck(id=entry_id, status="refused", code=code, reason=reason)


def list_entries(session: Session, *, device_id: str | None = None, since: date | None = None, limit: int = 10_000) -> list[AuditInfo]:
    """Entries newest first, of one device or every one, from a day on (UTC)."""
    query = (
        sa.select(AuditEntry, Device.label, Inspector.name)
        .join(Device, Device.id == AuditEntry.device_id).join(Inspector, Inspector.id == Device.inspector_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )  # fmt: skip
    if device_id is not None:
        if session.get(Device, device_id) is None:
            raise errors.NotFoundError(f"No device with id {device_id}.")
        query = query.where(AuditEntry.device_id == device_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since.isoformat())
    found = []
    for entry, label, inspector in session.execute(query).tuples():
        detail = json.loads(entry.detail)
        found.append(AuditInfo(entry.id, entry.device_id, label, inspector, entry.kind, audit.describe(entry.kind, detail),
                               entry.at, detail, entry.received_at))  # fmt: skip
    return found
