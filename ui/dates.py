"""Dates in the app: read and shown day first (en-GB) unless the system's locale puts the month
first; the core (fieldapp.dates) does the reading and keeps ISO 8601."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache

from PySide6.QtCore import QLocale

from fieldapp import dates
from fieldapp.errors import UnreadableDate


@cache
def day_first() -> bool:
    """True unless the system's locale writes the month first (a US locale, say); the bare "C"
    locale of a fresh Linux install counts as en-GB, as the app's users are in England."""
    locale = QLocale.system()
    if locale.language() == QLocale.Language.C:
        return True
    pattern = locale.dateFormat(QLocale.FormatType.ShortFormat)
    day, month = pattern.find("d"), pattern.find("M")
    return day < 0 or month < 0 or day < month


def hint() -> str:
    return dates.hint(day_first())


def day_hint() -> str:
    """The hint for a field that keeps a day only (an assessment's period): no time to suggest."""
    return "e.g. 21/11/2026" if day_first() else "e.g. 11/21/2026"


def when_text(value: str | None) -> str:
    """A kept date or date-time as it is shown and edited ("21/11/2026 14:30")."""
    return dates.show_when(value, day_first=day_first())


def moment_text(instant: str | None) -> str:
    """An instant the app stamped, in this laptop's time: "14:32 today", "21/11/2026 14:32"."""
    return dates.show_moment(instant, day_first=day_first())


def read_when(text: str) -> str | None:
    """Typed text as the vault keeps it; raises UnreadableDate saying how to type it."""
    return dates.parse_when(text, day_first=day_first())


def when_or_as_typed(text: str) -> str | None:
    """The kept form when the text reads as a date, else the text itself, kept so it can be fixed."""
    try:
        return read_when(text)
    except UnreadableDate:
        return text.strip()


def problem(value: str | None) -> str:
    """Why a value held as typed is not a date yet, in words; "" for a kept (ISO) value."""
    if dates.is_iso(value):
        return ""
    try:
        read_when(value or "")
    except UnreadableDate as exc:
        return f"{exc} It is kept as you typed it until then."
    return ""


def with_day(value: str | None, day: date) -> str:
    """value moved to another day, keeping its time of day (the calendar picks only the day)."""
    try:
        kept = dates.parse_when(value or "", day_first=day_first())
    except UnreadableDate:
        kept = None
    if kept and "T" in kept:
        clock = datetime.fromisoformat(kept).time()
        return when_text(datetime.combine(day, time(clock.hour, clock.minute)).isoformat(timespec="minutes"))
    return when_text(day.isoformat())
