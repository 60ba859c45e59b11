"""The report's texts, factual accuracy responses and shared drafts travel as signed revisions through the
real service: two inspectors writing the summary offline merge line by line, or collide and are resolved;
quotations chosen on both laptops are both kept; responses recorded on both arrive on both; a shared
draft is verified on the other laptop and never revised; and a colleague's hostile or oversized report
item is refused in words, by the service and by the laptop that pulls it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import text
from sync_fixtures import Device, RawDevice, Service, colleagues, raw_device

from fieldapp import domain
from fieldapp.errors import UnresolvedConflict
from fieldapp.framework import default_framework
from fieldapp.ids import uuid7
from fieldapp.item_kinds import MAX_QUOTATIONS, MAX_TEXT, FacResponseContent, ReportTextContent
from fieldapp.links import passage_of
from fieldapp.replication.exchange import PulledDevice, PulledPage, PullReport
from fieldapp.report.build import build_report, share_draft
from fieldapp.report_texts import report_text_id
from fieldapp.revisions import revision
from sync import protocol

PEOPLE = "peoples-experience"


def sync_both(first: Device, second: Device) -> None:
    first.sync()
    second.sync()
    first.sync()
    second.sync()


def write(device: Device, assessment_id: str, **fields: object) -> None:
    current = device.vault.report_texts.texts(assessment_id).content
    device.vault.report_texts.save_texts(assessment_id, dataclasses.replace(current, **fields))  # type: ignore[arg-type]


def test_two_inspectors_writing_the_summary_offline_merge_line_by_line(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    write(amara, assessment_id, summary="A large ICS.\nOne plan.\nThree places.")
    sync_both(amara, ben)
    write(amara, assessment_id, summary="A large ICS of 1.2 million people.\nOne plan.\nThree places.")
    theme = default_framework().themes[0].id
    write(ben, assessment_id, summary="A large ICS.\nOne plan.\nThree places, each with its own board.", strengths={theme: "Leaders listen."})
    sync_both(amara, ben)

    mine, theirs = amara.vault.report_texts.texts(assessment_id), ben.vault.report_texts.texts(assessment_id)
    assert mine.id == theirs.id == report_text_id(assessment_id) and not mine.conflict and not theirs.conflict
    assert mine.content == theirs.content
    assert mine.content.summary == "A large ICS of 1.2 million people.\nOne plan.\nThree places, each with its own board."
    assert mine.content.strengths == {theme: "Leaders listen."}
    assert amara.vault.records.list(assessment_id) == ()  # never evidence


def test_one_summary_line_written_both_ways_collides_refuses_the_report_and_is_resolved(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    write(amara, assessment_id, summary="A large ICS.")
    sync_both(amara, ben)
    write(amara, assessment_id, summary="A large ICS of 1.2 million people.")
    write(ben, assessment_id, summary="A small ICS.")
    sync_both(amara, ben)

    for device in (amara, ben):
        row = device.vault.report_texts.texts(assessment_id)
        assert row.conflict
        assert sorted(c.summary for _id, c in device.vault.report_texts.text_versions(assessment_id)) == ["A large ICS of 1.2 million people.", "A small ICS."]
        with pytest.raises(UnresolvedConflict, match="the report's texts"):
            build_report(device.vault, assessment_id, draft=False, shared_on=None)
    (conflict,) = amara.vault.replication.conflicts()
    assert conflict.title == "The report's texts"
    keep = next(rev for rev, c in amara.vault.report_texts.text_versions(assessment_id) if c.summary == "A small ICS.")
    amara.vault.replication.resolve_item(report_text_id(assessment_id), take=keep)
    sync_both(amara, ben)
    for device in (amara, ben):
        row = device.vault.report_texts.texts(assessment_id)
        assert not row.conflict and row.content.summary == "A small ICS."
    assert build_report(ben.vault, assessment_id, draft=False, shared_on=None).sections[1].blocks[0].text == "A small ICS."  # type: ignore[union-attr]


def test_quotations_chosen_on_both_laptops_are_both_kept_in_order(service: Service, make_device: Callable[..., Device]) -> None:
    statement = default_framework().statements[0].id
    notes = "First passage. Second passage. Third passage."
    assessment_id, amara, ben, record_id = colleagues(service, make_device, domain.Interview(
        title="Interview", pseudonym="Person Q", role="carer", consent=domain.Consent(True, "verbal", "2026-11-20"), notes=notes))  # fmt: skip
    assert record_id is not None
    content = amara.vault.records.get(record_id).content
    links = [amara.vault.links.tag(record_id, statement, PEOPLE, passage=passage_of(content, "notes", notes.index(p), notes.index(p) + len(p))).value
             for p in ("First passage.", "Second passage.", "Third passage.")]  # fmt: skip
    amara.vault.report_texts.choose_quotations(assessment_id, [(record_id, links[0].id)])
    sync_both(amara, ben)
    amara.vault.report_texts.choose_quotations(assessment_id, [(record_id, links[0].id), (record_id, links[1].id)])
    ben.vault.report_texts.choose_quotations(assessment_id, [(record_id, links[0].id), (record_id, links[2].id)])
    sync_both(amara, ben)
    for device in (amara, ben):
        chosen = [s.passage for s in device.vault.report_texts.quotations(assessment_id)]
        assert chosen[0] == "First passage." and sorted(chosen) == ["First passage.", "Second passage.", "Third passage."]
    assert amara.vault.report_texts.texts(assessment_id).content == ben.vault.report_texts.texts(assessment_id).content


def test_a_shared_draft_and_responses_from_both_laptops_arrive_on_both(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    write(amara, assessment_id, summary="A large ICS.\nOne plan.")
    _report, draft = share_draft(amara.vault, assessment_id, date(2026, 12, 7))
    sync_both(amara, ben)
    (pulled,) = ben.vault.report_texts.drafts(assessment_id)
    assert pulled.verified and pulled.id == draft.id and pulled.paragraphs == draft.paragraphs and pulled.signed_by == "Inspector A, on ‘first’"

    summary = {p.key: p.number for p in draft.paragraphs}
    amara.vault.report_texts.record_response(assessment_id, FacResponseContent(draft.id, summary["summary:1"], "icb", "It is larger."))
    ben.vault.report_texts.record_response(assessment_id, FacResponseContent(draft.id, summary["summary:2"], "icp", "Two plans.",
                                                                             decision="not_accepted", reason="One plan, agreed in March."))  # fmt: skip
    sync_both(amara, ben)
    for device in (amara, ben):
        rows = device.vault.report_texts.responses(assessment_id)
        assert [(r.content.said, r.shared_on, r.conflict) for r in rows] == [("It is larger.", "2026-12-07", False), ("Two plans.", "2026-12-07", False)]
    final = build_report(ben.vault, assessment_id, draft=False, shared_on=None)
    assert final.sections[-1].heading == "Factual accuracy check"
    assert ben.vault.verify(attachments=False).ok


# -- hostile and broken report items --------------------------------------------------------------------


def pulled(device: Device, raw: RawDevice, *revisions: revision.SignedRevision) -> PullReport:
    public = raw.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    page = PulledPage(revisions, (PulledDevice(raw.device_id, public, "colleague"),), (), device.vault.replication.cursor() or "")
    return device.vault.replication.apply_pull(page).value


def texts_revision(raw: RawDevice, assessment_id: str, *, record_id: str | None = None, **content: object) -> revision.SignedRevision:
    plain = {**domain.item_to_dict(ReportTextContent()), **content}
    return raw.revision(assessment_id, record_id=record_id or report_text_id(assessment_id), kind="report_text", content=plain)


HOSTILE = {
    "an oversized summary": ({"summary": "x" * (MAX_TEXT + 1)}, "longer than 200,000 characters"),
    "too many quotations": ({"quotations": [{"record_id": f"r{i}", "link_id": "l"} for i in range(MAX_QUOTATIONS + 1)]}, "more than the 1,000"),
    "an unknown field": ({"verdict": "Outstanding"}, "does not know: verdict"),
    "a theme narrative that is not text": ({"strengths": {"t": 7}}, "must be text"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_report_text_is_refused_in_words_by_the_service_and_the_laptop(service: Service, make_device: Callable[..., Device], case: str) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    their_assessment, (inspector,) = service.team("Westshire ICS")
    raw = raw_device(service, inspector, "colleague")
    fields, words = HOSTILE[case]
    (ack,) = raw.push(texts_revision(raw, their_assessment, **fields)).json()["acks"]
    assert (ack["status"], ack["code"]) == ("rejected", protocol.R_CONTENT) and words in ack["reason"]
    report = pulled(amara, raw, texts_revision(raw, assessment_id, **fields))  # as an older or compromised service would pass it on
    assert report.stored == 0 and any(words in why for why in report.refused), report
    assert not amara.vault.report_texts.texts(assessment_id).exists


def test_report_items_out_of_place_deleted_or_revised_are_refused(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, (inspector,) = service.team()
    raw = raw_device(service, inspector)
    squatter = texts_revision(raw, assessment_id, record_id=uuid7())  # the texts under a random id: a second set of texts
    (ack,) = raw.push(squatter).json()["acks"]
    assert (ack["status"], ack["code"]) == ("rejected", protocol.R_RECORD) and "does not have the id its assessment gives it" in ack["reason"]
    response = domain.item_to_dict(FacResponseContent(uuid7(), 1, "icb", "Wrong."))
    gone = raw.revision(assessment_id, kind="fac_response", content=response, deleted=True)
    (ack,) = raw.push(gone).json()["acks"]
    assert ack["status"] == "rejected" and "came deleted" in ack["reason"]
    undecided = raw.revision(assessment_id, kind="fac_response", content={**response, "decision": "accepted"})
    (ack,) = raw.push(undecided).json()["acks"]
    assert (ack["status"], ack["code"]) == ("rejected", protocol.R_CONTENT) and "says the change made" in ack["reason"]

    draft_id = uuid7()
    draft = {"shared_on": "2026-12-07", "paragraphs": [{"number": 1, "key": "summary:1", "text": "As shared."}]}
    first = raw.revision(assessment_id, record_id=draft_id, kind="report_draft", content=draft)
    assert raw.push(first).json()["acks"][0]["status"] == "accepted"
    quietly = {**draft, "paragraphs": [{"number": 1, "key": "summary:1", "text": "Quietly changed."}]}
    for second in (raw.revision(assessment_id, record_id=draft_id, kind="report_draft", content=quietly, parents=(first.id,)),
                   raw.revision(assessment_id, record_id=draft_id, kind="report_draft", content=quietly)):  # fmt: skip
        (ack,) = raw.push(second).json()["acks"]
        assert (ack["status"], ack["code"]) == ("rejected", protocol.R_IMMUTABLE) and "never changes once shared" in ack["reason"]


def test_the_laptop_refuses_a_second_revision_of_a_draft_it_holds(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    _report, made = share_draft(amara.vault, assessment_id, date(2026, 12, 7))
    with amara.vault.transaction("reading the draft's revision") as session:
        head = session.execute(text("SELECT head_revision_id FROM records WHERE id = :id"), {"id": made.id}).scalar_one()
    raw = raw_device(service, service.team()[1][0], "intruder")
    changed = {"shared_on": "2026-12-07", "paragraphs": [{"number": 1, "key": "about:framework", "text": "Quietly changed."}]}
    report = pulled(amara, raw, raw.revision(assessment_id, record_id=made.id, kind="report_draft", content=changed, parents=(head,)))
    assert report.stored == 0 and any("never changes once shared" in why for why in report.refused), report
    (kept,) = amara.vault.report_texts.drafts(assessment_id)
    assert kept.paragraphs == made.paragraphs and kept.verified


def test_only_the_lead_inspectors_laptop_shares_a_draft_at_the_service(service: Service) -> None:
    assessment_id, (lead, member) = service.team(inspectors=2)
    from sync.server import admin

    with service.admin() as session:
        admin.set_lead(session, assessment_id, lead)
    raw = raw_device(service, member)
    draft = {"shared_on": "2026-12-07", "paragraphs": [{"number": 1, "key": "summary:1", "text": "Shared by a member."}]}
    (ack,) = raw.push(raw.revision(assessment_id, kind="report_draft", content=draft)).json()["acks"]
    assert (ack["status"], ack["code"]) == ("rejected", protocol.R_NOT_LEAD) and "shares the draft report" in ack["reason"]
    response = domain.item_to_dict(FacResponseContent(uuid7(), 1, "icb", "Anyone records a response."))
    assert raw.push(raw.revision(assessment_id, kind="fac_response", content=response)).json()["acks"][0]["status"] == "accepted"
