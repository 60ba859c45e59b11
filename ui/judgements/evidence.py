"""The evidence beside a judgement: the statement's tagged records and passages grouped by evidence
category, with counts and the passage text; Enter or a double-click opens the record."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from fieldapp import domain

from ui.dates import when_text

RECORD_ID_ROLE = Qt.ItemDataRole.UserRole
FULL_ROLE = Qt.ItemDataRole.UserRole + 1  # the item in words, whole: shown below the tree when chosen
PASSAGE_CHARS = 220  # a passage longer than this is cut in the list; the tooltip has all of it


class EvidenceTree(QTreeWidget):
    """Enter on an item opens its record (QTreeWidget's own activation needs a platform setting)."""

    open_record = Signal(str)  # a record id

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        item = self.currentItem()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None and item.data(0, RECORD_ID_ROLE):
            self.open_record.emit(item.data(0, RECORD_ID_ROLE))
            return
        super().keyPressEvent(event)


class EvidencePanel(QWidget):
    open_record = Signal(str)  # a record id, to open in the editor

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel("Evidence")
        self.heading.setAccessibleName("Evidence for the statement")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        tree = self.tree = EvidenceTree()
        tree.setAccessibleName("Evidence by category")
        tree.setColumnCount(1)
        tree.setHeaderHidden(True)
        tree.setWordWrap(False)  # two lines each, cut at the pane's edge: the chosen one is shown whole below
        tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        tree.setUniformRowHeights(False)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        tree.itemDoubleClicked.connect(self.on_tree_item_double_clicked)
        tree.open_record.connect(self.open_record)
        tree.currentItemChanged.connect(self.on_tree_current_item_changed)
        layout.addWidget(tree, 3)
        self.passage = QTextBrowser()
        self.passage.setAccessibleName("The chosen evidence in full")
        self.passage.setOpenLinks(False)
        layout.addWidget(self.passage, 1)

    def show_evidence(self, evidence: Any) -> None:
        """Fill the tree: one branch per category ("People's experience (4)"), open, each item a
        record or passage."""
        tree = self.tree
        tree.setUpdatesEnabled(False)
        tree.clear()
        groups = []
        for _category_id, name, items in evidence.by_category:
            group = QTreeWidgetItem([f"{name} ({len(items)})"])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.addChildren([_item(e) for e in items])
            groups.append(group)
        tree.addTopLevelItems(groups)
        for group in groups:
            group.setExpanded(True)
        tree.setUpdatesEnabled(True)
        total = getattr(evidence, "total", sum(len(items) for _c, _n, items in evidence.by_category))
        self.heading.setText(
            f"Evidence: {total} piece{'s' if total != 1 else ''} tagged to this statement"
            if total else "No evidence is tagged to this statement yet: tag records and passages from the evidence list."
        )  # fmt: skip
        first = next((group.child(0) for group in groups if group.childCount()), None)
        if first is not None:
            tree.setCurrentItem(first)

    def clear(self) -> None:
        self.tree.clear()
        self.passage.clear()
        self.heading.setText("Evidence")

    def on_tree_current_item_changed(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        words = current.data(0, FULL_ROLE) if current is not None else None
        self.passage.setPlainText(words or "")

    def on_tree_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        record_id = item.data(0, RECORD_ID_ROLE)
        if record_id:
            self.open_record.emit(record_id)


def _item(evidence: Any) -> QTreeWidgetItem:
    """A record or passage as one item: its title, kind and date, then the passage's words."""
    kind = domain.KIND_LABELS.get(evidence.kind, "Record")
    when = when_text(evidence.occurred_on) if evidence.occurred_on else ""
    title = evidence.title or "Untitled record"
    head = f"{title} · {kind}" + (f" · {when}" if when else "")
    if evidence.removed:
        head = f"{title} (removed)"
    passage = evidence.passage_text or ""
    shown = passage if len(passage) <= PASSAGE_CHARS else passage[:PASSAGE_CHARS].rstrip() + "…"
    text = f"{head}\n“{shown}”" if shown else f"{head}\n(the whole record)"
    item = QTreeWidgetItem([text])
    full = f"{head}\n\n{passage}" if passage else f"{head}\n\nThe whole record is tagged to this statement."
    item.setToolTip(0, full)
    item.setData(0, FULL_ROLE, full + ("" if evidence.removed else "\n\nEnter or a double-click opens the record."))
    if evidence.removed:
        item.setFlags(Qt.ItemFlag.ItemIsSelectable)  # greyed: the reference is kept, the record is gone
    else:
        item.setData(0, RECORD_ID_ROLE, evidence.record_id)
    return item
