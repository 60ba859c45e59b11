"""What the service's administrator does (inspectors, assessments, teams, codes, devices), and the
one thing an inspector's device may do to assessments: offer one first made on a laptop."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.dates import show_when
from fieldapp.framework import available_frameworks, default_framework
from fieldapp.ids import iso, utcnow, uuid7
from sync import protocol
from sync.server import db, errors, identity, sealing
from sync.server.frameworks import known_framework
from sync.server.identity import Caller
from fieldapp.team import ROLE_LABELS
from sync.server.models import ROLE_LEAD, ROLE_MEMBER, ROLES, Assessment, Concern, Device, Inspector, TeamMember

_UUID = re.compile(protocol.UUID_PATTERN)


@dataclass(frozen=True)
class InspectorInfo:
    id: str
    name: str
    email: str | None
    may_create_assessments: bool


@dataclass(frozen=True)
class AssessmentInfo:
    id: str
    name: str
    period_start: str | None
    period_end: str | None
    framework: str
    team: tuple[str, ...]  # inspector ids
    lead: str | None = None  # the lead inspector's id, who agrees judgements and publishes ratings
    lead_name: str | None = None
    retention_days: int | None = None  # synced evidence leaves laptops this long after its last change (None: never)


@dataclass(frozen=True)
class MemberInfo:
    inspector_id: str
    name: str
    role: str  # "lead" | "inspector" | "specialist_adviser" | "expert_by_experience"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    inspector_id: str
    inspector: str
    label: str
    enrolled_at: str
    revoked_at: str | None
    wiped_at: str | None = None  # when, once revoked, it confirmed its vault was wiped


def as_dict(info: object) -> dict:
    return asdict(info)  # type: ignore[call-overload]


def create_inspector(session: Session, name: str, *, email: str | None = None, may_create_assessments: bool = False) -> InspectorInfo:
    name = name.strip()
    if not name:
        raise errors.Invalid("Give the inspector a name.")
    row = Inspector(id=uuid7(), name=name[:300], email=email, may_create_assessments=may_create_assessments, created_at=iso(utcnow()))
    session.add(row)
    return InspectorInfo(row.id, row.name, row.email, row.may_create_assessments)


def list_inspectors(session: Session) -> list[InspectorInfo]:
    rows = session.scalars(sa.select(Inspector).order_by(Inspector.name, Inspector.id))
    return [InspectorInfo(r.id, r.name, r.email, r.may_create_assessments) for r in rows]


def create_assessment(
    session: Session, name: str, *, assessment_id: str | None = None, period_start: str | None = None,
    period_end: str | None = None, framework: str | None = None, created_by: str | None = None, allow_same_name: bool = True,
) -> AssessmentInfo:  # fmt: skip
    """A new assessment. Give the id an app shows to adopt one an inspector first made on a laptop.
    Without allow_same_name, one with the same name and dates as an existing one is refused: an
    administrator typing it twice would split a team's evidence between two assessments."""
    name = name.strip()
    if not name:
        raise errors.Invalid("Give the assessment a name (the integrated care system's name).")
    if assessment_id is not None and not _UUID.match(assessment_id):
        raise errors.Invalid(f"{assessment_id!r} is not an assessment id (a lower-case UUID, as the app shows it).")
    _check_period(period_start, period_end)
    key = framework or default_framework().key
    if not known_framework(session, key):
        raise errors.Invalid(f"The service does not know framework {key!r}; known: {', '.join(f.key for f in available_frameworks())}.")
    assessment_id = assessment_id or uuid7()
    if session.get(Assessment, assessment_id) is not None:
        raise errors.ConflictError(f"There is already an assessment with id {assessment_id}.")
    twin = None if allow_same_name else _same_named(session, name, period_start, period_end)
    if twin is not None:
        raise errors.ConflictError(
            f"There is already an assessment {twin.name!r} for {twin.period_start or '?'} – {twin.period_end or '?'} "
            f"(id {twin.id}). Add its team to that one, or give --allow-same-name to make a second."
        )
    row = Assessment(
        id=assessment_id, name=name[:300], period_start=period_start, period_end=period_end,
        framework_key=key, created_at=iso(utcnow()), created_by=created_by,
    )  # fmt: skip
    session.add(row)
    session.flush()
    sealing.of(session.connection()).prepare_assessment(assessment_id)
    return _assessment_info(session, row)


