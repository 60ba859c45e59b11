"""Operations on the vault's audit log that widgets start: read its newest entries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.operations import QueryOp

if TYPE_CHECKING:
    from fieldapp.audit import AuditEntry

    from ui.state import AppState

SHOWN = 1000  # the newest entries the Security log shows; the service keeps every one


def entries(state: AppState) -> QueryOp[tuple[str, tuple[AuditEntry, ...]]]:
    """This laptop's device id, and the newest entries first."""
    return QueryOp(state, lambda vault: (vault.device_id, vault.audit.entries(limit=SHOWN)))
