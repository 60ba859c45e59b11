"""The evidence list's filters beyond kind and words: theme, quality statement, evidence category
and the days the evidence was gathered between, typed day first (empty for any day) or picked from
a calendar; and, behind More filters, the evidence's context (issue 15): place, organisation, team
member, source, on or off site, how it was held, case sample and its stage. Each choice narrows the
search the core runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from fieldapp import domain
from fieldapp.errors import UnreadableDate
from fieldapp.framework import Framework, default_framework

from ui.dates import read_when, when_text
from ui.operations.places import FilterChoices
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
        # Placed by the window beside the kind filter (the rows here are as wide as the list column allows).
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
        dates = QHBoxLayout()
        since = QLabel("Fr&om")  # Alt+F is the File menu's
        since.setBuddy(self.date_from)
        until = QLabel("&to")
        until.setBuddy(self.date_to)
        for widget in (since, self.date_from, until, self.date_to):
            dates.addWidget(widget)
        dates.addStretch(1)
        dates.addWidget(self.clear_button)
        # More filters ends the tags' row (the dates' row is the widest already), its rows under it.
        self._build_context_filters(tags)
        layout.addLayout(tags)
        layout.addWidget(self.more)
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
        return any((self.theme_id, self.statement_id, self.category_id, *self.date_range, self.with_concern)) or bool(self.context_filters())

    def clear(self) -> None:
        self.blockSignals(True)
        for combo in (self.theme, self.statement, self.category, *self._context.values()):
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

    # -- the evidence's context (issue 15) ----------------------------------------------------------

    def _build_context_filters(self, row: QHBoxLayout) -> None:
        """A More filters button on the given row, showing two more rows of filters: place,
        organisation and team member (the assessment's own, set by set_choices), then source, site,
        mode, case sample and its stage. Shut, the button counts the ones still narrowing the list."""
        self.more_button = QToolButton()
        self.more_button.setCheckable(True)
        self.more_button.setAccessibleName("More filters: place, organisation, team member, source, site, mode, case sample, sample stage")
        self.more_button.setToolTip("Filter by place, organisation, team member, source, site, how it was held, case sample or its stage")
        self.more_button.toggled.connect(self._on_more_toggled)
        row.addWidget(self.more_button)
        self.place = self._combo("Filter by place", "All places")
        self.organisation = self._combo("Filter by organisation", "All organisations")
        self.member = self._combo("Filter by team member who took part", "Anyone on the team")
        self.source = self._coded("Filter by where the evidence came from", "Any source", domain.SOURCES)
        self.site = self._coded("Filter by on or off site", "Any site", {k: f"Site {v.lower()}" if not k else v for k, v in domain.SITES.items()})
        self.mode = self._coded("Filter by how it was held", "Any way held", {k: v for k, v in domain.MODES.items() if k})
        self.sample = self._combo("Filter by case sample", "Any case sample")
        self.stage = self._coded("Filter by case sample stage", "Any sample stage", {k: v for k, v in domain.SAMPLE_STAGES.items() if k})
        self._context = {"place_ids": self.place, "organisation_ids": self.organisation, "team": self.member, "samples": self.sample,
                         "sources": self.source, "sites": self.site, "modes": self.mode, "sample_stages": self.stage}  # fmt: skip
        for combo in self._context.values():
            combo.currentIndexChanged.connect(lambda _i: self._show_more_count())
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for column, combo in enumerate((self.place, self.organisation, self.member, self.sample)):
            grid.addWidget(combo, 0, column * 3, 1, 3)
        for column, combo in enumerate((self.source, self.site, self.mode, self.stage)):
            grid.addWidget(combo, 1, column * 3, 1, 3)
        self.more = QWidget()
        self.more.setLayout(grid)
        self.more.setVisible(False)
        self._show_more_count()

    def _coded(self, name: str, everything: str, values: dict[str, str]) -> QComboBox:
        combo = self._combo(name, everything)
        for key, label in values.items():
            combo.addItem(label, key)
        return combo

    def context_filters(self) -> dict[str, tuple[str, ...]]:
        """The context filters chosen, as search.Query takes them (a filter on "any" is left out)."""
        return {key: (combo.currentData(),) for key, combo in self._context.items() if combo.currentData() is not None}

    def set_choices(self, choices: FilterChoices) -> None:
        """The assessment's places, organisations, team and case samples, to filter by; a choice still offered stays
        chosen, and the list is asked for again when one that was chosen is gone."""
        before = self.context_filters()
        self.blockSignals(True)
        self._fill(self.place, [(p.name + (" (retired)" if p.retired else ""), p.id) for p in choices.places if p.is_place])
        self._fill(self.organisation, [(f"{p.name} · {p.type_label}" + (" (retired)" if p.retired else ""), p.id)
                                       for p in choices.places if p.is_organisation])  # fmt: skip
        self._fill(self.member, [(f"{m.name} · {m.role_label}", m.name) for m in choices.team])
        self._fill(self.sample, [(name, name) for name in choices.samples])
        self.blockSignals(False)
        self._show_more_count()
        if self.context_filters() != before:
            self.changed.emit()

    def forget_choices(self) -> None:
        """Another assessment was chosen: its places, organisations and team are not this one's."""
        self.set_choices(FilterChoices((), ()))

    def _fill(self, combo: QComboBox, entries: list[tuple[str, Any]]) -> None:
        kept = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for label, value in entries:
            combo.addItem(label, value)
        combo.setCurrentIndex(max(0, combo.findData(kept)) if kept is not None else 0)
        combo.blockSignals(False)

    def show_more(self) -> None:
        """View → Filter by place, organisation or source: the rows shown, the first taking the keys."""
        self.more_button.setChecked(True)
        self.place.setFocus()

    def _on_more_toggled(self, shown: bool) -> None:
        """Opened (Alt+M), the first of the rows takes the keys; shut, the button keeps them (a hidden
        combo holding the focus would swallow the keys typed next)."""
        focused = QApplication.focusWidget()
        had_focus = focused is not None and self.more.isAncestorOf(focused)
        self.more.setVisible(shown)
        if shown:
            self.place.setFocus()
        elif had_focus:
            self.more_button.setFocus()
        self._show_more_count()

    def _show_more_count(self) -> None:
        """'More filters (2)' while two hidden ones narrow the list: a filter never narrows it unseen."""
        chosen = len(self.context_filters())
        shown = self.more_button.isChecked()
        self.more_button.setText("&More filters " + ("▴" if shown else "▾") + (f" ({chosen})" if chosen and not shown else ""))
