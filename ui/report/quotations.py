"""The quotations the report gives under People's experiences, chosen from the suggestions (every
passage tagged People's experience): chosen ones first, in the order quoted, then the rest in the
framework's order. Space chooses or drops one; Alt+Up and Alt+Down (or Ctrl+Up and Ctrl+Down) move a
chosen one in the quoting order; Enter or a double-click opens its record in the editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QListWidget, QListWidgetItem, QTextBrowser, QVBoxLayout, QWidget

from ui.message_lines import message_line

REF_ROLE = Qt.ItemDataRole.UserRole  # (record id, link id) of the suggestion
PASSAGE_CHARS = 240  # a longer passage is cut in the list; the pane below shows it whole
Ref = tuple[str, str]


class QuotationList(QListWidget):
    """Enter opens the current suggestion's record; Alt or Ctrl with Up or Down moves it."""

    open_record = Signal(str)  # a record id
    move_requested = Signal(int)  # (-1 up, +1 down) the current suggestion in the quoting order

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        item = self.currentItem()
        moving = event.modifiers() & (Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ControlModifier)
        if moving and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.move_requested.emit(-1 if event.key() == Qt.Key.Key_Up else 1)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            self.open_record.emit(item.data(REF_ROLE)[0])
            return
        super().keyPressEvent(event)


class QuotationsPanel(QWidget):
    chosen_changed = Signal(list)  # ([(record id, link id), …]) the quotations chosen now, in order: the view saves them
    open_record = Signal(str)  # a record id, to open in the editor

    def __init__(self) -> None:
        super().__init__()
        self._suggestions: list[Any] = []  # Suggestion rows, in the framework's order
        self._order: list[Ref] = []  # the chosen ones, in the order quoted
        layout = QVBoxLayout(self)
        label = QLabel("Suggested passa&ges (Space chooses one to quote; Alt+Up / Alt+Down moves a chosen one; Enter opens its record)")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.count = message_line("Quotations chosen")
        layout.addWidget(self.count)
        items = self.list = QuotationList()
        items.setAccessibleName("Suggested quotations")
        items.setWordWrap(True)
        items.setResizeMode(QListView.ResizeMode.Adjust)  # wrapped again as the pane's width changes
        items.setTextElideMode(Qt.TextElideMode.ElideNone)
        items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        items.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        items.setSpacing(2)
        items.itemChanged.connect(self.on_list_item_changed)
        items.itemDoubleClicked.connect(lambda item: self.open_record.emit(item.data(REF_ROLE)[0]))
        items.open_record.connect(self.open_record)
        items.move_requested.connect(self.move_current)
        items.currentItemChanged.connect(self.on_list_current_item_changed)
        label.setBuddy(items)
        layout.addWidget(items, 3)
        self.passage = QTextBrowser()
        self.passage.setAccessibleName("The chosen suggestion in full")
        self.passage.setOpenLinks(False)
        layout.addWidget(self.passage, 1)

    # -- showing ------------------------------------------------------------------------------

    def show_suggestions(self, suggestions: tuple[Any, ...]) -> None:
        """Every suggestion, chosen first in their order (Suggestion.chosen), then the rest."""
        self._suggestions = list(suggestions)
        self._order = [(s.record_id, s.link_id) for s in sorted((s for s in suggestions if s.chosen), key=lambda s: s.chosen)]
        self._render()

    def chosen(self) -> list[Ref]:
        return list(self._order)

    def clear(self) -> None:
        self._suggestions, self._order = [], []
        self._render()

    def _render(self, current: Ref | None = None) -> None:
        items = self.list
        if current is None and items.currentItem() is not None:
            current = items.currentItem().data(REF_ROLE)
        by_ref = {(s.record_id, s.link_id): s for s in self._suggestions}
        chosen = [by_ref[r] for r in self._order if r in by_ref]
        rest = [s for s in self._suggestions if (s.record_id, s.link_id) not in set(self._order)]
        items.blockSignals(True)
        try:
            items.clear()
            for place, suggestion in enumerate([*chosen, *rest], 1):
                items.addItem(_item(suggestion, place if place <= len(chosen) else None))
            row = next((r for r in range(items.count()) if items.item(r).data(REF_ROLE) == current), 0 if items.count() else -1)
            items.setCurrentRow(row)
        finally:
            items.blockSignals(False)
        self.on_list_current_item_changed(items.currentItem(), None)
        total = len(self._suggestions)
        self.count.setText(
            f"{len(chosen)} of {total} suggestion{'s' if total != 1 else ''} chosen" if total
            else "No suggestions yet: passages of records tagged People's experience are suggested here."
        )  # fmt: skip

    # -- choosing -----------------------------------------------------------------------------

    def on_list_item_changed(self, item: QListWidgetItem) -> None:
        """A check box ticked or cleared: the choice is taken (and sent to be saved) at once, so that
        no answer from the vault arriving meanwhile can undo it; the list is filled again afterwards,
        once the check box's own event is done (filling it deletes the item)."""
        checked = [self.list.item(r).data(REF_ROLE) for r in range(self.list.count()) if self.list.item(r).checkState() == Qt.CheckState.Checked]
        kept = [r for r in self._order if r in checked]
        order = kept + [r for r in checked if r not in kept]  # one newly chosen is quoted last
        if order == self._order:
            return
        self._order = order
        current = item.data(REF_ROLE)
        QTimer.singleShot(0, lambda: self._render(current))
        self.chosen_changed.emit(self.chosen())

    def move_current(self, step: int) -> None:
        item = self.list.currentItem()
        ref = item.data(REF_ROLE) if item is not None else None
        if ref not in self._order:
            return  # only the chosen are in an order
        at = self._order.index(ref)
        to = at + step
        if not 0 <= to < len(self._order):
            return
        self._order[at], self._order[to] = self._order[to], self._order[at]
        self._render(ref)
        self.chosen_changed.emit(self.chosen())

    def on_list_current_item_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.passage.setPlainText(current.data(Qt.ItemDataRole.ToolTipRole) if current is not None else "")


def _item(suggestion: Any, place: int | None) -> QListWidgetItem:
    text = suggestion.passage
    shown = text if len(text) <= PASSAGE_CHARS else text[:PASSAGE_CHARS].rstrip() + "…"
    informs = "; ".join(suggestion.informs)
    head = f"{place}. " if place is not None else ""
    item = QListWidgetItem(f"{head}“{shown}”\n— {suggestion.who} · informs {informs}")
    state = f"Chosen: quoted as number {place}." if place is not None else "Not chosen: Space chooses it."
    item.setToolTip(f"“{text}”\n\n— {suggestion.who}\nInforms: {informs}\n\n{state} Enter or a double-click opens its record.")
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if place is not None else Qt.CheckState.Unchecked)
    item.setData(REF_ROLE, (suggestion.record_id, suggestion.link_id))
    return item
