"""The roll-up of a whole assessment: statement scores → a score for each theme → an overall score and
rating, by the rules' mode and weighting, with how many statements are scored (a gap makes it provisional).

Computed on demand from the judgements' scores, never stored as truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from fieldapp.errors import RatingsError
from fieldapp.framework import Framework
from fieldapp.ratings.arithmetic import Result, check_scores, result_for_percent, score_set, statement_score
from fieldapp.ratings.rules import Rules

STATEMENT = "statement"  # the one key of a statement scored by judgement (mode by_statement)


@dataclass(frozen=True)
class ThemeResult:
    """One theme's score from its scored statements (None while none is scored)."""

    theme_id: str
    name: str
    result: Result | None
    scored: int
    total: int


@dataclass(frozen=True)
class Rollup:
    """Every statement's result, each theme's and the overall, under one rule set."""

    rules: Rules
    statements: Mapping[str, Result | None] = field(hash=False)  # statement id -> its result, in framework order
    themes: tuple[ThemeResult, ...]
    overall: Result | None
    scored: int  # statements with a score
    total: int  # statements in the framework
    provisional: bool  # scored < total: some statements are not scored yet


def rollup(framework: Framework, rules: Rules, scores: Mapping[str, Mapping[str, int]]) -> Rollup:
    """Roll an assessment's scores up: statement id -> {category id: score} (by_category) or
    {"statement": score} (by_statement); scores of the other mode are ignored, anything else is refused."""
    if rules.framework != framework.framework:
        raise RatingsError(f"The scoring rules {rules.key} are for the framework {rules.framework!r}, not {framework.key}.")
    category_ids = {c.id for c in framework.categories}
    statement_ids = {s.id for s in framework.statements}
    for statement_id, entries in scores.items():
        if statement_id not in statement_ids:
            raise RatingsError(f"There is no quality statement {statement_id!r} in the framework {framework.key}.")
        if unknown := sorted(k for k in entries if k != STATEMENT and k not in category_ids):
            raise RatingsError(f"{', '.join(map(repr, unknown))} is not an evidence category of the framework {framework.key} (statement {statement_id!r}).")
        if entries:
            check_scores(list(entries.values()))
    results = {s.id: _statement_result(scores.get(s.id, {}), rules) for s in framework.statements}
    if rules.mode == "judgement_only":  # the rating is chosen directly; still say what has scores
        scored = sum(1 for s in framework.statements if scores.get(s.id))
    else:
        scored = sum(1 for r in results.values() if r is not None)
    themes = tuple(_theme(framework, theme.id, results, rules) for theme in framework.themes)
    total = len(framework.statements)
    return Rollup(rules, MappingProxyType(results), themes, _overall(results, themes, rules), scored, total, scored < total)


def _statement_result(entries: Mapping[str, int], rules: Rules) -> Result | None:
    if rules.mode == "by_category":
        return statement_score({k: v for k, v in entries.items() if k != STATEMENT}, rules)
    if rules.mode == "by_statement" and STATEMENT in entries:
        return score_set([entries[STATEMENT]], rules)
    return None


def _theme(framework: Framework, theme_id: str, results: Mapping[str, Result | None], rules: Rules) -> ThemeResult:
    theme = framework.theme(theme_id)
    scores = [r.score for s in theme.statement_ids if (r := results[s]) is not None]
    return ThemeResult(theme.id, theme.name, score_set(scores, rules) if scores else None, len(scores), len(theme.statement_ids))


def _overall(results: Mapping[str, Result | None], themes: tuple[ThemeResult, ...], rules: Rules) -> Result | None:
    scored = [r.score for r in results.values() if r is not None]
    if not scored:
        return None
    if rules.weighting == "statements_equal":
        return score_set(scored, rules)
    percents = [t.result.percent for t in themes if t.result is not None]  # themes_equal: each theme weighs the same
    return result_for_percent(sum(percents, Fraction(0)) / len(percents), len(scored), rules)
