"""build_report: the assessment report as one value (fieldapp.report.model) from an assessment, its
judgements, its rating, its snapshots and their history, and what the team wrote for it
(vault.report_texts: a summary, theme narratives, progress commentary, chosen quotations, and the
factual accuracy check). share_draft builds a draft and records it as shared.

It cites and quotes, never copies: quotations are the passages tagged People's experience that the
team chose (never a whole note), under the pseudonym and role of their record; key evidence is a
record's title, date, kind and evidence category (never an attachment). A report of an assessment
whose judgements, rating or texts are in conflict is refused, naming what to resolve. Every numbered
paragraph has a stable key, so a final report says what changed since the draft that was shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fieldapp import domain
from fieldapp.dates import show_when
from fieldapp.item_kinds import DraftParagraph
from fieldapp.errors import UnresolvedConflict, ValidationError
from fieldapp.framework import Framework, framework_by_key
from fieldapp.judgement_rows import EvidenceItem, HistoryPoint as SnapshotPoint, JudgementRow, RatingRow, StatementEvidence
from fieldapp.ratings import Result
from fieldapp.report.facheck import fac_section
from fieldapp.report.model import Block, Figure, HistoryPoint, Paragraph, Quotation, Report, Section, Table
from fieldapp.report_texts import DraftRow, ReportTextRow, Suggestion
from fieldapp.readable import counted
from fieldapp.rows import AssessmentRow
from fieldapp.report.source import ReportSource

SHARED_WITH = "the Integrated Care Board and the Integrated Care Partnership"
_POSITIONS = {"lower": "in the lower part of its band", "middle": "in the middle of its band", "upper": "in the upper part of its band"}


def draft_line(shared_on: date) -> str:
    """The line a draft carries on every page."""
    return f"Draft for factual accuracy check — shared with {SHARED_WITH} on {show_when(shared_on.isoformat())}"


def build_report(vault: ReportSource, assessment_id: str, *, draft: bool, shared_on: date | None) -> Report:
    """The report of an assessment. A draft needs the date it is shared for the factual accuracy check."""
    return build_citing(vault, assessment_id, draft=draft, shared_on=shared_on).report


@dataclass(frozen=True)
class Built:
    """A report and the evidence records it cites (quoted, or listed as key evidence): what a
    published report's manifest names the head revisions of."""

    report: Report
    cited: frozenset[str]


def build_citing(vault: ReportSource, assessment_id: str, *, draft: bool, shared_on: date | None) -> Built:
    """build_report, with the evidence records the report cites."""
    if draft and shared_on is None:
        raise ValidationError("A draft report says when it is shared for the factual accuracy check: give that date.")
    assessment = vault.assessments.get(assessment_id)
    framework = framework_by_key(assessment.framework_key)
    judgements = vault.judgements.list(assessment_id)
    rating = vault.judgements.rating(assessment_id)
    texts = vault.report_texts.texts(assessment_id)
    responses = () if draft else vault.report_texts.responses(assessment_id)
    _refuse_conflicts(judgements, rating, texts, [f"the factual accuracy response on paragraph {r.content.paragraph}" for r in responses if r.conflict])
    history = vault.judgements.history(assessment_id)
    scored = [j for j in judgements if j.exists]
    evidence = {j.statement_id: vault.judgements.evidence(assessment_id, j.statement_id) for j in judgements}
    numbers = _Numbers()
    sections = [
        Section("About this assessment", (numbers.paragraph(_interim_sentence(framework, rating), "about:framework"),)),
        _summary(texts, numbers),  # the team's summary leads the report, after the cover and its interim status
        _peoples_experiences(vault.report_texts.suggestions(assessment_id), numbers),
        *_themes(framework, rating, judgements, evidence, texts, numbers),
        _overall(rating, numbers),
        _progress(history, texts, numbers),
    ]
    if not draft and (checked := fac_section(vault.report_texts.drafts(assessment_id), responses, _numbered(sections))) is not None:
        sections.append(checked)
    report = Report(
        title=f"Assessment of {assessment.name}",
        cover=_cover(assessment, framework, rating, scored, history),
        sections=tuple(sections),
        draft=draft,
        draft_line=draft_line(shared_on) if draft and shared_on is not None else "",
    )
    return Built(report, frozenset(numbers.cited))


