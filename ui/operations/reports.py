"""Operations that make an assessment's report: build the one Report value in the core and write it
as PDF, Word or HTML, or build it for a print preview. Both run on the vault worker: the build
reads the vault, and the PDF is laid out and painted there too (a QTextDocument and a QPdfWriter
made on that thread), so the window never waits for either."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fieldapp.errors import Cancelled
from fieldapp.report.build import build_report
from fieldapp.report.formats import writer_for

from ui.operations import QueryOp

if TYPE_CHECKING:
    from fieldapp.report.model import Report
    from fieldapp.vault import Vault

    from ui.state import AppState

CANCELLED = "The report was cancelled; nothing was written."


def write_report(
    state: AppState, assessment_id: str, target: Path, fmt: str, *, shared_on: date | None,
    progress: Callable[[int, int], None], cancelled: Callable[[], bool],
) -> QueryOp[Path]:  # fmt: skip
    """Build the report (a draft when shared_on is given) and write it to target; its value: the path written.
    progress(page, pages) as a PDF is painted; cancelled() is asked between pages (Cancelled: nothing is left)."""

    def make(vault: Vault) -> Path:
        report = build_report(vault, assessment_id, draft=shared_on is not None, shared_on=shared_on)
        if cancelled():
            raise Cancelled(CANCELLED)
        if fmt == "pdf":
            from ui.report.pdf import write_pdf  # Qt's printing loads only when a PDF is made

            return write_pdf(report, target, progress=progress, cancelled=cancelled)
        return writer_for(fmt)(report, target)

    return QueryOp(state, make)


def report(state: AppState, assessment_id: str, *, shared_on: date | None) -> QueryOp[Report]:
    """The report value alone (a draft when shared_on is given), for the print preview to paint."""
    return QueryOp(state, lambda vault: build_report(vault, assessment_id, draft=shared_on is not None, shared_on=shared_on))
