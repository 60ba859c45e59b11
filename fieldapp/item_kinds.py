"""The assessment-level item kinds (a judgement per quality statement, an assessment's rating, a
rating snapshot, a published report; what the team writes for the report, a response to the factual
accuracy check, a draft report as shared; a concern): their content as frozen dataclasses, to and from the plain dicts stored in drafts
and revisions, checked strictly so nothing malformed reaches a signature (see docs/items.md).

The checks here need no framework: whether a statement or category belongs to the assessment's
framework, and whether the scores fit its rules, is fieldapp.judgements' to say.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from collections.abc import Mapping
from typing import Any, Union

from fieldapp.errors import ValidationError
from fieldapp.ids import derived_uuid
from fieldapp.places_content import PLACES, PLACES_LABEL, PlacesContent, places_from_dict, places_to_dict, validate_places
from fieldapp.report.frozen import report_from_json
from fieldapp.report.model import CitedRevision
from fieldapp.report.seal import manifest_from_json, manifest_to_json

JUDGEMENT, RATING, SNAPSHOT = "judgement", "rating", "rating_snapshot"
PUBLISHED = "published_report"  # issue 14: a published report, frozen (see the block at the end)
# -- the report's kinds (issue 14): what the team writes for it, the factual accuracy check ---------
REPORT_TEXT, FAC_RESPONSE, REPORT_DRAFT = "report_text", "fac_response", "report_draft"
REPORT_KINDS = (REPORT_TEXT, FAC_RESPONSE, REPORT_DRAFT)
REPORT_LABELS = {REPORT_TEXT: "The report's texts", FAC_RESPONSE: "Factual accuracy response", REPORT_DRAFT: "Shared draft report"}
# -- end of the report's kinds --------------------------------------------------------------------
CONCERN = "concern"  # issue 15: information of concern, raised from a record or a passage (see the block at the end)
ITEM_KINDS: tuple[str, ...] = (JUDGEMENT, RATING, SNAPSHOT, PUBLISHED, *REPORT_KINDS, CONCERN)
ITEM_LABELS = {
    JUDGEMENT: "Judgement", RATING: "Rating", SNAPSHOT: "Rating snapshot", PUBLISHED: "Published report", **REPORT_LABELS,
    CONCERN: "Concern",
}  # fmt: skip
# -- places and organisations (issue 15): one per assessment, a derived id (fieldapp/places_content.py) --
ITEM_KINDS += (PLACES,)
ITEM_LABELS[PLACES] = PLACES_LABEL
DERIVED_BY_ASSESSMENT = (PLACES,)  # kinds whose id is derived_uuid(kind, assessment id), beside the rating and the texts
# -- end of places and organisations ----------------------------------------------------------------
# Kinds made once and never revised: one revision, no parents; a second is refused by the vault and the service.
IMMUTABLE_KINDS = frozenset({SNAPSHOT, PUBLISHED, REPORT_DRAFT})
STATEMENT_KEY = "statement"  # the one score of a statement scored as a whole (by_statement rules)
BASES = {"updated": "Updated", "existing": "Existing (carried over)"}
STATUSES = {"draft": "Draft", "agreed": "Agreed"}
SNAPSHOT_KINDS = {"published": "Published rating", "review": "Review, no change"}
SCORES = (1, 2, 3, 4)
ROUNDINGS = {"": "As the rules say", "half_up": "Half up", "half_down": "Half down"}  # an assessment's choice
MAX_TEXT = 200_000  # a rationale; the report quotes it, a pasted transcript belongs in a record
# Bounds no honest item comes near (a framework has a handful of categories and some dozens of statements),
# so a colleague's broken or hostile item is refused in words instead of slowing every view that reads it.
MAX_ID = 200  # a statement's, a category's, a record's or a passage's id
MAX_KEY_EVIDENCE = 1_000  # key evidence references of one judgement
MAX_SCORES = 100  # scores of one statement (one per evidence category)
MAX_STATEMENTS = 1_000  # statements or themes in one snapshot
# A stored result is ratings.Result.to_json() (Result.from_json reads it back exactly); these must be there.
_RESULT_NEEDS = {"percent_exact", "shown", "score", "rating"}
_RESULT_KEYS = _RESULT_NEEDS | {"percent", "label", "position", "points_to_next", "points_above_lower", "rounding_sensitive", "count"}


@dataclass(frozen=True)
class ScoreEntry:
    score: int
    basis: str = "updated"  # "updated" | "existing" (carried over from an earlier assessment)
    evidence_date: str = ""  # ISO date of the evidence; "" unknown


@dataclass(frozen=True)
class EvidenceRef:
    record_id: str
    link_id: str = ""  # "" = the whole record


@dataclass(frozen=True)
class JudgementContent:
    statement_id: str
    scores: dict[str, ScoreEntry] = field(default_factory=dict)  # category id, or "statement"
    strengths: str = ""
    improvements: str = ""
    key_evidence: tuple[EvidenceRef, ...] = ()
    status: str = "draft"  # "draft" | "agreed"
    scored_by: str = ""
    agreed_by: str = ""


@dataclass(frozen=True)
class RatingContent:
    """One per assessment: which rules it is scored by, and a final rating set by professional
    judgement (with its reason) where that differs from the computed one."""

    rules: str
    final_score: int | None = None
    reason: str = ""
    rounding: str = ""  # "" the rules' own; "half_up" or "half_down" chosen for this assessment (CQC does not say)


@dataclass(frozen=True)
class SnapshotContent:
    """Every score, the theme scores and the rating on a date: immutable once made.

    Results are ratings.Result.to_json() dicts (percent_exact "275/4", shown, score, rating, position…)
    or None; ratings.Result.from_json reads one back exactly.
    """

    kind: str  # "published" | "review"
    taken_on: str  # ISO date
    note: str = ""
    rules: str = ""
    scores: dict[str, dict[str, int]] = field(default_factory=dict)  # statement id -> {category or "statement": score}
    statements: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    themes: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    overall: dict[str, Any] | None = None
    computed_score: int | None = None
    computed_rating: str = ""
    final_score: int | None = None
    final_rating: str = ""
    reason: str = ""
    scored: int = 0
    total: int = 0


@dataclass(frozen=True)
class PublishedContent:
    """A published report, frozen: the report as it was published, the revisions it cites, and their
    digest (fieldapp.report.frozen.published_digest says exactly what that covers). Immutable once made."""

    published_on: str  # ISO date
    report: dict[str, Any]  # fieldapp.report.frozen.report_to_json of the report, without a seal
    manifest: tuple[CitedRevision, ...]  # every revision the report stands on, as the vault stores it
    digest: str  # sha256 hex



# -- the report's kinds (issue 14) -----------------------------------------------------------------
ORGANISATIONS = {"icb": "the Integrated Care Board", "icp": "the Integrated Care Partnership", "other": "another organisation"}
DECISIONS = {"": "Awaiting a decision", "accepted": "Accepted", "not_accepted": "Not accepted"}
MAX_QUOTATIONS = 1_000  # chosen quotations of one report
MAX_THEMES = 100  # theme narratives of one report (a framework has a handful of themes)
MAX_PARAGRAPHS = 20_000  # paragraphs of one shared draft
MAX_KEY = 400  # a paragraph's key ("statement:<id>:strength:3")
MAX_DRAFT_TEXT = 4_000_000  # characters of one shared draft, all paragraphs together (a revision is at most 8 MB)


@dataclass(frozen=True)
class ReportTextContent:
    """One per assessment: what the team writes for its report. Theme narratives are keyed by theme
    id; a theme without one falls back to its statements' strengths and areas for improvement."""

    summary: str = ""  # the key features of the ICS, after the cover
    progress: str = ""  # commentary on the ICS's progress, above the history
    strengths: dict[str, str] = field(default_factory=dict)  # theme id -> areas of strength
    improvements: dict[str, str] = field(default_factory=dict)  # theme id -> areas requiring improvement
    quotations: tuple[EvidenceRef, ...] = ()  # chosen from the suggestions, in the order quoted


