"""A small editable table inside a record's form: rows to add, remove, reorder and edit in place.

`RowTableModel` is a thin Qt adapter over a list of Qt-free row values (frozen dataclasses, or
plain strings); `Column`s say how a cell reads and writes its row. `RowTable` is the widget: the
view with Add, Remove (Del), Move up and Move down (Alt+Up / Alt+Down), Tab leaving it like any
field; typing into an empty table starts its first row, Tab from the last cell starts the next
(as in a word processor's table); typing on a cell adds to its words, and Ctrl+Z takes back
removals and committed cell edits, one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFocusEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.icons import icon
from ui.when_edit import WhenEdit

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex
# The view asks for room for this many rows, fewest and most: a timeline grows with its contacts
# (the editor scrolls, not a box within it) and scrolls itself only past a long case's worth.
_VISIBLE_ROWS = (2, 40)


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its header, how a row shows in it, and the row with the cell set to new text."""

    header: str
    read: Callable[[R], str]
    write: Callable[[R, str], R]
    problem: Callable[[R], str] = lambda _row: ""  # why the cell's text will not save, or ""
    stretch: bool = True
    heading: str = ""  # the header as shown, where it differs (on two lines, in a narrow column)
    tip: str = ""  # what the column holds, on hovering over its header
    calendar: bool = False  # a date: its cell opens with a calendar beside the text, as date fields do

    @property
    def shown(self) -> str:
        return self.heading or self.header


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows in order; every change is the smallest Qt signal (insert, remove, move, dataChanged)."""

    cell_written = Signal(int, int, object)  # (row, column, the row as it was) a cell changed by setData

    def __init__(self, columns: Sequence[Column[R]], new_row: Callable[[], R], problem_colour: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self.columns = tuple(columns)
        self._new_row = new_row
        self._problem_colour = problem_colour  # the brush for a cell that will not save as typed
        self._rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        """Another record's rows: the one place the model resets."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> tuple[R, ...]:
        return tuple(self._rows)

    def add_row(self, at: int | None = None) -> int:
        """A new empty row at `at` (the end by default); returns where it went."""
        at = len(self._rows) if at is None else max(0, min(at, len(self._rows)))
        self.insertRows(at, 1)
        return at

    def put_row(self, at: int, row: R) -> int:
        """A row that was removed, back at `at` (or the end, if the table has shrunk since)."""
        at = max(0, min(at, len(self._rows)))
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.insert(at, row)
        self.endInsertRows()
        return at

    def replace_row(self, at: int, row: R) -> None:
        """The row at `at` as it was before an edit (Ctrl+Z): not itself an edit to undo."""
        self._rows[at] = row
        self.dataChanged.emit(self.index(at, 0), self.index(at, len(self.columns) - 1))

    def is_blank(self, row: int) -> bool:
        """Whether every cell of the row is empty (such a row is not saved)."""
        return 0 <= row < len(self._rows) and not any(c.read(self._rows[row]).strip() for c in self.columns)

    def move_row(self, row: int, by: int) -> int:
        """Move one row up (by=-1) or down (by=1); returns where it is now."""
        target = row + by
        if not (0 <= row < len(self._rows) and 0 <= target < len(self._rows)):
            return row
        # Qt's destination is "before this row" in the old numbering.
        self.moveRows(QModelIndex(), row, 1, QModelIndex(), target + 1 if by > 0 else target)
        return target

    # -- Qt overrides -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008,N802 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.shown
            if role == Qt.ItemDataRole.ToolTipRole:
                return column.tip or column.header
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return column.header  # in one line, as read aloud
            return None
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1) if 0 <= section < len(self._rows) else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.columns):
            return None
        row, column = self._rows[index.row()], self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return column.read(row)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{column.header}: {column.read(row) or 'empty'}"
        problem = column.problem(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return problem or column.read(row) or None  # long text reads whole in the tooltip
        if role == Qt.ItemDataRole.ForegroundRole and problem and self._problem_colour is not None:
            return self._problem_colour()
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        row = self._rows[index.row()]
        updated = self.columns[index.column()].write(row, str(value))
        if updated == row:
            return True  # nothing changed: no signal, so no save
        self._rows[index.row()] = updated
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole])
        self.cell_written.emit(index.row(), index.column(), row)
        return True

    def insertRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008,N802
        if parent.isValid() or count < 1 or not 0 <= row <= len(self._rows):
            return False
        self.beginInsertRows(QModelIndex(), row, row + count - 1)
        self._rows[row:row] = [self._new_row() for _ in range(count)]
        self.endInsertRows()
        return True

    def removeRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008,N802
        if parent.isValid() or count < 1 or row < 0 or row + count > len(self._rows):
            return False
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        del self._rows[row : row + count]
        self.endRemoveRows()
        return True

    def moveRows(self, source: Index, row: int, count: int, destination: Index, child: int) -> bool:  # noqa: N802
        if source.isValid() or destination.isValid() or count < 1 or row < 0 or row + count > len(self._rows):
            return False
        if row <= child <= row + count:
            return False  # onto itself: Qt refuses such a move
        if not self.beginMoveRows(QModelIndex(), row, row + count - 1, QModelIndex(), child):
            return False
        moving = self._rows[row : row + count]
        del self._rows[row : row + count]
        at = child if child < row else child - count
        self._rows[at:at] = moving
        self.endMoveRows()
        return True


