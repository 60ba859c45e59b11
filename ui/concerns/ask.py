"""The quiet ask (issue 15): after a passage is tagged People's experience, a line in the editor asks
"Does this describe poor experience of care?" with Raise a concern… and No. Not a dialog: it never takes
the focus from the text, typing goes on, and it is asked once per tag (the vault keeps that it was)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from fieldapp.rows import LinkRow

from ui.message_lines import message_line

QUESTION = "Does this describe poor experience of care?"


class AskLine(QWidget):
    raise_requested = Signal(object)  # the LinkRow asked about
    answered_no = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.link: LinkRow | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.question = message_line("Poor experience of care?", selectable=False)
        layout.addWidget(self.question, 1)
        self.raise_button = QPushButton("Raise a concern…")
        self.raise_button.setAccessibleName("Raise a concern about this passage")
        self.raise_button.clicked.connect(self._raise)
        self.no_button = QPushButton("No")
        self.no_button.setAccessibleName("No, it does not describe poor experience of care")
        self.no_button.clicked.connect(self._no)
        layout.addWidget(self.raise_button)
        layout.addWidget(self.no_button)
        self.hide()

    def ask(self, link: LinkRow) -> None:
        """Show the question about this tag, without taking the focus from where the inspector types."""
        self.link = link
        words = f" (“{_short(link.passage.text)}”)" if link.passage is not None else ""
        self.question.setText(f"{QUESTION}{words}")
        self.show()

    def clear(self) -> None:
        self.link = None
        self.question.setText("")
        self.hide()

    def _raise(self) -> None:
        link = self.link
        self.clear()
        if link is not None:
            self.raise_requested.emit(link)

    def _no(self) -> None:
        self.clear()
        self.answered_no.emit()


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"
