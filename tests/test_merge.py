"""The three-way merge of two heads: clean where they changed different things, a collision where not."""

from __future__ import annotations

import copy
import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vault_fixtures import sample_contents

from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.revisions.canonical import canonical_json
from fieldapp.errors import ValidationError
from fieldapp.revisions.merge import MAX_ALIGNED_LINES, MISSING, Collision, MergeResult, merge_bodies, rebase_edit

FRAMEWORK = "cqc-ics-2024.1"
NEWER_FRAMEWORK = "cqc-ics-2025.1"
OBSERVATION, INTERVIEW, CASE, FOCUS_GROUP = sample_contents()
Body = dict[str, Any]
T = TypeVar("T")


# -- building bodies -----------------------------------------------------------------------------


def body(
    content: domain.Content,
    *,
    device: str = "dev-a",
    deleted: bool = False,
    links: tuple[dict[str, Any], ...] = (),
    attachments: tuple[dict[str, Any], ...] = (),
    framework: str = FRAMEWORK,
) -> Body:
    """A parsed revision body of record rec-1, exactly as a device would have signed it."""
    snap = revision.Snapshot(
        record_id="rec-1",
        assessment_id="asm-1",
        kind=content.kind,
        framework_key=framework,
        deleted=deleted,
        content={} if deleted else domain.to_dict(content),
        links=() if deleted else links,
        attachments=() if deleted else attachments,
    )
    return revision.parse_body(revision.build_body(snap, parents=(), device_id=device, created_at="2026-11-20T16:00"))


def rebuilt(original: Body, change: Callable[[Body], None]) -> Body:
    """A copy of a body changed by hand (e.g. a field removed), still canonical."""
    changed = copy.deepcopy(original)
    change(changed)
    return revision.parse_body(canonical_json(changed))


def snapshot_of(b: Body) -> revision.Snapshot:
    ids = (b["record_id"], b["assessment_id"], b["kind"], b["framework"])
    return revision.Snapshot(*ids, b["deleted"], b["content"], tuple(b["links"]), tuple(b["attachments"]))


def link(link_id: str, comment: str = "", statement: str = "learning-culture") -> dict[str, Any]:
    return {"id": link_id, "statement": statement, "category": "observation", "comment": comment, "passage": None}


def attachment(att_id: str, name: str = "whiteboard.jpg") -> dict[str, Any]:
    return {"id": att_id, "name": name, "media_type": "image/jpeg", "size": 2048, "sha256": "ab" * 32}


def edit(value: T, **changes: Any) -> T:
    """A record's content, or a contact, with some fields changed."""
    return dataclasses.replace(value, **changes)  # type: ignore[type-var]


def roles(x: Body, y: Body) -> tuple[Body, Body]:
    """Which head the merge calls left and which right: the smaller canonical body is left."""
    return (x, y) if canonical_json(x) <= canonical_json(y) else (y, x)


def merged(base: Body | None, x: Body, y: Body) -> MergeResult:
    """Merge, checking on the way that the answer does not depend on the order of the heads."""
    result = merge_bodies(base, x, y)
    assert merge_bodies(base, y, x) == result
    return result


def clean(base: Body | None, x: Body, y: Body) -> dict[str, Any]:
    result = merged(base, x, y)
    assert result.collisions == (), result.collisions
    assert result.snapshot is not None
    return result.snapshot.content


def merged_bytes(result: MergeResult) -> bytes | None:
    """The merged snapshot as canonical body bytes (fixed parents, device and time), for byte comparisons."""
    if result.snapshot is None:
        return None
    return revision.build_body(result.snapshot, parents=(), device_id="d", created_at="t")


def paths(result: MergeResult) -> list[str]:
    assert result.snapshot is None
    return [c.path for c in result.collisions]


def contact_ids(content: dict[str, Any]) -> list[str]:
    return [c["id"] for c in content["contacts"]]


# -- scalar fields, symmetry, idempotence -----------------------------------------------------------


def test_heads_that_changed_different_fields_merge_into_both_changes() -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, pseudonym="Carer C9"), device="dev-x")
    y = body(edit(INTERVIEW, location="Day centre"), device="dev-y")
    content = clean(base, x, y)
    assert content["pseudonym"] == "Carer C9" and content["location"] == "Day centre"
    assert content["notes"] == INTERVIEW.notes


def test_a_field_edited_both_ways_is_a_collision_showing_base_left_and_right() -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, pseudonym="Carer C9"), device="dev-x")
    y = body(edit(INTERVIEW, pseudonym="Carer C10"), device="dev-y")
    left, right = roles(x, y)
    result = merged(base, x, y)
    assert result.collisions == (
        Collision("content.pseudonym", "Carer C4", left["content"]["pseudonym"], right["content"]["pseudonym"]),
    )


def test_the_same_edit_on_both_heads_is_no_collision() -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, pseudonym="Carer C9", location="Library"), device="dev-x")
    y = body(edit(INTERVIEW, pseudonym="Carer C9"), device="dev-y")
    content = clean(base, x, y)
    assert content["pseudonym"] == "Carer C9" and content["location"] == "Library"


def test_consent_is_one_field_so_edits_to_different_parts_of_it_collide() -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, consent=domain.Consent(True, "written", "2026-11-20T14:00")), device="dev-x")
    y = body(edit(INTERVIEW, consent=domain.Consent(True, "verbal", "2026-11-20T14:05")), device="dev-y")
    assert paths(merged(base, x, y)) == ["content.consent"]


def test_attendees_are_one_field_so_two_added_attendees_collide() -> None:
    base = body(OBSERVATION)
    x = body(edit(OBSERVATION, attendees=(*OBSERVATION.attendees, domain.Attendee("Healthwatch"))), device="dev-x")
    y = body(edit(OBSERVATION, attendees=(*OBSERVATION.attendees, domain.Attendee("Mayor"))), device="dev-y")
    assert paths(merged(base, x, y)) == ["content.attendees"]


