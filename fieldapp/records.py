"""Records: create, autosave the working draft, delete (a tombstone revision), cut revisions.

Module-level helpers take a session and never commit; the Records methods each run one
transaction through the vault and return frozen rows with what changed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, item_kinds, search
from fieldapp.revisions import revision
from fieldapp.storage import sqlcipher
from fieldapp.revisions.canonical import canonical_json
from fieldapp.context import VaultContext
from fieldapp.errors import KEPT_ON_SERVICE, FieldappError, KeptOnService, NotFound, ValidationError
from fieldapp.framework import framework_by_key
from fieldapp.ids import iso, uuid7
from fieldapp.storage.models import Assessment, Attachment, Link, Record, Revision
from fieldapp.revisions.merge import rebase_edit
from fieldapp.rows import AttachmentRow, Changes, Done, EditSaved, LinkRow, Passage, RecordRow, RecordSummary, RevisionRow


REVISION_AFTER_S = 5 * 60  # continuous editing before a revision is cut by itself


class Records:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def create(self, assessment_id: str, content: domain.Content) -> Done[RecordRow]:
        """A new record with its first draft; its first revision is cut when the inspector leaves it."""
        domain.validate(content)
        now = self._context.now()
        with self._context.transaction("creating a record") as session:
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
            describe(rec, content)
            session.add(rec)
            session.flush()
            write_content(session, rec.num, content)
            search.index_record(session, rec.num, content)
            return Done(to_row(session, rec, content), Changes(records=frozenset({rec.id})))

    def get(self, record_id: str, *, include_deleted: bool = False) -> RecordRow:
        with self._context.transaction("reading a record") as session:
            rec = load(session, record_id, include_deleted=include_deleted)
            if domain.is_item(rec.kind):  # a judgement, rating or snapshot: vault.judgements reads those
                raise NotFound(f"No record with id {record_id}.")
            return to_row(session, rec)

    def list(self, assessment_id: str | None = None, *, include_deleted: bool = False) -> tuple[RecordSummary, ...]:
        """Summaries, newest record first (vault.search adds words and filters)."""
        query = search.Query(assessment_id=assessment_id, include_deleted=include_deleted, limit=None)
        return search.run(self._context, query).items

    def save(self, record_id: str, content: domain.Content) -> Done[RecordRow]:
        """Rewrite the working draft in place (durably); after 5 minutes of editing, cut a revision."""
        return self._edit(record_id, lambda _read_current: content)

    def save_edit(
        self, record_id: str, content: domain.Content, *, base: domain.Content, as_typed: Mapping[str, str] | None = None
    ) -> Done[EditSaved]:
        """An editor's autosave: its form (content) and the draft it started from (base).

        When the draft changed since base (a sync brought a colleague's edit, a quick note, a
        restore), the edit is moved onto the draft as it is now, never refused and never lost:
        what changed meanwhile stays, the editor's changes go on top, and where both changed one
        field the editor's words win (the other version stays in the history). as_typed holds
        the text of date fields that does not read as a date yet, by field path (see
        domain.when_paths): kept beside the draft until it is fixed, never put in a revision;
        None leaves what is kept as it is.
        """
        moved: dict[str, tuple[str, ...]] = {}

        def rebased(read_current: Callable[[], domain.Content]) -> domain.Content:
            current = read_current()
            if current == base:
                return content
            merged, moved["kept"] = rebase(base, content, current)
            return merged

        done = self._edit(record_id, rebased, as_typed=as_typed)
        return Done(EditSaved(done.value, rebased="kept" in moved, kept_mine=moved.get("kept", ())), done.changes)

    def add_note(self, record_id: str, text: str, *, at: datetime | None = None) -> Done[RecordRow]:
        """A quick timestamped line appended to the notes ('10:42  ICB chair asks for…')."""
        moment = at or datetime.now()

        def noted(read_current: Callable[[], domain.Content]) -> domain.Content:
            current = read_current()
            return _replace(current, notes=domain.append_note(current.notes, moment, text))

        return self._edit(record_id, noted)

    def append_contact(self, record_id: str, contact: domain.Contact) -> Done[RecordRow]:
        """Add a contact to the end of a case-tracking timeline."""

        def appended(read_current: Callable[[], domain.Content]) -> domain.Content:
            current = read_current()
            if not isinstance(current, domain.CaseTracking):
                raise ValidationError("Contacts can only be added to a case-tracking record.")
            return _replace(current, contacts=current.contacts + (contact,))

        return self._edit(record_id, appended)

    def _edit(
        self,
        record_id: str,
        change: Callable[[Callable[[], domain.Content]], domain.Content],
        *,
        as_typed: Mapping[str, str] | None = None,
    ) -> Done[RecordRow]:
        """Apply change to the current draft (read only if change asks) and save it, in one transaction.

        The hot path of typing, so it speaks SQL directly: one read, the draft, its index
        entry, one update, one commit. The search index catches up when next searched
        (search.index_pending), so typing never waits on it.
        """
        now = self._context.clock()
        with self._context.transaction("saving a record") as session:
            # The plain DB-API cursor of this same transaction: SQLAlchemy's per-statement work
            # would otherwise be a third of the time an inspector waits on each autosave.
            cursor = sqlcipher.cursor_of(session)
            found = cursor.execute(_SAVE_STATE, (record_id,)).fetchone()
            if found is None:
                load(session, record_id)  # says why: kept on the service, or no such record
                raise NotFound(f"No record with id {record_id}.")
            rec = _Draft(*found)
            content = change(lambda: _decode(session, rec.num, rec.kind))
            if content.kind != rec.kind:
                raise ValidationError(f"Record {record_id} is a {rec.kind}, not a {content.kind}.")
            domain.validate(content)
            typed_changed = False
            if as_typed is not None:
                typed = domain.check_as_typed(content, as_typed)
                typed_changed = write_as_typed(session, rec.num, typed)
            else:
                typed = as_typed_of(session, rec.num)
            if not write_content(session, rec.num, content):
                if typed_changed:  # only the typed text changed: the list's flag follows, nothing to sync
                    cursor.execute(_SET_FLAGS, (" ".join(record_flags(content, typed)), rec.num))
                return Done(to_row(session, rec, content, typed), Changes(records=frozenset({record_id}) if typed_changed else frozenset()))
            title, occurred_on, moment = domain.display_title(content), domain.occurred_on(content), iso(now)
            cursor.execute(_MARK_EDITED, (title, occurred_on, " ".join(record_flags(content, typed)), moment, moment, rec.num))
            editing_since = rec.dirty_since
            rec = dataclasses.replace(rec, title=title, occurred_on=occurred_on, updated_at=moment, draft_dirty=True,
                                      dirty_since=rec.dirty_since or moment, sync_state=_edited_state(rec.sync_state))  # fmt: skip
            changes = Changes(records=frozenset({record_id}))
            if editing_since and (now - _parse_time(editing_since)).total_seconds() >= REVISION_AFTER_S:
                cut = cut_revision(session, self._context, load(session, record_id))
                changes |= Changes(revisions=frozenset({cut.id}) if cut else frozenset())
                return Done(to_row(session, load(session, record_id), content, typed), changes)
            return Done(to_row(session, rec, content, typed), changes)

    def delete(self, record_id: str) -> Done[RevisionRow]:
        """Delete by a tombstone revision; the history keeps every earlier revision."""
        with self._context.transaction("deleting a record") as session:
            rec = load(session, record_id)
            if domain.is_item(rec.kind):  # a judgement, the rating, a snapshot (immutable): never deleted as a record
                raise NotFound(f"No record with id {record_id}.")
            cut_revision(session, self._context, rec)  # keep the last draft in history first
            rec.deleted = True
            mark_dirty(self._context, rec)
            tombstone = cut_revision(session, self._context, rec)
            assert tombstone is not None
            session.execute(sa.text("DELETE FROM record_fts WHERE rowid = :num"), {"num": rec.num})
            return Done(revision_row(tombstone), Changes(records=frozenset({rec.id}), revisions=frozenset({tombstone.id})))

    def cut_revision(self, record_id: str) -> Done[RevisionRow | None]:
        """Cut a revision of the draft now (the inspector left the record); None if nothing changed."""
        with self._context.transaction("saving a revision") as session:
            rec = load(session, record_id, include_deleted=True)
            cut = cut_revision(session, self._context, rec)
            if cut is None:
                return Done(None, Changes())
            return Done(revision_row(cut), Changes(records=frozenset({rec.id}), revisions=frozenset({cut.id})))

    def cut_all(self, *, reason: str = "") -> Done[tuple[RevisionRow, ...]]:
        """Cut revisions of every changed draft (on lock, before sync)."""
        with self._context.transaction(f"saving revisions ({reason or 'all'})") as session:
            cuts = cut_dirty(session, self._context)
            return Done(
                tuple(revision_row(c) for c in cuts),
                Changes(records=frozenset(c.record_id for c in cuts), revisions=frozenset(c.id for c in cuts)),
            )


# -- helpers shared by the areas: they take a session and never commit -------------------------


def cut_dirty(session: Session, context: VaultContext) -> list[Revision]:
    """A revision of every draft changed since its last one."""
    dirty = session.scalars(_DIRTY_RECORDS).all()
    return [cut for rec in dirty if (cut := cut_revision(session, context, rec)) is not None]


def load(session: Session, record_id: str, *, include_deleted: bool = False) -> Record:
    """The record, to read or change; KeptOnService when retention left its content on the service only."""
    rec = session.scalar(RECORD_BY_ID, {"record_id": record_id})
    if rec is None or (rec.deleted and not include_deleted):
        raise NotFound(f"No record with id {record_id}.")
    if rec.purged_at is not None:
        raise KeptOnService(KEPT_ON_SERVICE)
    return rec


def rebase(base: domain.Content, mine: domain.Content, theirs: domain.Content) -> tuple[domain.Content, tuple[str, ...]]:
    """An edit made from `base` moved onto the draft as it is now (`theirs`): what changed there
    stays, `mine` goes on top, and where both changed one field mine wins. Returns the result and
    the fields changed both ways (theirs stays in the history). Pure: an editor calls it too, for
    words typed while a save was on its way."""
    merged, kept = rebase_edit(theirs.kind, domain.to_dict(base), domain.to_dict(mine), domain.to_dict(theirs))
    return domain.from_dict(theirs.kind, merged), kept


def content_of(session: Session, rec: Record | _Draft) -> domain.Content:
    return _decode(session, rec.num, rec.kind)


def as_typed_of(session: Session, num: int) -> dict[str, str]:
    """What date fields hold as typed, not yet readable as dates (empty for most drafts)."""
    text = sqlcipher.cursor_of(session).execute(_SELECT_AS_TYPED, (num,)).fetchone()
    return json.loads(text[0]) if text and text[0] else {}


def write_as_typed(session: Session, num: int, as_typed: Mapping[str, str]) -> bool:
    """Keep (or, when empty, forget) the typed text beside the draft; False when nothing changed."""
    text = canonical_json(dict(as_typed)).decode() if as_typed else None
    return sqlcipher.cursor_of(session).execute(_UPDATE_AS_TYPED, (text, num, text)).rowcount > 0


def record_flags(content: domain.Content, as_typed: Mapping[str, str]) -> tuple[str, ...]:
    """What the list shows beside a record's title: the domain's flags, and a date to fix."""
    unreadable = any(path != domain.QUICK_NOTE for path in as_typed)
    return domain.flags(content) + (("date-unreadable",) if unreadable else ())


def _decode(session: Session, num: int, kind: str) -> domain.Content:
    text = session.execute(_SELECT_CONTENT, {"num": num}).scalar_one_or_none()
    if text is None:  # retention left its content on the service only (fieldapp.replication.retention)
        raise KeptOnService(KEPT_ON_SERVICE)
    return domain.from_dict(kind, json.loads(text))


# Built once: building a select costs more than running a small one (see fieldapp.replication.exchange).
RECORD_BY_ID = sa.select(Record).where(Record.id == sa.bindparam("record_id"))
_DIRTY_RECORDS = sa.select(Record).where(Record.draft_dirty == sa.true())  # "= 1", as ix_records_dirty holds them
_SELECT_CONTENT = sa.text("SELECT content FROM record_content WHERE num = :num")
_SELECT_AS_TYPED = "SELECT as_typed FROM record_content WHERE num = ?"
_SET_FLAGS = "UPDATE records SET flags = ? WHERE num = ?"
_UPDATE_AS_TYPED = "UPDATE record_content SET as_typed = ? WHERE num = ? AND as_typed IS NOT ?"
# Plain SQL with ? placeholders, run on the DB-API cursor by the autosave path and by to_row.
@dataclasses.dataclass(frozen=True, slots=True)
class _Draft:
    """A records row as the save path reads it: plain SQL, no ORM object (see Records.save)."""

    num: int
    id: str
    assessment_id: str
    kind: str
    framework_key: str
    title: str
    occurred_on: str | None
    head_revision_id: str | None
    draft_dirty: bool
    dirty_since: str | None
    deleted: bool
    sync_state: str
    created_at: str
    updated_at: str


_ROW_COLUMNS = tuple(field.name for field in dataclasses.fields(_Draft))
_SAVE_STATE = f"SELECT {', '.join(_ROW_COLUMNS)} FROM records WHERE id = ? AND deleted = 0 AND purged_at IS NULL"
_UPSERT_CONTENT_SQL = (
    "INSERT INTO record_content(num, content) VALUES (?, ?) "
    "ON CONFLICT(num) DO UPDATE SET content = excluded.content WHERE content IS NOT excluded.content"
)
_MARK_EDITED = (
    "UPDATE records SET title = ?, occurred_on = ?, flags = ?, updated_at = ?, draft_dirty = 1, "
    "dirty_since = coalesce(dirty_since, ?), sync_state = " + "CASE sync_state WHEN 'conflict' THEN 'conflict' ELSE 'local' END"
    ", indexed = 0 WHERE num = ?"
)
_LINKS = (
    "SELECT id, record_id, statement_id, category_id, comment, passage_field, passage_start, passage_end, "
    "passage_text FROM links WHERE record_id = ? ORDER BY created_at, id"
)
_ATTACHMENTS = (  # `here`: the bytes are stored (a blob named by a pulled revision has no name until downloaded)
    "SELECT id, record_id, name, media_type, size, sha256, created_at, "
    "EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = attachments.sha256 AND b.name IS NOT NULL) "
    "FROM attachments WHERE record_id = ? ORDER BY created_at, id"
)


def write_content(session: Session, num: int, content: domain.Content | domain.ItemContent) -> bool:
    """Write the draft (of a record or an item); False when it already held exactly this."""
    plain = domain.item_to_dict(content) if isinstance(content, _ITEM_TYPES) else domain.to_dict(content)
    draft = canonical_json(plain).decode()
    return sqlcipher.cursor_of(session).execute(_UPSERT_CONTENT_SQL, (num, draft)).rowcount > 0


def describe(rec: Record, content: domain.Content | domain.ItemContent, as_typed: Mapping[str, str] | None = None) -> None:
    """The columns lists and filters read without decoding the draft."""
    if isinstance(content, _ITEM_TYPES):
        rec.title, rec.occurred_on, rec.flags = item_title(rec.framework_key, content), None, ""
        rec.indexed = True  # never in the search index: items are not evidence
        return
    rec.title = domain.display_title(content)
    rec.occurred_on = domain.occurred_on(content)
    rec.flags = " ".join(record_flags(content, as_typed or {}))


_ITEM_TYPES = (domain.JudgementContent, domain.RatingContent, domain.SnapshotContent, domain.PublishedContent,
               domain.ReportTextContent, domain.FacResponseContent, domain.DraftContent, domain.ConcernContent,
               domain.PlacesContent)  # fmt: skip


def item_content_of(session: Session, rec: Record | _Draft) -> domain.ItemContent:
    """An item's draft content (a judgement, rating or snapshot)."""
    text = session.execute(_SELECT_CONTENT, {"num": rec.num}).scalar_one()
    return domain.item_from_dict(rec.kind, json.loads(text))


