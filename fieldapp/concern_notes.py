"""What this laptop notes about its concerns beside their revisions (issue 15), in the vault's encrypted
`meta` table, by id only: when the service last stored each concern's newest revision (the app says
"Sent to the office on …"), and which People's experience tags it already asked about ("does this
describe poor experience of care?"), so it asks once per tag."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import item_kinds
from fieldapp.context import VaultContext
from fieldapp.storage.models import Meta, Record, Revision

_ASKED = "concern_asked."  # + a link id: the ask about that tag was shown
_SENT = "concern_sent."  # + a concern id: when the service last stored one of its revisions (ISO 8601, UTC)


class ConcernNotes:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def asked(self, link_id: str) -> bool:
        with self._context.transaction("reading whether a tag was asked about") as session:
            return session.get(Meta, _ASKED + link_id) is not None

    def ask_once(self, link_id: str) -> bool:
        """True the first time for a link (the app asks now, and never again about it); False after."""
        with self._context.transaction("keeping that a tag was asked about") as session:
            if session.get(Meta, _ASKED + link_id) is not None:
                return False
            session.add(Meta(key=_ASKED + link_id, value=b"1"))
            return True

    def sent_at(self, concern_ids: Iterable[str]) -> dict[str, str]:
        """When the service last stored each concern (those never sent are left out)."""
        keys = [_SENT + concern_id for concern_id in concern_ids]
        if not keys:
            return {}
        with self._context.transaction("reading when concerns were sent") as session:
            found = session.execute(sa.select(Meta.key, Meta.value).where(Meta.key.in_(keys))).tuples()
            return {key[len(_SENT) :]: value.decode() for key, value in found}


def note_sent(session: Session, context: VaultContext, revision_ids: list[str]) -> frozenset[str]:
    """The service stored these revisions: for each of a concern, note now as when it was sent. Returns
    the assessments whose concerns changed state (the views read them again)."""
    if not revision_ids:
        return frozenset()
    found = session.execute(
        sa.select(Record.id, Record.assessment_id).join(Revision, Revision.record_id == Record.id)
        .where(Revision.id.in_(revision_ids), Record.kind == item_kinds.CONCERN)
    ).tuples()  # fmt: skip
    now, assessments = context.now().encode(), set()
    for concern_id, assessment_id in found:
        session.merge(Meta(key=_SENT + concern_id, value=now))
        assessments.add(assessment_id)
    return frozenset(assessments)