@dataclass(frozen=True)
class FacResponseContent:
    """One response to the factual accuracy check: what an organisation said of one paragraph of a
    shared draft, and what the team decided."""

    draft_id: str  # the report_draft item (its shared_on date) the paragraph number is of
    paragraph: int
    organisation: str  # a key of ORGANISATIONS
    said: str
    organisation_name: str = ""  # the organisation's name, needed when organisation is "other"
    decision: str = ""  # a key of DECISIONS; "" not decided yet
    change: str = ""  # the change made, when accepted
    reason: str = ""  # why not, when not accepted
    recorded_by: str = ""


@dataclass(frozen=True)
class DraftParagraph:
    number: int
    key: str  # stable across edits (fieldapp.report.model.Paragraph.key): matches it to the final report's
    text: str


@dataclass(frozen=True)
class DraftContent:
    """A draft report as it was shared for the factual accuracy check: immutable, as a snapshot is."""

    shared_on: str  # ISO date
    paragraphs: tuple[DraftParagraph, ...] = ()


# -- end of the report's kinds --------------------------------------------------------------------

# -- concerns (issue 15) -----------------------------------------------------------------------------
CONCERN_KINDS = {
    "safeguarding": "Safeguarding",
    "risk_of_harm": "Risk of harm",
    "poor_experience": "Poor experience of care",
    "other": "Other information of concern",
}
URGENCIES = {"immediate": "Immediate: act today", "soon": "Soon: within two working days", "routine": "Routine"}
MAX_TELL = 2_000  # who else should know: names and roles, not a letter
MAX_ACK_BY, MAX_ACK_NOTE = 300, 4_000  # the office's acknowledgement: who (one line), and its note


