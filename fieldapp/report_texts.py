"""What the team writes for an assessment's report, and the factual accuracy check (`vault.report_texts`).

Three item kinds (docs/items.md), each changed only by signed revisions that sync and merge as
judgements do:
- the report's texts (`report_text`, one per assessment, a derived id): a summary of the ICS's key
  features, a commentary on its progress, a narrative of strengths and one of areas requiring
  improvement per theme, and the quotations chosen from the suggestions, in the order quoted;
- a response to the factual accuracy check (`fac_response`, one item each): what an organisation
  said of a paragraph of a shared draft, and the team's decision;
- a shared draft (`report_draft`, immutable as a rating snapshot is): the draft's numbered paragraphs
  (number, stable key, text) and the date it was shared, so the final report can say what changed.

For a UI (every call one transaction; rows are frozen; saves return Done with Changes naming the
assessment in `judgements`, as every assessment-level item does):

    texts = vault.report_texts.texts(aid)                      # ReportTextRow (an empty one until saved)
    vault.report_texts.save_texts(aid, dataclasses.replace(texts.content, summary="…"))
    vault.report_texts.suggestions(aid)                        # passages tagged People's experience
    vault.report_texts.choose_quotations(aid, [(record_id, link_id), …])   # in the order quoted
    vault.report_texts.quotations(aid)                         # the chosen ones still quotable, in order
    vault.report_texts.text_versions(aid)                      # in conflict: each version, side by side
    vault.replication.resolve_item(texts.id, take=revision_id) # ends the conflict (a response's too, by its id)
    vault.report_texts.record_response(aid, FacResponseContent(draft_id, 12, "icb", "…"))   # a new one
    vault.report_texts.record_response(aid, content, response_id=row.id)                     # a change
    vault.report_texts.responses(aid)                          # ResponseRow each, by draft and paragraph
    vault.report_texts.drafts(aid)                             # DraftRow each, oldest first

Sharing a draft freezes the draft report's paragraphs: fieldapp.report.build.share_draft(vault, aid, shared_on)
builds the draft and records it here (`share_draft(aid, shared_on, paragraphs)`); only the lead
inspector shares, as only they publish the rating. Anyone on the team writes texts and responses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, item_kinds
from fieldapp.context import VaultContext
from fieldapp.dates import show_when
from fieldapp.errors import NotFound, ValidationError
from fieldapp.framework import Framework, framework_by_key
from fieldapp.ids import derived_uuid, uuid7
from fieldapp.item_kinds import DraftContent, DraftParagraph, EvidenceRef, FacResponseContent, ReportTextContent

# The item helpers judgements are stored with: one way to keep an item in the records table.
from fieldapp.judgements import _body_of, _heads, _Item, _items, _my_name, _record, _write_item, new_item, require_lead
from fieldapp.records import content_of, cut_revision, load
from fieldapp.rows import Changes, Done
from fieldapp.signed_items import signed_items
from fieldapp.storage.models import Assessment, Record

PEOPLE = "peoples-experience"  # the evidence category whose tagged passages are suggested as quotations


def report_text_id(assessment_id: str) -> str:
    """The one id of an assessment's report texts, the same on every laptop."""
    return derived_uuid(item_kinds.REPORT_TEXT, assessment_id)


@dataclass(frozen=True)
class ReportTextRow:
    id: str
    assessment_id: str
    content: ReportTextContent
    exists: bool  # False: nothing written yet (an empty one to start from)
    conflict: bool  # two versions collide: text_versions() shows them, vault.replication.resolve_item ends it
    sync_state: str
    updated_at: str


@dataclass(frozen=True)
class Suggestion:
    """A passage tagged People's experience the team may quote."""

    record_id: str
    link_id: str  # the passage's first tag; choosing any of its tags chooses it
    passage: str
    who: str  # pseudonym and role (who_of): never anything else that could name a person
    informs: tuple[str, ...]  # the quality statements (names) it is tagged for, in framework order
    chosen: int | None = None  # its place among the chosen quotations (1 first), None if not chosen


