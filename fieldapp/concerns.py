"""Concerns (`vault.concerns`, issue 15): information of concern an inspector raises from a record or a
passage of one, which must reach the office at once and be acknowledged there.

A concern is an assessment-level item (docs/items.md): a random id, changed only by signed revisions
that sync and merge as records do. Unlike a record it is cut into a revision the moment it is raised or
changed, in the same transaction, so the next contact pushes it first even while the record it came
from is still being typed. The office's acknowledgement is not a revision: the service sends it with
every pull and the vault keeps it in `concern_states`.

For a UI (every call one transaction; rows are frozen; changes name the assessment in `concerns`):

    vault.concerns.raise_concern(aid, ConcernContent("safeguarding", "immediate", "…", record_id=rid,
                                 passage_field="notes", passage_start=10, passage_end=42))
    vault.concerns.update(concern_id, content)      # also cut at once
    vault.concerns.get(concern_id)                  # ConcernRow: state raised, sent or acknowledged
    vault.concerns.list(aid, open_only=True)        # not yet acknowledged by the office
    vault.concerns.unacknowledged()                 # every assessment's: what the reminders use
    vault.concerns.by_statement(aid)                # statement id -> its concerns, for coverage
    vault.concerns.should_ask(rid, category_id, passage)   # ask "is this a concern?" after tagging
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, item_kinds
from fieldapp.context import VaultContext
from fieldapp.errors import FieldappError, NotFound, UnresolvedConflict, ValidationError
from fieldapp.framework import framework_by_key
from fieldapp.ids import uuid7
from fieldapp.item_kinds import ConcernContent
from fieldapp.judgements import _my_name, _new_item, _write_item
from fieldapp.records import content_of, cut_revision
from fieldapp.rows import Changes, Done, Passage
from fieldapp.storage.models import Assessment, ConcernState, Record

PEOPLE = "peoples-experience"  # the evidence category whose passages may tell of a poor experience of care
STATES = {"raised": "Raised, not yet sent", "sent": "Sent to the office", "acknowledged": "Acknowledged by the office"}


@dataclass(frozen=True)
class Acknowledgement:
    """The office's acknowledgement of one concern, as the service sends it."""

    concern_id: str
    acknowledged_by: str
    acknowledged_at: str  # ISO 8601, UTC
    note: str = ""


@dataclass(frozen=True)
class ConcernRow:
    id: str
    assessment_id: str
    content: ConcernContent
    record_title: str  # the record it was raised from, as lists name it; "" raised on its own or that record is gone
    passage: str  # the linked passage's current text in that record (read, never stored); "" none or no longer there
    state: str  # a key of STATES: "raised" (waits to be pushed), "sent" (the service holds it), "acknowledged"
    acknowledged_by: str
    acknowledged_at: str  # ISO 8601; "" not yet
    acknowledgement_note: str
    conflict: bool  # two versions collide: vault.replication.resolve_item(id, take=…) ends it
    updated_at: str

    @property
    def open(self) -> bool:
        """Not yet acknowledged by the office: the app keeps reminding."""
        return self.state != "acknowledged"


