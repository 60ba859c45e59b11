"""Bringing one record up to date after revisions arrive: fast-forward, auto-merge, or conflict.

Every device settles the same revision graph the same way: one head is adopted as the draft;
several heads are merged pairwise in id order (fieldapp.revisions.graph) into merge revisions that are
byte-identical everywhere; a true collision leaves the heads for the inspector, who resolves
them with a merge revision naming every head. Nothing is overwritten: an unsaved draft is cut
into a revision first, and every head stays in the history.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain
from fieldapp.revisions import graph, revision
from fieldapp.context import VaultContext
from fieldapp.errors import FieldappError, NotFound, ValidationError
from fieldapp.revisions.merge import Collision, merge_bodies
from fieldapp.storage.models import Assessment, Blob, Record, Revision
from fieldapp.records import RECORD_BY_ID, apply_snapshot, cut_revision, describe, snapshot, write_content



class Outcome(enum.Enum):
    CREATED = "created"  # a record new to this vault
    UPDATED = "updated"  # fast-forwarded to a newer revision
    MERGED = "merged"  # heads merged by themselves
    CONFLICT = "conflict"  # heads that need the inspector
    WAITING = "waiting"  # a parent has not arrived yet (it will, later in this sync)
    UNCHANGED = "unchanged"
    KEPT = "kept"  # its content is on the service only (retention): what arrived waits until it is opened
    REFUSED = "refused"  # what arrived for it could not be stored here; the rest of the page was


@dataclass(frozen=True)
class Conflict:
    """A record whose heads collide: each head's body, and what collides."""

    record_id: str
    title: str
    heads: tuple[revision.SignedRevision, ...]
    collisions: tuple[Collision, ...]


Arrived = Mapping[str, tuple[revision.SignedRevision, dict]]  # revisions just pulled, with their parsed bodies


class Settled(NamedTuple):
    outcome: Outcome
    refused: list[str]  # why pulled revisions were not taken
    made_here: int = 0  # revisions made on this laptop (an unsaved draft cut, merges), to push


def settle(session: Session, context: VaultContext, record_id: str, arrived: Arrived | None = None) -> Settled:
    """Bring record_id's draft to its revision graph; returns the outcome, any refusals, and how
    many revisions it made here.

    `arrived` holds the revisions this pull just stored (their bodies are in memory already, so
    reading them again is spared). Pulled auto-merges are checked here, once the graph is whole.
    """
    if session.scalar(_PURGED_AT, {"record_id": record_id}) is not None:
        # Merging needs its ancestors' bodies, which left with its content: what arrived is stored
        # (checked) and settled when the record is fetched again (fieldapp.replication.retention.restore).
        return Settled(Outcome.KEPT, [])
    arrived = arrived or {}
    rows = _graph_rows(session, record_id)
    parents = {rev_id: row.parents for rev_id, row in rows.items()}
    if graph.missing_parents(parents):
        return Settled(Outcome.WAITING, [])  # its auto-merges stay awaiting their check until the parents come

    def get(rev_id: str) -> revision.SignedRevision:
        return arrived[rev_id][0] if rev_id in arrived else _load(session, rev_id)

    refused = _check_auto_merges(session, rows, parents, get)
    if refused and graph.missing_parents(parents):
        return Settled(Outcome.WAITING, refused)  # built on a refused merge: nothing of it is adopted
    rec = session.scalar(RECORD_BY_ID, {"record_id": record_id})
    cut = None
    if rec is not None and rec.draft_dirty:
        cut = cut_revision(session, context, rec)  # the inspector's unsaved words become a head first
        if cut is not None:
            parents[cut.id] = json.loads(cut.parents)
            rows[cut.id] = _GraphRow(parents[cut.id], cut.created_at, pushed=False, awaiting_check=False)
    heads = graph.heads(parents)
    if not heads:
        return Settled(Outcome.UNCHANGED, refused, int(cut is not None))
    made: list[revision.SignedRevision] = []
    collisions: tuple[Collision, ...] = ()
    if len(heads) > 1:
        made, collisions = graph.fold_heads(heads, parents, get)
        for merged in made:
            _store_merge(session, merged)
        heads = graph.heads(parents)
    target = _choose(rows, rec, heads) if collisions else heads[0]
    merged_bodies = {m.id: m for m in made}
    target_rev = merged_bodies.get(target) or get(target)
    first_created = min(row.created_at for row in rows.values())
    rec, outcome = _adopt_or_create(session, context, rec, target, target_rev.fields(), first_created)
    made_here = len(made) + int(cut is not None)
    if rec is None:
        return Settled(Outcome.WAITING, refused, made_here)
    unpushed = bool(made) or any(not row.pushed for row in rows.values())
    rec.sync_state = "conflict" if collisions else ("local" if unpushed or rec.draft_dirty else "synced")
    if collisions:
        return Settled(Outcome.CONFLICT, refused, made_here)
    if made:
        return Settled(Outcome.MERGED, refused, made_here)
    return Settled(outcome, refused, made_here)


