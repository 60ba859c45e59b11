"""Issue 15's context travels: a document and a record's context pushed, pulled, merged field by
field between two laptops, and found by its filters on the laptop that pulled it."""

from __future__ import annotations

from collections.abc import Callable

from sync_fixtures import Device, Service, colleagues

from fieldapp import domain


def _sync_both(first: Device, second: Device) -> None:
    first.sync()
    second.sync()
    first.sync()


def test_a_document_made_on_one_laptop_is_verified_found_and_filtered_on_the_other(service: Service, make_device: Callable[..., Device]) -> None:
    doc = domain.Document(title="Winter plan", document_type="strategy", source_organisation="Northshire ICB", dated="2026-10-01",
                          source="requested", organisations=("o-icb",), team=("Inspector A",))  # fmt: skip
    assessment_id, _amara, ben, record_id = colleagues(service, make_device, doc)
    assert record_id is not None
    assert ben.vault.records.get(record_id).content == doc
    found = ben.vault.search("winter", assessment_id=assessment_id, kinds=("document",), sources=("requested",), organisation_ids=("o-icb",))
    assert [row.id for row in found.items] == [record_id]
    assert ben.vault.verify(attachments=False).ok


def test_team_members_added_on_two_laptops_to_an_old_record_are_both_kept_and_its_other_edits_merge(
    service: Service, make_device: Callable[..., Device]
) -> None:
    old = domain.Interview(title="Discharge lead", role="staff", notes="First line")
    assessment_id, amara, ben, record_id = colleagues(service, make_device, old)
    assert record_id is not None
    amara.vault.records.save(record_id, domain.Interview(title="Discharge lead", role="staff", notes="First line", team=("Inspector A",),
                                                         mode="face_to_face", face_to_face_reasons=("rapport",)))  # fmt: skip
    ben.vault.records.save(record_id, domain.Interview(title="Discharge lead", role="staff", notes="First line", team=("Inspector B",),
                                                       site="on_site"))  # fmt: skip
    _sync_both(amara, ben)
    for device in (amara, ben):
        content = device.vault.records.get(record_id).content
        assert isinstance(content, domain.Interview)
        assert (content.team, content.site, content.mode, content.face_to_face_reasons) == (
            ("Inspector A", "Inspector B"), "on_site", "face_to_face", ("rapport",),
        )  # fmt: skip
        assert device.vault.replication.conflicts() == []
        assert [r.id for r in device.vault.search(assessment_id=assessment_id, team=("Inspector B",), modes=("face_to_face",)).items] == [record_id]