def share_draft(vault: ReportSource, assessment_id: str, shared_on: date) -> tuple[Report, DraftRow]:
    """Build the draft for the factual accuracy check and record it as shared on that date (its
    numbered paragraphs frozen, signed, immutable): the report to send, and the draft as recorded.
    Only the lead inspector shares (vault.report_texts.share_draft says so otherwise)."""
    report = build_report(vault, assessment_id, draft=True, shared_on=shared_on)
    frozen = [DraftParagraph(p.number, p.key, p.text) for p in report.paragraphs() if p.number is not None]
    return report, vault.report_texts.share_draft(assessment_id, shared_on, frozen).value


class _Numbers:
    """Numbers each narrative paragraph in the order the report reads, and notes which evidence
    records the report cites on the way (for a published report's manifest)."""

    def __init__(self) -> None:
        self._next = 1
        self.cited: set[str] = set()

    def paragraph(self, text: str, key: str) -> Paragraph:
        made = Paragraph(self._next, text, key)
        self._next += 1
        return made

    def lines(self, text: str, key: str) -> list[Paragraph]:
        """A text the team wrote, one paragraph a line ("key:1", "key:2"…)."""
        return [self.paragraph(line, f"{key}:{n}") for n, line in enumerate(_lines(text), 1)]


def _numbered(sections: list[Section]) -> list[Paragraph]:
    return [b for s in sections for b in s.blocks if isinstance(b, Paragraph) and b.number is not None]


def _refuse_conflicts(judgements: tuple[JudgementRow, ...], rating: RatingRow, texts: ReportTextRow, others: list[str]) -> None:
    names = [f"the judgement of ‘{j.statement_name}’" for j in judgements if j.conflict]
    if rating.conflict:
        names.append("the assessment's rating")
    if texts.conflict:
        names.append("the report's texts (summary, narratives, progress, quotations)")
    names += others
    if names:
        raise UnresolvedConflict(
            f"Two versions of {', '.join(names)} collide; resolve {'them' if len(names) > 1 else 'it'} before making "
            "the report, so it says what the team agreed."
        )


def _interim_sentence(framework: Framework, rating: RatingRow) -> str:
    """The framework's interim status in plain words: the rules' own notice, as every result shows it."""
    return f"This assessment follows CQC's {framework.title}, version {framework.version}. {rating.rules.notice}".strip()


def _cover(assessment: AssessmentRow, framework: Framework, rating: RatingRow, scored: list[JudgementRow],
           history: tuple[SnapshotPoint, ...]) -> tuple[tuple[str, str], ...]:  # fmt: skip
    start, end = show_when(assessment.period_start) or "not set", show_when(assessment.period_end) or "not set"
    team = [f"{name} (lead inspector)" if name == assessment.lead else name for name in assessment.team]
    if assessment.lead and assessment.lead not in assessment.team:
        team.insert(0, f"{assessment.lead} (lead inspector)")
    evidence_dates = [e.evidence_date for j in scored for e in j.content.scores.values() if e.evidence_date]
    return (
        ("Integrated care system", assessment.name),
        ("Assessment period", f"{start} to {end}"),
        ("Team", ", ".join(team) or "not recorded"),
        # Versions in words: the keys ("cqc-ics@2024.1") are the vault's, not a reader's.
        ("Framework", f"{framework.title}, version {framework.version}"),
        ("Scoring rules", f"{rating.rules.name}, version {rating.rules.version}"),
        ("Evidence last assessed", show_when(max(evidence_dates)) if evidence_dates else "not recorded"),
        ("Ratings last updated", show_when(history[-1].taken_on) if history else "not yet published"),
    )