def heads_of(session: Session, record_id: str) -> list[str]:
    return graph.heads(_graph(session, record_id))


def conflict_of(session: Session, rec: Record) -> Conflict:
    """Both (or all) heads of a record in conflict, and what collides between the first two."""
    parents = _graph(session, rec.id)
    head_ids = graph.heads(parents)
    heads = tuple(_load(session, h) for h in head_ids)
    collisions: tuple[Collision, ...] = ()
    if len(heads) >= 2:
        _made, collisions = graph.fold_heads(head_ids, dict(parents), lambda rid: _load(session, rid))
    return Conflict(rec.id, rec.title, heads, collisions)


def resolve(session: Session, context: VaultContext, rec: Record, take: str | None) -> Revision:
    """End a conflict: a revision naming every head as a parent, holding the head chosen (take)
    or, with take=None, the draft as the inspector merged it by hand."""
    heads = heads_of(session, rec.id)
    if len(heads) < 2:
        raise ValidationError("This record is not in conflict any more; nothing to resolve.")
    if take is not None:
        if take not in heads:
            raise NotFound("That version is not one of the record's conflicting versions.")
        body = _load(session, take).fields()
        if not body["deleted"]:
            body = _with_deleters_edits(session, rec.id, heads, take, body)
        if body["deleted"]:
            rec.deleted = True
            session.execute(sa.text("DELETE FROM record_fts WHERE rowid = :num"), {"num": rec.num})
        else:
            _placeholders(session, body["attachments"])
            apply_snapshot(session, context, rec, body)
    signed = revision.create(
        snapshot(session, rec), parents=tuple(heads), device_id=context.device_id, created_at=context.now(), private_key=context.signing_key
    )
    row = Revision(
        id=signed.id, record_id=rec.id, parents=json.dumps(sorted(heads)), body=signed.body, signature=signed.signature,
        device_id=context.device_id, created_at=context.now(), deleted=rec.deleted, pushed=False,
    )  # fmt: skip
    session.add(row)
    rec.head_revision_id, rec.draft_dirty, rec.dirty_since, rec.sync_state = signed.id, False, None, "local"
    session.flush()
    return row


# -- helpers ---------------------------------------------------------------------------------------


def _with_deleters_edits(session: Session, record_id: str, heads: list[str], take: str, body: dict) -> dict:
    """Keeping a version against a delete keeps what the deleting side had written before it
    deleted, where that merges cleanly: a colleague's last words are not dropped by the choice to
    keep the record (where they collide, the kept version's stand and theirs stay in the history)."""
    parents = _graph(session, record_id)
    for other in heads:
        if other == take or not _load(session, other).fields()["deleted"]:
            continue
        before = next((p for p in parents.get(other, ()) if not _load(session, p).fields()["deleted"]), None)
        if before is None:
            continue
        base_id = graph.merge_base(parents, before, take)
        base = _load(session, base_id).fields() if base_id else None
        merged = merge_bodies(base, _load(session, before).fields(), body)
        if merged.snapshot is not None:
            snap = merged.snapshot
            body = {**body, "content": dict(snap.content), "links": [dict(x) for x in snap.links],
                    "attachments": [dict(x) for x in snap.attachments]}  # fmt: skip
    return body



def _graph(session: Session, record_id: str) -> dict[str, list[str]]:
    """The record's graph as the inspector may act on it: an auto-merge still awaiting its check,
    and whatever was built on it, is never offered as a version to keep."""
    rows = _graph_rows(session, record_id)
    held = {rev_id for rev_id, row in rows.items() if row.awaiting_check}
    while more := {rev_id for rev_id, row in rows.items() if rev_id not in held and held.intersection(row.parents)}:
        held |= more
    return {rev_id: row.parents for rev_id, row in rows.items() if rev_id not in held}


class _GraphRow(NamedTuple):
    """What settling needs of one of a record's revisions."""

    parents: list[str]
    created_at: str
    pushed: bool
    awaiting_check: bool  # arrived, its signer's key not yet known: not applied


def _graph_rows(session: Session, record_id: str) -> dict[str, _GraphRow]:
    """id -> (parents, created_at, pushed, awaiting_check) for every revision of the record, oldest first."""
    rows = session.execute(_GRAPH_ROWS, {"record_id": record_id})
    return {r.id: _GraphRow(json.loads(r.parents), r.created_at, bool(r.pushed), bool(r.awaiting_check)) for r in rows}


# Built once: building a select costs more than running a small one (see fieldapp.replication.exchange).
_GRAPH_ROWS = (
    sa.select(Revision.id, Revision.parents, Revision.created_at, Revision.pushed, Revision.awaiting_check)
    .where(Revision.record_id == sa.bindparam("record_id"))
    .order_by(Revision.seq)
)
_PURGED_AT = sa.select(Record.purged_at).where(Record.id == sa.bindparam("record_id"))
_BODY = sa.select(Revision.body, Revision.signature).where(Revision.id == sa.bindparam("rev_id"))
_HAS_REVISION = sa.select(Revision.id).where(Revision.id == sa.bindparam("rev_id"))


