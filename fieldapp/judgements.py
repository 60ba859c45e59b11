"""Judgements (`vault.judgements`): a score for each quality statement with its rationale and key
evidence, the assessment's rating rolled up from them (fieldapp.ratings), and signed rating snapshots
with their history.

Each is an item of a kind (docs/items.md): a row of the records table, changed only by signed
revisions that sync, merge and show in conflicts as records do. A judgement's id is derived from its
assessment and statement, so two inspectors who start one offline make one item.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, item_kinds
from fieldapp.assessments import my_inspector_id
from fieldapp.context import VaultContext
from fieldapp.errors import FieldappError, NeedsUpdate, NotFound, UnresolvedConflict, ValidationError
from fieldapp.framework import Framework, Statement, framework_by_key
from fieldapp.ids import derived_uuid, uuid7
from fieldapp.item_kinds import STATEMENT_KEY, JudgementContent, RatingContent
from fieldapp.judgement_rows import (
    EvidenceItem,
    HistoryPoint,
    JudgementRow,
    LevelChange,
    RatingRow,
    SnapshotRow,
    StatementEvidence,
)
from fieldapp.ratings import RATINGS, Result, Rollup, Rules, default_rules, rollup, rules_by_key
from fieldapp.rating_snapshots import history_points, snapshot_content, snapshot_rows
from fieldapp.records import as_typed_of, cut_revision, describe, item_content_of, mark_dirty, write_as_typed, write_content
from fieldapp.revisions import graph, revision
from fieldapp.storage.models import Assessment, Device, Meta, Record
from fieldapp.sync_state import META_PREFIX
from fieldapp.rows import Changes, Done

__all__ = [
    "EvidenceItem", "HistoryPoint", "JudgementRow", "Judgements", "LevelChange", "RatingRow", "SnapshotRow",
    "StatementEvidence", "judgement_id", "rating_id",
]  # fmt: skip


def judgement_id(assessment_id: str, statement_id: str) -> str:
    """The one id of a statement's judgement in an assessment, the same on every laptop."""
    return derived_uuid(item_kinds.JUDGEMENT, assessment_id, statement_id)


def rating_id(assessment_id: str) -> str:
    """The one id of an assessment's rating item (its rules, and a final rating set by judgement)."""
    return derived_uuid(item_kinds.RATING, assessment_id)


