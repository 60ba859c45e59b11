"""What an inspector manages besides evidence: deleting a record and bringing it back, an
assessment's name, period and archiving (and what this laptop may not change), the passphrase."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE, sample_contents

from fieldapp import domain
from fieldapp.errors import ManagedByService, NotFound, ValidationError, WrongPassphrase
from fieldapp.storage.models import Assessment
from fieldapp.vault import Vault


def test_a_deleted_record_comes_back_with_its_words_tags_and_files_as_a_revision_after_the_tombstone(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, sample_contents()[0]).value
    vault.links.tag(rec.id, "learning-culture")
    vault.attachments.add(rec.id, io.BytesIO(b"flipchart " * 100), name="flipchart.jpg")
    vault.records.save(rec.id, domain.Observation(title="ICB board", notes="typed just before the delete"))
    tombstone = vault.records.delete(rec.id).value
    assert vault.search("delete").items == ()

    back = vault.history.restore_deleted(rec.id)
    restored = back.value
    assert not restored.deleted and restored.content.notes == "typed just before the delete"
    assert [l.statement_id for l in restored.links] == ["learning-culture"] and [a.name for a in restored.attachments] == ["flipchart.jpg"]
    revisions = vault.history.revisions(rec.id)
    assert revisions[-1].parents == (tombstone.id,) and not revisions[-1].deleted  # history only grows
    assert back.changes.records == {rec.id} and back.changes.revisions == {revisions[-1].id}
    assert [r.id for r in vault.search("delete").items] == [rec.id]
    assert vault.verify().ok


def test_deleted_records_are_listed_newest_deletion_first_until_restored(vault: Vault, assessment_id: str) -> None:
    first, second, kept = (vault.records.create(assessment_id, c).value for c in sample_contents()[:3])
    vault.records.delete(first.id)
    vault.records.delete(second.id)
    listed = vault.history.deleted_records(assessment_id)
    assert [(d.id, d.title) for d in listed] == [(second.id, second.title), (first.id, first.title)]
    assert listed[0].device_id == vault.device_id and listed[0].deleted_at >= listed[1].deleted_at
    assert vault.history.deleted_records(vault.assessments.create("Elsewhere ICS").value.id) == ()
    vault.history.restore_deleted(first.id)
    assert [d.id for d in vault.history.deleted_records(assessment_id)] == [second.id]
    assert vault.history.restore_deleted(kept.id).changes.revisions == frozenset()  # not deleted: nothing to do


def test_a_record_deleted_again_after_a_restore_comes_back_as_it_was_the_second_time(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(notes="first words")).value
    vault.records.delete(rec.id)
    vault.history.restore_deleted(rec.id)
    vault.records.save(rec.id, domain.Observation(notes="second words"))
    vault.records.delete(rec.id)
    assert vault.history.restore_deleted(rec.id).value.content.notes == "second words"


def test_removing_an_attachment_is_an_edit_that_the_next_revision_holds_and_history_keeps(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, sample_contents()[1]).value
    att = vault.attachments.add(rec.id, io.BytesIO(b"consent form " * 50), name="consent.pdf").value
    with_file = vault.records.cut_revision(rec.id).value
    vault.attachments.remove(att.id, record_id=rec.id)
    assert vault.records.get(rec.id).attachments == () and vault.records.get(rec.id).draft_dirty
    without = vault.records.cut_revision(rec.id).value
    assert vault.history.snapshot(without.id).attachments == ()
    assert [a["name"] for a in vault.history.snapshot(with_file.id).attachments] == ["consent.pdf"]


def test_an_assessment_on_this_laptop_only_can_be_renamed_and_given_a_period(vault: Vault, assessment_id: str) -> None:
    renamed = vault.assessments.rename(assessment_id, "  North and East Shire ICS ").value
    assert renamed.name == "North and East Shire ICS"
    dated = vault.assessments.set_period(assessment_id, "2026-11-21", "2026-12-04").value
    assert (dated.period_start, dated.period_end) == ("2026-11-21", "2026-12-04")
    assert vault.assessments.set_period(assessment_id, None, None).value.period_start is None
    with pytest.raises(ValidationError, match="ends before"):
        vault.assessments.set_period(assessment_id, "2026-12-04", "2026-11-21")
    with pytest.raises(ValidationError, match="name"):
        vault.assessments.rename(assessment_id, "  ")
    offered = vault.replication.assessments_to_offer()
    assert [(a.name, a.period_start) for a in offered] == [("North and East Shire ICS", None)]  # offered as it now stands


def test_an_assessment_on_the_central_service_is_renamed_only_by_its_administrator(vault: Vault, assessment_id: str) -> None:
    with vault.transaction("as a pull leaves it") as session:
        session.get(Assessment, assessment_id).on_service = True
    with pytest.raises(ManagedByService, match="managed on the central service; ask its administrator to rename it"):
        vault.assessments.rename(assessment_id, "Another name")
    with pytest.raises(ManagedByService, match="to change its period"):
        vault.assessments.set_period(assessment_id, "2026-11-02", None)
    assert vault.assessments.get(assessment_id).name == "Northshire ICS"
    assert vault.assessments.set_archived(assessment_id, True).value.archived  # a choice of this laptop's


def test_archiving_hides_nothing_from_the_vault_and_survives_a_lock(vault: Vault, vault_path: Path, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, sample_contents()[0]).value
    done = vault.assessments.set_archived(assessment_id, True)
    assert done.changes.assessments == {assessment_id} and done.value.archived
    vault.lock()
    vault.unlock(passphrase=PASSPHRASE)
    assert [(a.id, a.archived) for a in vault.assessments.list()] == [(assessment_id, True)]
    assert [r.id for r in vault.records.list(assessment_id)] == [rec.id]
    assert not vault.assessments.set_archived(assessment_id, False).value.archived
    with pytest.raises(NotFound):
        vault.assessments.set_archived("no-such-assessment", True)


def test_the_passphrase_changes_only_when_the_current_one_is_given(vault: Vault, vault_path: Path) -> None:
    with pytest.raises(WrongPassphrase):
        vault.change_passphrase("lamp orbit velvet crane", current="not the passphrase")
    vault.change_passphrase("lamp orbit velvet crane", current=PASSPHRASE)
    vault.lock()
    with pytest.raises(WrongPassphrase):
        vault.unlock(passphrase=PASSPHRASE)
    vault.unlock(passphrase="lamp orbit velvet crane")


def test_wrong_current_passphrases_slow_down_as_at_unlock(vault: Vault) -> None:
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            vault.change_passphrase("lamp orbit velvet crane", current="a guess at it")
    assert vault.unlock_delay() > 0.5
