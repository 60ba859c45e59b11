"""Revisions as signed, content-addressed snapshots: building, hashing, signing and checking them.

Pure functions on bytes, shared by the vault and the central service. The id is the SHA-256 of
the domain-separated canonical body (which names the parents); the device signs the id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fieldapp.revisions.canonical import canonical_json, loads_without_floats
from fieldapp.errors import IntegrityError, NeedsUpdate, ValidationError
from fieldapp.domain import EVIDENCE_KINDS, ITEM_KINDS, uses_context

BODY_FORMAT = 1  # evidence records: every revision made before items keeps its bytes, hash and signature
ITEM_FORMAT = 2  # assessment-level items (docs/items.md): judgements, ratings, rating snapshots
# Evidence with issue 15's context (a document, or a record whose content sets a context field): an
# app or service that knows only formats 1 and 2 refuses it with "update fieldapp", not "malformed".
CONTEXT_FORMAT = 3
KNOWN_FORMATS = frozenset({BODY_FORMAT, ITEM_FORMAT, CONTEXT_FORMAT})
# The signer of merge revisions that every device computes byte for byte the same (fieldapp.revisions.graph):
# they carry no signature; anyone holding the parents checks one by computing it again. The number
# is the version of the merge rules (fieldapp.revisions.merge): rules that change get a new number, so an
# app that knows only older rules says "update" rather than taking a newer merge for tampering.
AUTO_MERGE_DEVICE = "auto-merge-1"
AUTO_MERGE_PREFIX = "auto-merge-"
_HASH_DOMAIN = b"fieldapp-revision-v1\n"
_SIGNATURE_DOMAIN = b"fieldapp-revision-signature-v1\n"
_BODY_KEYS = {
    "format", "record_id", "assessment_id", "kind", "framework", "parents", "deleted",
    "content", "links", "attachments", "device_id", "created_at",
}  # fmt: skip


@dataclass(frozen=True)
class Snapshot:
    """Everything a revision fixes about a record: content, evidence links, attachment references."""

    record_id: str
    assessment_id: str
    kind: str
    framework_key: str
    deleted: bool
    content: dict[str, Any]
    links: tuple[dict[str, Any], ...]
    attachments: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SignedRevision:
    """A revision as stored and sent: its id, its canonical body bytes and the device's signature."""

    id: str
    body: bytes
    signature: bytes

    def fields(self) -> dict[str, Any]:
        return parse_body(self.body)


def build_body(snapshot: Snapshot, *, parents: tuple[str, ...], device_id: str, created_at: str) -> bytes:
    body = {
        "format": format_of(snapshot.kind, snapshot.content),
        "record_id": snapshot.record_id,
        "assessment_id": snapshot.assessment_id,
        "kind": snapshot.kind,
        "framework": snapshot.framework_key,
        "parents": sorted(parents),
        "deleted": snapshot.deleted,
        "content": snapshot.content,
        "links": sorted(snapshot.links, key=lambda link: link["id"]),
        "attachments": sorted(snapshot.attachments, key=lambda att: att["id"]),
        "device_id": device_id,
        "created_at": created_at,
    }
    return canonical_json(body)


def format_of(kind: str, content: dict[str, Any] | None = None) -> int:
    """The body format a revision carries: 2 for items; for evidence 3 when its content needs
    issue 15's context (domain.uses_context), else 1, the format every older record keeps."""
    if kind in ITEM_KINDS:
        return ITEM_FORMAT
    return CONTEXT_FORMAT if uses_context(kind, content or {}) else BODY_FORMAT


def revision_id(body: bytes) -> str:
    return hashlib.sha256(_HASH_DOMAIN + body).hexdigest()


def sign(private_key: Ed25519PrivateKey, rev_id: str) -> bytes:
    return private_key.sign(_SIGNATURE_DOMAIN + bytes.fromhex(rev_id))


def create(
    snapshot: Snapshot, *, parents: tuple[str, ...], device_id: str, created_at: str, private_key: Ed25519PrivateKey
) -> SignedRevision:
    body = build_body(snapshot, parents=parents, device_id=device_id, created_at=created_at)
    rev_id = revision_id(body)
    return SignedRevision(id=rev_id, body=body, signature=sign(private_key, rev_id))


