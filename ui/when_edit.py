"""A date field people type into as they write dates ("21/11/2026 14:30", "today 2pm"), with a
calendar beside the text for those who would rather pick the day.

It stays a QLineEdit: what is typed is what is kept (the editor reads it with ui.dates), and the
calendar only writes a day into the text. Alt+Down or F4 opens the calendar, as in Qt's own
date edits; Enter picks the day, Escape leaves the text as it was. A table's date cells open with
one too (ui/row_table.py), where F4 is the key, as Alt+Down moves the row.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QCalendarWidget, QDateEdit, QLineEdit, QWidget

from fieldapp import dates as core_dates
from fieldapp.errors import UnreadableDate

from ui.dates import hint, read_when, when_text, with_day
from ui.icons import icon


class WhenEdit(QLineEdit):
    picked = Signal()  # () a day was chosen in the calendar (the text changed as if typed)

    def __init__(self, text: str = "", label: str = "Date", parent: QWidget | None = None, *, calendar_key: str = "Alt+Down") -> None:
        super().__init__(text, parent)
        self.setPlaceholderText(hint())
        self.setAccessibleName(label)
        self.calendar_action = QAction(icon("calendar"), f"Pick a day for {label}", self)
        self.calendar_action.setToolTip(f"Pick a day from a calendar ({calendar_key})")
        self.calendar_action.triggered.connect(self.open_calendar)
        self.addAction(self.calendar_action, QLineEdit.ActionPosition.TrailingPosition)
        self.calendar: QCalendarWidget | None = None
        self.empty_day: date | None = None  # where the calendar opens while nothing is typed (else today)
        self.editingFinished.connect(self.tidy)

    def tidy(self) -> None:
        """Once the cursor leaves, show a date that reads in the app's own style ("today 2pm"
        becomes "22/11/2026 14:00"), so what will be kept is plain; text that does not read stays."""
        try:
            kept = read_when(self.text())
        except UnreadableDate:
            return
        shown = when_text(kept)
        if shown != self.text():
            self.setText(shown)

    def open_calendar(self) -> None:
        if self.calendar is None:  # made once, then shown and hidden: it may be closed from its own keys
            calendar = self.calendar = QCalendarWidget(self)
            calendar.setWindowFlags(Qt.WindowType.Popup)
            calendar.setAccessibleName(f"Calendar for {self.accessibleName()}")
            calendar.setGridVisible(True)
            calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
            calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
            calendar.activated.connect(self._choose)
            calendar.clicked.connect(self._choose)
        calendar = self.calendar
        calendar.setSelectedDate(QDate(self._current_day()))
        calendar.adjustSize()
        calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        calendar.show()
        calendar.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        alt_down = event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
        if alt_down or event.key() == Qt.Key.Key_F4:
            self.open_calendar()
            return
        super().keyPressEvent(event)

    def _current_day(self) -> date:
        try:
            kept = read_when(self.text())
        except UnreadableDate:
            kept = None
        return core_dates.day_of(kept) or self.empty_day or date.today()

    def _choose(self, chosen: QDate) -> None:
        text = with_day(self.text(), chosen.toPython())
        if self.calendar is not None:
            self.calendar.hide()
        self.setFocus()
        if text != self.text():
            self.setText(text)
            self.textEdited.emit(text)  # as if typed: the editor saves it like any edit
            self.picked.emit()


class DayEdit(QDateEdit):
    """Qt's date edit, day first, with its calendar; Tab leaves it like any field. (Qt's own moves
    between day, month and year on Tab, so Tab never got past it: a trap for the keyboard.)"""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setDisplayFormat("dd/MM/yyyy")
        self.setCalendarPopup(True)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002,N802 - Qt override
        return QWidget.focusNextPrevChild(self, next)