def change_assessment(
    session: Session, assessment_id: str, *, name: str | None = None, period_start: str | None = None,
    period_end: str | None = None, clear_period: bool = False,
) -> AssessmentInfo:  # fmt: skip
    """Rename an assessment or set its period (either day left out stays as it was; clear_period
    empties both). Laptops in its team take the change at their next pull, which names every
    assessment a device may see with its name and period."""
    row = _assessment(session, assessment_id)
    if name is not None:
        name = name.strip()
        if not name:
            raise errors.Invalid("Give the assessment a name (the integrated care system's name).")
        row.name = name[:300]
    start, end = (None, None) if clear_period else (row.period_start, row.period_end)
    start, end = period_start or start, period_end or end
    _check_period(start, end)
    row.period_start, row.period_end = start, end
    session.flush()
    return _assessment_info(session, row)


def set_retention(session: Session, assessment_id: str, days: int | None) -> AssessmentInfo:
    """Set (or, with None, end) how many days after its last change synced evidence of the assessment
    leaves the team's laptops; the service keeps it all. Laptops take it at their next pull."""
    row = _assessment(session, assessment_id)
    if days is not None and not 1 <= days <= protocol.MAX_RETENTION_DAYS:
        raise errors.Invalid(f"Give the retention period as a number of days from 1 to {protocol.MAX_RETENTION_DAYS:,}.")
    row.retention_days = days
    session.flush()
    return _assessment_info(session, row)


def _same_named(session: Session, name: str, period_start: str | None, period_end: str | None) -> Assessment | None:
    """An assessment of that name (ignoring case and spacing) and the same dates."""
    folded = " ".join(name.split()).casefold()
    same_dates = sa.and_(Assessment.period_start.is_not_distinct_from(period_start), Assessment.period_end.is_not_distinct_from(period_end))
    rows = session.scalars(sa.select(Assessment).where(same_dates))
    return next((r for r in rows if " ".join(r.name.split()).casefold() == folded), None)


def list_assessments(session: Session) -> list[AssessmentInfo]:
    rows = session.scalars(sa.select(Assessment).order_by(Assessment.name, Assessment.id))
    return [_assessment_info(session, r) for r in rows]


def add_member(session: Session, assessment_id: str, inspector_id: str, *, lead: bool = False, role: str | None = None) -> AssessmentInfo:
    """Adds an inspector to the team (again: nothing changes but a role given); with lead=True (or
    role "lead") they become its lead. A role is one of models.ROLES; a new member is an inspector."""
    if lead:
        role = ROLE_LEAD
    _check_role(role)
    assessment = _assessment(session, assessment_id)
    if session.get(Inspector, inspector_id) is None:
        raise errors.NotFoundError(f"No inspector with id {inspector_id}.")
    if session.get(TeamMember, (assessment_id, inspector_id)) is None:
        session.add(TeamMember(assessment_id=assessment_id, inspector_id=inspector_id, role=ROLE_MEMBER))
        session.flush()
    if role is not None:
        return set_role(session, assessment_id, inspector_id, role)
    return _assessment_info(session, assessment)


def set_role(session: Session, assessment_id: str, inspector_id: str, role: str) -> AssessmentInfo:
    """A team member's role (lead inspector, inspector, specialist adviser, Expert by Experience).
    Making one the lead moves the lead from another; the lead given another role leaves the team
    without a lead (anyone then agrees) until one is named. Laptops learn it at their next pull."""
    _check_role(role)
    if role == ROLE_LEAD:
        return set_lead(session, assessment_id, inspector_id)
    assessment = _assessment(session, assessment_id)
    member = session.get(TeamMember, (assessment_id, inspector_id))
    if member is None:
        raise errors.NotFoundError(f"Inspector {inspector_id} is not in the team of {assessment.name}: add them with team add … --role {role}.")
    member.role = role
    session.flush()
    return _assessment_info(session, assessment)


def _check_role(role: str | None) -> None:
    if role is not None and role not in ROLES:
        raise errors.Invalid(f"{role[:40]!r} is not a role; a team member is one of: {', '.join(ROLES)}.")


