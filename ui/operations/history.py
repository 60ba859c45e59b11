"""Operations on a record's history: its versions with what each changed and who saved it,
restoring an older version, and the deleted records of an assessment with restoring one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldapp.rows import Done

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.history import DeletedRecord, HistoryEntry
    from fieldapp.rows import RecordRow
    from fieldapp.signers import Signer

    from ui.state import AppState


def entries(state: AppState, record_id: str) -> QueryOp[tuple[dict[str, Signer], tuple[HistoryEntry, ...]]]:
    """The record's versions, newest first, each with what it changed, and the signers that name their authors."""
    return QueryOp(state, lambda vault: (vault.history.signers(), vault.history.entries(record_id)))


def changes_back_to(state: AppState, record_id: str, revision_id: str) -> QueryOp[str]:
    """What restoring revision_id would change, in words (to ask before doing it)."""
    return QueryOp(state, lambda vault: vault.history.changes_back_to(record_id, revision_id))


def restore(state: AppState, record_id: str, revision_id: str, *, initiator: object) -> VaultOp:
    """Bring revision_id's content back as a new version. Its value: the record now, and the id of
    the version it replaced (what Undo goes back to); words being typed are saved as that version first."""

    def cut_then_restore(vault: Any) -> Done[tuple[RecordRow, str]]:
        cut = vault.records.cut_revision(record_id)
        replaced = vault.records.get(record_id).head_revision_id
        done = vault.history.restore(record_id, revision_id)
        return Done((done.value, replaced), cut.changes | done.changes)

    return VaultOp(state, cut_then_restore, initiator=initiator)


def deleted_records(state: AppState, assessment_id: str) -> QueryOp[tuple[str, tuple[DeletedRecord, ...]]]:
    """This laptop's device id (to say "you deleted it"), and the assessment's deleted records."""
    return QueryOp(state, lambda vault: (vault.device_id, vault.history.deleted_records(assessment_id)))


def restore_deleted(state: AppState, record_id: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.history.restore_deleted(record_id), initiator=initiator)
