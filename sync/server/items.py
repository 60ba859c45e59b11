"""Fetching records again whole (issue 16): a laptop that removed a record's content under its
assessment's retention period asks for every revision of it when the inspector opens it.

Authorised as a pull is, by the assessment's team: a record of another team's assessment is
answered exactly as an unknown one (404), so the route tells no one which ids exist elsewhere.
"""

from __future__ import annotations

import sqlalchemy as sa

from sync import protocol
from sync.server import errors
from sync.server.identity import Caller
from sync.server.models import Revision
from sync.server.pull import bodies, signers

NOT_YOURS = "No record with id {id} is in an assessment of your team."


def revisions_of(*, connection: sa.Connection, caller: Caller, request: protocol.ItemsRequest, inspector_apart: bool) -> protocol.ItemsResponse:
    """Every revision of the records asked for, record by record, up to a pull page's bytes."""
    ids = list(dict.fromkeys(request.ids))
    rows = connection.execute(_ROWS, {"ids": ids}).all()
    by_record: dict[str, list[sa.Row]] = {}
    for row in rows:
        by_record.setdefault(row.record_id, []).append(row)
    for record_id in ids:  # in the order asked: which id a refusal names must not say whether another exists elsewhere
        if not by_record.get(record_id) or any(row.assessment_id not in caller.assessment_ids for row in by_record[record_id]):
            raise errors.NotFoundError(NOT_YOURS.format(id=record_id))
    served: list[str] = []
    left: list[str] = []
    room = protocol.MAX_PULL_PAGE_BYTES
    for record_id in ids:
        found = by_record[record_id]
        size = sum(row.size for row in found)
        if served and size > room or left:
            left.append(record_id)  # the next request takes it: one answer stays within a pull page's bytes
            continue
        served += [row.id for row in found]
        room -= size
    return protocol.ItemsResponse(
        revisions=bodies(connection, served),
        devices=signers(connection, {row.device_id for record_id in ids if record_id not in left for row in by_record[record_id]}, inspector_apart),
        left=left,
    )


_ROWS = (
    sa.select(Revision.id, Revision.record_id, Revision.assessment_id, Revision.device_id, sa.func.length(Revision.body).label("size"))
    .where(Revision.record_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(Revision.seq)
)