class Judgements:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    # -- judgements --------------------------------------------------------------------------------

    def get(self, assessment_id: str, statement_id: str) -> JudgementRow:
        """The statement's judgement; an empty draft (exists=False) if it was never scored."""
        with self._context.transaction("reading a judgement") as session:
            setting = _Setting.of(session, assessment_id)
            statement = setting.statement(statement_id)
            found = _items(session, [judgement_id(assessment_id, statement_id)])
            return setting.judgement_row(statement, found)

    def list(self, assessment_id: str) -> tuple[JudgementRow, ...]:
        """Every statement of the assessment's framework, in its order, with its judgement (or an empty draft)."""
        with self._context.transaction("reading judgements") as session:
            setting = _Setting.of(session, assessment_id)
            found = _items(session, [judgement_id(assessment_id, s.id) for s in setting.framework.statements])
            return tuple(setting.judgement_row(s, found) for s in setting.ordered_statements())

    def save(
        self, assessment_id: str, statement_id: str, content: JudgementContent, *, as_typed: Mapping[str, str] | None = None
    ) -> Done[JudgementRow]:
        """Save a statement's judgement (its draft; the next sync cuts and sends its revision).

        Checked whole before anything is written: each score 1–4, for a category of the framework
        (or the one statement score) as the assessment's rules score, the statement in its
        framework version, new key evidence in the assessment. Fills who scored and who agreed.
        as_typed holds evidence dates that do not read yet, by path ("scores.<key>.evidence_date"),
        kept beside the draft on this laptop as a record's are (None keeps those kept before).
        """
        with self._context.transaction("saving a judgement") as session:
            setting = _Setting.of(session, assessment_id)
            statement = setting.statement(statement_id)
            if content.statement_id not in ("", statement_id):
                raise ValidationError(f"This judgement is of {content.statement_id!r}, not of ‘{statement.name}’.")
            content = dataclasses.replace(content, statement_id=statement_id)
            item_kinds.validate_item(content)
            item_id = judgement_id(assessment_id, statement_id)
            rec = _record(session, item_id)
            current = item_content_of(session, rec) if rec is not None else None
            assert current is None or isinstance(current, JudgementContent)
            setting.check_scores(statement, content, current)
            _check_key_evidence(session, assessment_id, content, current)
            content = _who(content, current, _my_name(session, self._context))
            if content.status == "agreed" and (current is None or current.status != "agreed"):
                setting.require_lead("agrees judgements", "save it as a draft and ask them to agree it")
            typed = check_as_typed(content, as_typed) if as_typed is not None else None  # checked before anything is written
            changed = _write_item(session, self._context, rec, item_id, assessment_id, setting.framework.key, content)
            rec = rec if rec is not None else _record(session, item_id)
            assert rec is not None
            typed = typed if typed is not None else check_as_typed(content, as_typed_of(session, rec.num))
            changed = write_as_typed(session, rec.num, typed) or changed
            row = setting.judgement_row(statement, _items(session, [item_id]))
            return Done(row, _changed(assessment_id, changed))

    def versions(self, assessment_id: str, statement_id: str) -> tuple[tuple[str, JudgementContent], ...]:
        """A judgement in conflict: each colliding version (its revision id, its content), for showing
        side by side; vault.replication.resolve_item(row.id, take=revision id) ends it. Empty when
        not in conflict."""
        item_id = judgement_id(assessment_id, statement_id)
        with self._context.transaction("reading a judgement's versions") as session:
            heads = _heads(session, item_id)
            if len(heads) < 2:
                return ()
            bodies = [(h, _body_of(session, h)) for h in heads]
            return tuple((h, _as_judgement(b["content"])) for h, b in bodies)

    def evidence(self, assessment_id: str, statement_id: str) -> StatementEvidence:
        """The statement's tagged records and passages, grouped by evidence category in framework
        order, newest first; key evidence whose record was deleted is kept and marked removed."""
        with self._context.transaction("reading a statement's evidence") as session:
            setting = _Setting.of(session, assessment_id)
            statement = setting.statement(statement_id)
            rows = session.execute(_EVIDENCE, {"assessment_id": assessment_id, "statement_id": statement.id}).all()
            items: dict[str, list[EvidenceItem]] = {}
            live = set()
            for link_id, record_id, category_id, passage, title, kind, occurred_on in rows:
                items.setdefault(category_id, []).append(EvidenceItem(record_id, link_id, title, kind, occurred_on, passage or ""))
                live.add((record_id, link_id))
                live.add((record_id, ""))
            total = len(rows)
            found = _items(session, [judgement_id(assessment_id, statement_id)])
            current = next(iter(found.values()), None)
            if current is not None and isinstance(current.content, JudgementContent):
                for ref in current.content.key_evidence:
                    if (ref.record_id, ref.link_id) not in live:
                        category, item = _removed_item(session, assessment_id, ref)
                        items.setdefault(category, []).append(item)
            groups = [(c.id, c.name, tuple(items.pop(c.id, ()))) for c in setting.framework.categories]
            groups += [(cid, cid or "No longer tagged", tuple(found_items)) for cid, found_items in sorted(items.items())]
            return StatementEvidence(statement.id, tuple(groups), total)

    # -- the rating --------------------------------------------------------------------------------

    def rules(self, assessment_id: str) -> Rules:
        """The scoring rules the assessment uses (the default rules until set_rules chooses others)."""
        with self._context.transaction("reading the scoring rules") as session:
            setting = _Setting.of(session, assessment_id)
            if setting.unknown_rules:
                raise NotFound(setting.unknown_rules)
            return setting.rules

    def set_rules(self, assessment_id: str, key: str) -> Done[RatingRow]:
        """Score the assessment by other rules (a key from ratings.available_rules())."""
        rules = rules_by_key(key)
        with self._context.transaction("choosing the scoring rules") as session:
            setting = _Setting.of(session, assessment_id)
            if rules.framework != setting.framework.framework:
                raise ValidationError(f"The rules ‘{rules.name}’ are for another framework; choose rules for {setting.framework.title}.")
            content = dataclasses.replace(setting.rating_content, rules=rules.key)
            changed = _write_item(session, self._context, setting.rating_record, rating_id(assessment_id), assessment_id, setting.framework.key, content)
            return Done(_Setting.of(session, assessment_id).rating_row(), _changed(assessment_id, changed))

    def set_rounding(self, assessment_id: str, rounding: str) -> Done[RatingRow]:
        """How exact halves (62.5 %) are shown for this assessment: "half_up", "half_down", or ""
        for what its rules say. CQC does not say; the team chooses, and every laptop follows."""
        wanted = rounding.replace("-", "_")
        if wanted not in item_kinds.ROUNDINGS:
            raise ValidationError(f"Rounding {rounding!r} is not known; choose half up or half down.", field="rounding")
        with self._context.transaction("choosing the rounding") as session:
            setting = _Setting.of(session, assessment_id)
            content = dataclasses.replace(setting.rating_content, rounding=wanted)
            changed = _write_item(session, self._context, setting.rating_record, rating_id(assessment_id), assessment_id, setting.framework.key, content)
            return Done(_Setting.of(session, assessment_id).rating_row(), _changed(assessment_id, changed))

    def rating(self, assessment_id: str) -> RatingRow:
        """The roll-up of every statement's scores: theme scores, the computed and final rating."""
        with self._context.transaction("working out the rating") as session:
            return _Setting.of(session, assessment_id).rating_row()

    def set_final(self, assessment_id: str, score: int | None, reason: str) -> Done[RatingRow]:
        """Set the final rating by professional judgement (None: follow the computed one). A final
        rating different from the computed one needs a written reason; both are kept."""
        with self._context.transaction("setting the final rating") as session:
            setting = _Setting.of(session, assessment_id)
            computed = setting.rating_row()
            if score is not None and (type(score) is not int or score not in RATINGS):
                raise ValidationError("A final rating is one of 1 Inadequate, 2 Requires improvement, 3 Good, 4 Outstanding.", field="final_score")
            if score is None:
                reason = ""
            elif score != computed.computed_score and computed.computed_score is not None and not reason.strip():
                raise ValidationError(
                    f"A final rating of {RATINGS[score]} differs from the computed {computed.computed_rating}: write the reason, "
                    "the professional judgement it rests on, so both can be kept.", field="reason",
                )  # fmt: skip
            content = dataclasses.replace(setting.rating_content, final_score=score, reason=reason.strip())
            if (content.final_score, content.reason) != (setting.rating_content.final_score, setting.rating_content.reason):
                setting.require_lead("sets the final rating", "tell them the rating and reason you would give")
            item_kinds.validate_item(content)
            changed = _write_item(session, self._context, setting.rating_record, rating_id(assessment_id), assessment_id, setting.framework.key, content)
            return Done(_Setting.of(session, assessment_id).rating_row(), _changed(assessment_id, changed))

    # -- snapshots and history ---------------------------------------------------------------------

    def snapshot(self, assessment_id: str, *, kind: str = "published", note: str = "") -> Done[SnapshotRow]:
        """Publish a signed, immutable snapshot of every score, the theme scores and the rating today
        (kind "review": reviewed, score unchanged). Refused while a judgement or the rating is in
        conflict. One transaction: the snapshot exists whole, with its revision, or not at all."""
        if kind not in item_kinds.SNAPSHOT_KINDS:
            raise ValidationError(f"A snapshot is published or a review, not {kind!r}.")
        with self._context.transaction("publishing a rating snapshot") as session:
            setting = _Setting.of(session, assessment_id)
            if kind == "published":
                setting.require_lead("publishes the rating", "ask them to publish it")
            else:
                setting.require_lead("records a review", "ask them to record it")
            setting.refuse_conflicts("publishing a rating snapshot" if kind == "published" else "recording a review")
            row = setting.rating_row()
            content = snapshot_content(row, setting.scores(), kind, self._context.clock().date().isoformat(), note)
            item_kinds.validate_item(content)
            rec = _new_item(session, self._context, uuid7(), item_kinds.SNAPSHOT, assessment_id, setting.framework.key, content)
            cut = cut_revision(session, self._context, rec)
            assert cut is not None
            made = snapshot_rows(session, self._context, [rec.id])[0]
            return Done(made, Changes(revisions=frozenset({cut.id}), judgements=frozenset({assessment_id})))

    def snapshots(self, assessment_id: str) -> tuple[SnapshotRow, ...]:
        """The assessment's rating snapshots, oldest first, each with whether its signature holds."""
        with self._context.transaction("reading rating snapshots") as session:
            _Setting.of(session, assessment_id)
            ids = list(session.scalars(_SNAPSHOT_IDS, {"assessment_id": assessment_id}))
            rows = snapshot_rows(session, self._context, ids)
            return tuple(sorted(rows, key=lambda r: (r.taken_on, r.id)))

    def history(self, assessment_id: str) -> tuple[HistoryPoint, ...]:
        """Scores and ratings over time, one point per snapshot (oldest first), reviews marked, and
        every change of level since the snapshot before: a statement, theme or the overall rating
        moving from one rating to another."""
        snapshots = self.snapshots(assessment_id)
        with self._context.transaction("reading the rating history") as session:
            framework = _Setting.of(session, assessment_id).framework
        return history_points(framework, snapshots)


