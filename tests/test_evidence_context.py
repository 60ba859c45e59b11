"""Issue 15's context of evidence in the core: where it came from, on or off site, the mode, who took
part, places and organisations, case samples, and the fifth kind, a document or data item."""

from __future__ import annotations

import json

import pytest

from fieldapp import domain, readable
from fieldapp.errors import NeedsUpdate, ValidationError
from fieldapp.framework import default_framework
from fieldapp.revisions import revision
from fieldapp.revisions.canonical import canonical_json

# An interview's content exactly as the app stored and signed it before issue 15.
OLD_INTERVIEW = {
    "title": "Carer, discharge", "role": "carer", "pseudonym": "Carer B",
    "consent": {"given": True, "method": "verbal", "recorded_at": "2026-11-20T10:00"},
    "held_at": "2026-11-20T10:05", "location": "Café", "notes": "Waited nine hours.",
}  # fmt: skip
OLD_CASE = {
    "title": "", "pseudonym": "Mr D", "summary": "", "notes": "",
    "contacts": [{"id": "c1", "service": "A&E", "date": "2026-10-01", "what_happened": "Fall", "transition": "", "persons_account": ""}],
}  # fmt: skip


def _snapshot(kind: str, content: dict) -> revision.Snapshot:
    return revision.Snapshot("r1", "a1", kind, "cqc-ics@2024.1", False, content, (), ())


def _body(kind: str, content: dict) -> bytes:
    return revision.build_body(_snapshot(kind, content), parents=(), device_id="d1", created_at="2026-11-20T10:00:00.000000Z")


@pytest.mark.parametrize(("kind", "old"), [("interview", OLD_INTERVIEW), ("case_tracking", OLD_CASE)])
def test_a_record_made_before_the_context_fields_keeps_its_bytes_and_hash_when_read_and_written_again(kind: str, old: dict) -> None:
    before = _body(kind, old)
    again = _body(kind, domain.to_dict(domain.from_dict(kind, old)))
    assert again == before and revision.revision_id(again) == revision.revision_id(before)
    assert json.loads(before)["format"] == revision.BODY_FORMAT


def test_a_record_that_sets_a_context_field_carries_format_3_and_an_older_app_asks_for_an_update() -> None:
    content = domain.to_dict(domain.from_dict("interview", {**OLD_INTERVIEW, "mode": "phone"}))
    body = _body("interview", content)
    assert json.loads(body)["format"] == revision.CONTEXT_FORMAT
    assert revision.parse_body(body)["content"]["mode"] == "phone"
    with pytest.raises(NeedsUpdate, match="update fieldapp"):
        revision.parse_body(body, known_formats=frozenset({revision.BODY_FORMAT, revision.ITEM_FORMAT}))


def test_a_body_whose_format_does_not_match_its_content_is_malformed() -> None:
    plain = json.loads(_body("interview", OLD_INTERVIEW))
    for fmt, content in ((3, OLD_INTERVIEW), (1, {**OLD_INTERVIEW, "team": ["Ann Lee"]})):
        forged = canonical_json({**plain, "format": fmt, "content": content})
        with pytest.raises(ValidationError, match="format does not match"):
            revision.parse_body(forged)


def test_every_evidence_kind_takes_where_it_came_from_the_site_the_team_places_and_organisations() -> None:
    context = {"source": "requested", "site": "off_site", "team": ["Ann Lee", "Raj Patel"], "places": ["p1"], "organisations": ["o1", "o2"]}
    for kind in domain.EVIDENCE_KINDS:
        content = domain.from_dict(kind, context)
        assert (content.source, content.site, content.team, content.places, content.organisations) == (
            "requested", "off_site", ("Ann Lee", "Raj Patel"), ("p1",), ("o1", "o2"),
        )  # fmt: skip
        assert domain.from_dict(kind, json.loads(canonical_json(domain.to_dict(content)))) == content


def test_collected_by_the_team_is_the_default_source_and_a_document_is_already_held() -> None:
    assert domain.Observation().source == "collected" and domain.Document().source == "held"
    assert domain.SOURCES == {"collected": "Collected by the team", "held": "Already held by CQC", "requested": "Requested from the system"}