def item_title(framework_key: str, content: domain.ItemContent) -> str:
    """What the conflicts view and the history call an item: a judgement by its statement's name."""
    name = ""
    if isinstance(content, domain.JudgementContent):
        try:
            name = framework_by_key(framework_key).statement(content.statement_id).name
        except FieldappError:
            name = ""  # a framework this app does not know yet: the statement's id will do
    return item_kinds.item_title(content, name)


def mark_dirty(context: VaultContext, rec: Record) -> None:
    now = context.now()
    rec.draft_dirty = True
    rec.dirty_since = rec.dirty_since or now
    rec.updated_at = now
    rec.sync_state = _edited_state(rec.sync_state)


def _edited_state(state: str) -> str:
    """An edit makes a record wait to sync, but a conflict stays one until it is resolved: typing
    a hand merge must not make the record drop out of the conflicts view."""
    return "conflict" if state == "conflict" else "local"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_Owned = TypeVar("_Owned", Link, Attachment)


def find_owned(session: Session, model: type[_Owned], item_id: str, record_id: str | None, what: str) -> _Owned:
    """A link or attachment by id, within record_id when given. Ids are unique only within their
    record (they come from other devices too), so an id that two records share is refused, not guessed."""
    query = sa.select(model).where(model.id == item_id)
    if record_id is not None:
        query = query.where(model.record_id == record_id)
    found = session.scalars(query.limit(2)).all()
    if not found:
        raise NotFound(f"No {what} with id {item_id}.")
    if len(found) > 1:
        raise ValidationError(f"More than one record has an {what} with id {item_id}; open it from its own record.")
    return found[0]