# -- for the areas of other assessment-level items (fieldapp.published_reports) ----------------------------


def require_lead(session: Session, assessment_id: str, does: str, instead: str) -> None:
    """Refuse in words (naming the lead) unless this laptop's inspector leads the assessment, or no lead is known."""
    _Setting.of(session, assessment_id).require_lead(does, instead)


def new_item(session: Session, context: VaultContext, item_id: str, kind: str, assessment_id: str, framework_key: str,
             content: domain.ItemContent) -> Record:  # fmt: skip
    """A new item with its first draft (its revision is cut by the caller, or at the next sync)."""
    return _new_item(session, context, item_id, kind, assessment_id, framework_key, content)


# -- what one assessment's judgements are read against ------------------------------------------------


@dataclasses.dataclass
class _Setting:
    """An assessment's framework, rules and rating item, read once per call."""

    assessment_id: str
    framework: Framework
    rules: Rules
    rating_record: Record | None
    rating_content: RatingContent
    session: Session
    unknown_rules: str = ""  # rules this app does not know (a newer app's): why the rating cannot be worked out here
    lead_id: str | None = None  # the lead inspector as the service names them; None: anyone agrees
    lead_name: str = ""

    @classmethod
    def of(cls, session: Session, assessment_id: str) -> _Setting:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise NotFound(f"No assessment with id {assessment_id}.")
        framework = framework_by_key(assessment.framework_key)
        lead_id, lead_name = assessment.lead_id or None, assessment.lead_name or ""
        rec = _record(session, rating_id(assessment_id))
        content = item_content_of(session, rec) if rec is not None else None
        if not isinstance(content, RatingContent):
            content = RatingContent(rules=default_rules().key)
        try:
            rules = _rules_named(content.rules)
        except NotFound as exc:  # the judgements still read (without results); the rating and scoring say to update
            return cls(assessment_id, framework, default_rules(), rec, content, session, str(exc), lead_id, lead_name)
        if content.rounding:
            rules = rules.with_rounding(content.rounding)
        return cls(assessment_id, framework, rules, rec, content, session, "", lead_id, lead_name)

    def require_lead(self, does: str, instead: str) -> None:
        """Where the service names a lead inspector, only their laptop agrees judgements, sets the
        final rating and publishes; anyone else is told who does (no lead known: anyone may)."""
        if self.lead_id is None or self.lead_id == my_inspector_id(self.session):
            return
        raise ValidationError(f"Only the lead inspector, {self.lead_name or 'named by the service'}, {does}; {instead}.")

    def statement(self, statement_id: str) -> Statement:
        try:
            return self.framework.statement(statement_id)
        except NotFound:
            raise ValidationError(
                f"There is no quality statement {statement_id!r} in {self.framework.title} (version {self.framework.version}), "
                "the framework this assessment uses.", field="statement_id",
            ) from None  # fmt: skip

    def ordered_statements(self) -> tuple[Statement, ...]:
        return tuple(s for theme in self.framework.themes for s in self.framework.statements_in(theme.id))

    def check_scores(self, statement: Statement, content: JudgementContent, current: JudgementContent | None) -> None:
        """Each new or changed score fits the rules' mode and is for a category of the framework."""
        if self.unknown_rules:
            raise NeedsUpdate(self.unknown_rules)
        before = current.scores if current is not None else {}
        changed = sorted(k for k, entry in content.scores.items() if before.get(k) != entry)
        categories = {c.id: c.name for c in self.framework.categories}
        for key in changed:
            if self.rules.mode == "judgement_only":
                raise ValidationError(
                    f"The rules ‘{self.rules.name}’ rate the assessment directly: statements carry their rationale, not scores.",
                    field="scores",
                )  # fmt: skip
            if self.rules.mode == "by_statement" and key != STATEMENT_KEY:
                raise ValidationError(
                    f"The rules ‘{self.rules.name}’ score each statement as a whole: give one score for ‘{statement.name}’, "
                    "not one per evidence category.", field=f"scores.{key}",
                )  # fmt: skip
            if self.rules.mode == "by_category" and key not in categories:
                what = "the statement as a whole" if key == STATEMENT_KEY else f"{key!r}"
                raise ValidationError(
                    f"The rules ‘{self.rules.name}’ score each evidence category that applies to ‘{statement.name}’; "
                    f"{what} is not one of them ({', '.join(categories.values())}).", field=f"scores.{key}",
                )  # fmt: skip

    def judgement_row(self, statement: Statement, found: Mapping[str, _Item]) -> JudgementRow:
        item_id = judgement_id(self.assessment_id, statement.id)
        item = found.get(item_id)
        content = item.content if item is not None and isinstance(item.content, JudgementContent) else JudgementContent(statement.id)
        return JudgementRow(
            id=item_id, assessment_id=self.assessment_id, statement_id=statement.id, statement_name=statement.name,
            theme_id=statement.theme_id, content=content, exists=item is not None,
            conflict=item is not None and item.sync_state == "conflict", sync_state=item.sync_state if item else "",
            updated_at=item.updated_at if item else "", result=self._statement_result(content),
            as_typed=_typed_for(content, item.as_typed) if item is not None else {},
        )  # fmt: skip

    def _statement_result(self, content: JudgementContent) -> Result | None:
        scores = self._scores_of(content)
        if not scores or self.unknown_rules:
            return None
        return rollup(self.framework, self.rules, {content.statement_id: scores}).statements.get(content.statement_id)

    def _scores_of(self, content: JudgementContent) -> dict[str, int]:
        """The scores the roll-up can take: for a category of the framework, or the statement."""
        known = {c.id for c in self.framework.categories} | {STATEMENT_KEY}
        return {k: e.score for k, e in content.scores.items() if k in known}

    def scores(self) -> dict[str, dict[str, int]]:
        """Every scored statement's scores the roll-up takes: statement id -> {category or "statement": score}."""
        scores = {}
        for item in self.judgements().values():
            if isinstance(item.content, JudgementContent) and (kept := self._scores_of(item.content)):
                scores[item.content.statement_id] = kept
        return scores

    def judgements(self) -> dict[str, _Item]:
        return _items(self.session, [judgement_id(self.assessment_id, s.id) for s in self.framework.statements])

    def roll_up(self) -> Rollup:
        return rollup(self.framework, self.rules, self.scores())

    def rating_row(self) -> RatingRow:
        if self.unknown_rules:
            raise NotFound(self.unknown_rules)
        whole = self.roll_up()
        computed = whole.overall
        final = self.rating_content.final_score
        computed_score, computed_rating = (computed.score, computed.rating) if computed is not None else (None, "")
        final_rating = RATINGS.get(final, "") if final is not None else ""
        return RatingRow(
            assessment_id=self.assessment_id, rules=self.rules, rollup=whole, computed_score=computed_score,
            computed_rating=computed_rating, final_score=final, final_rating=final_rating, reason=self.rating_content.reason,
            score=final if final is not None else computed_score, rating=final_rating or computed_rating,
            differs=final is not None and computed_score is not None and final != computed_score,
            conflict=self.rating_record is not None and self.rating_record.sync_state == "conflict",
            rounding=self.rating_content.rounding,
        )  # fmt: skip

    def refuse_conflicts(self, doing: str) -> None:
        names = [self.framework.statement(i.content.statement_id).name for i in self.judgements().values()
                 if i.sync_state == "conflict" and isinstance(i.content, JudgementContent)]  # fmt: skip
        if self.rating_record is not None and self.rating_record.sync_state == "conflict":
            names.append("the assessment's rating")
        if names:
            listed = ", ".join(f"‘{n}’" for n in names)
            raise UnresolvedConflict(
                f"Two versions of the judgement of {listed} collide; resolve {'them' if len(names) > 1 else 'it'} "
                f"before {doing}, so the snapshot says what the team agreed."
            )