def parse_body(body: bytes, *, known_formats: frozenset[int] = KNOWN_FORMATS) -> dict[str, Any]:
    """Decode a body, insisting that it is canonical and well formed.

    A format this app does not know is a newer app's (NeedsUpdate, "update fieldapp"), never
    taken for tampering; known_formats is what this app reads (a test plays an older app with it).
    """
    try:
        data = loads_without_floats(body.decode("utf-8"))
        canonical = canonical_json(data, float_free=True) == body
    except (UnicodeError, json.JSONDecodeError):  # UnicodeError: a lone surrogate in the JSON
        raise ValidationError("The revision body is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict) or set(data) != _BODY_KEYS:
        raise ValidationError("The revision body does not have the expected fields.")
    fmt = data["format"]
    if type(fmt) is not int or fmt < BODY_FORMAT:
        raise ValidationError(f"Unknown revision format {fmt!r}.")
    if fmt not in known_formats:
        raise NeedsUpdate(f"This revision was made by a newer fieldapp (revision format {fmt}); update fieldapp to take it.")
    if fmt == ITEM_FORMAT and data["kind"] not in ITEM_KINDS:
        if isinstance(data["kind"], str) and data["kind"] and data["kind"] not in EVIDENCE_KINDS:
            raise NeedsUpdate(f"This revision is of a kind this fieldapp does not know ({data['kind'][:40]!r}); update fieldapp to take it.")
        raise ValidationError("The revision's format does not match its kind.")
    if fmt == BODY_FORMAT and data["kind"] in ITEM_KINDS:
        raise ValidationError("The revision's format does not match its kind.")
    if fmt == CONTEXT_FORMAT and data["kind"] not in EVIDENCE_KINDS:
        if isinstance(data["kind"], str) and data["kind"] and data["kind"] not in ITEM_KINDS:
            raise NeedsUpdate(f"This revision is of a kind this fieldapp does not know ({data['kind'][:40]!r}); update fieldapp to take it.")
        raise ValidationError("The revision's format does not match its kind.")
    if fmt != ITEM_FORMAT and data["kind"] in EVIDENCE_KINDS and isinstance(data["content"], dict):
        if fmt != format_of(data["kind"], data["content"]):  # one body, one format: no second hash for it
            raise ValidationError("The revision's format does not match its content.")
    if not canonical:
        raise ValidationError("The revision body is not in canonical form.")
    parents = data["parents"]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents) or parents != sorted(set(parents)):
        raise ValidationError("The revision's parents must be a sorted list of distinct ids.")
    if type(data["deleted"]) is not bool:
        raise ValidationError("The revision's deleted flag must be true or false.")
    for name in ("links", "attachments"):
        items = data[name]
        if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
            raise ValidationError(f"The revision's {name} must be a list of objects with ids.")
        if [i["id"] for i in items] != sorted(set(i["id"] for i in items)):
            raise ValidationError(f"The revision's {name} must be sorted by id, each id once.")
    if fmt == ITEM_FORMAT and (data["links"] or data["attachments"]):
        raise ValidationError("A judgement, rating or snapshot carries no evidence links or attachments.")
    if not all(_is_link(link) for link in data["links"]):
        raise ValidationError("An evidence link in the revision is malformed.")
    if not all(_is_attachment(att) for att in data["attachments"]):
        raise ValidationError("An attachment reference in the revision is malformed.")
    return data


# A revision arrives from other devices: every link and attachment reference must have the shape
# the vault stores, or one malformed body could stop every laptop's sync at the same place.
_LINK_KEYS = {"id", "statement", "category", "comment", "passage"}
_PASSAGE_KEYS = {"field", "start", "end", "text"}
_ATTACHMENT_KEYS = {"id", "name", "media_type", "size", "sha256"}


def _is_link(link: dict[str, Any]) -> bool:
    if set(link) != _LINK_KEYS or not all(isinstance(link[k], str) for k in ("id", "statement", "category", "comment")):
        return False
    passage = link["passage"]
    if passage is None:
        return True
    return (
        isinstance(passage, dict) and set(passage) == _PASSAGE_KEYS and isinstance(passage["field"], str)
        and isinstance(passage["text"], str) and type(passage["start"]) is int and type(passage["end"]) is int
        and 0 <= passage["start"] < passage["end"]
    )  # fmt: skip


def _is_attachment(att: dict[str, Any]) -> bool:
    # Shape and types only: whether a size or a SHA-256 is possible is the content's rule (R_CONTENT).
    return (
        set(att) == _ATTACHMENT_KEYS and all(isinstance(att[k], str) for k in ("id", "name", "media_type", "sha256"))
        and isinstance(att["size"], int)
    )  # fmt: skip


def check(revision: SignedRevision, public_key: bytes) -> None:
    """Raise IntegrityError unless the id matches the body and the device's signature holds."""
    if revision_id(revision.body) != revision.id:
        raise IntegrityError(f"Revision {revision.id[:12]}… does not match its content (altered).")
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        key = None
    if key is None or not signature_holds(key, revision.id, revision.signature):
        raise IntegrityError(f"Revision {revision.id[:12]}… has a signature that does not hold.")


def signature_holds(key: Ed25519PublicKey, rev_id: str, signature: bytes) -> bool:
    """Whether the signature over this id holds under the key (the id itself is not checked here)."""
    try:
        key.verify(signature, _SIGNATURE_DOMAIN + bytes.fromhex(rev_id))
    except (InvalidSignature, ValueError):
        return False
    return True
