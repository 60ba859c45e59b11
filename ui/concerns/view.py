"""The Concerns view (View → Concerns): the assessment's concerns with their kind, urgency, record,
when and by whom raised, and their state in words; open ones only or all. Enter opens the record it
was raised from; Change… edits one the office has not acknowledged yet."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.concerns import ConcernRow
from fieldapp.errors import NotFound
from fieldapp.framework import framework_by_key
from fieldapp.item_kinds import CONCERN_KINDS, URGENCIES
from fieldapp.rows import Changes

from ui.concerns.words import raised_words, state_words
from ui.message_lines import message_line
from ui.operations import concerns as concern_ops
from ui.rows_model import Index, RowsModel
from ui.state import AppState

COLUMNS = ("Kind", "Urgency", "Record", "Raised", "State")
CONCERN_ROLE = Qt.ItemDataRole.UserRole


class ConcernsModel(RowsModel[ConcernRow]):
    columns = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self._sent: dict[str, str] = {}  # concern id -> when the service last stored it

    def set_rows(self, rows: tuple[ConcernRow, ...], sent: dict[str, str] | None = None) -> None:
        self._sent = dict(sent or {})
        self.replace_rows(rows)

    def sent_at(self, concern_id: str) -> str:
        return self._sent.get(concern_id, "")

    def row(self, index: int) -> ConcernRow:
        return self._rows[index]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        if role == CONCERN_ROLE:
            return row.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            text = self._text(row, index.column(), self._sent.get(row.id, ""))
            if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
                return f"{text}: {row.content.heard}"  # what was heard, in full, on the kind's tooltip
            return text
        return None

    @staticmethod
    def _text(row: ConcernRow, column: int, sent_at: str) -> str:
        if column == 0:
            return CONCERN_KINDS.get(row.content.concern_kind, row.content.concern_kind)
        if column == 1:
            return URGENCIES.get(row.content.urgency, row.content.urgency).split(":")[0]
        if column == 2:
            return row.record_title or "(raised on its own)"
        if column == 3:
            return raised_words(row)
        return state_words(row, sent_at) + (" · two versions differ" if row.conflict else "")


class ConcernsView(QWidget):
    open_record = Signal(str)  # a record id
    edit_requested = Signal(object)  # the ConcernRow to change

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._assessment_id: str | None = None
        self._framework_key: str | None = None  # the assessment's: the statements' names
        self._generation = 0
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = message_line("Concerns summary", selectable=False)
        top.addWidget(self.summary, 1)
        shown = QLabel("Sho&w")
        self.filter = QComboBox()
        self.filter.setAccessibleName("Which concerns to show")
        self.filter.addItem("Not yet acknowledged", True)
        self.filter.addItem("All concerns", False)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        shown.setBuddy(self.filter)
        top.addWidget(shown)
        top.addWidget(self.filter)
        layout.addLayout(top)
        self.model = ConcernsModel()
        self.table = QTableView()
        self.table.setAccessibleName("Concerns")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)  # the state's words take the room
        self.table.activated.connect(lambda _index: self.open_current())
        self.table.installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._enable())
        self.open_action = QAction("&Open its record", self.table)
        self.open_action.triggered.connect(self.open_current)
        self.edit_action = QAction("&Change…", self.table)
        self.edit_action.triggered.connect(self.edit_current)
        self.table.addActions([self.open_action, self.edit_action])
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        layout.addWidget(self.table, 2)
        details = self.details = QGroupBox("The concern chosen")
        form = QFormLayout(details)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.heard = message_line("What was heard")
        self.passage = message_line("The passage it was raised from")
        self.statements = message_line("Quality statements it touches")
        self.tell = message_line("Who else should know")
        self.state_line = message_line("Its state")
        for label, line in (("What was heard", self.heard), ("Passage", self.passage), ("Statements", self.statements),
                            ("Who else should know", self.tell), ("State", self.state_line)):  # fmt: skip
            form.addRow(label, line)
        layout.addWidget(details, 1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open &its record")
        self.open_button.clicked.connect(self.open_current)
        self.edit_button = QPushButton("Chan&ge…")
        self.edit_button.setToolTip("Change its urgency, what was heard or who else should know, until the office acknowledges it")
        self.edit_button.clicked.connect(self.edit_current)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.edit_button)
        layout.addLayout(buttons)
        self._enable()
        state.signals.operation_did_execute.connect(self.on_vault_changed)

    def set_assessment(self, assessment_id: str | None, framework_key: str | None = None) -> None:
        self._assessment_id = assessment_id
        self._framework_key = framework_key
        self.refresh()

    def forget(self) -> None:
        """The vault locks: nothing of a concern stays in a widget."""
        self._generation += 1
        self.model.set_rows(())
        self._show_details(None)
        self.summary.setText("")

    def refresh(self) -> None:
        self._generation += 1
        generation, assessment_id = self._generation, self._assessment_id
        if assessment_id is None or self._state.vault is None or self._state.vault.is_locked:
            self.model.set_rows(())
            self._enable()
            return
        open_only = bool(self.filter.currentData())
        concern_ops.listed(self._state, assessment_id, open_only=open_only).success(
            lambda found: self._show(generation, *found, open_only)
        ).run_in_background()

    def _show(self, generation: int, rows: tuple[ConcernRow, ...], sent: dict[str, str], open_only: bool) -> None:
        if generation != self._generation:
            return
        kept = self.current()
        self.model.set_rows(rows, sent)
        count = len(rows)
        what = "not yet acknowledged by the office" if open_only else "in this assessment"
        self.summary.setText(f"{count} concern{'s' if count != 1 else ''} {what}." if count else f"No concerns {what}.")
        ids = [r.id for r in rows]
        self.table.selectRow(ids.index(kept.id) if kept is not None and kept.id in ids else 0)
        self.table.resizeRowsToContents()
        self._enable()

    def on_vault_changed(self, changes: Changes, _initiator: object) -> None:
        if self._assessment_id in changes.concerns or changes.from_sync or self._assessment_id in changes.assessments:
            self.refresh()

    def current(self) -> ConcernRow | None:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() and index.row() < self.model.rowCount() else None

    def _enable(self) -> None:
        row = self.current()
        self._show_details(row)
        for widget in (self.open_action, self.open_button):
            widget.setEnabled(row is not None and bool(row.record_title))
        for widget in (self.edit_action, self.edit_button):
            widget.setEnabled(row is not None and row.open and not row.conflict)

    def _show_details(self, row: ConcernRow | None) -> None:
        self.details.setVisible(row is not None)  # nothing chosen (none listed): no empty headings
        framework = framework_by_key(self._framework_key) if row is not None and self._framework_key else None
        names = []
        for statement_id in row.content.statements if row is not None else ():
            try:
                names.append(framework.statement(statement_id).name if framework is not None else statement_id)
            except NotFound:
                names.append("a statement not in this framework")
        self.heard.setText(row.content.heard if row else "")
        self.passage.setText(f"“{row.passage}”" if row is not None and row.passage else ("The whole record" if row is not None and row.record_title else ""))
        self.statements.setText("; ".join(names) if row is not None else "")
        self.tell.setText((row.content.tell or "No one named") if row is not None else "")
        self.state_line.setText(state_words(row, self.model.sent_at(row.id)) if row is not None else "")

    def open_current(self) -> None:
        row = self.current()
        if row is not None and row.content.record_id and row.record_title:
            self.open_record.emit(row.content.record_id)

    def edit_current(self) -> None:
        row = self.current()
        if row is not None and row.open and not row.conflict:
            self.edit_requested.emit(row)

    def focus_list(self) -> None:
        self.table.setFocus()
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt override
        """Enter opens the record (QTableView's activated needs a platform's say-so for Enter)."""
        if watched is self.table and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
                self.open_current()
                return True
        return False
