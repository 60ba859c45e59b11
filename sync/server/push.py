"""Accepting pushed revisions: check each (hash, signature, parents, content), store it once, acknowledge.

A batch is one transaction. Authorisation comes first, for every revision whose body names its
assessment: another team's assessment or record is refused alone (`not_in_team`) to a client that
names protocol.F_TEAM_REFUSALS, and is a 403 for the whole batch, nothing stored, to one that does
not. Integrity is per revision (a forged or broken one is rejected with a reason, the valid rest is
stored). Storing is idempotent, so a retried or replayed batch gets the same answer.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from fieldapp import domain, item_kinds
from fieldapp.revisions import graph, revision
from fieldapp.errors import FieldappError, NeedsUpdate
from fieldapp.ids import iso, utcnow
from sync import protocol
from sync.server import blobs, db, errors, sealing
from sync.server.frameworks import known_framework
from sync.server.identity import Caller
from sync.server.models import ROLE_LEAD, BlobRef, Concern, Device, Inspector, Record, Revision, TeamMember


SNAPSHOT_REVISED = (
    "Rating snapshot {snapshot_id} already exists; a snapshot never changes once made, so this second version "
    "was refused (publish a new snapshot instead)."
)
PUBLISHED_REVISED = (
    "Published report {snapshot_id} already exists; a published report never changes once made, so this second "
    "version was refused (publish the report again instead)."
)
DRAFT_REVISED = (
    "Shared draft report {snapshot_id} already exists; a draft never changes once shared, so this second version "
    "was refused (share the draft again instead)."
)


class Rejected(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass
class _Incoming:
    wire: protocol.Revision
    body: bytes = b""
    fields: dict = field(default_factory=dict)
    problem: Rejected | None = None
    placed: bool = False  # its body parsed and names its record and assessment in their form

    @property
    def signed(self) -> revision.SignedRevision:
        return revision.SignedRevision(self.wire.id, self.body, base64.b64decode(self.wire.signature))


def accept_push(*, session: Session, caller: Caller, batch: protocol.PushRequest) -> protocol.PushResponse:
    """Check and store a batch in one go (prepare, then accept_prepared, in this transaction)."""
    if not caller.public_key:
        key = session.scalar(sa.select(Device.public_key).where(Device.id == caller.device_id)) or b""
        caller = dataclasses.replace(caller, public_key=key)
    return accept_prepared(connection=session.connection(), caller=caller, incoming=prepare(caller=caller, batch=batch))


def prepare(*, caller: Caller, batch: protocol.PushRequest) -> list[_Incoming]:
    """Every check that needs no database (body, hash, signer, signature, content), done before
    the write transaction: SQLite has one writer at a time, and it must not wait on this."""
    incoming = [_parse(wire) for wire in batch.revisions]
    to_verify = []
    for item in incoming:
        if item.problem is None:
            try:
                _check_alone(item, caller)
            except Rejected as exc:
                item.problem = exc
                continue
            if item.fields["device_id"] != revision.AUTO_MERGE_DEVICE:
                to_verify.append(item)
    for item, holds in _verified(to_verify, caller.public_key):
        if not holds:
            item.problem = Rejected(protocol.R_SIGNATURE, "The signature does not hold for this device's key.")
    return incoming


def accept_prepared(
    *, connection: sa.Connection, caller: Caller, incoming: list[_Incoming], one_by_one: bool = False
) -> protocol.PushResponse:
    """The checks that need what is stored (team, record, parents, merges), then storing, once.
    `one_by_one`: another team's revisions are refused alone (protocol.F_TEAM_REFUSALS), not with a 403."""
    # A snapshot's (a published report's, a shared draft's) one revision is checked against what is stored: two pushes at once take turns.
    db.lock_names(connection, (i.fields["record_id"] for i in incoming if i.problem is None and i.fields["kind"] in item_kinds.IMMUTABLE_KINDS))
    records = _known_records(connection, {i.fields["record_id"] for i in incoming if i.placed})
    _authorise(caller, incoming, records, one_by_one=one_by_one)
    stored = _stored_revisions(connection, incoming)
    store = _Store(connection, caller, records, stored)
    acks = []
    for item in incoming:
        try:
            if item.problem is not None:
                raise item.problem
            store.check_and_add(item)
            acks.append(protocol.Ack(id=item.wire.id, status="accepted"))
        except Rejected as exc:
            acks.append(protocol.Ack(id=item.wire.id, status="rejected", code=exc.code, reason=exc.reason))
    store.flush()
    return protocol.PushResponse(acks=acks)


