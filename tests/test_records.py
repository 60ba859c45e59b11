"""Records of the four kinds: drafts, revisions, deletes, tags, search, coverage and history."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE, sample_contents

from fieldapp import domain, records
from fieldapp.errors import NotFound, ValidationError
from fieldapp.links import passage_of
from fieldapp.vault import Vault


def test_each_kind_of_record_is_saved_and_read_back_with_its_own_fields(vault: Vault, assessment_id: str) -> None:
    for content in sample_contents():
        done = vault.records.create(assessment_id, content)
        assert done.changes.records == {done.value.id}
        assert vault.records.get(done.value.id).content == content
    kinds = sorted(s.kind for s in vault.records.list(assessment_id))
    assert kinds == ["case_tracking", "focus_group", "interview", "observation"]


def test_records_survive_locking_and_reopening(vault: Vault, vault_path: Path, assessment_id: str) -> None:
    ids = [vault.records.create(assessment_id, c).value.id for c in sample_contents()]
    vault.lock()
    reopened = Vault.open(vault_path, passphrase=PASSPHRASE)
    assert [reopened.records.get(i).content for i in ids] == sample_contents()
    reopened.lock()


def test_an_interview_has_a_pseudonym_and_no_field_for_a_real_name() -> None:
    names = {f.name for f in dataclasses.fields(domain.Interview)}
    assert "pseudonym" in names and not names & {"name", "real_name", "full_name", "surname"}


def test_an_experience_interview_without_consent_is_saved_but_flagged(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Interview(role="person_using_services", pseudonym="P3")).value
    assert rec.flags == ("consent-missing",)
    assert vault.records.list(assessment_id)[0].flags == ("consent-missing",)
    staff = vault.records.create(assessment_id, domain.Interview(role="staff", pseudonym="S1")).value
    assert staff.flags == ()


def test_autosave_rewrites_the_draft_without_cutting_a_revision_each_time(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(title="ICP")).value
    for i in range(50):
        vault.records.save(rec.id, domain.Observation(title="ICP", notes="x" * i))
    assert vault.history.revisions(rec.id) == ()
    assert vault.records.cut_revision(rec.id).value is not None  # leaving the record
    assert vault.records.cut_revision(rec.id).value is None  # nothing new since
    assert len(vault.history.revisions(rec.id)) == 1


def test_what_an_inspector_does_here_is_never_marked_as_arriving_by_sync(vault: Vault, assessment_id: str) -> None:
    made = vault.records.create(assessment_id, domain.Observation(title="ICP"))
    saved = vault.records.save(made.value.id, domain.Observation(title="ICP", notes="minutes"))
    cut = vault.records.cut_revision(made.value.id)
    assert made.changes.records == saved.changes.records == {made.value.id}
    assert not (made.changes.from_sync or saved.changes.from_sync or cut.changes.from_sync)
    assert (saved.changes | cut.changes).from_sync is False


def test_five_minutes_of_continuous_editing_cut_a_revision_by_themselves(vault_path: Path, assessment_id: str) -> None:
    now = [datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)]
    v = Vault(vault_path, clock=lambda: now[0])
    v.unlock(passphrase=PASSPHRASE)
    rec = v.records.create(v.assessments.create("Clocked ICS").value.id, domain.Observation()).value
    notes = ""
    for minute in range(60):  # an hour of typing, a save every 2 seconds
        for second in range(0, 60, 2):
            now[0] = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc) + timedelta(minutes=minute, seconds=second)
            notes += "a"
            v.records.save(rec.id, domain.Observation(notes=notes))
    assert 10 <= len(v.history.revisions(rec.id)) <= 13
    v.lock()


def test_locking_cuts_a_revision_of_every_open_draft(vault: Vault, vault_path: Path, assessment_id: str) -> None:
    ids = [vault.records.create(assessment_id, c).value.id for c in sample_contents()]
    vault.lock()
    reopened = Vault.open(vault_path, passphrase=PASSPHRASE)
    assert all(len(reopened.history.revisions(i)) == 1 for i in ids)
    reopened.lock()


def test_a_delete_is_a_tombstone_revision_and_the_history_stays(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, sample_contents()[1]).value
    tombstone = vault.records.delete(rec.id).value
    assert tombstone.deleted
    with pytest.raises(NotFound):
        vault.records.get(rec.id)
    assert vault.records.list(assessment_id) == ()
    assert vault.search("respite").items == ()
    history = vault.history.revisions(rec.id)
    assert [r.deleted for r in history] == [False, True]
    assert history[1].parents == (history[0].id,)
    assert vault.history.snapshot(history[0].id).content == sample_contents()[1]


def test_a_case_timeline_grows_contact_by_contact_over_days(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.CaseTracking(pseudonym="P9")).value
    for day in range(1, 4):
        vault.records.append_contact(rec.id, domain.Contact(f"c{day}", f"Service {day}", f"2026-11-0{day}"))
        vault.records.cut_revision(rec.id)
    got = vault.records.get(rec.id)
    assert [c.service for c in got.content.contacts] == ["Service 1", "Service 2", "Service 3"]
    assert got.occurred_on == "2026-11-01"
    assert len(vault.history.revisions(rec.id)) == 3


def test_a_quick_note_is_added_with_the_time(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(notes="09:58  Meeting opens")).value
    vault.records.add_note(rec.id, "ICB chair asks for the winter plan", at=datetime(2026, 11, 20, 10, 42))
    assert vault.records.get(rec.id).content.notes == "09:58  Meeting opens\n10:42  ICB chair asks for the winter plan"


def test_bad_content_is_refused_with_the_field_named(vault: Vault, assessment_id: str) -> None:
    with pytest.raises(ValidationError, match="meeting type"):
        vault.records.create(assessment_id, domain.Observation(meeting_type="picnic"))
    with pytest.raises(ValidationError, match="When"):
        vault.records.create(assessment_id, domain.FocusGroup(held_at="next tuesday"))
    with pytest.raises(NotFound):
        vault.records.create("no-such-assessment", domain.Observation())


def test_a_tag_takes_its_category_from_the_kind_and_role_and_can_be_changed(vault: Vault, assessment_id: str) -> None:
    obs, carer, case, staff_group = (vault.records.create(assessment_id, c).value for c in sample_contents())
    assert vault.links.tag(obs.id, "shared-direction-culture").value.category_id == "observation"
    assert vault.links.tag(carer.id, "equity-in-access").value.category_id == "peoples-experience"
    assert vault.links.tag(case.id, "safe-systems-pathways-transitions").value.category_id == "observation"
    assert vault.links.tag(staff_group.id, "learning-culture").value.category_id == "staff-leaders-feedback"
    changed = vault.links.tag(carer.id, "safeguarding", "outcomes", comment="respite gap").value
    assert changed.category_id == "outcomes" and changed.comment == "respite gap"


def test_a_passage_of_the_notes_can_be_tagged_and_untagged(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, sample_contents()[0]).value
    notes = rec.content.notes
    start = notes.index("winter plan")
    passage = passage_of(rec.content, "notes", start, start + len("winter plan"))
    link = vault.links.tag(rec.id, "governance-management-sustainability", passage=passage).value
    assert vault.records.get(rec.id).links[0].passage.text == "winter plan"
    vault.links.untag(link.id)
    assert vault.records.get(rec.id).links == ()


def test_unknown_statements_and_stale_passages_are_refused(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, sample_contents()[0]).value
    with pytest.raises(NotFound):
        vault.links.tag(rec.id, "not-a-statement")
    with pytest.raises(NotFound):
        vault.links.tag(rec.id, "safeguarding", "not-a-category")
    stale = dataclasses.replace(passage_of(rec.content, "notes", 0, 5), text="other")
    with pytest.raises(ValidationError, match="select it again"):
        vault.links.tag(rec.id, "safeguarding", passage=stale)


def test_search_lists_the_newest_record_first_and_counts_beyond_the_page_when_asked(vault: Vault, assessment_id: str) -> None:
    ids = [vault.records.create(assessment_id, domain.Observation(notes=f"winter plan {i}")).value.id for i in range(30)]
    vault.records.save(ids[3], domain.Observation(notes="winter plan revised"))
    first = vault.search("winter", limit=10)
    assert [r.id for r in first.items] == ids[::-1][:10] and first.total is None
    assert vault.search("winter", limit=10, count=True).total == 30
    assert vault.search("", assessment_id=assessment_id, limit=10, count=True).total == 30
    last = vault.search("winter", limit=10, offset=25)
    assert [r.id for r in last.items] == ids[4::-1] and last.total == 30


def test_search_finds_words_in_any_field_combined_with_filters(vault: Vault, assessment_id: str) -> None:
    obs, carer, case, group = (vault.records.create(assessment_id, c).value for c in sample_contents())
    vault.links.tag(carer.id, "safeguarding")
    vault.links.tag(group.id, "staff-teams-services-together")
    assert [r.id for r in vault.search("respite").items] == [carer.id]
    assert [r.id for r in vault.search("reablem").items] == [case.id]  # prefix, inside a contact
    assert [r.id for r in vault.search("Director nursing").items] == [obs.id]  # an attendee
    assert {r.id for r in vault.search("", assessment_id=assessment_id, theme_id="quality-and-safety").items} == {carer.id}
    assert {r.id for r in vault.search("", theme_id="integration").items} == {group.id}
    assert {r.id for r in vault.search("", category_ids=("peoples-experience",)).items} == {carer.id}
    assert {r.id for r in vault.search("", kinds=("observation", "case_tracking")).items} == {obs.id, case.id}
    assert {r.id for r in vault.search("", date_from="2026-11-21", date_to="2026-11-30").items} == {group.id}
    assert vault.search("", sync_states=("synced",)).items == ()
    assert vault.search("respite", kinds=("observation",)).items == ()


def test_search_treats_punctuation_as_text_not_as_query_syntax(vault: Vault, assessment_id: str) -> None:
    vault.records.create(assessment_id, domain.Observation(notes='The "NEAR" AND OR chair* (sic)'))
    for hostile in ['"', "NEAR(", "chair*", "AND OR", ")(", "'; DROP TABLE records; --", "title:x"]:
        vault.search(hostile)  # never an error
    assert len(vault.search("near and or").items) == 1


def test_search_snippets_mark_the_matched_words(vault: Vault, assessment_id: str) -> None:
    vault.records.create(assessment_id, sample_contents()[1])
    (hit,) = vault.search("respite").items
    assert "\x02respite\x03" in vault.snippets("respite", [hit.id])[hit.id]


def test_coverage_counts_evidence_per_statement_and_category_and_lists_the_gaps(vault: Vault, assessment_id: str) -> None:
    obs, carer, case, group = (vault.records.create(assessment_id, c).value for c in sample_contents())
    vault.links.tag(obs.id, "shared-direction-culture")
    vault.links.tag(carer.id, "safeguarding")
    vault.links.tag(carer.id, "safeguarding", "outcomes")
    vault.links.tag(case.id, "safeguarding")
    cov = vault.coverage(assessment_id)
    assert len(cov.statement_ids) == 17 and len(cov.category_ids) == 6
    assert cov.count("safeguarding", "peoples-experience") == 1
    assert cov.count("safeguarding", "observation") == 1
    assert cov.statement_total("safeguarding") == 3
    assert "safeguarding" not in cov.missing and "shared-direction-culture" not in cov.missing
    assert len(cov.missing) == 15
    vault.records.delete(case.id)
    assert vault.coverage(assessment_id).statement_total("safeguarding") == 2


def test_restoring_an_earlier_revision_makes_a_new_one_and_keeps_the_rest(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(notes="first")).value
    vault.links.tag(rec.id, "learning-culture")
    first = vault.records.cut_revision(rec.id).value
    vault.records.save(rec.id, domain.Observation(notes="second"))
    vault.links.untag(vault.records.get(rec.id).links[0].id)
    vault.records.cut_revision(rec.id)
    restored = vault.history.restore(rec.id, first.id).value
    assert restored.content.notes == "first" and [l.statement_id for l in restored.links] == ["learning-culture"]
    history = vault.history.revisions(rec.id)
    assert len(history) == 3 and history[-1].parents == (history[1].id,)


def test_every_revision_is_signed_by_this_device_and_verifies(vault: Vault, assessment_id: str) -> None:
    for content in sample_contents():
        vault.records.cut_revision(vault.records.create(assessment_id, content).value.id)
    report = vault.verify()
    assert report.ok and report.revisions_checked == 4
    revs = vault.history.revisions(vault.records.list(assessment_id)[0].id)
    assert revs[0].device_id == vault.device_id


def test_assessments_are_listed_with_their_team_and_framework(vault: Vault) -> None:
    a = vault.assessments.create("Eastshire ICS", period_start="2026-12-01", period_end="2026-12-12", team=("Ann", " Bo "))
    assert a.value.team == ("Ann", "Bo") and a.value.framework_key == "cqc-ics@2024.1"
    assert vault.assessments.list() == (a.value,)
    with pytest.raises(ValidationError):
        vault.assessments.create("   ")
    with pytest.raises(ValidationError, match="ends before"):
        vault.assessments.create("Backwards ICS", period_start="2026-12-02", period_end="2026-12-01")


def test_typed_prefixes_expand_through_the_index_folding_case_and_accents(vault: Vault, assessment_id: str) -> None:
    cafe = vault.records.create(assessment_id, domain.Observation(notes="Café meeting with the Reablement team")).value
    assert [r.id for r in vault.search("CAFE").items] == [cafe.id]
    assert [r.id for r in vault.search("réab meet").items] == [cafe.id]
    nothing = vault.search("zzzz cafe")
    assert nothing.items == () and nothing.total == 0
    many = vault.records.create(assessment_id, domain.Observation(notes=" ".join(f"q{i}x" for i in range(40)))).value
    assert [r.id for r in vault.search("q").items] == [many.id]  # more terms than expand: FTS5's own prefix match


def test_an_autosaved_edit_is_found_by_the_next_search(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(notes="first words")).value
    vault.records.save(rec.id, domain.Observation(notes="winter pressures"))
    assert [r.id for r in vault.search("pressures").items] == [rec.id]
    assert vault.search("first").items == ()


def test_an_editor_save_on_a_draft_that_changed_meanwhile_is_moved_onto_it_not_refused(vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(title="Board", notes="10:00  Opened")).value
    loaded = vault.records.get(rec.id).content
    # Meanwhile (a sync, a quick note): the location and a line of notes arrive.
    vault.records.save(rec.id, domain.Observation(title="Board", location="Room 4", notes="10:00  Opened\n10:05  Apologies"))
    mine = domain.Observation(title="ICB board", notes="10:00  Opened\n\nChair asks for the winter plan")
    saved = vault.records.save_edit(rec.id, mine, base=loaded).value
    assert saved.rebased and saved.kept_mine == ()
    now = vault.records.get(rec.id).content
    assert (now.title, now.location) == ("ICB board", "Room 4")
    assert "Apologies" in now.notes and "winter plan" in now.notes
    assert saved.record.content == now


def test_where_both_changed_one_field_the_editors_words_win_and_are_named(vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(title="Board")).value
    vault.records.save(rec.id, domain.Observation(title="Board (theirs)"))
    saved = vault.records.save_edit(rec.id, domain.Observation(title="Board (mine)"), base=rec.content).value
    assert saved.kept_mine == ("title",) and vault.records.get(rec.id).title == "Board (mine)"


def test_an_editor_save_on_an_unchanged_draft_is_a_plain_save(vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(title="Board")).value
    vault.links.tag(rec.id, "safeguarding")  # a new version of the record, the same content
    saved = vault.records.save_edit(rec.id, domain.Observation(title="Board", notes="typed"), base=rec.content).value
    assert not saved.rebased and vault.records.get(rec.id).content.notes == "typed"


def test_text_typed_into_a_date_field_is_kept_beside_the_draft_and_flagged_until_fixed(vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Interview(title="Carer")).value
    typed = {"held_at": "yesterday afternoon", "consent.recorded_at": "after lunch", "nonsense": "dropped"}
    saved = vault.records.save_edit(rec.id, domain.Interview(title="Carer", notes="Long paragraph"), base=rec.content, as_typed=typed)
    row = vault.records.get(rec.id)
    assert row.as_typed == {"held_at": "yesterday afternoon", "consent.recorded_at": "after lunch"}
    assert saved.value.record.as_typed == row.as_typed
    assert row.content.notes == "Long paragraph" and row.content.held_at is None
    assert "date-unreadable" in row.flags
    assert [s.flags for s in vault.records.list(assessment_id)] == [("consent-missing", "date-unreadable")]
    # A revision holds only what reads: it is cut, with every other field, and no typed text.
    vault.records.cut_all(reason="test")
    last = vault.history.revisions(rec.id)[-1]
    assert b"yesterday afternoon" not in vault.history.signed(last.id).body
    assert vault.history.snapshot(last.id).content.notes == "Long paragraph"
    fixed = domain.Interview(title="Carer", notes="Long paragraph", held_at="2026-11-21T14:30+00:00")
    vault.records.save_edit(rec.id, fixed, base=row.content, as_typed={})
    row = vault.records.get(rec.id)
    assert row.as_typed == {} and "date-unreadable" not in row.flags and row.content.held_at == "2026-11-21T14:30+00:00"


def test_typed_text_stays_when_a_colleagues_revision_is_adopted(vault, assessment_id: str) -> None:
    from fieldapp.records import apply_snapshot, load, snapshot

    rec = vault.records.create(assessment_id, domain.Observation(title="Board")).value
    vault.records.save_edit(rec.id, rec.content, base=rec.content, as_typed={"held_at": "Tuesday-ish"})
    with vault.transaction("test") as session:
        row = load(session, rec.id)
        body = snapshot(session, row)
        body = {"content": {**body.content, "location": "Room 4"}, "links": [], "attachments": []}
        apply_snapshot(session, vault, row, body)
    after = vault.records.get(rec.id)
    assert after.content.location == "Room 4" and after.as_typed == {"held_at": "Tuesday-ish"}
    assert "date-unreadable" in after.flags


def test_rebase_moves_an_edit_onto_a_changed_draft_keeping_both_sides_words() -> None:
    base = domain.Observation(title="ICB board", notes="Chair opened.")
    mine = domain.Observation(title="ICB board", notes="Chair opened. Finance item deferred.")
    theirs = domain.Observation(title="ICB board, part 2", notes="Chair opened.", location="Room 4")
    merged, kept = records.rebase(base, mine, theirs)
    assert (merged.title, merged.notes, merged.location) == ("ICB board, part 2", "Chair opened. Finance item deferred.", "Room 4")
    assert kept == ()
