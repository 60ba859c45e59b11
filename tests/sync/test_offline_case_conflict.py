"""Two laptops edit the same case-tracking record offline: a conflict on both, ended by a hand merge."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest
from sync_fixtures import Device, Service, colleagues
from vault_fixtures import sample_contents

from fieldapp import domain


@dataclasses.dataclass(frozen=True)
class SharedCase:
    record_id: str
    first: Device
    second: Device


@pytest.fixture
def shared_case(service: Service, make_device: Callable[..., Device]) -> SharedCase:
    """A case-tracking record both inspectors of a team hold, synced, before they go offline."""
    _assessment_id, first, second, record_id = colleagues(service, make_device, sample_contents()[2])
    assert record_id is not None
    return SharedCase(record_id, first, second)


def _case(device: Device, record_id: str) -> domain.CaseTracking:
    content = device.vault.records.get(record_id).content
    assert isinstance(content, domain.CaseTracking)
    return content


def _collide_offline(case: SharedCase) -> domain.Contact:
    """One renames the person; the other renames them differently and adds a contact."""
    first, second = case.first.vault, case.second.vault
    first.records.save(case.record_id, dataclasses.replace(_case(case.first, case.record_id), pseudonym="Person P18"))
    contact = domain.Contact("c3", "Community pharmacy", "2026-10-20", "Medication review", "", "Nobody explained the change")
    second.records.save(case.record_id, dataclasses.replace(_case(case.second, case.record_id), pseudonym="Person P19"))
    second.records.append_contact(case.record_id, contact)
    return contact


def test_a_case_edited_offline_on_two_laptops_is_a_conflict_on_both_until_merged_by_hand(shared_case: SharedCase) -> None:
    case, record_id = shared_case, shared_case.record_id
    contact = _collide_offline(case)
    case.first.sync()
    assert case.second.sync().conflicts == 1
    assert case.first.sync().conflicts == 1
    for device in (case.first, case.second):
        (conflict,) = device.vault.replication.conflicts()
        assert conflict.record_id == record_id
        assert {h.fields()["content"]["pseudonym"] for h in conflict.heads} == {"Person P18", "Person P19"}
        assert [c.path for c in conflict.collisions] == ["content.pseudonym"]
    heads = {h.id for h in case.first.vault.replication.conflict(record_id).heads}

    # On the first laptop the inspector merges by hand: a third name, and the colleague's contact.
    mine = _case(case.first, record_id)
    case.first.vault.records.save(record_id, dataclasses.replace(mine, pseudonym="Person P20", contacts=(*mine.contacts, contact)))
    merged = case.first.vault.replication.resolve(record_id, take=None).value
    case.first.sync()
    case.second.sync()

    for device in (case.first, case.second):
        got = device.vault.records.get(record_id)
        assert got.head_revision_id == merged.head_revision_id
        assert set(device.vault.history.snapshot(got.head_revision_id).revision.parents) == heads
        assert got.content.pseudonym == "Person P20"
        assert [c.id for c in got.content.contacts] == ["c1", "c2", "c3"]
        assert device.vault.replication.conflicts() == []
        assert got.sync_state == "synced"


def test_a_case_in_conflict_stays_in_conflict_on_the_laptop_that_edits_it_before_resolving(shared_case: SharedCase) -> None:
    case, record_id = shared_case, shared_case.record_id
    _collide_offline(case)
    case.first.sync()
    case.second.sync()
    case.first.sync()
    # The second inspector starts merging by hand (or just adds a note) and syncs before resolving.
    case.second.vault.records.add_note(record_id, "Still to reconcile with my colleague's notes")
    case.second.sync()
    case.first.sync()
    for device in (case.first, case.second):
        (conflict,) = device.vault.replication.conflicts()
        assert conflict.record_id == record_id
        assert [c.path for c in conflict.collisions] == ["content.pseudonym"]
        assert device.vault.replication.status().conflicts == 1
    assert case.first.vault.replication.conflict(record_id).heads == case.second.vault.replication.conflict(record_id).heads


def test_a_hand_merge_that_agrees_with_a_colleague_merges_by_itself_at_the_next_sync(shared_case: SharedCase) -> None:
    case, record_id = shared_case, shared_case.record_id
    _collide_offline(case)
    case.first.sync()
    case.second.sync()
    case.first.sync()
    # The first inspector takes the colleague's name in the draft: nothing collides any more.
    case.first.vault.records.save(record_id, dataclasses.replace(_case(case.first, record_id), pseudonym="Person P19"))
    case.first.sync()
    case.second.sync()
    case.first.sync()
    one, two = case.first.vault.records.get(record_id), case.second.vault.records.get(record_id)
    assert one.head_revision_id == two.head_revision_id
    assert one.content == two.content and one.content.pseudonym == "Person P19"
    assert [c.id for c in one.content.contacts] == ["c1", "c2", "c3"]
    for device in (case.first, case.second):
        assert device.vault.replication.conflicts() == []
        parents = json.loads(device.vault.history.signed(one.head_revision_id).body)["parents"]
        assert len(parents) == 2


def test_the_same_conflict_resolved_differently_on_two_laptops_is_a_conflict_again(shared_case: SharedCase) -> None:
    case, record_id = shared_case, shared_case.record_id
    _collide_offline(case)
    case.first.sync()
    case.second.sync()
    case.first.sync()
    for device, name in ((case.first, "Person P18"), (case.second, "Person P19")):
        (conflict,) = device.vault.replication.conflicts()
        take = next(h for h in conflict.heads if h.fields()["content"]["pseudonym"] == name)
        device.vault.replication.resolve(record_id, take=take.id)
    case.first.sync()
    case.second.sync()
    case.first.sync()
    for device in (case.first, case.second):
        (conflict,) = device.vault.replication.conflicts()  # not one inspector's choice overwriting the other's
        assert {h.fields()["content"]["pseudonym"] for h in conflict.heads} == {"Person P18", "Person P19"}
        assert [c.path for c in conflict.collisions] == ["content.pseudonym"]
        assert all(len(h.fields()["parents"]) == 2 for h in conflict.heads)


def test_typing_in_a_record_in_conflict_keeps_it_in_the_conflicts_view(shared_case: SharedCase) -> None:
    case = shared_case
    _collide_offline(case)
    case.first.sync()
    case.second.sync()
    draft = _case(case.second, case.record_id)
    case.second.vault.records.save(case.record_id, dataclasses.replace(draft, summary="Merging by hand…"))
    assert case.second.vault.records.get(case.record_id).sync_state == "conflict"
    assert [c.record_id for c in case.second.vault.replication.conflicts()] == [case.record_id]
    case.second.sync()  # the hand-merge draft travels as a revision, and the conflict stays
    assert [c.record_id for c in case.second.vault.replication.conflicts()] == [case.record_id]
