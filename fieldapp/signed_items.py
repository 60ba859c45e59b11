"""Immutable items (rating snapshots, shared report drafts) read from their one revision each, so
what was signed is what is shown, with whether its hash and signature hold under the signer's key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, signers
from fieldapp.context import VaultContext
from fieldapp.errors import FieldappError
from fieldapp.revisions import revision
from fieldapp.storage.models import Device


@dataclass(frozen=True)
class SignedItem:
    id: str
    assessment_id: str
    content: Any  # the kind's content class
    device_id: str
    verified: bool  # its revision's hash and signature hold under that laptop's key
    signed_by: str  # who, in words


def signed_items(session: Session, context: VaultContext, ids: list[str], kind: str) -> Iterator[SignedItem]:
    """Each item's head revision, read and checked; one unreadable here (a newer app's) is skipped,
    as verify() reports damage."""
    if not ids:
        return
    keys = dict(session.execute(sa.select(Device.id, Device.public_key)).tuples().all())
    known = signers.signers(session, context.device_id)
    for record_id, rev_id, body, signature, device_id in session.execute(_HEAD_REVISIONS, {"ids": ids}):
        signed = revision.SignedRevision(rev_id, body, signature)
        try:
            fields = signed.fields()
            content = domain.item_from_dict(kind, fields["content"])
        except FieldappError:
            continue
        try:
            revision.check(signed, keys.get(device_id, b""))
            verified = True
        except FieldappError:
            verified = False
        yield SignedItem(record_id, fields["assessment_id"], content, device_id, verified, signers.signer_of(known, device_id).words())


_HEAD_REVISIONS = sa.text(
    "SELECT r.id, v.id, v.body, v.signature, v.device_id FROM records r JOIN revisions v ON v.id = r.head_revision_id "
    "WHERE r.id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))
