"""Scores to ratings, exactly: the published roll-up (sum ÷ (count × 4) → shown percentage → band) over
versioned rules data, for one set of scores, a statement, or a whole assessment. Pure: no vault, no Qt.

`python -m fieldapp.ratings` runs the same code from a command and prints JSON.
"""

from __future__ import annotations

from fieldapp.errors import RatingsError
from fieldapp.framework import Band
from fieldapp.ratings.arithmetic import Result, percent_of, result_for_percent, round_whole, score_set, statement_score
from fieldapp.ratings.rollups import STATEMENT, Rollup, ThemeResult, rollup
from fieldapp.ratings.rules import RATINGS, Rules, available_rules, default_rules, load_rules_file, parse_rules, rules_by_key

__all__ = [
    "RATINGS",
    "STATEMENT",
    "Band",
    "RatingsError",
    "Result",
    "Rollup",
    "Rules",
    "ThemeResult",
    "available_rules",
    "default_rules",
    "load_rules_file",
    "parse_rules",
    "percent_of",
    "result_for_percent",
    "round_whole",
    "rollup",
    "rules_by_key",
    "score_set",
    "statement_score",
]
