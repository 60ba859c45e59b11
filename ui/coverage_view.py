"""Coverage: quality statements (grouped by theme) × evidence categories, with the gaps marked, and
a flag on the statements a concern touches (issue 15).

The view an inspector checks before leaving a site. Clicking a cell asks for the evidence behind it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from fieldapp.coverage import Coverage
from fieldapp.errors import NotFound
from fieldapp.framework import default_framework, framework_by_key

from ui.theme import colors

STATEMENT_ROLE = Qt.ItemDataRole.UserRole
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 1


class CoverageView(QWidget):
    cell_chosen = Signal(str, str)  # (statement id, category id, or "" for any category)

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setAccessibleName("Coverage summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.grid = QTableWidget()
        self.grid.setAccessibleName("Coverage grid: quality statements by evidence category")
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.cellActivated.connect(self.on_grid_cell_activated)
        self.grid.cellClicked.connect(self.on_grid_cell_activated)
        layout.addWidget(self.grid)
        self._coverage: Coverage | None = None
        self._concerns: dict[str, tuple[int, int]] = {}  # statement id -> (concerns touching it, of them not acknowledged)

    def cell_name(self, statement_id: str, category_id: str) -> str:
        """A cell in words, as the grid's tooltips name it: 'Safeguarding × People's experience'."""
        framework = framework_by_key(self._coverage.framework_key) if self._coverage is not None else default_framework()
        try:
            statement = framework.statement(statement_id).name
            category = framework.category(category_id).name if category_id else ""
        except NotFound:
            return "one coverage cell"  # not in the framework shown: no names to give, and never ids
        return f"{statement} × {category}" if category else f"{statement}, all categories"

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        # Gap and theme-row colours come from the theme: repaint them when it changes.
        if event.type() == QEvent.Type.PaletteChange and self._coverage is not None:
            self.show_coverage(self._coverage)
        super().changeEvent(event)

    def show_coverage(self, coverage: Coverage, concerns: dict[str, tuple[int, int]] | None = None) -> None:
        """concerns: by statement id, how many concerns touch it and how many of them the office has not acknowledged."""
        self._coverage = coverage
        if concerns is not None:
            self._concerns = concerns
        ours = colors()  # not `theme`: below, that names the framework's themes
        gap, heading = QBrush(QColor(ours.gap)), QBrush(QColor(ours.heading_row))
        framework = framework_by_key(coverage.framework_key)
        categories = [framework.category(c) for c in coverage.category_ids]
        self.grid.clear()
        self.grid.setColumnCount(len(categories) + 1)
        self.grid.setHorizontalHeaderLabels([_short(c.name) for c in categories] + ["All"])
        for column, category in enumerate(categories):
            self.grid.horizontalHeaderItem(column).setToolTip(f"{category.name}: {category.description}")
        rows = [r for theme in framework.themes for r in [(theme, None)] + [(theme, s) for s in framework.statements_in(theme.id)]]
        self.grid.setRowCount(len(rows))
        labels = []
        bold = QFont()
        bold.setBold(True)
        for row, (theme, statement) in enumerate(rows):
            if statement is None:
                labels.append(theme.name)
                for column in range(len(categories) + 1):
                    cell = QTableWidgetItem("")
                    cell.setBackground(heading)
                    cell.setFlags(Qt.ItemFlag.NoItemFlags)
                    self.grid.setItem(row, column, cell)
                continue
            total = coverage.statement_total(statement.id)
            flag = "⚑ " if self._concerns.get(statement.id, (0, 0))[0] else ""
            labels.append(("⚠ " if total == 0 else "") + flag + statement.name)
            for column, category in enumerate(categories):
                count = coverage.count(statement.id, category.id)
                self.grid.setItem(row, column, self._cell(count, statement.id, category.id, f"{statement.name} × {category.name}", gap))
            total_cell = self._cell(total, statement.id, "", f"{statement.name}, all categories", gap)
            total_cell.setFont(bold)
            self.grid.setItem(row, len(categories), total_cell)
        self.grid.setVerticalHeaderLabels(labels)
        for row, (_theme, statement) in enumerate(rows):
            touching, still_open = self._concerns.get(statement.id, (0, 0)) if statement is not None else (0, 0)
            if touching:
                words = concern_words(touching, still_open)
                self.grid.verticalHeaderItem(row).setToolTip(words)
                self.grid.verticalHeaderItem(row).setData(Qt.ItemDataRole.AccessibleDescriptionRole, words)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        missing = [framework.statement(s).name for s in coverage.missing]
        flagged = sum(1 for touching, _open in self._concerns.values() if touching)
        self.summary.setText(
            ("Every quality statement has evidence." if not missing
             else f"{len(missing)} of {len(coverage.statement_ids)} statements have no evidence yet: " + "; ".join(missing))
            + (f"\n⚑ marks the {flagged} statement{'s' if flagged != 1 else ''} a concern touches." if flagged else "")
        )  # fmt: skip

    @staticmethod
    def _cell(count: int, statement_id: str, category_id: str, accessible: str, gap: QBrush) -> QTableWidgetItem:
        cell = QTableWidgetItem(str(count) if count else "")
        cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        cell.setData(STATEMENT_ROLE, statement_id)
        cell.setData(CATEGORY_ROLE, category_id)
        cell.setToolTip(f"{accessible}: {count} piece{'s' if count != 1 else ''} of evidence")
        if count == 0:
            cell.setBackground(gap)
        return cell

    def on_grid_cell_activated(self, row: int, column: int) -> None:
        cell = self.grid.item(row, column)
        if cell is not None and cell.data(STATEMENT_ROLE):
            self.cell_chosen.emit(cell.data(STATEMENT_ROLE), cell.data(CATEGORY_ROLE) or "")


def concern_words(touching: int, still_open: int) -> str:
    """A flagged statement's tooltip: "2 concerns touch this statement; 1 not yet acknowledged by the office"."""
    words = f"{touching} concern{'s' if touching != 1 else ''} touch{'es' if touching == 1 else ''} this statement"
    return f"{words}; {still_open} not yet acknowledged by the office" if still_open else f"{words}; all acknowledged by the office"


def _short(name: str) -> str:
    """'Feedback from staff and leaders' -> 'Staff and leaders': the grid needs narrow columns."""
    prefix = "Feedback from "
    return name[len(prefix):].capitalize() if name.startswith(prefix) else name