def test_other_text_fields_are_compared_whole_not_line_by_line() -> None:
    base = body(CASE)
    x = body(edit(CASE, summary="Discharged home.\nReablement started."), device="dev-x")
    y = body(edit(CASE, summary="Discharged home.\nCarer not told."), device="dev-y")
    assert paths(merged(base, x, y)) == ["content.summary"]


def test_a_field_missing_from_one_head_differs_from_any_value_even_null() -> None:
    base = body(OBSERVATION)  # held_at "2026-11-20T10:00"
    x = rebuilt(base, lambda b: b["content"].pop("held_at")) | {"device_id": "dev-x"}
    y = rebuilt(base, lambda b: b["content"].update(held_at=None)) | {"device_id": "dev-y"}
    left, right = roles(x, y)
    result = merged(base, x, y)
    sides = (left["content"].get("held_at", MISSING), right["content"].get("held_at", MISSING))
    assert result.collisions == (Collision("content.held_at", "2026-11-20T10:00", *sides),)
    assert MISSING in (result.collisions[0].left, result.collisions[0].right)


def test_a_field_removed_on_one_head_and_untouched_on_the_other_is_removed() -> None:
    base = body(OBSERVATION)
    x = rebuilt(base, lambda b: b["content"].pop("held_at")) | {"device_id": "dev-x"}
    y = body(edit(OBSERVATION, title="ICB board, Dec"), device="dev-y")
    content = clean(base, x, y)
    assert "held_at" not in content and content["title"] == "ICB board, Dec"


def test_swapping_the_heads_gives_the_same_bytes_and_the_same_collisions() -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, pseudonym="Carer C9", title="Carer, second visit"), device="dev-x")
    y = body(edit(INTERVIEW, pseudonym="Carer C10", location="Home"), device="dev-y")
    assert merge_bodies(base, x, y).collisions == merge_bodies(base, y, x).collisions != ()
    z = body(edit(INTERVIEW, location="Home"), device="dev-z")
    one, two = merge_bodies(base, x, z).snapshot, merge_bodies(base, z, x).snapshot
    assert one is not None and two is not None
    assert merged_bytes(MergeResult(one, ())) == merged_bytes(MergeResult(two, ()))


def test_collisions_name_the_smaller_canonical_body_left_whichever_is_passed_first() -> None:
    base = body(FOCUS_GROUP)
    x = body(edit(FOCUS_GROUP, participants=11), device="dev-x")
    y = body(edit(FOCUS_GROUP, participants=12), device="dev-y")
    left, right = roles(x, y)
    for first, second in ((x, y), (y, x)):
        (collision,) = merge_bodies(base, first, second).collisions
        assert (collision.base, collision.left, collision.right) == (9, *(h["content"]["participants"] for h in (left, right)))


def test_merging_a_head_with_itself_or_with_the_base_gives_that_head() -> None:
    base = body(CASE)
    x = body(edit(CASE, pseudonym="Person P18", contacts=CASE.contacts[::-1]), device="dev-x", links=(link("l1"),))
    assert merge_bodies(base, x, x) == MergeResult(snapshot_of(x), ())
    assert merge_bodies(base, base, x) == MergeResult(snapshot_of(x), ())
    assert merge_bodies(base, x, base) == MergeResult(snapshot_of(x), ())


def test_collisions_come_sorted_by_path() -> None:
    base = body(FOCUS_GROUP, links=(link("l1"),))
    x = body(edit(FOCUS_GROUP, title="X", facilitator="Inspector X", participants=3), device="dev-x", links=(link("l1", "x"),))
    y = body(edit(FOCUS_GROUP, title="Y", facilitator="Inspector Y", participants=4), device="dev-y", links=(link("l1", "y"),))
    found = paths(merged(base, x, y))
    assert found == sorted(found) == ["content.facilitator", "content.participants", "content.title", "links.l1"]


def test_the_merge_never_changes_its_inputs_and_shares_nothing_with_them() -> None:
    base = body(CASE, links=(link("l1"),))
    x = body(edit(CASE, contacts=(*CASE.contacts, domain.Contact("c3", "GP"))), device="dev-x", links=(link("l1", "x"),))
    y = body(edit(CASE, contacts=(*CASE.contacts, domain.Contact("c4", "Pharmacy"))), device="dev-y", links=(link("l1"),))
    before = [copy.deepcopy(b) for b in (base, x, y)]
    result = merged(base, x, y)
    assert [base, x, y] == before
    assert result.snapshot is not None
    result.snapshot.content["contacts"][0]["service"] = "changed afterwards"
    result.snapshot.links[0]["comment"] = "changed afterwards"
    assert [base, x, y] == before


def test_heads_of_different_records_are_refused() -> None:
    base = body(INTERVIEW)
    for key, value in (("record_id", "rec-2"), ("assessment_id", "asm-2"), ("kind", "observation")):
        other = base | {key: value, "device_id": "dev-y"}
        with pytest.raises(ValidationError, match=key):
            merge_bodies(base, base | {"device_id": "dev-x"}, other)
        with pytest.raises(ValidationError, match=key):
            merge_bodies(other, base, base)


def test_a_merge_whose_content_the_domain_refuses_is_a_collision_at_content_not_an_error() -> None:
    base = body(OBSERVATION)
    x = rebuilt(base, lambda b: b["content"].update(meeting_type="coffee")) | {"device_id": "dev-x"}
    y = body(edit(OBSERVATION, title="ICB board, Dec"), device="dev-y")
    result = merged(base, x, y)
    assert paths(result) == ["content"]
    assert result.collisions[0].base == base["content"]


def test_without_a_common_ancestor_what_the_heads_share_merges_and_what_differs_collides() -> None:
    x = body(edit(CASE, notes="10:00  first"), device="dev-x")
    y = body(edit(CASE, notes="10:05  second", contacts=(*CASE.contacts, domain.Contact("c3", "GP"))), device="dev-y")
    content = clean(None, x, y)
    assert contact_ids(content) == ["c1", "c2", "c3"]
    assert set(content["notes"].split("\n")) == {"10:00  first", "10:05  second"}
    assert paths(merged(None, x, body(edit(CASE, title="Other"), device="dev-y"))) == ["content.title"]