def _load(session: Session, rev_id: str) -> revision.SignedRevision:
    row = session.execute(_BODY, {"rev_id": rev_id}).one()
    return revision.SignedRevision(rev_id, row.body, row.signature)


def _check_auto_merges(
    session: Session, rows: dict[str, _GraphRow], parents: dict[str, list[str]], get: Callable[[str], revision.SignedRevision]
) -> list[str]:
    """Pulled auto-merges are taken only if they are exactly the merge of their parents; a refused
    one leaves the vault and the graph (rows, parents).

    Every one still awaiting its check is checked, not just those of the latest page: a merge
    that came a page before its second parent would otherwise never be checked, and be adopted.
    """
    refused = []
    for rev_id in [rev_id for rev_id, row in rows.items() if row.awaiting_check]:
        try:
            graph.check_auto_merge(get(rev_id), parents, get)
        except FieldappError as exc:
            refused.append(str(exc))
            session.execute(sa.delete(Revision).where(Revision.id == rev_id))
            parents.pop(rev_id, None)
            rows.pop(rev_id, None)
            continue
        session.execute(sa.update(Revision).where(Revision.id == rev_id).values(awaiting_check=False))
    return refused


def _store_merge(session: Session, merged: revision.SignedRevision) -> None:
    if session.scalar(_HAS_REVISION, {"rev_id": merged.id}) is not None:
        return  # this merge arrived from the service already: the same bytes
    fields = merged.fields()
    session.add(
        Revision(
            id=merged.id, record_id=fields["record_id"], parents=json.dumps(fields["parents"]), body=merged.body,
            signature=b"", device_id=revision.AUTO_MERGE_DEVICE, created_at=fields["created_at"],
            deleted=fields["deleted"], pushed=False,
        )  # fmt: skip
    )
    session.flush()


def _choose(rows: dict[str, _GraphRow], rec: Record | None, heads: list[str]) -> str:
    """In a conflict the draft stays on this device's version when it is a head; else the newest."""
    if rec is not None and rec.head_revision_id in heads:
        return rec.head_revision_id
    return max(heads, key=lambda h: (rows[h].created_at if h in rows else "", h))


def _adopt_or_create(
    session: Session, context: VaultContext, rec: Record | None, target: str, body: dict, first_created: str
) -> tuple[Record | None, Outcome]:
    if rec is None:
        if session.get(Assessment, body["assessment_id"]) is None:
            return None, Outcome.WAITING  # its assessment arrives with the same pull; settle again then
        rec = _new_record(session, context, body, first_created)
        _adopt(session, context, rec, body, target, fresh=True)
        return rec, Outcome.CREATED
    if rec.head_revision_id == target:
        return rec, Outcome.UNCHANGED
    _adopt(session, context, rec, body, target)
    return rec, Outcome.UPDATED


def _new_record(session: Session, context: VaultContext, body: dict, first_created: str) -> Record:
    rec = Record(
        id=body["record_id"], assessment_id=body["assessment_id"], kind=body["kind"], framework_key=body["framework"],
        title="", head_revision_id=None, draft_dirty=False, dirty_since=None, deleted=False, sync_state="synced",
        created_at=first_created, updated_at=context.now(), indexed=False, flags="",
    )  # fmt: skip
    session.add(rec)
    session.flush()
    empty: domain.Content | domain.ItemContent
    if domain.is_item(body["kind"]):  # an item has no empty form: its first content stands in until adopted
        empty = domain.item_from_dict(body["kind"], body["content"])
    else:
        empty = domain.content_class(body["kind"])()
    write_content(session, rec.num, empty)
    describe(rec, empty)
    return rec


def _adopt(session: Session, context: VaultContext, rec: Record, body: dict, head_id: str, *, fresh: bool = False) -> None:
    """Make a revision the record's draft, as if it had been typed here and saved."""
    if body["deleted"]:
        rec.deleted = True
        session.execute(sa.text("DELETE FROM record_fts WHERE rowid = :num"), {"num": rec.num})
    else:
        _placeholders(session, body["attachments"])
        apply_snapshot(session, context, rec, body, fresh=fresh)  # marks it for the search index to catch up
    rec.framework_key = body["framework"]
    rec.head_revision_id, rec.draft_dirty, rec.dirty_since = head_id, False, None
    session.flush()


def readopt(session: Session, context: VaultContext, rec: Record, head_id: str, body: dict) -> None:
    """Make the record's own head revision its draft again (its content came back from the service)."""
    _adopt(session, context, rec, body, head_id)


def _placeholders(session: Session, attachments: list[dict]) -> None:
    """Blob rows for bytes not downloaded yet, so attachments can name them; sync fetches them."""
    for att in attachments:
        if session.get(Blob, att["sha256"]) is None:
            session.add(Blob(sha256=att["sha256"], name=None, blob_id=None, size=att["size"], uploaded=True))
    session.flush()
