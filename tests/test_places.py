"""An assessment's places and organisations (issue 15) on a real vault: added, renamed, retired and
restored; a duplicate name of one type refused in words; bounds checked; one item per assessment
with its derived id, never evidence; and the merge of two laptops' lists, entry by entry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from fieldapp import domain, item_kinds
from fieldapp.errors import NotFound, ValidationError
from fieldapp.ids import derived_uuid, uuid7
from fieldapp.places import places_id
from fieldapp.places_content import MAX_ENTRIES, PLACES, PlaceEntry, PlacesContent, places_to_dict, validate_places
from fieldapp.revisions.merge import merge_bodies
from fieldapp.vault import Vault


def test_places_and_organisations_are_added_listed_renamed_retired_and_restored(vault: Vault, assessment_id: str) -> None:
    aid = assessment_id
    assert vault.places.list(aid) == () and not vault.places.item(aid).exists
    council = vault.places.add(aid, "  Northshire   Council ", "local_authority")
    assert council.changes.judgements == {aid}
    north = vault.places.add(aid, "North Place", "locality").value
    vault.places.add(aid, "Northshire ICB", "icb")
    rows = vault.places.list(aid)
    assert [(p.name, p.type_label, p.is_place) for p in rows] == [
        ("North Place", "Locality / place", True), ("Northshire ICB", "Integrated care board", False),
        ("Northshire Council", "Local authority", False),
    ]  # fmt: skip
    assert council.value.is_organisation and not council.value.retired

    renamed = vault.places.rename(aid, north.id, "North Locality").value
    assert renamed.id == north.id and renamed.name == "North Locality"
    vault.places.retire(aid, north.id)
    assert [p.name for p in vault.places.list(aid)] == ["Northshire ICB", "Northshire Council"]
    retired = [p for p in vault.places.list(aid, include_retired=True) if p.retired]
    assert [(p.id, p.name) for p in retired] == [(north.id, "North Locality")]  # kept: records still name it
    assert not vault.places.restore(aid, north.id).value.retired
    item = vault.places.item(aid)
    assert item.id == places_id(aid) == derived_uuid("places", aid) and item.exists and item.sync_state == "local" and not item.conflict
    assert len(item.places) == 3


def test_a_duplicate_name_of_one_type_is_refused_in_words_and_an_empty_name_too(vault: Vault, assessment_id: str) -> None:
    aid = assessment_id
    first = vault.places.add(aid, "St Anne's Hospital", "provider").value
    with pytest.raises(ValidationError, match="^There is already a provider of that name.$"):
        vault.places.add(aid, "st anne's  HOSPITAL", "provider")
    vault.places.add(aid, "St Anne's Hospital", "other")  # another type may share the name
    with pytest.raises(ValidationError, match="Give the place or organisation a name"):
        vault.places.add(aid, "   ", "provider")
    with pytest.raises(ValidationError, match="Choose what it is"):
        vault.places.add(aid, "Somewhere", "county")
    second = vault.places.add(aid, "Riverside Trust", "provider").value
    with pytest.raises(ValidationError, match="already a provider of that name"):
        vault.places.rename(aid, second.id, "ST ANNE'S HOSPITAL")
    vault.places.retire(aid, first.id)
    with pytest.raises(ValidationError, match="retired: restore it instead"):
        vault.places.add(aid, "St Anne's Hospital", "provider")
    with pytest.raises(NotFound):
        vault.places.retire(aid, uuid7())
    assert len(vault.places.list(aid, include_retired=True)) == 3  # nothing refused was written


def test_names_and_the_number_of_entries_are_bounded(vault: Vault, assessment_id: str) -> None:
    with pytest.raises(ValidationError, match="at most 300 characters"):
        vault.places.add(assessment_id, "x" * 301, "provider")
    vault.places.add(assessment_id, "x" * 300, "provider")
    too_many = PlacesContent(tuple(PlaceEntry(uuid7(), f"Provider {n}", "provider") for n in range(MAX_ENTRIES + 1)))
    with pytest.raises(ValidationError, match="at most 2,000"):
        validate_places(too_many)
    with pytest.raises(ValidationError, match="at most 2,000"):
        domain.item_from_dict(PLACES, places_to_dict(too_many))
    for bad in ({"id": "a", "name": "", "type": "provider", "retired": False}, {"id": "a", "name": "A", "type": "shop", "retired": False},
                {"id": "a", "name": "A", "type": "provider", "retired": 0}, {"id": "a", "name": "A", "type": "provider"},
                {"id": "a", "name": "A\nB", "type": "provider", "retired": False}):  # fmt: skip
        with pytest.raises(ValidationError):
            domain.item_from_dict(PLACES, {"entries": [bad]})
    twice = {"id": "a", "name": "A", "type": "provider", "retired": False}
    with pytest.raises(ValidationError, match="one id"):
        domain.item_from_dict(PLACES, {"entries": [twice, {**twice, "name": "B"}]})


def test_the_places_item_is_never_evidence_and_only_its_derived_id_is_taken(vault: Vault, assessment_id: str) -> None:
    vault.places.add(assessment_id, "Northshire ICP", "icp")
    assert vault.records.list(assessment_id) == ()  # not evidence: not in the list, search or coverage
    with vault.transaction("t") as session:
        kinds = session.execute(text("SELECT kind FROM records WHERE assessment_id = :a"), {"a": assessment_id}).scalars().all()
    assert kinds == ["places"]
    content = {"entries": []}
    item_kinds.check_identity(places_id(assessment_id), assessment_id, PLACES, content)
    with pytest.raises(ValidationError, match="Places and organisations .* does not have the id its assessment gives it"):
        item_kinds.check_identity(uuid7(), assessment_id, PLACES, content)
    with pytest.raises(ValidationError, match="derived ids"):
        item_kinds.check_identity(places_id(assessment_id), assessment_id, "interview", {})


# -- merging two laptops' lists ------------------------------------------------------------------------


def body(content: PlacesContent, aid: str = "a") -> dict:
    return {"record_id": places_id(aid), "assessment_id": aid, "kind": PLACES, "framework": "f", "deleted": False,
            "content": places_to_dict(content), "links": [], "attachments": []}  # fmt: skip


def merged_entries(base: PlacesContent | None, left: PlacesContent, right: PlacesContent) -> list[dict]:
    result = merge_bodies(None if base is None else body(base), body(left), body(right))
    assert result.clean, result.collisions
    assert result.snapshot is not None
    return list(result.snapshot.content["entries"])


def test_two_laptops_adding_offline_both_keep_theirs_even_without_a_common_start() -> None:
    council = PlaceEntry(uuid7(), "Northshire Council", "local_authority")
    base = PlacesContent((council,))
    north, south = PlaceEntry(uuid7(), "North", "locality"), PlaceEntry(uuid7(), "South", "locality")
    entries = merged_entries(base, PlacesContent((council, north)), PlacesContent((council, south)))
    assert [e["name"] for e in entries] == ["Northshire Council", "North", "South"]  # by id: the order added
    assert [e["name"] for e in merged_entries(None, PlacesContent((north,)), PlacesContent((south,)))] == ["North", "South"]
    # the same on every laptop, whichever side is which
    assert merged_entries(base, PlacesContent((council, south)), PlacesContent((council, north))) == entries


def test_a_rename_against_a_retire_keeps_both_and_an_entry_dropped_by_one_side_is_kept() -> None:
    council = PlaceEntry(uuid7(), "Northshire Council", "local_authority")
    trust = PlaceEntry(uuid7(), "Riverside Trust", "provider")
    base = PlacesContent((council, trust))
    left = PlacesContent((PlaceEntry(council.id, "North Shire Council", "local_authority"), trust))
    right = PlacesContent((PlaceEntry(council.id, "Northshire Council", "local_authority", retired=True),))  # trust dropped
    entries = merged_entries(base, left, right)
    assert entries == [{"id": council.id, "name": "North Shire Council", "type": "local_authority", "retired": True},
                       {"id": trust.id, "name": "Riverside Trust", "type": "provider", "retired": False}]  # fmt: skip


def test_renaming_one_entry_both_ways_collides_on_its_name() -> None:
    council = PlaceEntry(uuid7(), "Northshire Council", "local_authority")
    base = PlacesContent((council,))
    left = PlacesContent((PlaceEntry(council.id, "North Shire Council", "local_authority"),))
    right = PlacesContent((PlaceEntry(council.id, "Northshire County Council", "local_authority"),))
    result = merge_bodies(body(base), body(left), body(right))
    assert result.snapshot is None
    assert [(c.path, c.left, c.right) for c in result.collisions] == [
        (f"content.entries.{council.id}.name", "North Shire Council", "Northshire County Council")
    ]
    assert json.dumps(places_to_dict(left))  # plain JSON


def test_names_are_encrypted_in_the_vault_and_never_logged(vault: Vault, assessment_id: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    vault.places.add(assessment_id, "Zebrafield Locality", "locality")
    with pytest.raises(ValidationError) as refused:
        vault.places.add(assessment_id, "zebrafield locality", "locality")
    vault.records.cut_all(reason="test")
    vault.lock()
    stored = b"".join(p.read_bytes() for p in vault.path.rglob("*") if p.is_file())
    assert b"Zebrafield" not in stored and b"zebrafield" not in stored.lower()
    assert "ebrafield" not in caplog.text.lower() and "ebrafield" not in str(refused.value).lower()