class Concerns:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def raise_concern(self, assessment_id: str, content: ConcernContent) -> Done[ConcernRow]:
        """Raise a concern and cut its signed revision at once, so the next contact pushes it first.
        Who raised it and when are this laptop's inspector and now. The record may be a draft never
        cut into a revision (an interview still being typed): the concern stands on its own."""
        with self._context.transaction("raising a concern") as session:
            framework_key = _assessment(session, assessment_id).framework_key
            content = dataclasses.replace(
                _tidy(content), raised_by=_my_name(session, self._context)[: item_kinds.MAX_ID], raised_at=self._context.now(),
            )  # fmt: skip
            _check(session, assessment_id, framework_key, content)
            rec = _new_item(session, self._context, uuid7(), item_kinds.CONCERN, assessment_id, framework_key, content)
            return self._cut(session, rec)

    def update(self, concern_id: str, content: ConcernContent) -> Done[ConcernRow]:
        """Change a concern (its urgency, what was heard, who else should know…) and cut the change at
        once. Who raised it and when stay as they were. Refused while two versions collide."""
        with self._context.transaction("changing a concern") as session:
            rec = _concern_record(session, concern_id)
            if rec.sync_state == "conflict":
                raise UnresolvedConflict("Two versions of this concern differ: choose one in the conflicts view, then change it.")
            current = _content_of(session, rec)
            content = dataclasses.replace(_tidy(content), raised_by=current.raised_by, raised_at=current.raised_at)
            _check(session, rec.assessment_id, rec.framework_key, content)
            if not _write_item(session, self._context, rec, rec.id, rec.assessment_id, rec.framework_key, content):
                return Done(_rows(session, [rec.id])[0], Changes())
            return self._cut(session, rec)

    def _cut(self, session: Session, rec: Record) -> Done[ConcernRow]:
        cut = cut_revision(session, self._context, rec)
        assert cut is not None  # a new or changed draft always cuts
        changes = Changes(revisions=frozenset({cut.id}), concerns=frozenset({rec.assessment_id}))
        return Done(_rows(session, [rec.id])[0], changes)

    def get(self, concern_id: str) -> ConcernRow:
        with self._context.transaction("reading a concern") as session:
            return _rows(session, [_concern_record(session, concern_id).id])[0]

    def list(self, assessment_id: str | None = None, *, open_only: bool = False) -> tuple[ConcernRow, ...]:
        """Concerns of one assessment (None: every assessment), newest first; open_only: not yet acknowledged."""
        with self._context.transaction("reading concerns") as session:
            if assessment_id is not None:
                _assessment(session, assessment_id)
            rows = _rows(session, _ids(session, assessment_id))
            return tuple(r for r in rows if r.open or not open_only)

    def unacknowledged(self) -> tuple[ConcernRow, ...]:
        """Every concern the office has not acknowledged yet, in every assessment: the app reminds until none is left."""
        return self.list(None, open_only=True)

    def by_statement(self, assessment_id: str) -> dict[str, tuple[ConcernRow, ...]]:
        """For coverage: each quality statement's concerns (a concern touching three statements is in three)."""
        found: dict[str, list[ConcernRow]] = {}
        for row in self.list(assessment_id):
            for statement_id in row.content.statements:
                found.setdefault(statement_id, []).append(row)
        return {statement_id: tuple(rows) for statement_id, rows in found.items()}

    def for_record(self, record_id: str) -> tuple[ConcernRow, ...]:
        """The concerns raised from one record, newest first."""
        with self._context.transaction("reading a record's concerns") as session:
            rec = session.scalar(sa.select(Record).where(Record.id == record_id))
            if rec is None:
                raise NotFound(f"No record with id {record_id}.")
            return tuple(r for r in _rows(session, _ids(session, rec.assessment_id)) if r.content.record_id == record_id)

    def should_ask(self, record_id: str, category_id: str, passage: Passage | None = None) -> bool:
        """Whether to ask "is this a poor experience of care?" after a passage (or the record) was
        tagged: see asks_about_poor_experience."""
        return asks_about_poor_experience(category_id, record_id, passage, (r.content for r in self.for_record(record_id)))

    def acknowledge(self, acknowledgements: Iterable[Acknowledgement]) -> Changes:
        """Keep the office's acknowledgements a pull brought (vault.replication calls this)."""
        with self._context.transaction("keeping the office's acknowledgements") as session:
            return store_acknowledgements(session, acknowledgements)


