"""Issue 15's context of evidence in the core: where it came from, on or off site, the mode, who took
part, places and organisations, case samples, and the fifth kind, a document or data item."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from fieldapp import coverage, domain, readable, search
from fieldapp.errors import FrameworkError, NeedsUpdate, ValidationError
from fieldapp.framework import RESOURCES_DIR, default_framework, parse_framework
from fieldapp.report_texts import who_of
from fieldapp.vault import Vault
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


# -- in a vault: search filters, the category a document gets, coverage's gaps, case samples ----------


def _ids(results: search.Results) -> set[str]:
    return {row.id for row in results.items}


def test_evidence_is_found_by_its_kind_source_site_mode_place_organisation_team_and_sample_stage(vault: Vault, assessment_id: str) -> None:
    made = {
        name: vault.records.create(assessment_id, content).value.id
        for name, content in {
            "old": domain.Interview(title="Chair", role="leader", notes="Board minutes discussed"),
            "phone": domain.Interview(title="Carer", role="carer", mode="phone", site="off_site", team=("Ann Lee",), places=("p-north",)),
            "visit": domain.FocusGroup(title="Nurses", mode="face_to_face", face_to_face_reasons=("confidentiality",), site="on_site",
                                       team=("Ann Lee", "Raj Patel"), organisations=("o-trust",)),
            "case": domain.CaseTracking(title="Mr D", sample="Discharge", sample_stage="engaged", source="requested",
                                        contacts=(domain.Contact("c1", "Ward", mode="video"),), organisations=("o-council",)),
            "doc": domain.Document(title="Board minutes", document_type="policy", source_organisation="ICB", organisations=("o-icb",)),
        }.items()
    }  # fmt: skip
    assert _ids(vault.search(assessment_id=assessment_id, kinds=("document",))) == {made["doc"]}
    assert _ids(vault.search(assessment_id=assessment_id, sources=("collected",))) == {made["old"], made["phone"], made["visit"]}
    assert _ids(vault.search(assessment_id=assessment_id, sources=("held", "requested"))) == {made["doc"], made["case"]}
    assert _ids(vault.search(assessment_id=assessment_id, sites=("on_site",))) == {made["visit"]}
    assert _ids(vault.search(assessment_id=assessment_id, sites=("",))) == {made["old"], made["case"], made["doc"]}
    assert _ids(vault.search(assessment_id=assessment_id, modes=("video",))) == {made["case"]}  # a contact's mode
    assert _ids(vault.search(assessment_id=assessment_id, modes=("phone", "face_to_face"))) == {made["phone"], made["visit"]}
    assert _ids(vault.search(assessment_id=assessment_id, place_ids=("p-north",))) == {made["phone"]}
    assert _ids(vault.search(assessment_id=assessment_id, organisation_ids=("o-trust", "o-icb"))) == {made["visit"], made["doc"]}
    assert _ids(vault.search(assessment_id=assessment_id, team=("Ann Lee",))) == {made["phone"], made["visit"]}
    assert _ids(vault.search(assessment_id=assessment_id, team=("Raj Patel",), sites=("on_site",))) == {made["visit"]}
    assert _ids(vault.search(assessment_id=assessment_id, sample_stages=("engaged",), samples=("Discharge",))) == {made["case"]}
    assert _ids(vault.search("board minutes", assessment_id=assessment_id)) == {made["old"], made["doc"]}
    assert _ids(vault.search("Raj", assessment_id=assessment_id)) == {made["visit"]}  # who took part is words too
    assert _ids(vault.search("policy", assessment_id=assessment_id, kinds=("document",))) == {made["doc"]}
    with pytest.raises(ValidationError, match="Unknown mode"):
        vault.search(assessment_id=assessment_id, modes=("carrier_pigeon",))


def test_a_document_tagged_without_a_category_gets_processes_or_outcomes_by_its_type(vault: Vault, assessment_id: str) -> None:
    policy = vault.records.create(assessment_id, domain.Document(document_type="policy")).value.id
    metric = vault.records.create(assessment_id, domain.Document(document_type="metric")).value.id
    assert vault.links.tag(policy, "learning-culture").value.category_id == "processes"
    assert vault.links.tag(metric, "learning-culture").value.category_id == "outcomes"
    assert vault.records.get(metric).content == domain.Document(document_type="metric")


def test_coverage_shows_for_each_statement_the_required_categories_with_no_evidence_yet(vault: Vault, assessment_id: str) -> None:
    before = vault.coverage(assessment_id)
    assert before.missing_required("learning-culture") == ("peoples-experience",)  # the guidance does not say: expected
    assert set(before.gaps) == set(before.statement_ids)
    carer = vault.records.create(assessment_id, domain.Interview(role="carer")).value.id
    vault.links.tag(carer, "learning-culture")  # People's experience, from the role
    after = vault.coverage(assessment_id)
    assert after.missing_required("learning-culture") == () and "learning-culture" not in after.gaps
    assert after.missing_required("safeguarding") == ("peoples-experience",)


def test_a_statement_with_its_own_required_categories_lists_each_one_still_missing() -> None:
    framework = default_framework()
    statement = dataclasses.replace(framework.statements[0], required_categories=("processes", "outcomes"))
    own = dataclasses.replace(framework, statements=(statement, *framework.statements[1:]))
    cov = coverage.Coverage("a", own.key, (statement.id,), tuple(c.id for c in own.categories),
                            {(statement.id, "outcomes"): 2}, {(statement.id, "outcomes"): 1},
                            {statement.id: own.required_categories(statement.id)})  # fmt: skip
    assert cov.missing_required(statement.id) == ("processes",)


def test_case_samples_count_cases_by_stage_cumulatively(vault: Vault, assessment_id: str) -> None:
    stages = ["put_forward"] * 40 + ["short_listed"] * 4 + ["engaged"] * 6 + [""] * 2
    for n, stage in enumerate(stages):
        vault.records.create(assessment_id, domain.CaseTracking(pseudonym=f"P{n}", sample="Discharge ", sample_stage=stage))
    vault.records.create(assessment_id, domain.CaseTracking(sample="Mental health", sample_stage="short_listed"))
    vault.records.create(assessment_id, domain.CaseTracking(pseudonym="Not in a sample"))
    gone = vault.records.create(assessment_id, domain.CaseTracking(sample="Mental health", sample_stage="engaged")).value.id
    vault.records.delete(gone)
    discharge, mental_health = vault.case_samples(assessment_id)
    assert discharge.words() == "50 put forward, 10 short-listed, 6 engaged" and discharge.unstaged == 2
    assert (mental_health.sample, mental_health.put_forward, mental_health.short_listed, mental_health.engaged) == ("Mental health", 1, 1, 0)


def test_the_framework_gives_each_statement_a_few_prompts_in_our_own_words() -> None:
    framework = default_framework()
    for statement in framework.statements:
        prompts = framework.prompts(statement.id)
        assert 3 <= len(prompts) <= 5 and all(0 < len(p) <= 120 and p.endswith(("?", ".")) for p in prompts), statement.id
    assert framework.expected_categories == ("peoples-experience",)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["statements"][0].update(required_categories=["nonsense"]), "must name categories"),
        (lambda d: d["statements"][0].update(required_categories=["outcomes", "outcomes"]), "each once"),
        (lambda d: d["statements"][0].update(prompts=["", "Why?"]), "non-empty questions"),
        (lambda d: d.update(expected_categories=[]), "non-empty list"),
    ],
)
def test_malformed_required_categories_or_prompts_are_refused_naming_what_is_wrong(change: Any, words: str) -> None:
    data = json.loads((RESOURCES_DIR / "framework" / "cqc-ics-2024.1.json").read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(FrameworkError, match=words):
        parse_framework(data)


def test_a_quoted_document_is_named_by_its_type_and_organisation_not_as_a_meeting() -> None:
    assert who_of(domain.Document(document_type="audit", source_organisation="Northshire ICB")) == "Audit, Northshire ICB"
    assert who_of(domain.Document()) == "Other document or data"


def test_the_salvage_export_holds_a_document_and_a_records_context(vault: Vault, assessment_id: str, tmp_path: Path) -> None:
    doc = vault.records.create(assessment_id, domain.Document(title="Audit", document_type="audit", dated="2026-08-01")).value.id
    talk = vault.records.create(assessment_id, domain.Interview(role="staff", team=("Ann Lee",), mode="video")).value.id
    vault.export(tmp_path / "export.json")
    exported = {r["id"]: r for r in json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))["records"]}
    assert exported[doc]["kind"] == "document" and exported[doc]["content"]["dated"] == "2026-08-01"
    assert (exported[talk]["content"]["team"], exported[talk]["content"]["mode"]) == (["Ann Lee"], "video")