# -- groups represented ---------------------------------------------------------------------------


def test_groups_represented_take_removals_and_additions_from_both_heads() -> None:
    base = body(FOCUS_GROUP)  # District nurses, Social workers
    x = body(edit(FOCUS_GROUP, groups_represented=("District nurses", "GPs")), device="dev-x")
    y = body(edit(FOCUS_GROUP, groups_represented=("District nurses", "Social workers", "Carers")), device="dev-y")
    left, _right = roles(x, y)
    expected = ["District nurses", "GPs", "Carers"] if left is x else ["District nurses", "Carers", "GPs"]
    assert clean(base, x, y)["groups_represented"] == expected


def test_groups_represented_keep_a_reorder_made_on_either_head() -> None:
    base = body(FOCUS_GROUP)
    x = body(edit(FOCUS_GROUP, groups_represented=("Social workers", "District nurses")), device="dev-x")
    y = body(edit(FOCUS_GROUP, groups_represented=("District nurses", "Social workers", "Carers")), device="dev-y")
    assert clean(base, x, y)["groups_represented"] == ["Social workers", "District nurses", "Carers"]


# -- contacts -------------------------------------------------------------------------------------


def test_contacts_appended_on_both_heads_all_appear_left_ones_first() -> None:
    base = body(CASE)
    x = body(edit(CASE, contacts=(*CASE.contacts, domain.Contact("c3", "GP"), domain.Contact("c5", "Pharmacy"))), device="dev-x")
    y = body(edit(CASE, contacts=(*CASE.contacts, domain.Contact("c4", "Care home"))), device="dev-y")
    left, _right = roles(x, y)
    expected = ["c1", "c2", "c3", "c5", "c4"] if left is x else ["c1", "c2", "c4", "c3", "c5"]
    assert contact_ids(clean(base, x, y)) == expected


def test_different_fields_of_one_contact_edited_on_each_head_merge() -> None:
    c1, c2 = CASE.contacts
    base = body(CASE)
    x = body(edit(CASE, contacts=(edit(c1, service="A&E"), c2)), device="dev-x")
    y = body(edit(CASE, contacts=(edit(c1, persons_account="Waited 10 hours"), c2)), device="dev-y")
    first = clean(base, x, y)["contacts"][0]
    assert (first["service"], first["persons_account"]) == ("A&E", "Waited 10 hours")


def test_one_contact_field_edited_both_ways_collides_at_that_field() -> None:
    c1, c2 = CASE.contacts
    base = body(CASE)
    x = body(edit(CASE, contacts=(edit(c1, service="A&E"), c2)), device="dev-x")
    y = body(edit(CASE, contacts=(edit(c1, service="Emergency dept"), c2)), device="dev-y")
    result = merged(base, x, y)
    assert paths(result) == ["content.contacts.c1.service"]
    assert result.collisions[0].base == "Emergency department"


def test_a_contact_deleted_on_one_head_and_untouched_on_the_other_is_deleted() -> None:
    c1, c2 = CASE.contacts
    base = body(CASE)
    x = body(edit(CASE, contacts=(c2,)), device="dev-x")
    y = body(edit(CASE, contacts=(edit(c1, what_happened="Admitted"), edit(c2, service="Reablement"))), device="dev-y")
    y_leaving_c1 = body(edit(CASE, contacts=(c1, edit(c2, service="Reablement"))), device="dev-y")
    assert paths(merged(base, x, y)) == ["content.contacts.c1"]
    content = clean(base, x, y_leaving_c1)
    assert contact_ids(content) == ["c2"] and content["contacts"][0]["service"] == "Reablement"


def test_a_contact_deleted_on_one_head_and_edited_on_the_other_collides_on_that_contact() -> None:
    c1, c2 = CASE.contacts
    base = body(CASE)
    x = body(edit(CASE, contacts=(c2,)), device="dev-x")
    y = body(edit(CASE, contacts=(edit(c1, what_happened="Admitted"), c2)), device="dev-y")
    result = merged(base, x, y)
    (collision,) = result.collisions
    assert collision.path == "content.contacts.c1"
    assert MISSING in (collision.left, collision.right) and collision.base == domain.to_dict(c1)


def test_a_timeline_reordered_on_one_head_keeps_that_order_beside_edits_on_the_other() -> None:
    c1, c2 = CASE.contacts
    base = body(CASE)
    x = body(edit(CASE, contacts=(c2, c1)), device="dev-x")
    y = body(edit(CASE, contacts=(c1, edit(c2, transition="Hospital → Home"), domain.Contact("c3", "GP"))), device="dev-y")
    content = clean(base, x, y)
    assert contact_ids(content) == ["c2", "c1", "c3"]
    assert content["contacts"][0]["transition"] == "Hospital → Home"


def test_a_timeline_reordered_differently_on_both_heads_collides_on_order() -> None:
    c1, c2 = CASE.contacts
    c3 = domain.Contact("c3", "GP")
    base = body(edit(CASE, contacts=(c1, c2, c3)))
    x = body(edit(CASE, contacts=(c3, c1, c2)), device="dev-x")
    y = body(edit(CASE, contacts=(c2, c1, c3)), device="dev-y")
    left, right = roles(x, y)
    assert merged(base, x, y).collisions == (
        Collision("content.contacts.order", ["c1", "c2", "c3"], contact_ids(left["content"]), contact_ids(right["content"])),
    )


def test_the_same_reorder_on_both_heads_is_no_collision() -> None:
    c1, c2 = CASE.contacts
    base = body(CASE)
    x = body(edit(CASE, contacts=(c2, c1), title="X"), device="dev-x")
    y = body(edit(CASE, contacts=(c2, c1, domain.Contact("c3", "GP"))), device="dev-y")
    assert contact_ids(clean(base, x, y)) == ["c2", "c1", "c3"]


# -- notes ----------------------------------------------------------------------------------------


def with_notes(content: domain.Content, notes: str, device: str) -> Body:
    return body(edit(content, notes=notes), device=device)