_VERIFIER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify")
_VERIFY_HERE_UP_TO = 8  # signatures: for a few, handing them to threads costs more than checking them


def _verified(items: list[_Incoming], public_key: bytes) -> list[tuple[_Incoming, bool]]:
    """Each item with whether its signature holds under the key."""
    if len(items) <= _VERIFY_HERE_UP_TO:
        return list(zip(items, _signatures_hold(items, public_key)))
    # Ed25519 verification lets go of the GIL: two threads check a batch in about half the time.
    halves = [items[0::2], items[1::2]]
    verdicts = _VERIFIER.map(_signatures_hold, halves, [public_key] * 2)
    return [pair for half, holds in zip(halves, verdicts) for pair in zip(half, holds)]


def _signatures_hold(items: list[_Incoming], public_key: bytes) -> list[bool]:
    # Each id was checked against its body already (_check_alone); the key is loaded once.
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        return [False] * len(items)
    return [revision.signature_holds(key, item.wire.id, base64.b64decode(item.wire.signature)) for item in items]


def _check_alone(item: _Incoming, caller: Caller) -> None:
    """What a revision must be whatever is stored: its id is its hash, its signer the pushing
    device (or the auto-merge rules), its content valid for its kind."""
    fields = item.fields
    if revision.revision_id(item.body) != item.wire.id:
        raise Rejected(protocol.R_HASH, "The revision id is not the SHA-256 of its body.")
    if fields["device_id"] not in (revision.AUTO_MERGE_DEVICE, caller.device_id):
        raise Rejected(protocol.R_DEVICE, "A device pushes only revisions it signed itself.")
    try:  # a tombstone too: it carries the record's last content, and merges read it
        domain.check_content(fields["kind"], fields["content"])
    except FieldappError as exc:
        raise Rejected(protocol.R_CONTENT, f"The record's content is not valid: {exc}") from None
    try:  # an item's id is derived from what it is of (nothing else may take such an id); items are never deleted
        item_kinds.check_arrival(fields)
    except FieldappError as exc:
        raise Rejected(protocol.R_RECORD, str(exc)) from None
    for att in fields["attachments"]:
        sha256, size = att.get("sha256"), att.get("size")
        if not (isinstance(sha256, str) and _HEX64.fullmatch(sha256) and type(size) is int and 0 <= size <= protocol.MAX_ATTACHMENT_BYTES):
            raise Rejected(protocol.R_CONTENT, "An attachment reference lacks its SHA-256 or a possible size.")


def _parse(wire: protocol.Revision) -> _Incoming:
    item = _Incoming(wire)
    try:
        item.body = wire.body.encode("utf-8")
        item.fields = revision.parse_body(item.body)
        _check_ids(item.fields)
        item.placed = True
    except RecursionError:
        item.problem = Rejected(protocol.R_BODY, "The revision body is malformed: it is nested too deeply.")
    except NeedsUpdate as exc:  # a newer app's format or kind: not malformed, this service is older
        item.problem = Rejected(protocol.R_BODY, str(exc))
    except (ValueError, FieldappError) as exc:  # ValueError: a lone surrogate, an integer of thousands of digits
        item.problem = Rejected(protocol.R_BODY, f"The revision body is malformed: {exc}")
    return item


# What the service stores from a body in columns of fixed width: each must fit, and mean what it says.
_ID_FIELDS = {
    "record_id": re.compile(protocol.UUID_PATTERN),
    "assessment_id": re.compile(protocol.UUID_PATTERN),
    "device_id": re.compile(f"{protocol.UUID_PATTERN}|^{revision.AUTO_MERGE_PREFIX}[0-9]{{1,4}}$"),
    "created_at": re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"),
    "framework": re.compile(protocol.FRAMEWORK_KEY_PATTERN),
}
_HEX64 = re.compile(protocol.HEX64_PATTERN)


