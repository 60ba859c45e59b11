"""The report in the app (issue 14): File → Export report… makes a draft PDF on the vault worker
with a progress bar, says where it wrote and that reports are plaintext; a conflict is refused in
words and writes nothing; Cancel leaves nothing; Preview report… shows the PDF's pages."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import docx
import pypdf
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintPreviewWidget
from PySide6.QtWidgets import QWidget
from report_fixtures import Demo, demo  # noqa: F401
from sqlalchemy import text
from window_fixtures import window_on

from fieldapp.framework import default_framework
from fieldapp.judgements import judgement_id
from fieldapp.report.build import build_report
from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.report.dialog import ReportDialog, suggested_name
from ui.report.pdf import write_pdf
from ui.state import AppState


def _open_export(qtbot, window: MainWindow, folder: Path, asked: list[Path]) -> ReportDialog:  # noqa: ANN001
    """File → Export report… by its key, PDF and a draft chosen; the save dialog answers folder/report.pdf."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(getattr(window, "report_dialog", None), ReportDialog) and window.report_dialog.isVisible())
    dialog: ReportDialog = window.report_dialog

    def choose(_parent: QWidget, suggested: Path, fmt: str) -> Path:
        asked.append(suggested)
        return folder / "report.pdf"

    dialog.choose_path = choose
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    dialog.which.setCurrentIndex(dialog.which.findData("draft"))
    dialog.shared_on.setText("07/12/2026")
    return dialog


def _hold_the_worker(state: AppState) -> threading.Event:
    """Keep the vault worker busy until the event is set, so what is asked next waits its turn."""
    gate = threading.Event()
    state.tasks.run(lambda: gate.wait(20), lambda _r: None, lambda _e: None)
    return gate


def test_export_report_writes_a_draft_pdf_on_the_worker_with_progress_and_says_where(qtbot, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "reports"
    folder.mkdir()
    asked: list[Path] = []
    with window_on(qtbot, vault) as (window, state):
        assert window.actions_by_name["export_report"] in window.menus["File"].actions()
        dialog = _open_export(qtbot, window, folder, asked)
        seen: list[tuple[int, int]] = []
        dialog.progress.valueChanged.connect(lambda value: seen.append((value, dialog.progress.maximum())))
        gate = _hold_the_worker(state)
        qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
        assert dialog.progress.isVisible() and dialog.cancel_button.isVisible() and not dialog.go.isEnabled()  # the UI is not waiting
        gate.set()
        qtbot.waitUntil(lambda: dialog.written_path is not None, timeout=30_000)
        target = folder / "report.pdf"
        assert dialog.message.text().startswith(f"Wrote the report to {target}.") and "not encrypted" in dialog.message.text()
        assert dialog.show_folder.isVisible() and not dialog.progress.isVisible()
        pages = pypdf.PdfReader(target).pages
        assert seen[-1] == (len(pages), len(pages)) and len(seen) >= 2
        assert all("07/12/2026" in page.extract_text() for page in pages)
        assert asked == [Path.home() / suggested_name("Northshire & <Coast> ICS", "pdf", draft=True, today=date.today())]
        assert sorted(p.name for p in folder.iterdir()) == ["report.pdf"]
        dialog.close()


def test_word_and_html_are_written_from_the_same_dialog(qtbot, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "reports"
    folder.mkdir()
    with window_on(qtbot, vault) as (window, _state):
        dialog = _open_export(qtbot, window, folder, [])
        for fmt in ("docx", "html"):
            dialog.written_path = None
            dialog.format.setCurrentIndex(dialog.format.findData(fmt))
            dialog.choose_path = lambda _parent, _suggested, _fmt: folder / "report"  # typed without its extension
            qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: dialog.written_path is not None, timeout=30_000)
            assert dialog.written_path == folder / f"report.{fmt}"
        assert "on 07/12/2026" in (folder / "report.html").read_text(encoding="utf-8")
        assert "on 07/12/2026" in docx.Document(str(folder / "report.docx")).sections[0].header.paragraphs[0].text
        assert sorted(p.name for p in folder.iterdir()) == ["report.docx", "report.html"]
        dialog.close()


def test_a_report_refused_for_a_conflict_says_which_judgement_and_writes_nothing(qtbot, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    statement = default_framework().statements[2]
    with vault.transaction("marking a conflict, as a sync that found one does") as session:
        session.execute(text("UPDATE records SET sync_state = 'conflict' WHERE id = :id"), {"id": judgement_id(demo.assessment_id, statement.id)})
    folder = tmp_path / "reports"
    folder.mkdir()
    with window_on(qtbot, vault) as (window, _state):
        dialog = _open_export(qtbot, window, folder, [])
        qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.message.text().startswith("Not written:"), timeout=30_000)
        assert f"‘{statement.name}’" in dialog.message.text()
        assert dialog.go.isEnabled() and not dialog.progress.isVisible() and not dialog.show_folder.isVisible()
        assert list(folder.iterdir()) == []
        dialog.close()


def test_cancel_while_the_report_is_being_made_leaves_nothing(qtbot, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "reports"
    folder.mkdir()
    with window_on(qtbot, vault) as (window, state):
        dialog = _open_export(qtbot, window, folder, [])
        gate = _hold_the_worker(state)
        qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)  # while it waits its turn on the worker
        gate.set()
        qtbot.waitUntil(lambda: "cancelled" in dialog.message.text(), timeout=30_000)
        assert dialog.message.text() == "The report was cancelled; nothing was written."
        assert list(folder.iterdir()) == [] and dialog.written_path is None and dialog.go.isEnabled()
        dialog.close()


def test_closing_the_dialog_while_the_report_is_being_made_cancels_it_and_leaves_nothing(qtbot, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "reports"
    folder.mkdir()
    with window_on(qtbot, vault) as (window, state):
        dialog = _open_export(qtbot, window, folder, [])
        gate = _hold_the_worker(state)
        qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert dialog.isVisible() and dialog.message.text() == "Cancelling…"  # it goes once the worker has stopped
        gate.set()
        qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=30_000)
        qtbot.waitUntil(lambda: not any(d.isVisible() for d in window.findChildren(ReportDialog)))
        assert list(folder.iterdir()) == [] and "Wrote" not in window.statusBar().currentMessage()


def test_preview_report_shows_the_pdfs_pages(qtbot, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    pdf = write_pdf(build_report(vault, demo.assessment_id, draft=True, shared_on=date.today()), tmp_path / "report.pdf")
    with window_on(qtbot, vault) as (window, _state):
        window.actions_by_name["preview_report"].trigger()
        dialog: ReportDialog = window.report_dialog
        dialog.which.setCurrentIndex(dialog.which.findData("draft"))
        qtbot.mouseClick(dialog.go, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.preview_dialog is not None and dialog.preview_dialog.isVisible(), timeout=30_000)
        widget = dialog.preview_dialog.findChild(QPrintPreviewWidget)
        qtbot.waitUntil(lambda: widget.pageCount() > 1)
        assert widget.pageCount() == len(pypdf.PdfReader(pdf).pages)
        dialog.preview_dialog.close()
        dialog.close()


def test_the_suggested_file_name_is_the_assessments_name_and_the_day() -> None:
    assert suggested_name("Northshire & <Coast> ICS", "pdf", draft=True, today=date(2026, 12, 7)) == "Northshire & Coast ICS report 2026-12-07 (draft).pdf"
    assert suggested_name("a/b\\c:", "docx", draft=False, today=date(2026, 12, 7)) == "a b c report 2026-12-07.docx"