def link_row(link: Link | sa.Row) -> LinkRow:
    passage = None
    if link.passage_field is not None:
        passage = Passage(link.passage_field, link.passage_start or 0, link.passage_end or 0, link.passage_text or "")
    return LinkRow(link.id, link.record_id, link.statement_id, link.category_id, link.comment, passage)


def attachment_row(att: Attachment | sa.Row) -> AttachmentRow:
    return AttachmentRow(att.id, att.record_id, att.name, att.media_type, att.size, att.sha256, att.created_at)


def revision_row(rev: Revision) -> RevisionRow:
    return RevisionRow(rev.id, rev.record_id, tuple(json.loads(rev.parents)), rev.device_id, rev.created_at, rev.deleted, rev.pushed)


def to_row(
    session: Session, rec: Record | _Draft, content: domain.Content | None = None, as_typed: Mapping[str, str] | None = None
) -> RecordRow:
    content = content if content is not None else content_of(session, rec)
    as_typed = as_typed if as_typed is not None else as_typed_of(session, rec.num)
    cursor = sqlcipher.cursor_of(session)
    links = [
        LinkRow(link_id, record_id, statement_id, category_id, comment, Passage(*passage) if passage[0] is not None else None)
        for link_id, record_id, statement_id, category_id, comment, *passage in cursor.execute(_LINKS, (rec.id,))
    ]
    atts = [
        AttachmentRow(att_id, record_id, name, media_type, size, sha256, created_at, here=bool(here))
        for att_id, record_id, name, media_type, size, sha256, created_at, here in cursor.execute(_ATTACHMENTS, (rec.id,))
    ]
    return RecordRow(
        id=rec.id,
        assessment_id=rec.assessment_id,
        kind=rec.kind,
        framework_key=rec.framework_key,
        title=rec.title,
        occurred_on=rec.occurred_on,
        content=content,
        links=tuple(links),
        attachments=tuple(atts),
        head_revision_id=rec.head_revision_id,
        draft_dirty=bool(rec.draft_dirty),
        deleted=bool(rec.deleted),
        sync_state=rec.sync_state,
        flags=record_flags(content, as_typed),
        created_at=rec.created_at,
        updated_at=rec.updated_at,
        as_typed=dict(as_typed),
    )