@dataclass(frozen=True)
class ConcernContent:
    """Information of concern an inspector heard or saw: what kind, how urgent, what was heard (in the
    inspector's words), the record and passage it came from (linked by field and offsets, never copied,
    so evidence is held once), the quality statements it touches, and who else should know."""

    concern_kind: str  # a key of CONCERN_KINDS
    urgency: str  # a key of URGENCIES
    heard: str  # required: what was heard or seen
    record_id: str = ""  # the record it was raised from; "" none (raised on its own)
    passage_field: str = ""  # the record's text field of the passage (domain.text_fields' path); "" the whole record
    passage_start: int | None = None
    passage_end: int | None = None
    statements: tuple[str, ...] = ()  # quality statement ids it touches (a set)
    tell: str = ""  # who else should know
    raised_by: str = ""
    raised_at: str = ""  # ISO date and time, UTC


# -- end of concerns -----------------------------------------------------------------------------------

ItemContent = Union[
    JudgementContent, RatingContent, SnapshotContent, PublishedContent, ReportTextContent, FacResponseContent, DraftContent, ConcernContent,
    PlacesContent,
]
_CLASSES: dict[str, type] = {
    JUDGEMENT: JudgementContent, RATING: RatingContent, SNAPSHOT: SnapshotContent, PUBLISHED: PublishedContent,
    REPORT_TEXT: ReportTextContent, FAC_RESPONSE: FacResponseContent, REPORT_DRAFT: DraftContent, CONCERN: ConcernContent,
}  # fmt: skip
_CLASSES[PLACES] = PlacesContent  # issue 15


def kind_of(content: ItemContent) -> str:
    return {cls: kind for kind, cls in _CLASSES.items()}[type(content)]


def item_to_dict(content: ItemContent) -> dict[str, Any]:
    """Plain JSON-ready dict, in one spelling for one value (key evidence sorted, as a set)."""
    if isinstance(content, JudgementContent):
        return {
            "statement_id": content.statement_id,
            "scores": {k: {"score": e.score, "basis": e.basis, "evidence_date": e.evidence_date} for k, e in content.scores.items()},
            "strengths": content.strengths,
            "improvements": content.improvements,
            "key_evidence": [{"record_id": r.record_id, "link_id": r.link_id} for r in sorted(set(content.key_evidence), key=_ref_key)],
            "status": content.status,
            "scored_by": content.scored_by,
            "agreed_by": content.agreed_by,
        }
    if isinstance(content, RatingContent):
        return {"rules": content.rules, "final_score": content.final_score, "reason": content.reason, "rounding": content.rounding}
    if isinstance(content, PublishedContent):
        return _published_to_dict(content)
    if isinstance(content, (ReportTextContent, FacResponseContent, DraftContent)):
        return _report_item_to_dict(content)
    if isinstance(content, ConcernContent):
        return {**dataclasses.asdict(content), "statements": sorted(set(content.statements))}  # a set: one spelling
    if isinstance(content, PlacesContent):  # issue 15
        return places_to_dict(content)
    return {
        "kind": content.kind, "taken_on": content.taken_on, "note": content.note, "rules": content.rules,
        "scores": {s: dict(c) for s, c in content.scores.items()},
        "statements": {s: None if r is None else dict(r) for s, r in content.statements.items()},
        "themes": {t: None if r is None else dict(r) for t, r in content.themes.items()},
        "overall": None if content.overall is None else dict(content.overall),
        "computed_score": content.computed_score, "computed_rating": content.computed_rating,
        "final_score": content.final_score, "final_rating": content.final_rating, "reason": content.reason,
        "scored": content.scored, "total": content.total,
    }  # fmt: skip


def _ref_key(ref: EvidenceRef) -> tuple[str, str]:
    return (ref.record_id, ref.link_id)


