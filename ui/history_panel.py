"""A record's history: its revisions, with which device made each and when; restore one as new."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from fieldapp.rows import RecordRow, RevisionRow

from ui.icons import icon
from ui.operations import QueryOp, VaultOp
from ui.state import AppState

REVISION_ROLE = Qt.ItemDataRole.UserRole


class HistoryPanel(QWidget):
    restored = Signal(object)  # the RecordRow after the restore

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._record_id: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("History"))
        self.revisions = QListWidget()
        self.revisions.setAccessibleName("Revisions of this record, newest first")
        layout.addWidget(self.revisions)
        self.restore = QPushButton(icon("history"), "Restore this version")
        self.restore.setAccessibleName("Restore the selected version as a new revision")
        self.restore.clicked.connect(self.on_restore_clicked)
        layout.addWidget(self.restore)

    def set_record(self, record: RecordRow | None) -> None:
        self._record_id = record.id if record else None
        self.revisions.clear()
        self.setEnabled(record is not None)
        if record is None:
            return
        record_id = record.id
        QueryOp(self._state, lambda vault: (vault.device_id, vault.history.revisions(record_id))).success(
            lambda result: self._show(record_id, *result)
        ).run_in_background()

    def _show(self, record_id: str, device_id: str, revisions: tuple[RevisionRow, ...]) -> None:
        if record_id != self._record_id:
            return
        self.revisions.clear()
        for revision in reversed(revisions):
            who = "this device" if revision.device_id == device_id else f"device {revision.device_id[:8]}"
            when = datetime.fromisoformat(revision.created_at.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
            kind = "deleted" if revision.deleted else "saved"
            item = QListWidgetItem(f"{when} · {kind} on {who} · {revision.id[:10]}")
            item.setData(REVISION_ROLE, revision.id)
            item.setToolTip(f"Revision {revision.id}" + (" (waiting to sync)" if not revision.pushed else ""))
            self.revisions.addItem(item)
        self.restore.setEnabled(self.revisions.count() > 1)

    def on_restore_clicked(self) -> None:
        item = self.revisions.currentItem()
        if item is None or self._record_id is None:
            return
        record_id, revision_id = self._record_id, item.data(REVISION_ROLE)
        VaultOp(self._state, lambda vault: vault.history.restore(record_id, revision_id), initiator=self).success(
            lambda done: self.restored.emit(done.value)
        ).run_in_background()
