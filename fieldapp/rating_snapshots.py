"""Rating snapshots: what one fixes of the roll-up (exact results, computed and final rating), reading
them back from their one signed revision each, and their history as changes of level between them.
Helpers of fieldapp.judgements: they take a session and never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from fieldapp import item_kinds
from fieldapp.context import VaultContext
from fieldapp.framework import Framework
from fieldapp.item_kinds import SnapshotContent
from fieldapp.judgement_rows import HistoryPoint, LevelChange, RatingRow, SnapshotRow
from fieldapp.ratings import Result
from fieldapp.signed_items import signed_items


def result_data(result: Result | None) -> dict[str, Any] | None:
    return None if result is None else result.to_json()


def snapshot_content(row: RatingRow, scores: Mapping[str, Mapping[str, int]], kind: str, taken_on: str, note: str) -> SnapshotContent:
    """What a snapshot fixes: every score, each statement's, theme's and the overall result, exactly,
    and the computed and final rating with its reason."""
    whole = row.rollup
    return SnapshotContent(
        kind=kind, taken_on=taken_on, note=note.strip(), rules=row.rules.key, scores={s: dict(c) for s, c in scores.items()},
        statements={s: result_data(r) for s, r in whole.statements.items()},
        themes={t.theme_id: result_data(t.result) for t in whole.themes},
        overall=result_data(whole.overall), computed_score=row.computed_score, computed_rating=row.computed_rating,
        final_score=row.final_score, final_rating=row.final_rating, reason=row.reason, scored=whole.scored, total=whole.total,
    )  # fmt: skip


def snapshot_rows(session: Session, context: VaultContext, ids: list[str]) -> list[SnapshotRow]:
    """Snapshots from their one revision each: what was signed is what is shown, and checked."""
    return [
        SnapshotRow(id=item.id, assessment_id=item.assessment_id, kind=item.content.kind, taken_on=item.content.taken_on,
                    note=item.content.note, content=item.content, device_id=item.device_id, verified=item.verified,
                    signed_by=item.signed_by)
        for item in signed_items(session, context, ids, item_kinds.SNAPSHOT)
    ]  # fmt: skip


def history_points(framework: Framework, snapshots: Sequence[SnapshotRow]) -> tuple[HistoryPoint, ...]:
    """One point per snapshot, oldest first, with every change of level since the one before."""
    points: list[HistoryPoint] = []
    before: SnapshotContent | None = None
    for snap in snapshots:
        content = snap.content
        points.append(HistoryPoint(
            snapshot_id=snap.id, taken_on=snap.taken_on, kind=snap.kind, note=snap.note, overall=content.overall,
            rating=content.final_rating or content.computed_rating, score=content.final_score or content.computed_score,
            themes=dict(content.themes), statements=dict(content.statements),
            changes=level_changes(framework, before, content) if before is not None else (),
            computed_rating=content.computed_rating, reason=content.reason if content.final_rating else "",
        ))  # fmt: skip
        before = content
    return tuple(points)


def level_changes(framework: Framework, before: SnapshotContent, after: SnapshotContent) -> tuple[LevelChange, ...]:
    changes = []
    was, now = before.final_rating or before.computed_rating, after.final_rating or after.computed_rating
    if was and now and was != now:
        changes.append(LevelChange("overall", "", "Overall rating", was, now))
    for theme in framework.themes:
        if (change := _moved(before.themes.get(theme.id), after.themes.get(theme.id))) is not None:
            changes.append(LevelChange("theme", theme.id, theme.name, *change))
    for theme in framework.themes:
        for statement in framework.statements_in(theme.id):
            if (change := _moved(before.statements.get(statement.id), after.statements.get(statement.id))) is not None:
                changes.append(LevelChange("statement", statement.id, statement.name, *change))
    return tuple(changes)


def _moved(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[str, str] | None:
    if before is None or after is None or before.get("rating") == after.get("rating"):
        return None
    return str(before.get("rating", "")), str(after.get("rating", ""))

