"""A record's history: its signed revisions, what each held, and restoring one as a new revision;
deleted records (tombstones) and bringing one back."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import sqlalchemy as sa

from fieldapp import domain
from fieldapp.context import VaultContext
from fieldapp.errors import KEPT_ON_SERVICE, FieldappError, KeptOnService, NotFound
from fieldapp.revisions import revision
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
class HistoryEntry:
    """One revision as the history lists it: the revision, and what it changed ("Notes edited")."""

    revision: RevisionRow
    change: str


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
        """Oldest first by when each was saved (revisions from other laptops arrive in any order),
        with which device made each (`signers` names them)."""
        with self._context.transaction("reading history") as session:
            return tuple(revision_row(r) for r in _in_time_order(session, record_id))

    def entries(self, record_id: str) -> tuple[HistoryEntry, ...]:
        """Newest first by when each was saved, each with what it changed in words."""
        with self._context.transaction("reading history") as session:
            rows = _in_time_order(session, record_id)
            bodies = {r.id: revision.parse_body(r.body) for r in rows}
            return tuple(
                HistoryEntry(revision_row(r), _change_words(bodies[r.id], [bodies[p] for p in parents_of(r) if p in bodies]))
                for r in reversed(rows)
            )

    def changes_back_to(self, record_id: str, revision_id: str) -> str:
        """What restoring revision_id would change, compared with the newest revision, in words."""
        with self._context.transaction("reading history") as session:
            rows = _in_time_order(session, record_id)
            target = _get(session, revision_id)
            if not rows or target.record_id != record_id:
                raise NotFound(f"Revision {revision_id[:12]}… is not part of this record's history.")
            return _change_words(revision.parse_body(target.body), [revision.parse_body(rows[-1].body)], restoring=True)

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


def _in_time_order(session: sa.orm.Session, record_id: str) -> list[Revision]:
    """A record's revisions, oldest first by the time each was saved; ties in the order they came."""
    load(session, record_id, include_deleted=True)
    query = sa.select(Revision).where(Revision.record_id == record_id).order_by(Revision.created_at, Revision.seq)
    return list(session.scalars(query).all())


def _change_words(body: dict, parents: list[dict], *, restoring: bool = False) -> str:
    """What a revision changed from its (first) parent, in words: "Notes edited", "Tagged 2
    statements", "Title and notes edited; a file added". With restoring, what going back would change."""
    if body["deleted"]:
        return "Deleted"
    if not parents:
        return "Created"
    before = parents[0]
    if len(parents) > 1 and not restoring:
        return "Versions merged"
    if before["deleted"]:
        return "Brought back after deletion"
    parts = [
        part
        for part in (_fields_words(body, before, restoring), _count_words(body, before, "links", "tag", "tagged", "untagged", "statement"),
                     _count_words(body, before, "attachments", "file", "added", "removed", "file"))  # fmt: skip
        if part
    ]
    if not parts:
        return "Nothing would change" if restoring else "No changes to the content"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _fields_words(body: dict, before: dict, restoring: bool) -> str:
    new, old = body.get("content") or {}, before.get("content") or {}
    names = [domain.field_label(f"{body['kind']}.{key}") for key in sorted(set(new) | set(old), key=_field_order(body)) if new.get(key) != old.get(key)]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    listed = listed[0] + listed[1:].lower() if len(names) > 1 else listed
    return f"{listed} {('as they were then' if len(names) > 1 else 'as it was then') if restoring else 'edited'}"


def _field_order(body: dict):  # noqa: ANN202 - a sort key
    """The fields in the editor's order (a body's keys are sorted), unknown ones last."""
    try:
        order = [f.name for f in dataclasses.fields(domain.from_dict(body["kind"], body["content"]))]
    except FieldappError:  # a kind or field this app does not know yet: alphabetical will do
        order = []
    return lambda key: (order.index(key) if key in order else len(order), key)


def _count_words(body: dict, before: dict, key: str, noun: str, more: str, fewer: str, thing: str) -> str:
    """'tagged 2 statements', 'a file removed', 'tags changed': what changed in a list of items."""
    new, old = {item["id"] for item in body.get(key, [])}, {item["id"] for item in before.get(key, [])}
    added, removed = len(new - old), len(old - new)
    if key == "links":
        if added and not removed:
            return f"tagged {_count(added, thing)}"
        if removed and not added:
            return f"untagged {_count(removed, thing)}"
        return "tags changed" if added or removed or body.get(key) != before.get(key) else ""
    if added and not removed:
        return f"{_count(added, noun)} {more}"
    if removed and not added:
        return f"{_count(removed, noun)} {fewer}"
    return "files changed" if added or removed else ""


def _count(n: int, noun: str) -> str:
    return f"a {noun}" if n == 1 and noun == "file" else f"{n} {noun}{'s' if n != 1 else ''}"


def _get(session: sa.orm.Session, revision_id: str) -> Revision:
    rev = session.scalar(sa.select(Revision).where(Revision.id == revision_id))
    if rev is None:
        raise NotFound(f"No revision with id {revision_id}.")
    if not rev.body:  # retention left it on the service (fieldapp.replication.retention)
        raise KeptOnService(KEPT_ON_SERVICE)
    return rev


def _link(record_id: str, data: dict) -> LinkRow:
    p = data.get("passage")
    passage = Passage(p["field"], p["start"], p["end"], p["text"]) if p else None
    return LinkRow(data["id"], record_id, data["statement"], data["category"], data.get("comment", ""), passage)


def parents_of(rev: Revision) -> tuple[str, ...]:
    return tuple(json.loads(rev.parents))