@dataclass(frozen=True)
class ResponseRow:
    id: str
    assessment_id: str
    content: FacResponseContent
    shared_on: str  # ISO date of the draft it is about; "" if that draft has not arrived here yet
    organisation: str  # in words: "the Integrated Care Board", or the organisation named
    conflict: bool
    sync_state: str
    updated_at: str


@dataclass(frozen=True)
class DraftRow:
    id: str
    assessment_id: str
    shared_on: str  # ISO date
    paragraphs: tuple[DraftParagraph, ...]
    verified: bool  # its signature holds
    signed_by: str


def who_of(content: domain.Content) -> str:
    """A quoted record's pseudonym and role: never anything else that could name a person."""
    if isinstance(content, domain.Interview):
        role = domain.INTERVIEWEE_ROLES.get(content.role, "")
        return ", ".join(p for p in (content.pseudonym, role.lower() if content.pseudonym else role) if p) or "Interviewee"
    if isinstance(content, domain.CaseTracking):
        return f"{content.pseudonym or 'A person'}, whose care was tracked"
    if isinstance(content, domain.FocusGroup):
        role = domain.INTERVIEWEE_ROLES.get(content.role or "", "")
        return f"Focus group ({role.lower()})" if role else "Focus group"
    if isinstance(content, domain.Document):  # an organisation's document names no person
        named = content.source_organisation.strip()
        return f"{domain.DOCUMENT_TYPES[content.document_type]}{f', {named}' if named else ''}"
    return "Observed meeting"


def organisation_words(content: FacResponseContent) -> str:
    return content.organisation_name.strip() if content.organisation == "other" else item_kinds.ORGANISATIONS[content.organisation]


