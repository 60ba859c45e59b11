"""The five kinds of evidence record and their fields, as plain frozen dataclasses.

Content converts to and from plain dicts (the canonical JSON stored in drafts and revisions);
from_dict validates strictly, so nothing malformed reaches the vault or a signature. The evidence's
context (issue 15: where it came from, on or off site, the mode, who took part, places and
organisations) is left out of the dict while it holds its default, so records made before it keep
their bytes, their hash and their signature.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from collections.abc import Mapping
from typing import Any, ClassVar, Union

from fieldapp.errors import ValidationError
from fieldapp.item_kinds import (  # noqa: F401 - the item kinds' content, named here beside the records'
    ITEM_KINDS,
    JUDGEMENT,
    RATING,
    SNAPSHOT,
    EvidenceRef,
    ItemContent,
    JudgementContent,
    PublishedContent,
    RatingContent,
    FAC_RESPONSE,
    REPORT_DRAFT,
    REPORT_KINDS,
    REPORT_TEXT,
    ReportTextContent,
    FacResponseContent,
    DraftContent,
    CONCERN,
    ConcernContent,
    ScoreEntry,
    SnapshotContent,
    item_from_dict,
    item_to_dict,
)
from fieldapp.places_content import PLACES, PlaceEntry, PlacesContent  # noqa: F401 - issue 15's item kind, named here too
from fieldapp.places_content import MAX_ENTRIES as MAX_PLACE_ENTRIES

EVIDENCE_KINDS = ("observation", "interview", "case_tracking", "focus_group", "document")
KINDS = EVIDENCE_KINDS  # the record kinds: evidence (items of the other kinds are not records)
ALL_KINDS = EVIDENCE_KINDS + ITEM_KINDS
KIND_LABELS = {
    "observation": "Observation",
    "interview": "Interview",
    "case_tracking": "Case tracking",
    "focus_group": "Focus group",
    "document": "Document or data",
}
# Where a piece of evidence came from; the first is the default of every kind but a document.
SOURCES = {
    "collected": "Collected by the team",
    "held": "Already held by CQC",
    "requested": "Requested from the system",
}
SITES = {"": "Not said", "on_site": "On site", "off_site": "Off site"}
# How an interview, focus group or case-tracking contact was held ("" not said).
MODES = {"": "Not said", "face_to_face": "Face to face", "phone": "Phone", "video": "Video", "written": "Written"}
# Why face to face was chosen over a call (the interim guidance's reasons, in our words).
FACE_TO_FACE_REASONS = {
    "communication_needs": "Communication needs make a call unsuitable",
    "sensitive_inquiry": "A sensitive inquiry, such as after a death or serious incident",
    "rapport": "Building rapport with a new contact",
    "confidentiality": "Confidentiality: others in the room, or trying to influence",
    "corroborating": "Corroborating in real time",
}
# A case-tracking sample's stages, in the order a case moves through them ("" not in a sample yet).
SAMPLE_STAGES = {"": "Not said", "put_forward": "Put forward by the system", "short_listed": "Short-listed", "engaged": "Engaged"}
DOCUMENT_TYPES = {
    "policy": "Policy",
    "strategy": "Strategy",
    "survey_result": "Survey result",
    "metric": "Metric",
    "audit": "Audit",
    "self_assessment": "Self-assessment",
    "nhse_oversight": "NHS England oversight finding",
    "other": "Other document or data",
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
# Team members, places or organisations one record names: as many as an assessment's list of places may
# hold, far more than a team has. Each is a row of the editor when the
# record opens, so a colleague's broken or hostile record of thousands is refused in words instead.
MAX_CONTEXT_ENTRIES = MAX_PLACE_ENTRIES
# Every field by the words the editor shows for it, so a message names what the inspector sees.
# Keys are field paths without the record kind ("notes", "consent.recorded_at"); "[]" stands for
# an item of a list and "{n}" for its number, counted from 1; "kind.field" where kinds differ.
FIELD_LABELS = {
    "title": "Title",
    "meeting_type": "Meeting type",
    "held_at": "When",
    "location": "Where",
    "attendees": "Attendees",
    "attendees[]": "Attendee {n}",
    "attendees[].role": "Attendee {n}: role",
    "attendees[].organisation": "Attendee {n}: organisation",
    "notes": "Notes",
    "role": "Role",
    "interview.role": "Interviewee",
    "focus_group.role": "Who mainly took part",
    "pseudonym": "Pseudonym",
    "consent": "Consent",
    "consent.given": "Consent given",
    "consent.method": "Consent: how",
    "consent.recorded_at": "Consent: when",
    "summary": "Summary",
    "contacts": "Timeline of contacts",
    "contacts[]": "Contact {n}",
    "contacts[].id": "Contact {n}: its identifier",
    "contacts[].date": "Contact {n}: date",
    "contacts[].service": "Contact {n}: service",
    "contacts[].what_happened": "Contact {n}: what happened",
    "contacts[].transition": "Contact {n}: transition",
    "contacts[].persons_account": "Contact {n}: their account",
    "contacts.order": "Order of the contacts",
    "groups_represented": "Groups represented",
    "groups_represented[]": "Groups represented, line {n}",
    "participants": "Number taking part",
    "facilitator": "Facilitator",
    "source": "Where it came from",
    "site": "On or off site",
    "team": "Team members who took part",
    "team[]": "Team member {n}",
    "places": "Places",
    "places[]": "Place {n}",
    "organisations": "Organisations",
    "organisations[]": "Organisation {n}",
    "mode": "How it was held",
    "face_to_face_reasons": "Why face to face",
    "face_to_face_reasons[]": "Why face to face, reason {n}",
    "contacts[].mode": "Contact {n}: how it was held",
    "contacts[].face_to_face_reasons": "Contact {n}: why face to face",
    "sample": "Sample",
    "sample_stage": "Stage in the sample",
    "document_type": "Type of document or data",
    "source_organisation": "Organisation it came from",
    "dated": "Dated",
    "reference": "Where to find it",
}
_PLURAL_LABELS = {"notes", "attendees", "contacts", "groups_represented", "team", "places", "organisations"}  # "Notes are…"
_LISTS = ("attendees", "contacts", "groups_represented", "team", "places", "organisations", "face_to_face_reasons")
_ITEM = re.compile(r"\[(\d+)\]")
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
    mode: str = ""  # one of MODES
    face_to_face_reasons: tuple[str, ...] = ()  # keys of FACE_TO_FACE_REASONS


@dataclass(frozen=True)
class Observation:
    kind: ClassVar[str] = "observation"
    title: str = ""
    meeting_type: str = "icb"
    held_at: str | None = None
    location: str = ""
    attendees: tuple[Attendee, ...] = ()
    notes: str = ""
    source: str = "collected"  # one of SOURCES
    site: str = ""  # one of SITES
    team: tuple[str, ...] = ()  # names of the team members who took part
    places: tuple[str, ...] = ()  # ids in the assessment's list of places
    organisations: tuple[str, ...] = ()  # ids in the assessment's list of organisations


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
    source: str = "collected"  # one of SOURCES
    site: str = ""  # one of SITES
    team: tuple[str, ...] = ()  # names of the team members who took part
    places: tuple[str, ...] = ()  # ids in the assessment's list of places
    organisations: tuple[str, ...] = ()  # ids in the assessment's list of organisations
    mode: str = ""  # one of MODES
    face_to_face_reasons: tuple[str, ...] = ()  # keys of FACE_TO_FACE_REASONS


@dataclass(frozen=True)
class CaseTracking:
    kind: ClassVar[str] = "case_tracking"
    title: str = ""
    pseudonym: str = ""
    summary: str = ""
    contacts: tuple[Contact, ...] = ()
    notes: str = ""
    source: str = "collected"  # one of SOURCES
    site: str = ""  # one of SITES
    team: tuple[str, ...] = ()  # names of the team members who took part
    places: tuple[str, ...] = ()  # ids in the assessment's list of places
    organisations: tuple[str, ...] = ()  # ids in the assessment's list of organisations
    sample: str = ""  # the name of the case-tracking sample the case belongs to
    sample_stage: str = ""  # one of SAMPLE_STAGES: how far the case got in that sample


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
    source: str = "collected"  # one of SOURCES
    site: str = ""  # one of SITES
    team: tuple[str, ...] = ()  # names of the team members who took part
    places: tuple[str, ...] = ()  # ids in the assessment's list of places
    organisations: tuple[str, ...] = ()  # ids in the assessment's list of organisations
    mode: str = ""  # one of MODES
    face_to_face_reasons: tuple[str, ...] = ()  # keys of FACE_TO_FACE_REASONS


@dataclass(frozen=True)
class Document:
    """A document or data item held by CQC or requested from the system, rather than witnessed."""

    kind: ClassVar[str] = "document"
    title: str = ""
    document_type: str = "other"  # one of DOCUMENT_TYPES; sets the default evidence category
    source_organisation: str = ""  # as written on it, beside the organisations' ids
    dated: str | None = None  # ISO date: the document's own date, not when we received it
    reference: str = ""  # where to find it: a URL, a file reference or where it is held
    summary: str = ""
    notes: str = ""
    source: str = "held"
    site: str = ""
    team: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()


Content = Union[Observation, Interview, CaseTracking, FocusGroup, Document]
_CLASSES: dict[str, type] = {cls.kind: cls for cls in (Observation, Interview, CaseTracking, FocusGroup, Document)}
# The context fields added after records were first signed (issue 15). In the four older kinds and in
# a contact they are left out of the stored dict while they hold their default, so an old record's
# content, read and written again, is byte for byte what was signed; a record that uses one carries
# revision format 3 (fieldapp.revisions.revision), which an older app refuses with "update fieldapp".
CONTEXT_FIELDS = frozenset({"source", "site", "team", "places", "organisations", "mode", "face_to_face_reasons", "sample", "sample_stage"})
_TEXT_LISTS = frozenset({"groups_represented", "team", "places", "organisations", "face_to_face_reasons"})
_NESTED: dict[str, type] = {"attendees": Attendee, "contacts": Contact, "consent": Consent}


def content_class(kind: str) -> type:
    try:
        return _CLASSES[kind]
    except KeyError:
        raise ValidationError(f"Unknown record kind {kind!r}; expected one of {', '.join(KINDS)}.") from None


def is_item(kind: str) -> bool:
    """Whether a kind is an assessment-level item (judgement, rating, snapshot, a report item) rather than evidence."""
    return kind in ITEM_KINDS


def check_content(kind: str, data: Any) -> None:
    """Whether a revision's content is valid for its kind, evidence or item (ValidationError if not)."""
    if is_item(kind):
        item_from_dict(kind, data)
    else:
        from_dict(kind, data)


