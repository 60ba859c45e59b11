"""A record's history: its revisions, newest first by when each was saved, with what each changed,
who saved it, on which laptop, and when; restore one as new, after saying what would change."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout, QWidget

from fieldapp.history import HistoryEntry
from fieldapp.readable import moment_words
from fieldapp.rows import RecordRow, RevisionRow
from fieldapp.signers import Signer, signer_of

from ui.errors import message_for
from ui.icons import icon
from ui.operations import history as history_ops
from ui.state import AppState

REVISION_ROLE = Qt.ItemDataRole.UserRole
WHEN_ROLE = Qt.ItemDataRole.UserRole + 1  # when it was saved, as the line says it


class HistoryPanel(QWidget):
    restored = Signal(object)  # the RecordRow after the restore
    restored_from = Signal(object, str)  # (the RecordRow after the restore, the revision it replaced): to undo it

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._record_id: str | None = None
        self.confirm: QMessageBox | None = None  # the question before a restore, while it is asked
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("History"))
        self.revisions = QListWidget()
        self.revisions.setAccessibleName("Revisions of this record, newest first")
        # Lines wrap to the pane's width rather than run off its right edge (sideways scrolling
        # to read who saved a version is no way to read a history).
        self.revisions.setWordWrap(True)
        self.revisions.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.revisions.setResizeMode(QListView.ResizeMode.Adjust)
        self.revisions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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
        history_ops.entries(self._state, record_id).success(
            lambda result: self._show(record_id, *result)
        ).run_in_background()

    def _show(self, record_id: str, signers: dict[str, Signer], entries: tuple[HistoryEntry, ...]) -> None:
        if record_id != self._record_id:
            return
        self.revisions.clear()
        lines = [_line(entry, signer_of(signers, entry.revision.device_id)) for entry in entries]
        for index, entry in enumerate(entries):
            text = lines[index]
            # Two versions alike in every word shown (same change, laptop and minute) tell apart by their seconds.
            if text in (lines[index - 1] if index else None, lines[index + 1] if index + 1 < len(lines) else None):
                text = _line(entry, signer_of(signers, entry.revision.device_id), seconds=True)
            item = QListWidgetItem(text)
            item.setData(REVISION_ROLE, entry.revision.id)
            item.setData(WHEN_ROLE, text.split(" · ", 1)[0])
            # The id stays within reach (a colleague or the service's admin may ask for it), out of the way.
            item.setToolTip(f"{text}\n" + ("Not synced yet. " if not entry.revision.pushed else "") + f"Revision {entry.revision.id}")
            self.revisions.addItem(item)
        self.restore.setEnabled(self.revisions.count() > 1)

    def on_restore_clicked(self) -> None:
        """Ask first, saying what would change (read on the vault worker)."""
        item = self.revisions.currentItem()
        if item is None or self._record_id is None:
            return
        record_id, revision_id, when = self._record_id, item.data(REVISION_ROLE), item.data(WHEN_ROLE)
        history_ops.changes_back_to(self._state, record_id, revision_id).success(
            lambda change: self._ask(record_id, revision_id, when, change)
        ).run_in_background()

    def _ask(self, record_id: str, revision_id: str, when: str, change: str) -> None:
        if record_id != self._record_id:
            return  # another record is open now
        box = QMessageBox(QMessageBox.Icon.Question, "Restore an earlier version", f"Restore the version saved {when}?", parent=self)
        box.setInformativeText(
            f"What changes: {change}. It is saved as a new version; the version you have now stays in the history."
            if change != "Nothing would change"
            else "It holds the same as the latest version: nothing would change."
        )
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))  # Enter keeps the record as it is
        box.finished.connect(lambda _result: self.restore_version(record_id, revision_id) if box.clickedButton() is restore else None)
        self.confirm = box
        box.open()

    def restore_version(self, record_id: str, revision_id: str, *, undoable: bool = True) -> None:
        """Bring revision_id's content back as a new revision (Restore, and its Undo, which is not
        itself offered for undoing)."""
        history_ops.restore(self._state, record_id, revision_id, initiator=self).success(lambda done: self._on_restored(*done.value, undoable=undoable)).failure(
            self._on_restore_failed
        ).run_in_background()

    def _on_restored(self, record: RecordRow, replaced: str, *, undoable: bool) -> None:
        self.restored.emit(record)
        if undoable:
            self.restored_from.emit(record, replaced)

    def _on_restore_failed(self, exc: BaseException) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Restore an earlier version", f"That version could not be restored. {message_for(exc)}", parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def _line(entry: HistoryEntry, signer: Signer, *, seconds: bool = False) -> str:
    """'Sat 21 Nov 2026, 14:30 · Notes edited · saved by you, on this laptop'."""
    when = moment_words(entry.revision.created_at)
    if seconds:
        when += _seconds(entry.revision.created_at)
    return f"{when} · {entry.change} · {_what(entry.revision, signer)}"


def _seconds(iso: str) -> str:
    try:
        return f":{datetime.fromisoformat(iso.replace('Z', '+00:00')).second:02d}"
    except ValueError:
        return ""


def _what(revision: RevisionRow, signer: Signer) -> str:
    """'saved by Amara Okafor, on ‘Amara's laptop’'; 'merged by itself (both versions kept)'."""
    if signer.automatic:
        return "merged by itself (both versions kept)"
    return f"{'deleted' if revision.deleted else 'saved'} by {signer.words()}"