class ReportTexts:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    # -- the report's texts ------------------------------------------------------------------------

    def texts(self, assessment_id: str) -> ReportTextRow:
        with self._context.transaction("reading the report's texts") as session:
            _framework(session, assessment_id)
            return _text_row(session, assessment_id)

    def save_texts(self, assessment_id: str, content: ReportTextContent) -> Done[ReportTextRow]:
        """Save the report's texts (its draft; the next sync cuts and sends its revision). Theme
        narratives must be of the assessment's framework's themes; a quotation newly chosen must be
        one of the suggestions (a chosen one kept from before may have lost its tag: it is kept, unquoted)."""
        with self._context.transaction("saving the report's texts") as session:
            return self._save(session, assessment_id, lambda _current: content)

    def _save(self, session: Session, assessment_id: str, change: Callable[[ReportTextContent], ReportTextContent]) -> Done[ReportTextRow]:
        framework = _framework(session, assessment_id)
        current = _text_row(session, assessment_id).content
        content = change(current)
        item_kinds.validate_item(content)
        themes = {t.id for t in framework.themes}
        if unknown := sorted({*content.strengths, *content.improvements} - themes):
            raise ValidationError(f"There is no theme {unknown[0]!r} in {framework.title}, the framework this assessment uses.")
        content = dataclasses.replace(
            content, summary=content.summary.strip(), progress=content.progress.strip(),
            strengths=_kept(content.strengths), improvements=_kept(content.improvements),
        )  # fmt: skip
        if new := [ref for ref in content.quotations if ref not in current.quotations]:
            groups = _groups(session, assessment_id, framework)
            if any((ref.record_id, ref.link_id) not in groups.by_link for ref in new):
                raise ValidationError("A chosen quotation must be a passage tagged People's experience in this assessment.", field="quotations")
        item_id = report_text_id(assessment_id)
        changed = _write_item(session, self._context, _record(session, item_id), item_id, assessment_id, framework.key, content)
        return Done(_text_row(session, assessment_id), _changed(assessment_id, changed))

    def text_versions(self, assessment_id: str) -> tuple[tuple[str, ReportTextContent], ...]:
        """The report's texts in conflict: each colliding version (revision id, content); empty when not."""
        with self._context.transaction("reading the report's texts' versions") as session:
            heads = _heads(session, report_text_id(assessment_id))
            if len(heads) < 2:
                return ()
            made = []
            for head in heads:
                content = domain.item_from_dict(item_kinds.REPORT_TEXT, _body_of(session, head)["content"])
                assert isinstance(content, ReportTextContent)
                made.append((head, content))
            return tuple(made)

    # -- quotations --------------------------------------------------------------------------------

    def suggestions(self, assessment_id: str) -> tuple[Suggestion, ...]:
        """Every passage tagged People's experience in the assessment (one per passage, however many
        statements it is tagged for), in framework order, with whether and where it is chosen."""
        with self._context.transaction("reading the suggested quotations") as session:
            framework = _framework(session, assessment_id)
            groups = _groups(session, assessment_id, framework)
            chosen = groups.chosen(_text_row(session, assessment_id).content.quotations)
            place = {(s.record_id, s.link_id): n for n, s in enumerate(chosen, 1)}
            return tuple(dataclasses.replace(s, chosen=place.get((s.record_id, s.link_id))) for s in groups.suggestions)

    def quotations(self, assessment_id: str) -> tuple[Suggestion, ...]:
        """The chosen quotations that are still passages tagged People's experience, in the order chosen."""
        with self._context.transaction("reading the chosen quotations") as session:
            framework = _framework(session, assessment_id)
            chosen = _groups(session, assessment_id, framework).chosen(_text_row(session, assessment_id).content.quotations)
            return tuple(dataclasses.replace(s, chosen=n) for n, s in enumerate(chosen, 1))

    def choose_quotations(self, assessment_id: str, refs: Iterable[EvidenceRef | tuple[str, str]]) -> Done[ReportTextRow]:
        """Quote these passages, in this order (record id, link id of the suggestion), and no others."""
        chosen = tuple(dict.fromkeys(r if isinstance(r, EvidenceRef) else EvidenceRef(*r) for r in refs))
        with self._context.transaction("choosing the quotations") as session:
            return self._save(session, assessment_id, lambda current: dataclasses.replace(current, quotations=chosen))

    # -- the factual accuracy check ----------------------------------------------------------------

    def share_draft(self, assessment_id: str, shared_on: date | str, paragraphs: Sequence[DraftParagraph]) -> Done[DraftRow]:
        """Record a draft report as shared for the factual accuracy check on a date: its numbered
        paragraphs, frozen in a signed, immutable item (fieldapp.report.build.share_draft builds them)."""
        content = DraftContent(shared_on if isinstance(shared_on, str) else shared_on.isoformat(), tuple(paragraphs))
        item_kinds.validate_item(content)
        with self._context.transaction("recording the shared draft") as session:
            framework = _framework(session, assessment_id)
            require_lead(session, assessment_id, "shares the draft report for the factual accuracy check", "ask them to share it")
            rec = new_item(session, self._context, uuid7(), item_kinds.REPORT_DRAFT, assessment_id, framework.key, content)
            cut = cut_revision(session, self._context, rec)
            assert cut is not None
            made = _draft_rows(session, self._context, [rec.id])[0]
            return Done(made, Changes(revisions=frozenset({cut.id}), judgements=frozenset({assessment_id})))

    def drafts(self, assessment_id: str) -> tuple[DraftRow, ...]:
        """The drafts shared for the factual accuracy check, oldest first, each with whether its signature holds."""
        with self._context.transaction("reading the shared drafts") as session:
            _framework(session, assessment_id)
            return _drafts_of(session, self._context, assessment_id)

    def record_response(self, assessment_id: str, content: FacResponseContent, *, response_id: str | None = None) -> Done[ResponseRow]:
        """Record a response to the factual accuracy check (response_id None: a new one), or change one.
        Its paragraph must be one of the draft it names; an accepted response says the change made, one
        not accepted says why. Several inspectors may record responses at once: each is its own item."""
        with self._context.transaction("recording a factual accuracy response") as session:
            framework = _framework(session, assessment_id)
            current: FacResponseContent | None = None
            rec = None
            if response_id is not None:
                rec = _record(session, response_id)
                found = _items(session, [response_id]).get(response_id)
                if rec is None or found is None or rec.assessment_id != assessment_id or not isinstance(found.content, FacResponseContent):
                    raise NotFound(f"No factual accuracy response {response_id} in this assessment.")
                current = found.content
            content = dataclasses.replace(
                content, said=content.said.strip(), change=content.change.strip(), reason=content.reason.strip(),
                organisation_name=content.organisation_name.strip() if content.organisation == "other" else "",
                recorded_by=current.recorded_by if current is not None else _my_name(session, self._context)[: item_kinds.MAX_ID],
            )  # fmt: skip
            item_kinds.validate_item(content)
            if current is None or (current.draft_id, current.paragraph) != (content.draft_id, content.paragraph):
                _check_paragraph(session, self._context, assessment_id, content)
            item_id = response_id or uuid7()
            changed = _write_item(session, self._context, rec, item_id, assessment_id, framework.key, content)
            return Done(_response_rows(session, self._context, assessment_id, [item_id])[0], _changed(assessment_id, changed))

    def responses(self, assessment_id: str) -> tuple[ResponseRow, ...]:
        """Every response, by the date of its draft, then its paragraph, then when it was recorded."""
        with self._context.transaction("reading the factual accuracy responses") as session:
            _framework(session, assessment_id)
            ids = list(session.scalars(_IDS_OF_KIND, {"assessment_id": assessment_id, "kind": item_kinds.FAC_RESPONSE}))
            return _response_rows(session, self._context, assessment_id, ids)


