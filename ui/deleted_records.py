"""Record → Deleted records: an assessment's deleted records, any of which can be brought back.

A delete is a tombstone revision, so nothing is lost: Restore cuts a new revision with the record's
last content, tags and attachments, and every laptop that syncs takes the record back too.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from fieldapp.domain import KIND_LABELS
from fieldapp.history import DeletedRecord
from fieldapp.rows import Done, RecordRow

from ui.errors import message_for
from ui.icons import icon
from ui.operations import history as history_ops
from ui.state import AppState

RECORD_ROLE = Qt.ItemDataRole.UserRole


class DeletedRecordsDialog(QDialog):
    restored = Signal(object)  # the RecordRow brought back

    def __init__(self, state: AppState, assessment_id: str, assessment_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state, self._assessment_id = state, assessment_id
        self.setWindowTitle(f"Deleted records — {assessment_name}")
        self.resize(520, 400)
        self.records = QListWidget()
        self.records.setAccessibleName("Deleted records, most recently deleted first")
        self.records.currentItemChanged.connect(lambda *_args: self._enable())
        # Enter reaches the dialog's default button (Restore) by itself; a double-click restores too.
        # (Not itemActivated: Enter would restore twice, and a single click activates on some desktops.)
        self.records.itemDoubleClicked.connect(lambda _item: self.on_restore_clicked())
        self.restore = QPushButton(icon("history"), "&Restore")
        self.restore.setAccessibleName("Restore the selected record")
        self.restore.clicked.connect(self.on_restore_clicked)
        self.status = QLabel("")
        self.status.setAccessibleName("Deleted records status")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.restore, QDialogButtonBox.ButtonRole.ActionRole)
        # Enter restores the selected record, and Escape closes: Close is never the default, and no
        # button becomes it by taking the focus (Qt's auto-default).
        for button in buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Deleted records keep their history. Restore brings one back as it was when it was deleted."))
        layout.addWidget(self.records)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._enable()

    def load(self, note: str = "") -> None:
        """List the deleted records (again); note: what to say above the list once it shows."""
        assessment_id = self._assessment_id
        history_ops.deleted_records(self._state, assessment_id).success(
            lambda result: self._show(*result, note=note)
        ).run_in_background()

    def _show(self, device_id: str, rows: tuple[DeletedRecord, ...], *, note: str = "") -> None:
        self.records.clear()
        for row in rows:
            when = datetime.fromisoformat(row.deleted_at.replace("Z", "+00:00")).astimezone().strftime("%d/%m/%Y %H:%M")
            where = "on this laptop" if row.device_id == device_id else "on another device"
            item = QListWidgetItem(f"{row.title} · {KIND_LABELS.get(row.kind, row.kind)} · deleted {when} {where}")
            item.setData(RECORD_ROLE, row.id)
            self.records.addItem(item)
        if rows:
            self.records.setCurrentRow(0)
        self.status.setText(" ".join(filter(None, (note, "" if rows else "No deleted records in this assessment."))))
        self._enable()

    def _enable(self) -> None:
        selected = self.records.currentItem() is not None
        self.restore.setEnabled(selected)
        self.restore.setDefault(selected)

    def on_restore_clicked(self) -> None:
        item = self.records.currentItem()
        if item is None:
            return
        record_id = item.data(RECORD_ROLE)
        self.restore.setEnabled(False)
        history_ops.restore_deleted(self._state, record_id, initiator=self).success(
            self._on_restored
        ).failure(self._on_failed).run_in_background()

    def _on_failed(self, exc: BaseException) -> None:
        self.status.setText(message_for(exc))
        self._enable()

    def _on_restored(self, done: Done[RecordRow]) -> None:
        self.restored.emit(done.value)
        self.load(note=f"Restored “{done.value.title}”.")
