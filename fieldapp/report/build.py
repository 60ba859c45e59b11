"""build_report: the assessment report as one value (fieldapp.report.model) from an assessment, its
judgements, its rating, its snapshots and their history.

It cites and quotes, never copies: quotations are the passages tagged People's experience (never a
whole note), under the pseudonym and role of a record that is cited; key evidence is a record's
title, date, kind and evidence category (never an attachment). A report of an assessment whose
judgements or rating are in conflict is refused, naming what to resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fieldapp import domain
from fieldapp.dates import show_when
from fieldapp.errors import UnresolvedConflict, ValidationError
from fieldapp.framework import Framework, framework_by_key
from fieldapp.judgement_rows import EvidenceItem, HistoryPoint as SnapshotPoint, JudgementRow, RatingRow, StatementEvidence
from fieldapp.ratings import Result
from fieldapp.report.model import Block, Figure, HistoryPoint, Paragraph, Quotation, Report, Section, Table
from fieldapp.rows import AssessmentRow
from fieldapp.report.source import ReportSource

PEOPLE = "peoples-experience"  # the evidence category whose tagged passages are quoted
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
    _refuse_conflicts(judgements, rating)
    history = vault.judgements.history(assessment_id)
    scored = [j for j in judgements if j.exists]
    evidence = {j.statement_id: vault.judgements.evidence(assessment_id, j.statement_id) for j in judgements}
    numbers = _Numbers()
    sections = [
        Section("About this assessment", (numbers.paragraph(_interim_sentence(framework, rating)),)),
        _peoples_experiences(vault, framework, evidence, numbers),
        *_themes(framework, rating, judgements, evidence, numbers),
        _overall(rating, numbers),
        _progress(history, numbers),
    ]
    report = Report(
        title=f"Assessment of {assessment.name}",
        cover=_cover(assessment, framework, rating, scored, history),
        sections=tuple(sections),
        draft=draft,
        draft_line=draft_line(shared_on) if draft and shared_on is not None else "",
    )
    return Built(report, frozenset(numbers.cited))


class _Numbers:
    """Numbers each narrative paragraph in the order the report reads, and notes which evidence
    records the report cites on the way (for a published report's manifest)."""

    def __init__(self) -> None:
        self._next = 1
        self.cited: set[str] = set()

    def paragraph(self, text: str) -> Paragraph:
        made = Paragraph(self._next, text)
        self._next += 1
        return made


def _refuse_conflicts(judgements: tuple[JudgementRow, ...], rating: RatingRow) -> None:
    names = [f"the judgement of ‘{j.statement_name}’" for j in judgements if j.conflict]
    if rating.conflict:
        names.append("the assessment's rating")
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
        ("Framework", f"{framework.title} ({framework.key})"),
        ("Scoring rules", f"{rating.rules.name} ({rating.rules.key})"),
        ("Evidence last assessed", show_when(max(evidence_dates)) if evidence_dates else "not recorded"),
        ("Ratings last updated", show_when(history[-1].taken_on) if history else "not yet published"),
    )


def _who(content: domain.Content) -> str:
    """A cited record's pseudonym and role: never anything else that could name a person."""
    if isinstance(content, domain.Interview):
        role = domain.INTERVIEWEE_ROLES.get(content.role, "")
        return ", ".join(p for p in (content.pseudonym, role.lower() if content.pseudonym else role) if p) or "Interviewee"
    if isinstance(content, domain.CaseTracking):
        return f"{content.pseudonym or 'A person'}, whose care was tracked"
    if isinstance(content, domain.FocusGroup):
        role = domain.INTERVIEWEE_ROLES.get(content.role or "", "")
        return f"Focus group ({role.lower()})" if role else "Focus group"
    return "Observed meeting"


def _peoples_experiences(vault: ReportSource, framework: Framework, evidence: dict[str, StatementEvidence], numbers: _Numbers) -> Section:
    quoted: dict[tuple[str, str], list[str]] = {}  # (record id, passage) -> statement names
    for statement in framework.statements:
        for category_id, _name, items in evidence[statement.id].by_category:
            for item in items:
                if category_id == PEOPLE and item.passage_text.strip() and not item.removed:
                    names = quoted.setdefault((item.record_id, item.passage_text), [])
                    if statement.name not in names:
                        names.append(statement.name)
    blocks: list[Block] = [numbers.paragraph(
        "What people told us, in passages the team tagged as people's experience, under their pseudonyms and roles, "
        "and the quality statements each informed."
        if quoted else "No passages were tagged as people's experience in this assessment."
    )]  # fmt: skip
    who_of: dict[str, str] = {}
    for (record_id, passage), informs in quoted.items():
        if record_id not in who_of:
            who_of[record_id] = _who(vault.records.get(record_id).content)
            numbers.cited.add(record_id)
        blocks.append(Quotation(passage.strip(), who_of[record_id], tuple(informs)))
    return Section("People's experiences", tuple(blocks))


