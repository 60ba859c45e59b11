"""Tagging beside the editor: the quality statements by theme, the category, passages, tags.

Checking a statement tags the whole record; "Tag selected text" tags the passage selected in the
notes. The category defaults from the record's kind and interviewee role, as the framework says.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.framework import Framework, framework_by_key
from fieldapp.rows import Done, LinkRow, Passage, RecordRow

from ui.icons import icon
from ui.operations import VaultOp
from ui.operations import links as link_ops
from ui.state import AppState
from ui.wheel_safe import WheelSafeComboBox

STATEMENT_ROLE = Qt.ItemDataRole.UserRole
LINK_ROLE = Qt.ItemDataRole.UserRole


PASSAGE_TAGGED = "A passage is tagged with this statement; tick it to tag the whole record."


class TagPanel(QWidget):
    tagged = Signal(object)  # the RecordRow with its tags as now saved

    def __init__(self, state: AppState, selected_passage: Callable[[], Passage | None]) -> None:
        super().__init__()
        self._state = state
        self._selected_passage = selected_passage
        self._record: RecordRow | None = None
        self._framework: Framework | None = None
        self._updating = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Quality statements"))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type to filter statements")
        self.filter.setAccessibleName("Filter quality statements")
        self.filter.textChanged.connect(self.on_filter_text_changed)
        self.filter.installEventFilter(self)  # Down goes on into the statements (Ctrl+T, type, Down, Space)
        layout.addWidget(self.filter)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Quality statements by theme")
        self.tree.setAccessibleDescription("Space ticks the statement: the record is tagged with it. Up from the first goes back to the filter.")
        self.tree.installEventFilter(self)
        self.tree.itemChanged.connect(self.on_tree_item_changed)
        layout.addWidget(self.tree, 3)
        row = QHBoxLayout()
        self.category = WheelSafeComboBox()
        self.category.setAccessibleName("Evidence category")
        row.addWidget(self.category, 2)
        self.tag_passage = QPushButton("Tag selected text")
        self.tag_passage.setAccessibleName("Tag the selected text with the current statement")
        self.tag_passage.clicked.connect(self.on_tag_passage_clicked)
        row.addWidget(self.tag_passage, 1)
        layout.addLayout(row)
        self.passage_hint = QLabel("To tag words of the notes: pick a statement above, then select the words.")
        self.passage_hint.setWordWrap(True)
        self.passage_hint.setAccessibleName("How to tag selected text")
        layout.addWidget(self.passage_hint)
        self.tree.currentItemChanged.connect(lambda _current, _previous: self._enable_passage())
        self._enable_passage()
        layout.addWidget(QLabel("Tags"))
        self.tags = QListWidget()
        self.tags.setAccessibleName("Tags on this record")
        # A statement's title and a passage make long lines: they wrap within the column rather
        # than hiding their ends behind a sideways scroll bar.
        self.tags.setWordWrap(True)
        self.tags.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.tags.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tags.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tags.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.tags.setSpacing(2)  # wrapped tags stay apart from each other
        self.remove_action = remove = QAction(icon("remove"), "&Remove tag", self.tags)
        remove.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(self.on_remove_tag)
        self.tags.addAction(remove)
        self.tags.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)  # right-click: Remove tag
        layout.addWidget(self.tags, 1)
        self.remove_button = QPushButton(icon("remove"), "Remove tag")
        self.remove_button.setAccessibleName("Remove the selected tag")
        self.remove_button.clicked.connect(self.on_remove_tag)
        layout.addWidget(self.remove_button)

    def _enable_passage(self) -> None:
        """Tag selected text works once a statement is picked; until then the hint says what to do."""
        current = self.tree.currentItem()
        chosen = current is not None and current.data(0, STATEMENT_ROLE) is not None
        self.tag_passage.setEnabled(chosen)
        self.passage_hint.setVisible(not chosen)

    def clear_filter(self) -> None:
        """A new record starts with every statement in view."""
        self.filter.clear()

    def set_record(self, record: RecordRow | None) -> None:
        self._record = record
        self.setEnabled(record is not None)
        if record is None:
            # The tree goes (a locked vault shows nothing), and so does the framework it was
            # built from: the next record builds it again.
            self.tree.clear()
            self.tags.clear()
            self.category.clear()  # no record, no default category to offer
            self._framework = None
            return
        framework = framework_by_key(record.framework_key)
        if framework is not self._framework:
            self._framework = framework
            self._build_tree(framework)
        self._fill_categories(framework, record)
        self._show_links(record.links)

    def _build_tree(self, framework: Framework) -> None:
        self._updating = True
        self.tree.clear()
        for theme in framework.themes:
            parent = QTreeWidgetItem([theme.name])
            parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
            parent.setToolTip(0, theme.description)
            for statement in framework.statements_in(theme.id):
                child = QTreeWidgetItem([statement.name])
                child.setData(0, STATEMENT_ROLE, statement.id)
                child.setToolTip(0, statement.description)
                child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
                child.setCheckState(0, Qt.CheckState.Unchecked)
                parent.addChild(child)
            self.tree.addTopLevelItem(parent)
        self.tree.expandAll()
        # Built again after an unlock with the filter's words still in the box: the tree shows
        # what the box says, not every statement under a filter that seems to do nothing.
        self.on_filter_text_changed(self.filter.text())
        self._updating = False

    def _fill_categories(self, framework: Framework, record: RecordRow) -> None:
        default = framework.default_category(record.kind, getattr(record.content, "role", None), getattr(record.content, "document_type", None))
        self.category.clear()
        self.category.addItem(f"Default: {framework.category(default).name}", None)
        for category in framework.categories:
            self.category.addItem(category.name, category.id)

    def _show_links(self, links: tuple[LinkRow, ...]) -> None:
        assert self._framework is not None
        whole = {link.statement_id for link in links if link.passage is None}
        # A statement only a passage is tagged with shows partly ticked (the Tags list says it,
        # the tree must not say "not tagged"); a click ticks it whole, as for any unticked one.
        in_part = {link.statement_id for link in links if link.passage is not None} - whole
        self._updating = True
        for item in self._statement_items():
            statement_id = item.data(0, STATEMENT_ROLE)
            partly = statement_id in in_part
            state = Qt.CheckState.Checked if statement_id in whole else Qt.CheckState.PartiallyChecked if partly else Qt.CheckState.Unchecked
            item.setCheckState(0, state)
            description = self._framework.statement(statement_id).description
            item.setToolTip(0, f"{PASSAGE_TAGGED}\n\n{description}" if partly else description)
            item.setData(0, Qt.ItemDataRole.AccessibleDescriptionRole, PASSAGE_TAGGED if partly else "")
        self._updating = False
        self.tags.clear()
        for link in links:
            text = f"{self._framework.statement(link.statement_id).name} · {self._framework.category(link.category_id).name}"
            whole = text
            if link.passage is not None:
                short = link.passage.text if len(link.passage.text) <= 60 else link.passage.text[:59] + "…"
                text += f" · “{short}”"
                whole += f" · “{link.passage.text}”"
            item = QListWidgetItem(text)
            item.setData(LINK_ROLE, link.id)
            item.setToolTip(whole)  # the passage in full
            item.setData(Qt.ItemDataRole.AccessibleTextRole, whole)
            self.tags.addItem(item)

    def _statement_items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i).child(j) for i in range(self.tree.topLevelItemCount()) for j in range(self.tree.topLevelItem(i).childCount())]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Down from the filter goes into the statements; Up from the first statement, back."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent) or event.modifiers():
            return False
        if watched is self.filter and event.key() == Qt.Key.Key_Down:
            return self._enter_statements()
        if watched is self.tree and event.key() == Qt.Key.Key_Up and self.tree.currentItem() is self._first_shown():
            self.filter.setFocus()
            return True
        return False

    def _enter_statements(self) -> bool:
        first = self._first_shown()
        if first is None:
            return False
        current = self.tree.currentItem()
        if current is None or current.isHidden() or current.data(0, STATEMENT_ROLE) is None:
            self.tree.setCurrentItem(first)
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _first_shown(self) -> QTreeWidgetItem | None:
        """The first statement the filter leaves in view (themes are headings, not choices)."""
        return next((item for item in self._statement_items() if not item.isHidden()), None)

    # -- slots ------------------------------------------------------------------------------------

    def on_filter_text_changed(self, text: str) -> None:
        needle = text.casefold().strip()
        for i in range(self.tree.topLevelItemCount()):
            theme = self.tree.topLevelItem(i)
            visible = 0
            for j in range(theme.childCount()):
                child = theme.child(j)
                shown = not needle or needle in child.text(0).casefold()
                child.setHidden(not shown)
                visible += shown
            theme.setHidden(visible == 0)

    def on_tree_item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._updating or self._record is None or item.data(0, STATEMENT_ROLE) is None:
            return
        record_id, statement_id = self._record.id, item.data(0, STATEMENT_ROLE)
        if item.checkState(0) == Qt.CheckState.Checked:
            category = self.category.currentData()
            self._run(link_ops.tag(self._state, record_id, statement_id, category, initiator=self))
            return
        ids = [link.id for link in self._record.links if link.statement_id == statement_id and link.passage is None]
        self._run(link_ops.untag(self._state, record_id, ids, initiator=self))

    def on_tag_passage_clicked(self) -> None:
        why = self.tag_selected_text()
        if why:
            self.tag_passage.setToolTip(why)

    def tag_selected_text(self) -> str:
        """Tag the words selected in the notes with the statement chosen above (the button, and
        Record → Tag selected text); "" once the tag is on its way, else what to do first."""
        current = self.tree.currentItem()
        passage = self._selected_passage()
        if self._record is None or current is None or current.data(0, STATEMENT_ROLE) is None:
            return "Pick a quality statement first."
        if passage is None:
            return "Select some text in the notes first."
        record_id, statement_id, category = self._record.id, current.data(0, STATEMENT_ROLE), self.category.currentData()
        self._run(link_ops.tag(self._state, record_id, statement_id, category, passage=passage, initiator=self))
        return ""

    def on_remove_tag(self) -> None:
        item = self.tags.currentItem()
        if item is not None and self._record is not None:
            link_id, record_id = item.data(LINK_ROLE), self._record.id
            self._run(link_ops.untag(self._state, record_id, [link_id], initiator=self))

    def _run(self, op: VaultOp) -> None:
        """Run a tagging change, then show the record's tags as the vault now has them."""
        op.success(self._reloaded).run_in_background()

    def _reloaded(self, done: Done[RecordRow]) -> None:
        if self._record is not None and done.value.id == self._record.id:
            self.set_record(done.value)
            self.tagged.emit(done.value)
