"""The evidence list's filters beyond kind and words: theme, quality statement, evidence category
and the days the evidence was gathered between, typed day first (empty for any day) or picked from
a calendar. Each choice narrows the search the core runs."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from fieldapp.errors import UnreadableDate
from fieldapp.framework import Framework, default_framework

from ui.dates import read_when, when_text
from ui.when_edit import WhenEdit

ANY_DAY = "any"  # what an empty date filter shows
_HOW = "Type a day such as 01/12/2026 and press Enter, or pick one from the calendar (Alt+Down). Leave it empty for any day."


class ListFilters(QWidget):
    changed = Signal()
    message = Signal(str)  # why a typed day was not taken, in words for the status bar

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
        self._days: dict[WhenEdit, str | None] = {}  # the day each date filter holds (ISO), None for any
        self.date_from = self._date("Gathered on or after", "Only evidence gathered on or after this day.")
        self.date_to = self._date("Gathered on or before", "Only evidence gathered on or before this day.")
        self.concern = QCheckBox("Con&cerns")  # Alt+C: no menu or field of the window has it
        self.concern.setAccessibleName("Only records a concern was raised from")
        self.concern.setToolTip("Only the records a concern was raised from (issue 15)")
        self.concern.toggled.connect(lambda _on: self.changed.emit())
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setAccessibleName("Clear the list filters")
        self.clear_button.clicked.connect(self.clear)
        # Two short rows rather than one long one: the list column stays narrow at 1366 pixels.
        tags = QHBoxLayout()
        for widget, stretch in ((self.theme, 2), (self.statement, 3), (self.category, 2)):
            tags.addWidget(widget, stretch)
        tags.addWidget(self.concern)  # beside the tag filters, where the combos give way: the column stays narrow
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
        return self._days[self.date_from], self._days[self.date_to]

    @property
    def with_concern(self) -> bool:
        return self.concern.isChecked()

    def active(self) -> bool:
        return any((self.theme_id, self.statement_id, self.category_id, *self.date_range, self.with_concern))

    def clear(self) -> None:
        self.blockSignals(True)
        for combo in (self.theme, self.statement, self.category):
            combo.setCurrentIndex(0)
        for edit in (self.date_from, self.date_to):
            edit.clear()
            self._days[edit] = None
        self.concern.setChecked(False)
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

    def set_period(self, start: str | None, end: str | None) -> None:
        """The chosen assessment's period (ISO days): an empty filter's calendar opens in it, at
        its first (From) or last (to) day, unless today is in it."""
        today = date.today().isoformat()
        inside = not start or not end or start <= today <= end
        self.date_from.empty_day = None if inside or not start else date.fromisoformat(start)
        self.date_to.empty_day = None if inside or not end else date.fromisoformat(end)

    def _date(self, name: str, what: str) -> WhenEdit:
        edit = WhenEdit("", name)
        edit.setPlaceholderText(ANY_DAY)
        edit.setToolTip(f"{what}\n{_HOW}")
        edit.setAccessibleDescription(f"{what} {_HOW}")
        # Wide enough for a day and the calendar button, so the list column stays narrow.
        edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("30/12/2026") + 56)
        self._days[edit] = None
        edit.editingFinished.connect(lambda: self._on_date_finished(edit))
        edit.picked.connect(lambda: self._on_date_finished(edit))
        return edit

    def _on_date_finished(self, edit: WhenEdit) -> None:
        """Take the day typed (Enter, leaving the field or a day picked): the list follows; words
        that are not a day are left to be fixed, with why in the status bar."""
        try:
            kept = read_when(edit.text())
        except UnreadableDate as exc:
            self.message.emit(f"{edit.accessibleName()}: {exc}")
            return
        day = kept[:10] if kept else None  # a time typed with it does not narrow a day filter
        edit.setText(when_text(day))
        if day != self._days[edit]:
            self._days[edit] = day
            self.changed.emit()

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