def test_quick_notes_appended_on_both_heads_keep_both_left_first() -> None:
    base = body(OBSERVATION)
    x = with_notes(OBSERVATION, domain.append_note(OBSERVATION.notes, time(11, 0), "Chair leaves"), "dev-x")
    y = with_notes(OBSERVATION, domain.append_note(OBSERVATION.notes, time(11, 5), "Vote on the plan"), "dev-y")
    left, _right = roles(x, y)
    tail = ["11:00  Chair leaves", "11:05  Vote on the plan"]
    lines = clean(base, x, y)["notes"].split("\n")
    assert lines == OBSERVATION.notes.split("\n") + (tail if left is x else tail[::-1])


def test_the_same_note_appended_on_both_heads_appears_once() -> None:
    base = body(OBSERVATION)
    same = domain.append_note(OBSERVATION.notes, time(11, 0), "Chair leaves")
    x = with_notes(OBSERVATION, same, "dev-x")
    y = with_notes(OBSERVATION, domain.append_note(same, time(11, 5), "Vote on the plan"), "dev-y")
    assert clean(base, x, y)["notes"] == domain.append_note(same, time(11, 5), "Vote on the plan")


def test_notes_appended_after_a_final_newline_merge_as_well() -> None:
    base = with_notes(INTERVIEW, "First line\n", "dev-a")
    x = with_notes(INTERVIEW, domain.append_note("First line\n", time(9, 0), "x"), "dev-x")
    y = with_notes(INTERVIEW, "First line\n09:01  y\n", "dev-y")
    notes = clean(base, x, y)["notes"]
    assert notes.startswith("First line\n") and {"09:00  x", "09:01  y"} <= set(notes.split("\n"))


def test_notes_started_on_both_heads_of_an_empty_record_keep_both() -> None:
    base = with_notes(INTERVIEW, "", "dev-a")
    x = with_notes(INTERVIEW, "09:00  x", "dev-x")
    y = with_notes(INTERVIEW, "09:01  y", "dev-y")
    assert sorted(clean(base, x, y)["notes"].split("\n")) == ["09:00  x", "09:01  y"]


def test_note_edits_to_different_lines_merge() -> None:
    base = with_notes(INTERVIEW, "one\ntwo\nthree\nfour", "dev-a")
    x = with_notes(INTERVIEW, "ONE\ntwo\nthree\nfour", "dev-x")
    y = with_notes(INTERVIEW, "one\ntwo\nthree\nfour (corrected)\nfive", "dev-y")
    assert clean(base, x, y)["notes"] == "ONE\ntwo\nthree\nfour (corrected)\nfive"


def test_a_line_inserted_beside_a_line_edited_on_the_other_head_merges() -> None:
    base = with_notes(INTERVIEW, "one\ntwo\nthree", "dev-a")
    x = with_notes(INTERVIEW, "one\ninserted\ntwo\nthree", "dev-x")
    y = with_notes(INTERVIEW, "one\nTWO\nthree", "dev-y")
    assert clean(base, x, y)["notes"] == "one\ninserted\nTWO\nthree"


def test_note_edits_to_the_same_line_collide_on_notes() -> None:
    base = with_notes(INTERVIEW, "one\ntwo\nthree", "dev-a")
    x = with_notes(INTERVIEW, "one\ntwo, said twice\nthree", "dev-x")
    y = with_notes(INTERVIEW, "one\ntwo (unclear)\nthree\nfour", "dev-y")
    left, right = roles(x, y)
    assert merged(base, x, y).collisions == (
        Collision("content.notes", "one\ntwo\nthree", left["content"]["notes"], right["content"]["notes"]),
    )


def test_a_long_transcript_with_an_edit_near_each_end_merges_aligning_only_what_changed() -> None:
    lines = [f"{n:05d}  the panel discusses item {n % 7}" for n in range(3 * MAX_ALIGNED_LINES)]
    base = with_notes(INTERVIEW, "\n".join(lines), "dev-a")
    x = with_notes(INTERVIEW, "\n".join(["00000  corrected", *lines[1:]]), "dev-x")
    y = with_notes(INTERVIEW, "\n".join([*lines, "late note"]), "dev-y")
    assert clean(base, x, y)["notes"] == "\n".join(["00000  corrected", *lines[1:], "late note"])


def test_notes_that_differ_in_more_lines_than_a_merge_aligns_are_a_collision_for_the_inspector() -> None:
    # One head rewrote every other line of a long stretch, the other added a line at the end:
    # a clean merge in principle, but aligning that stretch costs about its square in time, on
    # the service and every laptop. It goes to the inspector instead, the same on every device.
    lines = [f"line {n}" for n in range(MAX_ALIGNED_LINES)]
    rewritten = [f"LINE {n}" if n % 2 == 0 else line for n, line in enumerate(lines)]
    base = with_notes(INTERVIEW, "\n".join(lines + ["end"]), "dev-a")
    x = with_notes(INTERVIEW, "\n".join(rewritten + ["end"]), "dev-x")
    y = with_notes(INTERVIEW, "\n".join(lines + ["end", "late note"]), "dev-y")
    assert paths(merged(base, x, y)) == ["content.notes"]
    assert merged(base, x, y) == merged(base, y, x)  # one answer, whichever head is which
    shorter = MAX_ALIGNED_LINES // 4  # the same edit over a shorter stretch merges
    base, x, y = (with_notes(INTERVIEW, "\n".join(v), d) for v, d in (
        (lines[:shorter] + ["end"], "dev-a"), (rewritten[:shorter] + ["end"], "dev-x"), (lines[:shorter] + ["end", "late note"], "dev-y")))  # fmt: skip
    assert clean(base, x, y)["notes"] == "\n".join(rewritten[:shorter] + ["end", "late note"])


def test_a_note_line_deleted_on_one_head_and_edited_on_the_other_collides() -> None:
    base = with_notes(INTERVIEW, "one\ntwo\nthree", "dev-a")
    x = with_notes(INTERVIEW, "one\nthree", "dev-x")
    y = with_notes(INTERVIEW, "one\ntwo!\nthree", "dev-y")
    assert paths(merged(base, x, y)) == ["content.notes"]