def snapshot(session: Session, rec: Record) -> revision.Snapshot:
    if rec.deleted:
        return revision.Snapshot(rec.id, rec.assessment_id, rec.kind, rec.framework_key, True, {}, (), ())
    if domain.is_item(rec.kind):  # no links, no attachments: the content is all there is
        content = domain.item_to_dict(item_content_of(session, rec))
        return revision.Snapshot(rec.id, rec.assessment_id, rec.kind, rec.framework_key, False, content, (), ())
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


def cut_revision(session: Session, context: VaultContext, rec: Record) -> Revision | None:
    """Freeze the draft as a signed revision whose parent is the current head; None if unchanged."""
    if not rec.draft_dirty and rec.head_revision_id is not None:
        return None
    parents = (rec.head_revision_id,) if rec.head_revision_id else ()
    signed = revision.create(
        snapshot(session, rec),
        parents=parents,
        device_id=context.device_id,
        created_at=context.now(),
        private_key=context.signing_key,
    )
    row = Revision(
        id=signed.id,
        record_id=rec.id,
        parents=json.dumps(sorted(parents)),
        body=signed.body,
        signature=signed.signature,
        device_id=context.device_id,
        created_at=context.now(),
        deleted=rec.deleted,
        pushed=False,
    )
    session.add(row)
    rec.head_revision_id = signed.id
    rec.draft_dirty = False
    rec.dirty_since = None
    rec.sync_state = _edited_state(rec.sync_state)
    session.flush()
    return row