def _rules_named(key: str) -> Rules:
    try:
        return rules_by_key(key)
    except NotFound:
        raise NotFound(f"This assessment is scored by rules this app does not know ({key}); update fieldapp to read its rating.") from None


# -- items in the records table --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Item:
    id: str
    kind: str
    content: domain.ItemContent
    sync_state: str
    updated_at: str
    as_typed: Mapping[str, str]  # evidence dates kept as typed on this laptop, not yet readable


def _items(session: Session, item_ids: Iterable[str]) -> dict[str, _Item]:
    """Items by id (by the unique index on id: never a scan of the assessment's records)."""
    found = {}
    for item_id, kind, sync_state, updated_at, text, typed in session.execute(_ITEMS, {"ids": list(item_ids)}):
        try:
            content = domain.item_from_dict(kind, json.loads(text))
        except FieldappError:
            continue  # a draft this app cannot read (a newer kind's fields): left as it is
        found[item_id] = _Item(item_id, kind, content, sync_state, updated_at, json.loads(typed) if typed else {})
    return found


def _record(session: Session, item_id: str) -> Record | None:
    return session.scalar(sa.select(Record).where(Record.id == item_id))


def _new_item(session: Session, context: VaultContext, item_id: str, kind: str, assessment_id: str, framework_key: str,
              content: domain.ItemContent) -> Record:  # fmt: skip
    now = context.now()
    rec = Record(
        id=item_id, assessment_id=assessment_id, kind=kind, framework_key=framework_key, title="", head_revision_id=None,
        draft_dirty=True, dirty_since=now, deleted=False, sync_state="local", created_at=now, updated_at=now, indexed=True, flags="",
    )  # fmt: skip
    describe(rec, content)
    session.add(rec)
    session.flush()
    write_content(session, rec.num, content)
    return rec


