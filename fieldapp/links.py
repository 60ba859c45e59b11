"""Evidence links: tag a record, or a passage of it, to a quality statement and evidence category."""

from __future__ import annotations


import sqlalchemy as sa

from fieldapp import domain
from fieldapp.context import VaultContext
from fieldapp.errors import ValidationError
from fieldapp.framework import framework_by_key
from fieldapp.ids import uuid7
from fieldapp.storage.models import Link, Record
from fieldapp.records import Records, content_of, find_owned, link_row, load, mark_dirty
from fieldapp.rows import Changes, Done, LinkRow, Passage


MAX_COMMENT = 10_000


class Links:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def tag(
        self,
        record_id: str,
        statement_id: str,
        category_id: str | None = None,
        *,
        comment: str = "",
        passage: Passage | None = None,
    ) -> Done[LinkRow]:
        """Link the record (or a passage of one of its text fields) to a statement.

        The category defaults from the record's kind and interviewee role, as the framework says.
        """
        if len(comment) > MAX_COMMENT:
            raise ValidationError(f"A comment is limited to {MAX_COMMENT:,} characters.")
        with self._context.transaction("tagging evidence") as session:
            rec = load(session, record_id)
            content = content_of(session, rec)
            framework = framework_by_key(rec.framework_key)
            framework.statement(statement_id)  # NotFound for an unknown statement
            category = category_id or framework.default_category(rec.kind, getattr(content, "role", None), getattr(content, "document_type", None))
            framework.category(category)
            if passage is not None:
                _check_passage(content, passage)
            link = Link(
                id=uuid7(),
                record_id=rec.id,
                statement_id=statement_id,
                category_id=category,
                comment=comment,
                passage_field=passage.field if passage else None,
                passage_start=passage.start if passage else None,
                passage_end=passage.end if passage else None,
                passage_text=passage.text if passage else None,
                created_at=self._context.now(),
            )
            session.add(link)
            mark_dirty(self._context, rec)
            return Done(link_row(link), Changes(records=frozenset({rec.id}), links=frozenset({link.id})))

    def untag(self, link_id: str, *, record_id: str | None = None) -> Done[None]:
        """Remove a link; give its record_id (ids are unique only within a record)."""
        with self._context.transaction("removing a tag") as session:
            link = find_owned(session, Link, link_id, record_id, "evidence link")
            rec = session.scalar(sa.select(Record).where(Record.id == link.record_id))
            session.delete(link)
            if rec is not None:
                mark_dirty(self._context, rec)
            return Done(None, Changes(records=frozenset({link.record_id}), links=frozenset({link_id})))

    def for_record(self, record_id: str) -> tuple[LinkRow, ...]:
        return Records(self._context).get(record_id).links


def passage_of(content: domain.Content, field: str, start: int, end: int) -> Passage:
    """A Passage over content's text field, with the quoted text filled in."""
    text = domain.text_fields(content).get(field)
    if text is None:
        raise ValidationError(f"This record has no text field ‘{domain.field_label(field)}’ to tag a passage of.", field=field)
    if not 0 <= start < end <= len(text):
        raise ValidationError("Select some text inside the field to tag a passage.")
    return Passage(field, start, end, text[start:end])


def _check_passage(content: domain.Content, passage: Passage) -> None:
    expected = passage_of(content, passage.field, passage.start, passage.end)
    if expected.text != passage.text:
        raise ValidationError("The passage no longer matches the record's text; select it again.")
