"""The factual accuracy check in the report view: the drafts shared (and a button for the lead
inspector to share one, asking the day), then the responses, one row each (draft paragraph,
organisation, what was said, decision, change made or reason), added and edited in a dialog
(ui/report/response_dialog.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp import dates as core_dates
from fieldapp.errors import UnreadableDate
from fieldapp.item_kinds import DECISIONS
from fieldapp.readable import cell

from ui.dates import read_when, when_text
from ui.message_lines import message_line
from ui.theme import colors
from ui.when_edit import WhenEdit

COLUMNS = ("Draft paragraph", "Organisation", "What was said", "Decision", "Change made or reason")
CELL_CHARS = 160  # a long cell is cut in the table; the tooltip and the dialog have it whole
NO_DRAFT = "Share a draft first: a response is about one of its numbered paragraphs."


class ResponsesModel(QAbstractTableModel):
    """A thin adapter over the ResponseRow tuple the core reads."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Any] = []
        self._several = False  # more than one draft shared: each paragraph names its draft's date

    def set_rows(self, rows: tuple[Any, ...], several_drafts: bool) -> None:
        self.beginResetModel()
        self._rows, self._several = list(rows), several_drafts
        self.endResetModel()

    def row(self, index: int) -> Any:
        return self._rows[index]

    def row_of(self, response_id: str) -> int | None:
        return next((n for n, r in enumerate(self._rows) if r.id == response_id), None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802 - Qt override
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        text = self._cells(self._rows[index.row()])[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return text or None
        one_line = " ".join(text.split())
        return one_line if len(one_line) <= CELL_CHARS else one_line[:CELL_CHARS].rstrip() + "…"

    def _cells(self, row: Any) -> tuple[str, ...]:
        content = row.content
        where = str(content.paragraph)
        if self._several or not row.shared_on:
            where += f" (draft of {when_text(row.shared_on)})" if row.shared_on else " (a draft not here yet)"
        decision = DECISIONS.get(content.decision, content.decision)
        if row.conflict:
            decision = f"⚠ In conflict: {decision}"
        outcome = {"accepted": content.change, "not_accepted": content.reason}.get(content.decision, "")
        return (where, cell(row.organisation), content.said, decision, outcome)


class ResponsesTable(QTableView):
    """Enter edits the current response (a double-click does too)."""

    edit_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.edit_requested.emit()
            return
        super().keyPressEvent(event)


class AccuracyPanel(QWidget):
    share_requested = Signal()  # () the lead inspector asks to share a draft
    add_requested = Signal()  # () a new response
    edit_requested = Signal(object)  # (ResponseRow) change this one

    def __init__(self) -> None:
        super().__init__()
        self._drafts: tuple[Any, ...] = ()
        self._i_lead, self._lead = True, None
        layout = QVBoxLayout(self)
        self.drafts = message_line("Drafts shared")
        layout.addWidget(self.drafts)
        share = QHBoxLayout()
        self.share_button = QPushButton("Share draft for factual accuracy chec&k…")
        self.share_button.setAccessibleName("Share draft for factual accuracy check")
        self.share_button.clicked.connect(self.share_requested)
        share.addWidget(self.share_button)
        self.why_not_share = message_line("Who shares the draft", selectable=False)
        share.addWidget(self.why_not_share, 1)
        layout.addLayout(share)
        label = QLabel("Responses (Enter or a double-click edits one)")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.model = ResponsesModel()
        table = self.table = ResponsesTable()
        table.setAccessibleName("Responses to the factual accuracy check")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)  # Tab leaves the table; Up and Down choose a response
        table.setWordWrap(True)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # the paragraph, organisation, decision: short
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the words share what is left
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        table.doubleClicked.connect(lambda _index: self._edit_current())
        table.edit_requested.connect(self._edit_current)
        label.setBuddy(table)
        layout.addWidget(table, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add response…")
        self.add_button.clicked.connect(self.add_requested)
        self.edit_button = QPushButton("Ed&it response…")
        self.edit_button.clicked.connect(self._edit_current)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        self.why_not_add = message_line("Why a response cannot be added yet", selectable=False)
        buttons.addWidget(self.why_not_add, 1)
        layout.addLayout(buttons)
        self.note = message_line("About the responses")
        layout.addWidget(self.note)
        self.show_check((), ())

    # -- showing ------------------------------------------------------------------------------

    def show_check(self, drafts: tuple[Any, ...], responses: tuple[Any, ...], *, pick: str | None = None) -> None:
        """The drafts shared and the responses, the chosen response (or the one to pick) chosen."""
        self._drafts = drafts
        chosen = self.current()
        self.model.set_rows(responses, len(drafts) > 1)
        row = self.model.row_of(pick or (chosen.id if chosen is not None else ""))
        if row is None and responses:
            row = 0
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
        if drafts:
            shown = [f"{when_text(d.shared_on)} ({len(d.paragraphs)} paragraphs, by {d.signed_by})"
                     + ("" if d.verified else " ⚠ its signature does not hold: it may have been altered") for d in drafts]  # fmt: skip
            self.drafts.setText("Drafts shared for the factual accuracy check: " + "; ".join(shown) + ".")
        else:
            self.drafts.setText("No draft has been shared for the factual accuracy check yet.")
        waiting = sum(1 for r in responses if not r.content.decision)
        conflicts = sum(1 for r in responses if r.conflict)
        words = [f"{len(responses)} response{'s' if len(responses) != 1 else ''}" + (f", {waiting} awaiting a decision." if waiting else ".")]
        if conflicts:
            words.append("⚠ A response changed in different ways on two laptops: Sync → Records in conflict shows both versions to keep one.")
        self.note.setText(" ".join(words) if responses or conflicts else "")
        self.add_button.setEnabled(bool(drafts))
        self.why_not_add.setText("" if drafts else NO_DRAFT)
        self.edit_button.setEnabled(bool(responses))
        self._enable_share()

    def set_lead(self, lead: str | None, i_lead: bool) -> None:
        """Only the lead inspector shares a draft, where the service names one: others see who does."""
        self._lead, self._i_lead = lead, i_lead
        self._enable_share()

    def _enable_share(self) -> None:
        self.share_button.setEnabled(self._i_lead)
        why = "" if self._i_lead or not self._lead else f"Only the lead inspector, {self._lead}, shares the draft for the factual accuracy check."
        self.share_button.setToolTip(why)
        self.why_not_share.setText(why)

    def drafts_shared(self) -> tuple[Any, ...]:
        return self._drafts

    def current(self) -> Any:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() and index.row() < self.model.rowCount() else None

    def clear(self) -> None:
        self.show_check((), ())

    def _edit_current(self) -> None:
        row = self.current()
        if row is not None:
            self.edit_requested.emit(row)


class ShareDraftDialog(QDialog):
    """Asks the day the draft is shared (today unless said otherwise), day first."""

    chosen = Signal(object)  # (date) the day it is shared on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Share draft for factual accuracy check")
        layout = QVBoxLayout(self)
        intro = QLabel("The draft report is made now and recorded as shared on the day below: its numbered paragraphs "
                       "are kept, signed, so responses can name them and the final report can say what changed since. "
                       "Then make the draft to send to the Integrated Care Board and the Integrated Care Partnership "
                       "with File → Export report…, as a draft shared on the same day.")  # fmt: skip
        intro.setWordWrap(True)
        layout.addWidget(intro)
        label = QLabel("Shared &on")
        self.day = WhenEdit(when_text(date.today().isoformat()), "Shared on", self)
        label.setBuddy(self.day)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.day, 1)
        layout.addLayout(row)
        self.message = message_line("Why the draft was not shared", selectable=False)
        self.message.setStyleSheet(f"color: {colors().flag};")
        layout.addWidget(self.message)
        buttons = self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Share draft")
        buttons.accepted.connect(self.on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 220)

    def on_buttons_accepted(self) -> None:
        try:
            day = core_dates.day_of(read_when(self.day.text()))
        except UnreadableDate as exc:
            self.refused(str(exc))
            self.day.setFocus()
            return
        if day is None:
            self.refused("Type the day the draft is shared, like 04/12/2026 or today.")
            self.day.setFocus()
            return
        self.message.setText("Sharing…")
        self.chosen.emit(day)

    def refused(self, words: str) -> None:
        self.message.setText(f"Not shared: {words}")
