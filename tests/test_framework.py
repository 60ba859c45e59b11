"""The assessment framework ships as validated, versioned data with exact names."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from fieldapp.errors import FrameworkError, NotFound
from fieldapp.framework import (
    default_framework,
    framework_by_key,
    load_framework_file,
    parse_framework,
    percentage,
    rating_for,
    score_from_percentage,
)

SHIPPED = Path(__file__).resolve().parents[1] / "resources" / "framework" / "cqc-ics-2024.1.json"
THEMES = {
    "Quality and safety": [
        "Supporting people to live healthier lives", "Learning culture", "Safe and effective staffing",
        "Equity in access", "Equity in experience and outcomes", "Safeguarding",
    ],
    "Integration": [
        "Safe systems, pathways and transitions", "Care provision, integration and continuity",
        "How staff, teams and services work together",
    ],
    "Leadership": [
        "Shared direction and culture", "Capable, compassionate and inclusive leaders", "Freedom to speak up",
        "Governance, management and sustainability", "Partnerships and communities",
        "Learning, improvement and innovation", "Environmental sustainability – sustainable development",
        "Workforce equality, diversity and inclusion",
    ],
}  # fmt: skip
CATEGORIES = [
    "People's experience", "Feedback from staff and leaders", "Feedback from partners",
    "Observation", "Processes", "Outcomes",
]  # fmt: skip


def test_the_shipped_framework_has_17_statements_in_3_themes_with_exact_names() -> None:
    fw = default_framework()
    assert {t.name: [s.name for s in fw.statements_in(t.id)] for t in fw.themes} == THEMES
    assert len(fw.statements) == 17 and fw.key == "cqc-ics@2024.1"


def test_the_shipped_framework_has_the_6_evidence_categories_with_exact_names() -> None:
    assert [c.name for c in default_framework().categories] == CATEGORIES


def test_every_item_has_a_stable_slug_and_a_description() -> None:
    fw = default_framework()
    for item in (*fw.themes, *fw.statements, *fw.categories):
        assert item.id == item.id.lower() and " " not in item.id and item.description.strip()


def test_each_statement_knows_its_theme() -> None:
    fw = default_framework()
    assert fw.theme_of("safeguarding").name == "Quality and safety"
    assert fw.theme_of("workforce-edi").name == "Leadership"
    with pytest.raises(NotFound):
        fw.statement("not-a-statement")


def test_the_category_defaults_from_kind_and_role() -> None:
    fw = default_framework()
    assert fw.default_category("observation") == "observation"
    assert fw.default_category("case_tracking") == "observation"
    assert fw.default_category("interview", "carer") == "peoples-experience"
    assert fw.default_category("interview", "person_using_services") == "peoples-experience"
    assert fw.default_category("interview", "staff") == "staff-leaders-feedback"
    assert fw.default_category("interview", "partner") == "partners-feedback"
    assert fw.default_category("focus_group", None) == "staff-leaders-feedback"


def test_scores_roll_up_as_published_3_2_3_3_is_69_percent_and_good() -> None:
    rules = default_framework().scoring
    assert percentage([3, 2, 3, 3]) == 68.75
    assert rating_for([3, 2, 3, 3], rules) == (3, "Good", 69)
    assert rating_for([1, 1, 1, 1], rules) == (1, "Inadequate", 25)
    assert rating_for([4, 4, 4, 3], rules) == (4, "Outstanding", 94)


def test_an_exact_half_rounds_up_by_default_and_the_rounding_is_a_setting() -> None:
    rules = default_framework().scoring
    assert percentage([3, 2]) == 62.5
    assert score_from_percentage(62.5, rules) == 3
    even = dataclasses.replace(rules, rounding="half_even")
    assert score_from_percentage(62.5, even) == 2


def test_records_find_their_framework_by_key_and_an_unknown_key_is_clear() -> None:
    assert framework_by_key("cqc-ics@2024.1") == default_framework()
    with pytest.raises(NotFound, match="update fieldapp"):
        framework_by_key("cqc-ics@2099.1")


def _shipped() -> dict:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def _broken(change) -> dict:  # noqa: ANN001 - a small mutator
    data = _shipped()
    change(data)
    return data


@pytest.mark.parametrize(
    ("label", "data", "message"),
    [
        ("unknown format", _broken(lambda d: d.update(format=2)), "unknown framework format"),
        ("missing statements", _broken(lambda d: d.pop("statements")), "statements"),
        ("duplicate category", _broken(lambda d: d["categories"].append(dict(d["categories"][0]))), "duplicate"),
        ("unknown statement", _broken(lambda d: d["themes"][0]["statements"].append("nope")), "unknown statement"),
        ("statement in two themes", _broken(lambda d: d["themes"][1]["statements"].append("safeguarding")), "two themes"),
        ("orphan statement", _broken(lambda d: d["themes"][2]["statements"].pop()), "in no theme"),
        ("bad default", _broken(lambda d: d["default_categories"].update(observation="nope")), "default category"),
        ("band gap", _broken(lambda d: d["scoring"]["bands"].pop(1)), "bands"),
        ("empty name", _broken(lambda d: d["statements"][0].update(name="")), "non-empty"),
        ("wrong type", _broken(lambda d: d.update(themes="all of them")), "non-empty list"),
    ],
)
def test_a_malformed_framework_is_refused_with_a_reason(label: str, data: dict, message: str) -> None:
    with pytest.raises(FrameworkError, match=message):
        parse_framework(data)


def test_a_broken_file_is_named_in_the_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    with pytest.raises(FrameworkError, match="broken.json"):
        load_framework_file(bad)
    with pytest.raises(FrameworkError, match="missing"):
        load_framework_file(tmp_path / "absent.json")
