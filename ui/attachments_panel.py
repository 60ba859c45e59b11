"""A record's attachments: add files (or drop them), preview and open images in the app, export a
copy, remove one (after a confirmation: it is evidence).

Imports stream on the vault worker with progress and a Cancel button. Viewing decrypts into
memory only; the only way out of the vault is the explicit "Export a copy". Removing takes the
file off the record's draft, like any edit: the next revision no longer names it, earlier ones
still do (so Restore in the history brings it back), and its encrypted bytes stay meanwhile.
The actions here are also the window's Record menu entries and the list's right-click menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp.rows import AttachmentRow, Done, RecordRow
from fieldapp.sizes import size_text

from ui.icons import icon
from ui.operations import QueryOp, VaultOp
from ui.operations import attachments as attachment_ops
from ui.state import AppState

ATTACHMENT_ROLE = Qt.ItemDataRole.UserRole
OPEN_TEXT, OPEN_TIP = "O&pen attachment", "Show the image in fieldapp (decrypted into memory only)"
PREVIEW_LIMIT = 25 * 2**20  # larger images are exported, not decrypted into memory for a thumbnail


class _Progress(QObject):
    """Carries progress from the vault worker to the UI thread (a queued signal)."""

    moved = Signal(int, object)  # (bytes done, total bytes or None)


class AttachmentsPanel(QWidget):
    changed = Signal(object)  # the RecordRow with its attachments as now saved

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._record_id: str | None = None
        self._cancel = False
        self._progress = _Progress()
        self._progress.moved.connect(self._on_progress)
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Attachments (drop files here)"))
        self.files = QListWidget()
        self.files.setAccessibleName("Attachments of this record")
        self.files.currentItemChanged.connect(self.on_files_current_changed)
        # Enter or a double-click opens, or says why it cannot (a disabled action would do nothing).
        self.files.itemActivated.connect(lambda _item: self.on_open_triggered())
        layout.addWidget(self.files)
        self.preview = QLabel("")
        self.preview.setAccessibleName("Image preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.preview)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(icon("attach"), "Add files…")
        self.add_button.setAccessibleName("Add files to this record")
        self.add_button.clicked.connect(self.on_add_clicked)
        self.export_button = QPushButton(icon("export"), "Export a copy…")
        self.export_button.setAccessibleName("Export a decrypted copy of the selected attachment")
        self.export_button.clicked.connect(self.on_export_clicked)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Import progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the import")
        self.cancel_button.clicked.connect(self.on_cancel_clicked)
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        self.status = QLabel("")
        self.status.setAccessibleName("Attachment status")
        layout.addWidget(self.status)
        self._build_actions()
        self._show_progress(False)

    def _build_actions(self) -> None:
        self.add_action = QAction(icon("attach"), "&Add attachment…", self)
        self.add_action.triggered.connect(self.on_add_clicked)
        self.open_action = QAction(OPEN_TEXT, self)
        self.open_action.setToolTip(OPEN_TIP)
        self.open_action.triggered.connect(self.on_open_triggered)
        self.export_action = QAction(icon("export"), "&Export a copy…", self)
        self.export_action.triggered.connect(self.on_export_clicked)
        self.remove_action = QAction(icon("remove"), "Re&move attachment…", self)
        self.remove_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # Del in this list only
        self.remove_action.triggered.connect(self.on_remove_triggered)
        self.files.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.files.addActions([self.open_action, self.export_action, self.remove_action])
        self._enable_actions()

    def _enable_actions(self) -> None:
        attachment = self.selected()
        self.add_action.setEnabled(self._record_id is not None and self.add_button.isEnabled())
        self._enable_open(attachment)
        self.export_action.setEnabled(attachment is not None)
        self.remove_action.setEnabled(attachment is not None)

    def _enable_open(self, attachment: AttachmentRow | None) -> None:
        """Open is greyed out only with its reason beside it (in the menu) and in its tooltip."""
        why = cannot_open(attachment)
        self.open_action.setEnabled(why is None)
        self.open_action.setText(f"{OPEN_TEXT} ({why.short})" if why else OPEN_TEXT)
        self.open_action.setToolTip(why.words if why else OPEN_TIP)
        self.open_action.setStatusTip(why.words if why else OPEN_TIP)

    def selected(self) -> AttachmentRow | None:
        current = self.files.currentItem()
        return current.data(ATTACHMENT_ROLE) if current is not None else None

    def set_record(self, record: RecordRow | None) -> None:
        if (record.id if record else None) != self._record_id:
            self.status.setText("")  # what was said about the record left behind goes with it
        self._record_id = record.id if record else None
        self.setEnabled(record is not None)
        self.files.clear()
        self.preview.clear()
        for attachment in record.attachments if record else ():
            item = QListWidgetItem(f"{attachment.name}  ({size_text(attachment.size)})" + ("" if attachment.here else "  — still downloading"))
            item.setData(ATTACHMENT_ROLE, attachment)
            if not attachment.here:
                item.setToolTip(STILL_DOWNLOADING.words)
            self.files.addItem(item)
        self._enable_actions()

    # -- adding ----------------------------------------------------------------------------------

    def on_add_clicked(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, "Add files to this record")
        self.add_paths([Path(p) for p in paths])

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.add_paths([Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()])

    def add_paths(self, paths: list[Path]) -> None:
        """Stream each file into the vault on the worker; progress shows, Cancel stops it."""
        if not paths or self._record_id is None:
            return
        record_id, progress = self._record_id, self._progress
        self._cancel = False
        self._show_progress(True)

        def import_all(vault: Any) -> Done[RecordRow]:
            changes = None
            for path in paths:
                done = vault.attachments.add(
                    record_id, path, progress=lambda n, total: progress.moved.emit(n, total), cancel=lambda: self._cancel
                )
                changes = done.changes if changes is None else changes | done.changes
            assert changes is not None
            return Done(vault.records.get(record_id), changes)

        VaultOp(self._state, import_all, initiator=self).success(self._on_imported).failure(self._on_failed).run_in_background()

    def on_cancel_clicked(self) -> None:
        self._cancel = True  # read between chunks on the worker; nothing partial is kept

    def _on_progress(self, done: int, total: object) -> None:
        if isinstance(total, int) and total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(done * 1000 / total))
        else:
            self.progress.setRange(0, 0)

    def _on_imported(self, done: Done[RecordRow]) -> None:
        self._show_progress(False)
        self.status.setText("Added and encrypted.")
        if done.value.id == self._record_id:
            self.set_record(done.value)
            self.changed.emit(done.value)

    def _on_failed(self, exc: BaseException) -> None:
        from ui.errors import message_for

        self._show_progress(False)
        self.status.setText(message_for(exc))

    def _show_progress(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.add_button.setEnabled(not busy)
        self._enable_actions()
        if busy:
            self.progress.setRange(0, 0)
            self.status.setText("Adding…")

    # -- viewing and exporting --------------------------------------------------------------------

    def on_files_current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        self.preview.clear()
        self._enable_actions()
        attachment: AttachmentRow | None = current.data(ATTACHMENT_ROLE) if current else None
        if attachment is not None and not attachment.here:
            self.status.setText(STILL_DOWNLOADING.words)  # no preview to wait for
            return
        if attachment is None or not _viewable(attachment):
            return
        attachment_ops.read_bytes(self._state, attachment).success(
            lambda data: self._show_preview(attachment.id, data)
        ).failure(self._on_failed).run_in_background()

    def _show_preview(self, attachment_id: str, data: bytes) -> None:
        current = self.files.currentItem()
        if current is None or current.data(ATTACHMENT_ROLE).id != attachment_id:
            return
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self.preview.setPixmap(pixmap.scaled(320, 240, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def on_open_triggered(self) -> None:
        """An image opens in a window of its own, decrypted into memory; other files are exported."""
        attachment = self.selected()
        why = cannot_open(attachment)
        if why is not None or attachment is None:
            self.status.setText(why.words if why else "")
            return
        attachment_ops.read_bytes(self._state, attachment).success(
            lambda data: self._open_viewer(attachment, data)
        ).failure(self._on_failed).run_in_background()

    def _open_viewer(self, attachment: AttachmentRow, data: bytes) -> None:
        pixmap = QPixmap()
        if not pixmap.loadFromData(data):
            self.status.setText(f"“{attachment.name}” is not an image fieldapp can show; use Export a copy….")
            return
        self.viewer = ImageViewer(attachment.name, pixmap, self)
        self.viewer.show()

    def on_remove_triggered(self) -> None:
        """Ask first (it is evidence); remove only on a clear yes."""
        attachment = self.selected()
        if attachment is None or self._record_id is None:
            self.status.setText("Select an attachment to remove.")
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove attachment", f"Remove “{attachment.name}” from this record?", parent=self)
        box.setInformativeText(
            "It is evidence. The record's earlier versions keep it: Restore in the record's history brings it back."
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))  # Enter keeps the file
        box.finished.connect(lambda _result: self.remove(attachment) if box.clickedButton() is remove else None)
        self.confirm = box
        box.open()

    def remove(self, attachment: AttachmentRow) -> None:
        """Take the attachment off its record (a change to the draft, synced like any edit)."""

        def remove_then_reload(vault: Any) -> Done[RecordRow]:
            changes = vault.attachments.remove(attachment.id, record_id=attachment.record_id).changes
            return Done(vault.records.get(attachment.record_id), changes)

        VaultOp(self._state, remove_then_reload, initiator=self).success(
            lambda done: self._on_removed(attachment, done)
        ).failure(self._on_failed).run_in_background()

    def _on_removed(self, attachment: AttachmentRow, done: Done[RecordRow]) -> None:
        self.status.setText(f"Removed “{attachment.name}”. The record's history still has it.")
        if done.value.id == self._record_id:
            self.set_record(done.value)
            self.changed.emit(done.value)

    def on_export_clicked(self) -> None:
        current = self.files.currentItem()
        if current is None:
            self.status.setText("Select an attachment to export.")
            return
        attachment: AttachmentRow = current.data(ATTACHMENT_ROLE)
        target, _filter = QFileDialog.getSaveFileName(self, "Export a decrypted copy", attachment.name)
        if target:
            self.export_to(attachment, Path(target))

    def export_to(self, attachment: AttachmentRow, target: Path) -> None:
        """Decrypt a copy to a place the inspector chose; a failed check leaves no partial file."""

        def export(vault: Any) -> Path:
            return vault.attachments.export(attachment.id, target, record_id=attachment.record_id)

        QueryOp(self._state, export).success(lambda path: self.status.setText(f"Exported a copy to {path}.")).failure(
            self._on_failed
        ).run_in_background()


class ImageViewer(QDialog):
    """An attached image, as large as the screen allows; it exists in memory only."""

    def __init__(self, name: str, pixmap: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(name)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.image = QLabel()
        self.image.setAccessibleName(f"The image {name}")
        self.image.setPixmap(pixmap)
        area = QScrollArea()
        area.setWidget(self.image)
        area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(area)
        self.resize(min(pixmap.width() + 40, 1200), min(pixmap.height() + 40, 800))


def _viewable(attachment: AttachmentRow) -> bool:
    return attachment.media_type.startswith("image/") and attachment.size <= PREVIEW_LIMIT


@dataclass(frozen=True)
class Unavailable:
    """Why an attachment cannot be opened: a few words for beside the menu entry, and the whole reason."""

    short: str
    words: str


CHOOSE_FIRST = Unavailable("choose one first", "Choose an attachment in the list first.")
STILL_DOWNLOADING = Unavailable(
    "still downloading", "Still downloading: this file arrives with the next sync (its record is here already)."
)
NOT_AN_IMAGE = Unavailable("not an image", "Only images open inside fieldapp; use Export a copy… to open this file in another program.")
TOO_LARGE = Unavailable(
    "too large", f"Too large to show inside fieldapp (over {size_text(PREVIEW_LIMIT)}); use Export a copy… to open it in another program."
)


def cannot_open(attachment: AttachmentRow | None) -> Unavailable | None:
    """Why Open attachment cannot act on this attachment, or None when it can."""
    if attachment is None:
        return CHOOSE_FIRST
    if not attachment.here:
        return STILL_DOWNLOADING
    if not attachment.media_type.startswith("image/"):
        return NOT_AN_IMAGE
    if attachment.size > PREVIEW_LIMIT:
        return TOO_LARGE
    return None

