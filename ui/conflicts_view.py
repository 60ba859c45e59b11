"""Records in conflict, each shown as its versions side by side as people read them, with the words
that differ highlighted and what collides marked; the inspector keeps one version, or merges by
hand in the editor and marks the record merged.

The window is not modal and keeps clear of the editor it asks you to merge in: beside the main
window when the screen has room, else over the main window's lists, never over its editor.
Resolving writes a revision whose parents are every version, so all of them stay in the history.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fieldapp import domain
from fieldapp.compare import FieldSide, Version, collision_words, compare
from fieldapp.readable import moment_words
from fieldapp.signers import Signer, signer_of

from ui.operations import QueryOp
from ui.operations import sync as sync_ops
from ui.theme import colors

if TYPE_CHECKING:
    from fieldapp.replication.settle import Conflict

    from ui.state import AppState

MIN_WIDTH = 760  # two versions side by side, each still a readable column
GAP = 12  # pixels kept between this window and the editor (window frames overhang a little)


@dataclass(frozen=True)
class Shown:
    """One conflict as the view shows it, prepared on the vault worker."""

    conflict: Conflict
    versions: tuple[Version, ...]
    clashes: tuple[str, ...]  # what collides, as the editor names the fields
    item: bool = False  # a judgement or rating: one version is kept (it has no editor to merge in)


def shown_of(conflict: Conflict) -> Shown:
    """One conflict with its versions compared (on the worker: a long note's diff takes a while)."""
    heads = conflict.heads[:2]
    body = heads[0].fields()
    clashes = tuple(dict.fromkeys(collision_words(c.path, body) for c in conflict.collisions))
    return Shown(conflict, compare(heads, [c.path for c in conflict.collisions]), clashes, domain.is_item(str(body.get("kind", ""))))


def read_conflicts(vault: Any) -> tuple[list[Shown], dict[str, Signer]]:
    """Every conflict with its versions compared."""
    return [shown_of(conflict) for conflict in vault.replication.conflicts()], vault.history.signers()


class VersionsSideBySide(QGridLayout):
    """Two versions side by side, each with a heading (who saved it, when), its words, and a Keep
    button (Alt+1, Alt+2): the records' conflicts and a judgement's show them alike."""

    def __init__(self, keep: Callable[[int], None]) -> None:
        super().__init__()
        self.headings: list[QLabel] = []
        self.versions: list[QTextBrowser] = []
        self.keep_buttons: list[QPushButton] = []
        for column in range(2):
            heading = QLabel("")
            heading.setTextFormat(Qt.TextFormat.PlainText)  # names come from the service: never markup
            heading.setWordWrap(True)
            heading.setAccessibleName(f"Version {column + 1} heading")
            view = QTextBrowser()
            view.setAccessibleName(f"Version {column + 1}")
            button = QPushButton(f"Keep version &{column + 1}")
            button.setAccessibleName(f"Keep version {column + 1}")
            button.clicked.connect(lambda _checked=False, c=column: keep(c))
            self.addWidget(heading, 0, column)
            self.addWidget(view, 1, column)
            self.addWidget(button, 2, column)
            self.headings.append(heading)
            self.versions.append(view)
            self.keep_buttons.append(button)


class ConflictsDialog(QDialog):
    open_record = Signal(str)  # a record id: merge it by hand in the editor

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Saves what an editor holds before a merge is marked: True when saved or on its way.
        self.save_editor: Callable[[], bool] = lambda: True
        self._state = state
        self._shown: list[Shown] = []
        self._signers: dict[str, Signer] = {}
        self._placed = False
        self.setModal(False)  # the editor stays usable: merging by hand happens there
        self.setWindowTitle("Records in conflict")
        self.setMinimumWidth(MIN_WIDTH)
        self.resize(1000, 640)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "These records were changed in different ways on two laptops. Both versions are kept in the "
            "history; choose the one to carry on with, or merge them by hand in the editor."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.records = QListWidget()
        self.records.setAccessibleName("Records in conflict")
        self.records.setMaximumHeight(72)  # a few records at a time; the versions need the room
        self.records.currentRowChanged.connect(self.on_records_current_changed)
        layout.addWidget(self.records)
        sides = VersionsSideBySide(self.keep)
        self.headings, self.versions, self.keep_buttons = sides.headings, sides.versions, sides.keep_buttons
        layout.addLayout(sides, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Conflict status")
        layout.addWidget(self.status)
        hand = QHBoxLayout()
        self.edit_button = QPushButton("&Edit it to merge by hand")
        self.edit_button.setAccessibleName("Open the record in the editor to merge by hand")
        self.edit_button.clicked.connect(self.on_edit_clicked)
        self.merged_button = QPushButton("&Mark merged (keep the editor's text)")
        self.merged_button.setAccessibleName("Mark the record merged, keeping the editor's text")
        self.merged_button.clicked.connect(self.on_merged_clicked)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        for button in (self.edit_button, self.merged_button):
            hand.addWidget(button)
        hand.addStretch(1)
        hand.addWidget(close)
        layout.addLayout(hand)

    # -- where it opens ---------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        if not self._placed:
            self._placed = True
            place = self.placement()
            if place is not None:
                self.setGeometry(place)
        super().showEvent(event)

    def placement(self) -> QRect | None:
        """Where to open, keeping the main window's editor in sight; None: where Qt puts it."""
        main = self.parentWidget().window() if self.parentWidget() is not None else None
        if main is None or main.screen() is None:
            return None
        screen, frame = main.screen().availableGeometry(), main.frameGeometry()
        # A wide screen has room beside the main window: the whole main window stays in sight.
        right, left = screen.right() - frame.right() - GAP, frame.left() - screen.left() - GAP
        if max(right, left) >= MIN_WIDTH:
            x = frame.right() + GAP if right >= left else screen.left()
            return QRect(x, frame.top(), min(max(right, left), self.width()), frame.height())
        # Else over the lists on the main window's left, up to where its editor begins.
        editor = getattr(main, "editor", None)  # MainWindow.editor: the record editor
        if not isinstance(editor, QWidget):
            return None
        editor_left = editor.mapToGlobal(QPoint(0, 0)).x()
        width = editor_left - frame.left() - GAP
        if width < MIN_WIDTH:
            return None  # too narrow a window to keep clear of: Qt's place, and it can be moved
        return QRect(frame.left(), frame.top(), width, frame.height())

    # -- showing the conflicts --------------------------------------------------------------------

    def load(self) -> None:
        QueryOp(self._state, read_conflicts).success(self._show).run_in_background()

    def _show(self, result: tuple[list[Shown], dict[str, Signer]]) -> None:
        self._shown, self._signers = result
        current = self.records.currentRow()
        self.records.clear()
        for shown in self._shown:
            self.records.addItem(QListWidgetItem(shown.conflict.title or "Untitled record"))
        for widget in (*self.keep_buttons, self.edit_button, self.merged_button):
            widget.setEnabled(bool(self._shown))
        if not self._shown:
            for view, heading in zip(self.versions, self.headings):
                view.setHtml("")
                heading.setText("")
            self.status.setText("No records are in conflict.")
            return
        self.records.setCurrentRow(min(max(current, 0), len(self._shown) - 1))

    def on_records_current_changed(self, row: int) -> None:
        if not 0 <= row < len(self._shown):
            return
        shown = self._shown[row]
        for column, (view, heading) in enumerate(zip(self.versions, self.headings)):
            if column >= len(shown.versions):
                view.setHtml("")
                heading.setText("")
                continue
            version = shown.versions[column]
            who = signer_of(self._signers, version.device_id).heading()
            heading.setText(f"Version {column + 1}: {who}\nsaved {moment_words(version.created_at)}")
            view.setHtml(describe(version))
        for button in (self.edit_button, self.merged_button):
            button.setEnabled(not shown.item)  # a judgement or rating has no editor here: keep one (View → Judgements shows it)
        self.status.setText(f"Changed both ways: {', '.join(shown.clashes) or 'the versions'}.")

    def _current(self) -> Conflict | None:
        row = self.records.currentRow()
        return self._shown[row].conflict if 0 <= row < len(self._shown) else None

    # -- resolving --------------------------------------------------------------------------------

    def keep(self, column: int) -> None:
        conflict = self._current()
        if conflict is None or column >= len(conflict.heads):
            return
        record_id, take = conflict.record_id, conflict.heads[column].id
        resolve = sync_ops.resolve_item if self._shown[self.records.currentRow()].item else sync_ops.resolve
        resolve(self._state, record_id, take=take, initiator=self).success(
            lambda _done: self._resolved(f"Kept version {column + 1}; the other stays in the history.")
        ).run_in_background()

    def on_edit_clicked(self) -> None:
        conflict = self._current()
        if conflict is not None:
            self.open_record.emit(conflict.record_id)
            self.status.setText("Edit the record in the main window's editor, then come back and mark it merged.")

    def on_merged_clicked(self) -> None:
        conflict = self._current()
        if conflict is None:
            return
        record_id = conflict.record_id
        # The hand merge may still be in the editor, waiting for its autosave: that save is queued
        # now, so the vault worker runs it before the resolve below. A form that cannot be saved
        # (a date it cannot read, say) would leave the merge with the text saved before: refuse.
        if not self.save_editor():
            self.status.setText("The editor holds something that cannot be saved yet (it says what); correct it, then mark it merged.")
            return
        sync_ops.resolve(self._state, record_id, initiator=self).success(
            lambda _done: self._resolved("Marked merged with the editor's text; both versions stay in the history.")
        ).run_in_background()

    def _resolved(self, message: str) -> None:
        self.load()
        self.status.setText(message)


def describe(version: Version) -> str:
    """A version as readable HTML: every field, the words that differ from the other version
    highlighted, and what collides marked."""
    if version.deleted:
        return "<p><b>This version deletes the record.</b></p>"
    changed = colors().changed
    rows = "".join(_row(field, changed) for field in version.fields)
    return f"<table cellpadding='3'>{rows}</table>"


def _row(field: FieldSide, changed: str) -> str:
    mark = "<br><b>⚠ changed both ways</b>" if field.collides else ""
    words = "".join(
        f"<span style='background-color:{changed}'>{_html(span.text)}</span>" if span.changed else _html(span.text)
        for span in field.spans
    )
    return f"<tr><td valign='top'><i>{html.escape(field.label)}</i>{mark}</td><td>{words or '—'}</td></tr>"


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