def set_lead(session: Session, assessment_id: str, inspector_id: str) -> AssessmentInfo:
    """Makes a team member the assessment's one lead inspector; a lead before them becomes a member.
    Laptops learn it at their next pull."""
    # Two administrators naming leads at once take turns, so the team never has two.
    db.lock_names(session.connection(), [f"lead:{assessment_id}"])
    assessment = _assessment(session, assessment_id)
    member = session.get(TeamMember, (assessment_id, inspector_id))
    if member is None:
        raise errors.NotFoundError(
            f"Inspector {inspector_id} is not in the team of {assessment.name}: add them as its lead with team add … --lead."
        )
    for other in session.scalars(sa.select(TeamMember).where(TeamMember.assessment_id == assessment_id, TeamMember.role == ROLE_LEAD)):
        if other.inspector_id != inspector_id:
            other.role = ROLE_MEMBER
    member.role = ROLE_LEAD
    session.flush()
    return _assessment_info(session, assessment)


def list_members(session: Session, assessment_id: str) -> list[MemberInfo]:
    _assessment(session, assessment_id)
    rows = session.execute(
        sa.select(TeamMember.inspector_id, Inspector.name, TeamMember.role)
        .join(Inspector, Inspector.id == TeamMember.inspector_id)
        .where(TeamMember.assessment_id == assessment_id).order_by(Inspector.name, Inspector.id)
    )  # fmt: skip
    return [MemberInfo(i, name, role) for i, name, role in rows]


def lead_of(session: Session, assessment_id: str) -> tuple[str, str] | None:
    """The assessment's lead inspector (id, name), or None when its team has none."""
    row = session.execute(
        sa.select(Inspector.id, Inspector.name).join(TeamMember, TeamMember.inspector_id == Inspector.id)
        .where(TeamMember.assessment_id == assessment_id, TeamMember.role == ROLE_LEAD)
    ).first()  # fmt: skip
    return (row[0], row[1]) if row else None


def remove_member(session: Session, assessment_id: str, inspector_id: str) -> AssessmentInfo:
    assessment = _assessment(session, assessment_id)
    member = session.get(TeamMember, (assessment_id, inspector_id))
    if member is None:
        raise errors.NotFoundError(f"Inspector {inspector_id} is not in the team of {assessment.name}.")
    session.delete(member)
    session.flush()
    return _assessment_info(session, assessment)


def issue_code(session: Session, inspector_id: str, *, hours: float = 24) -> tuple[str, str]:
    if not 0 < hours <= 24 * 30:
        raise errors.Invalid("A code may last from a few minutes up to 30 days.")
    return identity.issue_code(session, inspector_id, ttl=timedelta(hours=hours))


def list_devices(session: Session, inspector_id: str | None = None) -> list[DeviceInfo]:
    query = sa.select(Device, Inspector.name).join(Inspector, Inspector.id == Device.inspector_id).order_by(Device.enrolled_at)
    if inspector_id:
        query = query.where(Device.inspector_id == inspector_id)
    return [DeviceInfo(d.id, d.inspector_id, name, d.label, d.enrolled_at, d.revoked_at, d.wiped_at) for d, name in session.execute(query)]


def revoke_device(session: Session, device_id: str) -> DeviceInfo:
    """The device's token stops working at once; what it pushed stays (it was signed and checked)."""
    device = session.get(Device, device_id)
    if device is None:
        raise errors.NotFoundError(f"No device with id {device_id}.")
    if device.revoked_at is None:
        device.revoked_at = iso(utcnow())
    inspector = session.get(Inspector, device.inspector_id)
    return DeviceInfo(
        device.id, device.inspector_id, inspector.name if inspector else "", device.label, device.enrolled_at, device.revoked_at, device.wiped_at
    )


def confirm_wipe(*, session: Session, device_id: str) -> protocol.WipeConfirmation:
    """A revoked device says it wiped its vault: the first time is kept (a resent confirmation
    changes nothing). A revoked device is never enrolled again, so nothing clears it."""
    device = session.get(Device, device_id, with_for_update=True)
    if device is None or device.revoked_at is None:  # the guard let only a revoked device in
        raise errors.Forbidden(errors.NOT_REVOKED, code=protocol.E_NOT_REVOKED)
    if device.wiped_at is None:
        device.wiped_at = iso(utcnow())
    return protocol.WipeConfirmation(device_id=device.id, wiped_at=device.wiped_at)


