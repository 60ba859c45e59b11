"""Coverage: quality statements (grouped by theme) × evidence categories, with the gaps marked: a
category the framework requires evidence in and that has none yet says "needed", apart from the
empty cells no one requires; under the grid, a legend in words and the case samples' counts.

The view an inspector checks before leaving a site. Clicking a cell asks for the evidence behind it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from fieldapp.coverage import Coverage
from fieldapp.errors import NotFound
from fieldapp.framework import Category, Framework, Statement, default_framework, framework_by_key
from fieldapp.samples import SampleCount

from ui.theme import colors

NEEDED = "needed"  # a required category with no evidence yet (Framework.required_categories)
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
        self._build_foot(layout)
        self._coverage: Coverage | None = None

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

    def show_coverage(self, coverage: Coverage) -> None:
        self._coverage = coverage
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
            labels.append(("⚠ " if total == 0 else "") + statement.name)
            for column, category in enumerate(categories):
                count = coverage.count(statement.id, category.id)
                self.grid.setItem(row, column, self._cell(count, statement.id, category.id, f"{statement.name} × {category.name}", gap))
            total_cell = self._cell(total, statement.id, "", f"{statement.name}, all categories", gap)
            total_cell.setFont(bold)
            self.grid.setItem(row, len(categories), total_cell)
        self.grid.setVerticalHeaderLabels(labels)
        self._mark_required(coverage, framework, [s for _t, s in rows], categories)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        missing = [framework.statement(s).name for s in coverage.missing]
        self.summary.setText(
            "Every quality statement has evidence." if not missing
            else f"{len(missing)} of {len(coverage.statement_ids)} statements have no evidence yet: " + "; ".join(missing)
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

    # -- required categories and case samples (issue 15) ---------------------------------------

    def _build_foot(self, layout: QVBoxLayout) -> None:
        """Under the grid: what its marks mean, in words, and the case samples' counts."""
        self.legend = QLabel("")
        self.legend.setAccessibleName("What the coverage grid's marks mean")
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        self.samples = QLabel("")
        self.samples.setAccessibleName("Case samples")
        self.samples.setWordWrap(True)
        self.samples.setTextFormat(Qt.TextFormat.PlainText)  # sample names are typed by the team: never markup
        self.samples.hide()
        layout.addWidget(self.samples)

    def _mark_required(self, coverage: Coverage, framework: Framework, statements: list[Statement | None], categories: list[Category]) -> None:
        """A required category with no evidence yet says “needed”, in the flag's colour and bold, with
        why in its tooltip; the legend says what each mark means and how many statements lack one."""
        flag = QBrush(QColor(colors().flag))
        bold = QFont()
        bold.setBold(True)
        columns = {category.id: column for column, category in enumerate(categories)}
        for row, statement in enumerate(statements):
            if statement is None:
                continue
            for category_id in coverage.missing_required(statement.id):
                cell = self.grid.item(row, columns[category_id]) if category_id in columns else None
                if cell is None:
                    continue
                cell.setText(NEEDED)
                cell.setForeground(flag)
                cell.setFont(bold)
                category = framework.category(category_id).name
                cell.setToolTip(f"{statement.name} × {category}: no evidence yet, and this statement needs evidence in {category}.")
                cell.setData(Qt.ItemDataRole.AccessibleDescriptionRole, "required, no evidence yet")
        gaps = len(coverage.gaps)
        lacking = (f" {gaps} statement{'s lack' if gaps != 1 else ' lacks'} evidence in a required category." if gaps
                   else " Every statement has evidence in the categories it requires.")  # fmt: skip
        self.legend.setText(f"“{NEEDED}”: a category this statement requires evidence in, with none yet. "
                            f"An empty cell: no evidence yet, and none required.{lacking}")  # fmt: skip

    def show_samples(self, counts: tuple[SampleCount, ...]) -> None:
        """'Discharge sample: 50 put forward, 10 short-listed, 6 engaged', one line a sample; hidden with none."""
        lines = [f"{c.sample}: {c.words()}" + (f" ({c.unstaged} not staged yet)" if c.unstaged else "") for c in counts]
        self.samples.setText("Case samples — " + "; ".join(lines) + "." if lines else "")
        self.samples.setVisible(bool(lines))

    def on_grid_cell_activated(self, row: int, column: int) -> None:
        cell = self.grid.item(row, column)
        if cell is not None and cell.data(STATEMENT_ROLE):
            self.cell_chosen.emit(cell.data(STATEMENT_ROLE), cell.data(CATEGORY_ROLE) or "")


def _short(name: str) -> str:
    """'Feedback from staff and leaders' -> 'Staff and leaders': the grid needs narrow columns."""
    prefix = "Feedback from "
    return name[len(prefix):].capitalize() if name.startswith(prefix) else name
