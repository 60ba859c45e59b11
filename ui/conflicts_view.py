"""Records in conflict, each shown as its versions side by side with what collides marked; the
inspector keeps one version, or merges by hand in the editor and marks the record merged.

Resolving writes a revision whose parents are every version, so all of them stay in the history.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fieldapp import domain
from fieldapp.framework import framework_by_key

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.settle import Conflict

    from ui.state import AppState


class ConflictsDialog(QDialog):
    # A version kept here replaces the draft under an open editor, as a colleague's edit would:
    # the editor reconciles (shows it, and keeps any words typed meanwhile).
    changes_from_elsewhere = True
    open_record = Signal(str)  # a record id: merge it by hand in the editor

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Saves what an editor holds before a merge is marked: True when saved or on its way.
        self.save_editor: Callable[[], bool] = lambda: True
        self._state = state
        self._conflicts: list[Conflict] = []
        self._labels: dict[str, str] = {}
        self.setWindowTitle("Records in conflict")
        self.resize(1100, 640)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "These records were changed in different ways on two devices. Both versions are kept in the "
            "history; choose the one to carry on with, or merge them by hand in the editor."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        splitter = QSplitter()
        self.records = QListWidget()
        self.records.setAccessibleName("Records in conflict")
        self.records.currentRowChanged.connect(self.on_records_current_changed)
        splitter.addWidget(self.records)
        sides = QWidget()
        grid = QGridLayout(sides)
        self.headings: list[QLabel] = []
        self.versions: list[QTextBrowser] = []
        self.keep_buttons: list[QPushButton] = []
        for column in range(2):
            heading = QLabel("")
            heading.setAccessibleName(f"Version {column + 1} heading")
            view = QTextBrowser()
            view.setAccessibleName(f"Version {column + 1}")
            keep = QPushButton(f"Keep version &{column + 1}")
            keep.setAccessibleName(f"Keep version {column + 1}")
            keep.clicked.connect(lambda _checked=False, c=column: self.keep(c))
            grid.addWidget(heading, 0, column)
            grid.addWidget(view, 1, column)
            grid.addWidget(keep, 2, column)
            self.headings.append(heading)
            self.versions.append(view)
            self.keep_buttons.append(keep)
        splitter.addWidget(sides)
        splitter.setStretchFactor(1, 4)
        layout.addWidget(splitter)
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
        self.status = QLabel("")
        self.status.setAccessibleName("Conflict status")
        layout.addWidget(self.status)

    def load(self) -> None:
        def read(vault: Any) -> tuple[list[Conflict], dict[str, str]]:
            return vault.replication.conflicts(), vault.replication.device_labels()

        QueryOp(self._state, read).success(self._show).run_in_background()

    def _show(self, result: tuple[list[Conflict], dict[str, str]]) -> None:
        self._conflicts, self._labels = result
        current = self.records.currentRow()
        self.records.clear()
        for conflict in self._conflicts:
            self.records.addItem(QListWidgetItem(conflict.title or "Untitled record"))
        for widget in (*self.keep_buttons, self.edit_button, self.merged_button):
            widget.setEnabled(bool(self._conflicts))
        if not self._conflicts:
            for view, heading in zip(self.versions, self.headings):
                view.setHtml("")
                heading.setText("")
            self.status.setText("No records are in conflict.")
            return
        self.records.setCurrentRow(min(max(current, 0), len(self._conflicts) - 1))

    def on_records_current_changed(self, row: int) -> None:
        if not 0 <= row < len(self._conflicts):
            return
        conflict = self._conflicts[row]
        marked = {c.path for c in conflict.collisions}
        for column, (view, heading) in enumerate(zip(self.versions, self.headings)):
            if column >= len(conflict.heads):
                view.setHtml("")
                heading.setText("")
                continue
            body = conflict.heads[column].fields()
            who = self._labels.get(body["device_id"], "another device")
            heading.setText(f"Version {column + 1}: {who}, {body['created_at'][:16].replace('T', ' ')} UTC")
            view.setHtml(describe(body, marked))
        clashes = ", ".join(_path_label(c.path) for c in conflict.collisions) or "the versions"
        self.status.setText(f"Changed both ways: {clashes}.")

    def _current(self) -> Conflict | None:
        row = self.records.currentRow()
        return self._conflicts[row] if 0 <= row < len(self._conflicts) else None

    def keep(self, column: int) -> None:
        conflict = self._current()
        if conflict is None or column >= len(conflict.heads):
            return
        record_id, take = conflict.record_id, conflict.heads[column].id
        VaultOp(self._state, lambda vault: vault.replication.resolve(record_id, take=take), initiator=self).success(
            lambda _done: self._resolved(f"Kept version {column + 1}; the other stays in the history.")
        ).run_in_background()

    def on_edit_clicked(self) -> None:
        conflict = self._current()
        if conflict is not None:
            self.open_record.emit(conflict.record_id)
            self.status.setText("Edit the record in the main window, then come back and mark it merged.")

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
        VaultOp(self._state, lambda vault: vault.replication.resolve(record_id), initiator=self).success(
            lambda _done: self._resolved("Marked merged with the editor's text; both versions stay in the history.")
        ).run_in_background()

    def _resolved(self, message: str) -> None:
        self.load()
        self.status.setText(message)


def describe(body: dict, marked: set[str]) -> str:
    """A version as readable HTML: every field, with what collides marked."""
    if body["deleted"]:
        return "<p><b>This version deletes the record.</b></p>"
    content = domain.from_dict(body["kind"], body["content"])
    rows = []
    for f in dataclasses.fields(content):
        value = getattr(content, f.name)
        path = f"content.{f.name}"
        hit = path in marked or any(m.startswith(path + ".") for m in marked)
        rows.append(_row(_label(f.name), _text(value), hit))
    rows.append(_row("Tags", _tags(body), any(m.startswith("links.") for m in marked)))
    names = ", ".join(a["name"] for a in body["attachments"]) or "none"
    rows.append(_row("Attachments", html.escape(names), any(m.startswith("attachments.") for m in marked)))
    return "<table cellpadding='4'>" + "".join(rows) + "</table>"


def _row(label: str, value_html: str, hit: bool) -> str:
    mark = " ⚠ changed both ways" if hit else ""
    style = " style='font-weight:bold'" if hit else ""
    return f"<tr><td valign='top'><i>{html.escape(label)}</i>{mark}</td><td{style}>{value_html}</td></tr>"


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return "<br>".join(_text(v) for v in value) or "—"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "; ".join(f"{_label(f.name)}: {html.escape(str(getattr(value, f.name)))}" for f in dataclasses.fields(value) if getattr(value, f.name) not in ("", None))
    text = "" if value is None else str(value)
    return html.escape(text).replace("\n", "<br>") or "—"


def _tags(body: dict) -> str:
    try:
        framework = framework_by_key(body["framework"])
        names = [framework.statement(link["statement"]).name for link in body["links"]]
    except LookupError:
        names = [link["statement"] for link in body["links"]]
    return html.escape(", ".join(names)) or "none"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _path_label(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "content" and len(parts) > 1:
        return _label(parts[-1] if len(parts) < 4 else f"contact {parts[2][:6]} {parts[3]}")
    return {"links": "tags", "attachments": "attachments", "deleted": "deleting against editing"}.get(parts[0], path)