def asks_about_poor_experience(category_id: str, record_id: str, passage: Passage | None, concerns: Iterable[ConcernContent]) -> bool:
    """"If we receive feedback that people have poor experiences of care, this is always identified as a
    concern": after tagging a passage (or a whole record) as People's experience, the app asks whether it
    tells of a poor experience, unless a concern already stands on it. No guess at the words' sentiment:
    the inspector decides; this only says when to ask."""
    if category_id != PEOPLE:
        return False
    for concern in concerns:
        if concern.record_id != record_id:
            continue
        if not concern.passage_field or passage is None:
            return False  # a concern on the whole record, or the whole record tagged: it stands on it already
        if concern.passage_field == passage.field and _overlap(concern, passage):
            return False
    return True


def store_acknowledgements(session: Session, acknowledgements: Iterable[Acknowledgement]) -> Changes:
    """Keep acknowledgements of concerns this vault holds (one of another's concern is ignored: it is
    not ours to show); an acknowledgement already kept is kept as it was (the first one stands)."""
    touched = set()
    for ack in acknowledgements:
        if not _well_formed(ack):
            continue  # no honest service sends it: the concern stays open, and the app keeps reminding
        assessment_id = session.scalar(sa.select(Record.assessment_id).where(Record.id == ack.concern_id, Record.kind == item_kinds.CONCERN))
        if assessment_id is None or session.get(ConcernState, ack.concern_id) is not None:
            continue
        session.add(ConcernState(concern_id=ack.concern_id, acknowledged_by=ack.acknowledged_by, acknowledged_at=ack.acknowledged_at, note=ack.note))
        touched.add(assessment_id)
    session.flush()
    return Changes(concerns=frozenset(touched)) if touched else Changes()


# What an honest service sends (a moment as sync.protocol.ISO_MOMENT_PATTERN, or with its offset
# written out; a one-line name; a bounded note): anything else is not kept, as the views show these
# words and "when" as they are.
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _well_formed(ack: Acknowledgement) -> bool:
    by, note = ack.acknowledged_by, ack.note
    if not (isinstance(by, str) and isinstance(note, str) and isinstance(ack.acknowledged_at, str)):
        return False
    if not by.strip() or len(by) > item_kinds.MAX_ACK_BY or _CONTROL.search(by) or len(note) > item_kinds.MAX_ACK_NOTE or "\x00" in note:
        return False
    return bool(_MOMENT.fullmatch(ack.acknowledged_at))


def is_concern(kind: str) -> bool:
    return kind == item_kinds.CONCERN


# -- helpers: they take a session and never commit -------------------------------------------------


def _assessment(session: Session, assessment_id: str) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(f"No assessment with id {assessment_id}.")
    return assessment


def _concern_record(session: Session, concern_id: str) -> Record:
    rec = session.scalar(sa.select(Record).where(Record.id == concern_id, Record.kind == item_kinds.CONCERN, Record.deleted.is_(False)))
    if rec is None:
        raise NotFound(f"No concern with id {concern_id}.")
    return rec


def _content_of(session: Session, rec: Record) -> ConcernContent:
    text = session.execute(_CONTENT, {"num": rec.num}).scalar_one()
    made = domain.item_from_dict(item_kinds.CONCERN, json.loads(text))
    assert isinstance(made, ConcernContent)
    return made


def _tidy(content: ConcernContent) -> ConcernContent:
    """Trimmed words, statements once each in one order; a passage is only ever whole."""
    return dataclasses.replace(
        content, heard=content.heard.strip(), tell=content.tell.strip(), statements=tuple(sorted(set(content.statements))),
    )  # fmt: skip


def _check(session: Session, assessment_id: str, framework_key: str, content: ConcernContent) -> None:
    """Valid content; its record in this assessment and evidence; its passage inside that record's field
    as it is now; its statements in the framework."""
    item_kinds.validate_item(content)
    if content.record_id:
        rec = session.scalar(sa.select(Record).where(Record.id == content.record_id, Record.deleted.is_(False)))
        if rec is None or rec.assessment_id != assessment_id or rec.kind not in domain.EVIDENCE_KINDS:
            raise ValidationError("A concern is raised from a record of this assessment; that record is not one.", field="record_id")
        if content.passage_field:
            text = domain.text_fields(content_of(session, rec)).get(content.passage_field)
            assert content.passage_start is not None and content.passage_end is not None  # validate_item says so
            if text is None or content.passage_end > len(text):
                raise ValidationError("The passage is no longer in the record as it is now; select it again.", field="passage_field")
    framework = framework_by_key(framework_key)
    for statement_id in content.statements:
        framework.statement(statement_id)  # NotFound in words for a statement not in the framework