def _summary(texts: ReportTextRow, numbers: _Numbers) -> Section:
    written = numbers.lines(texts.content.summary, "summary")
    return Section("Summary of the ICS's key features", tuple(written or [numbers.paragraph("The team has not written the summary yet.", "summary:none")]))


def _peoples_experiences(suggestions: tuple[Suggestion, ...], numbers: _Numbers) -> Section:
    """The quotations the team chose, in their order (one no longer tagged is no longer suggested, so not quoted)."""
    chosen = sorted((s for s in suggestions if s.chosen is not None), key=lambda s: s.chosen or 0)
    suggested = len(suggestions)
    if chosen:
        intro = ("What people told us, in passages the team chose from those tagged as people's experience, under their "
                 "pseudonyms and roles, and the quality statements each informed.")  # fmt: skip
    elif suggested:
        intro = ("The team has not chosen which passages to quote yet: "
                 f"{counted(suggested, 'passage')} tagged as people's experience {'waits' if suggested == 1 else 'wait'} to be chosen.")
    else:
        intro = "No passages were tagged as people's experience in this assessment."
    blocks: list[Block] = [numbers.paragraph(intro, "people:intro")]
    blocks += [Quotation(q.passage, q.who, q.informs) for q in chosen]
    numbers.cited.update(q.record_id for q in chosen)  # a quoted record is cited
    return Section("People's experiences", tuple(blocks))


def _result_words(result: Result | None) -> str:
    if result is None:
        return "not scored"
    return f"{result.score} ({result.label or result.rating}), {result.shown}% — {_POSITIONS.get(result.position, result.position)}"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _themes(framework: Framework, rating: RatingRow, judgements: tuple[JudgementRow, ...], evidence: dict[str, StatementEvidence],
            texts: ReportTextRow, numbers: _Numbers) -> list[Section]:  # fmt: skip
    by_statement = {j.statement_id: j for j in judgements}
    sections = []
    for theme_result in rating.rollup.themes:
        theme_id = theme_result.theme_id
        statements = framework.statements_in(theme_id)
        blocks: list[Block] = [numbers.paragraph(
            f"Theme score: {_result_words(theme_result.result)}, from {theme_result.scored} of {theme_result.total} quality statements scored.",
            f"theme:{theme_id}:score",
        )]  # fmt: skip
        for heading, field in (("Areas of strength", "strengths"), ("Areas requiring improvement", "improvements")):
            key = f"theme:{theme_id}:{field}"
            narrative = getattr(texts.content, field).get(theme_id, "")
            # The team's narrative where written; else each statement's lines, named by statement.
            points = [] if narrative else [
                (s, n, line) for s in statements for n, line in enumerate(_lines(getattr(by_statement[s.id].content, field)), 1)
            ]  # fmt: skip
            blocks.append(numbers.paragraph(f"{heading}:" if narrative or points else f"{heading}: none recorded.", key))
            blocks += numbers.lines(narrative, key)
            blocks += [numbers.paragraph(f"{s.name}: {line}", f"{key}:{s.id}:{n}") for s, n, line in points]
        sections.append(Section(theme_result.name, tuple(blocks)))
        for statement in statements:
            sections.append(_statement(by_statement[statement.id], evidence[statement.id], numbers))
    return sections


def _statement(judgement: JudgementRow, evidence: StatementEvidence, numbers: _Numbers) -> Section:
    content = judgement.content
    key = f"statement:{judgement.statement_id}"
    blocks: list[Block] = [numbers.paragraph(f"Score: {_result_words(judgement.result)}.", f"{key}:score")]
    strengths, improvements = _lines(content.strengths), _lines(content.improvements)
    blocks += [numbers.paragraph(f"Strength: {line}", f"{key}:strength:{n}") for n, line in enumerate(strengths, 1)]
    blocks += [numbers.paragraph(f"Requires improvement: {line}", f"{key}:improvement:{n}") for n, line in enumerate(improvements, 1)]
    if not strengths and not improvements:
        blocks.append(numbers.paragraph("No findings are recorded for this statement yet.", f"{key}:none"))
    rows = _key_evidence(content.key_evidence, evidence, numbers.cited)
    if rows:
        blocks.append(Table(("Key evidence", "Date", "Kind", "Evidence category"), rows))
    return Section(judgement.statement_name, tuple(blocks), level=2)


