"""Dates and times as inspectors in England type them, and as the vault keeps them.

Typed: "21/11/2026", "21/11/26 2.30pm", "21 Nov 2026 14:30", "Sat 21st November 2026, 14:30",
"today 14:30", "yesterday", "2026-11-21 14:30". Day first unless told otherwise (`day_first`).
Kept: ISO 8601, a date alone ("2026-11-21") or a date-time to the minute with the local offset it
was recorded under ("2026-11-21T14:30+00:00", "2026-06-21T14:30+01:00"): the wall time the
inspector saw and the instant in UTC, both. Shown: "21/11/2026 14:30", the wall time as recorded.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from fieldapp.errors import UnreadableDate

EXAMPLES = "21/11/2026 14:30, 21 Nov 2026 or today 14:30"
EXAMPLES_MONTH_FIRST = "11/21/2026 14:30, Nov 21 2026 or today 14:30"
MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),  # fmt: skip
        start=1,
    )
    for name in names
}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")  # fmt: skip
_WEEKDAYS = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?"
_RELATIVE = {"today": 0, "yesterday": -1, "tomorrow": 1}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# One pattern per way of writing the day; the time, if any, follows (see _TIME).
_NUMERIC = re.compile(r"(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})(?:[/.\-](?P<y>\d{4}|\d{2}))?")
_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_DAY_MONTH = re.compile(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\.?(?:,?\s+(?P<y>\d{{4}}))?")
_MONTH_DAY = re.compile(rf"(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?")
_TIME = re.compile(
    r"(?P<h>\d{1,2})(?:[:.](?P<min>\d{2}))?(?::(?P<s>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?"
    r"(?P<zone>z|[+-]\d{2}:?\d{2})?"
)
_JOIN = re.compile(r"^(?:\s*,\s*|\s+at\s+|\s*t\s*|\s+)", re.IGNORECASE)


def parse_when(text: str, *, day_first: bool = True, now: datetime | None = None) -> str | None:
    """Typed text as the vault keeps it: None when blank, else an ISO date or a date-time to the
    minute with the local offset; raises UnreadableDate saying how to type it."""
    typed = " ".join(text.split())
    if not typed:
        return None
    now = now or datetime.now()
    cleaned = re.sub(rf"^{_WEEKDAYS}\s*", "", typed.lower()) if not typed[:1].isdigit() else typed.lower()
    day, rest = _read_day(cleaned, day_first, now, typed)
    rest = _JOIN.sub("", rest, count=1) if rest else rest
    if not rest.strip():
        return day.isoformat()
    moment = _read_time(rest.strip(), typed)
    if moment is None:
        raise _unreadable(typed, day_first)
    clock, zone = moment
    if zone is not None:
        return datetime.combine(day, clock).replace(tzinfo=zone).isoformat(timespec="minutes")
    return _with_local_offset(datetime.combine(day, clock)).isoformat(timespec="minutes")


def show_when(value: str | None, *, day_first: bool = True) -> str:
    """A kept value as it is shown: "21/11/2026" or "21/11/2026 14:30" (the wall time recorded).
    A value that is not ISO (typed text kept as it was) is shown as it is."""
    parsed = _kept(value)
    if parsed is None:
        return value or ""  # text kept as typed is shown as it is
    day = parsed.strftime("%d/%m/%Y" if day_first else "%m/%d/%Y")
    return day if _is_date_only(value or "") else f"{day} {parsed.strftime('%H:%M')}"


def show_long(value: str | None) -> str:
    """A kept value in words, for reading rather than editing: "Sat 21 Nov 2026, 14:30"."""
    parsed = _kept(value)
    if parsed is None:
        return value or ""
    day = f"{parsed.strftime('%a')} {parsed.day} {_MONTH_NAMES[parsed.month - 1][:3]} {parsed.year}"
    return day if _is_date_only(value or "") else f"{day}, {parsed.strftime('%H:%M')}"


def show_moment(instant: str | None, *, day_first: bool = True, now: datetime | None = None) -> str:
    """An instant the app stamped (UTC, '2026-11-21T14:32:05.1Z') as the clock here read then:
    "14:32 today", "14:32 yesterday", else "21/11/2026 14:32"; "" for none. now: for tests (its
    offset is the zone shown); by default this laptop's clock and zone."""
    if not instant:
        return ""
    try:
        moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return instant
    now = now or datetime.now().astimezone()
    here = moment.astimezone(now.tzinfo) if moment.tzinfo is not None else moment
    clock = here.strftime("%H:%M")
    for word, offset in (("today", 0), ("yesterday", -1)):
        if here.date() == (now + timedelta(days=offset)).date():
            return f"{clock} {word}"
    return f"{here.strftime('%d/%m/%Y' if day_first else '%m/%d/%Y')} {clock}"