def to_dict(content: Content) -> dict[str, Any]:
    """Plain JSON-ready dict of a record's fields (tuples become lists); context fields at their
    default are left out of the older kinds and of contacts (see CONTEXT_FIELDS)."""
    return _plain(content)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        omit = CONTEXT_FIELDS if not isinstance(value, Document) else frozenset()
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.name in omit and _at_default(f, getattr(value, f.name)))
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _at_default(f: dataclasses.Field[Any], value: Any) -> bool:
    return f.default is not dataclasses.MISSING and value == f.default


def uses_context(kind: str, content: Mapping[str, Any]) -> bool:
    """Whether stored content needs an app that knows issue 15's context: a document, or a record
    (or one of its contacts) with a context field set. Such revisions carry body format 3."""
    if kind == Document.kind:
        return True
    if not isinstance(content, Mapping):  # malformed content is refused later, by its kind's check
        return False
    contacts = content.get("contacts")
    nested = [c for c in contacts if isinstance(c, Mapping)] if isinstance(contacts, list) else []
    return any(not CONTEXT_FIELDS.isdisjoint(part) for part in (content, *nested))


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
                if name == "contacts":
                    values[name] = tuple(_built_contact(c, f"{where}.{name}[{i}]") for i, c in enumerate(values[name]))
        elif name in _TEXT_LISTS:
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValidationError(f"{where}.{name}: expected a list of text.")
            values[name] = tuple(value)
        else:
            values[name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValidationError(f"{where}: {exc}.") from None


def _built_contact(contact: Contact, where: str) -> Contact:
    """A contact's lists arrive from JSON as lists; the dataclass holds tuples."""
    reasons = contact.face_to_face_reasons
    if not isinstance(reasons, (list, tuple)) or not all(isinstance(r, str) for r in reasons):
        raise ValidationError(f"{where}.face_to_face_reasons: expected a list of text.")
    return dataclasses.replace(contact, face_to_face_reasons=tuple(reasons))


def validate(content: Content) -> None:
    """Check types and allowed values; raises ValidationError naming the field."""
    _check_types(content, content.kind)
    _check_context(content)
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
            raise ValidationError(f"{field_label('participants')} must be a whole number from 0 to 10,000.", field="participants")
    if isinstance(content, CaseTracking):
        ids = [c.id for c in content.contacts]
        if len(set(ids)) != len(ids) or not all(ids):
            raise ValidationError("Every contact in the timeline needs its own id.")
        for i, contact in enumerate(content.contacts):
            _check_mode(contact.mode, contact.face_to_face_reasons, f"case_tracking.contacts[{i}]")
        _check_key(content.sample_stage, SAMPLE_STAGES, "case_tracking.sample_stage")
    if isinstance(content, Document):
        _check_key(content.document_type, DOCUMENT_TYPES, "document.document_type")
        if content.dated is not None:
            try:
                date.fromisoformat(content.dated)
            except ValueError:
                raise ValidationError(f"{field_label('dated')}: {content.dated!r} is not an ISO date (e.g. 2026-11-22).", field="document.dated") from None


def _check_context(content: Content) -> None:
    """Where the evidence came from, on or off site, who took part, and (for people) how it was held."""
    _check_key(content.source, SOURCES, f"{content.kind}.source")
    _check_key(content.site, SITES, f"{content.kind}.site")
    for name in ("team", "places", "organisations"):
        values = getattr(content, name)
        if len(values) > MAX_CONTEXT_ENTRIES:
            raise ValidationError(
                f"{field_label(name)}: at most {MAX_CONTEXT_ENTRIES:,} may be named; this names {len(values):,}.", field=f"{content.kind}.{name}"
            )
        if any(not v.strip() for v in values) or len(set(values)) != len(values):
            raise ValidationError(f"{field_label(name)}: each must be given once, and none may be empty.", field=f"{content.kind}.{name}")
    if isinstance(content, (Interview, FocusGroup)):
        _check_mode(content.mode, content.face_to_face_reasons, content.kind)


def _check_mode(mode: str, reasons: tuple[str, ...], where: str) -> None:
    _check_key(mode, MODES, f"{where}.mode")
    for i, reason in enumerate(reasons):
        _check_key(reason, FACE_TO_FACE_REASONS, f"{where}.face_to_face_reasons[{i}]")
    if len(set(reasons)) != len(reasons):
        raise ValidationError(f"{field_label(where + '.face_to_face_reasons')}: each reason may be given once.", field=f"{where}.face_to_face_reasons")
    if reasons and mode != "face_to_face":
        raise ValidationError(
            f"{field_label(where + '.face_to_face_reasons')} is given, but it was not held face to face; "
            "choose face to face or clear the reasons.",
            field=f"{where}.face_to_face_reasons",
        )


def _check_key(value: str, allowed: Mapping[str, str], path: str) -> None:
    if value not in allowed:
        raise ValidationError(f"{field_label(path)}: {value[:40]!r} is not one of the choices.", field=path)


def _check_types(obj: Any, where: str) -> None:
    """Check each field against its annotation, recursing into nested records."""
    for f in dataclasses.fields(obj):
        value, path, annotation = getattr(obj, f.name), f"{where}.{f.name}", str(f.type)
        if annotation == "str":
            _check_text(value, path)
        elif annotation == "str | None":
            if value is not None:
                _check_text(value, path)
                if f.name in _WHEN_FIELDS:
                    _check_when(value, field_label(path))
        elif annotation in ("int", "bool"):
            expected = int if annotation == "int" else bool
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ValidationError(f"{field_label(path)} must be {'a whole number' if expected is int else 'yes or no'}.", field=path)
        elif annotation == "tuple[str, ...]":
            for i, item in enumerate(value):
                _check_text(item, f"{path}[{i}]")
        elif annotation.startswith("tuple["):
            for i, item in enumerate(value):
                _check_nested(item, f"{path}[{i}]")
        else:
            _check_nested(value, path)


def _check_nested(value: Any, path: str) -> None:
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise ValidationError(f"{field_label(path)} cannot be read: it is not in the form this field takes.", field=path)
    _check_types(value, path)


def _check_text(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{field_label(path)} must be text.", field=path)
    problem = text_problem(value, path)
    if problem is not None:
        raise ValidationError(problem, field=path)


def text_problem(value: str, path: str) -> str | None:
    """Why text cannot be saved in the field at `path` and what to do, in the editor's words
    ('Notes are longer than 1,000,000 characters; shorten them…'); None when it can be saved."""
    if len(value) > MAX_TEXT:
        plural = _is_are(path) == "are"
        them, they = ("them", "they") if plural else ("it", "it")
        return f"{field_label(path)} {_is_are(path)} longer than {MAX_TEXT:,} characters; shorten {them} so {they} can be saved."
    if "\x00" in value:
        return f"{field_label(path)} contains a character that cannot be saved (NUL); delete it so the rest can be saved."
    return None


def field_label(path: str) -> str:
    """A field path as the editor names it: 'focus_group.notes' -> 'Notes',
    'case_tracking.contacts[1].date' -> 'Contact 2: date', 'interview.consent.recorded_at' -> 'Consent: when'.

    Takes paths with or without the record kind; a list item may be given by index ('contacts[1]',
    'attendees.0') or by id ('contacts.<id>.service' -> 'Contact: service'). Never returns the path.
    """
    parts = path.split(".")
    kind = parts.pop(0) if parts and parts[0] in _CLASSES else None
    number = ""
    if len(parts) >= 2 and parts[0] in _LISTS and ".".join(parts) not in FIELD_LABELS:
        item = parts.pop(1)  # an item named by its position or its id, as search and merges name them
        number = str(int(item) + 1) if item.isdigit() else ""
        parts[0] += "[]"
    key = ".".join(parts)
    if found := _ITEM.search(key):
        number, key = str(int(found.group(1)) + 1), _ITEM.sub("[]", key)
    if not key:
        return KIND_LABELS.get(kind or "", "Record")
    label = FIELD_LABELS.get(f"{kind}.{key}") or FIELD_LABELS.get(key)
    if label is None:  # a field added without a label: still words, never the path
        label = key.rsplit(".", 1)[-1].replace("[]", "").replace("_", " ").capitalize()
    return label.replace(" {n}", f" {number}" if number else "")


def _is_are(path: str) -> str:
    return "are" if path.rsplit(".", 1)[-1] in _PLURAL_LABELS else "is"


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
    if isinstance(content, Document):
        return ("dated",)
    return ("held_at",)


QUICK_NOTE = "quick_note"  # a quick note typed but not yet added (Enter adds it to the notes)


def check_as_typed(content: Content, as_typed: Mapping[str, str]) -> dict[str, str]:
    """Text kept as typed beside a draft, for the fields content has (a removed contact's goes
    with it): date fields whose text does not read as a date yet, and a quick note not yet added.
    Raises ValidationError for text that cannot be kept."""
    paths = {*when_paths(content), QUICK_NOTE}
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
    elif isinstance(content, Document):
        when = content.dated
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
    if isinstance(content, Document):
        named = content.source_organisation.strip()
        return f"{DOCUMENT_TYPES[content.document_type]}{f' from {named}' if named else ''}"
    return f"Focus group ({content.participants} taking part)"


_CODED = frozenset({"meeting_type", "role", "held_at", "dated", "source", "site", "mode", "sample_stage", "document_type"})


def text_fields(content: Content) -> dict[str, str]:
    """Every free-text field by a stable path, for search and for tagging passages."""
    fields: dict[str, str] = {}
    for f in dataclasses.fields(content):
        value = getattr(content, f.name)
        if isinstance(value, str) and f.name not in _CODED:
            fields[f.name] = value
    if isinstance(content, Observation):
        for i, a in enumerate(content.attendees):
            fields[f"attendees.{i}"] = f"{a.role} {a.organisation}".strip()
    if isinstance(content, FocusGroup):
        fields["groups_represented"] = "\n".join(content.groups_represented)
    if content.team:
        fields["team"] = "\n".join(content.team)
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
