"""The audit log (`vault.audit`, issue 16): the security events of this laptop — unlocks, failed
unlocks, passphrase changes, exports, restored backups, purges — kept inside the encrypted vault,
append-only, each entry signed by the device's Ed25519 key so that the service can check who wrote it.

An entry's detail holds ids, counts, moments and format names only, never evidence (no titles,
text, names, file names or paths): `record` refuses a detail value that looks like words.

    vault.audit.record("report_exported", assessment_id=aid, format="docx", which="draft")
    vault.audit.entries(limit=200)      # newest first, as frozen AuditEntry rows
    vault.audit.unsent()                # what the sync engine pushes; then vault.audit.mark_sent(ids)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fieldapp.context import VaultContext
from fieldapp.errors import IntegrityError, StorageError, ValidationError, VaultDamaged
from fieldapp.ids import uuid7
from fieldapp.logs import log_failure
from fieldapp.revisions.canonical import canonical_json, loads_without_floats
from fieldapp.storage.fsutil import atomic_write
from fieldapp.storage.models import AuditEntryRow

log = logging.getLogger("fieldapp.audit")  # kinds and counts only

ENTRY_FORMAT = 1
_SIGNATURE_DOMAIN = b"fieldapp-audit-signature-v1\n"
_BODY_KEYS = {"format", "id", "kind", "at", "device_id", "detail"}
MAX_DETAIL_KEYS = 12
MAX_ENTRY_BYTES = 2048  # one entry's canonical body: a dozen ids and counts fit many times over
_DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Ids, format and method names: no space, dot or slash, so no title, sentence, file name or path
# fits; or an ISO moment in UTC.
_DETAIL_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:+-]{0,99}|\d{4}-\d{2}-\d{2}T[0-9:.]{8,15}Z")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")  # fieldapp.ids.iso
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FAILURES_FILE = "unlock-failures.json"
_MAX_FAILURES_FILE_BYTES = 512  # a count and two moments need under 100
_MAX_FAILURES_COUNTED = 10**9  # more wrong guesses than any slowed-down hand could make

# Every kind of event, with what the app and the admin's list say of it.
KINDS: Mapping[str, str] = MappingProxyType({
    "vault_created": "Created the vault on this laptop",
    "unlock": "Unlocked the vault",
    "unlock_failed": "Wrong passphrase or recovery key at unlock",
    "passphrase_changed": "Changed the passphrase",
    "passphrase_check_failed": "Wrong current passphrase when changing it",
    "attachment_exported": "Saved a decrypted copy of an attachment",
    "report_exported": "Exported a report",
    "report_published": "Published a report",
    "vault_exported": "Exported the whole vault as plaintext (salvage)",
    "backup_restored": "Restored a backup of the vault",
    "purge": "Removed synced evidence past its retention period",
    "device_enrolled": "Enrolled this laptop with a service",
})  # fmt: skip


@dataclass(frozen=True)
class AuditEntry:
    id: str  # a UUIDv7, so entries sort by when they were made
    kind: str  # a key of KINDS
    at: str  # ISO 8601, UTC
    device_id: str
    detail: Mapping[str, str | int | bool | None]
    sent: bool  # the service holds it

    def words(self, moment: Callable[[str], str] | None = None) -> str:
        """What happened, in words: 'Unlocked the vault with the recovery key'; moments in UTC
        unless `moment` words them otherwise (the app: this laptop's clock)."""
        return describe(self.kind, self.detail, moment or utc_moment)


@dataclass(frozen=True)
class SignedEntry:
    """An entry as stored and sent: its canonical body and the device's signature over it."""

    id: str
    body: bytes
    signature: bytes


def utc_moment(value: str) -> str:
    """A stored moment, day first in UTC: '07/12/2026 14:32 UTC' (the service's admin reads it so)."""
    return f"{value[8:10]}/{value[5:7]}/{value[:4]} {value[11:16]} UTC"


def _count(one: str, many: str | None = None) -> Callable[[int], str]:
    return lambda n: f"{n or 'no'} {one if n == 1 else many or one + 's'}"


# How each detail reads after the kind's words (dogfood: "count 1, first …, last …", "file bytes 0",
# "private ca no" asked the inspector to decode the storage's names). A detail that reads as None is
# left out; one not named here reads "name value", after those named, in the order here.
_PHRASES: Mapping[str, Callable[[Any], str | None]] = MappingProxyType({
    "count": _count("attempt"),
    "at": lambda at: f"at {at}",
    "first": lambda at: f"first at {at}",
    "last": lambda at: f"last at {at}",
    "records": _count("record"),
    "revisions": _count("revision"),
    "files": _count("attachment file"),
    "file_bytes": lambda n: f"{n:,} bytes of attachments" if n else None,
    "bytes": lambda n: f"{n:,} bytes",
    "cited": _count("quotation cited", "quotations cited"),
    "unreadable": lambda n: f"{n} unreadable" if n else None,
    "inspector_id": lambda i: f"as inspector {i}",
    "new_service": lambda new: "a service it had not used before" if new else "the service it used before",
    "private_ca": lambda own: "trusting the service's own certificate authority" if own else None,
    "checked": lambda checked: "the current passphrase checked first" if checked else "without the current passphrase",
    "backup_made_at": lambda at: f"the backup made at {at}",
    "format": lambda f: f"as {f.upper()}",
    "which": lambda w: {"working": "the working copy", "published": "the published report"}.get(w, f"the {w}"),
})  # fmt: skip


def describe(kind: str, detail: Mapping[str, Any], moment: Callable[[str], str] = utc_moment) -> str:
    """An entry in words, its detail after the kind's words, each moment as `moment` says:
    'Wrong passphrase or recovery key at unlock (2 attempts, first at 07/12/2026 14:32 UTC, last at …)'."""
    said = KINDS.get(kind, f"An event this fieldapp does not know ({kind})")
    if kind == "unlock" and detail.get("method") == "recovery_key":
        return f"{said} with the recovery key"
    shown = {key: _shown(value, moment) for key, value in detail.items() if key != "method" and value is not None}
    if "first" in shown and shown.get("last") == shown["first"]:  # one moment, said once
        shown["at"] = shown.pop("first")
        del shown["last"]
    order = list(_PHRASES)
    keys = sorted(shown, key=lambda key: (order.index(key) if key in _PHRASES else len(order), key))
    parts = [part for key in keys if (part := _phrase(key, shown[key])) is not None]
    return f"{said} ({', '.join(parts)})" if parts else said


def _phrase(key: str, value: object) -> str | None:
    phrase = _PHRASES.get(key)
    if phrase is not None:
        return phrase(value)
    return f"{key.replace('_', ' ')} {('yes' if value else 'no') if isinstance(value, bool) else value}"


def _shown(value: object, moment: Callable[[str], str]) -> object:
    """A moment in words as `moment` says; else the value as it is."""
    if isinstance(value, str) and _MOMENT.fullmatch(value):
        return moment(value)
    return value


def check_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The detail as stored, or ValidationError when a key or value could carry evidence."""
    if len(detail) > MAX_DETAIL_KEYS:
        raise ValidationError(f"An audit entry carries at most {MAX_DETAIL_KEYS} details.")
    for key, value in detail.items():
        if not isinstance(key, str) or not _DETAIL_KEY.fullmatch(key):
            raise ValidationError("An audit entry's detail names are short lower-case words.")
        if value is None or type(value) in (int, bool):
            continue
        if not isinstance(value, str) or not _DETAIL_TEXT.fullmatch(value):
            raise ValidationError(f"An audit entry's detail {key} must be an id, a count, a moment or a format name, never words.")
    return dict(detail)


def build(kind: str, detail: Mapping[str, Any], *, entry_id: str, at: str, device_id: str, key: Ed25519PrivateKey) -> SignedEntry:
    """A signed entry: canonical JSON of its fields, signed (domain-separated) by the device's key."""
    if kind not in KINDS:
        raise ValidationError(f"There is no audit event ‘{kind[:40]}’.")
    body = canonical_json({
        "format": ENTRY_FORMAT, "id": entry_id, "kind": kind, "at": at, "device_id": device_id, "detail": check_detail(detail),
    })  # fmt: skip
    if len(body) > MAX_ENTRY_BYTES:
        raise ValidationError("An audit entry carries ids and counts only: this one is too large.")
    return SignedEntry(entry_id, body, sign(key, body))


def sign(key: Ed25519PrivateKey, body: bytes) -> bytes:
    """The device's signature over an entry's body, apart from every other thing it signs."""
    return key.sign(_SIGNATURE_DOMAIN + body)


def parse(body: bytes) -> dict[str, Any]:
    """An entry's fields, insisting on canonical, well-formed JSON of a known kind (ValidationError if not)."""
    if len(body) > MAX_ENTRY_BYTES:
        raise ValidationError("An audit entry is too large.")
    try:
        data = loads_without_floats(body.decode("utf-8"))
    except (UnicodeError, json.JSONDecodeError):
        raise ValidationError("An audit entry is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict) or set(data) != _BODY_KEYS or data["format"] != ENTRY_FORMAT:
        raise ValidationError("An audit entry does not have the expected fields.")
    if canonical_json(data, float_free=True) != body:
        raise ValidationError("An audit entry is not in canonical form.")
    if not all(isinstance(data[k], str) for k in ("id", "kind", "at", "device_id")) or not isinstance(data["detail"], dict):
        raise ValidationError("An audit entry's fields have the wrong types.")
    if not (_UUID.fullmatch(data["id"]) and _UUID.fullmatch(data["device_id"]) and _MOMENT.fullmatch(data["at"])):
        raise ValidationError("An audit entry's id, device or moment is malformed.")
    if data["kind"] not in KINDS:
        raise ValidationError(f"There is no audit event ‘{data['kind'][:40]}’.")
    check_detail(data["detail"])
    return data


def check_signature(entry: SignedEntry, public_key: bytes) -> None:
    """Raise IntegrityError unless the device's signature over the body holds."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(entry.signature, _SIGNATURE_DOMAIN + entry.body)
    except (InvalidSignature, ValueError):
        raise IntegrityError(f"Audit entry {entry.id[:13]}… has a signature that does not hold.") from None


class Audit:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def record(self, kind: str, **detail: str | int | bool | None) -> AuditEntry:
        """Append one signed entry (its own transaction); detail: ids, counts, moments, format names."""
        with self._context.transaction("writing the audit log") as session:
            return self.record_in(session, kind, **detail)

    def record_if_possible(self, kind: str, **detail: str | int | bool | None) -> None:
        """As record, for an event that has happened whether or not the vault can be written (a
        passphrase changed, a copy saved out, a damaged vault salvaged, a full disk): a failure to
        write it is logged, never raised over the event."""
        try:
            self.record(kind, **detail)
        except (StorageError, VaultDamaged) as exc:
            log_failure(log, f"writing {kind} to the audit log", exc, logging.WARNING)

    def record_in(self, session: sa.orm.Session, kind: str, **detail: str | int | bool | None) -> AuditEntry:
        """As record, inside a transaction already open (the event and its entry commit together)."""
        at, device_id = self._context.now(), self._context.device_id
        signed = build(kind, detail, entry_id=uuid7(), at=at, device_id=device_id, key=self._context.signing_key)
        row = AuditEntryRow(id=signed.id, kind=kind, at=at, device_id=device_id, body=signed.body, signature=signed.signature, sent=False)
        session.add(row)
        log.info("audit entry: %s", kind)
        return _entry(row)

    def entries(self, *, limit: int = 500) -> tuple[AuditEntry, ...]:
        """The newest entries first."""
        with self._context.transaction("reading the audit log") as session:
            rows = session.scalars(sa.select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit))
            return tuple(_entry(row) for row in rows)

    def unsent(self, *, limit: int = 500) -> tuple[SignedEntry, ...]:
        """Entries the service does not hold yet, oldest first, as signed bodies to push."""
        with self._context.transaction("reading the audit log") as session:
            rows = session.scalars(
                sa.select(AuditEntryRow).where(AuditEntryRow.sent.is_(False)).order_by(AuditEntryRow.seq).limit(limit)
            )
            return tuple(SignedEntry(row.id, row.body, row.signature) for row in rows)

    def mark_sent(self, ids: Iterable[str]) -> None:
        """The service holds these entries (or refused them for good): they are not pushed again."""
        wanted = list(ids)
        if not wanted:
            return
        with self._context.transaction("noting audit entries as sent") as session:
            session.execute(sa.update(AuditEntryRow).where(AuditEntryRow.id.in_(wanted)).values(sent=True))


def _entry(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(row.id, row.kind, row.at, row.device_id, MappingProxyType(json.loads(row.body)["detail"]), row.sent)


# -- failed unlocks, counted beside the locked vault ----------------------------------------------


def note_failed_unlock(folder: Path, at: str) -> None:
    """Count one wrong passphrase in the side file (counts and moments only). Best effort: a disk
    that refuses it must not hide the refusal itself, and the slowing-down lives in memory anyway."""
    path = folder / FAILURES_FILE
    found = failed_unlocks(folder)
    noted = {"count": found["count"] + 1, "first": found["first"] or at, "last": at} if found else {"count": 1, "first": at, "last": at}
    try:
        atomic_write(path, json.dumps(noted).encode())
    except OSError as exc:
        log.warning("could not count a failed unlock beside the vault: %s", exc.strerror)


def failed_unlocks(folder: Path) -> dict[str, Any] | None:
    """The side file's count, first and last moments; None when there is none (or it is unreadable)."""
    # The file sits outside the encryption, where anything that can write the folder can shape it: it
    # is read bounded (size, nesting, the count) so that no content of it can stop an unlock.
    try:
        with (folder / FAILURES_FILE).open("rb") as file:
            data = json.loads(file.read(_MAX_FAILURES_FILE_BYTES).decode("utf-8"))  # a longer one is cut, so unreadable
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        log.warning("the failed-unlock count beside the vault is unreadable; starting it again")
        return None
    if not isinstance(data, dict) or type(data.get("count")) is not int or not 1 <= data["count"] <= _MAX_FAILURES_COUNTED:
        return None
    first, last = data.get("first"), data.get("last")
    moments = [m if isinstance(m, str) and _MOMENT.fullmatch(m) else None for m in (first, last)]
    return {"count": data["count"], "first": moments[0], "last": moments[1]}


def clear_failed_unlocks(folder: Path) -> None:
    try:
        (folder / FAILURES_FILE).unlink(missing_ok=True)
    except OSError as exc:
        raise StorageError(f"Could not clear the failed-unlock count beside the vault: {exc.strerror}.", exc.errno) from exc
