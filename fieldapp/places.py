"""An assessment's places and organisations (`vault.places`): its localities, the ICB, the ICP, local
authorities, providers and other organisations, which records name by id so evidence can be
filtered by place and organisation (issue 15).

They are one item of kind `places` per assessment (a derived id, as the report's texts have), kept
by the team in the field and offline: signed revisions that sync and merge entry by entry
(docs/items.md). Anyone on the team adds, renames, retires and restores; nothing is ever deleted,
so a record always finds what it names.

For a UI (every call one transaction; rows are frozen; changes return Done with Changes naming the
assessment in `judgements`, as every assessment-level item does):

    vault.places.list(aid)                          # PlaceRow each, places first, then organisations
    vault.places.list(aid, include_retired=True)    # with the retired ones (a record may name one)
    vault.places.add(aid, "Northshire Council", "local_authority")    # Done[PlaceRow]
    vault.places.rename(aid, place_id, "North Shire Council")
    vault.places.retire(aid, place_id) / vault.places.restore(aid, place_id)
    vault.places.item(aid)                          # PlacesItem: all entries, whether in conflict, sync state
    vault.places.versions(aid)                      # in conflict: each version, side by side
    vault.replication.resolve_item(places_id(aid), take=revision_id)   # ends the conflict
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fieldapp import domain
from fieldapp.context import VaultContext
from fieldapp.errors import NotFound, ValidationError
from fieldapp.ids import derived_uuid, uuid7
from fieldapp.judgements import _body_of, _heads, _items, _record, _write_item
from fieldapp.places_content import MAX_NAME, PLACE_TYPE, PLACE_TYPES, PLACES, PlaceEntry, PlacesContent, validate_places
from fieldapp.rows import Changes, Done
from fieldapp.storage.models import Assessment

_TYPE_ORDER = {key: n for n, key in enumerate(PLACE_TYPES)}
_A_TYPE = {"locality": "a locality", "icb": "an integrated care board", "icp": "an integrated care partnership",
           "local_authority": "a local authority", "provider": "a provider", "other": "another organisation"}  # fmt: skip


def places_id(assessment_id: str) -> str:
    """The one id of an assessment's places and organisations, the same on every laptop."""
    return derived_uuid(PLACES, assessment_id)


@dataclass(frozen=True)
class PlaceRow:
    id: str
    name: str
    type: str  # a key of PLACE_TYPES
    type_label: str  # "Local authority"
    retired: bool
    is_place: bool  # a locality (a place); else an organisation

    @property
    def is_organisation(self) -> bool:
        return not self.is_place


@dataclass(frozen=True)
class PlacesItem:
    id: str  # places_id(assessment id)
    assessment_id: str
    places: tuple[PlaceRow, ...]  # every entry, retired ones too, in list order
    exists: bool  # False: none added yet
    conflict: bool  # two versions collide: versions() shows them, vault.replication.resolve_item ends it
    sync_state: str
    updated_at: str


def place_row(entry: PlaceEntry) -> PlaceRow:
    return PlaceRow(entry.id, entry.name, entry.type, PLACE_TYPES.get(entry.type, entry.type), entry.retired, entry.type == PLACE_TYPE)


