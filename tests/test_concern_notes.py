"""What the laptop notes of its concerns (fieldapp/concern_notes.py): it asks once per People's experience tag
whether it tells of poor experience of care (kept in the vault, across a lock), and when the real service
stored each concern; and the evidence list can be narrowed to the records a concern was raised from."""

from __future__ import annotations

from collections.abc import Callable

from fieldapp import domain
from fieldapp.item_kinds import ConcernContent
from fieldapp.search import Query
from fieldapp.vault import Vault
from sync_fixtures import Device, Service
from vault_fixtures import PASSPHRASE


def test_the_ask_about_a_tag_comes_once_and_is_remembered_after_a_lock(vault: Vault, assessment_id: str) -> None:
    record_id = vault.records.create(assessment_id, domain.Interview(title="Mr B", notes="Nobody answers the bell.")).value.id
    link_id = vault.links.tag(record_id, "safeguarding", "peoples-experience").value.id
    assert not vault.concern_notes.asked(link_id)
    assert vault.concern_notes.ask_once(link_id) is True
    assert vault.concern_notes.ask_once(link_id) is False
    vault.lock()
    vault.unlock(passphrase=PASSPHRASE)
    assert vault.concern_notes.asked(link_id) and vault.concern_notes.ask_once(link_id) is False


def test_the_list_narrows_to_records_a_concern_was_raised_from_and_a_deleted_record_is_not_listed(vault: Vault, assessment_id: str) -> None:
    with_one = vault.records.create(assessment_id, domain.Interview(title="Mr B", notes="Pushed.")).value.id
    vault.records.create(assessment_id, domain.Observation(title="Board"))
    assert vault.search(Query(assessment_id=assessment_id, with_concern=True)).items == ()
    vault.concerns.raise_concern(assessment_id, ConcernContent("safeguarding", "immediate", "Pushed", record_id=with_one))
    vault.concerns.raise_concern(assessment_id, ConcernContent("other", "routine", "On its own"))
    found = vault.search(Query(assessment_id=assessment_id, with_concern=True)).items
    assert [r.id for r in found] == [with_one]
    assert len(vault.search(Query(assessment_id=assessment_id)).items) == 2


def test_a_push_notes_when_the_service_stored_a_concern_and_names_its_assessment(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, (inspector,) = service.team()
    device = make_device(service, inspector)
    device.sync()
    raised = device.vault.concerns.raise_concern(assessment_id, ConcernContent("other", "routine", "Heard at the front desk")).value
    assert device.vault.concern_notes.sent_at([raised.id]) == {}
    report = device.sync()
    assert assessment_id in report.changes.concerns  # the views read the concern's state again
    (when,) = device.vault.concern_notes.sent_at([raised.id]).values()
    assert when.endswith("Z") and "T" in when and device.vault.concerns.get(raised.id).state == "sent"