def _write_item(session: Session, context: VaultContext, rec: Record | None, item_id: str, assessment_id: str,
                framework_key: str, content: domain.ItemContent) -> bool:  # fmt: skip
    """Create or update an item's draft; False when it already held exactly this."""
    if rec is None:
        kind = item_kinds.kind_of(content)
        _new_item(session, context, item_id, kind, assessment_id, framework_key, content)
        return True
    if not write_content(session, rec.num, content) and not rec.deleted:
        return False
    rec.deleted = False  # an item deleted elsewhere (no app does; an older or broken one might) comes back when saved
    describe(rec, content)
    mark_dirty(context, rec)
    session.flush()
    return True


_MAX_TYPED_DATE = 200  # an evidence date as typed: words such as "the Tuesday before the visit", never a paragraph


def evidence_date_path(key: str) -> str:
    """Where a score's evidence date kept as typed is found in a judgement's as_typed."""
    return f"scores.{key}.evidence_date"


def check_as_typed(content: JudgementContent, as_typed: Mapping[str, str]) -> dict[str, str]:
    """Evidence dates kept as typed, for the scores content has (a cleared score's goes with it, and
    a date typed since stands in the content instead). Raises ValidationError for text that cannot be kept."""
    kept: dict[str, str] = {}
    for key, entry in content.scores.items():
        text = as_typed.get(evidence_date_path(key), "")
        if not isinstance(text, str) or len(text) > _MAX_TYPED_DATE or "\x00" in text:
            raise ValidationError(
                f"The date of the evidence for {key!r} cannot be kept as typed: type a date of at most "
                f"{_MAX_TYPED_DATE} characters, such as 21/11/2026.", field=evidence_date_path(key),
            )  # fmt: skip
        if text.strip() and not entry.evidence_date:
            kept[evidence_date_path(key)] = text
    return kept


