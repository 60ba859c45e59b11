"""The assessment framework ships as validated, versioned data with exact names and data-driven scoring."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from fieldapp import framework as framework_module
from fieldapp.errors import FrameworkError, NotFound, ValidationError
from fieldapp.framework import (
    available_frameworks,
    default_framework,
    framework_by_key,
    load_framework_file,
    parse_framework,
    percentage,
    printed_percentage,
    rating_for,
    score_from_percentage,
)
from fieldapp.ratings import default_rules, score_set

SHIPPED = Path(__file__).resolve().parents[1] / "resources" / "framework" / "cqc-ics-2024.1.json"
THEMES = [
    ("quality-and-safety", "Quality and safety", [
        ("supporting-healthier-lives", "Supporting people to live healthier lives"),
        ("learning-culture", "Learning culture"),
        ("safe-effective-staffing", "Safe and effective staffing"),
        ("equity-in-access", "Equity in access"),
        ("equity-in-experience-outcomes", "Equity in experience and outcomes"),
        ("safeguarding", "Safeguarding"),
    ]),
    ("integration", "Integration", [
        ("safe-systems-pathways-transitions", "Safe systems, pathways and transitions"),
        ("care-provision-integration-continuity", "Care provision, integration and continuity"),
        ("staff-teams-services-together", "How staff, teams and services work together"),
    ]),
    ("leadership", "Leadership", [
        ("shared-direction-culture", "Shared direction and culture"),
        ("capable-compassionate-inclusive-leaders", "Capable, compassionate and inclusive leaders"),
        ("freedom-to-speak-up", "Freedom to speak up"),
        ("governance-management-sustainability", "Governance, management and sustainability"),
        ("partnerships-communities", "Partnerships and communities"),
        ("learning-improvement-innovation", "Learning, improvement and innovation"),
        ("environmental-sustainability", "Environmental sustainability \u2013 sustainable development"),
        ("workforce-edi", "Workforce equality, diversity and inclusion"),
    ]),
]  # fmt: skip
CATEGORIES = [
    ("peoples-experience", "People's experience"),
    ("staff-leaders-feedback", "Feedback from staff and leaders"),
    ("partners-feedback", "Feedback from partners"),
    ("observation", "Observation"),
    ("processes", "Processes"),
    ("outcomes", "Outcomes"),
]


def _shipped() -> dict[str, Any]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """available_frameworks() is cached; tests that point it elsewhere must not leak into others."""
    available_frameworks.cache_clear()
    yield
    available_frameworks.cache_clear()


# -- the shipped data --


def test_the_shipped_framework_has_17_statements_in_3_themes_with_exact_names_and_ids_in_order() -> None:
    fw = default_framework()
    found = [(t.id, t.name, [(s.id, s.name) for s in fw.statements_in(t.id)]) for t in fw.themes]
    assert found == THEMES
    assert len(fw.statements) == 17
    assert [s.id for s in fw.statements] == [s for _, _, statements in THEMES for s, _ in statements]


def test_the_shipped_framework_has_the_6_evidence_categories_with_exact_names_and_ids_in_order() -> None:
    assert [(c.id, c.name) for c in default_framework().categories] == CATEGORIES


def test_the_environmental_statement_keeps_its_en_dash() -> None:
    assert "\u2013" in default_framework().statement("environmental-sustainability").name


def test_the_shipped_framework_is_the_interim_cqc_ics_2024_1_and_records_store_its_key() -> None:
    fw = default_framework()
    assert (fw.framework, fw.version, fw.status, fw.key) == ("cqc-ics", "2024.1", "interim", "cqc-ics@2024.1")
    assert fw.title.strip()
    assert [f.key for f in available_frameworks()] == ["cqc-ics@2024.1"]


def test_every_id_is_unique_and_every_item_has_its_own_one_line_description() -> None:
    fw = default_framework()
    items = (*fw.themes, *fw.statements, *fw.categories)
    assert len({(type(i), i.id) for i in items}) == len(items) == 26
    for item in items:
        assert item.description.strip() and "\n" not in item.description and item.description != item.name


def test_nothing_is_numbered_by_position() -> None:
    data = _shipped()
    for item in (*data["themes"], *data["statements"], *data["categories"]):
        assert not any(ch.isdigit() for ch in item["id"] + item["name"]), item


def test_each_statement_knows_its_theme() -> None:
    fw = default_framework()
    assert fw.theme_of("safeguarding").name == "Quality and safety"
    assert fw.theme_of("staff-teams-services-together").id == "integration"
    assert fw.theme_of("workforce-edi").name == "Leadership"
    assert all(fw.theme_of(s.id).id == s.theme_id for s in fw.statements)


def test_an_unknown_theme_statement_or_category_is_not_found_with_its_id_in_the_message() -> None:
    fw = default_framework()
    with pytest.raises(NotFound, match="'not-a-statement'"):
        fw.statement("not-a-statement")
    with pytest.raises(NotFound, match="theme 'safety'"):
        fw.theme("safety")
    with pytest.raises(NotFound, match="category 'documents'"):
        fw.category("documents")
    with pytest.raises(NotFound):
        fw.statements_in("safety")


def test_the_category_defaults_from_kind_and_role() -> None:
    fw = default_framework()
    assert fw.default_category("observation") == "observation"
    assert fw.default_category("case_tracking") == "observation"
    assert fw.default_category("interview", "person_using_services") == "peoples-experience"
    assert fw.default_category("interview", "carer") == "peoples-experience"
    assert fw.default_category("interview", "staff") == "staff-leaders-feedback"
    assert fw.default_category("interview", "leader") == "staff-leaders-feedback"
    assert fw.default_category("interview", "partner") == "partners-feedback"
    assert fw.default_category("focus_group", "partner") == "partners-feedback"


def test_a_missing_or_unknown_role_falls_back_to_staff_and_leaders() -> None:
    fw = default_framework()
    assert fw.default_category("focus_group") == "staff-leaders-feedback"
    assert fw.default_category("interview", None) == "staff-leaders-feedback"
    assert fw.default_category("interview", "someone-else") == "staff-leaders-feedback"


def test_the_loaded_framework_is_frozen_hashable_and_read_only() -> None:
    fw = default_framework()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fw.version = "2099.1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fw.default_categories["fallback"] = "outcomes"  # type: ignore[index]
    with pytest.raises(TypeError):
        fw.scoring.labels[1] = "Fine"  # type: ignore[index]
    assert {fw, framework_by_key("cqc-ics@2024.1")} == {fw}


def test_records_find_their_framework_by_key_and_an_unknown_key_is_clear() -> None:
    assert framework_by_key("cqc-ics@2024.1") is default_framework()
    with pytest.raises(NotFound, match="update fieldapp"):
        framework_by_key("cqc-ics@2099.1")


def test_data_that_arrives_by_sync_parses_to_the_same_framework() -> None:
    assert parse_framework(_shipped()) == default_framework()
    assert load_framework_file(str(SHIPPED)) == default_framework()


# -- scoring --


def test_the_scoring_rules_are_the_published_labels_bands_and_half_up_rounding() -> None:
    rules = default_framework().scoring
    assert dict(rules.labels) == {
        1: "Significant shortfalls", 2: "Some shortfalls", 3: "Good standard", 4: "Exceptional standard",
    }  # fmt: skip
    assert [(b.low, b.high, b.score, b.rating) for b in rules.bands] == [
        (25, 38, 1, "Inadequate"), (39, 62, 2, "Requires improvement"),
        (63, 87, 3, "Good"), (88, 100, 4, "Outstanding"),
    ]  # fmt: skip
    assert rules.rounding == "half_up"


def test_scores_roll_up_as_published_3_2_3_3_is_69_percent_and_scores_3() -> None:
    rules = default_framework().scoring
    assert percentage([3, 2, 3, 3]) == 68.75
    assert score_from_percentage(68.75, rules) == 3
    assert rating_for([3, 2, 3, 3], rules) == (3, "Good", 69)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([1, 1, 1, 1], (1, "Inadequate", 25)),
        ([2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1], (1, "Inadequate", 29)),
        ([2, 2], (2, "Requires improvement", 50)),
        ([3, 3, 3], (3, "Good", 75)),
        ([4, 4, 4, 3], (4, "Outstanding", 94)),
        ([4], (4, "Outstanding", 100)),
    ],
)
def test_every_band_is_reached(scores: list[int], expected: tuple[int, str, int]) -> None:
    assert rating_for(scores, default_framework().scoring) == expected


def test_an_exact_half_rounds_up_by_default_and_the_rounding_is_a_setting() -> None:
    rules = default_framework().scoring
    assert percentage([3, 2]) == 62.5
    assert printed_percentage(62.5, rules) == 63
    assert score_from_percentage(62.5, rules) == 3
    assert rating_for([3, 2], rules) == (3, "Good", 63)
    even = dataclasses.replace(rules, rounding="half_even")
    assert printed_percentage(62.5, even) == 62
    assert score_from_percentage(62.5, even) == 2
    assert rating_for([3, 2], even) == (2, "Requires improvement", 62)


def test_an_exact_half_at_a_band_edge_is_not_moved_by_float_noise() -> None:
    rules = default_framework().scoring
    scores = [2] * 27 + [1] * 23  # 77 / 200 = exactly 38.5 %
    assert percentage(scores) == pytest.approx(38.5)
    assert rating_for(scores, rules) == (2, "Requires improvement", 39)
    assert rating_for(scores, dataclasses.replace(rules, rounding="half_even"))[:2] == (1, "Inadequate")


def test_the_frameworks_scoring_is_exact_and_agrees_with_the_ratings_package() -> None:
    rules = default_framework().scoring
    scores = [2] * 27 + [1] * 23
    assert isinstance(percentage(scores), Fraction) and percentage(scores) == Fraction(77, 2)
    assert percentage([3, 3, 2]) == Fraction(200, 3)
    assert rating_for(scores, dataclasses.replace(rules, rounding="half_down")) == (1, "Inadequate", 38)
    for example in ([3, 2, 3, 3], [3, 3, 3, 2, 2, 2], scores, [3, 3, 2], [4, 3]):
        result = score_set(example, default_rules())
        assert rating_for(example, rules) == (result.score, result.rating, result.shown)


def test_an_unknown_rounding_setting_is_refused() -> None:
    with pytest.raises(FrameworkError, match="rounding"):
        dataclasses.replace(default_framework().scoring, rounding="bankers")


@pytest.mark.parametrize("scores", [[], [0], [5], [3, 2.5], [True, 3], ["3"]])
def test_scores_outside_1_to_4_are_refused(scores: list[Any]) -> None:
    with pytest.raises(ValidationError, match="1 to 4"):
        percentage(scores)


def test_a_percentage_below_the_bands_is_refused() -> None:
    with pytest.raises(ValidationError, match="outside the rating bands"):
        score_from_percentage(10, default_framework().scoring)


# -- malformed files --


def _bands(*ranges: tuple[int, int]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for band, (low, high) in zip(data["scoring"]["bands"], ranges):
            band.update({"from": low, "to": high})

    return change


BROKEN: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("unknown format", lambda d: d.update(format=2), "unknown framework format 2"),
    ("no format", lambda d: d.pop("format"), "has no 'format'"),
    ("format as text", lambda d: d.update(format="1"), "'format' must be a whole number"),
    ("format as a boolean", lambda d: d.update(format=True), "'format' must be a whole number"),
    ("no statements", lambda d: d.pop("statements"), "has no 'statements'"),
    ("no title", lambda d: d.pop("title"), "has no 'title'"),
    ("no scoring", lambda d: d.pop("scoring"), "has no 'scoring'"),
    ("themes not a list", lambda d: d.update(themes="all of them"), "'themes' must be a non-empty list"),
    ("no categories at all", lambda d: d.update(categories=[]), "'categories' must be a non-empty list"),
    ("statement not an object", lambda d: d["statements"].__setitem__(2, "safe-effective-staffing"),
     r"statements\[2\] must be an object"),
    ("statement without a name", lambda d: d["statements"][4].pop("name"), r"statements\[4\] has no 'name'"),
    ("empty name", lambda d: d["statements"][0].update(name=" "), r"statements\[0\].name must be non-empty text"),
    ("description as a number", lambda d: d["categories"][1].update(description=7),
     r"categories\[1\].description must be non-empty text"),
    ("id not a slug", lambda d: d["categories"][0].update(id="People's experience"),
     r"categories\[0\].id is \"People's experience\"; it must look like 'learning-culture'"),
    ("version not numeric", lambda d: d.update(version="latest"), "'version' is 'latest'; it must look like '2024.1'"),
    ("duplicate statement id", lambda d: d["statements"][1].update(id="supporting-healthier-lives"),
     "duplicate statement id.*supporting-healthier-lives"),
    ("duplicate theme id", lambda d: d["themes"][1].update(id="leadership"), "duplicate theme id.*leadership"),
    ("duplicate category id", lambda d: d["categories"].append(dict(d["categories"][0])),
     "duplicate category id.*peoples-experience"),
    ("theme names an unknown statement", lambda d: d["themes"][0]["statements"].append("nope"),
     "theme 'quality-and-safety' names an unknown statement 'nope'"),
    ("theme statements not text", lambda d: d["themes"][0]["statements"].append(3), "unknown statement 3"),
    ("statement in two themes", lambda d: d["themes"][1]["statements"].append("safeguarding"),
     "'safeguarding' is listed in themes 'quality-and-safety' and 'integration'"),
    ("statement twice in one theme",
     lambda d: d["themes"][1]["statements"].append("safe-systems-pathways-transitions"),
     "listed in theme 'integration' twice"),
    ("statement in no theme", lambda d: d["themes"][2]["statements"].pop(), "in no theme: workforce-edi"),
    ("unknown default for a kind", lambda d: d["default_categories"].update(observation="nope"),
     "default category 'nope' at default_categories.observation"),
    ("unknown default for a role", lambda d: d["default_categories"]["roles"].update(carer="family"),
     "default category 'family' at default_categories.roles.carer"),
    ("unknown fallback", lambda d: d["default_categories"].update(fallback="staff"), "default_categories.fallback"),
    ("no fallback", lambda d: d["default_categories"].pop("fallback"), "default_categories has no 'fallback'"),
    ("no role map", lambda d: d["default_categories"].pop("roles"), "default_categories has no 'roles'"),
    ("a score without a label", lambda d: d["scoring"]["scores"].pop(), "label each score from 1 to 4"),
    ("a score given twice", lambda d: d["scoring"]["scores"].append({"score": 4, "label": "Again"}),
     "label each score from 1 to 4"),
    ("band score as text", lambda d: d["scoring"]["bands"][0].update(score="1"),
     r"scoring.bands\[0\].score must be a whole number"),
    ("a gap between bands", lambda d: d["scoring"]["bands"].pop(1), "bands must cover 25–100"),
    ("overlapping bands", _bands((25, 40), (39, 62)), "bands must cover 25–100"),
    ("bands stopping short of 100", _bands((25, 38), (39, 62), (63, 87), (88, 99)), "bands must cover 25–100"),
    ("bands starting above 25", _bands((30, 38)), "bands must cover 25–100"),
    ("bands out of order", lambda d: d["scoring"]["bands"].reverse(), "bands must cover 25–100"),
    ("bands with scores falling", lambda d: d["scoring"]["bands"][3].update(score=2), "rising with the bands"),
    ("unknown rounding", lambda d: d["scoring"].update(rounding="nearest"), "unknown rounding 'nearest'"),
    ("no rounding", lambda d: d["scoring"].pop("rounding"), "scoring has no 'rounding'"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "change", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_malformed_framework_file_is_refused_naming_the_file_and_the_fault(
    tmp_path: Path, label: str, change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    data = _shipped()
    change(data)
    path = tmp_path / "cqc-ics-broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FrameworkError, match=message) as caught:
        load_framework_file(path)
    assert str(path) in str(caught.value)
    with pytest.raises(FrameworkError, match=message):
        parse_framework(data)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{ not json", "not readable JSON"),
        (b"", "not readable JSON"),
        (b"\xff\xfe\x00garbage", "not readable JSON"),
        (b'{"format": 1, "format": 2}', "'format' given twice"),
        (b"[1, 2, 3]", "the framework must be an object"),
        (b"null", "the framework must be an object"),
    ],
)
def test_a_file_that_is_not_a_framework_object_is_refused_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(FrameworkError, match=message) as caught:
        load_framework_file(path)
    assert "broken.json" in str(caught.value)


def test_a_missing_file_is_reported_as_missing(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match=r"absent\.json is missing"):
        load_framework_file(tmp_path / "absent.json")


# -- finding the installed versions --


def _install(directory: Path, version: str, name: str | None = None) -> None:
    data = _shipped()
    data["version"] = version
    (directory / "framework").mkdir(parents=True, exist_ok=True)
    (directory / "framework" / (name or f"cqc-ics-{version}.json")).write_text(json.dumps(data), encoding="utf-8")


def test_the_newest_version_is_the_default_and_versions_compare_as_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    for version in ("2024.9", "2024.10", "2024.1"):
        _install(tmp_path, version)
    monkeypatch.setattr(framework_module, "RESOURCES_DIR", tmp_path)
    assert [f.version for f in available_frameworks()] == ["2024.1", "2024.9", "2024.10"]
    assert default_framework().key == "cqc-ics@2024.10"
    assert framework_by_key("cqc-ics@2024.1").version == "2024.1"


def test_two_files_holding_the_same_version_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    _install(tmp_path, "2024.1")
    _install(tmp_path, "2024.1", name="copy-of-cqc-ics.json")
    monkeypatch.setattr(framework_module, "RESOURCES_DIR", tmp_path)
    with pytest.raises(FrameworkError, match="both hold cqc-ics@2024.1"):
        available_frameworks()


def test_an_installation_without_framework_data_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    monkeypatch.setattr(framework_module, "RESOURCES_DIR", tmp_path)
    with pytest.raises(FrameworkError, match="installation is incomplete"):
        default_framework()


def test_the_resources_directory_is_found_relative_to_the_package() -> None:
    assert framework_module.RESOURCES_DIR == SHIPPED.parent.parent
