"""A message line: a label for words the app says (a save status, a note beside a field, a roll-up
line) that wraps rather than widening its pane however long it grows, and shows its text as typed,
never as markup (messages quote what people typed)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy


def message_line(accessible_name: str, *, selectable: bool = True) -> QLabel:
    label = QLabel("")
    label.setAccessibleName(accessible_name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def conflict_line(layout: QBoxLayout, what: str) -> tuple[QLabel, QPushButton]:
    """A line saying that two versions collide, with "See both versions…" beside it, both hidden until
    there is a conflict to show; what names the item ("the judgement", "the report's texts")."""
    row = QHBoxLayout()
    line = message_line("Conflict")
    button = QPushButton("See &both versions…")
    button.setAccessibleName(f"See both versions of {what} side by side")
    row.addWidget(line, 1)
    row.addWidget(button)
    layout.addLayout(row)
    line.hide()
    button.hide()
    return line, button
