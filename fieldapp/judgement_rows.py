"""The frozen rows vault.judgements returns: a statement's judgement, the assessment's rating, its
rating snapshots and their history, and the evidence a statement is judged on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fieldapp.item_kinds import JudgementContent, SnapshotContent
from fieldapp.ratings import Result, Rollup, Rules


@dataclass(frozen=True)
class JudgementRow:
    id: str  # ids.derived_uuid("judgement", assessment id, statement id): one per statement, on every laptop
    assessment_id: str
    statement_id: str
    statement_name: str
    theme_id: str
    content: JudgementContent
    exists: bool  # False: never scored here (an empty draft to start from)
    conflict: bool  # two versions collide (see vault.replication.conflict(id)); resolve with judgements.resolve
    sync_state: str  # "local" | "synced" | "conflict" (fieldapp.sync_state), "" when it does not exist
    updated_at: str
    result: Result | None  # the statement's score from its scores under the assessment's rules
    # Evidence dates typed on this laptop that do not read as dates yet, by path
    # ("scores.<key>.evidence_date"); kept beside the draft, as a record's are, until they read.
    as_typed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RatingRow:
    assessment_id: str
    rules: Rules
    rollup: Rollup
    computed_score: int | None
    computed_rating: str  # "" when nothing is scored (or the rules rate directly)
    final_score: int | None  # set by professional judgement, with a reason; None follows the computed
    final_rating: str
    reason: str
    score: int | None  # the final one if set, else the computed one
    rating: str
    differs: bool  # a final rating is set and differs from the computed one (never when nothing is computed)
    conflict: bool = False  # the rating item's versions collide (its rules or final rating)
    rounding: str = ""  # the team's choice for exact halves; "" follows the rules (rules.rounding is what applies)


@dataclass(frozen=True)
class SnapshotRow:
    id: str
    assessment_id: str
    kind: str  # "published" | "review"
    taken_on: str  # ISO date
    note: str
    content: SnapshotContent
    device_id: str  # the laptop that signed it
    verified: bool  # its revision's hash and signature hold under that laptop's key
    signed_by: str = ""  # who, in words ("you, on this laptop"; "Amara Okafor, on ‘Amara's laptop’")


@dataclass(frozen=True)
class LevelChange:
    """A statement, theme or the overall rating moving from one rating to another between snapshots:
    where CQC says a published rating must change."""

    what: str  # "overall" | "theme" | "statement"
    id: str  # the theme or statement id; "" for overall
    name: str
    before: str  # the rating in words ("Requires improvement")
    after: str


@dataclass(frozen=True)
class HistoryPoint:
    snapshot_id: str
    taken_on: str
    kind: str  # "published" | "review"
    note: str
    overall: dict | None  # the computed overall result as stored (percent exact, shown, score, rating)
    rating: str  # the rating that stood: final if set, else computed
    score: int | None
    themes: dict[str, dict | None]
    statements: dict[str, dict | None]
    changes: tuple[LevelChange, ...]
    computed_rating: str = ""  # the rating the scores gave, kept apart from a final one set by judgement
    reason: str = ""  # why a final rating differs from the computed one ("" when it does not)

    @property
    def review(self) -> bool:
        """A review recorded without a change of score ("reviewed on 4 Dec 2026, score unchanged")."""
        return self.kind == "review"


@dataclass(frozen=True)
class EvidenceItem:
    record_id: str
    link_id: str  # "" when the reference is to the whole record
    title: str
    kind: str
    occurred_on: str | None
    passage_text: str  # "" for a tag of the whole record
    removed: bool = False  # a key evidence reference whose record was deleted: kept, shown as removed


@dataclass(frozen=True)
class StatementEvidence:
    statement_id: str
    by_category: tuple[tuple[str, str, tuple[EvidenceItem, ...]], ...]  # (category id, name, items) in framework order
    total: int  # tagged items that are still evidence (removed ones not counted)

    def count(self, category_id: str | None = None) -> int:
        """Items shown, in one category or in all (removed references included)."""
        return sum(len(items) for cid, _name, items in self.by_category if category_id is None or cid == category_id)

    def items(self) -> tuple[EvidenceItem, ...]:
        return tuple(item for _cid, _name, items in self.by_category for item in items)
