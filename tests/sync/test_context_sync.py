"""Issue 15's context travels: a document and a record's context pushed, pulled, merged field by
field between two laptops, and found by its filters on the laptop that pulled it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sync_fixtures import Device, Service, colleagues, raw_device

from fieldapp import domain
from fieldapp.errors import ValidationError
from fieldapp.replication.exchange import PulledDevice, PulledPage
from sync import protocol
from sync.server import admin


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


def test_a_colleagues_record_naming_more_team_members_places_or_organisations_than_any_assessment_has_is_refused_in_words(
    service: Service, make_device: Callable[..., Device]
) -> None:
    # Opening a record lists each named one as a row of the editor: a hostile colleague's hundreds of thousands would freeze it.
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    with service.admin() as session:
        inspector_id = admin.create_inspector(session, "Inspector C").id
        admin.add_member(session, assessment_id, inspector_id)
    colleague = raw_device(service, inspector_id, "colleague")
    many = [f"p{n}" for n in range(domain.MAX_CONTEXT_ENTRIES + 1)]
    honest = colleague.revision(assessment_id, content={"title": "ICB board", "notes": "", "places": many[:-1], "team": ["Inspector A"]})
    flooded = [colleague.revision(assessment_id, content={"title": "ICB board", "notes": "", field: many}) for field in ("team", "places", "organisations")]
    acks = colleague.push(honest, *flooded).json()["acks"]
    assert [a["status"] for a in acks] == ["accepted", "rejected", "rejected", "rejected"] and {a["code"] for a in acks[1:]} == {protocol.R_CONTENT}
    public = colleague.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    page = PulledPage((honest, *flooded), (PulledDevice(colleague.device_id, public, "colleague"),), (), amara.vault.replication.cursor() or "")
    report = amara.vault.replication.apply_pull(page).value
    assert report.stored == 1 and len(report.refused) == 3 and all(f"{domain.MAX_CONTEXT_ENTRIES:,}" in why for why in report.refused), report
    with pytest.raises(ValidationError, match="at most"):
        domain.from_dict("observation", {"title": "ICB board", "organisations": many})


def test_a_team_typed_on_the_laptop_that_the_service_does_not_keep_is_named_when_the_assessment_is_offered(
    service: Service, make_device: Callable[..., Device]
) -> None:
    # Seen in the app: a team of three typed in the new assessment's dialog became the service's
    # team of one at the first sync, a few seconds later, and nothing said so.
    with service.admin() as session:
        priya = admin.create_inspector(session, "Priya Shah", may_create_assessments=True)
    laptop = make_device(service, priya.id, "priya")
    made = laptop.vault.assessments.create("Humber and North Yorkshire ICS").value
    laptop.vault.assessments.set_team(made.id, [("Priya Shah", "lead"), ("Tom Ellis", "inspector"), ("Ann Lowe", "expert_by_experience")])
    report = laptop.sync()
    (said,) = report.notices  # a notice the window keeps until dismissed, not a detail the next refresh rewrites
    assert said == (
        "Humber and North Yorkshire ICS: the service's team does not include Tom Ellis or Ann Lowe; their names stay on "
        "the records that mention them. Ask your administrator to add them."
    )
    assert not report.problems
    assert [m.name for m in laptop.vault.assessments.get(made.id).members] == ["Priya Shah"]  # the service's team, as designed
    again = laptop.sync()
    assert not again.notices and not again.problems, "said once, when it was offered"
