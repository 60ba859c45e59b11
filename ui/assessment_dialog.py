"""An assessment's details: its name and period, changed here while it is on this laptop only.

An assessment on the central service belongs to its administrator (see fieldapp.assessments):
the dialog shows its details read-only and says whom to ask. The period's dates are picked from a
calendar or typed day first (21/11/2026), never free text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.rows import AssessmentRow, Changes, Done

from ui.errors import message_for
from ui.operations import VaultOp
from ui.state import AppState

DATE_FORMAT = "dd/MM/yyyy"  # day first, as England writes dates
MANAGED_NOTE = (
    "This assessment is managed on the central service; ask its administrator to rename it or change its period. "
    "Archiving it (File menu) only hides it on this laptop."
)


class AssessmentDialog(QDialog):
    saved = Signal(object)  # the AssessmentRow as now saved

    def __init__(self, state: AppState, row: AssessmentRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state, self._row = state, row
        self.setWindowTitle("Assessment details")
        self.name = QLineEdit(row.name)
        self.name.setAccessibleName("Assessment name")
        self.has_period = QCheckBox("Set the dates it runs")
        self.has_period.setAccessibleName("The assessment has a period")
        self.has_period.setChecked(bool(row.period_start or row.period_end))
        self.start = self._date("First day", row.period_start)
        self.end = self._date("Last day", row.period_end)
        self.has_period.toggled.connect(self._enable_dates)
        dates = QHBoxLayout()
        for widget in (self.start, QLabel("to"), self.end):
            dates.addWidget(widget)
        period = QLabel("&Period")
        period.setBuddy(self.has_period)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow(period, self.has_period)
        form.addRow("", dates)
        self.note = QLabel(MANAGED_NOTE if row.on_service else "On this laptop only: the next sync offers it as it stands here.")
        self.note.setAccessibleName("Who may change this assessment")
        self.note.setWordWrap(True)
        self.status = QLabel("")
        self.status.setAccessibleName("Assessment details status")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        editable = not row.on_service
        self.name.setReadOnly(not editable)
        self.has_period.setEnabled(editable)
        self._enable_dates()
        if not editable:  # nothing to save: a Close button says so
            self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    def _date(self, name: str, iso: str | None) -> QDateEdit:
        edit = QDateEdit()
        edit.setAccessibleName(name)
        edit.setDisplayFormat(DATE_FORMAT)
        edit.setCalendarPopup(True)
        edit.setDate(QDate.fromString(iso, "yyyy-MM-dd") if iso else QDate.currentDate())
        return edit

    def _enable_dates(self, *_args: object) -> None:
        on = self.has_period.isChecked() and not self._row.on_service
        self.start.setEnabled(on)
        self.end.setEnabled(on)

    def period(self) -> tuple[str | None, str | None]:
        if not self.has_period.isChecked():
            return None, None
        return self.start.date().toString("yyyy-MM-dd"), self.end.date().toString("yyyy-MM-dd")

    def accept(self) -> None:
        """Save what changed on the vault worker; the dialog closes once it is saved."""
        if self._row.on_service:
            super().accept()
            return
        row, name, period = self._row, self.name.text().strip(), self.period()

        if not name:
            self.status.setText("Give the assessment a name (the integrated care system's name).")
            return

        def save(vault: Any) -> Done[AssessmentRow]:
            # The period first: a period it refuses (ending before it starts) leaves the name alone too.
            changes, saved = Changes(), row
            if period != (row.period_start, row.period_end):
                done = vault.assessments.set_period(row.id, *period)
                changes, saved = changes | done.changes, done.value
            if name != row.name:
                done = vault.assessments.rename(row.id, name)
                changes, saved = changes | done.changes, done.value
            return Done(saved, changes)

        self.buttons.setEnabled(False)
        VaultOp(self._state, save, initiator=self).success(self._on_saved).failure(self._on_failed).run_in_background()

    def _on_saved(self, done: Done[AssessmentRow]) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(done.value)
        super().accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.status.setText(message_for(exc))
