"""'Record deleted — Undo' in the status bar: an undo offered for a while, then withdrawn.

Deleting asks nothing: it happens at once and the bar offers the way back, with Ctrl+Z (Edit →
Undo) while it shows. After that the record is still restorable from Record → Deleted records.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

UNDO_FOR_MS = 30_000


class UndoBar(QWidget):
    """Shows what was done and an Undo button bound to `action`, which is enabled only meanwhile."""

    def __init__(self, action: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action = action
        self._undo: Callable[[], None] | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel("")
        self.text.setAccessibleName("What can be undone")
        layout.addWidget(self.text)
        self.button = QToolButton()
        self.button.setText("Undo")
        self.button.setAccessibleName("Undo")
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.clicked.connect(self.undo)
        layout.addWidget(self.button)
        self._timer = QTimer(self, singleShot=True, interval=UNDO_FOR_MS)
        self._timer.timeout.connect(self.withdraw)
        action.triggered.connect(self.undo)
        self.withdraw()

    def offer(self, text: str, undo: Callable[[], None], *, label: str) -> None:
        """Show text with Undo; undo() runs if asked before the time is up. label names it in the menu."""
        self._undo = undo
        self.text.setText(text)
        self.button.setToolTip(f"{label} ({self.action.shortcut().toString()})")
        self.action.setText(f"&Undo {label[0].lower()}{label[1:]}")
        self.action.setEnabled(True)
        self.show()
        self._timer.start()

    def undo(self) -> None:
        undo, self._undo = self._undo, None
        self.withdraw()
        if undo is not None:
            undo()

    def withdraw(self) -> None:
        self._undo = None
        self._timer.stop()
        self.hide()
        self.action.setEnabled(False)
        self.action.setText("&Undo")
