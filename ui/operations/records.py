"""Operations on records, as widgets start them: read one, create, autosave an edit, add a quick
note, cut a revision on leaving, delete; and the searches and coverage that list them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ui.operations import QueryOp, VaultOp
from ui.sync_controller import read_status

if TYPE_CHECKING:
    from fieldapp import domain
    from fieldapp.coverage import Coverage
    from fieldapp.rows import RecordRow
    from fieldapp.search import Query, Results

    from ui.state import AppState


def get_record(state: AppState, record_id: str) -> QueryOp[RecordRow]:
    return QueryOp(state, lambda vault: vault.records.get(record_id))


def create_record(state: AppState, assessment_id: str, content: domain.Content, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.records.create(assessment_id, content), initiator=initiator)


def save_edit(
    state: AppState, record_id: str, content: domain.Content, *, base: domain.Content, as_typed: dict[str, str], initiator: object
) -> VaultOp:
    """The editor's autosave: moved onto the draft if it changed meanwhile (see Records.save_edit)."""
    return VaultOp(state, lambda vault: vault.records.save_edit(record_id, content, base=base, as_typed=as_typed), initiator=initiator)


def add_note(state: AppState, record_id: str, text: str, *, at: datetime, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.records.add_note(record_id, text, at=at), initiator=initiator)


def cut_revision(state: AppState, record_id: str, *, initiator: object) -> VaultOp:
    """Leaving a record: what was typed becomes a revision, ready to sync."""
    return VaultOp(state, lambda vault: vault.records.cut_revision(record_id), initiator=initiator)


def delete_record(state: AppState, record_id: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.records.delete(record_id), initiator=initiator)


def search(state: AppState, query: Query) -> QueryOp[Results]:
    return QueryOp(state, lambda vault: vault.search(query))


def search_with_sync_status(state: AppState, query: Query) -> QueryOp[tuple[Results, tuple[Any, bool]]]:
    """The evidence list's rows, with the sync status read in the same moment: the list's sync
    column and the status bar never say different things (see SyncController.show_status)."""
    return QueryOp(state, lambda vault: (vault.search(query), read_status(vault)))


def coverage(state: AppState, assessment_id: str) -> QueryOp[Coverage]:
    return QueryOp(state, lambda vault: vault.coverage(assessment_id))