class Places:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def list(self, assessment_id: str, include_retired: bool = False) -> tuple[PlaceRow, ...]:
        """Places first, then organisations by type (ICB, ICP, local authorities, providers, others), each by name."""
        with self._context.transaction("reading the places and organisations") as session:
            framework_key(session, assessment_id)
            return tuple(p for p in _rows(_content(session, assessment_id)) if include_retired or not p.retired)

    def item(self, assessment_id: str) -> PlacesItem:
        with self._context.transaction("reading the places and organisations") as session:
            framework_key(session, assessment_id)
            item_id = places_id(assessment_id)
            found = _items(session, [item_id]).get(item_id)
            content = found.content if found is not None and isinstance(found.content, PlacesContent) else PlacesContent()
            return PlacesItem(
                id=item_id, assessment_id=assessment_id, places=_rows(content), exists=found is not None,
                conflict=found is not None and found.sync_state == "conflict",
                sync_state=found.sync_state if found else "", updated_at=found.updated_at if found else "",
            )  # fmt: skip

    def add(self, assessment_id: str, name: str, type: str) -> Done[PlaceRow]:
        """A new place or organisation. Refused without a name, or when one of that type already has
        that name (whatever its capitals and spacing; a retired one is restored instead)."""
        name = _clean(name)
        if type not in PLACE_TYPES:
            raise ValidationError(f"Choose what it is: {', '.join(PLACE_TYPES.values())}.", field="type")
        entry = PlaceEntry(uuid7(), name, type)
        with self._context.transaction("adding a place or organisation") as session:

            def added(current: PlacesContent) -> PlacesContent:
                _refuse_twin(current, entry)
                return PlacesContent((*current.entries, entry))

            return self._change(session, assessment_id, entry.id, added)

    def rename(self, assessment_id: str, place_id: str, name: str) -> Done[PlaceRow]:
        name = _clean(name)
        with self._context.transaction("renaming a place or organisation") as session:

            def renamed(current: PlacesContent) -> PlacesContent:
                entry = dataclasses.replace(_entry(current, place_id), name=name)
                _refuse_twin(current, entry)
                return _with(current, entry)

            return self._change(session, assessment_id, place_id, renamed)

    def retire(self, assessment_id: str, place_id: str) -> Done[PlaceRow]:
        """No longer offered for new evidence; records that name it keep it (nothing is deleted)."""
        with self._context.transaction("retiring a place or organisation") as session:
            return self._change(session, assessment_id, place_id, lambda c: _with(c, dataclasses.replace(_entry(c, place_id), retired=True)))

    def restore(self, assessment_id: str, place_id: str) -> Done[PlaceRow]:
        """Offered again, unless another of its type now has its name (rename one first)."""
        with self._context.transaction("restoring a place or organisation") as session:

            def restored(current: PlacesContent) -> PlacesContent:
                entry = dataclasses.replace(_entry(current, place_id), retired=False)
                _refuse_twin(current, entry)
                return _with(current, entry)

            return self._change(session, assessment_id, place_id, restored)

    def versions(self, assessment_id: str) -> tuple[tuple[str, PlacesContent], ...]:
        """The places and organisations in conflict: each colliding version (revision id, content); empty when not."""
        with self._context.transaction("reading the places' versions") as session:
            heads = _heads(session, places_id(assessment_id))
            if len(heads) < 2:
                return ()
            made = []
            for head in heads:
                content = domain.item_from_dict(PLACES, _body_of(session, head)["content"])
                assert isinstance(content, PlacesContent)
                made.append((head, content))
            return tuple(made)

    def _change(self, session: Session, assessment_id: str, place_id: str, change: Callable[[PlacesContent], PlacesContent]) -> Done[PlaceRow]:
        key = framework_key(session, assessment_id)
        content = change(_content(session, assessment_id))
        validate_places(content)
        item_id = places_id(assessment_id)
        changed = _write_item(session, self._context, _record(session, item_id), item_id, assessment_id, key, content)
        row = place_row(_entry(content, place_id))
        return Done(row, Changes(judgements=frozenset({assessment_id})) if changed else Changes())


# -- helpers: they take a session and never commit -------------------------------------------------


def framework_key(session: Session, assessment_id: str) -> str:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(f"No assessment with id {assessment_id}.")
    return assessment.framework_key


def entries_of(session: Session, assessment_id: str) -> tuple[PlaceEntry, ...]:
    """The assessment's entries as this laptop holds them (for checking what records name)."""
    return _content(session, assessment_id).entries


def _content(session: Session, assessment_id: str) -> PlacesContent:
    item_id = places_id(assessment_id)
    found = _items(session, [item_id]).get(item_id)
    return found.content if found is not None and isinstance(found.content, PlacesContent) else PlacesContent()


def _rows(content: PlacesContent) -> tuple[PlaceRow, ...]:
    ordered = sorted(content.entries, key=lambda e: (_TYPE_ORDER.get(e.type, len(_TYPE_ORDER)), e.name.casefold(), e.id))
    return tuple(place_row(e) for e in ordered)


def _clean(name: str) -> str:
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name:
        raise ValidationError("Give the place or organisation a name.", field="name")
    if len(name) > MAX_NAME:
        raise ValidationError(f"A name is at most {MAX_NAME} characters; this one has {len(name)}.", field="name")
    return name


def _entry(content: PlacesContent, place_id: str) -> PlaceEntry:
    found = next((e for e in content.entries if e.id == place_id), None)
    if found is None:
        raise NotFound("That place or organisation is not in this assessment's list (it may not have synced here yet).")
    return found


def _with(content: PlacesContent, entry: PlaceEntry) -> PlacesContent:
    return PlacesContent(tuple(entry if e.id == entry.id else e for e in content.entries))


def _refuse_twin(content: PlacesContent, entry: PlaceEntry) -> None:
    """One name per type: a second 'Northshire Council' among local authorities would split the evidence."""
    folded = _folded(entry.name)
    twin = next((e for e in content.entries if e.id != entry.id and e.type == entry.type and _folded(e.name) == folded), None)
    if twin is None or (entry.retired and twin.retired):
        return
    # The name is not repeated: names are evidence-adjacent, and messages may reach a log.
    what = _A_TYPE[entry.type]
    if twin.retired:
        raise ValidationError(f"There is already {what} of that name, retired: restore it instead.", field="name")
    raise ValidationError(f"There is already {what} of that name.", field="name")


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()

