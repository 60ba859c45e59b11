"""Operations on tags: tag a record or a passage of it with a quality statement, untag; each
hands back the record as the vault now has it, so the tagging panel shows what is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldapp.rows import Changes, Done

from ui.operations import VaultOp

if TYPE_CHECKING:
    from fieldapp.rows import Passage, RecordRow

    from ui.state import AppState


def tag(state: AppState, record_id: str, statement_id: str, category: str, *, passage: Passage | None = None, initiator: object) -> VaultOp:
    return _then_record(state, record_id, lambda vault: vault.links.tag(record_id, statement_id, category, passage=passage), initiator)


def untag(state: AppState, record_id: str, link_ids: list[str], *, initiator: object) -> VaultOp:
    """Remove these tags of the record (a statement's whole-record tag, or one passage's)."""

    def untag_all(vault: Any) -> Done[None]:
        changes = Changes()
        for link_id in link_ids:
            changes |= vault.links.untag(link_id, record_id=record_id).changes
        return Done(None, changes)

    return _then_record(state, record_id, untag_all, initiator)


def _then_record(state: AppState, record_id: str, change: Callable[[Any], Done[Any]], initiator: object) -> VaultOp:
    def then_read(vault: Any) -> Done[RecordRow]:
        changes = change(vault).changes
        return Done(vault.records.get(record_id), changes)

    return VaultOp(state, then_read, initiator=initiator)