def offer_assessment(*, session: Session, caller: Caller, assessment_id: str, offer: protocol.AssessmentProposal) -> protocol.Assessment:
    """A device offers an assessment it made offline. Idempotent for its team; 403 for anyone else."""
    existing = session.get(Assessment, assessment_id)
    if existing is not None:
        return _offered_again(session, caller, existing)
    inspector = session.get(Inspector, caller.inspector_id)
    if inspector is None or not inspector.may_create_assessments:
        raise errors.Forbidden(
            f"On this service assessments are set up by the administrator. Ask them to create this one with "
            f"its id ({assessment_id}) and add you to its team; its records stay safe on the laptop meanwhile."
        )
    try:
        info = create_assessment(
            session, offer.name, assessment_id=assessment_id, period_start=offer.period_start,
            period_end=offer.period_end, framework=offer.framework, created_by=inspector.id,
        )  # fmt: skip
    except errors.ConflictError:
        # The same offer from another of this inspector's laptops committed after our first look
        # (PostgreSQL reads each statement afresh): answer as if it had been there all along.
        existing = session.get(Assessment, assessment_id)
        assert existing is not None
        return _offered_again(session, caller, existing)
    add_member(session, info.id, inspector.id)
    row = session.get(Assessment, assessment_id)
    assert row is not None
    return wire_assessment(session, row)


def _offered_again(session: Session, caller: Caller, existing: Assessment) -> protocol.Assessment:
    # The caller's teams were read before this transaction: the same offer sent twice at once
    # may have made this inspector a member since, so ask the table itself.
    member = existing.id in caller.assessment_ids or session.get(TeamMember, (existing.id, caller.inspector_id)) is not None
    if not member:
        raise errors.Forbidden(errors.OTHER_TEAM.format(assessment_id=existing.id))
    return wire_assessment(session, existing)


def wire_assessment(session: Session, row: Assessment) -> protocol.Assessment:
    names = session.scalars(
        sa.select(Inspector.name).join(TeamMember, TeamMember.inspector_id == Inspector.id)
        .where(TeamMember.assessment_id == row.id).order_by(Inspector.name)
    )  # fmt: skip
    return protocol.Assessment(
        id=row.id, name=row.name, period_start=row.period_start, period_end=row.period_end,
        framework=row.framework_key, team=list(names),
    )  # fmt: skip


def _assessment(session: Session, assessment_id: str) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise errors.NotFoundError(f"No assessment with id {assessment_id}.")
    return row


def _assessment_info(session: Session, row: Assessment) -> AssessmentInfo:
    team = session.scalars(sa.select(TeamMember.inspector_id).where(TeamMember.assessment_id == row.id).order_by(TeamMember.inspector_id))
    lead = lead_of(session, row.id)
    return AssessmentInfo(
        row.id, row.name, row.period_start, row.period_end, row.framework_key, tuple(team),
        lead[0] if lead else None, lead[1] if lead else None, row.retention_days,
    )  # fmt: skip


def _check_period(start: str | None, end: str | None) -> None:
    def day(text: str | None) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            raise errors.Invalid(f"{text[:40]!r} is not a date: give the period as dates, e.g. 01/11/2026 to 30/11/2026.") from None

    first, last = day(start), day(end)
    if first and last and last < first:
        raise errors.Invalid("The assessment period ends before it starts.")


# -- concerns (issue 15): the office's list, and its acknowledgement ------------------------------------


@dataclass(frozen=True)
class ConcernInfo:
    id: str
    assessment_id: str
    assessment: str  # its name
    concern_kind: str  # a key of fieldapp.item_kinds.CONCERN_KINDS
    urgency: str  # a key of fieldapp.item_kinds.URGENCIES
    heard: str
    tell: str
    raised_by: str
    raised_at: str  # ISO 8601, as the laptop said
    device_id: str
    received_at: str
    updated_at: str
    acknowledged_by: str | None
    acknowledged_at: str | None
    acknowledgement_note: str | None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # laptops keep an acknowledgement only by a name without them
_NO_CONCERN = "No concern with id {concern_id}: `fieldapp-server admin concern list --all` lists them."
_URGENT_FIRST = sa.case({"immediate": 0, "soon": 1}, value=Concern.urgency, else_=2)


def list_concerns(session: Session, *, include_acknowledged: bool = False) -> list[ConcernInfo]:
    """Concerns across every team, open ones only unless asked: most urgent first, then oldest first."""
    seals = sealing.of(session.connection())
    return [concern_info(seals, c, name) for c, name in session.execute(concerns_in_order(include_acknowledged))]