# -- helpers: they take a session and never commit -------------------------------------------------


def _framework(session: Session, assessment_id: str) -> Framework:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(f"No assessment with id {assessment_id}.")
    return framework_by_key(assessment.framework_key)


def _kept(narratives: dict[str, str]) -> dict[str, str]:
    return {theme: text.strip() for theme, text in sorted(narratives.items()) if text.strip()}


def _changed(assessment_id: str, changed: bool) -> Changes:
    return Changes(judgements=frozenset({assessment_id})) if changed else Changes()


def _text_row(session: Session, assessment_id: str) -> ReportTextRow:
    item_id = report_text_id(assessment_id)
    item = _items(session, [item_id]).get(item_id)
    content = item.content if item is not None and isinstance(item.content, ReportTextContent) else ReportTextContent()
    return ReportTextRow(
        id=item_id, assessment_id=assessment_id, content=content, exists=item is not None,
        conflict=item is not None and item.sync_state == "conflict", sync_state=item.sync_state if item else "",
        updated_at=item.updated_at if item else "",
    )  # fmt: skip


@dataclass(frozen=True)
class _Groups:
    """The assessment's People's-experience passages: one suggestion per passage, and each of its tags."""

    suggestions: tuple[Suggestion, ...]
    by_link: dict[tuple[str, str], Suggestion]  # (record id, any link id of the passage) -> its suggestion

    def chosen(self, refs: Iterable[EvidenceRef]) -> tuple[Suggestion, ...]:
        """The chosen refs still tagged, in order, each passage once (a ref no longer tagged is left out)."""
        found = (self.by_link.get((r.record_id, r.link_id)) for r in refs)
        return tuple(dict.fromkeys(s for s in found if s is not None))