def _overlap(concern: ConcernContent, passage: Passage) -> bool:
    start, end = concern.passage_start or 0, concern.passage_end or 0
    return start < passage.end and passage.start < end


def _ids(session: Session, assessment_id: str | None) -> list[str]:
    query = sa.select(Record.id).where(Record.kind == item_kinds.CONCERN, Record.deleted.is_(False))
    if assessment_id is not None:
        query = query.where(Record.assessment_id == assessment_id)
    return list(session.scalars(query))


def _rows(session: Session, ids: Sequence[str]) -> list[ConcernRow]:
    """Rows newest first (by when raised); a concern whose draft this app cannot read is left out."""
    if not ids:
        return []
    acks = {a.concern_id: a for a in session.scalars(sa.select(ConcernState).where(ConcernState.concern_id.in_(ids)))}
    rows = []
    for found in session.execute(_CONCERNS, {"ids": list(ids)}).mappings():
        try:
            content = domain.item_from_dict(item_kinds.CONCERN, json.loads(found["content"]))
        except FieldappError:
            continue  # a newer app's fields: left as they are, and the app says to update elsewhere
        assert isinstance(content, ConcernContent)
        rows.append(_row(session, found, content, acks.get(found["id"])))
    return sorted(rows, key=lambda r: (r.content.raised_at, r.id), reverse=True)


def _row(session: Session, found: sa.RowMapping, content: ConcernContent, ack: ConcernState | None) -> ConcernRow:
    sent = bool(found["pushed"]) and not found["draft_dirty"]
    title, passage = _source(session, found["assessment_id"], content)
    return ConcernRow(
        id=found["id"], assessment_id=found["assessment_id"], content=content, record_title=title, passage=passage,
        state="acknowledged" if ack is not None else ("sent" if sent else "raised"),
        acknowledged_by=ack.acknowledged_by if ack else "", acknowledged_at=ack.acknowledged_at if ack else "",
        acknowledgement_note=ack.note if ack else "", conflict=found["sync_state"] == "conflict", updated_at=found["updated_at"],
    )  # fmt: skip


def _source(session: Session, assessment_id: str, content: ConcernContent) -> tuple[str, str]:
    """The record's title and the linked passage's text as the record holds it now. Only a record of
    the concern's own assessment: a colleague's revision may name any id, and this laptop may hold
    another assessment's records that colleague is not in."""
    if not content.record_id:
        return "", ""
    rec = session.scalar(sa.select(Record).where(Record.id == content.record_id, Record.deleted.is_(False)))
    if rec is None or rec.kind not in domain.EVIDENCE_KINDS or rec.assessment_id != assessment_id:
        return "", ""
    if not content.passage_field:
        return rec.title, ""
    try:
        text = domain.text_fields(content_of(session, rec)).get(content.passage_field, "")
    except FieldappError:
        return rec.title, ""
    start, end = content.passage_start or 0, content.passage_end or 0
    return rec.title, text[start:end] if end <= len(text) else ""


_CONTENT = sa.text("SELECT content FROM record_content WHERE num = :num")
_CONCERNS = sa.text(
    "SELECT r.id, r.assessment_id, r.sync_state, r.updated_at, r.draft_dirty, c.content, coalesce(v.pushed, 0) AS pushed "
    "FROM records r JOIN record_content c ON c.num = r.num LEFT JOIN revisions v ON v.id = r.head_revision_id "
    "WHERE r.id IN :ids AND r.deleted = 0"
).bindparams(sa.bindparam("ids", expanding=True))