def _check_ids(fields: dict) -> None:
    for name, pattern in _ID_FIELDS.items():
        if not isinstance(fields[name], str) or not pattern.fullmatch(fields[name]):
            raise FieldappError(f"{name} is not in the expected form")
    if fields["kind"] not in domain.ALL_KINDS:
        raise FieldappError(f"kind must be one of {', '.join(domain.ALL_KINDS)}")
    if len(fields["parents"]) > protocol.MAX_PARENTS or not all(_HEX64.fullmatch(p) for p in fields["parents"]):
        raise FieldappError(f"parents must be at most {protocol.MAX_PARENTS} revision ids")


# The statements of a push, built once: SQLAlchemy keeps a statement's cache key on the object, so
# a request only binds its values (building them anew each time cost more than running them).
_IDS = sa.bindparam("ids", expanding=True)
_RECORDS = sa.select(Record.id, Record.assessment_id, Record.kind).where(Record.id.in_(_IDS))
_RECORDS_OF_REVISIONS = sa.select(Revision.id, Revision.record_id).where(Revision.id.in_(_IDS))
_RECORD_GRAPH = sa.select(Revision.id, Revision.parents).where(Revision.record_id == sa.bindparam("record_id"))
_SIGNED = sa.select(Revision.assessment_id, Revision.body, Revision.signature).where(Revision.id == sa.bindparam("rev_id"))


def _known_records(connection: sa.Connection, record_ids: set[str]) -> dict[str, sa.Row]:
    """id -> (id, assessment_id, kind) of the stored records among these."""
    if not record_ids:
        return {}
    return {r.id: r for r in connection.execute(_RECORDS, {"ids": sorted(record_ids)})}


def _authorise(caller: Caller, incoming: list[_Incoming], records: dict[str, sa.Row], *, one_by_one: bool) -> None:
    """Before any other answer, even for a revision broken otherwise: is it of one of the device's teams?"""
    for item in incoming:
        if not item.placed:
            continue
        assessment_id = item.fields["assessment_id"]
        known = records.get(item.fields["record_id"])
        if assessment_id not in caller.assessment_ids:
            batch, alone = errors.OTHER_TEAM, errors.NOT_IN_TEAM
        elif known is not None and known.assessment_id not in caller.assessment_ids:
            batch, alone, assessment_id = errors.RECORD_ELSEWHERE, errors.RECORD_NOT_OURS, known.assessment_id
        else:
            continue
        words = {"assessment_id": assessment_id, "record_id": item.fields["record_id"]}
        if not one_by_one:
            raise errors.Forbidden(batch.format(**words))
        item.problem = Rejected(protocol.R_NOT_IN_TEAM, alone.format(**words))


def _stored_revisions(connection: sa.Connection, incoming: list[_Incoming]) -> dict[str, str]:
    """id -> record id of every revision the batch names (itself or as a parent) that is stored."""
    wanted = {i.wire.id for i in incoming} | {p for i in incoming if i.problem is None for p in i.fields["parents"]}
    if not wanted:
        return {}
    return dict(connection.execute(_RECORDS_OF_REVISIONS, {"ids": sorted(wanted)}).tuples().all())


