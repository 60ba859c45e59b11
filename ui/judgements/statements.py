"""The judgement view's left list: the framework's quality statements under their themes, each with
its score and state, as a thin Qt model over rows prepared from the judgements and the roll-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication

from fieldapp.framework import Framework

from ui.theme import colors

STATEMENT_ID_ROLE = Qt.ItemDataRole.UserRole
HEADERS = ("Quality statement", "Score", "State")
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Line:
    """One line of the list: a theme heading (statement_id "") or a statement."""

    statement_id: str
    name: str
    score: str  # "3 · 69%", "" when not scored
    state: str  # "Draft", "Agreed", "Not scored", "⚠ In conflict", "Draft · ⚠ date to check"
    tip: str


def lines(framework: Framework, judgements: Mapping[str, Any], rollup: Any) -> list[Line]:
    """The list's lines: each theme (with its score) followed by its statements."""
    themes = {t.theme_id: t for t in getattr(rollup, "themes", ())}
    statements = getattr(rollup, "statements", {}) or {}
    out = []
    for theme in framework.themes:
        found = themes.get(theme.id)
        result = found.result if found is not None else None
        scored = f"{found.scored} of {found.total} scored" if found is not None else ""
        out.append(Line("", theme.name, _score(result), scored, f"{theme.name}: {_words(result) or 'not scored yet'}"))
        for statement in framework.statements_in(theme.id):
            row = judgements.get(statement.id)
            result = statements.get(statement.id)
            out.append(Line(statement.id, statement.name, _score(result), state_words(row), f"{statement.name}\n{statement.description}"))
    return out


def state_words(row: Any) -> str:
    if row is None or not row.exists:
        return "Not scored"
    if row.conflict:
        return "⚠ In conflict"
    words = "Agreed" if row.content.status == "agreed" else "Draft"
    # An evidence date kept as typed (it does not read yet): flagged here too, as the records list flags one.
    return f"{words} · ⚠ date to check" if getattr(row, "as_typed", None) else words


def _score(result: Any) -> str:
    return f"{result.score} · {result.shown}%" if result is not None else ""


def _words(result: Any) -> str:
    return f"{result.rating}, {result.shown}%" if result is not None else ""


class StatementsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._lines: list[Line] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_lines(self, new: list[Line]) -> None:
        """Same statements in the same places: only the changed cells repaint (the selection stays)."""
        if [line.statement_id for line in new] == [line.statement_id for line in self._lines]:
            old, self._lines = self._lines, new
            for row, (before, after) in enumerate(zip(old, new)):
                if before != after:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
            return
        self.beginResetModel()
        self._lines = new
        self.endResetModel()

    def line(self, row: int) -> Line:
        return self._lines[row]

    def row_of(self, statement_id: str) -> int | None:
        return next((r for r, line in enumerate(self._lines) if line.statement_id == statement_id and statement_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802,B008 - Qt override
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802,B008 - Qt override
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if not self._lines[index.row()].statement_id:
            return Qt.ItemFlag.NoItemFlags  # a theme heading: read, never chosen (arrows pass over it)
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._lines):
            return None
        line = self._lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (line.name, line.score, line.state)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return line.tip
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return ", ".join(part for part in (line.name, line.score, line.state) if part)
        if not line.statement_id:  # a theme heading: bold on the heading colour, read as plainly as the rest
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor(colors().heading_row))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QGuiApplication.palette().windowText()  # not the greyed text of an item that cannot be chosen
        if role == STATEMENT_ID_ROLE:
            return line.statement_id
        return None