def item_from_dict(kind: str, data: Any) -> ItemContent:
    """Build and check content of an item kind; unknown or mistyped fields are refused."""
    if kind not in _CLASSES:
        raise ValidationError(f"Unknown item kind {kind!r}; this fieldapp knows {', '.join(ITEM_KINDS)}. Update fieldapp to take newer kinds.")
    _object(data, ITEM_LABELS[kind], _fields_of(kind))
    try:
        content = _build(kind, data)
    except TypeError:  # a required field missing
        raise ValidationError(f"{ITEM_LABELS[kind]} cannot be read: a field it needs is missing.") from None
    validate_item(content)
    return content


def _build(kind: str, data: dict[str, Any]) -> ItemContent:
    if kind == JUDGEMENT:
        scores = _object(data.get("scores", {}), "Scores")
        entries = {}
        for key, entry in scores.items():
            _object(entry, f"The score for {key!r}", {"score", "basis", "evidence_date"})
            entries[key] = ScoreEntry(**entry)
        refs = data.get("key_evidence", [])
        if not isinstance(refs, list):
            raise ValidationError("Key evidence must be a list.")
        built = tuple(EvidenceRef(**_object(r, "A key evidence reference", {"record_id", "link_id"})) for r in refs)
        return JudgementContent(**{**data, "scores": entries, "key_evidence": built})
    if kind == RATING:
        return RatingContent(**data)
    if kind == PUBLISHED:
        return _published_from_dict(data)
    if kind in REPORT_KINDS:
        return _build_report_item(kind, data)
    if kind == CONCERN:
        statements = data.get("statements", [])
        if not isinstance(statements, list):
            raise ValidationError("The quality statements a concern touches must be a list.")
        _at_most(statements, MAX_STATEMENTS, "quality statements")
        return ConcernContent(**{**data, "statements": tuple(statements)})
    if kind == PLACES:  # issue 15
        return places_from_dict(data)
    return SnapshotContent(**data)


def _fields_of(kind: str) -> set[str]:
    return {f.name for f in dataclasses.fields(_CLASSES[kind])}


