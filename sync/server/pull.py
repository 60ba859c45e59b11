"""Serving changes since a cursor: revisions of the assessments a device may see, and what it needs
to check and file them (signers' keys, assessments with their teams, framework versions).

The cursor is opaque to the client: for each assessment, the (xid, seq) of the last row served.
Rows are read in (xid, seq) order and only below the visibility horizon (db.visibility_horizon),
so a row whose transaction commits late is served later rather than skipped. An assessment
missing from the cursor starts from its beginning: a device added to a team gets its history.
A page ends at the requested number of rows or at protocol.MAX_PULL_PAGE_BYTES of bodies,
whichever comes first, so neither end holds more than that in memory for one page.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable

import sqlalchemy as sa

from sync import protocol
from sync.server import db, errors, sealing
from sync.server.frameworks import keys as framework_keys
from sync.server.identity import Caller
from sync.server.models import ROLE_LEAD, Assessment, Concern, Device, Inspector, Revision, TeamMember

_CURSOR_VERSION = 1
_UUID = re.compile(protocol.UUID_PATTERN)
Position = tuple[int, int]  # (xid, seq) of the last row served
BAD_CURSOR = "That sync cursor was not made by this service. Sync again from the start (the app does this by itself)."


def changes_since(
    *, connection: sa.Connection, caller: Caller, request: protocol.PullRequest, inspector_apart: bool = False, held_back: bool = False,
    lead: bool = False, roles: bool = False, concerns: bool = False, retention: bool = False,
) -> protocol.PullResponse:
    """A page of changes since the request's cursor. `inspector_apart`: the client understands
    protocol.F_DEVICE_INSPECTOR, so devices carry the inspector's name beside the laptop's label.
    `held_back`: it understands protocol.F_HELD_BACK, so a last page says whether stored revisions
    wait above the horizon (any transaction open on the database holds it back, not only a push).
    `lead`: it understands protocol.F_LEAD_INSPECTOR, so assessments name their lead inspector.
    `roles`: it understands protocol.F_TEAM_ROLES, so assessments give each member's role.
    `concerns`: it understands protocol.F_CONCERNS, so the office's acknowledgements of the caller's
    teams' concerns come with every page (a few rows, as the assessments do). `retention`: it
    understands protocol.F_RETENTION, so assessments carry their retention period."""
    positions = decode_cursor(request.cursor)
    horizon = db.visibility_horizon(connection)
    served: list[tuple[int, int, str]] = []  # (xid, seq, id) of rows others pushed
    more = False
    rows_left, bytes_left = request.limit, protocol.MAX_PULL_PAGE_BYTES
    for assessment_id in sorted(caller.assessment_ids):
        rows = _rows_after(connection, assessment_id, positions.get(assessment_id, (-1, 0)), horizon, rows_left + 1)
        if len(rows) > rows_left:
            rows, more = rows[:rows_left], True
        taken, full = 0, False
        for row in rows:
            theirs = request.include_own or row.pushed_by != caller.device_id
            if theirs and served and row.size > bytes_left:
                # Full in bytes: the page ends before this row and the cursor stays on the row
                # before it, so the next page starts here. A page's first revision is always
                # taken, however large, so the pull moves on.
                full = True
                break
            taken += 1
            if theirs:
                served.append((row.xid, row.seq, row.id))
                bytes_left -= row.size
        rows = rows[:taken]
        if rows:
            positions[assessment_id] = (rows[-1].xid, rows[-1].seq)
        rows_left -= len(rows)
        if full:
            more = True
            break
        if rows_left <= 0:
            more = more or assessment_id != max(caller.assessment_ids)
            break
    revisions = bodies(connection, [rev_id for _x, _s, rev_id in served])
    return protocol.PullResponse(
        revisions=revisions,
        devices=signers(connection, _device_ids(connection, served), inspector_apart),
        assessments=_assessments(connection, caller, lead, roles, retention),
        frameworks=framework_keys(connection),
        cursor=encode_cursor({a: p for a, p in positions.items() if a in caller.assessment_ids}),
        more=more,
        held_back=(not more and _any_held(connection, caller, positions, horizon, request.include_own)) if held_back else None,
        acknowledgements=_acknowledgements(connection, caller) if concerns else None,
    )


def _acknowledgements(connection: sa.Connection, caller: Caller) -> list[protocol.ConcernAcknowledgement]:
    """Every acknowledged concern of the caller's assessments (never another team's)."""
    if not caller.assessment_ids:
        return []
    seals = sealing.of(connection)
    return [
        protocol.ConcernAcknowledgement(
            concern_id=r.id, acknowledged_by=r.acknowledged_by, acknowledged_at=r.acknowledged_at,
            note=seals.open_text(r.assessment_id, r.id, "acknowledgement_note", r.acknowledgement_note or ""),
        )  # fmt: skip
        for r in connection.execute(_ACKNOWLEDGED, {"ids": sorted(caller.assessment_ids)})
    ]


# The statements of a pull, built once: SQLAlchemy keeps a statement's cache key on the object, so
# a request only binds its values (building them anew each time cost more than running them).
_IDS = sa.bindparam("ids", expanding=True)
# Positions are bound as BIGINT: an xid can pass 2**31, and the cursor allows up to 2**63.
_AFTER = sa.tuple_(sa.bindparam("after_xid", type_=sa.BigInteger), sa.bindparam("after_seq", type_=sa.BigInteger))
_ROWS_AFTER = (
    sa.select(Revision.xid, Revision.seq, Revision.id, Revision.pushed_by, sa.func.length(Revision.body).label("size"))
    .where(Revision.assessment_id == sa.bindparam("assessment_id"), Revision.xid < sa.bindparam("horizon"))
    .where(sa.tuple_(Revision.xid, Revision.seq) > _AFTER)
    .order_by(Revision.xid, Revision.seq)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_HELD = (  # at most a few rows: a device's own rows above the horizon do not count, others' do
    sa.select(Revision.pushed_by)
    .where(Revision.assessment_id == sa.bindparam("assessment_id"), Revision.xid >= sa.bindparam("horizon"))
    .where(sa.tuple_(Revision.xid, Revision.seq) > _AFTER)
    .limit(20)
)
_ACKNOWLEDGED = (
    sa.select(Concern.id, Concern.assessment_id, Concern.acknowledged_by, Concern.acknowledged_at, Concern.acknowledgement_note)
    .where(Concern.assessment_id.in_(_IDS), Concern.acknowledged_at.is_not(None))
    .order_by(Concern.id)
)
_BODIES = sa.select(Revision.id, Revision.assessment_id, Revision.body, Revision.signature).where(Revision.id.in_(_IDS))
_SIGNER_IDS = sa.select(Revision.device_id).where(Revision.id.in_(_IDS)).distinct()
_SIGNERS = (
    sa.select(Device.id, Device.public_key, Device.label, Inspector.name)
    .join(Inspector, Inspector.id == Device.inspector_id)
    .where(Device.id.in_(_IDS))
    .order_by(Device.id)
)
_TEAMS = (
    sa.select(TeamMember.assessment_id, Inspector.name, Inspector.id, TeamMember.role)
    .join(Inspector, Inspector.id == TeamMember.inspector_id)
    .where(TeamMember.assessment_id.in_(_IDS))
    .order_by(Inspector.name)
)
_ASSESSMENTS = (
    sa.select(Assessment.id, Assessment.name, Assessment.period_start, Assessment.period_end, Assessment.framework_key, Assessment.retention_days)
    .where(Assessment.id.in_(_IDS))
    .order_by(Assessment.id)
)


def _any_held(connection: sa.Connection, caller: Caller, positions: dict[str, Position], horizon: int, include_own: bool) -> bool:
    """Whether a revision this device would be sent is stored but above the horizon."""
    for assessment_id in sorted(caller.assessment_ids):
        after = positions.get(assessment_id, (-1, 0))
        values = {"assessment_id": assessment_id, "horizon": horizon, "after_xid": after[0], "after_seq": after[1]}
        for row in connection.execute(_HELD, values):
            if include_own or row.pushed_by != caller.device_id:
                return True
    return False


def _rows_after(connection: sa.Connection, assessment_id: str, after: Position, horizon: int, limit: int) -> list[sa.Row]:
    # Ids, owners and body sizes first: a device's own rows move its cursor but are not sent back
    # to it, and the sizes end a page at its byte budget before any body is read.
    values = {"assessment_id": assessment_id, "horizon": horizon, "after_xid": after[0], "after_seq": after[1], "limit": limit}
    return list(connection.execute(_ROWS_AFTER, values))


def bodies(connection: sa.Connection, rev_ids: list[str]) -> list[protocol.Revision]:
    if not rev_ids:
        return []
    seals = sealing.of(connection)
    by_id = {row.id: row for row in connection.execute(_BODIES, {"ids": rev_ids})}
    return [
        protocol.Revision.model_construct(  # built from stored, checked rows: no need to validate again
            id=rev_id, body=seals.open_body(row.assessment_id, rev_id, row.body).decode("utf-8"), signature=base64.b64encode(row.signature).decode()
        )
        for rev_id, row in ((rev_id, by_id[rev_id]) for rev_id in rev_ids)
    ]


def _device_ids(connection: sa.Connection, served: Iterable[tuple[int, int, str]]) -> set[str]:
    ids = [rev_id for _x, _s, rev_id in served]
    if not ids:
        return set()
    return set(connection.scalars(_SIGNER_IDS, {"ids": ids}))


def signers(connection: sa.Connection, device_ids: set[str], inspector_apart: bool) -> list[protocol.Device]:
    if not device_ids:
        return []
    return [
        protocol.Device(id=r.id, public_key=base64.b64encode(r.public_key).decode(), label=r.label, inspector=r.name)
        if inspector_apart
        else protocol.Device(id=r.id, public_key=base64.b64encode(r.public_key).decode(), label=f"{r.name} – {r.label}" if r.label else r.name)
        for r in connection.execute(_SIGNERS, {"ids": sorted(device_ids)})
    ]


def _assessments(
    connection: sa.Connection, caller: Caller, with_lead: bool = False, with_roles: bool = False, with_retention: bool = False
) -> list[protocol.Assessment]:
    if not caller.assessment_ids:
        return []
    ids = sorted(caller.assessment_ids)
    teams: dict[str, list[str]] = {}
    members: dict[str, list[protocol.Member]] = {}
    leads: dict[str, protocol.LeadInspector] = {}
    for assessment_id, name, inspector_id, role in connection.execute(_TEAMS, {"ids": ids}):
        teams.setdefault(assessment_id, []).append(name)
        members.setdefault(assessment_id, []).append(protocol.Member(name=name, role=role))
        if role == ROLE_LEAD and with_lead:
            leads[assessment_id] = protocol.LeadInspector(id=inspector_id, name=name)
    return [
        protocol.Assessment(
            id=a.id, name=a.name, period_start=a.period_start, period_end=a.period_end,
            framework=a.framework_key, team=teams.get(a.id, []), lead=leads.get(a.id),
            members=members.get(a.id, []) if with_roles else None,
            retention_days=a.retention_days if with_retention else None,
        )  # fmt: skip
        for a in connection.execute(_ASSESSMENTS, {"ids": ids})
    ]


def encode_cursor(positions: dict[str, Position]) -> str:
    data = {"v": _CURSOR_VERSION, "a": {a: list(p) for a, p in sorted(positions.items())}}
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Position]:
    """The positions in a cursor this service made; anything else is a clear 400."""
    if not cursor:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise errors.BadRequest(BAD_CURSOR, code=protocol.E_BAD_CURSOR) from None
    if not isinstance(data, dict) or data.get("v") != _CURSOR_VERSION or not isinstance(data.get("a"), dict):
        raise errors.BadRequest(BAD_CURSOR, code=protocol.E_BAD_CURSOR)
    positions: dict[str, Position] = {}
    for assessment_id, position in data["a"].items():
        valid = isinstance(position, list) and len(position) == 2 and all(type(n) is int and 0 <= n < 1 << 63 for n in position)
        if not (_UUID.fullmatch(assessment_id) and valid):
            raise errors.BadRequest(BAD_CURSOR, code=protocol.E_BAD_CURSOR)
        positions[assessment_id] = (position[0], position[1])
    return positions
