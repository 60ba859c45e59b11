"""Operations on what the team writes for the report, as the report view starts them: read it all in
one moment, save the fields typed onto the newest stored texts, choose the quotations, share a draft
for the factual accuracy check, record a response, and see or end a conflict of the texts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from fieldapp.rows import Changes, Done

from ui.judgements.conflict import read_conflict
from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.item_kinds import FacResponseContent, ReportTextContent
    from fieldapp.report_texts import DraftRow, ReportTextRow, ResponseRow, Suggestion
    from fieldapp.signers import Signer

    from ui.conflicts_view import Shown
    from ui.state import AppState

# A text field of the report: "summary", "progress", or (narratives, theme id) with narratives
# "strengths" or "improvements".
FieldKey = str | tuple[str, str]


@dataclass(frozen=True)
class ReportState:
    """Everything the report view shows, read in the same moment."""

    texts: ReportTextRow
    suggestions: tuple[Suggestion, ...]
    drafts: tuple[DraftRow, ...]
    responses: tuple[ResponseRow, ...]


def read(state: AppState, assessment_id: str) -> QueryOp[ReportState]:
    def read_all(vault: Any) -> ReportState:
        rt = vault.report_texts
        return ReportState(rt.texts(assessment_id), rt.suggestions(assessment_id), rt.drafts(assessment_id), rt.responses(assessment_id))

    return QueryOp(state, read_all)


def with_fields(content: ReportTextContent, typed: dict[FieldKey, str]) -> ReportTextContent:
    """content with the fields typed put in; every other field as it is."""
    made = content
    for key, text in typed.items():
        if isinstance(key, tuple):
            which, theme_id = key
            narratives = dict(getattr(made, which))
            narratives[theme_id] = text
            made = dataclasses.replace(made, **{which: narratives})
        else:
            made = dataclasses.replace(made, **{key: text})
    return made


def save_fields(state: AppState, assessment_id: str, typed: dict[FieldKey, str], *, initiator: object) -> VaultOp:
    """Save the fields typed onto the texts as they are stored now, on the worker: a colleague's newer
    words in another field (arrived by sync since the view read them) are kept, never overwritten."""

    def save(vault: Any) -> Done[ReportTextRow]:
        # One transaction around the read and the save holds the vault's (re-entrant) lock across
        # both: a pull on the sync thread cannot land between them and be overwritten.
        with vault.transaction("saving the report's texts"):
            newest = vault.report_texts.texts(assessment_id).content
            return vault.report_texts.save_texts(assessment_id, with_fields(newest, typed))

    return VaultOp(state, save, initiator=initiator)


def choose(state: AppState, assessment_id: str, refs: list[tuple[str, str]], *, initiator: object) -> VaultOp:
    """Quote these suggestions (record id, link id), in this order, and no others; its value: the
    suggestions as they now stand, each with its place among the chosen."""

    def save(vault: Any) -> Done[tuple[Suggestion, ...]]:
        done = vault.report_texts.choose_quotations(assessment_id, refs)
        return Done(vault.report_texts.suggestions(assessment_id), done.changes)

    return VaultOp(state, save, initiator=initiator)


def share_draft(state: AppState, assessment_id: str, shared_on: date, *, initiator: object) -> VaultOp:
    """Build the draft report and record it as shared on that day (its paragraphs frozen and signed)."""

    def share(vault: Any) -> Done[DraftRow]:
        from fieldapp.report.build import share_draft as build_and_share  # the report builder loads when first used

        _report, row = build_and_share(vault, assessment_id, shared_on)
        return Done(row, Changes(judgements=frozenset({assessment_id})))

    return VaultOp(state, share, initiator=initiator)


def record_response(state: AppState, assessment_id: str, content: FacResponseContent, response_id: str | None, *, initiator: object) -> VaultOp:
    """Record a new response to the factual accuracy check (response_id None), or change one."""
    return VaultOp(state, lambda vault: vault.report_texts.record_response(assessment_id, content, response_id=response_id), initiator=initiator)


def conflict(state: AppState, assessment_id: str) -> QueryOp[tuple[Shown | None, dict[str, Signer]]]:
    """The texts in conflict, their two versions compared as the records' conflicts view compares them."""
    from fieldapp.report_texts import report_text_id

    return QueryOp(state, lambda vault: read_conflict(vault, report_text_id(assessment_id)))


def resolve(state: AppState, assessment_id: str, *, take: str, initiator: object) -> VaultOp:
    """End the texts' conflict by keeping one version; the other stays in their history."""
    from fieldapp.report_texts import report_text_id

    def keep(vault: Any) -> Done[ReportTextRow]:
        done = vault.replication.resolve_item(report_text_id(assessment_id), take=take)
        return Done(vault.report_texts.texts(assessment_id), done.changes)

    return VaultOp(state, keep, initiator=initiator)