def _object(value: Any, what: str, allowed: set[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValidationError(f"{what} cannot be read: it is not in the form it takes.")
    if allowed is not None and (unknown := set(value) - allowed):
        raise ValidationError(f"{what} has field(s) this fieldapp does not know: {', '.join(sorted(unknown))}.")
    return value


def validate_item(content: ItemContent) -> None:
    """Types and allowed values, checked without the framework; ValidationError in words."""
    if isinstance(content, JudgementContent):
        _validate_judgement(content)
    elif isinstance(content, RatingContent):
        _text(content.rules, "The scoring rules", required=True, limit=MAX_ID)
        _score_or_none(content.final_score, "The final rating")
        _text(content.reason, "The reason for the final rating")
        if content.rounding not in ROUNDINGS:
            raise ValidationError(f"The rounding {content.rounding!r} is not known: it is half_up, half_down, or left to the rules.", field="rounding")
    elif isinstance(content, SnapshotContent):
        _validate_snapshot(content)
    elif isinstance(content, PublishedContent):
        _validate_published(content)
    elif isinstance(content, (ReportTextContent, FacResponseContent, DraftContent)):
        _validate_report_item(content)
    elif isinstance(content, ConcernContent):
        _validate_concern(content)
    elif isinstance(content, PlacesContent):  # issue 15
        validate_places(content)
    else:
        raise ValidationError("This is not the content of a judgement, rating, rating snapshot, published report, report item or concern.")


def _validate_judgement(content: JudgementContent) -> None:
    _text(content.statement_id, "The quality statement", required=True, limit=MAX_ID)
    if not isinstance(content.scores, dict):
        raise ValidationError("Scores cannot be read: they are not in the form they take.")
    _at_most(content.scores, MAX_SCORES, "scores for one statement")
    for key, entry in content.scores.items():
        _text(key, "A score's evidence category", required=True, limit=MAX_ID)
        if not isinstance(entry, ScoreEntry):
            raise ValidationError(f"The score for {key!r} cannot be read.")
        if type(entry.score) is not int or entry.score not in SCORES:
            raise ValidationError(f"A score is a whole number from 1 to 4 (1 significant shortfalls … 4 exceptional standard), not {entry.score!r}.", field=f"scores.{key}")
        if entry.basis not in BASES:
            raise ValidationError(f"A score is either updated or existing (carried over), not {entry.basis!r}.", field=f"scores.{key}.basis")
        _iso_date(entry.evidence_date, "The date of the evidence", optional=True)
    _text(content.strengths, "Strengths")
    _text(content.improvements, "Areas requiring improvement")
    if not isinstance(content.key_evidence, tuple):
        raise ValidationError("Key evidence must be a list.")
    _at_most(content.key_evidence, MAX_KEY_EVIDENCE, "key evidence references")
    for ref in content.key_evidence:
        if not isinstance(ref, EvidenceRef):
            raise ValidationError("A key evidence reference cannot be read.")
        _text(ref.record_id, "A key evidence reference's record", required=True, limit=MAX_ID)
        _text(ref.link_id, "A key evidence reference's passage", limit=MAX_ID)
    if content.status not in STATUSES:
        raise ValidationError(f"A judgement is a draft or agreed, not {content.status!r}.", field="status")
    _text(content.scored_by, "Scored by")
    _text(content.agreed_by, "Agreed by")


def _validate_snapshot(content: SnapshotContent) -> None:
    if content.kind not in SNAPSHOT_KINDS:
        raise ValidationError(f"A rating snapshot is published or a review, not {content.kind!r}.")
    _iso_date(content.taken_on, "The snapshot's date")
    _text(content.rules, "The scoring rules", limit=MAX_ID)
    for text, what in ((content.note, "The note"), (content.computed_rating, "The computed rating"),
                       (content.final_rating, "The final rating"), (content.reason, "The reason")):  # fmt: skip
        _text(text, what)
    if not isinstance(content.scores, dict):
        raise ValidationError("The snapshot's scores cannot be read.")
    _at_most(content.scores, MAX_STATEMENTS, "scored statements in one snapshot")
    for statement_id, scores in content.scores.items():
        _text(statement_id, "A scored statement", required=True, limit=MAX_ID)
        _object(scores, f"The scores of {statement_id[:40]!r}")
        _at_most(scores, MAX_SCORES, "scores for one statement")
        for score in scores.values():
            _score_or_none(score, f"A score of {statement_id!r}", allow_none=False)
    for what, results in (("statement", content.statements), ("theme", content.themes)):
        if not isinstance(results, dict):
            raise ValidationError(f"The snapshot's {what} results cannot be read.")
        _at_most(results, MAX_STATEMENTS, f"{what} results in one snapshot")
        for result in results.values():
            _result(result, f"A {what} result")
    _result(content.overall, "The overall result")
    _score_or_none(content.computed_score, "The computed score")
    _score_or_none(content.final_score, "The final score")
    for number, what in ((content.scored, "statements scored"), (content.total, "statements in all")):
        if type(number) is not int or number < 0:
            raise ValidationError(f"The number of {what} must be a whole number.")


def _result(result: Any, what: str) -> None:
    if result is None:
        return
    _object(result, what, _RESULT_KEYS)
    if not _RESULT_NEEDS <= set(result) or not isinstance(result["percent_exact"], str) or not isinstance(result["rating"], str):
        raise ValidationError(f"{what} must give the exact percentage, the shown one, the score and the rating.")
    if type(result["shown"]) is not int or not 0 <= result["shown"] <= 100:
        raise ValidationError(f"{what}: the shown percentage must be a whole number from 0 to 100.")
    _score_or_none(result["score"], what, allow_none=False)


def _score_or_none(score: Any, what: str, *, allow_none: bool = True) -> None:
    if score is None and allow_none:
        return
    if type(score) is not int or score not in SCORES:
        raise ValidationError(f"{what} must be a score from 1 to 4, not {score!r}.")


def _at_most(values: Any, limit: int, what: str) -> None:
    if len(values) > limit:
        raise ValidationError(f"This has {len(values):,} {what}, more than the {limit:,} an item may hold; it cannot be saved.")


def _text(value: Any, what: str, *, required: bool = False, limit: int = MAX_TEXT) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be text.")
    if required and not value.strip():
        raise ValidationError(f"{what} is missing.")
    if len(value) > limit:
        raise ValidationError(f"{what} is longer than {limit:,} characters; shorten it so it can be saved.")
    if "\x00" in value:
        raise ValidationError(f"{what} contains a character that cannot be saved (NUL); delete it so the rest can be saved.")


def _iso_date(value: Any, what: str, *, optional: bool = False) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a date.")
    if optional and value == "":
        return
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{what}: {value!r} is not a date (e.g. 2026-12-04).") from None
    if len(value) != 10:
        raise ValidationError(f"{what}: {value!r} is not a date in the form 2026-12-04.")


def check_identity(record_id: str, assessment_id: str, kind: str, content: Any) -> None:
    """An item's id is its own and nobody else's (ValidationError in words if not): a judgement's is
    derived from its assessment and statement, the rating's, the report's texts' and the places' from
    its assessment, and no other kind
    (evidence, a snapshot) ever has a derived id. Without this, anyone who knows an assessment's id
    could take its judgements' ids first, and the real judgements would be refused as another record's.
    """
    if not isinstance(record_id, str) or not isinstance(assessment_id, str) or not record_id or not assessment_id:
        raise ValidationError("An item names no id or no assessment it is of, so it cannot be taken.")
    short = f"{record_id[:12]}…"
    if kind == JUDGEMENT:
        statement_id = content.get("statement_id") if isinstance(content, dict) else None
        if not isinstance(statement_id, str) or not statement_id or record_id != derived_uuid(JUDGEMENT, assessment_id, statement_id):
            raise ValidationError(
                f"Judgement {short} does not have the id its assessment and its statement give it (a judgement's id is "
                "derived from them), so it cannot be taken; the app that made it needs fixing or updating."
            )
    elif kind in (RATING, REPORT_TEXT, *DERIVED_BY_ASSESSMENT):
        if record_id != derived_uuid(kind, assessment_id):
            what = ITEM_LABELS[kind]
            raise ValidationError(
                f"{what} {short} does not have the id its assessment gives it (its id is derived from it), "
                "so it cannot be taken; the app that made it needs fixing or updating."
            )
    elif is_derived(record_id):
        what = ITEM_LABELS.get(kind, "Record")
        raise ValidationError(
            f"{what} {short} has an id of the form kept for judgements and ratings (derived ids), so it cannot be taken; "
            "the app that made it needs fixing or updating."
        )


def check_arrival(fields: Mapping[str, Any]) -> None:
    """What a revision of any kind claims about its item, checked where it arrives (the service on
    push, the vault on pull): its id is its own (check_identity), and an item is never deleted (no app
    deletes a judgement, the rating or a snapshot; a tombstone would silently swallow every later score)."""
    check_identity(fields["record_id"], fields["assessment_id"], fields["kind"], fields["content"])
    if fields["kind"] in ITEM_KINDS and fields["deleted"] is not False:
        raise ValidationError(
            f"{ITEM_LABELS[fields['kind']]} {str(fields['record_id'])[:12]}… came deleted; a judgement, the rating or a snapshot "
            "is never deleted (clear its scores instead), so it cannot be taken."
        )


def is_derived(record_id: str) -> bool:
    """Whether an id is a derived one (ids.derived_uuid: UUID version 8), which only judgements, ratings and
    the report's texts have."""
    return isinstance(record_id, str) and len(record_id) == 36 and record_id[14] == "8"


def item_title(content: ItemContent, statement_name: str = "") -> str:
    """What the conflicts view and history call the item."""
    if isinstance(content, JudgementContent):
        return f"Judgement: {statement_name or content.statement_id}"
    if isinstance(content, RatingContent):
        return "Rating of the assessment"
    if isinstance(content, PublishedContent):
        return f"Published report, {content.published_on}"
    if isinstance(content, ReportTextContent):
        return "The report's texts"
    if isinstance(content, FacResponseContent):
        return f"Factual accuracy response on paragraph {content.paragraph}"
    if isinstance(content, DraftContent):
        return f"Draft report shared on {content.shared_on}"
    if isinstance(content, ConcernContent):
        return f"Concern: {CONCERN_KINDS.get(content.concern_kind, 'information of concern').lower()}"
    if isinstance(content, PlacesContent):  # issue 15
        return PLACES_LABEL
    return f"{SNAPSHOT_KINDS.get(content.kind, 'Rating snapshot')}, {content.taken_on}"


# -- published reports (issue 14) -----------------------------------------------------------------------
MAX_MANIFEST = 100_000  # cited revisions of one report: an assessment cites hundreds
MAX_SIGNATURE = 200  # an Ed25519 signature in base64 is 88 characters (an auto-merge's is empty)


def _published_to_dict(content: PublishedContent) -> dict[str, Any]:
    return {"published_on": content.published_on, "report": content.report, "manifest": manifest_to_json(content.manifest), "digest": content.digest}


def _published_from_dict(data: dict[str, Any]) -> PublishedContent:
    if set(data) != _fields_of(PUBLISHED):
        raise ValidationError("Published report cannot be read: a field it needs is missing.")
    return PublishedContent(published_on=data["published_on"], report=data["report"], manifest=manifest_from_json(data["manifest"]), digest=data["digest"])


def _validate_published(content: PublishedContent) -> None:
    """A date, a report that reads back as one (published, so neither a draft nor sealed inside), a
    bounded manifest of ids and signatures, and a digest in SHA-256's spelling."""
    _iso_date(content.published_on, "The date of publication")
    if not isinstance(content.report, dict):
        raise ValidationError("The published report cannot be read: it is not in the form it takes.")
    report = report_from_json(content.report)
    if report.draft or report.seal is not None:
        raise ValidationError("A published report is neither a draft nor sealed inside its own content.")
    if not isinstance(content.manifest, tuple):
        raise ValidationError("A published report's manifest must be a list.")
    _at_most(content.manifest, MAX_MANIFEST, "cited revisions")
    for cited in content.manifest:
        for value, what in ((cited.revision_id, "A cited revision's id"), (cited.record_id, "A cited record's id"), (cited.device_id, "A cited revision's device")):
            _text(value, what, required=True, limit=MAX_ID)
        _text(cited.signature, "A cited revision's signature", limit=MAX_SIGNATURE)
    digest = content.digest
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError("A published report's digest must be a SHA-256 in hexadecimal (64 characters).")


# -- the report's kinds (issue 14): reading, writing and checking them -------------------------------


def _report_item_to_dict(content: ReportTextContent | FacResponseContent | DraftContent) -> dict[str, Any]:
    if isinstance(content, ReportTextContent):
        return {
            "summary": content.summary, "progress": content.progress,
            "strengths": dict(content.strengths), "improvements": dict(content.improvements),
            # in the order chosen (the order quoted), not sorted: the list is ordered, not a set
            "quotations": [{"record_id": r.record_id, "link_id": r.link_id} for r in content.quotations],
        }  # fmt: skip
    if isinstance(content, FacResponseContent):
        return dataclasses.asdict(content)
    return {"shared_on": content.shared_on, "paragraphs": [dataclasses.asdict(p) for p in content.paragraphs]}


def _build_report_item(kind: str, data: dict[str, Any]) -> ItemContent:
    if kind == REPORT_TEXT:
        refs = data.get("quotations", [])
        if not isinstance(refs, list):
            raise ValidationError("The chosen quotations must be a list.")
        _at_most(refs, MAX_QUOTATIONS, "chosen quotations")
        built = tuple(EvidenceRef(**_object(r, "A chosen quotation", {"record_id", "link_id"})) for r in refs)
        return ReportTextContent(**{**data, "quotations": built})
    if kind == FAC_RESPONSE:
        return FacResponseContent(**data)
    paragraphs = data.get("paragraphs", [])
    if not isinstance(paragraphs, list):
        raise ValidationError("The shared draft's paragraphs must be a list.")
    _at_most(paragraphs, MAX_PARAGRAPHS, "paragraphs")
    made = tuple(DraftParagraph(**_object(p, "A paragraph of the shared draft", {"number", "key", "text"})) for p in paragraphs)
    return DraftContent(**{**data, "paragraphs": made})


def _validate_report_item(content: ReportTextContent | FacResponseContent | DraftContent) -> None:
    if isinstance(content, ReportTextContent):
        _text(content.summary, "The summary of the ICS's key features")
        _text(content.progress, "The commentary on progress")
        for narratives, what in ((content.strengths, "areas of strength"), (content.improvements, "areas requiring improvement")):
            if not isinstance(narratives, dict):
                raise ValidationError(f"The themes' {what} cannot be read: they are not in the form they take.")
            _at_most(narratives, MAX_THEMES, f"themes with {what}")
            for theme_id, text in narratives.items():
                _text(theme_id, "A theme", required=True, limit=MAX_ID)
                _text(text, f"The theme's {what}")
        if not isinstance(content.quotations, tuple):
            raise ValidationError("The chosen quotations must be a list.")
        _at_most(content.quotations, MAX_QUOTATIONS, "chosen quotations")
        for ref in content.quotations:
            if not isinstance(ref, EvidenceRef):
                raise ValidationError("A chosen quotation cannot be read.")
            _text(ref.record_id, "A chosen quotation's record", required=True, limit=MAX_ID)
            _text(ref.link_id, "A chosen quotation's passage", required=True, limit=MAX_ID)
        if len(set(content.quotations)) != len(content.quotations):
            raise ValidationError("A passage is chosen twice as a quotation; choose each once.", field="quotations")
    elif isinstance(content, FacResponseContent):
        _validate_response(content)
    else:
        _iso_date(content.shared_on, "The date the draft was shared")
        if not isinstance(content.paragraphs, tuple):
            raise ValidationError("The shared draft's paragraphs must be a list.")
        _at_most(content.paragraphs, MAX_PARAGRAPHS, "paragraphs")
        numbers, keys, total = set(), set(), 0
        for paragraph in content.paragraphs:
            if not isinstance(paragraph, DraftParagraph):
                raise ValidationError("A paragraph of the shared draft cannot be read.")
            if type(paragraph.number) is not int or paragraph.number < 1:
                raise ValidationError(f"A paragraph's number is a whole number from 1, not {paragraph.number!r}.")
            _text(paragraph.key, "A paragraph's key", required=True, limit=MAX_KEY)
            _text(paragraph.text, f"Paragraph {paragraph.number}")
            numbers.add(paragraph.number)
            keys.add(paragraph.key)
            total += len(paragraph.text)
        if len(numbers) != len(content.paragraphs) or len(keys) != len(content.paragraphs):
            raise ValidationError("Two paragraphs of the shared draft have one number or one key; each has its own.")
        if total > MAX_DRAFT_TEXT:
            raise ValidationError(f"The shared draft holds {total:,} characters, more than the {MAX_DRAFT_TEXT:,} one may hold.")


def _validate_response(content: FacResponseContent) -> None:
    _text(content.draft_id, "The shared draft the response is about", required=True, limit=MAX_ID)
    if type(content.paragraph) is not int or content.paragraph < 1:
        raise ValidationError(f"A response names a paragraph by its number (1 or more), not {content.paragraph!r}.", field="paragraph")
    if content.organisation not in ORGANISATIONS:
        raise ValidationError(
            f"A response is from the Integrated Care Board, the Integrated Care Partnership or another organisation "
            f"named, not {content.organisation!r}.", field="organisation",
        )  # fmt: skip
    _text(content.organisation_name, "The organisation's name", required=content.organisation == "other", limit=MAX_ID)
    _text(content.said, "What the organisation said", required=True)
    if content.decision not in DECISIONS:
        raise ValidationError(f"A response is accepted, not accepted, or awaiting a decision, not {content.decision!r}.", field="decision")
    _text(content.change, "The change made")
    _text(content.reason, "The reason it was not accepted")
    if content.decision == "accepted" and not content.change.strip():
        raise ValidationError("An accepted response says the change made to the report: write it.", field="change")
    if content.decision == "not_accepted" and not content.reason.strip():
        raise ValidationError("A response not accepted says why: write the reason.", field="reason")
    _text(content.recorded_by, "Recorded by", limit=MAX_ID)


# -- end of the report's kinds --------------------------------------------------------------------


# -- concerns (issue 15): checking them ------------------------------------------------------------------


def _validate_concern(content: ConcernContent) -> None:
    """A kind and urgency we know, what was heard, a passage named whole (field, start and end, in
    order) or not at all, a bounded set of statement ids, and who raised it when."""
    if content.concern_kind not in CONCERN_KINDS:
        raise ValidationError(
            f"A concern is safeguarding, a risk of harm, a poor experience of care or other information of concern, "
            f"not {content.concern_kind!r}.", field="concern_kind",
        )  # fmt: skip
    if content.urgency not in URGENCIES:
        raise ValidationError(f"A concern's urgency is immediate, soon or routine, not {content.urgency!r}.", field="urgency")
    _text(content.heard, "What was heard", required=True)
    _text(content.record_id, "The record the concern was raised from", limit=MAX_ID)
    _text(content.passage_field, "The passage's field", limit=MAX_ID)
    start, end = content.passage_start, content.passage_end
    if content.passage_field:
        if not content.record_id:
            raise ValidationError("A concern's passage is of a record: name the record.", field="passage_field")
        if type(start) is not int or type(end) is not int or not 0 <= start < end <= MAX_TEXT * 10:
            raise ValidationError("A concern's passage is a span of its field: a start before its end, both 0 or more.", field="passage_start")
    elif start is not None or end is not None:
        raise ValidationError("A concern's passage names its field as well as where it starts and ends.", field="passage_field")
    if not isinstance(content.statements, tuple):
        raise ValidationError("The quality statements a concern touches must be a list.")
    _at_most(content.statements, MAX_STATEMENTS, "quality statements")
    for statement_id in content.statements:
        _text(statement_id, "A quality statement the concern touches", required=True, limit=MAX_ID)
    if len(set(content.statements)) != len(content.statements):
        raise ValidationError("A quality statement is named twice for one concern; name each once.", field="statements")
    _text(content.tell, "Who else should know", limit=MAX_TELL)
    _text(content.raised_by, "Raised by", limit=MAX_ID)
    _text(content.raised_at, "When it was raised", limit=MAX_ID)
    if content.raised_at:
        try:
            datetime.fromisoformat(content.raised_at)
        except ValueError:
            raise ValidationError(f"When a concern was raised must be a date and time, not {content.raised_at!r}.") from None


# -- end of concerns -----------------------------------------------------------------------------------
