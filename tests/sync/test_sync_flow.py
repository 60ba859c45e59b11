"""Two inspectors' laptops and the real service: evidence goes up, comes down, merges, conflicts."""

from __future__ import annotations

from pathlib import Path

from sync_fixtures import Device, Service, colleagues
from vault_fixtures import sample_contents

from fieldapp import domain
from fieldapp.links import passage_of


def _two_devices(service: Service, make_device) -> tuple[str, Device, Device]:  # noqa: ANN001
    assessment_id, first, second, _none = colleagues(service, make_device)
    return assessment_id, first, second


def test_records_of_every_kind_with_tags_and_an_attachment_reach_a_colleague(service: Service, make_device, tmp_path: Path) -> None:
    assessment_id, first, second = _two_devices(service, make_device)
    assert [a.name for a in first.vault.assessments.list()] == ["Northshire ICS"]
    ids = []
    for content in sample_contents():
        rec = first.vault.records.create(assessment_id, content).value
        ids.append(rec.id)
    notes = first.vault.records.get(ids[0]).content
    first.vault.links.tag(ids[0], "governance-management-sustainability", passage=passage_of(notes, "notes", 7, 20))
    photo = tmp_path / "flipchart.jpg"
    photo.write_bytes(b"\xff\xd8 a photo of the flipchart " * 5000)
    first.vault.attachments.add(ids[1], photo)

    report = first.sync()
    assert report.pushed == 4 and report.uploaded_bytes == photo.stat().st_size
    assert first.vault.replication.status().waiting == 0
    report = second.sync()
    assert report.pulled == 4 and report.downloaded_bytes == photo.stat().st_size

    for rec_id, content in zip(ids, sample_contents()):
        got = second.vault.records.get(rec_id)
        assert got.content == content
        assert got.sync_state == "synced"
    (att,) = second.vault.records.get(ids[1]).attachments
    assert second.vault.attachments.read_bytes(att.id) == photo.read_bytes()
    assert [link.statement_id for link in second.vault.records.get(ids[0]).links] == ["governance-management-sustainability"]
    assert second.vault.verify().ok and first.vault.verify().ok


def test_edits_of_different_fields_merge_into_the_same_revision_on_both_laptops(service: Service, make_device) -> None:
    assessment_id, first, second = _two_devices(service, make_device)
    rec = first.vault.records.create(assessment_id, sample_contents()[1]).value
    first.sync()
    second.sync()
    base = second.vault.records.get(rec.id).content
    assert isinstance(base, domain.Interview)
    first.vault.records.save(rec.id, domain.Interview(**{**base.__dict__, "location": "Carers' centre"}))
    second.vault.records.save(rec.id, domain.Interview(**{**base.__dict__, "pseudonym": "Carer C9"}))
    first.sync()
    report = second.sync()  # sees both heads, merges, pushes the merge
    assert report.merged == 1
    first.sync()
    one, two = first.vault.records.get(rec.id), second.vault.records.get(rec.id)
    assert one.content == two.content
    assert one.content.location == "Carers' centre" and one.content.pseudonym == "Carer C9"
    assert one.head_revision_id == two.head_revision_id
    assert one.sync_state == two.sync_state == "synced"


def test_a_case_timeline_extended_on_two_laptops_merges_both_contacts(service: Service, make_device) -> None:
    assessment_id, first, second = _two_devices(service, make_device)
    rec = first.vault.records.create(assessment_id, sample_contents()[2]).value
    first.sync()
    second.sync()
    first.vault.records.append_contact(rec.id, domain.Contact("c3", "GP surgery", "2026-10-20", "Medication review"))
    second.vault.records.append_contact(rec.id, domain.Contact("c4", "Day centre", "2026-10-22", "Started attending"))
    first.sync()
    second.sync()
    first.sync()
    for device in (first, second):
        content = device.vault.records.get(rec.id).content
        assert [c.id for c in content.contacts] == ["c1", "c2", "c3", "c4"]
        assert device.vault.replication.status().conflicts == 0


def test_the_same_field_edited_both_ways_is_a_conflict_on_both_until_resolved(service: Service, make_device) -> None:
    assessment_id, first, second = _two_devices(service, make_device)
    rec = first.vault.records.create(assessment_id, sample_contents()[2]).value
    first.sync()
    second.sync()
    base = first.vault.records.get(rec.id).content
    first.vault.records.save(rec.id, domain.CaseTracking(**{**base.__dict__, "pseudonym": "Person P18"}))
    second.vault.records.save(rec.id, domain.CaseTracking(**{**base.__dict__, "pseudonym": "Person P19"}))
    first.sync()
    assert second.sync().conflicts == 1
    first.sync()
    for device in (first, second):
        (conflict,) = device.vault.replication.conflicts()
        assert {h.fields()["content"]["pseudonym"] for h in conflict.heads} == {"Person P18", "Person P19"}
        assert [c.path for c in conflict.collisions] == ["content.pseudonym"]
    # each keeps its own words on screen meanwhile: nothing overwritten
    assert first.vault.records.get(rec.id).content.pseudonym == "Person P18"
    assert second.vault.records.get(rec.id).content.pseudonym == "Person P19"

    (conflict,) = first.vault.replication.conflicts()
    theirs = next(h for h in conflict.heads if h.fields()["content"]["pseudonym"] == "Person P19")
    first.vault.replication.resolve(rec.id, take=theirs.id)
    first.sync()
    second.sync()
    for device in (first, second):
        got = device.vault.records.get(rec.id)
        assert got.content.pseudonym == "Person P19" and got.sync_state == "synced"
        assert device.vault.replication.conflicts() == []
        history = device.vault.history.revisions(rec.id)
        assert {"Person P18", "Person P19"} <= {device.vault.history.snapshot(r.id).content.pseudonym for r in history if not r.deleted}


def test_search_finds_a_pulled_edit_by_its_new_words_and_no_longer_by_the_old(service: Service, make_device) -> None:
    assessment_id, first, second = _two_devices(service, make_device)
    rec = first.vault.records.create(assessment_id, domain.Observation(title="Board", notes="The chair opened on winter pressures.")).value
    first.sync()
    second.sync()
    assert [r.id for r in second.vault.search("winter").items] == [rec.id]
    first.vault.records.save(rec.id, domain.Observation(title="Board", notes="The chair opened on discharge delays."))
    first.sync()
    assert second.sync().updated == 1
    # The pull leaves the search index to catch up at the next search: it must, before answering.
    assert [r.id for r in second.vault.search("discharge").items] == [rec.id]
    assert second.vault.search("winter").items == ()