def _result_words(result: Result | None) -> str:
    if result is None:
        return "not scored"
    return f"{result.score} ({result.label or result.rating}), {result.shown}% — {_POSITIONS.get(result.position, result.position)}"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _themes(framework: Framework, rating: RatingRow, judgements: tuple[JudgementRow, ...], evidence: dict[str, StatementEvidence],
            numbers: _Numbers) -> list[Section]:  # fmt: skip
    by_statement = {j.statement_id: j for j in judgements}
    sections = []
    for theme_result in rating.rollup.themes:
        statements = framework.statements_in(theme_result.theme_id)
        blocks: list[Block] = [numbers.paragraph(
            f"Theme score: {_result_words(theme_result.result)}, from {theme_result.scored} of {theme_result.total} quality statements scored."
        )]  # fmt: skip
        for heading, field in (("Areas of strength", "strengths"), ("Areas requiring improvement", "improvements")):
            points = [(s.name, line) for s in statements for line in _lines(getattr(by_statement[s.id].content, field))]
            blocks.append(numbers.paragraph(f"{heading}:" if points else f"{heading}: none recorded."))
            blocks += [numbers.paragraph(f"{name}: {line}") for name, line in points]
        sections.append(Section(theme_result.name, tuple(blocks)))
        for statement in statements:
            sections.append(_statement(by_statement[statement.id], evidence[statement.id], numbers))
    return sections


def _statement(judgement: JudgementRow, evidence: StatementEvidence, numbers: _Numbers) -> Section:
    content = judgement.content
    blocks: list[Block] = [numbers.paragraph(f"Score: {_result_words(judgement.result)}.")]
    strengths, improvements = _lines(content.strengths), _lines(content.improvements)
    blocks += [numbers.paragraph(f"Strength: {line}") for line in strengths]
    blocks += [numbers.paragraph(f"Requires improvement: {line}") for line in improvements]
    if not strengths and not improvements:
        blocks.append(numbers.paragraph("No findings are recorded for this statement yet."))
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
        return Section("Overall rating", (numbers.paragraph("No quality statement is scored yet, so there is no overall rating."),))
    blocks = [numbers.paragraph(f"Overall rating: {rating.rating}. Overall score: {_result_words(overall)}.")]
    if rating.rollup.provisional:
        blocks.append(numbers.paragraph(f"Provisional: {rating.rollup.scored} of {rating.rollup.total} quality statements are scored."))
    if rating.differs:
        blocks.append(numbers.paragraph(
            f"The scores give {rating.computed_rating}; the team's final rating is {rating.final_rating}, because: {rating.reason}"
        ))  # fmt: skip
    return Section("Overall rating", tuple(blocks))


def _progress(history: tuple[SnapshotPoint, ...], numbers: _Numbers) -> Section:
    if not history:
        return Section("Progress", (numbers.paragraph("No rating has been published yet, so there is no history of scores."),))
    points = tuple(HistoryPoint(show_when(p.taken_on), p.score, p.rating, p.review) for p in history)
    rows = tuple(
        (show_when(p.taken_on), "Review, score unchanged" if p.review else "Published", p.rating or "not rated",
         "" if p.score is None else str(p.score), p.note)
        for p in history
    )  # fmt: skip
    blocks: list[Block] = [
        numbers.paragraph(f"The rating over time: {len(history)} snapshot(s), reviews marked."),
        Figure("history", "Scores and ratings over time", points),
        Table(("Date", "Snapshot", "Rating", "Score", "Note"), rows),
    ]
    changes = [f"{c.name or 'Overall'}: {c.before} → {c.after} ({show_when(p.taken_on)})" for p in history for c in p.changes]
    blocks += [numbers.paragraph(f"Change of level — {line}") for line in changes]
    return Section("Progress", tuple(blocks))


__all__ = ["Built", "build_citing", "build_report", "draft_line"]