class _CellDelegate(QStyledItemDelegate):
    """Line editors that report each keystroke, so typing in a cell is autosaved like any field."""

    typed = Signal()  # ()

    def createEditor(self, parent: QWidget, option: Any, index: QModelIndex) -> QWidget:  # noqa: N802 - Qt override
        header = index.model().headerData(index.column(), Qt.Orientation.Horizontal, Qt.ItemDataRole.AccessibleTextRole)
        model = index.model()
        if isinstance(model, RowTableModel) and model.columns[index.column()].calendar:
            # F4 opens its calendar (Alt+Down moves the row here, as everywhere in the table).
            editor: QWidget = WhenEdit("", f"Row {index.row() + 1}: {header}", parent, calendar_key="F4")
            editor.setFrame(False)
        else:
            editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            editor.setAccessibleName(f"Row {index.row() + 1}: {header}")
            editor.textEdited.connect(lambda _text: self.typed.emit())
        return editor


class _View(QTableView):
    typed_into_empty = Signal()  # () a letter was typed with no row to put it in: start one
    tabbed_past_end = Signal(bool)  # (forward) Tab from the last cell, or Shift+Tab from the first
    undo_asked = Signal()  # () Ctrl+Z in the table itself (a cell being edited undoes its own typing)

    def __init__(self, can_undo: Callable[[], bool]) -> None:
        super().__init__()
        self._can_undo = can_undo

    def event(self, event: QEvent) -> bool:
        # Ctrl+Z here undoes the table's own removals and edits before the window's Undo sees the key.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.matches(QKeySequence.StandardKey.Undo) and self._can_undo():
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Undo) and self._can_undo():
            self.undo_asked.emit()
            return
        if self.model().rowCount() == 0 and _is_typing(event):
            self.typed_into_empty.emit()  # the new row's first cell is current now: the key opens it
        super().keyPressEvent(event)

    def edit(self, index: Index, trigger: QAbstractItemView.EditTrigger | None = None, event: QEvent | None = None) -> bool:  # type: ignore[override]
        """Open a cell with its cursor after its text and nothing selected (Qt selects it all), so
        a key typed on a cell that holds words adds to them instead of replacing them."""
        if trigger is None:
            return bool(super().edit(index))  # the one-argument form: Qt calls back in with a trigger
        opening = self.state() != QAbstractItemView.State.EditingState or self.indexWidget(index) is None
        typed = trigger == QAbstractItemView.EditTrigger.AnyKeyPressed and isinstance(event, QKeyEvent)
        # The key that opens the cell is held back until the selection is gone, then given to it.
        if not super().edit(index, trigger, None if typed else event):
            return False
        editor = self.indexWidget(index)
        if opening and isinstance(editor, QLineEdit):
            editor.deselect()
            editor.end(False)
        if typed and editor is not None and event is not None:
            QApplication.sendEvent(editor.focusProxy() or editor, event)
        return True

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)
        # Arriving by Tab highlights the current cell, so Del and Remove know what they act on
        # (after a removal nothing is highlighted until a row is chosen again).
        current = self.currentIndex()
        if event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason) and current.isValid():
            if not self.selectionModel().hasSelection():
                self.selectionModel().select(current, self.selectionModel().SelectionFlag.ClearAndSelect)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:  # noqa: N802 - Qt override
        # Qt wraps Tab from the last cell round to the first (and the next letter typed there
        # replaces what it held): past either end, the table decides instead.
        forward = hint == QAbstractItemDelegate.EndEditHint.EditNextItem
        if forward or hint == QAbstractItemDelegate.EndEditHint.EditPreviousItem:
            current, model = self.currentIndex(), self.model()
            last = (model.rowCount() - 1, model.columnCount() - 1)
            if (current.row(), current.column()) == (last if forward else (0, 0)):
                super().closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
                self.tabbed_past_end.emit(forward)
                return
        super().closeEditor(editor, hint)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Room for the rows there are (within limits), so short lists do not waste the form's height."""
        hint = super().sizeHint()
        rows = self.model().rowCount() if self.model() is not None else 0
        fewest, most = _VISIBLE_ROWS
        # Rows grow to fit wrapped text, so measure the ones there are; empty places at the default.
        heights = [self.rowHeight(r) for r in range(min(rows, most))]
        heights += [self.verticalHeader().defaultSectionSize()] * max(0, fewest - len(heights))
        height = self.horizontalHeader().sizeHint().height() + sum(heights) + 2 * self.frameWidth() + 2
        if self.horizontalScrollBar().isVisible():
            height += self.horizontalScrollBar().sizeHint().height()
        return QSize(hint.width(), height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def open_editor(self) -> QWidget | None:
        current = self.currentIndex()
        return self.indexWidget(current) if current.isValid() and self.state() == QAbstractItemView.State.EditingState else None

    def commit_open_editor(self, *, close: bool) -> None:
        """Write what is typed in an open cell into the model (and close the editor if asked)."""
        editor = self.open_editor()
        if editor is None:
            return
        self.commitData(editor)
        if close:
            self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)


