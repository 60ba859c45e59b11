"""File → Export report… and Preview report…: for the chosen assessment, the format and which report
(the working copy, a draft for the factual accuracy check and the day it is shared, or one of its
published reports, with its seal); then where to save it. The report is built and written on the
vault worker with a progress bar and Cancel; the dialog then says where it wrote (reports are
plaintext) or, refused, why in words. The preview paints the PDF's own pages."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp.dates import show_when
from fieldapp.errors import Cancelled, UnreadableDate
from fieldapp.report.formats import FORMATS

from ui.dates import read_when, when_text
from ui.errors import message_for
from ui.message_lines import message_line
from ui.operations import reports as report_ops
from ui.when_edit import WhenEdit

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    from fieldapp.published_reports import PublishedRow
    from fieldapp.report.model import Report

    from ui.state import AppState

PLAINTEXT = "The report file is not encrypted (the vault is): keep it where the assessment's evidence may be kept, and delete copies you no longer need."
PathChooser = Callable[[QWidget, Path, str], Path | None]
WORKING, DRAFT = "working", "draft"  # the report choices besides published reports (chosen by their item id)


def choose_save_path(parent: QWidget, suggested: Path, fmt: str) -> Path | None:
    """Ask where to save, suggesting a file name; None when the inspector cancels."""
    chosen, _filter = QFileDialog.getSaveFileName(parent, "Save the report", str(suggested), f"{FORMATS[fmt]} (*.{fmt})")
    return Path(chosen) if chosen else None


def suggested_name(assessment_name: str, fmt: str, *, draft: bool, today: date, published_on: str | None = None) -> str:
    """"Northshire ICS report 2026-12-07 (draft).pdf": the assessment's name and the day, safe in any folder;
    a published report is named by the day it was published ("… report published 2026-12-08.pdf")."""
    name = " ".join(re.sub(r"[^\w\s&,.'-]", " ", assessment_name).split()).strip(". ") or "Assessment"
    if published_on is not None:
        return f"{name} report published {published_on}.{fmt}"
    return f"{name} report {today.isoformat()}{' (draft)' if draft else ''}.{fmt}"


def published_label(row: PublishedRow, same_day: int = 1) -> str:
    """"Published report of 08/12/2026", numbered when more than one was published that day, and
    said when its signature does not hold on this laptop."""
    label = f"Published report of {show_when(row.published_on)}{f' ({same_day})' if same_day > 1 else ''}"
    return label if row.verified else f"{label} (its signature does not hold on this laptop)"


class _Progress(QObject):
    """Carries the pages painted from the vault worker to the UI thread (a queued signal)."""

    moved = Signal(int, int)  # (pages done, pages in all)


class ReportDialog(QDialog):
    """The report of one assessment: choose, then export it (or preview it when preview=True).
    published_id: that published report is chosen once the list of published ones has been read."""

    written = Signal(object)  # (Path) a report file was written

    def __init__(
        self, state: AppState, assessment_id: str, assessment_name: str, parent: QWidget | None = None, *, preview: bool = False,
        published_id: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._state, self._assessment_id, self._name, self._preview = state, assessment_id, assessment_name, preview
        self.choose_path: PathChooser = choose_save_path  # tests choose without a modal file dialog
        self._cancel = threading.Event()
        self._close_when_stopped = False
        self._progress = _Progress()
        self._progress.moved.connect(self.on_progress_moved)
        self.preview_dialog: QPrintPreviewDialog | None = None
        self._printer: QPrinter | None = None
        self.written_path: Path | None = None
        self.setWindowTitle(f"{'Preview' if preview else 'Export'} the report of {assessment_name}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.format = QComboBox()
        self.format.setAccessibleName("Format")
        for fmt, words in FORMATS.items():
            self.format.addItem(words, fmt)
        if not preview:  # a preview shows the PDF's pages
            form.addRow("&Format", self.format)
        self.which = QComboBox()
        self.which.setAccessibleName("Which report")
        self.which.addItem("Working copy", WORKING)
        self.which.setItemData(0, "The report as the assessment stands now, neither a draft nor published", Qt.ItemDataRole.ToolTipRole)
        self.which.addItem("Draft for factual accuracy check", DRAFT)
        self.which.setItemData(1, "Every page says it is a draft, and when it was shared with the ICB and the ICP", Qt.ItemDataRole.ToolTipRole)
        self._published_dates: dict[str, str] = {}  # item id -> the ISO day it was published
        self._wanted_published = published_id
        form.addRow("&Report", self.which)
        self.shared_on = WhenEdit(when_text(date.today().isoformat()), "Shared on")
        self.shared_on.setEnabled(False)
        self.which.currentIndexChanged.connect(lambda _index: self.shared_on.setEnabled(self.is_draft()))
        form.addRow("&Shared on", self.shared_on)
        layout.addLayout(form)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Report progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the report")
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        self.message = message_line("What happened to the report")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.go = self.buttons.addButton("&Preview…" if preview else "&Export…", QDialogButtonBox.ButtonRole.ActionRole)
        self.go.setDefault(True)
        self.go.clicked.connect(self.on_go_clicked)
        self.show_folder = self.buttons.addButton("Show in &folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.show_folder.clicked.connect(self.on_show_folder_clicked)
        self.show_folder.hide()
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._running(False)
        self.resize(520, 240)
        report_ops.published(state, assessment_id).success(self._offer_published).failure(self._on_published_unread).run_in_background()

    def is_draft(self) -> bool:
        return self.which.currentData() == DRAFT

    def published_id(self) -> str | None:
        """The published report chosen, or None for the working copy or a draft."""
        chosen = self.which.currentData()
        return chosen if chosen in self._published_dates else None

    def _offer_published(self, rows: tuple[PublishedRow, ...]) -> None:
        """Each published report as a choice, oldest first, after the working copy and the draft."""
        if not isValid(self):
            return  # closed (and deleted) before the vault answered
        seen: dict[str, int] = {}
        for row in rows:
            seen[row.published_on] = seen.get(row.published_on, 0) + 1
            self._published_dates[row.id] = row.published_on
            self.which.addItem(published_label(row, seen[row.published_on]), row.id)
            self.which.setItemData(self.which.count() - 1, f"As it was published and signed, with its seal (signed by {row.signed_by})",
                                   Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        wanted = self.which.findData(self._wanted_published) if self._wanted_published else -1
        if wanted >= 0:
            self.which.setCurrentIndex(wanted)

    def _on_published_unread(self, exc: BaseException) -> None:
        if isValid(self):
            self.message.setText(f"The published reports could not be read: {message_for(exc)}")

    def _running(self, running: bool) -> None:
        for shown in (self.progress, self.cancel_button):
            shown.setVisible(running)
        for usable in (self.go, self.format, self.which):
            usable.setEnabled(not running)
        self.shared_on.setEnabled(not running and self.is_draft())

    def _shared_on(self) -> date | None:
        """The day a draft is shared, or None for a report that is not a draft; UnreadableDate says how to type it."""
        if not self.is_draft():
            return None
        kept = read_when(self.shared_on.text())
        if kept is None:
            raise UnreadableDate("Give the day the draft is shared with the ICB and the ICP.")
        return date.fromisoformat(kept[:10])

    def on_go_clicked(self) -> None:
        try:
            shared_on = self._shared_on()
        except UnreadableDate as exc:
            self.message.setText(f"Shared on: {exc}")
            self.shared_on.setFocus()
            return
        published_id = self.published_id()
        if self._preview:
            self._build_preview(shared_on, published_id)
            return
        fmt = self.format.currentData()
        published_on = self._published_dates.get(published_id) if published_id else None
        suggested = Path.home() / suggested_name(self._name, fmt, draft=shared_on is not None, today=date.today(), published_on=published_on)
        target = self.choose_path(self, suggested, fmt)
        if target is None:
            return
        if target.suffix.lower() != f".{fmt}":
            target = target.with_name(f"{target.name}.{fmt}")
        self._cancel.clear()
        self.show_folder.hide()
        self.progress.setRange(0, 0)  # busy until the first page is painted
        self.message.setText(f"Making the report: {target.name}…")
        self._running(True)
        progress = self._progress
        report_ops.write_report(self._state, self._assessment_id, target, fmt, shared_on=shared_on, published_id=published_id,
                                progress=progress.moved.emit, cancelled=self._cancel.is_set).success(
            self._on_written).failure(self._on_failed).run_in_background()  # fmt: skip

    def on_progress_moved(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def on_cancel_clicked(self) -> None:
        self._cancel.set()  # read on the worker before every page; nothing partial is kept
        self.message.setText("Cancelling…")

    def reject(self) -> None:
        """Close (or Escape) while a report is being made cancels it; the dialog goes once the worker has stopped."""
        if not self.go.isEnabled():  # running
            self._close_when_stopped = True
            self.on_cancel_clicked()
            return
        super().reject()

    def _stopped(self) -> bool:
        self._running(False)
        if self._close_when_stopped:
            super().reject()
        return self._close_when_stopped

    def _on_written(self, path: Path) -> None:
        self.written_path = path
        self.written.emit(path)  # said in the window too: the dialog may be closing (cancelled after the last page)
        if self._stopped():
            return
        self.message.setText(f"Wrote the report to {path}. {PLAINTEXT}")
        self.show_folder.show()

    def _on_failed(self, exc: BaseException) -> None:
        if self._stopped():
            return
        self.message.setText(str(exc) if isinstance(exc, Cancelled) else f"Not written: {message_for(exc)}")

    def on_show_folder_clicked(self) -> None:
        if self.written_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written_path.parent)))

    # -- preview ----------------------------------------------------------------------------------

    def _build_preview(self, shared_on: date | None, published_id: str | None) -> None:
        self.message.setText("Making the report…")
        self._running(True)
        self.cancel_button.hide()  # building takes a moment; the preview paints its pages itself
        report_ops.report(self._state, self._assessment_id, shared_on=shared_on, published_id=published_id).success(
            self._show_preview).failure(self._on_failed).run_in_background()  # fmt: skip

    def _show_preview(self, report: Report) -> None:
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        from ui.report.pdf import print_report

        if self._stopped():
            return
        self.message.setText("")
        # Kept: the preview holds no reference to its printer, whose pages it paints from (a crash once dropped).
        printer = self._printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(report.title)
        printer.setFullPage(True)  # the pages draw their own margins, as in the PDF
        preview = self.preview_dialog = QPrintPreviewDialog(printer, self)
        preview.setWindowTitle(f"Preview: {report.title}")
        preview.paintRequested.connect(lambda device: print_report(report, device))
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.resize(900, 1000)
        preview.open()
