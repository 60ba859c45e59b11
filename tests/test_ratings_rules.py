"""The scoring rules ship as checked, versioned data: every shipped file loads, exactly one is the
default, and a broken file is refused with its name and the problem in words."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fieldapp.errors import FrameworkError
from fieldapp.framework import default_framework
from fieldapp.ratings import Rules, available_rules, default_rules, load_rules_file, parse_rules
from fieldapp.ratings.rules import RULES_DIR, load_rules_dir

SHIPPED = sorted(RULES_DIR.glob("*.json"))


def _default_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RULES_DIR / "cqc-ics-by-category@1.json").read_text(encoding="utf-8"))
    return data


def _write(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    path = folder / f"{name or data['key']}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_rules_file_loads_and_is_named_by_its_key(path: Path) -> None:
    rules = load_rules_file(path)
    assert isinstance(rules, Rules)
    assert path.name == f"{rules.key}.json"
    assert rules.framework == default_framework().framework
    assert rules.notice.strip() and rules.name.strip()


def test_three_rule_sets_ship_and_exactly_one_is_the_default() -> None:
    assert len(SHIPPED) == 3
    assert [r.key for r in available_rules() if r.default] == ["cqc-ics-by-category@1"]
    assert default_rules() is next(r for r in available_rules() if r.default)


def test_the_rules_agree_with_the_frameworks_own_scoring() -> None:
    scoring = default_framework().scoring
    for rules in available_rules():
        assert rules.bands == scoring.bands
        assert dict(rules.labels) == dict(scoring.labels)


def test_a_copy_of_the_shipped_rules_with_a_new_key_loads(tmp_path: Path) -> None:
    data = _default_file() | {"key": "cqc-ics-by-category@2", "version": 2, "rounding": "half_down", "weighting": "themes_equal"}
    rules = load_rules_file(_write(tmp_path, data))
    assert (rules.key, rules.version, rules.rounding, rules.weighting) == ("cqc-ics-by-category@2", 2, "half_down", "themes_equal")


def _bands(*ranges: tuple[int, int]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for band, (low, high) in zip(data["bands"], ranges):
            band.update({"from": low, "to": high})

    return change


BROKEN: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("a gap between bands", _bands((25, 38), (40, 62)), r"gap between the bands: 39 % is in no band"),
    ("a wider gap", _bands((25, 38), (39, 60), (64, 87)), r"gap between the bands: 61–63 % is in no band"),
    ("a missing band", lambda d: d["bands"].pop(1), r"gap between the bands: 39–62 % is in no band"),
    ("overlapping bands", _bands((25, 40), (39, 62)), r"bands 25–40 % and 39–62 % overlap"),
    ("bands out of order", lambda d: d["bands"].reverse(), r"first band starts at 88 %"),
    ("bands not from 25", _bands((20, 38)), r"first band starts at 20 %; the bands must start at 25 %"),
    ("bands not to 100", lambda d: d["bands"][3].update(to=99), r"last band ends at 99 %; the bands must end at 100 %"),
    ("a band ending before it starts", _bands((25, 38), (39, 62), (63, 87), (101, 100)), r"band 101–100 % ends before it starts"),
    ("scores falling", lambda d: d["bands"][3].update(score=2), r"band 88–100 % scores 2, not more than the band below"),
    ("a band's score not 1–4", lambda d: d["bands"][3].update(score=5), r"band 88–100 % gives score 5, which is not 1 to 4"),
    ("unknown mode", lambda d: d.update(mode="by_vibes"), r"unknown mode 'by_vibes'; use one of by_category, by_statement, judgement_only"),
    ("unknown rounding", lambda d: d.update(rounding="half_even"), r"unknown rounding 'half_even'; use half_up or half_down"),
    ("unknown weighting", lambda d: d.update(weighting="loudest"), r"unknown weighting 'loudest'"),
    ("no bands", lambda d: d.pop("bands"), r"the rules has no 'bands'"),
    ("no mode", lambda d: d.pop("mode"), r"the rules has no 'mode'"),
    ("no rounding", lambda d: d.pop("rounding"), r"the rules has no 'rounding'"),
    ("no notice", lambda d: d.pop("notice"), r"the rules has no 'notice'"),
    ("an empty notice", lambda d: d.update(notice="  "), r"'notice' must be non-empty text"),
    ("no name", lambda d: d.pop("name"), r"the rules has no 'name'"),
    ("a band without its end", lambda d: d["bands"][1].pop("to"), r"bands\[1\] has no 'to'"),
    ("a band score as text", lambda d: d["bands"][0].update(score="1"), r"bands\[0\].score must be a whole number"),
    ("a score without a label", lambda d: d["scores"].pop(), r"'scores' must label each score from 1 to 4 exactly once"),
    ("a version as text", lambda d: d.update(version="1"), r"'version' must be a whole number"),
    ("a key unlike the others", lambda d: d.update(key="By Category"), r"'key' is 'By Category'; it must look like"),
    ("a key and version that differ", lambda d: d.update(version=2), r"ends in a version other than 'version' \(2\)"),
    ("default not true or false", lambda d: d.update(default="yes"), r"'default' must be true or false"),
    ("an unknown format", lambda d: d.update(format=9), r"unknown rules format 9"),
]


@pytest.mark.parametrize(("change", "words"), [(c, w) for _n, c, w in BROKEN], ids=[n for n, _c, _w in BROKEN])
def test_a_broken_rules_file_is_refused_naming_the_file_and_the_problem(tmp_path: Path, change: Callable[[dict[str, Any]], Any], words: str) -> None:
    data = copy.deepcopy(_default_file())
    change(data)
    path = _write(tmp_path, data, name="cqc-ics-by-category@1")
    with pytest.raises(FrameworkError, match=words) as caught:
        load_rules_file(path)
    assert f"The scoring rules file {path} is not usable" in str(caught.value)


def test_a_rules_file_that_is_not_json_or_repeats_a_key_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cqc-ics-by-category@1.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(FrameworkError, match=f"The scoring rules file {path} is not readable JSON"):
        load_rules_file(path)
    path.write_text('{"format": 1, "format": 1}', encoding="utf-8")
    with pytest.raises(FrameworkError, match="'format' given twice"):
        load_rules_file(path)
    with pytest.raises(FrameworkError, match="is missing"):
        load_rules_file(tmp_path / "nothing.json")


def test_a_rules_file_named_other_than_its_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _default_file(), name="by-category")
    with pytest.raises(FrameworkError, match=r"holds cqc-ics-by-category@1; it must be named cqc-ics-by-category@1.json"):
        load_rules_file(path)


def test_a_folder_with_two_defaults_or_none_is_refused_naming_them(tmp_path: Path) -> None:
    first = _default_file()
    _write(tmp_path, first)
    _write(tmp_path, first | {"key": "cqc-ics-by-category@2", "version": 2})
    with pytest.raises(FrameworkError, match=r"Exactly one .* must say \"default\": true; 2 \(cqc-ics-by-category@1.json, cqc-ics-by-category@2.json\) do"):
        load_rules_dir(tmp_path)
    _write(tmp_path, first | {"default": False})
    _write(tmp_path, first | {"key": "cqc-ics-by-category@2", "version": 2, "default": False})
    with pytest.raises(FrameworkError, match="none do"):
        load_rules_dir(tmp_path)
    with pytest.raises(FrameworkError, match="No scoring rules in"):
        load_rules_dir(tmp_path / "empty")


def test_rules_that_arrive_as_data_parse_to_the_shipped_rules() -> None:
    assert parse_rules(_default_file()) == default_rules()