def apply_snapshot(session: Session, context: VaultContext, rec: Record, body: dict, *, fresh: bool = False) -> None:
    """Make a revision's content, links and attachment references the record's draft again
    (fresh: the record was just made, so it has no links or attachments to replace)."""
    if domain.is_item(rec.kind):
        item = domain.item_from_dict(rec.kind, body["content"])
        write_content(session, rec.num, item)
        describe(rec, item)
        rec.deleted = False
        mark_dirty(context, rec)
        session.flush()
        return
    content = domain.from_dict(rec.kind, body["content"])
    # Text typed into a date field here and not yet fixed stays with the draft (for the fields
    # the new content still has): a colleague's edit is no reason to lose it.
    as_typed = {} if fresh else domain.check_as_typed(content, as_typed_of(session, rec.num))
    describe(rec, content, as_typed)
    write_content(session, rec.num, content)
    if not fresh:
        write_as_typed(session, rec.num, as_typed)
    # The search index catches up at the next search (search.index_pending), as after autosave:
    # a pull that updates records does no FTS5 work (whose segment merges came in bursts).
    rec.indexed = False
    if not fresh:
        session.execute(_DELETE_LINKS, {"record_id": rec.id})
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
                created_at=context.now(),
            )
        )
    if not fresh:
        session.execute(_DELETE_ATTACHMENTS, {"record_id": rec.id})
    for att in body["attachments"]:
        session.add(Attachment(record_id=rec.id, created_at=context.now(), **att))
    rec.deleted = False
    mark_dirty(context, rec)
    session.flush()


_DELETE_LINKS = sa.delete(Link).where(Link.record_id == sa.bindparam("record_id"))
_DELETE_ATTACHMENTS = sa.delete(Attachment).where(Attachment.record_id == sa.bindparam("record_id"))


def _replace(content: domain.Content, **changes: object) -> domain.Content:
    return dataclasses.replace(content, **changes)  # type: ignore[arg-type]  # a union of dataclasses