def test_notes_merge_in_every_kind_of_record() -> None:
    for content in sample_contents():
        base = with_notes(content, "09:00  start", "dev-a")
        x = with_notes(content, "09:00  start\n09:10  x", "dev-x")
        y = with_notes(content, "08:55  before\n09:00  start", "dev-y")
        assert clean(base, x, y)["notes"] == "08:55  before\n09:00  start\n09:10  x"


# -- links and attachments ------------------------------------------------------------------------


def test_links_tagged_on_both_heads_are_all_kept_in_id_order() -> None:
    base = body(INTERVIEW, links=(link("l2"),))
    x = body(INTERVIEW, links=(link("l2"), link("l3")), device="dev-x")
    y = body(INTERVIEW, links=(link("l1"), link("l2", "kept, with a comment")), device="dev-y")
    result = merged(base, x, y)
    assert result.snapshot is not None
    assert list(result.snapshot.links) == [link("l1"), link("l2", "kept, with a comment"), link("l3")]


def test_a_link_removed_on_one_head_and_untouched_on_the_other_is_removed() -> None:
    base = body(INTERVIEW, links=(link("l1"), link("l2")))
    x = body(INTERVIEW, links=(link("l2"),), device="dev-x")
    y = body(edit(INTERVIEW, title="T"), links=(link("l1"), link("l2")), device="dev-y")
    result = merged(base, x, y)
    assert result.snapshot is not None and [li["id"] for li in result.snapshot.links] == ["l2"]


@pytest.mark.parametrize(
    ("x_links", "y_links"),
    [
        ((link("l1", "x"),), (link("l1", "y"),)),  # edited both ways
        ((), (link("l1", statement="safeguarding"),)),  # removed against edited
    ],
    ids=["edited-both-ways", "removed-against-edited"],
)
def test_a_link_changed_both_ways_collides_on_that_link(x_links: tuple, y_links: tuple) -> None:
    base = body(INTERVIEW, links=(link("l1"), link("l2")))
    x = body(INTERVIEW, links=(*x_links, link("l2")), device="dev-x")
    y = body(INTERVIEW, links=(*y_links, link("l2")), device="dev-y")
    assert paths(merged(base, x, y)) == ["links.l1"]


def test_attachments_merge_by_id_like_links() -> None:
    base = body(OBSERVATION, attachments=(attachment("a1"), attachment("a2")))
    x = body(OBSERVATION, attachments=(attachment("a2"), attachment("a3")), device="dev-x")
    y = body(OBSERVATION, attachments=(attachment("a1"), attachment("a2"), attachment("a4")), device="dev-y")
    result = merged(base, x, y)
    assert result.snapshot is not None and [a["id"] for a in result.snapshot.attachments] == ["a2", "a3", "a4"]
    z = body(OBSERVATION, attachments=(attachment("a1", "renamed.jpg"), attachment("a2")), device="dev-z")
    assert paths(merged(base, x, z)) == ["attachments.a1"]


# -- deleting, restoring, framework ---------------------------------------------------------------


def test_a_delete_against_an_untouched_head_gives_a_tombstone() -> None:
    base = body(CASE, links=(link("l1"),), attachments=(attachment("a1"),))
    x = body(CASE, deleted=True, device="dev-x")
    y = body(CASE, links=(link("l1"),), attachments=(attachment("a1"),), framework=NEWER_FRAMEWORK, device="dev-y")
    result = merged(base, x, y)
    expected = revision.Snapshot("rec-1", "asm-1", "case_tracking", NEWER_FRAMEWORK, True, {}, (), ())
    assert result == MergeResult(expected, ())


def test_a_record_deleted_on_both_heads_is_a_tombstone() -> None:
    base = body(CASE)
    result = merged(base, body(CASE, deleted=True, device="dev-x"), body(CASE, deleted=True, device="dev-y"))
    assert result.snapshot is not None and result.snapshot.deleted and result.snapshot.content == {}


@pytest.mark.parametrize(
    "edited",
    [
        body(edit(CASE, pseudonym="Person P18"), device="dev-y"),
        body(CASE, links=(link("l1"),), device="dev-y"),
        body(CASE, attachments=(attachment("a1"),), device="dev-y"),
    ],
    ids=["content", "links", "attachments"],
)
def test_a_delete_against_an_edit_is_a_collision_on_deleted(edited: Body) -> None:
    base = body(CASE)
    x = body(CASE, deleted=True, device="dev-x")
    left, right = roles(x, edited)
    assert merged(base, x, edited).collisions == (Collision("deleted", False, left["deleted"], right["deleted"]),)


def test_a_record_restored_on_one_head_comes_back_with_that_heads_content() -> None:
    base = body(INTERVIEW, deleted=True)
    x = body(INTERVIEW, deleted=True, device="dev-x")
    y = body(edit(INTERVIEW, pseudonym="Carer C9"), links=(link("l1"),), device="dev-y")
    assert merged(base, x, y) == MergeResult(snapshot_of(y), ())


def test_a_framework_update_on_one_head_is_taken_and_two_different_ones_collide() -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, title="T"), device="dev-x")
    y = body(INTERVIEW, framework=NEWER_FRAMEWORK, device="dev-y")
    result = merged(base, x, y)
    assert result.snapshot is not None and result.snapshot.framework_key == NEWER_FRAMEWORK
    z = body(INTERVIEW, framework="cqc-ics-2026.1", device="dev-z")
    assert paths(merged(base, y, z)) == ["framework"]


def test_a_clean_merge_builds_a_valid_revision_body() -> None:
    base = body(CASE)
    x = body(edit(CASE, pseudonym="P18"), links=(link("l2"),), device="dev-x")
    y = body(edit(CASE, summary="Home"), links=(link("l1"),), device="dev-y")
    result = merged(base, x, y)
    assert result.snapshot is not None
    rebuilt_body = revision.build_body(result.snapshot, parents=("p1", "p2"), device_id="dev-z", created_at="2026-11-21T09:00")
    parsed = revision.parse_body(rebuilt_body)
    assert domain.from_dict(parsed["kind"], parsed["content"]) == edit(CASE, pseudonym="P18", summary="Home")


