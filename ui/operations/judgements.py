"""Operations on judgements and ratings, as the judgement view starts them: read the assessment's
judgements with its roll-up, one statement with its evidence, save a judgement, choose the rules,
set the final rating, publish a snapshot or record a review, and read the rating history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fieldapp.errors import NotFound
from fieldapp.rows import Done

from ui.judgements.conflict import read_conflict
from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.judgements import JudgementRow, RatingRow, StatementEvidence
    from fieldapp.domain import JudgementContent
    from fieldapp.signers import Signer

    from ui.conflicts_view import Shown

    from ui.state import AppState


def overview(state: AppState, assessment_id: str) -> QueryOp[tuple[tuple[JudgementRow, ...], RatingRow | None, str]]:
    """Every judgement of the assessment and its roll-up, read in the same moment (they never
    disagree); no roll-up, and why, when a colleague's newer app chose rules this one does not know."""

    def read(vault: Any) -> tuple[tuple[JudgementRow, ...], RatingRow | None, str]:
        judgements = vault.judgements.list(assessment_id)
        try:
            return judgements, vault.judgements.rating(assessment_id), ""
        except NotFound as exc:  # the judgements still read and show; scoring says to update
            return judgements, None, str(exc)

    return QueryOp(state, read)


def statement(state: AppState, assessment_id: str, statement_id: str) -> QueryOp[tuple[JudgementRow, StatementEvidence]]:
    """One statement's judgement (an empty draft if never scored) and the evidence tagged to it."""
    return QueryOp(
        state, lambda vault: (vault.judgements.get(assessment_id, statement_id), vault.judgements.evidence(assessment_id, statement_id))
    )


def save(
    state: AppState, assessment_id: str, statement_id: str, content: JudgementContent, *, as_typed: Mapping[str, str], initiator: object
) -> VaultOp:
    """Save a judgement, with its evidence dates kept as typed; its value: the judgement as stored and the roll-up it now gives."""

    def save_then_rate(vault: Any) -> Done[tuple[JudgementRow, RatingRow]]:
        done = vault.judgements.save(assessment_id, statement_id, content, as_typed=as_typed)
        return Done((done.value, vault.judgements.rating(assessment_id)), done.changes)

    return VaultOp(state, save_then_rate, initiator=initiator)


def set_rules(state: AppState, assessment_id: str, key: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.judgements.set_rules(assessment_id, key), initiator=initiator)


def set_rounding(state: AppState, assessment_id: str, rounding: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.judgements.set_rounding(assessment_id, rounding), initiator=initiator)


def set_final(state: AppState, assessment_id: str, score: int | None, reason: str, *, initiator: object) -> VaultOp:
    """A final rating by professional judgement (None: follow the computed one); a different one needs a reason."""
    return VaultOp(state, lambda vault: vault.judgements.set_final(assessment_id, score, reason), initiator=initiator)


def snapshot(state: AppState, assessment_id: str, *, kind: str, note: str, initiator: object) -> VaultOp:
    """Publish a snapshot of every score and the rating ("published"), or record a review ("review")."""
    return VaultOp(state, lambda vault: vault.judgements.snapshot(assessment_id, kind=kind, note=note), initiator=initiator)


def history(state: AppState, assessment_id: str) -> QueryOp[tuple[Any, ...]]:
    """The assessment's rating history: one point per snapshot, oldest first, with its changes of level."""
    return QueryOp(state, lambda vault: vault.judgements.history(assessment_id))


def conflict(state: AppState, assessment_id: str, statement_id: str) -> QueryOp[tuple[Shown | None, dict[str, Signer]]]:
    """A judgement in conflict, its two versions compared as the records' conflicts view compares
    them, with who saved each; None when it is no longer in conflict."""
    return QueryOp(state, lambda vault: read_conflict(vault, vault.judgements.get(assessment_id, statement_id).id))


def resolve(state: AppState, assessment_id: str, statement_id: str, *, take: str, initiator: object) -> VaultOp:
    """End a judgement's conflict by keeping one version; the other stays in its history. Its
    value: the judgement as it now stands."""

    def keep(vault: Any) -> Done[JudgementRow]:
        item_id = vault.judgements.get(assessment_id, statement_id).id
        done = vault.replication.resolve_item(item_id, take=take)
        return Done(vault.judgements.get(assessment_id, statement_id), done.changes)

    return VaultOp(state, keep, initiator=initiator)