def _groups(session: Session, assessment_id: str, framework: Framework) -> _Groups:
    order = {s.id: n for n, s in enumerate(s for t in framework.themes for s in framework.statements_in(t.id))}
    names = {s.id: s.name for s in framework.statements}
    passages: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (record, passage) -> [(link id, statement id)]
    for link_id, record_id, statement_id, text in session.execute(_PEOPLE_LINKS, {"assessment_id": assessment_id, "category_id": PEOPLE}):
        if text and text.strip() and statement_id in names:
            passages.setdefault((record_id, text.strip()), []).append((link_id, statement_id))
    ranked = sorted(passages.items(), key=lambda kv: (min(order[s] for _l, s in kv[1]), kv[1][0][0]))
    suggestions, by_link, who = [], {}, {}
    for (record_id, text), links in ranked:
        if record_id not in who:
            who[record_id] = _who_of_record(session, record_id)
        informs = tuple(names[s] for s in sorted(dict.fromkeys(s for _l, s in links), key=order.__getitem__))
        made = Suggestion(record_id, links[0][0], text, who[record_id], informs)
        suggestions.append(made)
        by_link.update({(record_id, link_id): made for link_id, _s in links})
    return _Groups(tuple(suggestions), by_link)


def _who_of_record(session: Session, record_id: str) -> str:
    return who_of(content_of(session, load(session, record_id)))


def _check_paragraph(session: Session, context: VaultContext, assessment_id: str, content: FacResponseContent) -> None:
    drafts = {d.id: d for d in _drafts_of(session, context, assessment_id)}
    draft = drafts.get(content.draft_id)
    if draft is None:
        raise ValidationError("A response is about a draft shared for the factual accuracy check in this assessment; choose one.", field="draft_id")
    numbers = [p.number for p in draft.paragraphs]
    if content.paragraph not in numbers:
        span = f"its paragraphs are numbered {min(numbers)} to {max(numbers)}" if numbers else "it has no numbered paragraphs"
        raise ValidationError(
            f"The draft shared on {show_when(draft.shared_on)} has no paragraph {content.paragraph}: {span}.", field="paragraph",
        )  # fmt: skip


def _drafts_of(session: Session, context: VaultContext, assessment_id: str) -> tuple[DraftRow, ...]:
    ids = list(session.scalars(_IDS_OF_KIND, {"assessment_id": assessment_id, "kind": item_kinds.REPORT_DRAFT}))
    return tuple(sorted(_draft_rows(session, context, ids), key=lambda d: (d.shared_on, d.id)))


def _draft_rows(session: Session, context: VaultContext, ids: list[str]) -> list[DraftRow]:
    """Drafts from their one revision each: what was signed is what is shown, and checked."""
    return [
        DraftRow(item.id, item.assessment_id, item.content.shared_on, item.content.paragraphs, item.verified, item.signed_by)
        for item in signed_items(session, context, ids, item_kinds.REPORT_DRAFT)
    ]


def _response_rows(session: Session, context: VaultContext, assessment_id: str, ids: list[str]) -> tuple[ResponseRow, ...]:
    shared = {d.id: d.shared_on for d in _drafts_of(session, context, assessment_id)}
    rows = []
    for item in _items(session, ids).values():
        if isinstance(item.content, FacResponseContent):
            rows.append(_response_row(assessment_id, item, shared.get(item.content.draft_id, "")))
    return tuple(sorted(rows, key=lambda r: (r.shared_on, r.content.paragraph, r.updated_at, r.id)))


def _response_row(assessment_id: str, item: _Item, shared_on: str) -> ResponseRow:
    assert isinstance(item.content, FacResponseContent)
    return ResponseRow(
        id=item.id, assessment_id=assessment_id, content=item.content, shared_on=shared_on,
        organisation=organisation_words(item.content), conflict=item.sync_state == "conflict",
        sync_state=item.sync_state, updated_at=item.updated_at,
    )  # fmt: skip


_IDS_OF_KIND = sa.select(Record.id).where(
    Record.assessment_id == sa.bindparam("assessment_id"), Record.kind == sa.bindparam("kind"), Record.deleted.is_(False)
)
_PEOPLE_LINKS = sa.text(
    "SELECT l.id, l.record_id, l.statement_id, l.passage_text FROM links l JOIN records r ON r.id = l.record_id "
    "WHERE l.category_id = :category_id AND r.assessment_id = :assessment_id AND r.deleted = 0 "
    f"AND r.kind IN ({', '.join(repr(k) for k in domain.EVIDENCE_KINDS)}) "
    "ORDER BY l.created_at, l.id"
)
