"""The evidence list's filters beyond kind and words: theme, quality statement, evidence category
and the date the evidence was gathered. Each choice narrows the search the core runs."""

from __future__ import annotations

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from fieldapp.framework import Framework, default_framework

from ui.when_edit import DayEdit

_NO_DATE = QDate(2000, 1, 1)  # the date edits' minimum, shown as "any": no bound


class ListFilters(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, framework: Framework | None = None) -> None:
        super().__init__(parent)
        self._framework = framework or default_framework()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.theme = self._combo("Filter by theme", "All themes")
        for theme in self._framework.themes:
            self.theme.addItem(theme.name, theme.id)
        self.statement = self._combo("Filter by quality statement", "All statements")
        self.category = self._combo("Filter by evidence category", "All categories")
        for category in self._framework.categories:
            self.category.addItem(category.name, category.id)
        self._fill_statements()
        self.theme.currentIndexChanged.connect(self._on_theme_changed)
        self.date_from = self._date("Gathered on or after")
        self.date_to = self._date("Gathered on or before")
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setAccessibleName("Clear the list filters")
        self.clear_button.clicked.connect(self.clear)
        # Two short rows rather than one long one: the list column stays narrow at 1366 pixels.
        tags = QHBoxLayout()
        for widget, stretch in ((self.theme, 2), (self.statement, 3), (self.category, 2)):
            tags.addWidget(widget, stretch)
        dates = QHBoxLayout()
        since = QLabel("Fr&om")  # Alt+F is the File menu's
        since.setBuddy(self.date_from)
        until = QLabel("&to")
        until.setBuddy(self.date_to)
        for widget in (since, self.date_from, until, self.date_to):
            dates.addWidget(widget)
        dates.addStretch(1)
        dates.addWidget(self.clear_button)
        layout.addLayout(tags)
        layout.addLayout(dates)

    # -- what the search takes ------------------------------------------------------------------

    @property
    def theme_id(self) -> str | None:
        return self.theme.currentData()

    @property
    def statement_id(self) -> str | None:
        return self.statement.currentData()

    @property
    def category_id(self) -> str | None:
        return self.category.currentData()

    @property
    def date_range(self) -> tuple[str | None, str | None]:
        def iso(edit: QDateEdit) -> str | None:
            return None if edit.date() == _NO_DATE else edit.date().toString("yyyy-MM-dd")

        return iso(self.date_from), iso(self.date_to)

    def active(self) -> bool:
        return any((self.theme_id, self.statement_id, self.category_id, *self.date_range))

    def clear(self) -> None:
        self.blockSignals(True)
        for combo in (self.theme, self.statement, self.category):
            combo.setCurrentIndex(0)
        for edit in (self.date_from, self.date_to):
            edit.setDate(_NO_DATE)
        self.blockSignals(False)
        self.changed.emit()

    # -- building ---------------------------------------------------------------------------------

    def _combo(self, name: str, everything: str) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setToolTip(name)
        combo.addItem(everything, None)
        # Statement names are long: the combo shrinks to a few letters (its popup shows them
        # whole) so the list column never pushes the editor off a 1366-pixel screen.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(4)
        combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        return combo

    def _date(self, name: str) -> DayEdit:
        edit = DayEdit(name)
        edit.setToolTip(f"{name} (the lowest date means any)")
        edit.setDisplayFormat("d MMM yyyy")
        edit.setMinimumDate(_NO_DATE)
        edit.setSpecialValueText("any")
        edit.setDate(_NO_DATE)
        edit.dateChanged.connect(lambda _d: self.changed.emit())
        return edit

    def _on_theme_changed(self, _index: int) -> None:
        self._fill_statements()

    def _fill_statements(self) -> None:
        """The statements of the chosen theme (all of them, by theme, when none is chosen)."""
        kept = self.statement_id
        self.statement.blockSignals(True)
        self.statement.clear()
        self.statement.addItem("All statements", None)
        themes = [self._framework.theme(self.theme_id)] if self.theme_id else list(self._framework.themes)
        for theme in themes:
            for statement in self._framework.statements_in(theme.id):
                self.statement.addItem(statement.name, statement.id)
        self.statement.setCurrentIndex(max(0, self.statement.findData(kept)) if kept else 0)
        self.statement.blockSignals(False)
