"""A record's history: its signed revisions, what each held, and restoring one as a new revision;
deleted records (tombstones) and bringing one back."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.context import VaultContext
from fieldapp.errors import NotFound
from fieldapp.storage.models import Record, Revision
from fieldapp.records import apply_snapshot, cut_revision, load, revision_row, to_row
from fieldapp.rows import Changes, Done, LinkRow, Passage, RecordRow, RevisionRow
from fieldapp.signers import Signer, signers



@dataclass(frozen=True)
class RevisionSnapshot:
    """What one revision fixed: the record's content, links and attachment references."""

    revision: RevisionRow
    kind: str
    content: domain.Content | None  # None for a tombstone
    links: tuple[LinkRow, ...]
    attachments: tuple[dict, ...]


@dataclass(frozen=True)
class DeletedRecord:
    """A record whose head is a tombstone: what it was called, and when and on which device it went."""

    id: str
    assessment_id: str
    kind: str
    title: str
    deleted_at: str
    device_id: str


class History:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def revisions(self, record_id: str) -> tuple[RevisionRow, ...]:
        """Oldest first, with which device made each (`signers` names them) and when."""
        with self._context.transaction("reading history") as session:
            load(session, record_id, include_deleted=True)
            rows = session.scalars(sa.select(Revision).where(Revision.record_id == record_id).order_by(Revision.seq)).all()
            return tuple(revision_row(r) for r in rows)

    def signers(self) -> dict[str, Signer]:
        """Who made revisions here, by device id: inspector and laptop, in words (`Signer.words`)."""
        with self._context.transaction("reading who made revisions") as session:
            return signers(session, self._context.device_id)

    def snapshot(self, revision_id: str) -> RevisionSnapshot:
        with self._context.transaction("reading a revision") as session:
            rev = _get(session, revision_id)
            body = revision.parse_body(rev.body)
            content = None if body["deleted"] else domain.from_dict(body["kind"], body["content"])
            links = tuple(_link(rev.record_id, link) for link in body["links"])
            return RevisionSnapshot(revision_row(rev), body["kind"], content, links, tuple(body["attachments"]))

    def signed(self, revision_id: str) -> revision.SignedRevision:
        """The revision as it is sent and checked: id, canonical body, signature."""
        with self._context.transaction("reading a revision") as session:
            rev = _get(session, revision_id)
            return revision.SignedRevision(rev.id, rev.body, rev.signature)

    def restore(self, record_id: str, revision_id: str) -> Done[RecordRow]:
        """Bring back an earlier revision's content as a new revision (history only grows)."""
        with self._context.transaction("restoring a revision") as session:
            rec = load(session, record_id, include_deleted=True)
            rev = _get(session, revision_id)
            if rev.record_id != rec.id:
                raise NotFound(f"Revision {revision_id[:12]}… is not part of this record's history.")
            body = revision.parse_body(rev.body)
            if body["deleted"]:
                raise NotFound("That revision is a deletion; pick an earlier one to restore.")
            cut_revision(session, self._context, rec)  # keep the current draft first
            apply_snapshot(session, self._context, rec, body)
            cut = cut_revision(session, self._context, rec)
            revs = frozenset({cut.id}) if cut else frozenset()
            return Done(to_row(session, rec), Changes(records=frozenset({rec.id}), revisions=revs))

    def deleted_records(self, assessment_id: str) -> tuple[DeletedRecord, ...]:
        """The assessment's deleted records, most recently deleted first (on any device)."""
        with self._context.transaction("listing deleted records") as session:
            rows = session.execute(_DELETED, {"assessment_id": assessment_id}).all()
            return tuple(DeletedRecord(*row) for row in rows)

    def restore_deleted(self, record_id: str) -> Done[RecordRow]:
        """Undo a delete: its last content, tags and attachment references as a new revision
        after the tombstone (so every device that synced the delete takes the record back too)."""
        with self._context.transaction("restoring a deleted record") as session:
            rec = load(session, record_id, include_deleted=True)
            if not rec.deleted:
                return Done(to_row(session, rec), Changes())
            before = _last_before_deletion(session, rec)
            if before is None:
                raise NotFound("This record has no version from before it was deleted to bring back.")
            apply_snapshot(session, self._context, rec, revision.parse_body(before.body))
            cut = cut_revision(session, self._context, rec)
            changed = frozenset({cut.id}) if cut else frozenset()
            return Done(to_row(session, rec), Changes(records=frozenset({rec.id}), revisions=changed))


def _last_before_deletion(session: sa.orm.Session, rec: Record) -> Revision | None:
    """The newest revision that is not a tombstone among the head's nearest such ancestors.

    Walked by parents, not by age: a tombstone that merged two heads has a version on each side,
    and an older revision elsewhere in the history is not what was deleted.
    """
    by_id = {r.id: r for r in session.scalars(sa.select(Revision).where(Revision.record_id == rec.id))}
    frontier: list[str] = [rec.head_revision_id] if rec.head_revision_id else []
    seen, found = set(), []
    while frontier:
        rev = by_id.get(frontier.pop())
        if rev is None or rev.id in seen:
            continue
        seen.add(rev.id)
        if rev.deleted:
            frontier.extend(parents_of(rev))
        else:
            found.append(rev)
    return max(found, key=lambda r: r.seq, default=None)


_DELETED = (
    sa.select(Record.id, Record.assessment_id, Record.kind, Record.title, Revision.created_at, Revision.device_id)
    .join(Revision, Revision.id == Record.head_revision_id)
    .where(Record.assessment_id == sa.bindparam("assessment_id"), Record.deleted == sa.true())
    .order_by(Revision.created_at.desc(), Record.num.desc())
)


def _get(session: sa.orm.Session, revision_id: str) -> Revision:
    rev = session.scalar(sa.select(Revision).where(Revision.id == revision_id))
    if rev is None:
        raise NotFound(f"No revision with id {revision_id}.")
    return rev


def _link(record_id: str, data: dict) -> LinkRow:
    p = data.get("passage")
    passage = Passage(p["field"], p["start"], p["end"], p["text"]) if p else None
    return LinkRow(data["id"], record_id, data["statement"], data["category"], data.get("comment", ""), passage)


def parents_of(rev: Revision) -> tuple[str, ...]:
    return tuple(json.loads(rev.parents))