def _typed_for(content: JudgementContent, as_typed: Mapping[str, str]) -> dict[str, str]:
    """What is kept as typed for the scores content has: a colleague's version pulled meanwhile
    (which may date the score) is no reason to lose it, as for a record's date fields."""
    paths = {evidence_date_path(key) for key in content.scores}
    return {path: text for path, text in as_typed.items() if path in paths}


def _changed(assessment_id: str, changed: bool) -> Changes:
    return Changes(judgements=frozenset({assessment_id})) if changed else Changes()


def _heads(session: Session, item_id: str) -> list[str]:
    """The item's head revisions (two or more: versions that collide)."""
    rows = session.execute(_GRAPH, {"record_id": item_id}).all()
    return graph.heads({rev_id: json.loads(parents) for rev_id, parents in rows})


def _body_of(session: Session, rev_id: str) -> dict[str, Any]:
    body = session.execute(sa.text("SELECT body FROM revisions WHERE id = :id"), {"id": rev_id}).scalar_one()
    return revision.parse_body(body)


def _as_judgement(content: dict[str, Any]) -> JudgementContent:
    made = domain.item_from_dict(item_kinds.JUDGEMENT, content)
    assert isinstance(made, JudgementContent)
    return made


def _my_name(session: Session, context: VaultContext) -> str:
    """Who scores on this laptop: the inspector the service enrolled it for, else the laptop's label."""
    enrolled = session.scalar(sa.select(Meta.value).where(Meta.key == META_PREFIX + "inspector_name"))
    if enrolled:
        return enrolled.decode("utf-8")
    own = session.execute(sa.select(Device.inspector, Device.label).where(Device.id == context.device_id)).first()
    if own is not None and (own.inspector or own.label):
        return str(own.inspector or own.label)
    return "this laptop"


