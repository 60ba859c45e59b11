"""The four kinds of evidence record and their fields, as plain frozen dataclasses.

Content converts to and from plain dicts (the canonical JSON stored in drafts and revisions);
from_dict validates strictly, so nothing malformed reaches the vault or a signature.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time
from collections.abc import Mapping
from typing import Any, ClassVar, Union

from fieldapp.errors import ValidationError

KINDS = ("observation", "interview", "case_tracking", "focus_group")
KIND_LABELS = {
    "observation": "Observation",
    "interview": "Interview",
    "case_tracking": "Case tracking",
    "focus_group": "Focus group",
}
MEETING_TYPES = {
    "icb": "ICB board meeting",
    "icp": "ICP meeting",
    "place_led": "Place-led meeting",
    "health_wellbeing_board": "Health and wellbeing board",
    "other": "Other meeting",
}
INTERVIEWEE_ROLES = {
    "person_using_services": "Person who uses services",
    "carer": "Carer, family member or advocate",
    "staff": "Staff",
    "leader": "Leader",
    "partner": "Partner",
}
CONSENT_METHODS = {"verbal": "Verbal", "written": "Written", "electronic": "Electronic", "other": "Other"}
MAX_TEXT = 1_000_000  # one field; a pasted transcript fits, a runaway paste does not
_WHEN_FIELDS = {"held_at", "date", "recorded_at"}


@dataclass(frozen=True)
class Attendee:
    role: str
    organisation: str = ""


@dataclass(frozen=True)
class Consent:
    given: bool = False
    method: str = ""  # one of CONSENT_METHODS when given
    recorded_at: str | None = None  # ISO date or date-time


@dataclass(frozen=True)
class Contact:
    """One contact in a case-tracking timeline: the person meets one service."""

    id: str
    service: str = ""
    date: str | None = None
    what_happened: str = ""
    transition: str = ""  # e.g. "Hospital → Reablement team"
    persons_account: str = ""


@dataclass(frozen=True)
class Observation:
    kind: ClassVar[str] = "observation"
    title: str = ""
    meeting_type: str = "icb"
    held_at: str | None = None
    location: str = ""
    attendees: tuple[Attendee, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Interview:
    kind: ClassVar[str] = "interview"
    title: str = ""
    role: str = "person_using_services"
    pseudonym: str = ""  # never a real name: there is deliberately no name field
    consent: Consent = field(default_factory=Consent)
    held_at: str | None = None
    location: str = ""
    notes: str = ""


@dataclass(frozen=True)
class CaseTracking:
    kind: ClassVar[str] = "case_tracking"
    title: str = ""
    pseudonym: str = ""
    summary: str = ""
    contacts: tuple[Contact, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class FocusGroup:
    kind: ClassVar[str] = "focus_group"
    title: str = ""
    held_at: str | None = None
    groups_represented: tuple[str, ...] = ()
    role: str | None = None  # who mainly took part; sets the default evidence category
    participants: int = 0
    facilitator: str = ""
    location: str = ""
    notes: str = ""


Content = Union[Observation, Interview, CaseTracking, FocusGroup]
_CLASSES: dict[str, type] = {cls.kind: cls for cls in (Observation, Interview, CaseTracking, FocusGroup)}
_NESTED: dict[str, type] = {"attendees": Attendee, "contacts": Contact, "consent": Consent}


def content_class(kind: str) -> type:
    try:
        return _CLASSES[kind]
    except KeyError:
        raise ValidationError(f"Unknown record kind {kind!r}; expected one of {', '.join(KINDS)}.") from None


def to_dict(content: Content) -> dict[str, Any]:
    """Plain JSON-ready dict of a record's fields (tuples become lists)."""
    return _plain(dataclasses.asdict(content))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def from_dict(kind: str, data: dict[str, Any]) -> Content:
    """Build and validate content of the given kind; unknown or mistyped fields are refused."""
    cls = content_class(kind)
    content = _build(cls, data, kind)
    validate(content)
    return content


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: expected an object, got {type(data).__name__}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ValidationError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}.")
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name in _NESTED:
            nested = _NESTED[name]
            if name == "consent":
                values[name] = _build(nested, value, f"{where}.{name}")
            else:
                if not isinstance(value, (list, tuple)):
                    raise ValidationError(f"{where}.{name}: expected a list.")
                values[name] = tuple(_build(nested, item, f"{where}.{name}[{i}]") for i, item in enumerate(value))
        elif name == "groups_represented":
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValidationError(f"{where}.{name}: expected a list of text.")
            values[name] = tuple(value)
        else:
            values[name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValidationError(f"{where}: {exc}.") from None


def validate(content: Content) -> None:
    """Check types and allowed values; raises ValidationError naming the field."""
    _check_types(content, content.kind)
    if isinstance(content, Observation) and content.meeting_type not in MEETING_TYPES:
        raise ValidationError(f"Unknown meeting type {content.meeting_type!r}.")
    if isinstance(content, Interview):
        if content.role not in INTERVIEWEE_ROLES:
            raise ValidationError(f"Unknown interviewee role {content.role!r}.")
        if content.consent.method and content.consent.method not in CONSENT_METHODS:
            raise ValidationError(f"Unknown consent method {content.consent.method!r}.")
    if isinstance(content, FocusGroup):
        if content.role is not None and content.role not in INTERVIEWEE_ROLES:
            raise ValidationError(f"Unknown focus group role {content.role!r}.")
        if not 0 <= content.participants <= 10_000:
            raise ValidationError("participants must be a whole number from 0 to 10,000.")
    if isinstance(content, CaseTracking):
        ids = [c.id for c in content.contacts]
        if len(set(ids)) != len(ids) or not all(ids):
            raise ValidationError("Every contact in the timeline needs its own id.")


def _check_types(obj: Any, where: str) -> None:
    """Check each field against its annotation, recursing into nested records."""
    for f in dataclasses.fields(obj):
        value, name, annotation = getattr(obj, f.name), f"{where}.{f.name}", str(f.type)
        if annotation == "str":
            _check_text(value, name)
        elif annotation == "str | None":
            if value is not None:
                _check_text(value, name)
                if f.name in _WHEN_FIELDS:
                    _check_when(value, name)
        elif annotation in ("int", "bool"):
            expected = int if annotation == "int" else bool
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ValidationError(f"{name} must be {'a whole number' if expected is int else 'true or false'}.")
        elif annotation == "tuple[str, ...]":
            for item in value:
                _check_text(item, name)
        elif annotation.startswith("tuple["):
            for item in value:
                _check_nested(item, name)
        else:
            _check_nested(value, name)


def _check_nested(value: Any, name: str) -> None:
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise ValidationError(f"{name} has the wrong shape.")
    _check_types(value, name)


def _check_text(value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text, not {type(value).__name__}.")
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{name} is longer than {MAX_TEXT:,} characters.")
    if "\x00" in value:
        raise ValidationError(f"{name} contains a NUL character.")


def _check_when(value: str, name: str) -> None:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{name}: {value!r} is not an ISO date or date-time (e.g. 2026-11-22T10:42).") from None


def when_paths(content: Content) -> tuple[str, ...]:
    """A record's date fields by path: held_at, consent.recorded_at, contacts.<contact id>.date."""
    if isinstance(content, Interview):
        return ("held_at", "consent.recorded_at")
    if isinstance(content, CaseTracking):
        return tuple(f"contacts.{c.id}.date" for c in content.contacts)
    return ("held_at",)


def check_as_typed(content: Content, as_typed: Mapping[str, str]) -> dict[str, str]:
    """Text typed into date fields that does not read as a date yet, kept for the fields content
    has (a removed contact's goes with it); raises ValidationError for text that cannot be kept."""
    paths = set(when_paths(content))
    kept: dict[str, str] = {}
    for path, text in as_typed.items():
        _check_text(text, f"{content.kind}.{path}")
        if path in paths and text.strip():
            kept[path] = text
    return kept


def occurred_on(content: Content) -> str | None:
    """The date the evidence was gathered (for date filters); a case's first contact date."""
    when: str | None
    if isinstance(content, CaseTracking):
        dates = sorted(c.date for c in content.contacts if c.date)
        when = dates[0] if dates else None
    else:
        when = content.held_at
    return datetime.fromisoformat(when).date().isoformat() if when else None


def display_title(content: Content) -> str:
    if content.title.strip():
        return content.title.strip()
    if isinstance(content, Observation):
        return MEETING_TYPES[content.meeting_type]
    if isinstance(content, Interview):
        return f"Interview: {content.pseudonym or INTERVIEWEE_ROLES[content.role]}"
    if isinstance(content, CaseTracking):
        return f"Case: {content.pseudonym or 'untitled'}"
    return f"Focus group ({content.participants} taking part)"


def text_fields(content: Content) -> dict[str, str]:
    """Every free-text field by a stable path, for search and for tagging passages."""
    fields: dict[str, str] = {}
    for f in dataclasses.fields(content):
        value = getattr(content, f.name)
        if isinstance(value, str) and f.name not in ("meeting_type", "role", "held_at"):
            fields[f.name] = value
    if isinstance(content, Observation):
        for i, a in enumerate(content.attendees):
            fields[f"attendees.{i}"] = f"{a.role} {a.organisation}".strip()
    if isinstance(content, FocusGroup):
        fields["groups_represented"] = "\n".join(content.groups_represented)
    if isinstance(content, CaseTracking):
        for c in content.contacts:
            for name in ("service", "what_happened", "transition", "persons_account"):
                fields[f"contacts.{c.id}.{name}"] = getattr(c, name)
    return fields


def flags(content: Content) -> tuple[str, ...]:
    """Things the inspector should see in the list: saved, but not complete."""
    if isinstance(content, Interview) and content.role in ("person_using_services", "carer") and not content.consent.given:
        return ("consent-missing",)
    return ()


def note_line(moment: datetime | time, text: str) -> str:
    """A quick note as it is added to a meeting's notes: '10:42  ICB chair asks for…'."""
    return f"{moment.strftime('%H:%M')}  {text.strip()}"


def append_note(notes: str, moment: datetime | time, text: str) -> str:
    line = note_line(moment, text)
    return f"{notes.rstrip(chr(10))}\n{line}" if notes.strip() else line


def today() -> str:
    return date.today().isoformat()