def _key_evidence(refs: tuple[domain.EvidenceRef, ...], evidence: StatementEvidence, cited: set[str]) -> tuple[tuple[str, ...], ...]:
    found: dict[tuple[str, str], tuple[EvidenceItem, str]] = {}
    for _cid, category, items in evidence.by_category:
        for item in items:
            found.setdefault((item.record_id, item.link_id), (item, category))
            found.setdefault((item.record_id, ""), (item, category))
    rows = []
    for ref in sorted(set(refs), key=lambda r: (r.record_id, r.link_id)):
        hit = found.get((ref.record_id, ref.link_id))
        if hit is None:
            continue  # no longer evidence of this statement: nothing of it to cite
        item, category = hit
        cited.add(item.record_id)
        title = f"{item.title} (removed)" if item.removed else item.title
        rows.append((title, show_when(item.occurred_on) or "no date", domain.KIND_LABELS.get(item.kind, item.kind), category))
    return tuple(sorted(rows, key=lambda r: (r[0], r[1])))


def _overall(rating: RatingRow, numbers: _Numbers) -> Section:
    overall = rating.rollup.overall
    if overall is None:
        return Section("Overall rating", (numbers.paragraph("No quality statement is scored yet, so there is no overall rating.", "overall:none"),))
    blocks = [numbers.paragraph(f"Overall rating: {rating.rating}. Overall score: {_result_words(overall)}.", "overall:rating")]
    if rating.rollup.provisional:
        blocks.append(numbers.paragraph(f"Provisional: {rating.rollup.scored} of {rating.rollup.total} quality statements are scored.", "overall:provisional"))
    if rating.differs:
        blocks.append(numbers.paragraph(
            f"The scores give {rating.computed_rating}; the team's final rating is {rating.final_rating}, because: {rating.reason}", "overall:final",
        ))  # fmt: skip
    return Section("Overall rating", tuple(blocks))


def _progress(history: tuple[SnapshotPoint, ...], texts: ReportTextRow, numbers: _Numbers) -> Section:
    commentary: list[Block] = [*numbers.lines(texts.content.progress, "progress")]  # the team's words, above the history
    if not history:
        return Section("Progress", (*commentary, numbers.paragraph("No rating has been published yet, so there is no history of scores.", "progress:none")))
    points = tuple(HistoryPoint(show_when(p.taken_on), p.score, p.rating, p.review) for p in history)
    rows = tuple(
        (show_when(p.taken_on), "Review, score unchanged" if p.review else "Published", p.rating or "not rated",
         "" if p.score is None else str(p.score), p.note)
        for p in history
    )  # fmt: skip
    blocks: list[Block] = [
        *commentary,
        numbers.paragraph(f"The rating over time: {counted(len(history), 'snapshot')}, reviews marked.", "progress:history"),
        Figure("history", "Scores and ratings over time", points),
        Table(("Date", "Snapshot", "Rating", "Score", "Note"), rows),
    ]
    blocks += [
        numbers.paragraph(f"Change of level — {c.name or 'Overall'}: {c.before} → {c.after} ({show_when(p.taken_on)})",
                          f"progress:change:{p.snapshot_id}:{c.what}:{c.id}")
        for p in history for c in p.changes
    ]  # fmt: skip
    return Section("Progress", tuple(blocks))


__all__ = ["Built", "build_citing", "build_report", "draft_line", "share_draft"]