def _who(content: JudgementContent, current: JudgementContent | None, me: str) -> JudgementContent:
    """Scored by whoever changed the scores last; agreed by whoever marked it agreed (none while a draft).
    Scores changed on an agreed judgement make it a draft again: what was agreed is no longer what it
    says, so the lead inspector agrees it anew (it stays agreed only when it is marked so in the same save)."""
    scores_changed = content.scores != (current.scores if current is not None else {})
    scored_by = content.scored_by
    if scores_changed:
        scored_by = me if content.scores else ""
    status = content.status
    if status == "agreed" and current is not None and current.status == "agreed" and scores_changed:
        status = "draft"
    agreed_by = content.agreed_by
    if status == "draft":
        agreed_by = ""
    elif current is None or current.status != "agreed" or not agreed_by:
        agreed_by = me
    return dataclasses.replace(content, status=status, scored_by=scored_by, agreed_by=agreed_by)


def _check_key_evidence(session: Session, assessment_id: str, content: JudgementContent, current: JudgementContent | None) -> None:
    """New key evidence must be evidence of this assessment (a reference kept from before may be to a
    record since deleted: it stays, shown as removed)."""
    kept = set(current.key_evidence) if current is not None else set()
    for ref in content.key_evidence:
        if ref in kept:
            continue
        found = session.execute(_LIVE_EVIDENCE, {"record_id": ref.record_id}).first()
        if found is None or found.assessment_id != assessment_id or found.kind not in domain.EVIDENCE_KINDS:
            raise ValidationError("Key evidence must be a record of this assessment that is still in the evidence list.", field="key_evidence")
        if ref.link_id and session.execute(_LINK_OF, {"record_id": ref.record_id, "link_id": ref.link_id}).first() is None:
            raise ValidationError(f"The passage chosen as key evidence is no longer tagged in ‘{found.title}’.", field="key_evidence")


