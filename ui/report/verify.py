"""File → Verify a report file…: choose a published report file (HTML, Word or PDF) and check it
against the open vault on the vault worker, by the same core function as `python -m fieldapp.report
verify` (fieldapp.report.check_file.verify_file); shows every check passed (✓) or failed (✗) in
words, any note, and the verdict line, "Verified: …" or "NOT verified: …"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget
from shiboken6 import isValid

from ui.errors import message_for
from ui.message_lines import message_line
from ui.operations import reports as report_ops

if TYPE_CHECKING:
    from fieldapp.report.check_file import Verdict

    from ui.state import AppState

FileChooser = Callable[[QWidget], Path | None]
PASSED, FAILED, NOTE = "✓ Passed:", "✗ Failed:", "Note:"


def choose_report_file(parent: QWidget) -> Path | None:
    """Ask which report file to verify; None when the inspector cancels."""
    chosen, _filter = QFileDialog.getOpenFileName(parent, "Verify a report file", str(Path.home()),
                                                  "Reports (*.html *.htm *.docx *.pdf);;All files (*)")  # fmt: skip
    return Path(chosen) if chosen else None


class VerifyDialog(QDialog):
    """Verify report files against this vault, one after another."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.choose_file: FileChooser = choose_report_file  # tests choose without a modal file dialog
        self.verdict: Verdict | None = None
        self.setWindowTitle("Verify a report file")
        layout = QVBoxLayout(self)
        intro = QLabel("Checks that a published report file is one this vault signed: the report, its date, its digest and "
                       "every revision it stands on, unchanged.")  # fmt: skip
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.file_line = message_line("Report file")
        self.file_line.setText("No file chosen yet.")
        layout.addWidget(self.file_line)
        checks_label = QLabel("&Checks")
        self.checks = QListWidget()
        self.checks.setAccessibleName("Checks")
        self.checks.setWordWrap(True)
        checks_label.setBuddy(self.checks)
        layout.addWidget(checks_label)
        layout.addWidget(self.checks, 1)
        self.result = message_line("Verdict")
        font = self.result.font()
        font.setBold(True)
        self.result.setFont(font)
        layout.addWidget(self.result)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.go = self.buttons.addButton("C&hoose a file and verify…", QDialogButtonBox.ButtonRole.ActionRole)
        self.go.setDefault(True)
        self.go.clicked.connect(self.on_go_clicked)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(720, 420)

    def on_go_clicked(self) -> None:
        path = self.choose_file(self)
        if path is None:
            return
        self.verify(path)

    def verify(self, path: Path) -> None:
        """Check the file on the vault worker; the window never waits."""
        self.verdict = None
        self.checks.clear()
        self.file_line.setText(f"File: {path}")
        self.result.setText("Verifying…")
        self.go.setEnabled(False)
        name = path.name
        report_ops.verify(self._state, path).success(lambda verdict: self._show(name, verdict)).failure(self._on_refused).run_in_background()

    def _show(self, name: str, verdict: Verdict) -> None:
        if not isValid(self):
            return
        self.go.setEnabled(True)
        for check in verdict.checks:
            self._line(f"{PASSED if check.holds else FAILED} {check.words}")
        for note in verdict.notes:
            self._line(f"{NOTE} {note}")
        self.verdict = verdict
        self.result.setText(verdict.summary(name))

    def _line(self, words: str) -> None:
        item = QListWidgetItem(words)
        item.setToolTip(words)
        self.checks.addItem(item)

    def _on_refused(self, exc: BaseException) -> None:
        """No seal to check (a draft, a working copy, not a report) or the file cannot be read."""
        if not isValid(self):
            return
        self.go.setEnabled(True)
        self._line(f"{FAILED} {message_for(exc)}")
        self.result.setText(f"NOT verified: {message_for(exc)}")