def day_of(value: str | None) -> date | None:
    """The day of a kept value (its wall-time day), None for none or for text kept as typed."""
    parsed = _kept(value)
    return parsed.date() if parsed else None


def _kept(value: str | None) -> datetime | None:
    """A kept ISO value read back; None for none, or for text that is not ISO."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def is_iso(value: str | None) -> bool:
    if not value:
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def hint(day_first: bool = True) -> str:
    return f"e.g. {EXAMPLES if day_first else EXAMPLES_MONTH_FIRST}"


# -- reading ---------------------------------------------------------------------------------------


def _read_day(text: str, day_first: bool, now: datetime, typed: str) -> tuple[date, str]:
    """The day at the start of text, and what follows it."""
    for word, offset in _RELATIVE.items():
        if text.startswith(word):
            return (now + timedelta(days=offset)).date(), text[len(word) :]
    if text.startswith("now") and not text[3:].strip():
        return now.date(), now.strftime(" %H:%M")
    if match := _ISO.match(text):
        return _day(int(match["y"]), int(match["m"]), int(match["d"]), typed, day_first), text[match.end() :]
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        if match := pattern.match(text):
            year = int(match["y"]) if match["y"] else now.year
            return _day(year, MONTHS[match["mon"]], int(match["d"]), typed, day_first), text[match.end() :]
    if match := _NUMERIC.match(text):
        first, second = int(match["a"]), int(match["b"])
        day_number, month = (first, second) if day_first else (second, first)
        year = _year(match["y"]) if match["y"] else now.year
        return _day(year, month, day_number, typed, day_first), text[match.end() :]
    raise _unreadable(typed, day_first)


def _read_time(text: str, typed: str) -> tuple[time, timezone | None] | None:
    if text in ("noon", "midday"):
        return time(12, 0), None
    match = _TIME.fullmatch(text.replace(" ", ""))  # "2 pm" reads as "2pm"
    if match is None:
        return None
    hour, minute = int(match["h"]), int(match["min"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if match["min"] is None and not ampm:
        return None  # "21/11/2026 14" is more likely a slip than 14:00
    if ampm:
        if not 1 <= hour <= 12:
            raise UnreadableDate(f"'{typed}': {hour}{ampm} is not a time; use 1 to 12 with am or pm, or a 24-hour time such as 14:30.")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UnreadableDate(f"'{typed}': {match.group(0)} is not a time of day (00:00 to 23:59).")
    return time(hour, minute), _zone(match["zone"])


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _year(text: str) -> int:
    # "26" is 2026: evidence is gathered now, not in the 1920s.
    return int(text) if len(text) == 4 else 2000 + int(text)


def _day(year: int, month: int, day_number: int, typed: str, day_first: bool) -> date:
    if not 1 <= month <= 12:
        order = "day/month/year" if day_first else "month/day/year"
        raise UnreadableDate(f"'{typed}' has no month {month}: dates are read {order}, e.g. {hint(day_first)[5:]}.")
    try:
        return date(year, month, day_number)
    except ValueError:
        raise UnreadableDate(f"'{typed}' is not a date: {_MONTH_NAMES[month - 1]} {year} has no day {day_number}.") from None


def _with_local_offset(naive: datetime) -> datetime:
    """The wall time with the offset this computer's time zone had then (GMT or BST in England)."""
    return naive.astimezone()


def _is_date_only(value: str) -> bool:
    return "T" not in value and " " not in value.strip()


def _unreadable(typed: str, day_first: bool) -> UnreadableDate:
    return UnreadableDate(f"'{typed}' is not a date and time I can read. Type it like {EXAMPLES if day_first else EXAMPLES_MONTH_FIRST}.")
