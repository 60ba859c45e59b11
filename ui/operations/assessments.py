"""Operations on assessments: list them, start one by name and period, archive or bring one back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.rows import AssessmentRow
    from fieldapp.team import TeamMember

    from ui.state import AppState


def list_assessments(state: AppState) -> QueryOp[tuple[AssessmentRow, ...]]:
    return QueryOp(state, lambda vault: vault.assessments.list())


def create_assessment(
    state: AppState, name: str, period: tuple[str | None, str | None] = (None, None), team: Iterable[TeamMember] = (), *,
    initiator: object,
) -> VaultOp:
    """Start an assessment with its period (ISO days, either may be None) and its team with roles."""
    start, end, members = *period, tuple(team)
    return VaultOp(state, lambda vault: vault.assessments.create(name, period_start=start, period_end=end, team=members), initiator=initiator)


def set_archived(state: AppState, assessment_id: str, archived: bool, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.assessments.set_archived(assessment_id, archived), initiator=initiator)
