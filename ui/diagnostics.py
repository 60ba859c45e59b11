"""Copy diagnostics (Help → Copy diagnostics, and the offer after a crash): versions, platform, crash
reports and the log's last lines, put on the clipboard for a support ticket; none of it evidence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, Signal, qVersion
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QWidget

from fieldapp import crash_reports, logs
from fieldapp.errors import FrameworkError

from ui.errors import message_for
from ui.state import AppState

APP = "fieldapp"
OFFER = "fieldapp closed unexpectedly last time. Copy diagnostics to send to your support desk?"
COPIED = "Diagnostics copied: paste them into an email to your support desk."
NOW = "To report it, copy the diagnostics and paste them into an email to your support desk."


def _versions() -> dict[str, str]:
    from fieldapp.framework import available_frameworks  # reads the framework files: on the worker

    try:
        frameworks = ", ".join(f.key for f in available_frameworks())  # "cqc-ics@2024.1": the key names the version
    except FrameworkError as exc:  # a broken installation is when support needs the rest most
        frameworks = f"none readable ({logs.kind_of(exc)})"
    return {"Frameworks": frameworks, "Qt": f"{qVersion()} through PySide6 {PySide6.__version__}"}


def _text(folder: Path) -> str:
    return crash_reports.diagnostics_text(folder, folder / f"{APP}.log", _versions())


def copy_diagnostics(state: AppState, then: Callable[[str], None]) -> None:
    """Read the reports and the log on the worker, put the text on the clipboard, then say so by then(words)."""
    folder = logs.log_folder(APP)

    def copied(text: str) -> None:
        QApplication.clipboard().setText(text)
        then(COPIED)

    state.tasks.run(lambda: _text(folder), copied, lambda exc: then(message_for(exc)))


class CrashOffer(QWidget):
    """The line an unlock window shows after a crash, with Copy diagnostics and Not now (Alt+C, Alt+N,
    or Tab); either gives the keyboard back to the window by answered, so the passphrase is typed as ever."""

    answered = Signal()  # () Copy diagnostics or Not now was chosen

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.words = QLabel(OFFER)
        self.words.setWordWrap(True)
        self.words.setAccessibleName("fieldapp closed unexpectedly")
        self.copy = QPushButton("&Copy diagnostics")
        self.copy.setAccessibleName("Copy diagnostics for your support desk")
        self.copy.clicked.connect(self.on_copy_clicked)
        self.not_now = QPushButton("&Not now")
        self.not_now.setAccessibleName("Not now: put the offer away")
        self.not_now.clicked.connect(self.hide)
        for button in (self.copy, self.not_now):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click does not take the keyboard from the passphrase
            button.clicked.connect(self.answered)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.words, 1)
        row.addWidget(self.copy)
        row.addWidget(self.not_now)
        self.hide()

    def offer_once(self) -> bool:
        """Shown if an earlier run left reports not offered yet; they are marked seen at once, so the
        next start does not ask again. The files are few and small: read here, before the first paint."""
        reports = crash_reports.pending_reports(logs.log_folder(APP))
        crash_reports.mark_seen(reports)
        self.setVisible(bool(reports))
        return bool(reports)

    def offer_now(self) -> None:
        """Shown beside a message that asks for a report where there is no Help menu (the unlock window)."""
        self.words.setText(NOW)
        self.show()

    def on_copy_clicked(self) -> None:
        copy_diagnostics(self._state, self.words.setText)
