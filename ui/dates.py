"""Dates and times as an inspector types them ("2026-11-20 10:00") and as the vault keeps them (ISO)."""

from __future__ import annotations

from datetime import datetime

from fieldapp.errors import ValidationError

WHEN_HINT = "e.g. 2026-11-20 10:00"


def when_text(value: str | None) -> str:
    """An ISO date or date-time as it is shown: a space instead of the T."""
    return value.replace("T", " ") if value else ""


def when(text: str, label: str) -> str | None:
    """Typed text as an ISO date or date-time to the minute; raises ValidationError naming label."""
    text = text.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ValidationError(f"{label}: '{text}' is not a date and time ({WHEN_HINT}).") from None
    return parsed.isoformat(timespec="minutes") if "T" in text or " " in text else parsed.date().isoformat()


def when_or_as_typed(text: str) -> str | None:
    """The ISO form when the text reads as a date, else the text itself, kept so it can be corrected."""
    try:
        return when(text, "date")
    except ValidationError:
        return text.strip()


def is_iso_when(value: str | None) -> bool:
    if not value:
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
