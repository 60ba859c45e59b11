"""A combo box that a mouse wheel scrolls past instead of changing.

Qt's combo box takes a wheel turn as a choice even when it is not focused, so scrolling a form or
the judgements' roll-up with the pointer passing over one changed a score, a record's field or the
whole assessment's scoring rules without a word. Here the wheel goes on to the scroll area; the
keys and the list (a click, Alt+Down, F4) choose as before.
"""

from __future__ import annotations

from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox


class WheelSafeComboBox(QComboBox):
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        event.ignore()  # the parent (a scroll area) scrolls