HASH_SEED_SCRIPT = """
import sys
from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.revisions.merge import merge_bodies

def body(groups, lines, device):
    content = domain.to_dict(domain.FocusGroup(groups_represented=groups, notes="\\n".join(lines)))
    links = tuple({"id": i, "statement": "s", "category": "c", "comment": "", "passage": None} for i in lines)
    snap = revision.Snapshot("r", "a", "focus_group", "f", False, content, links, ())
    return revision.parse_body(revision.build_body(snap, parents=(), device_id=device, created_at="t"))

base = body(("a", "b"), "pq", "b")
result = merge_bodies(base, body(("a", "c", "d"), "pqr", "x"), body(("e", "b", "a", "f"), "pqs", "y"))
sys.stdout.write(revision.build_body(result.snapshot, parents=(), device_id="d", created_at="t").hex())
"""


def test_the_merged_bytes_do_not_depend_on_the_process_hash_seed() -> None:
    root = Path(__file__).resolve().parents[1]
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", HASH_SEED_SCRIPT], cwd=root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1 and outputs != {""}


# -- properties over generated edits --------------------------------------------------------------

WORDS = ["", "Inspector A", "Inspector B", "Library", "Town hall"]
NOTE_LINES = ["09:00  arrives", "09:10  chair speaks", "09:20  vote", "09:30  ends"]
GROUPS = ["District nurses", "Social workers", "GPs", "Carers"]
SCALARS: dict[str, dict[str, list[Any]]] = {
    "observation": {"title": WORDS, "meeting_type": ["icb", "icp"], "location": WORDS, "held_at": [None, "2026-11-21"]},
    "interview": {"title": WORDS, "pseudonym": ["Carer C4", "Carer C5"], "role": ["carer", "staff"], "location": WORDS},
    "case_tracking": {"title": WORDS, "pseudonym": ["Person P17", "Person P18"], "summary": WORDS},
    "focus_group": {"title": WORDS, "participants": [0, 9, 12], "facilitator": WORDS, "role": [None, "staff", "carer"]},
}
STRUCTURED = {
    "observation": ["attendees", "notes"],
    "interview": ["consent", "notes"],
    "case_tracking": ["contacts", "notes"],
    "focus_group": ["groups_represented", "notes"],
}
RARELY = st.sampled_from([False] * 19 + [True])  # integers(0, 19) == 0 would be true far too often


def areas(kind: str) -> list[str]:
    """Everything a head can change independently: each content field, links, attachments, framework."""
    return sorted(SCALARS[kind]) + STRUCTURED[kind] + ["links", "attachments", "framework"]


def change_list(draw: st.DrawFn, items: list[Any], pool: list[Any]) -> list[Any]:
    """Add, remove or move one item of a list (an edit an inspector makes in one go)."""
    items = list(items)
    action = draw(st.sampled_from(["add", "remove", "move"] if items else ["add"]))
    if action == "add":
        candidates = [p for p in pool if p not in items] or pool[:1]
        items.insert(draw(st.integers(0, len(items))), draw(st.sampled_from(candidates)))
    elif action == "remove":
        items.pop(draw(st.integers(0, len(items) - 1)))
    else:
        items.insert(draw(st.integers(0, len(items) - 1)), items.pop(draw(st.integers(0, len(items) - 1))))
    return items


def change_area(draw: st.DrawFn, kind: str, area: str, content: dict[str, Any], state: dict[str, Any]) -> None:
    """One random edit of one area, always leaving valid content."""
    if area in SCALARS[kind]:
        content[area] = draw(st.sampled_from(SCALARS[kind][area]))
    elif area == "notes":
        content["notes"] = "\n".join(change_list(draw, content["notes"].split("\n") if content["notes"] else [], NOTE_LINES))
    elif area == "groups_represented":
        content[area] = change_list(draw, content[area], GROUPS)
    elif area == "attendees":
        content[area] = change_list(draw, content[area], [{"role": r, "organisation": ""} for r in ("Mayor", "Healthwatch")])
    elif area == "consent":
        content[area] = {"given": draw(st.booleans()), "method": draw(st.sampled_from(["", "verbal"])), "recorded_at": None}
    elif area == "contacts":
        content[area] = change_contacts(draw, content[area])
    elif area == "framework":
        state["framework"] = draw(st.sampled_from([FRAMEWORK, NEWER_FRAMEWORK]))
    else:
        links = [link(f"l{i}", comment) for i in range(1, 4) for comment in ("", "x")]
        pool = links if area == "links" else [attachment(f"a{i}") for i in range(1, 4)]
        changed = change_list(draw, state[area], pool)
        state[area] = list({item["id"]: item for item in changed}.values())


