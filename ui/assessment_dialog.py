"""An assessment's details: its name and period, asked for together when one is started here, and
changed here while it is on this laptop only.

An assessment on the central service belongs to its administrator (see fieldapp.assessments):
the dialog shows its details read-only and says whom to ask. The period's days are typed as
England writes them (1/11/2026, 1 Nov 2026) or picked from the calendar beside each, as in the editor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import UnreadableDate
from fieldapp.rows import AssessmentRow, Changes, Done

from ui.errors import message_for
from ui.operations import VaultOp
from ui.operations import assessments as assessment_ops
from ui.state import AppState
from ui.dates import day_hint, read_when, when_text
from ui.when_edit import WhenEdit

MANAGED_NOTE = (
    "This assessment is managed on the central service; ask its administrator to rename it or change its period. "
    "Archiving it (File menu) only hides it on this laptop."
)
NEW_NOTE = (
    "Its period can be changed here until it is on the central service, which the next sync offers it to; "
    "after that, only the service's administrator can change it."
)


class AssessmentDialog(QDialog):
    saved = Signal(object)  # the AssessmentRow as now saved

    def __init__(self, state: AppState, row: AssessmentRow | None, parent: QWidget | None = None, *, name: str = "") -> None:
        """The details of row; with no row, a new assessment (named `name` so far) to start."""
        super().__init__(parent)
        self._state, self._row = state, row
        self.setWindowTitle("Assessment details" if row else "New assessment")
        self.name = QLineEdit(row.name if row else name)
        self.name.setAccessibleName("Assessment name")
        self.start = self._date("First day", row.period_start if row else None)
        self.end = self._date("Last day", row.period_end if row else None)
        dates = QHBoxLayout()
        for widget in (self.start, QLabel("to"), self.end):
            dates.addWidget(widget)
        period = QLabel("&Period (leave both empty for none)")
        period.setBuddy(self.start)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow(period, dates)
        if row is None:
            note = NEW_NOTE
        else:
            note = MANAGED_NOTE if row.on_service else "On this laptop only: the next sync offers it as it stands here."
        self.note = QLabel(note)
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
        if row is None:
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Start assessment")
            # A name typed already (Enter in the list's box): the period is what is left to type.
            (self.start if name.strip() else self.name).setFocus()
        editable = row is None or not row.on_service
        self.name.setReadOnly(not editable)
        for edit in (self.start, self.end):
            edit.setReadOnly(not editable)
            edit.calendar_action.setEnabled(editable)
        if not editable:  # nothing to save: a Close button says so
            self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    def _date(self, name: str, iso: str | None) -> WhenEdit:
        edit = WhenEdit(when_text(iso), name)
        # A period is days: the editor's date-and-time examples were cut off here and offered a time.
        edit.setPlaceholderText(day_hint())
        return edit

    def period(self) -> tuple[str | None, str | None]:
        """The days typed, as the vault keeps them; raises UnreadableDate saying which and how."""
        return _day(self.start.text(), "First day"), _day(self.end.text(), "Last day")

    def accept(self) -> None:
        """Save what changed on the vault worker; the dialog closes once it is saved."""
        if self._row is not None and self._row.on_service:
            super().accept()
            return
        try:
            period = self.period()
        except UnreadableDate as exc:
            self.status.setText(str(exc))
            return
        row, name = self._row, self.name.text().strip()

        if not name:
            self.status.setText("Give the assessment a name (the integrated care system's name).")
            return

        def save(vault: Any) -> Done[AssessmentRow]:
            assert row is not None
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
        op = VaultOp(self._state, save, initiator=self) if row is not None else assessment_ops.create_assessment(self._state, name, period, initiator=self)
        op.success(self._on_saved).failure(self._on_failed).run_in_background()

    def _on_saved(self, done: Done[AssessmentRow]) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(done.value)
        super().accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.status.setText(message_for(exc))


def _day(text: str, label: str) -> str | None:
    """A typed day as an ISO date (a time typed with it is not part of a period)."""
    try:
        kept = read_when(text)
    except UnreadableDate as exc:
        raise UnreadableDate(f"{label}: {exc}") from None
    return kept[:10] if kept else None
