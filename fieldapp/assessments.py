"""Assessments: one integrated care system under assessment, with its period and team.

Who may change what. An assessment on the central service (pulled from it, or offered by this
laptop and accepted) belongs to the service's administrator: every pull brings its name, period and
team again and overwrites them here, and the protocol has no way to send a change back. So this
laptop may rename an assessment or set its period only while it is local-only (made here and not
on the service yet, or refused by it); the next sync offers it as it then stands. Archiving is a
different thing: a choice of what this laptop's list shows, kept in the vault and never sent, so
it is allowed for any assessment and changes nothing for anyone else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.context import VaultContext
from fieldapp.errors import ManagedByService, NotFound, ValidationError
from fieldapp.framework import default_framework, framework_by_key
from fieldapp.ids import uuid7
from fieldapp.storage.models import Assessment, Meta
from fieldapp.sync_state import META_PREFIX
from fieldapp.rows import AssessmentRow, Changes, Done
from fieldapp.team import TeamMember, members_from, members_json, members_of



class Assessments:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def create(
        self,
        name: str,
        *,
        period_start: str | None = None,
        period_end: str | None = None,
        team: Iterable[TeamMember | tuple[str, str] | str] = (),
        framework_key: str | None = None,
    ) -> Done[AssessmentRow]:
        """A new assessment, tagged against the newest framework unless told otherwise. Its team is
        names, or members with roles (TeamMember, or (name, role) with a role of team.ROLE_LABELS)."""
        name = name.strip()
        if not name:
            raise ValidationError("Give the assessment a name (the integrated care system's name).")
        _check_period(period_start, period_end)
        members = members_from(team)
        key = framework_by_key(framework_key).key if framework_key else default_framework().key
        with self._context.transaction("creating an assessment") as session:
            row = Assessment(
                id=uuid7(),
                name=name,
                period_start=period_start,
                period_end=period_end,
                team=json.dumps([m.name for m in members], ensure_ascii=False),
                members=members_json(members),
                framework_key=key,
                created_at=self._context.now(),
            )
            session.add(row)
            return Done(_row(row, my_inspector_id(session)), Changes(assessments=frozenset({row.id})))

    def get(self, assessment_id: str) -> AssessmentRow:
        with self._context.transaction("reading an assessment") as session:
            return _row(_get(session, assessment_id), my_inspector_id(session))

    def list(self) -> tuple[AssessmentRow, ...]:
        """Every assessment, archived ones too (each row says whether it is)."""
        with self._context.transaction("listing assessments") as session:
            rows = session.scalars(sa.select(Assessment).order_by(Assessment.created_at, Assessment.id)).all()
            me = my_inspector_id(session)
            return tuple(_row(r, me) for r in rows)

    def rename(self, assessment_id: str, name: str) -> Done[AssessmentRow]:
        """A new name, while the assessment is on this laptop only (see the module's docstring)."""
        name = name.strip()
        if not name:
            raise ValidationError("Give the assessment a name (the integrated care system's name).")
        with self._context.transaction("renaming an assessment") as session:
            row = _local_only(session, assessment_id, "rename it")
            row.name = name
            return Done(_row(row, my_inspector_id(session)), Changes(assessments=frozenset({row.id})))

    def set_period(self, assessment_id: str, period_start: str | None, period_end: str | None) -> Done[AssessmentRow]:
        """The dates the assessment runs (ISO, either may be None), while it is on this laptop only."""
        _check_period(period_start, period_end)
        with self._context.transaction("setting an assessment's period") as session:
            row = _local_only(session, assessment_id, "change its period")
            row.period_start, row.period_end = period_start, period_end
            return Done(_row(row, my_inspector_id(session)), Changes(assessments=frozenset({row.id})))

    def set_team(self, assessment_id: str, team: Iterable[TeamMember | tuple[str, str] | str]) -> Done[AssessmentRow]:
        """The team and each member's role, while the assessment is on this laptop only (the service's
        administrator sets the team of one on the service, and every pull brings it)."""
        members = members_from(team)
        with self._context.transaction("setting an assessment's team") as session:
            row = _local_only(session, assessment_id, "change its team")
            row.team, row.members = json.dumps([m.name for m in members], ensure_ascii=False), members_json(members)
            return Done(_row(row, my_inspector_id(session)), Changes(assessments=frozenset({row.id})))

    def set_archived(self, assessment_id: str, archived: bool) -> Done[AssessmentRow]:
        """Hide the assessment from this laptop's list (or show it again); its records stay, and sync."""
        with self._context.transaction("archiving an assessment") as session:
            row = _get(session, assessment_id)
            row.archived = archived
            return Done(_row(row, my_inspector_id(session)), Changes(assessments=frozenset({row.id})))


def _get(session: sa.orm.Session, assessment_id: str) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise NotFound(f"No assessment with id {assessment_id}.")
    return row


def _local_only(session: sa.orm.Session, assessment_id: str, doing: str) -> Assessment:
    row = _get(session, assessment_id)
    if row.on_service:
        raise ManagedByService(f"This assessment is managed on the central service; ask its administrator to {doing}.")
    return row


def _check_period(start: str | None, end: str | None) -> None:
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise ValidationError("Give the period as dates, e.g. 2026-11-01 to 2026-11-30.") from None
    if first and last and last < first:
        raise ValidationError("The assessment period ends before it starts.")


def my_inspector_id(session: Session) -> str:
    """The inspector this laptop is enrolled for at the service ("" before enrolling)."""
    value = session.scalar(sa.select(Meta.value).where(Meta.key == META_PREFIX + "inspector_id"))
    return value.decode("utf-8") if value else ""


def _row(row: Assessment, me: str = "") -> AssessmentRow:
    return AssessmentRow(
        id=row.id,
        name=row.name,
        period_start=row.period_start,
        period_end=row.period_end,
        team=tuple(json.loads(row.team)),
        framework_key=row.framework_key,
        created_at=row.created_at,
        on_service=bool(row.on_service),
        service_note=row.service_note or "",
        archived=bool(row.archived),
        lead=row.lead_name if row.lead_id else None,
        lead_id=row.lead_id or None,
        i_lead=not row.lead_id or row.lead_id == me,
        members=members_of(row.members, row.team, row.lead_name if row.lead_id else None),
        retention_days=row.retention_days,
    )
