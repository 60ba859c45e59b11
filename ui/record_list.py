"""The evidence list: a thin Qt table model over the core's RecordSummary rows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon

from fieldapp.domain import KIND_LABELS
from fieldapp.rows import RecordSummary

from ui.dates import when_text
from ui.icons import KIND_ICONS, icon
from ui.theme import colors

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Kind", "Title", "When", "Tags", "Sync")
SYNC_COLUMN = COLUMNS.index("Sync")
# What the core's states (fieldapp.sync_state) read as; "Synced" only when the files are there too.
SYNC_LABELS = {
    "local": "Waiting to sync",
    "files": "Files waiting to sync",
    "synced": "Synced",
    "conflict": "Conflict",
    "unlinked": "On this laptop only",
    "held": "On this laptop only",
    "kept": "Kept on the service",
}
SYNC_TIPS = {
    "local": "Changes to this record are not on the central service yet; the next sync sends them.",
    "files": "The record is on the central service, but some of its attachment files have not been sent or "
    "received yet; the next sync carries on with them.",
    "synced": "The record and its attachment files are on the central service.",
    "conflict": "Two versions of this record collide: choose which to keep (Ctrl+Shift+C).",
    "unlinked": "This laptop is not set up to sync, so this record is kept on it only (Sync settings: Ctrl+Shift+S).",
    "held": "This assessment is on this laptop only until it is synced: the next sync offers it to the central "
    "service, and its records go once the service has it (hover over the assessment, left, for more).",
    "kept": "This record is older than its assessment's retention period, so its content was removed from this laptop; "
    "the central service keeps it. Opening it fetches it again (connect to the network first).",
}
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # what a column sorts by: dates as ISO, shown day first
FLAG_TEXT = {
    "consent-missing": "Consent not recorded",
    "date-unreadable": "A date to check: what was typed is kept, but it does not read as a date yet",
}


class RecordListModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[RecordSummary] = []
        self._kind_icons: dict[str, QIcon] = {kind: icon(name) for kind, name in KIND_ICONS.items()}
        self._kept_icon = icon("sync")  # beside "Kept on the service": on the service, not here

    def set_rows(self, rows: tuple[RecordSummary, ...]) -> None:
        """A new result set (a search or a filter): the one place the whole model resets."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def update_row(self, summary: RecordSummary) -> None:
        """One record changed: repaint its row only, or add it at the top if it is new."""
        for row, existing in enumerate(self._rows):
            if existing.id == summary.id:
                self._rows[row] = summary
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, summary)
        self.endInsertRows()

    def remove_record(self, record_id: str) -> None:
        for row, existing in enumerate(self._rows):
            if existing.id == record_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
                return

    def row_of(self, record_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == record_id), None)

    def summary(self, row: int) -> RecordSummary:
        return self._rows[row]

    # -- Qt overrides ---------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        summary = self._rows[index.row()]
        column = index.column()
        if role == RECORD_ID_ROLE:
            return summary.id
        if role == SORT_ROLE:
            return (summary.occurred_on or "") if column == 2 else _display(summary, column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _display(summary, column)
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return self._kind_icons.get(summary.kind)
        if role == Qt.ItemDataRole.DecorationRole and column == SYNC_COLUMN and summary.sync_state == "kept":
            return self._kept_icon
        if role == Qt.ItemDataRole.ToolTipRole and column == SYNC_COLUMN:
            return SYNC_TIPS.get(summary.sync_state)
        if role == Qt.ItemDataRole.ToolTipRole and summary.flags:
            return "; ".join(FLAG_TEXT.get(f, f) for f in summary.flags)
        if role == Qt.ItemDataRole.ForegroundRole and summary.flags and column == 1:
            return QBrush(QColor(colors().flag))  # asked at paint time, so it follows the theme
        return None


def _display(summary: RecordSummary, column: int) -> str:
    if column == 0:
        return KIND_LABELS.get(summary.kind, summary.kind)
    if column == 1:
        return ("⚠ " if summary.flags else "") + summary.title
    if column == 2:
        return when_text(summary.occurred_on)
    if column == 3:
        return f"{len(summary.statement_ids)} tag{'s' if len(summary.statement_ids) != 1 else ''}" if summary.statement_ids else ""
    return SYNC_LABELS.get(summary.sync_state, summary.sync_state)
