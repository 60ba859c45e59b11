"""Operations on a record's history: its revisions with who signed them, restoring an older
version, and the deleted records of an assessment with restoring one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.history import DeletedRecord
    from fieldapp.rows import RevisionRow
    from fieldapp.signers import Signer

    from ui.state import AppState


def revisions(state: AppState, record_id: str) -> QueryOp[tuple[dict[str, Signer], tuple[RevisionRow, ...]]]:
    """The record's revisions, oldest first, with the signers that name their authors."""
    return QueryOp(state, lambda vault: (vault.history.signers(), vault.history.revisions(record_id)))


def restore(state: AppState, record_id: str, revision_id: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.history.restore(record_id, revision_id), initiator=initiator)


def deleted_records(state: AppState, assessment_id: str) -> QueryOp[tuple[str, tuple[DeletedRecord, ...]]]:
    """This laptop's device id (to say "you deleted it"), and the assessment's deleted records."""
    return QueryOp(state, lambda vault: (vault.device_id, vault.history.deleted_records(assessment_id)))


def restore_deleted(state: AppState, record_id: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.history.restore_deleted(record_id), initiator=initiator)