def change_contacts(draw: st.DrawFn, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if contacts and draw(st.booleans()):
        contacts = copy.deepcopy(contacts)
        target = draw(st.sampled_from(contacts))
        target[draw(st.sampled_from(["service", "what_happened"]))] = draw(st.sampled_from(WORDS))
        return contacts
    pool = [domain.to_dict(domain.Contact(f"n{i}", "GP")) for i in range(1, 4)]
    changed = change_list(draw, contacts, pool)
    return list({c["id"]: c for c in changed}.values())


@st.composite
def head(draw: st.DrawFn, base: Body, device: str, allowed: list[str] | None = None, may_delete: bool = True) -> Body:
    """A head edited from base on one device: a few random edits of the allowed areas, or a delete."""
    kind = base["kind"]
    stays_deleted = base["deleted"] and draw(st.booleans())
    if stays_deleted or (may_delete and not base["deleted"] and draw(RARELY)):
        return rebuilt(base, lambda b: b.update(deleted=True, content={}, links=[], attachments=[], device_id=device))
    # Editing a tombstone restores it, starting from the kind's empty record.
    content = copy.deepcopy(base["content"]) or domain.to_dict(domain.content_class(kind)())
    state = {"framework": base["framework"], "links": list(base["links"]), "attachments": list(base["attachments"])}
    # Lists and notes are drawn more often: their structural merges are where bugs would hide.
    choices = allowed or areas(kind) + STRUCTURED[kind] * 3 + ["links", "attachments"]
    for _ in range(draw(st.integers(1, 4))):
        change_area(draw, kind, draw(st.sampled_from(choices)), content, state)
    links, attachments = tuple(state["links"]), tuple(state["attachments"])
    snap = revision.Snapshot("rec-1", "asm-1", kind, state["framework"], False, content, links, attachments)
    return revision.parse_body(revision.build_body(snap, parents=(), device_id=device, created_at="2026-11-20T16:00"))


@st.composite
def bases(draw: st.DrawFn, may_be_deleted: bool = True) -> Body:
    content = draw(st.sampled_from(sample_contents()))
    deleted = may_be_deleted and draw(RARELY)
    links = tuple(draw(st.lists(st.sampled_from([link("l1"), link("l2")]), unique_by=lambda li: li["id"])))
    return body(content, deleted=deleted, links=links, attachments=(attachment("a1"),))


@st.composite
def triples(draw: st.DrawFn) -> tuple[Body, Body, Body]:
    base = draw(bases())
    return base, draw(head(base, "dev-x")), draw(head(base, "dev-y"))


@settings(max_examples=150, deadline=None)
@given(triples())
def test_merging_is_symmetric_to_the_byte_and_the_same_every_time(bodies: tuple[Body, Body, Body]) -> None:
    base, x, y = bodies
    before = canonical_json([base, x, y])
    one, two, again = merge_bodies(base, x, y), merge_bodies(base, y, x), merge_bodies(base, x, y)
    assert merged_bytes(one) == merged_bytes(two) == merged_bytes(again)
    assert one.collisions == two.collisions == again.collisions
    assert (one.snapshot is None) == bool(one.collisions)
    assert canonical_json([base, x, y]) == before
    if one.snapshot is not None and not one.snapshot.deleted:
        domain.from_dict(one.snapshot.kind, one.snapshot.content)


@settings(max_examples=100, deadline=None)
@given(triples())
def test_merging_a_head_with_itself_or_an_unchanged_side_gives_that_head(bodies: tuple[Body, Body, Body]) -> None:
    base, x, y = bodies
    assert merge_bodies(base, x, x) == MergeResult(snapshot_of(x), ())
    assert merge_bodies(base, base, y) == MergeResult(snapshot_of(y), ())
    assert merge_bodies(base, x, base) == MergeResult(snapshot_of(x), ())


DisjointCase = tuple[Body, Body, Body, list[str], list[str]]  # base, x, y, areas only x edits, areas only y edits


@st.composite
def disjoint_triples(draw: st.DrawFn) -> DisjointCase:
    base = draw(bases(may_be_deleted=False))
    shuffled = draw(st.permutations(areas(base["kind"])))
    cut = draw(st.integers(1, len(shuffled) - 1))
    x_areas, y_areas = list(shuffled[:cut]), list(shuffled[cut:])
    x = draw(head(base, "dev-x", x_areas, may_delete=False))
    y = draw(head(base, "dev-y", y_areas, may_delete=False))
    return base, x, y, x_areas, y_areas


def area_of(b: Body, area: str) -> Any:
    return b[area] if area in ("links", "attachments", "framework") else b["content"].get(area, MISSING)


@settings(max_examples=150, deadline=None)
@given(disjoint_triples())
def test_edits_to_disjoint_fields_merge_cleanly_and_keep_both_heads_edits(case: DisjointCase) -> None:
    base, x, y, x_areas, y_areas = case
    result = merged(base, x, y)
    assert result.collisions == ()
    assert result.snapshot is not None
    as_body = revision.parse_body(merged_bytes(result) or b"")
    for area in x_areas:
        assert area_of(as_body, area) == area_of(x, area)
    for area in y_areas:
        assert area_of(as_body, area) == area_of(y, area)


OLD_LINES = [f"{9 + i // 6:02d}:{i % 6 * 10:02d}  base line {i}" for i in range(8)]
NEW_LINES = st.lists(st.sampled_from(["new a", "new b", "new c", ""]), max_size=3)


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n - 2))), NEW_LINES, NEW_LINES, st.data())
def test_notes_edited_either_side_of_an_untouched_line_merge_into_both_edits(
    sizes: tuple[int, int], x_part: list[str], y_part: list[str], data: st.DataObject
) -> None:
    n, anchor = sizes
    base_lines = OLD_LINES[:n]
    # Each head rewrites its own side of base line `anchor`: keeps a sub-list of it and adds new lines.
    x_kept = [line for line in base_lines[:anchor] if data.draw(st.booleans())]
    y_kept = [line for line in base_lines[anchor + 1 :] if data.draw(st.booleans())]
    x_lines = x_part + x_kept + base_lines[anchor:]
    y_lines = base_lines[: anchor + 1] + y_kept + y_part
    base, x, y = (with_notes(INTERVIEW, "\n".join(lines), device) for lines, device in zip((base_lines, x_lines, y_lines), "axy"))
    assert clean(base, x, y)["notes"] == "\n".join(x_part + x_kept + [base_lines[anchor]] + y_kept + y_part)


APPENDED = st.lists(st.sampled_from(["new a", "new b", "new c"]), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5), APPENDED, APPENDED)
def test_lines_appended_on_both_heads_all_survive_left_first(n: int, x_part: list[str], y_part: list[str]) -> None:
    base = with_notes(INTERVIEW, "\n".join(OLD_LINES[:n]), "a")
    x = with_notes(INTERVIEW, "\n".join(OLD_LINES[:n] + x_part), "x")
    y = with_notes(INTERVIEW, "\n".join(OLD_LINES[:n] + y_part), "y")
    left, right = (x_part, y_part) if roles(x, y)[0] is x else (y_part, x_part)
    unmatched = list(left)  # a line both heads appended is kept once
    right_only = []
    for line in right:
        if line in unmatched:
            unmatched.remove(line)
        else:
            right_only.append(line)
    assert clean(base, x, y)["notes"].split("\n") == OLD_LINES[:n] + left + right_only


