"""Operations that make an assessment's report: build the one Report value in the core (or read a
published one back with its seal) and write it as PDF, Word or HTML, or build it for a print
preview; publish it; and verify a report file against the vault. All run on the vault worker: the
build reads the vault, and the PDF is laid out and painted there too (a QTextDocument and a
QPdfWriter made on that thread), so the window never waits for any of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fieldapp.errors import Cancelled
from fieldapp.report.build import build_report
from fieldapp.report.check_file import Verdict, verify_file
from fieldapp.report.formats import Writer, export

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.published_reports import PublishedRow
    from fieldapp.report.model import Report
    from fieldapp.vault import Vault

    from ui.state import AppState

CANCELLED = "The report was cancelled; nothing was written."


def _made(vault: Vault, assessment_id: str, shared_on: date | None, published_id: str | None) -> Report:
    """The published report published_id with its seal; else the working copy, or a draft when shared_on is given."""
    if published_id is not None:
        return vault.published.report(published_id)
    return build_report(vault, assessment_id, draft=shared_on is not None, shared_on=shared_on)


def write_report(
    state: AppState, assessment_id: str, target: Path, fmt: str, *, shared_on: date | None,
    progress: Callable[[int, int], None], cancelled: Callable[[], bool], published_id: str | None = None,
) -> QueryOp[Path]:  # fmt: skip
    """Build the report (a draft when shared_on is given; the published one, sealed, when published_id is)
    and write it to target; its value: the path written. progress(page, pages) as a PDF is painted;
    cancelled() is asked between pages (Cancelled: nothing is left)."""

    def make(vault: Vault) -> Path:
        report = _made(vault, assessment_id, shared_on, published_id)
        if cancelled():
            raise Cancelled(CANCELLED)
        write: Writer | None = None
        if fmt == "pdf":
            from ui.report.pdf import write_pdf  # Qt's printing loads only when a PDF is made

            write = functools.partial(write_pdf, progress=progress, cancelled=cancelled)
        return export(vault.audit, report, target, fmt, assessment_id=assessment_id, write=write)

    return QueryOp(state, make)


def report(state: AppState, assessment_id: str, *, shared_on: date | None, published_id: str | None = None) -> QueryOp[Report]:
    """The report value alone (a draft when shared_on is given, a published one by its id), for the print preview to paint."""
    return QueryOp(state, lambda vault: _made(vault, assessment_id, shared_on, published_id))


def published(state: AppState, assessment_id: str) -> QueryOp[tuple[PublishedRow, ...]]:
    """The assessment's published reports, oldest first."""
    return QueryOp(state, lambda vault: vault.published.list(assessment_id))


def publish(state: AppState, assessment_id: str, published_on: date, *, initiator: object = None) -> VaultOp:
    """Freeze the assessment's report as a signed, immutable published report (the lead inspector only;
    refused in words during a conflict); its value: the PublishedRow."""
    return VaultOp(state, lambda vault: vault.published.publish(assessment_id, published_on), initiator=initiator)


def verify(state: AppState, path: Path) -> QueryOp[Verdict]:
    """Every check of a report file against the open vault, as `python -m fieldapp.report verify` makes them."""
    return QueryOp(state, lambda vault: verify_file(vault.published, path))
