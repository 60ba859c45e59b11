"""Vault values as people read them, in en-GB: moments, dates, yes or no, choices by their labels,
a case's contacts as lines. Pure functions, so history, the conflicts view and later reports
never show ISO text, slugs or dicts."""

from __future__ import annotations

import dataclasses
from datetime import datetime, tzinfo
from typing import Any

from fieldapp import dates, domain

NONE = "—"  # an empty field: a dash reads as "nothing here", an empty cell as a rendering fault


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count as a report says it: '1 snapshot', '3 snapshots' ('1 passage was', not 'passage(s)')."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def cell(words: str) -> str:
    """Words made for a sentence ('the Integrated Care Board') as a table cell starts them: 'The Integrated Care Board'."""
    return words[:1].upper() + words[1:]


def moment_words(iso: str, *, tz: tzinfo | None = None) -> str:
    """When something was saved, in this laptop's time: '2026-11-21T14:30:00Z' -> 'Sat 21 Nov 2026, 14:30' (tz: for tests)."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    # An instant (revisions are stamped in UTC): shown as the clock here read then.
    return dates.show_long((moment.astimezone(tz) if moment.tzinfo is not None else moment).isoformat())


def when_words(iso: str | None) -> str:
    """A record's date or date-time as the editor shows it, day first: '21/11/2026 14:30', '21/11/2026'."""
    return dates.show_when(iso) or NONE


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def consent_lines(consent: domain.Consent) -> list[str]:
    lines = [f"Consent given: {yes_no(consent.given)}"]
    if consent.method:
        lines.append(f"How: {domain.CONSENT_METHODS.get(consent.method, consent.method)}")
    if consent.recorded_at:
        lines.append(f"When: {when_words(consent.recorded_at)}")
    return lines


def contact_line(contact: domain.Contact) -> str:
    """'01/10/2026 · Emergency department: Admitted after a fall · Hospital → Ward · their account: “Waited 9 hours”'."""
    head = " · ".join(part for part in (when_words(contact.date) if contact.date else "", contact.service) if part)
    line = f"{head}: {contact.what_happened}" if head and contact.what_happened else head or contact.what_happened
    extras = [contact.transition] if contact.transition else []
    if contact.persons_account:
        extras.append(f"their account: “{contact.persons_account}”")
    if contact.mode:
        extras.append(mode_words(contact.mode, contact.face_to_face_reasons).lower())
    return " · ".join([line or "(an empty contact)", *extras])


def mode_words(mode: str, reasons: tuple[str, ...]) -> str:
    """'Face to face (Building rapport with a new contact)', 'Phone'; '' when not said."""
    if not mode:
        return ""
    why = "; ".join(domain.FACE_TO_FACE_REASONS.get(r, r) for r in reasons)
    return f"{domain.MODES.get(mode, mode)} ({why})" if why else domain.MODES.get(mode, mode)


# A context field's choices by their words (issue 15); "" (not said) reads as nothing.
_CHOICES = {
    "source": domain.SOURCES, "site": domain.SITES, "mode": domain.MODES,
    "sample_stage": domain.SAMPLE_STAGES, "document_type": domain.DOCUMENT_TYPES,
}  # fmt: skip


def attendee_line(attendee: domain.Attendee) -> str:
    return f"{attendee.role} ({attendee.organisation})" if attendee.organisation else attendee.role


def field_lines(content: domain.Content, name: str) -> list[str]:
    """One field of a record as the lines a person reads; [] when it is empty."""
    value: Any = getattr(content, name)
    if name in _CHOICES:
        return [_CHOICES[name].get(value, value)] if value else []
    if name == "face_to_face_reasons":
        return [domain.FACE_TO_FACE_REASONS.get(r, r) for r in value]
    if name in ("held_at", "date", "recorded_at", "dated"):
        return [when_words(value)] if value else []
    if name == "meeting_type":
        return [domain.MEETING_TYPES.get(value, value)]
    if name == "role":
        return [domain.INTERVIEWEE_ROLES.get(value, value)] if value else []
    if name == "consent":
        return consent_lines(value)
    if name == "contacts":
        return [f"{number}. {contact_line(c)}" for number, c in enumerate(value, 1)]
    if name == "attendees":
        return [attendee_line(a) for a in value]
    if isinstance(value, bool):
        return [yes_no(value)]
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if dataclasses.is_dataclass(value):
        return [str(value)]  # a nested value added without words of its own yet
    text = "" if value is None else str(value)
    return text.split("\n") if text else []


def content_fields(content: domain.Content) -> list[tuple[str, str, list[str]]]:
    """Every field of a record in the editor's order: (name, label as the editor shows it, lines)."""
    return [
        (f.name, domain.field_label(f"{content.kind}.{f.name}"), field_lines(content, f.name))
        for f in dataclasses.fields(content)
    ]
