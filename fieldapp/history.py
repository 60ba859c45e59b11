"""A record's history: its signed revisions, what each held, and restoring one as a new revision."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from fieldapp import domain, revision
from fieldapp.errors import NotFound
from fieldapp.models import Revision
from fieldapp.records import apply_snapshot, cut_revision, load, revision_row, to_row
from fieldapp.rows import Changes, Done, LinkRow, Passage, RecordRow, RevisionRow
from fieldapp.signers import Signer, signers

if TYPE_CHECKING:
    from fieldapp.vault import Vault


@dataclass(frozen=True)
class RevisionSnapshot:
    """What one revision fixed: the record's content, links and attachment references."""

    revision: RevisionRow
    kind: str
    content: domain.Content | None  # None for a tombstone
    links: tuple[LinkRow, ...]
    attachments: tuple[dict, ...]


class History:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def revisions(self, record_id: str) -> tuple[RevisionRow, ...]:
        """Oldest first, with which device made each (`signers` names them) and when."""
        with self._vault.transaction("reading history") as session:
            load(session, record_id, include_deleted=True)
            rows = session.scalars(sa.select(Revision).where(Revision.record_id == record_id).order_by(Revision.seq)).all()
            return tuple(revision_row(r) for r in rows)

    def signers(self) -> dict[str, Signer]:
        """Who made revisions here, by device id: inspector and laptop, in words (`Signer.words`)."""
        with self._vault.transaction("reading who made revisions") as session:
            return signers(session, self._vault.device_id)

    def snapshot(self, revision_id: str) -> RevisionSnapshot:
        with self._vault.transaction("reading a revision") as session:
            rev = _get(session, revision_id)
            body = revision.parse_body(rev.body)
            content = None if body["deleted"] else domain.from_dict(body["kind"], body["content"])
            links = tuple(_link(rev.record_id, link) for link in body["links"])
            return RevisionSnapshot(revision_row(rev), body["kind"], content, links, tuple(body["attachments"]))

    def signed(self, revision_id: str) -> revision.SignedRevision:
        """The revision as it is sent and checked: id, canonical body, signature."""
        with self._vault.transaction("reading a revision") as session:
            rev = _get(session, revision_id)
            return revision.SignedRevision(rev.id, rev.body, rev.signature)

    def restore(self, record_id: str, revision_id: str) -> Done[RecordRow]:
        """Bring back an earlier revision's content as a new revision (history only grows)."""
        with self._vault.transaction("restoring a revision") as session:
            rec = load(session, record_id, include_deleted=True)
            rev = _get(session, revision_id)
            if rev.record_id != rec.id:
                raise NotFound(f"Revision {revision_id[:12]}… is not part of this record's history.")
            body = revision.parse_body(rev.body)
            if body["deleted"]:
                raise NotFound("That revision is a deletion; pick an earlier one to restore.")
            cut_revision(session, self._vault, rec)  # keep the current draft first
            apply_snapshot(session, self._vault, rec, body)
            cut = cut_revision(session, self._vault, rec)
            revs = frozenset({cut.id}) if cut else frozenset()
            return Done(to_row(session, rec), Changes(records=frozenset({rec.id}), revisions=revs))


def _get(session: sa.orm.Session, revision_id: str) -> Revision:
    rev = session.scalar(sa.select(Revision).where(Revision.id == revision_id))
    if rev is None:
        raise NotFound(f"No revision with id {revision_id}.")
    return rev


def _link(record_id: str, data: dict) -> LinkRow:
    p = data.get("passage")
    passage = Passage(p["field"], p["start"], p["end"], p["text"]) if p else None
    return LinkRow(data["id"], record_id, data["statement"], data["category"], data.get("comment", ""), passage)


def parents_of(rev: Revision) -> tuple[str, ...]:
    return tuple(json.loads(rev.parents))
