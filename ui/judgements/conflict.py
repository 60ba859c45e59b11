"""A judgement changed in different ways on two laptops, from the judgement view: both versions side
by side as the records' conflicts view shows them (ui/conflicts_view.py: the same comparison, the
same words that differ highlighted, who saved each and when), and the inspector keeps one. Both
versions stay in the judgement's history."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp.errors import NotFound
from fieldapp.readable import moment_words
from fieldapp.signers import Signer, signer_of

from ui.conflicts_view import MIN_WIDTH, Shown, VersionsSideBySide, describe, shown_of


def read_conflict(vault: Any, item_id: str) -> tuple[Shown | None, dict[str, Signer]]:
    """The item's conflict compared, with the signers that name who saved each version; None when
    it is no longer in conflict (on the vault worker)."""
    try:
        conflict = vault.replication.conflict(item_id)
    except NotFound:
        return None, {}
    if len(conflict.heads) < 2:
        return None, {}
    return shown_of(conflict), vault.history.signers()


class JudgementConflictDialog(QDialog):
    keep = Signal(str)  # the revision id of the version to carry on with

    def __init__(self, title: str, parent: QWidget | None = None, *, what: str = "judgement") -> None:
        """what: the item in words ("judgement", "report's texts"), as the title and intro name it."""
        super().__init__(parent)
        self._what = what
        self.setWindowTitle(f"{what[0].upper()}{what[1:]} in conflict")
        self.setMinimumWidth(MIN_WIDTH)
        self.resize(1000, 560)
        layout = QVBoxLayout(self)
        were = "were" if what.endswith("s") else "was"
        intro = QLabel(f"{title}: the {what} {were} changed in different ways on two laptops. Both versions are kept in "
                       "the history; choose the one to carry on with.")  # fmt: skip
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(intro)
        sides = VersionsSideBySide(self._keep)
        self.headings, self.versions, self.keep_buttons = sides.headings, sides.versions, sides.keep_buttons
        layout.addLayout(sides, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Conflict status")
        layout.addWidget(self.status)
        foot = QHBoxLayout()
        foot.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        foot.addWidget(close)
        layout.addLayout(foot)
        self._ids: list[str] = []

    def show_conflict(self, found: tuple[Shown | None, dict[str, Signer]]) -> None:
        shown, signers = found
        if shown is None:
            self._ids = []
            self.status.setText(f"The {self._what} {'are' if self._what.endswith('s') else 'is'} no longer in conflict.")
            for button in self.keep_buttons:
                button.setEnabled(False)
            return
        self._ids = [version.revision_id for version in shown.versions[:2]]
        for column, version in enumerate(shown.versions[:2]):
            who = signer_of(signers, version.device_id).heading()
            self.headings[column].setText(f"Version {column + 1}: {who}\nsaved {moment_words(version.created_at)}")
            self.versions[column].setHtml(describe(version))
        self.status.setText(f"Changed both ways: {', '.join(shown.clashes) or 'the versions'}.")

    def _keep(self, column: int) -> None:
        if column < len(self._ids):
            self.status.setText("Keeping…")
            self.keep.emit(self._ids[column])

    def refused(self, message: str) -> None:
        self.status.setText(f"Not resolved: {message}")