class _Store:
    """The batch's checks against what is stored plus what this batch accepted so far."""

    def __init__(self, connection: sa.Connection, caller: Caller, records: dict[str, sa.Row], stored: dict[str, str]) -> None:
        self.connection, self.caller, self.records = connection, caller, records
        self.seals = sealing.of(connection)
        self.known = dict(stored)  # revision id -> record id
        self.new_records: dict[str, dict] = {}
        self.new_revisions: list[dict] = []
        self.blob_refs: dict[tuple[str, str], int] = {}
        self.now = iso(utcnow())
        self._xid: int | None = None
        self._batch_signed: dict[str, revision.SignedRevision] = {}
        self._leads: dict[str, tuple[str, str] | None] = {}  # assessment id -> its lead inspector (id, name)
        self.concerns: dict[str, dict] = {}  # concern id -> what the office's list shows, from its newest revision here

    def check_and_add(self, item: _Incoming) -> None:
        """What prepare() could not check (it needs what is stored), then keep it if it is new."""
        fields = item.fields
        self._check_record(fields)
        if fields["kind"] in item_kinds.IMMUTABLE_KINDS and item.wire.id not in self.known:
            self._check_first_of_snapshot(fields)
        self._check_parents(fields)
        if fields["device_id"] == revision.AUTO_MERGE_DEVICE:
            self._check_merge(item)
        if not known_framework(self.connection, fields["framework"]):
            raise Rejected(protocol.R_FRAMEWORK, f"The service does not know framework {fields['framework']!r}.")
        if item.wire.id not in self.known:
            if fields["device_id"] != revision.AUTO_MERGE_DEVICE and fields["kind"] in item_kinds.ITEM_KINDS:
                self._check_lead(fields)
            self._add(item)

    def _check_lead(self, fields: dict) -> None:
        """Where the team has a lead inspector, only their devices newly agree a judgement, set or
        change the final rating, or make a rating snapshot (an auto-merge only combines its parents)."""
        lead = self._lead(fields["assessment_id"])
        if lead is None or lead[0] == self.caller.inspector_id:
            return
        kind, content = fields["kind"], fields["content"]
        parents = [revision.parse_body(self._load(p).body)["content"] for p in fields["parents"]]
        if kind == item_kinds.JUDGEMENT and content.get("status") == "agreed" and not any(p.get("status") == "agreed" for p in parents):
            does = "agrees judgements"
        elif kind == item_kinds.RATING and all(_final(content) != _final(p) for p in parents or [{}]):
            does = "sets the final rating"
        elif kind == item_kinds.SNAPSHOT:
            does = "publishes the rating and records reviews"
        elif kind == item_kinds.PUBLISHED:
            does = "publishes the report"
        elif kind == item_kinds.REPORT_DRAFT:
            does = "shares the draft report for the factual accuracy check"
        else:
            return
        raise Rejected(protocol.R_NOT_LEAD, f"Only the lead inspector, {lead[1]}, {does}; this revision was refused, nothing else.")

    def _lead(self, assessment_id: str) -> tuple[str, str] | None:
        if assessment_id not in self._leads:
            row = self.connection.execute(_LEAD, {"assessment_id": assessment_id}).first()
            self._leads[assessment_id] = (row.inspector_id, row.name) if row is not None else None
        return self._leads[assessment_id]

    def _check_record(self, fields: dict) -> None:
        record = self.records.get(fields["record_id"])
        facts = (record.assessment_id, record.kind) if record is not None else None
        if facts is None and fields["record_id"] in self.new_records:
            new = self.new_records[fields["record_id"]]
            facts = (new["assessment_id"], new["kind"])
        if facts is not None and facts != (fields["assessment_id"], fields["kind"]):
            raise Rejected(protocol.R_RECORD, "The record's assessment or kind differs from its first revision.")

    def _check_first_of_snapshot(self, fields: dict) -> None:
        """A rating snapshot (a published report, a shared draft) is one revision with no parents: a second one is refused, never stored."""
        record_id = fields["record_id"]
        if fields["parents"] or record_id in self.records or record_id in self.new_records:
            words = {item_kinds.PUBLISHED: PUBLISHED_REVISED, item_kinds.REPORT_DRAFT: DRAFT_REVISED}.get(fields["kind"], SNAPSHOT_REVISED)
            raise Rejected(protocol.R_IMMUTABLE, words.format(snapshot_id=record_id))

    def _check_parents(self, fields: dict) -> None:
        for parent in fields["parents"]:
            if self.known.get(parent) != fields["record_id"]:
                raise Rejected(protocol.R_PARENT, f"Parent {parent[:12]}… is not stored for this record: push it first.")

    def _check_merge(self, item: _Incoming) -> None:
        parents = self._record_graph(item.fields["record_id"])
        try:
            graph.check_auto_merge(item.signed, parents, self._load)
        except FieldappError as exc:
            raise Rejected(protocol.R_MERGE, str(exc)) from None

    def _record_graph(self, record_id: str) -> dict[str, list[str]]:
        rows = self.connection.execute(_RECORD_GRAPH, {"record_id": record_id})
        found = {rev_id: json.loads(parents) for rev_id, parents in rows}
        for row in self.new_revisions:
            if row["record_id"] == record_id:
                found[row["id"]] = json.loads(row["parents"])
        return found

    def _load(self, rev_id: str) -> revision.SignedRevision:
        if rev_id in self._batch_signed:
            return self._batch_signed[rev_id]
        row = self.connection.execute(_SIGNED, {"rev_id": rev_id}).one()
        return revision.SignedRevision(rev_id, self.seals.open_body(row.assessment_id, rev_id, row.body), row.signature)

    def _add(self, item: _Incoming) -> None:
        fields = item.fields
        record_id = fields["record_id"]
        if record_id not in self.records and record_id not in self.new_records:
            self.new_records[record_id] = {"id": record_id, "assessment_id": fields["assessment_id"], "kind": fields["kind"]}
        self.new_revisions.append(
            {
                "xid": self.xid,
                "id": item.wire.id,
                "record_id": record_id,
                "assessment_id": fields["assessment_id"],
                "device_id": fields["device_id"],
                "pushed_by": self.caller.device_id,
                "parents": json.dumps(fields["parents"]),
                "body": self.seals.seal_body(fields["assessment_id"], item.wire.id, item.body),
                "signature": base64.b64decode(item.wire.signature),
                "created_at": fields["created_at"],
                "received_at": self.now,
            }
        )
        for att in fields["attachments"]:
            self.blob_refs[(att["sha256"], fields["assessment_id"])] = att["size"]
        if fields["kind"] == item_kinds.CONCERN:
            self.concerns[record_id] = {"assessment_id": fields["assessment_id"], **fields["content"]}  # checked by _check_alone
        self.known[item.wire.id] = record_id
        self._batch_signed[item.wire.id] = item.signed

    @property
    def xid(self) -> int:
        if self._xid is None:
            self._xid = db.current_xid(self.connection)
        return self._xid

    def flush(self) -> None:
        connection = self.connection
        if self.new_records:
            db.insert_ignore(connection, Record.__table__, list(self.new_records.values()), ["id"])
        if self.new_revisions:
            db.insert_ignore(connection, Revision.__table__, self.new_revisions, ["id"])
        if self.blob_refs:
            held = blobs.proven_elsewhere(connection, self.caller, {s for s, _a in self.blob_refs})
            rows = [{"sha256": s, "assessment_id": a, "size": n, "proven": s in held} for (s, a), n in self.blob_refs.items()]
            db.insert_ignore(connection, BlobRef.__table__, rows, ["sha256", "assessment_id"])
        if self.concerns:
            self._file_concerns()

    def _sealed(self, concern_id: str, concern: dict, column: str) -> str:
        return self.seals.seal_text(concern["assessment_id"], concern_id, column, concern[column])

    def _file_concerns(self) -> None:
        """The office's list: a concern new here is added (raised by the inspector this device is
        enrolled for, as the service knows them); one known is brought up to its newest revision.
        Its acknowledgement, if any, stays: the office saw it and said so."""
        name = self.connection.scalar(sa.select(Inspector.name).where(Inspector.id == self.caller.inspector_id)) or ""
        new = [
            {
                "id": concern_id, "assessment_id": c["assessment_id"], "concern_kind": c["concern_kind"], "urgency": c["urgency"],
                "heard": self._sealed(concern_id, c, "heard"), "tell": self._sealed(concern_id, c, "tell"), "raised_by": (name or c["raised_by"])[:300], "raised_at": c["raised_at"][:40],
                "device_id": self.caller.device_id, "received_at": self.now, "updated_at": self.now,
                "acknowledged_by": None, "acknowledged_at": None, "acknowledgement_note": None,
            }
            for concern_id, c in self.concerns.items()
        ]  # fmt: skip
        db.insert_ignore(self.connection, Concern.__table__, new, ["id"])
        for c in new:
            values = {"v_kind": c["concern_kind"], "v_urgency": c["urgency"], "v_heard": c["heard"], "v_tell": c["tell"], "v_now": self.now}
            self.connection.execute(_UPDATE_CONCERN, {"concern_id": c["id"], **values})


def _final(content: dict) -> tuple[object, object]:
    """A rating's final score and its reason: what only the lead sets ("" and None: none set)."""
    return content.get("final_score"), content.get("reason") or ""


_UPDATE_CONCERN = (
    sa.update(Concern)
    .where(Concern.id == sa.bindparam("concern_id"))
    .values(
        concern_kind=sa.bindparam("v_kind"), urgency=sa.bindparam("v_urgency"), heard=sa.bindparam("v_heard"),
        tell=sa.bindparam("v_tell"), updated_at=sa.bindparam("v_now"),
    )
)  # fmt: skip
_LEAD = (
    sa.select(TeamMember.inspector_id, Inspector.name)
    .join(Inspector, Inspector.id == TeamMember.inspector_id)
    .where(TeamMember.assessment_id == sa.bindparam("assessment_id"), TeamMember.role == ROLE_LEAD)
)
