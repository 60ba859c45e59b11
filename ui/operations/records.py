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
    from fieldapp.rows import Done, EditSaved, RecordRow
    from fieldapp.search import Query, Results
    from fieldapp.vault import Vault

    from ui.state import AppState


def get_record(state: AppState, record_id: str) -> QueryOp[RecordRow]:
    return QueryOp(state, lambda vault: vault.records.get(record_id))


def create_record(state: AppState, assessment_id: str, content: domain.Content, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.records.create(assessment_id, content), initiator=initiator)


class SaveChain:
    """One record's run of autosaves, as they land on the vault worker (one at a time, in order).

    Each save is measured from the form it was sent after (its base). A save that fails (a full
    disk) changes nothing, so the draft stays what that save's base was; the next save is then
    measured from there, not from the form that never landed. Measured from that form, the core
    would take its words for ones removed on another device and drop them from the next save.
    Touched on the vault worker only."""

    def __init__(self) -> None:
        self.stuck_at: domain.Content | None = None  # the draft as it is since a save failed


def save_edit(
    state: AppState, record_id: str, content: domain.Content, *, base: domain.Content, as_typed: dict[str, str], chain: SaveChain,
    initiator: object,
) -> VaultOp:
    """The editor's autosave: moved onto the draft if it changed meanwhile (see Records.save_edit)."""

    def save(vault: Vault) -> Done[EditSaved]:
        measured_from = chain.stuck_at if chain.stuck_at is not None else base
        try:
            done = vault.records.save_edit(record_id, content, base=measured_from, as_typed=as_typed)
        except Exception:
            chain.stuck_at = measured_from
            raise
        chain.stuck_at = None
        return done

    return VaultOp(state, save, initiator=initiator)


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