def concerns_in_order(include_acknowledged: bool = False, *, after: tuple[int, str, str] | None = None) -> sa.Select[tuple[Concern, str]]:
    """The concerns and their assessments' names in the list's order (most urgent first, then oldest);
    `after`: only those after this place in that order (a concern's place_of: the office's next page)."""
    query = sa.select(Concern, Assessment.name).join(Assessment, Assessment.id == Concern.assessment_id)
    if not include_acknowledged:
        query = query.where(Concern.acknowledged_at.is_(None))
    if after is not None:
        query = query.where(sa.tuple_(_URGENT_FIRST, Concern.raised_at, Concern.id) > sa.tuple_(*after))
    return query.order_by(_URGENT_FIRST, Concern.raised_at, Concern.id)


def place_of(session: Session, concern_id: str) -> tuple[int, str, str]:
    """Where a concern stands in the list's order (acknowledged since or not); NotFoundError if none."""
    row = session.execute(sa.select(_URGENT_FIRST, Concern.raised_at, Concern.id).where(Concern.id == concern_id)).first()
    if row is None:
        raise errors.NotFoundError(_NO_CONCERN.format(concern_id=concern_id[:80]))
    return (row[0], row[1], row[2])


def get_concern(session: Session, concern_id: str) -> ConcernInfo:
    row = session.execute(sa.select(Concern, Assessment.name).join(Assessment, Assessment.id == Concern.assessment_id).where(Concern.id == concern_id)).first()
    if row is None:
        raise errors.NotFoundError(_NO_CONCERN.format(concern_id=concern_id[:80]))
    return concern_info(sealing.of(session.connection()), row[0], row[1])


def acknowledge_concern(session: Session, concern_id: str, note: str, *, by: str) -> ConcernInfo:
    """The office saw the concern: who, when, and a note of what it did. Sent to the team's laptops at
    their next pull; acknowledged once (a second acknowledgement is refused, naming the first)."""
    note, by = note.strip(), " ".join(by.split())
    if not note:
        raise errors.Invalid("Say what the office did or will do in the note, e.g. \"Referred to the local authority\".")
    if len(note) > protocol.MAX_ACK_NOTE:
        raise errors.Invalid(f"The note is longer than {protocol.MAX_ACK_NOTE:,} characters; shorten it.")
    if not by or len(by) > 300 or _CONTROL.search(by):
        raise errors.Invalid("Say who acknowledges it: a name of at most 300 characters, without control characters (--by, or \"by\" over HTTP).")
    if "\x00" in note:  # PostgreSQL stores no NUL, and laptops keep no note holding one
        raise errors.Invalid("The note contains a character that cannot be saved (NUL); delete it.")
    db.lock_names(session.connection(), [f"concern:{concern_id}"])  # two in the office at once take turns
    found = session.get(Concern, concern_id)
    if found is None:
        raise errors.NotFoundError(_NO_CONCERN.format(concern_id=concern_id[:80]))
    if found.acknowledged_at is not None:
        when = show_when(found.acknowledged_at)
        raise errors.ConflictError(f"Concern {concern_id} was already acknowledged by {found.acknowledged_by} on {when} (UTC); it stays as they left it.")
    sealed_note = sealing.of(session.connection()).seal_text(found.assessment_id, concern_id, "acknowledgement_note", note)
    found.acknowledged_by, found.acknowledged_at, found.acknowledgement_note = by, iso(utcnow()), sealed_note
    session.flush()
    return get_concern(session, concern_id)


def concern_info(seals: sealing.Seals, row: Concern, assessment: str) -> ConcernInfo:
    """A stored concern as the office reads it, its words opened (they are sealed at rest)."""

    def words(column: str) -> str:
        return seals.open_text(row.assessment_id, row.id, column, getattr(row, column))

    note = words("acknowledgement_note") if row.acknowledgement_note is not None else None
    return ConcernInfo(
        row.id, row.assessment_id, assessment, row.concern_kind, row.urgency, words("heard"), words("tell"), row.raised_by, row.raised_at,
        row.device_id, row.received_at, row.updated_at, row.acknowledged_by, row.acknowledged_at, note,
    )  # fmt: skip
