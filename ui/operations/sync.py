"""Operations the sync screens start on the vault: read this vault's link to the service, and end
a conflict by keeping one version or the draft as merged by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.replication.exchange import ServiceLink

    from ui.state import AppState


def link(state: AppState) -> QueryOp[ServiceLink | None]:
    """The service this vault is enrolled with, if any."""
    return QueryOp(state, lambda vault: vault.replication.link())


def resolve_item(state: AppState, item_id: str, *, take: str | None = None, initiator: object) -> VaultOp:
    """Keep the version `take` of a judgement or rating in conflict."""
    return VaultOp(state, lambda vault: vault.replication.resolve_item(item_id, take=take), initiator=initiator)


def resolve(state: AppState, record_id: str, *, take: str | None = None, initiator: object) -> VaultOp:
    """Keep the version `take`, or (None) the draft as the inspector merged it in the editor."""
    return VaultOp(state, lambda vault: vault.replication.resolve(record_id, take=take), initiator=initiator)