def _removed_item(session: Session, assessment_id: str, ref: domain.EvidenceRef) -> tuple[str, EvidenceItem]:
    """A key evidence reference whose record (or passage) is gone: its category and what is known of it."""
    rec = session.execute(_ANY_RECORD, {"record_id": ref.record_id}).first()
    if rec is not None and (rec.assessment_id != assessment_id or rec.kind not in domain.EVIDENCE_KINDS):
        rec = None  # a colleague's reference to another assessment's record, or to an item: nothing of it is shown here
    link = session.execute(_LINK_OF, {"record_id": ref.record_id, "link_id": ref.link_id}).first() if rec is not None and ref.link_id else None
    title, kind, occurred_on = (rec.title, rec.kind, rec.occurred_on) if rec is not None else ("A record no longer here", "", None)
    category = link.category_id if link is not None else ""
    passage = (link.passage_text or "") if link is not None else ""
    return category, EvidenceItem(ref.record_id, ref.link_id, title, kind, occurred_on, passage, removed=True)


# Built once (see fieldapp.replication.exchange): a select costs more to build than to run here.
_IDS: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
_ITEMS = sa.text(
    "SELECT r.id, r.kind, r.sync_state, r.updated_at, c.content, c.as_typed FROM records r JOIN record_content c ON c.num = r.num "
    "WHERE r.id IN :ids AND r.deleted = 0"
).bindparams(_IDS)
_EVIDENCE = sa.text(
    "SELECT l.id, l.record_id, l.category_id, l.passage_text, r.title, r.kind, r.occurred_on "
    "FROM links l JOIN records r ON r.id = l.record_id "
    "WHERE l.statement_id = :statement_id AND r.assessment_id = :assessment_id AND r.deleted = 0 "
    f"AND r.kind IN ({', '.join(repr(k) for k in domain.EVIDENCE_KINDS)}) "
    "ORDER BY coalesce(r.occurred_on, '') DESC, r.num DESC, l.created_at, l.id"
)
_GRAPH = sa.text("SELECT id, parents FROM revisions WHERE record_id = :record_id AND awaiting_check = 0")
_LIVE_EVIDENCE = sa.text("SELECT assessment_id, kind, title FROM records WHERE id = :record_id AND deleted = 0")
_ANY_RECORD = sa.text("SELECT assessment_id, title, kind, occurred_on FROM records WHERE id = :record_id")
_LINK_OF = sa.text("SELECT category_id, passage_text FROM links WHERE record_id = :record_id AND id = :link_id")
_SNAPSHOT_IDS = sa.select(Record.id).where(Record.assessment_id == sa.bindparam("assessment_id"), Record.kind == item_kinds.SNAPSHOT)

