"""A record's history: its revisions, with who saved each, on which laptop, and when; restore one as new."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from fieldapp.readable import moment_words
from fieldapp.rows import RecordRow, RevisionRow
from fieldapp.signers import Signer, signer_of

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
        QueryOp(self._state, lambda vault: (vault.history.signers(), vault.history.revisions(record_id))).success(
            lambda result: self._show(record_id, *result)
        ).run_in_background()

    def _show(self, record_id: str, signers: dict[str, Signer], revisions: tuple[RevisionRow, ...]) -> None:
        if record_id != self._record_id:
            return
        self.revisions.clear()
        for revision in reversed(revisions):
            item = QListWidgetItem(f"{moment_words(revision.created_at)} · {_what(revision, signer_of(signers, revision.device_id))}")
            item.setData(REVISION_ROLE, revision.id)
            # The id stays within reach (a colleague or the service's admin may ask for it), out of the way.
            item.setToolTip(("Not synced yet. " if not revision.pushed else "") + f"Revision {revision.id}")
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


def _what(revision: RevisionRow, signer: Signer) -> str:
    """'saved by Amara Okafor, on ‘Amara's laptop’'; 'merged by itself (both versions kept)'."""
    if signer.automatic:
        return "merged by itself (both versions kept)"
    return f"{'deleted' if revision.deleted else 'saved'} by {signer.words()}"