def test_an_editors_unsaved_words_move_onto_a_draft_a_sync_changed() -> None:
    base = domain.to_dict(sample_contents()[1])
    mine = {**base, "location": "Carers' centre"}
    theirs = {**base, "pseudonym": "Carer C9", "notes": base["notes"] + "\n10:50  Added on the other laptop"}
    merged, kept = rebase_edit("interview", base, mine, theirs)
    assert kept == ()
    assert merged["location"] == "Carers' centre" and merged["pseudonym"] == "Carer C9"
    assert merged["notes"].endswith("Added on the other laptop")


def test_an_editors_lines_and_a_colleagues_lines_added_at_one_place_are_both_kept() -> None:
    base = domain.to_dict(domain.Observation(notes="10:00  Opened"))
    mine = {**base, "notes": "10:00  Opened\n\nChair asks for the winter plan"}
    theirs = {**base, "notes": "10:00  Opened\n10:05  Apologies"}
    merged, kept = rebase_edit("observation", base, mine, theirs)
    assert kept == () and "Apologies" in merged["notes"] and "winter plan" in merged["notes"]


def test_a_field_changed_both_ways_keeps_the_editors_words_and_says_which() -> None:
    base = domain.to_dict(sample_contents()[1])
    merged, kept = rebase_edit("interview", base, {**base, "pseudonym": "Mine", "location": "Here"}, {**base, "pseudonym": "Theirs", "held_at": "2026-11-21T09:00"})
    assert kept == ("pseudonym",)
    assert (merged["pseudonym"], merged["location"], merged["held_at"]) == ("Mine", "Here", "2026-11-21T09:00")


# -- issue 15: the evidence's context ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["team", "places", "organisations"])
def test_team_places_and_organisations_merge_as_sets_taking_additions_and_removals_from_both_heads(name: str) -> None:
    base = body(edit(OBSERVATION, **{name: ("a", "b")}))
    x = body(edit(OBSERVATION, **{name: ("a", "c")}), device="dev-x")  # b removed, c added
    y = body(edit(OBSERVATION, **{name: ("a", "b", "d")}), device="dev-y")  # d added
    assert clean(base, x, y)[name] == ["a", "c", "d"]


def test_team_members_added_on_both_heads_of_a_record_made_before_the_team_field_are_all_kept() -> None:
    base = body(INTERVIEW)  # no team: the field is not in the signed content at all
    assert "team" not in base["content"]
    x = body(edit(INTERVIEW, team=("Ann Lee",)), device="dev-x")
    y = body(edit(INTERVIEW, team=("Raj Patel",)), device="dev-y")
    assert clean(base, x, y)["team"] == ["Ann Lee", "Raj Patel"]


def test_a_set_emptied_by_the_merge_is_left_out_as_the_domain_writes_it() -> None:
    base = body(edit(OBSERVATION, places=("p1", "p2")))
    x = body(edit(OBSERVATION, places=("p2",)), device="dev-x")
    y = body(edit(OBSERVATION, places=("p1",)), device="dev-y")
    result = merged(base, x, y)
    assert result.snapshot is not None and "places" not in result.snapshot.content
    assert result.snapshot.content == domain.to_dict(domain.from_dict("observation", result.snapshot.content))


def test_face_to_face_reasons_merge_as_a_set_on_an_interview_and_on_a_contact() -> None:
    f2f = edit(INTERVIEW, mode="face_to_face", face_to_face_reasons=("rapport",))
    x = body(edit(f2f, face_to_face_reasons=("rapport", "confidentiality")), device="dev-x")
    y = body(edit(f2f, face_to_face_reasons=("rapport", "corroborating")), device="dev-y")
    assert clean(body(f2f), x, y)["face_to_face_reasons"] == ["confidentiality", "corroborating", "rapport"]
    c1, c2 = CASE.contacts
    met = edit(CASE, contacts=(edit(c1, mode="face_to_face"), c2))
    cx = body(edit(CASE, contacts=(edit(c1, mode="face_to_face", face_to_face_reasons=("rapport",)), c2)), device="dev-x")
    cy = body(edit(CASE, contacts=(edit(c1, mode="face_to_face", face_to_face_reasons=("sensitive_inquiry",)), c2)), device="dev-y")
    assert clean(body(met), cx, cy)["contacts"][0]["face_to_face_reasons"] == ["rapport", "sensitive_inquiry"]


@pytest.mark.parametrize(("name", "one", "other"), [("source", "held", "requested"), ("site", "on_site", "off_site"), ("mode", "phone", "video")])
def test_where_it_came_from_the_site_and_the_mode_collide_when_changed_both_ways(name: str, one: str, other: str) -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, **{name: one}), device="dev-x")
    y = body(edit(INTERVIEW, **{name: other}), device="dev-y")
    assert paths(merged(base, x, y)) == [f"content.{name}"]
    assert clean(base, x, body(edit(INTERVIEW, location="Library"), device="dev-y"))[name] == one


def test_a_case_sample_and_its_stage_merge_field_by_field() -> None:
    base = body(edit(CASE, sample="Discharge", sample_stage="put_forward"))
    x = body(edit(CASE, sample="Discharge", sample_stage="short_listed"), device="dev-x")
    y = body(edit(CASE, sample="Discharge", sample_stage="put_forward", site="on_site"), device="dev-y")
    content = clean(base, x, y)
    assert (content["sample_stage"], content["site"]) == ("short_listed", "on_site")


def test_the_merged_revision_of_a_record_that_gained_context_carries_format_3() -> None:
    base = body(INTERVIEW)
    x = body(edit(INTERVIEW, site="off_site"), device="dev-x")
    y = body(edit(INTERVIEW, location="Library"), device="dev-y")
    assert x["format"] == revision.CONTEXT_FORMAT and base["format"] == y["format"] == revision.BODY_FORMAT
    result = merged(base, x, y)
    assert result.snapshot is not None
    assert revision.parse_body(merged_bytes(result) or b"")["format"] == revision.CONTEXT_FORMAT
