"""Operations on concerns (issue 15), as widgets start them: raise one, change it, list an assessment's,
count those the office has not acknowledged, and ask once whether a People's experience tag tells of a
poor experience of care."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.concerns import ConcernRow
    from fieldapp.coverage import Coverage
    from fieldapp.item_kinds import ConcernContent
    from fieldapp.rows import LinkRow
    from fieldapp.vault import Vault

    from ui.state import AppState


def raise_concern(state: AppState, assessment_id: str, content: ConcernContent, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.concerns.raise_concern(assessment_id, content), initiator=initiator)


def update(state: AppState, concern_id: str, content: ConcernContent, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.concerns.update(concern_id, content), initiator=initiator)


def listed(state: AppState, assessment_id: str, *, open_only: bool) -> QueryOp[tuple[tuple[ConcernRow, ...], dict[str, str]]]:
    """An assessment's concerns, and when each that was sent was last stored by the service (by id)."""

    def read(vault: Vault) -> tuple[tuple[ConcernRow, ...], dict[str, str]]:
        rows = vault.concerns.list(assessment_id, open_only=open_only)
        return rows, vault.concern_notes.sent_at(r.id for r in rows if r.state == "sent")

    return QueryOp(state, read)


def unacknowledged(state: AppState) -> QueryOp[tuple[ConcernRow, ...]]:
    """Every assessment's concerns the office has not acknowledged: what the reminders count."""
    return QueryOp(state, lambda vault: vault.concerns.unacknowledged())


def by_statement(state: AppState, assessment_id: str) -> QueryOp[dict[str, tuple[ConcernRow, ...]]]:
    return QueryOp(state, lambda vault: vault.concerns.by_statement(assessment_id))


def ask_about(state: AppState, record_id: str, links: tuple[LinkRow, ...]) -> QueryOp[LinkRow | None]:
    """Of the links just made, the first to ask about ("does this describe poor experience of care?"):
    tagged People's experience, no concern standing on it yet, and never asked about before (the ask
    is kept in the vault as it is shown, so it comes once per link)."""

    def first(vault: Vault) -> LinkRow | None:
        for link in links:
            if vault.concerns.should_ask(record_id, link.category_id, link.passage) and vault.concern_notes.ask_once(link.id):
                return link
        return None

    return QueryOp(state, first)


def coverage_with_concerns(state: AppState, assessment_id: str) -> QueryOp[tuple[Coverage, dict[str, tuple[int, int]]]]:
    """The coverage grid and, by statement, how many concerns touch it and how many are still open."""

    def read(vault: Vault) -> tuple[Coverage, dict[str, tuple[int, int]]]:
        touching = vault.concerns.by_statement(assessment_id)
        counts = {statement: (len(rows), sum(1 for r in rows if r.open)) for statement, rows in touching.items()}
        return vault.coverage(assessment_id), counts

    return QueryOp(state, read)
