"""An assessment's places and organisations (issue 15): its localities, the ICB, the ICP, local
authorities, providers and others, shown grouped by type, added, renamed, retired and restored.

Anyone on the team may change the list, on the central service's assessments too (it syncs and merges
entry by entry; fieldapp.places). Everything works from the keyboard: Insert or Ctrl+N to the new
entry's name, Enter adds it; F2 renames the entry chosen in the list, Del retires it or restores a
retired one. A name renamed both ways on two laptops is said here, and chosen between where every
other conflict is (Sync → Records in conflict).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.places import PlaceRow, PlacesItem
from fieldapp.places_content import PLACE_TYPES
from fieldapp.rows import Done

from ui.errors import message_for
from ui.operations import places as place_ops
from ui.state import AppState
from ui.theme import colors

ID_ROLE = Qt.ItemDataRole.UserRole
INTRO = (
    "The places and organisations of this assessment. Records name them, so its evidence can be filtered by "
    "place and by organisation. Anyone on the team may change this list; it syncs. Nothing is deleted: "
    "a retired one is no longer offered for new evidence, and records that name it keep it."
)
CONFLICT_WORDS = (
    "This list was changed both ways on two laptops (one name renamed differently). Both versions are kept; "
    "choose the one to carry on with."
)
RETIRED = "Retired"


class PlacesDialog(QDialog):
    conflicts_requested = Signal()  # the list is in conflict: show Sync → Records in conflict

    def __init__(self, state: AppState, assessment_id: str, assessment_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state, self._assessment_id = state, assessment_id
        self._rows: tuple[PlaceRow, ...] = ()
        self._select_after: str | None = None  # the entry to choose once the list is read again
        self.setWindowTitle(f"Places and organisations — {assessment_name}")
        self.resize(620, 560)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.conflict = QLabel(CONFLICT_WORDS)
        self.conflict.setWordWrap(True)
        self.conflict.setAccessibleName("Places and organisations in conflict")
        self.conflict_button = QPushButton("&See both versions…")
        self.conflict_button.setAccessibleName("See both versions of the places and organisations")
        self.conflict_button.clicked.connect(self.on_conflict_clicked)
        conflict_row = QHBoxLayout()
        conflict_row.addWidget(self.conflict, 1)
        conflict_row.addWidget(self.conflict_button)
        self.list = QTreeWidget()
        self.list.setAccessibleName("Places and organisations, by type")
        self.list.setColumnCount(2)
        self.list.setHeaderLabels(["Name", "Status"])
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.header().setStretchLastSection(False)
        # F2 (the action below) edits a name; a double-click does too. Nothing else starts an edit.
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentItemChanged.connect(lambda *_: self._enable())
        self.name = QLineEdit()
        self.name.setAccessibleName("New place or organisation's name")
        self.name.setPlaceholderText("Name, e.g. Northshire County Council")
        self.name.returnPressed.connect(self.add)
        self.type = QComboBox()
        self.type.setAccessibleName("What it is")
        for key, label in PLACE_TYPES.items():
            self.type.addItem(label, key)
        name_label, type_label = QLabel("&New"), QLabel("&is a")
        name_label.setBuddy(self.name)
        type_label.setBuddy(self.type)
        self.add_button = QPushButton("&Add")
        self.add_button.setAccessibleName("Add the place or organisation")
        self.add_button.clicked.connect(self.add)
        adding = QHBoxLayout()
        for widget, stretch in ((name_label, 0), (self.name, 3), (type_label, 0), (self.type, 2), (self.add_button, 0)):
            adding.addWidget(widget, stretch)
        self.rename_button = QPushButton("&Rename (F2)")
        self.rename_button.clicked.connect(self.rename_current)
        self.retire_button = QPushButton("Re&tire (Del)")
        self.retire_button.clicked.connect(self.toggle_retired)
        close = QPushButton("&Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.retire_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Places and organisations status")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(conflict_row)
        layout.addWidget(self.list, 1)
        layout.addLayout(adding)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._keys()
        self._show_conflict(False)
        self._enable()
        self.name.setFocus()

    def _keys(self) -> None:
        """F2 and Del act on the list's chosen entry; Insert and Ctrl+N go to the new entry's name."""
        # F2 and Del only where the list itself has the keys: Del in a name being typed deletes a letter.
        in_list, anywhere = Qt.ShortcutContext.WidgetShortcut, Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot, where, context in ((("F2",), self.rename_current, self.list, in_list),
                                           (("Del",), self.toggle_retired, self.list, in_list),
                                           (("Ins", "Ctrl+N"), self.focus_new, self, anywhere)):  # fmt: skip
            action = QAction(self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(context)
            action.triggered.connect(lambda _checked=False, s=slot: s())
            where.addAction(action)

    # -- reading ----------------------------------------------------------------------------------

    def load(self) -> None:
        place_ops.places_item(self._state, self._assessment_id).success(self.show_item).run_in_background()

    def show_item(self, item: PlacesItem) -> None:
        """The entries grouped by type (in the core's order), the chosen one kept chosen."""
        keep = self._select_after or self.current_id()
        self._select_after = None
        self._rows = item.places
        self.list.blockSignals(True)
        self.list.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        dim = QBrush(QColor(colors().placeholder))
        chosen: QTreeWidgetItem | None = None
        for row in item.places:
            group = groups.get(row.type)
            if group is None:
                group = groups[row.type] = QTreeWidgetItem(self.list, [row.type_label, ""])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: nothing to rename or retire
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setExpanded(True)
            entry = QTreeWidgetItem(group, [row.name, RETIRED if row.retired else ""])
            entry.setData(0, ID_ROLE, row.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsEditable)
            entry.setData(0, Qt.ItemDataRole.AccessibleDescriptionRole, f"{row.type_label}{', retired' if row.retired else ''}")
            if row.retired:
                entry.setForeground(0, dim)
                entry.setForeground(1, dim)
            if row.id == keep:
                chosen = entry
        if chosen is not None:
            self.list.setCurrentItem(chosen)
        if not item.places:
            self.status.setText("None yet: type a name in the field above, choose what it is, and press Enter.")
        self.list.blockSignals(False)
        self._show_conflict(item.conflict)
        self._enable()

    def _show_conflict(self, conflict: bool) -> None:
        self.conflict.setVisible(conflict)
        self.conflict_button.setVisible(conflict)

    def on_conflict_clicked(self) -> None:
        """To Records in conflict, where the versions are side by side; this dialog closes, as it is
        modal to the window that shows them (open it again once one is kept)."""
        self.conflicts_requested.emit()
        self.accept()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(0, ID_ROLE) if item is not None else None

    def current(self) -> PlaceRow | None:
        chosen = self.current_id()
        return next((row for row in self._rows if row.id == chosen), None)

    def _enable(self) -> None:
        row = self.current()
        self.rename_button.setEnabled(row is not None)
        self.retire_button.setEnabled(row is not None)
        self.retire_button.setText("Re&store (Del)" if row is not None and row.retired else "Re&tire (Del)")

    # -- changing ---------------------------------------------------------------------------------

    def focus_new(self) -> None:
        self.name.setFocus()
        self.name.selectAll()

    def add(self) -> None:
        name, kind = self.name.text(), self.type.currentData()
        if not name.strip():
            self.status.setText("Type the place's or organisation's name first.")
            self.name.setFocus()
            return
        place_ops.add_place(self._state, self._assessment_id, name, kind, initiator=self).success(
            lambda done: self._added(done)
        ).failure(self._failed).run_in_background()

    def _added(self, done: Done[PlaceRow]) -> None:
        self.name.clear()
        self._changed(done, f"Added {done.value.name} ({done.value.type_label.lower()}).")
        self.name.setFocus()  # ready for the next one

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is None or item.data(0, ID_ROLE) is None:
            self.status.setText("Choose a place or organisation in the list to rename.")
            return
        self.list.setFocus()
        self.list.editItem(item, 0)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        place_id = item.data(0, ID_ROLE)
        row = next((r for r in self._rows if r.id == place_id), None)
        if column != 0 or row is None or item.text(0) == row.name:
            return
        place_ops.rename_place(self._state, self._assessment_id, row.id, item.text(0), initiator=self).success(
            lambda done: self._changed(done, f"Renamed to {done.value.name}.")
        ).failure(self._failed).run_in_background()

    def toggle_retired(self) -> None:
        row = self.current()
        if row is None:
            self.status.setText("Choose a place or organisation in the list to retire or restore.")
            return
        place_ops.set_retired(self._state, self._assessment_id, row.id, not row.retired, initiator=self).success(
            lambda done: self._changed(
                done, f"Retired {done.value.name}: no longer offered for new evidence; records that name it keep it."
                if done.value.retired else f"Restored {done.value.name}.",
            )
        ).failure(self._failed).run_in_background()  # fmt: skip

    def _changed(self, done: Done[PlaceRow], words: str) -> None:
        self._select_after = done.value.id
        self.status.setText(words)
        self.load()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(message_for(exc))
        self.load()  # a refused rename shows the name as it stands again
