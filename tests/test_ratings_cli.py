"""`python -m fieldapp.ratings` runs the roll-up for auditors: the issue's three example commands print
their JSON, and bad input is a message on stderr and exit 2 (run as real subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fieldapp.ratings", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def _json(*args: str) -> Any:
    done = _run(*args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return json.loads(done.stdout)


def test_statement_3_2_3_3_prints_68_75_shown_69_score_3() -> None:
    out = _json("statement", "3", "2", "3", "3")
    assert {k: out[k] for k in ("percent", "percent_exact", "shown", "score", "label", "rating", "count")} == {
        "percent": "68.75", "percent_exact": "275/4", "shown": 69, "score": 3, "label": "Good standard",
        "rating": "Good", "count": 4,
    }  # fmt: skip
    assert (out["position"], out["points_to_next"], out["points_above_lower"], out["rounding_sensitive"]) == ("lower", 19, 7, False)
    assert (out["rules"], out["rounding"]) == ("cqc-ics-by-category@1", "half_up")


def test_rating_3_3_3_2_2_2_prints_62_5_shown_63_good_and_says_the_rounding_matters() -> None:
    out = _json("rating", "3", "3", "3", "2", "2", "2")
    assert (out["percent"], out["shown"], out["score"], out["rating"]) == ("62.5", 63, 3, "Good")
    assert (out["position"], out["points_to_next"], out["points_above_lower"]) == ("lower", 25, 1)
    assert out["rounding_sensitive"] is True
    assert "interim" in out["notice"]


def test_rating_rounded_half_down_prints_62_requires_improvement() -> None:
    out = _json("rating", "--rounding", "half-down", "3", "3", "3", "2", "2", "2")
    assert (out["percent"], out["shown"], out["score"], out["rating"], out["rounding"]) == ("62.5", 62, 2, "Requires improvement", "half_down")
    assert (out["position"], out["points_to_next"], out["rounding_sensitive"]) == ("upper", 1, True)


def test_rating_by_named_rules_and_the_rules_listing() -> None:
    assert _json("rating", "--rules", "cqc-ics-by-statement@1", "4")["rating"] == "Outstanding"
    listed = _json("rules")
    assert [(r["key"], r["default"]) for r in listed] == [
        ("cqc-ics-by-category@1", True), ("cqc-ics-by-statement@1", False), ("cqc-ics-judgement-only@1", False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("statement", "5"), "'5' is not a score: scores are whole numbers from 1 to 4."),
        (("rating",), "give at least one score: whole numbers from 1 to 4"),
        (("rating", "x"), "'x' is not a score: scores are whole numbers from 1 to 4."),
        (("rating", "3", "2.5"), "'2.5' is not a score"),
        (("rating", "--", "-1"), "'-1' is not a score"),
        (("rating", "--rules", "cqc-ics-by-magic@9", "3"), "does not know the scoring rules 'cqc-ics-by-magic@9'"),
        (("rating", "--rules", "cqc-ics-judgement-only@1", "3"), "have no numeric roll-up"),
        (("rating", "--rounding", "sideways", "3"), "invalid choice: 'sideways'"),
        (("average", "3"), "invalid choice: 'average'"),
        ((), "the following arguments are required"),
    ],
)
def test_bad_input_is_a_message_on_stderr_and_exit_2(args: tuple[str, ...], words: str) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert words in done.stderr
