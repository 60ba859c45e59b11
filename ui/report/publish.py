"""File → Publish report…: the lead inspector freezes the chosen assessment's report as a signed,
immutable published report (fieldapp.published_reports). Asks the day it is published (today by
default), says plainly that it cannot be changed afterwards, publishes on the vault worker, shows a
refusal (a conflict, not the lead) in words, and then offers to export it at once."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget
from shiboken6 import isValid

from fieldapp.dates import show_when
from fieldapp.errors import UnreadableDate

from ui.dates import read_when, when_text
from ui.errors import message_for
from ui.message_lines import message_line
from ui.operations import reports as report_ops
from ui.when_edit import WhenEdit

if TYPE_CHECKING:
    from ui.state import AppState

FROZEN = (
    "A published report is frozen and signed: it cannot be changed afterwards, by you or anyone. It stands on the "
    "scores, rating and evidence as they are now, so check them first; a correction needs a new publication."
)


class PublishDialog(QDialog):
    """Publish one assessment's report; once published, Export it now… asks the window to export it."""

    published = Signal(object)  # (PublishedRow) the report was published
    export_asked = Signal(str)  # (item id) export the published report now

    def __init__(self, state: AppState, assessment_id: str, assessment_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state, self._assessment_id = state, assessment_id
        self.published_id: str | None = None
        self._busy = False  # publishing: it cannot be taken back half-way, so the dialog waits for the answer
        self.setWindowTitle(f"Publish the report of {assessment_name}")
        layout = QVBoxLayout(self)
        warning = self.warning = QLabel(FROZEN)
        warning.setWordWrap(True)
        warning.setAccessibleName("What publishing means")
        layout.addWidget(warning)
        form = QFormLayout()
        self.published_on = WhenEdit(when_text(date.today().isoformat()), "Published on")
        self.published_on.setToolTip("The day the report is published, day first (DD/MM/YYYY)")
        form.addRow("Published &on", self.published_on)
        layout.addLayout(form)
        self.message = message_line("What happened to the publication")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = self.buttons.addButton("&Publish", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setDefault(True)
        self.go.clicked.connect(self.on_go_clicked)
        self.export_now = self.buttons.addButton("&Export it now…", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_now.clicked.connect(self.on_export_now_clicked)
        self.export_now.hide()
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(520, 220)

    def _published_on(self) -> date:
        kept = read_when(self.published_on.text())
        if kept is None:
            raise UnreadableDate("Give the day the report is published.")
        return date.fromisoformat(kept[:10])

    def on_go_clicked(self) -> None:
        try:
            on = self._published_on()
        except UnreadableDate as exc:
            self.message.setText(f"Published on: {exc}")
            self.published_on.setFocus()
            return
        self.message.setText("Publishing the report…")
        self._running(True)
        report_ops.publish(self._state, self._assessment_id, on, initiator=self).success(self._on_published).failure(
            self._on_refused
        ).run_in_background()

    def _running(self, running: bool) -> None:
        self._busy = running
        for usable in (self.go, self.published_on, self.buttons.button(QDialogButtonBox.StandardButton.Cancel)):
            usable.setEnabled(not running)

    def reject(self) -> None:
        if self._busy:
            return
        super().reject()

    def _on_published(self, done: Any) -> None:
        row = done.value
        self.published_id = row.id
        self.published.emit(row)
        if not isValid(self):
            return
        self._running(False)
        self.go.hide()
        self.published_on.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        self.message.setText(f"Published the report of {show_when(row.published_on)} (signed by {row.signed_by}); it stands on "
                             f"{row.cited} signed revisions. Export it now to share it; it can be exported again at any time "
                             "(File → Export report…).")  # fmt: skip
        self.export_now.show()
        self.export_now.setDefault(True)
        self.export_now.setFocus()

    def _on_refused(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self._running(False)
        self.message.setText(f"Not published: {message_for(exc)}")

    def on_export_now_clicked(self) -> None:
        if self.published_id is not None:
            self.export_asked.emit(self.published_id)
            self.accept()
