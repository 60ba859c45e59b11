"""Records: create, autosave the working draft, delete (a tombstone revision), cut revisions.

Module-level helpers take a session and never commit; the Records methods each run one
transaction through the vault and return frozen rows with what changed.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, revision
from fieldapp.canonical import canonical_json
from fieldapp.errors import NotFound
from fieldapp.ids import uuid7
from fieldapp.models import Assessment, Attachment, Link, Record, Revision
from fieldapp.rows import AttachmentRow, Changes, Done, LinkRow, Passage, RecordRow, RecordSummary, RevisionRow

if TYPE_CHECKING:
    from fieldapp.vault import Vault

REVISION_AFTER_S = 5 * 60  # continuous editing before a revision is cut by itself


class Records:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def create(self, assessment_id: str, content: domain.Content) -> Done[RecordRow]:
        """A new record with its first draft; its first revision is cut when the inspector leaves it."""
        domain.validate(content)
        now = self._vault.now()
        with self._vault.transaction("creating a record") as session:
            assessment = session.get(Assessment, assessment_id)
            if assessment is None:
                raise NotFound(f"No assessment with id {assessment_id}.")
            rec = Record(
                id=uuid7(),
                assessment_id=assessment_id,
                kind=content.kind,
                framework_key=assessment.framework_key,
                head_revision_id=None,
                draft_dirty=True,
                dirty_since=now,
                deleted=False,
                sync_state="local",
                created_at=now,
                updated_at=now,
            )
            write_content(rec, content)
            session.add(rec)
            session.flush()
            reindex(session, rec, content)
            return Done(to_row(session, rec), Changes(records=frozenset({rec.id})))

    def get(self, record_id: str, *, include_deleted: bool = False) -> RecordRow:
        with self._vault.transaction("reading a record") as session:
            return to_row(session, load(session, record_id, include_deleted=include_deleted))

    def list(self, assessment_id: str | None = None, *, include_deleted: bool = False) -> tuple[RecordSummary, ...]:
        """Summaries, newest change first (the search module adds words and filters)."""
        from fieldapp.search import Query, run

        return run(self._vault, Query(assessment_id=assessment_id, include_deleted=include_deleted, limit=None)).items

    def save(self, record_id: str, content: domain.Content) -> Done[RecordRow]:
        """Autosave: rewrite the working draft in place (durably); after 5 minutes of editing, cut a revision."""
        domain.validate(content)
        with self._vault.transaction("saving a record") as session:
            rec = load(session, record_id)
            if rec.kind != content.kind:
                raise NotFound(f"Record {record_id} is a {rec.kind}, not a {content.kind}.")
            changed = Changes(records=frozenset({rec.id}))
            if canonical_json(domain.to_dict(content)).decode() == rec.content:
                return Done(to_row(session, rec), Changes())
            write_content(rec, content)
            mark_dirty(self._vault, rec)
            reindex(session, rec, content)
            if _editing_for(rec, self._vault.clock()) >= REVISION_AFTER_S:
                cut = cut_revision(session, self._vault, rec)
                changed = changed | Changes(revisions=frozenset({cut.id}) if cut else frozenset())
            return Done(to_row(session, rec), changed)

    def add_note(self, record_id: str, text: str, *, at: datetime | None = None) -> Done[RecordRow]:
        """A quick timestamped line appended to the notes ('10:42  ICB chair asks for…')."""
        row = self.get(record_id)
        notes = domain.append_note(row.content.notes, at or datetime.now(), text)
        return self.save(record_id, _replace(row.content, notes=notes))

    def append_contact(self, record_id: str, contact: domain.Contact) -> Done[RecordRow]:
        """Add a contact to the end of a case-tracking timeline."""
        row = self.get(record_id)
        if not isinstance(row.content, domain.CaseTracking):
            raise NotFound(f"Record {record_id} is not a case-tracking record.")
        return self.save(record_id, _replace(row.content, contacts=row.content.contacts + (contact,)))

    def delete(self, record_id: str) -> Done[RevisionRow]:
        """Delete by a tombstone revision; the history keeps every earlier revision."""
        with self._vault.transaction("deleting a record") as session:
            rec = load(session, record_id)
            cut_revision(session, self._vault, rec)  # keep the last draft in history first
            rec.deleted = True
            mark_dirty(self._vault, rec)
            tombstone = cut_revision(session, self._vault, rec)
            assert tombstone is not None
            session.execute(sa.text("DELETE FROM record_fts WHERE rowid = :num"), {"num": rec.num})
            return Done(revision_row(tombstone), Changes(records=frozenset({rec.id}), revisions=frozenset({tombstone.id})))

    def cut_revision(self, record_id: str) -> Done[RevisionRow | None]:
        """Cut a revision of the draft now (the inspector left the record); None if nothing changed."""
        with self._vault.transaction("saving a revision") as session:
            rec = load(session, record_id, include_deleted=True)
            cut = cut_revision(session, self._vault, rec)
            if cut is None:
                return Done(None, Changes())
            return Done(revision_row(cut), Changes(records=frozenset({rec.id}), revisions=frozenset({cut.id})))

    def cut_all(self, *, reason: str = "") -> Done[tuple[RevisionRow, ...]]:
        """Cut revisions of every changed draft (on lock, before sync)."""
        with self._vault.transaction(f"saving revisions ({reason or 'all'})") as session:
            dirty = session.scalars(sa.select(Record).where(Record.draft_dirty.is_(True))).all()
            cuts = [cut for rec in dirty if (cut := cut_revision(session, self._vault, rec)) is not None]
            return Done(
                tuple(revision_row(c) for c in cuts),
                Changes(records=frozenset(c.record_id for c in cuts), revisions=frozenset(c.id for c in cuts)),
            )


# -- helpers shared by the areas: they take a session and never commit -------------------------


def load(session: Session, record_id: str, *, include_deleted: bool = False) -> Record:
    rec = session.scalar(sa.select(Record).where(Record.id == record_id))
    if rec is None or (rec.deleted and not include_deleted):
        raise NotFound(f"No record with id {record_id}.")
    return rec


def content_of(rec: Record) -> domain.Content:
    return domain.from_dict(rec.kind, json.loads(rec.content))


def write_content(rec: Record, content: domain.Content) -> None:
    rec.content = canonical_json(domain.to_dict(content)).decode()
    rec.title = domain.display_title(content)
    rec.occurred_on = domain.occurred_on(content)


def mark_dirty(vault: Vault, rec: Record) -> None:
    now = vault.now()
    rec.draft_dirty = True
    rec.dirty_since = rec.dirty_since or now
    rec.updated_at = now
    rec.sync_state = "local"


def _editing_for(rec: Record, now: datetime) -> float:
    if not rec.dirty_since:
        return 0.0
    return (now - datetime.fromisoformat(rec.dirty_since.replace("Z", "+00:00"))).total_seconds()


def searchable_text(content: domain.Content) -> str:
    """The text FTS5 indexes: every free-text field, plus the labels of coded ones."""
    parts = list(domain.text_fields(content).values())
    if isinstance(content, domain.Observation):
        parts.append(domain.MEETING_TYPES[content.meeting_type])
    if isinstance(content, domain.Interview):
        parts.append(domain.INTERVIEWEE_ROLES[content.role])
    return "\n".join(p for p in parts if p)


def reindex(session: Session, rec: Record, content: domain.Content) -> None:
    session.execute(sa.text("DELETE FROM record_fts WHERE rowid = :num"), {"num": rec.num})
    session.execute(
        sa.text("INSERT INTO record_fts(rowid, title, body) VALUES (:num, :title, :body)"),
        {"num": rec.num, "title": rec.title, "body": searchable_text(content)},
    )


def link_row(link: Link) -> LinkRow:
    passage = None
    if link.passage_field is not None:
        passage = Passage(link.passage_field, link.passage_start or 0, link.passage_end or 0, link.passage_text or "")
    return LinkRow(link.id, link.record_id, link.statement_id, link.category_id, link.comment, passage)


def attachment_row(att: Attachment) -> AttachmentRow:
    return AttachmentRow(att.id, att.record_id, att.name, att.media_type, att.size, att.sha256, att.created_at)


def revision_row(rev: Revision) -> RevisionRow:
    return RevisionRow(rev.id, rev.record_id, tuple(json.loads(rev.parents)), rev.device_id, rev.created_at, rev.deleted, rev.pushed)


def to_row(session: Session, rec: Record) -> RecordRow:
    content = content_of(rec)
    links = session.scalars(sa.select(Link).where(Link.record_id == rec.id).order_by(Link.created_at, Link.id)).all()
    atts = session.scalars(
        sa.select(Attachment).where(Attachment.record_id == rec.id).order_by(Attachment.created_at, Attachment.id)
    ).all()
    return RecordRow(
        id=rec.id,
        assessment_id=rec.assessment_id,
        kind=rec.kind,
        framework_key=rec.framework_key,
        title=rec.title,
        occurred_on=rec.occurred_on,
        content=content,
        links=tuple(link_row(link) for link in links),
        attachments=tuple(attachment_row(a) for a in atts),
        head_revision_id=rec.head_revision_id,
        draft_dirty=rec.draft_dirty,
        deleted=rec.deleted,
        sync_state=rec.sync_state,
        flags=domain.flags(content),
        created_at=rec.created_at,
        updated_at=rec.updated_at,
    )


def snapshot(session: Session, rec: Record) -> revision.Snapshot:
    if rec.deleted:
        return revision.Snapshot(rec.id, rec.assessment_id, rec.kind, rec.framework_key, True, {}, (), ())
    row = to_row(session, rec)
    return revision.Snapshot(
        record_id=rec.id,
        assessment_id=rec.assessment_id,
        kind=rec.kind,
        framework_key=rec.framework_key,
        deleted=False,
        content=domain.to_dict(row.content),
        links=tuple(_link_dict(link) for link in row.links),
        attachments=tuple(
            {"id": a.id, "name": a.name, "media_type": a.media_type, "size": a.size, "sha256": a.sha256}
            for a in row.attachments
        ),
    )


def _link_dict(link: LinkRow) -> dict:
    passage = None
    if link.passage is not None:
        p = link.passage
        passage = {"field": p.field, "start": p.start, "end": p.end, "text": p.text}
    return {
        "id": link.id,
        "statement": link.statement_id,
        "category": link.category_id,
        "comment": link.comment,
        "passage": passage,
    }


def cut_revision(session: Session, vault: Vault, rec: Record) -> Revision | None:
    """Freeze the draft as a signed revision whose parent is the current head; None if unchanged."""
    if not rec.draft_dirty and rec.head_revision_id is not None:
        return None
    parents = (rec.head_revision_id,) if rec.head_revision_id else ()
    signed = revision.create(
        snapshot(session, rec),
        parents=parents,
        device_id=vault.device_id,
        created_at=vault.now(),
        private_key=vault.signing_key,
    )
    row = Revision(
        id=signed.id,
        record_id=rec.id,
        parents=json.dumps(sorted(parents)),
        body=signed.body,
        signature=signed.signature,
        device_id=vault.device_id,
        created_at=vault.now(),
        deleted=rec.deleted,
        pushed=False,
    )
    session.add(row)
    rec.head_revision_id = signed.id
    rec.draft_dirty = False
    rec.dirty_since = None
    rec.sync_state = "local"
    session.flush()
    return row


def apply_snapshot(session: Session, vault: Vault, rec: Record, body: dict) -> None:
    """Make a revision's content, links and attachment references the record's draft again."""
    content = domain.from_dict(rec.kind, body["content"])
    write_content(rec, content)
    session.execute(sa.delete(Link).where(Link.record_id == rec.id))
    for link in body["links"]:
        passage = link.get("passage") or {}
        session.add(
            Link(
                id=link["id"],
                record_id=rec.id,
                statement_id=link["statement"],
                category_id=link["category"],
                comment=link.get("comment", ""),
                passage_field=passage.get("field"),
                passage_start=passage.get("start"),
                passage_end=passage.get("end"),
                passage_text=passage.get("text"),
                created_at=vault.now(),
            )
        )
    session.execute(sa.delete(Attachment).where(Attachment.record_id == rec.id))
    for att in body["attachments"]:
        session.add(Attachment(record_id=rec.id, created_at=vault.now(), **att))
    rec.deleted = False
    mark_dirty(vault, rec)
    session.flush()
    reindex(session, rec, content)


def _replace(content: domain.Content, **changes: object) -> domain.Content:
    return dataclasses.replace(content, **changes)  # type: ignore[type-var]
