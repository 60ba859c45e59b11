"""A notice line above the window's panes for what a sync says only once (a name the service's team
did not keep): it stays, with later notices added under it, until the inspector dismisses it. The
sync status's details are rewritten at every refresh, so words said once cannot live there."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton

from ui.message_lines import message_line


class NoticeBar(QFrame):
    """Hidden until there is a notice; Dismiss clears every notice shown."""

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.notices: list[str] = []
        layout = QHBoxLayout(self)
        self.text = message_line("Notice from the last sync")
        layout.addWidget(self.text, 1)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setAccessibleName("Dismiss the notice")
        self.dismiss_button.setAutoDefault(False)
        self.dismiss_button.clicked.connect(self.dismiss)
        layout.addWidget(self.dismiss_button)
        self.hide()

    def add(self, notices: Iterable[str]) -> None:
        """Show these beside any not dismissed yet (the same words twice show once)."""
        fresh = [words for words in notices if words not in self.notices]
        if not fresh:
            return
        self.notices += fresh
        self.text.setText("\n".join(self.notices))
        self.show()

    def dismiss(self) -> None:
        self.notices = []
        self.text.setText("")
        self.hide()
