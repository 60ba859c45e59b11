"""The content of an assessment's places and organisations (item kind `places`, one per assessment):
its entries (a locality, the ICB, the ICP, a local authority, a provider, another organisation), to
and from the plain dict stored in drafts and revisions, checked strictly (docs/items.md, issue 15).

An entry is never deleted, only retired: records keep referring to it by its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldapp.errors import ValidationError

PLACES = "places"
PLACES_LABEL = "Places and organisations"
PLACE_TYPES = {
    "locality": "Locality / place",
    "icb": "Integrated care board",
    "icp": "Integrated care partnership",
    "local_authority": "Local authority",
    "provider": "Provider",
    "other": "Other organisation",
}
PLACE_TYPE = "locality"  # the one type that is a place; every other type is an organisation
MAX_NAME = 300  # a place's or an organisation's name
MAX_ENTRIES = 2_000  # entries of one assessment (a system has a few places and some dozens of organisations)
MAX_ENTRY_ID = 200
_ENTRY_FIELDS = {"id", "name", "type", "retired"}


@dataclass(frozen=True)
class PlaceEntry:
    id: str  # a uuid7, made where the entry was added; records refer to it
    name: str
    type: str  # a key of PLACE_TYPES
    retired: bool = False  # no longer offered for new evidence; records that name it keep it


@dataclass(frozen=True)
class PlacesContent:
    """One per assessment: its places and organisations, in the order they were added (by id)."""

    entries: tuple[PlaceEntry, ...] = ()


def places_to_dict(content: PlacesContent) -> dict[str, Any]:
    """One spelling for one value: entries sorted by id (uuid7: the order they were added)."""
    entries = sorted(content.entries, key=lambda e: e.id)
    return {"entries": [{"id": e.id, "name": e.name, "type": e.type, "retired": e.retired} for e in entries]}


def places_from_dict(data: dict[str, Any]) -> PlacesContent:
    entries = data.get("entries", [])
    if not isinstance(entries, list):
        raise ValidationError("The places and organisations must be a list.")
    _at_most(entries, "places and organisations")
    made = []
    for entry in entries:
        if not isinstance(entry, dict) or not all(isinstance(k, str) for k in entry):
            raise ValidationError("A place or organisation cannot be read: it is not in the form it takes.")
        if set(entry) != _ENTRY_FIELDS:
            raise ValidationError("A place or organisation has a field this fieldapp does not know, or lacks one it needs.")
        made.append(PlaceEntry(**entry))
    return PlacesContent(tuple(made))


def validate_places(content: PlacesContent) -> None:
    """Ids unique and bounded, names given and at most MAX_NAME characters, types known, retired a yes/no.
    Two entries may share a name (two inspectors adding one offline): vault.places refuses it when added."""
    if not isinstance(content.entries, tuple):
        raise ValidationError("The places and organisations must be a list.")
    _at_most(content.entries, "places and organisations")
    ids = set()
    for entry in content.entries:
        if not isinstance(entry, PlaceEntry):
            raise ValidationError("A place or organisation cannot be read.")
        if not isinstance(entry.id, str) or not entry.id or len(entry.id) > MAX_ENTRY_ID:
            raise ValidationError("A place or organisation has no id, or one longer than an id is.")
        if not isinstance(entry.name, str) or not entry.name.strip():
            raise ValidationError("A place or organisation needs a name.", field="name")
        if len(entry.name) > MAX_NAME:
            raise ValidationError(f"A place's or organisation's name is longer than {MAX_NAME} characters; shorten it.", field="name")
        if any(c in entry.name for c in "\x00\n\r"):
            raise ValidationError("A place's or organisation's name is one line, without control characters.", field="name")
        if entry.type not in PLACE_TYPES:
            raise ValidationError(f"A place or organisation is one of: {', '.join(PLACE_TYPES.values())}; not {entry.type!r}.", field="type")
        if type(entry.retired) is not bool:
            raise ValidationError("Whether a place or organisation is retired is a yes or no.", field="retired")
        ids.add(entry.id)
    if len(ids) != len(content.entries):
        raise ValidationError("Two places or organisations have one id; each has its own.")


def _at_most(values: Any, what: str) -> None:
    if len(values) > MAX_ENTRIES:
        raise ValidationError(f"An assessment keeps at most {MAX_ENTRIES:,} {what}; this holds {len(values):,}.")