@pytest.mark.parametrize(
    ("kind", "content", "field"),
    [
        ("observation", {"source": "rumour"}, "Where it came from"),
        ("focus_group", {"site": "nearby"}, "On or off site"),
        ("interview", {"mode": "carrier_pigeon"}, "How it was held"),
        ("interview", {"mode": "face_to_face", "face_to_face_reasons": ["whim"]}, "Why face to face"),
        ("interview", {"mode": "phone", "face_to_face_reasons": ["rapport"]}, "Why face to face"),
        ("focus_group", {"mode": "face_to_face", "face_to_face_reasons": ["rapport", "rapport"]}, "Why face to face"),
        ("case_tracking", {"contacts": [{"id": "c1", "mode": "fax"}]}, "Contact 1: how it was held"),
        ("case_tracking", {"sample_stage": "lost"}, "Stage in the sample"),
        ("observation", {"team": ["Ann", "Ann"]}, "Team members who took part"),
        ("document", {"places": [" "]}, "Places"),
        ("document", {"document_type": "rumour"}, "Type of document or data"),
        ("document", {"dated": "yesterday"}, "Dated"),
        ("observation", {"team": "Ann"}, None),
    ],
)
def test_a_context_value_that_is_not_one_of_the_choices_is_refused_naming_the_field(kind: str, content: dict, field: str | None) -> None:
    with pytest.raises(ValidationError) as refused:
        domain.from_dict(kind, content)
    if field is not None:
        assert str(refused.value).startswith(field)


def test_face_to_face_with_no_reason_is_fine_and_raises_no_flag() -> None:
    interview = domain.from_dict("interview", {"role": "staff", "mode": "face_to_face"})
    assert domain.flags(interview) == ()
    contact = domain.from_dict("case_tracking", {"contacts": [{"id": "c1", "mode": "face_to_face", "face_to_face_reasons": ["sensitive_inquiry"]}]})
    assert contact.contacts[0].face_to_face_reasons == ("sensitive_inquiry",)


def test_a_document_has_its_type_organisation_date_reference_and_its_date_is_when_it_occurred() -> None:
    doc = domain.from_dict("document", {
        "title": "", "document_type": "nhse_oversight", "source_organisation": "NHS England", "dated": "2026-09-30",
        "reference": "https://example.org/segmentation", "summary": "Segment 3", "organisations": ["o-nhse"],
    })  # fmt: skip
    assert domain.occurred_on(doc) == "2026-09-30"
    assert domain.display_title(doc) == "NHS England oversight finding from NHS England"
    assert domain.KIND_LABELS["document"] == "Document or data"
    assert {"source_organisation", "reference", "summary"} <= set(domain.text_fields(doc))
    assert "document_type" not in domain.text_fields(doc) and "dated" not in domain.text_fields(doc)


def test_a_document_defaults_to_processes_and_a_metric_survey_or_oversight_finding_to_outcomes() -> None:
    framework = default_framework()
    chosen = {t: framework.default_category("document", None, t) for t in domain.DOCUMENT_TYPES}
    assert {t for t, c in chosen.items() if c == "outcomes"} == {"metric", "survey_result", "nhse_oversight"}
    assert {c for t, c in chosen.items() if t not in ("metric", "survey_result", "nhse_oversight")} == {"processes"}
    assert framework.default_category("interview", "carer", None) == "peoples-experience"


def test_the_context_reads_in_words_never_as_keys() -> None:
    case = domain.from_dict("case_tracking", {
        "source": "requested", "site": "on_site", "sample": "Discharge sample", "sample_stage": "short_listed",
        "contacts": [{"id": "c1", "service": "Ward", "mode": "face_to_face", "face_to_face_reasons": ["communication_needs"]}],
    })  # fmt: skip
    lines = {name: lines for name, _label, lines in readable.content_fields(case)}
    assert lines["source"] == ["Requested from the system"] and lines["site"] == ["On site"]
    assert lines["sample_stage"] == ["Short-listed"]
    assert "face to face (communication needs make a call unsuitable)" in lines["contacts"][0]
    labels = {name: label for name, label, _ in readable.content_fields(domain.Document())}
    assert labels["document_type"] == "Type of document or data" and labels["reference"] == "Where to find it"


def test_the_team_is_searchable_text_but_coded_choices_are_not() -> None:
    fields = domain.text_fields(domain.from_dict("focus_group", {"team": ["Ann Lee"], "mode": "video", "source": "held"}))
    assert fields["team"] == "Ann Lee" and not {"mode", "source", "site"} & set(fields)