def _is_typing(event: QKeyEvent) -> bool:
    """A printable key without Ctrl or Alt: what opens a cell to type into."""
    text = event.text()
    chords = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
    return bool(text) and text.isprintable() and not event.modifiers() & chords


@dataclass(frozen=True)
class _Removed:
    """A removed row and where it stood, kept so Ctrl+Z can put it back."""

    at: int
    column: int
    row: Any


@dataclass(frozen=True)
class _Edited:
    """A committed cell edit: the row before it and after it, so Ctrl+Z can put the words back."""

    cell: QPersistentModelIndex  # follows its row when rows are moved, added or removed
    before: Any
    after: Any


class RowTable(QWidget):
    """The table and its buttons; names say what a row is ("contact", "attendee", "group")."""

    edited = Signal()  # () a row was added, removed, moved, or a cell typed in or changed
    left_cell = Signal()  # () a cell edit finished, or focus left the table: the form saves at once

    def __init__(self, model: RowTableModel[Any], *, noun: str, label: str) -> None:
        super().__init__()
        self.model = model
        self._noun = noun
        self._undo: list[_Removed | _Edited] = []  # newest last: Ctrl+Z takes them back in turn
        # Whether the newest step is the edit of a cell still open: a save while typing commits
        # it part way, and the rest of that edit belongs to the same step.
        self._edit_open = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = _View(lambda: bool(self._undo))
        self.view.setModel(model)
        self.view.setAccessibleName(label)
        self.view.setAccessibleDescription(
            f"Type to add to a cell's words; Tab from the last cell adds a {noun}; Del removes the highlighted "
            f"{noun}; Ctrl+Z takes back a removal or an edit; Alt+Up and Alt+Down move a {noun}."
        )
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        # Tab leaves the table for the next field, as in the rest of the form; arrows move between
        # cells, and Tab inside an open cell editor moves to the next cell (from the last one, to
        # a new row; from a blank last row, on out of the table).
        self.view.setTabKeyNavigation(False)
        self.view.setWordWrap(True)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.delegate = _CellDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        header = self.view.horizontalHeader()
        header.setMinimumSectionSize(60)
        for number, column in enumerate(model.columns):
            mode = QHeaderView.ResizeMode.Stretch if column.stretch else QHeaderView.ResizeMode.ResizeToContents
            header.setSectionResizeMode(number, mode)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.verticalHeader().sectionResized.connect(lambda *_args: self.view.updateGeometry())
        layout.addWidget(self.view)
        self._build_buttons(layout)
        for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved, model.rowsMoved):
            signal.connect(self.on_model_changed)
        model.modelReset.connect(self.on_model_reset)
        self.delegate.typed.connect(self.edited.emit)
        self.delegate.closeEditor.connect(self.on_delegate_close_editor)
        self.view.selectionModel().currentChanged.connect(lambda _current, _previous: self._enable_buttons())
        self.view.selectionModel().selectionChanged.connect(lambda _selected, _deselected: self._enable_buttons())
        self.view.typed_into_empty.connect(self.on_view_typed_into_empty)
        self.view.tabbed_past_end.connect(self.on_view_tabbed_past_end)
        self.view.undo_asked.connect(self.undo)
        model.cell_written.connect(self.on_model_cell_written)
        for part in (self.view, *self.buttons.values()):
            part.installEventFilter(self)  # to hear focus leave the table (cell editors: the delegate)
        self._enable_buttons()

    def _build_buttons(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        noun = self._noun
        article = "an" if noun[:1] in "aeiou" else "a"
        specs = (
            ("add", f"Add {noun}", f"Add {article} {noun} after the selected one", "", self.on_add_clicked),
            ("remove", "Remove", f"Remove the selected {noun}", "Del", self.on_remove_clicked),
            ("move-up", "Move up", f"Move the selected {noun} up", "Alt+Up", lambda: self.on_move_clicked(-1)),
            ("move-down", "Move down", f"Move the selected {noun} down", "Alt+Down", lambda: self.on_move_clicked(1)),
        )
        self.buttons: dict[str, QToolButton] = {}
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, accessible, shortcut, slot in specs:
            action = QAction(icon(name), text, self)
            action.setToolTip(f"{accessible} ({shortcut})" if shortcut else accessible)
            action.triggered.connect(slot)
            if shortcut == "Del":
                # Del on the table itself: in a cell being edited it deletes a letter, as anywhere.
                action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            elif shortcut:
                # Works while the table, a cell being edited, or one of these buttons has focus.
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.addAction(action)
            button = QToolButton()
            button.setDefaultAction(action)
            # The arrows alone say Move up and Move down (their tooltips and names say it in words): with
            # their words the row was wider than the editor at the window's first size (dogfood, 1280×720).
            moves = name.startswith("move-")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if moves else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAccessibleName(accessible)
            # Out of the Tab chain: Tab from the table goes on to the next field, not to Add,
            # where the next word typed would press it. The mouse and their keys reach them.
            button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            row.addWidget(button)
            self.buttons[name] = button
            self.actions_by_name[name] = action
        self.actions_by_name["remove"].setToolTip(f"Remove the selected {noun} (Del); Ctrl+Z in the table brings it back")
        row.addStretch(1)
        layout.addLayout(row)
        # Right-click on the table offers the same four, with their keys shown.
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.view.addActions(list(self.actions_by_name.values()))

    # -- slots ----------------------------------------------------------------------------------------

    def on_add_clicked(self) -> None:
        self.view.commit_open_editor(close=True)
        current = self.view.currentIndex()
        at = self.model.add_row(current.row() + 1 if current.isValid() else None)
        index = self.model.index(at, 0)
        self.view.setCurrentIndex(index)
        self.view.setFocus()
        self.view.edit(index)  # the new row is there to be typed into

    def on_remove_clicked(self) -> None:
        """Remove the highlighted row. The cell next to it becomes current but is not highlighted:
        a second Del removes nothing until a row is chosen again (arrows, a click), and Ctrl+Z
        brings back each removed row in turn."""
        self.view.commit_open_editor(close=True)
        current = self.view.currentIndex()
        if not current.isValid() or not self.view.selectionModel().isSelected(current):
            return
        row, column = current.row(), current.column()
        self._undo.append(_Removed(row, column, self.model.rows()[row]))
        self.model.removeRows(row, 1)
        self.view.setFocus()
        if self.model.rowCount():
            selection = self.view.selectionModel()
            selection.clearSelection()
            selection.setCurrentIndex(self.model.index(min(row, self.model.rowCount() - 1), column), selection.SelectionFlag.NoUpdate)
        self._enable_buttons()

    def undo(self) -> None:
        """Ctrl+Z: the last removed row back where it was, or the last edited cell's words as they
        were before the edit; that cell current, so the inspector sees what came back."""
        while self._undo:
            step = self._undo.pop()
            if isinstance(step, _Removed):
                at, column = self.model.put_row(step.at, step.row), step.column
            elif (found := self._row_of(step)) is not None:
                at, column = found, step.cell.column()
                self.model.replace_row(at, step.before)
            else:
                continue  # its row is gone: the step before it is the one to take back
            self._edit_open = False
            self.view.setCurrentIndex(self.model.index(at, column))
            self.view.setFocus()
            return

    def _row_of(self, step: _Edited) -> int | None:
        """Where the edited row is now: its cell's place, or (after its removal was undone) its value."""
        rows = self.model.rows()
        if step.cell.isValid() and rows[step.cell.row()] == step.after:
            return step.cell.row()
        return rows.index(step.after) if step.after in rows else None

    def on_model_cell_written(self, row: int, column: int, before: object) -> None:
        """One undo step per committed edit of a cell (however many saves committed it part way)."""
        after = self.model.rows()[row]
        top = self._undo[-1] if self._undo else None
        if self._edit_open and isinstance(top, _Edited) and (top.cell.row(), top.cell.column()) == (row, column):
            self._undo[-1] = _Edited(top.cell, top.before, after)
            return
        self._undo.append(_Edited(QPersistentModelIndex(self.model.index(row, column)), before, after))
        self._edit_open = self.view.open_editor() is not None

    def on_delegate_close_editor(self, _editor: QWidget, _hint: QAbstractItemDelegate.EndEditHint) -> None:
        self._edit_open = False  # the next edit of this cell is a step of its own
        self.left_cell.emit()

    def on_view_typed_into_empty(self) -> None:
        """A letter typed into a table with no rows: a first row, its first cell current to take it."""
        self.view.setCurrentIndex(self.model.index(self.model.add_row(), 0))

    def on_view_tabbed_past_end(self, forward: bool) -> None:
        """Tab from the last cell starts a new row, unless that row is still blank: then Tab goes
        on to the next field. Shift+Tab from the first cell goes back to the field before."""
        last = self.model.rowCount() - 1
        if forward and not self.model.is_blank(last):
            index = self.model.index(self.model.add_row(), 0)
            self.view.setCurrentIndex(index)
            self.view.edit(index)
            return
        self.view.setFocus()  # the cell editor has gone; the next field is found from the table
        if forward:
            self.view.focusNextChild()
        else:
            self.view.focusPreviousChild()

    def on_move_clicked(self, by: int) -> None:
        self.view.commit_open_editor(close=True)
        current = self.view.currentIndex()
        if not current.isValid():
            return
        row = self.model.move_row(current.row(), by)
        self.view.setCurrentIndex(self.model.index(row, current.column()))
        self.view.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # Focus leaving the table and its buttons is leaving a field: the form saves at once. Qt
        # has already moved the focus when FocusOut arrives, so focusWidget() is where it went.
        if event.type() == QEvent.Type.FocusOut:
            new = QApplication.focusWidget()
            if new is None or not self.isAncestorOf(new):
                self.left_cell.emit()
        return False

    def on_model_changed(self, *_args: object) -> None:
        self.view.updateGeometry()
        self._enable_buttons()
        self.edited.emit()

    def on_model_reset(self) -> None:
        """A reset is another record being shown (or its rows as a sync left them), not an edit:
        rows removed before it are not put back into it."""
        self._undo.clear()
        self._edit_open = False
        self.view.updateGeometry()
        self._enable_buttons()

    def commit_open_editor(self) -> None:
        """Before a save: what is typed in an open cell is part of the form (the cell stays open)."""
        self.view.commit_open_editor(close=False)

    def _enable_buttons(self) -> None:
        current = self.view.currentIndex()
        rows = self.model.rowCount()
        # The actions, not the buttons: a button follows its action, and so does the shortcut.
        self.actions_by_name["remove"].setEnabled(current.isValid() and self.view.selectionModel().isSelected(current))
        self.actions_by_name["move-up"].setEnabled(current.isValid() and current.row() > 0)
        self.actions_by_name["move-down"].setEnabled(current.isValid() and current.row() < rows - 1)
