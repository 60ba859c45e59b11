"""Scores roll up to ratings exactly as published: worked examples with their numbers, every band edge,
the position inside a band, both weightings, judgement only, and a provisional roll-up with gaps."""

from __future__ import annotations

from fractions import Fraction

import pytest

from fieldapp.errors import NotFound, RatingsError, ValidationError
from fieldapp.framework import default_framework
from fieldapp.ratings import (
    RATINGS,
    Result,
    Rollup,
    ThemeResult,
    available_rules,
    default_rules,
    rollup,
    rules_by_key,
    score_set,
    statement_score,
)

BY_CATEGORY, BY_STATEMENT, JUDGEMENT_ONLY = "cqc-ics-by-category@1", "cqc-ics-by-statement@1", "cqc-ics-judgement-only@1"


def scores_summing_to(total: int, count: int) -> list[int]:
    """`count` scores 1–4, as even as they go, that add up to `total`."""
    base, ups = divmod(total, count)
    return [base + 1] * ups + [base] * (count - ups)


def shown_exactly(whole: int) -> list[int]:
    """A hundred scores whose percentage is exactly `whole` (sum ÷ 400 × 100 = sum ÷ 4)."""
    return scores_summing_to(4 * whole, 100)


# -- one set of scores --


def test_categories_3_2_3_3_are_68_75_percent_shown_69_and_score_3_good() -> None:
    result = score_set([3, 2, 3, 3], default_rules())
    assert result.percent == Fraction(275, 4)
    assert (result.percent_text(), result.percent_exact()) == ("68.75", "275/4")
    assert (result.shown, result.score, result.rating, result.label) == (69, 3, "Good", "Good standard")
    assert (result.position, result.points_to_next, result.points_above_lower) == ("lower", 19, 7)
    assert (result.rounding_sensitive, result.count) == (False, 4)


def test_statements_3_3_3_2_2_2_are_62_5_percent_good_half_up_and_requires_improvement_half_down() -> None:
    up = score_set([3, 3, 3, 2, 2, 2], default_rules())
    down = score_set([3, 3, 3, 2, 2, 2], default_rules().with_rounding("half_down"))
    assert up.percent == down.percent == Fraction(125, 2)
    assert up.percent_text() == "62.5"
    assert (up.shown, up.score, up.rating, up.rounding_sensitive) == (63, 3, "Good", True)
    assert (down.shown, down.score, down.rating, down.rounding_sensitive) == (62, 2, "Requires improvement", True)
    assert (down.position, down.points_to_next) == ("upper", 1)


def test_the_cli_spelling_of_a_rounding_is_read_and_an_unknown_one_is_refused_in_words() -> None:
    assert default_rules().with_rounding("half-down").rounding == "half_down"
    with pytest.raises(RatingsError, match="Rounding 'bankers' is not known; use half_up or half_down"):
        default_rules().with_rounding("bankers")


@pytest.mark.parametrize(
    ("below", "above", "scores"),
    [(38, 39, (1, 2)), (62, 63, (2, 3)), (87, 88, (3, 4))],
)
def test_every_band_edge_falls_on_the_published_side(below: int, above: int, scores: tuple[int, int]) -> None:
    rules = default_rules()
    low, high = score_set(shown_exactly(below), rules), score_set(shown_exactly(above), rules)
    assert (low.percent, low.shown, low.score, low.rating) == (below, below, scores[0], RATINGS[scores[0]])
    assert (high.percent, high.shown, high.score, high.rating) == (above, above, scores[1], RATINGS[scores[1]])
    assert (low.position, low.points_to_next) == ("upper", 1)
    assert (high.position, high.points_above_lower) == ("lower", 1)
    assert not low.rounding_sensitive and not high.rounding_sensitive


@pytest.mark.parametrize(
    ("half", "up", "down"),
    [(Fraction(75, 2), (38, 1), (37, 1)), (Fraction(77, 2), (39, 2), (38, 1)),
     (Fraction(125, 2), (63, 3), (62, 2)), (Fraction(175, 2), (88, 4), (87, 3))],
)  # fmt: skip
def test_an_exact_half_at_a_band_edge_is_flagged_and_one_inside_a_band_is_not(half: Fraction, up: tuple[int, int], down: tuple[int, int]) -> None:
    scores = scores_summing_to(int(half * 2), 50)  # sum ÷ 200 × 100 = sum ÷ 2
    assert sum(scores) * 100 / Fraction(200) == half
    by_up, by_down = score_set(scores, default_rules()), score_set(scores, default_rules().with_rounding("half_down"))
    assert (by_up.shown, by_up.score) == up
    assert (by_down.shown, by_down.score) == down
    assert by_up.rounding_sensitive == by_down.rounding_sensitive == (up[1] != down[1])


@pytest.mark.parametrize(
    ("shown", "position"),
    [(25, "lower"), (29, "lower"), (30, "middle"), (34, "middle"), (35, "upper"), (38, "upper"),
     (39, "lower"), (46, "lower"), (47, "middle"), (54, "middle"), (55, "upper"), (62, "upper"),
     (63, "lower"), (71, "lower"), (72, "middle"), (79, "middle"), (80, "upper"), (87, "upper"),
     (88, "lower"), (92, "lower"), (93, "middle"), (96, "middle"), (97, "upper"), (100, "upper")],
)  # fmt: skip
def test_the_position_is_the_third_of_the_band_the_shown_percentage_is_in(shown: int, position: str) -> None:
    assert score_set(shown_exactly(shown), default_rules()).position == position


def test_points_to_the_next_band_and_above_the_band_below() -> None:
    rules = default_rules()
    bottom, top = score_set([1], rules), score_set([4], rules)
    assert (bottom.shown, bottom.points_to_next, bottom.points_above_lower) == (25, 14, None)
    assert (top.shown, top.points_to_next, top.points_above_lower) == (100, None, 13)
    middle = score_set([3, 3, 3], rules)
    assert (middle.shown, middle.rating, middle.points_to_next, middle.points_above_lower) == (75, "Good", 13, 13)


def test_a_percentage_that_does_not_end_is_shown_to_two_places_and_stored_as_a_fraction() -> None:
    result = score_set([3, 3, 2], default_rules())
    assert (result.percent_text(), result.percent_exact(), result.shown) == ("66.67", "200/3", 67)
    assert score_set([4, 2], default_rules()).percent_text() == "75"
    eighths = score_set([2, 1, 1, 1, 1, 1, 1, 1], default_rules())  # 9 ÷ 32 = 28.125 %
    assert (eighths.percent_text(), eighths.shown, eighths.rating) == ("28.125", 28, "Inadequate")


def test_the_json_says_every_part_of_the_result() -> None:
    assert score_set([3, 2, 3, 3], default_rules()).to_json() == {
        "percent": "68.75", "percent_exact": "275/4", "shown": 69, "score": 3, "label": "Good standard",
        "rating": "Good", "position": "lower", "points_to_next": 19, "points_above_lower": 7,
        "rounding_sensitive": False, "count": 4,
    }  # fmt: skip


@pytest.mark.parametrize("scores", [[], [0], [5], [3, 2.5], [True, 3], ["3"]])
def test_scores_outside_1_to_4_or_none_at_all_are_refused_in_words(scores: list[object]) -> None:
    with pytest.raises(RatingsError, match="1 to 4") as caught:
        score_set(scores, default_rules())  # type: ignore[arg-type]
    assert isinstance(caught.value, ValidationError)


def test_a_statement_scores_from_its_categories_each_weighing_the_same() -> None:
    result = statement_score({"peoples-experience": 3, "staff-leaders-feedback": 2, "observation": 3, "processes": 3}, default_rules())
    assert result is not None and (result.percent, result.shown, result.score) == (Fraction(275, 4), 69, 3)
    assert statement_score({}, default_rules()) is None


# -- the rule sets --


def test_the_shipped_rule_sets_are_the_two_ways_of_scoring_and_judgement_only() -> None:
    assert [(r.key, r.mode) for r in available_rules()] == [
        (BY_CATEGORY, "by_category"), (BY_STATEMENT, "by_statement"), (JUDGEMENT_ONLY, "judgement_only"),
    ]  # fmt: skip
    rules = default_rules()
    assert rules.key == BY_CATEGORY and rules.default
    assert (rules.rounding, rules.weighting, rules.version) == ("half_up", "statements_equal", 1)
    assert [(b.low, b.high, b.score, b.rating) for b in rules.bands] == [
        (25, 38, 1, "Inadequate"), (39, 62, 2, "Requires improvement"), (63, 87, 3, "Good"), (88, 100, 4, "Outstanding"),
    ]  # fmt: skip
    assert dict(rules.labels) == {1: "Significant shortfalls", 2: "Some shortfalls", 3: "Good standard", 4: "Exceptional standard"}
    assert "interim" in rules.notice and "paused" in rules.notice
    assert RATINGS == {1: "Inadequate", 2: "Requires improvement", 3: "Good", 4: "Outstanding"}


def test_unknown_rules_are_not_found_in_words() -> None:
    with pytest.raises(NotFound, match="does not know the scoring rules 'cqc-ics-by-magic@9'.*cqc-ics-by-category@1"):
        rules_by_key("cqc-ics-by-magic@9")


# -- a whole assessment --


def _by_theme() -> dict[str, tuple[str, ...]]:
    return {t.id: t.statement_ids for t in default_framework().themes}


def test_a_roll_up_with_gaps_is_provisional_and_counts_what_is_scored() -> None:
    framework, themes = default_framework(), _by_theme()
    first, second = themes["quality-and-safety"][:2]
    scores = {
        first: {"peoples-experience": 3, "staff-leaders-feedback": 2, "observation": 3, "processes": 3},  # 68.75 → 3
        second: {"outcomes": 2, "processes": 2},  # 50 → 2
        themes["leadership"][0]: {},  # a judgement with no scores yet
    }
    result = rollup(framework, rules_by_key(BY_CATEGORY), scores)
    assert isinstance(result, Rollup)
    assert (result.scored, result.total, result.provisional) == (2, 17, True)
    assert list(result.statements) == [s.id for s in framework.statements]
    assert result.statements[first] is not None and result.statements[first].score == 3
    assert result.statements[second] is not None and result.statements[second].score == 2
    assert result.statements[themes["leadership"][0]] is None
    safety, integration, leadership = result.themes
    assert isinstance(safety, ThemeResult)
    assert (safety.theme_id, safety.name, safety.scored, safety.total) == ("quality-and-safety", "Quality and safety", 2, 6)
    assert safety.result is not None and (safety.result.percent, safety.result.shown, safety.result.rating) == (Fraction(125, 2), 63, "Good")
    assert safety.result.rounding_sensitive
    assert (integration.result, integration.scored, integration.total) == (None, 0, 3)
    assert (leadership.result, leadership.scored, leadership.total) == (None, 0, 8)
    assert result.overall is not None and (result.overall.shown, result.overall.rating, result.overall.count) == (63, "Good", 2)


def test_every_statement_scored_is_not_provisional() -> None:
    framework = default_framework()
    scores = {s.id: {"statement": 3} for s in framework.statements}
    result = rollup(framework, rules_by_key(BY_STATEMENT), scores)
    assert (result.scored, result.total, result.provisional) == (17, 17, False)
    assert result.overall is not None and (result.overall.percent, result.overall.rating, result.overall.count) == (75, "Good", 17)
    assert all(t.result is not None and t.result.score == 3 for t in result.themes)


def test_themes_equal_and_statements_equal_give_different_overall_ratings_on_a_lopsided_assessment() -> None:
    framework, themes = default_framework(), _by_theme()
    scores = {
        **{s: {"statement": 4} for s in themes["quality-and-safety"]},  # 6 × 4 → 100 %
        **{s: {"statement": 1} for s in themes["integration"]},  # 3 × 1 → 25 %
        **{s: {"statement": 2} for s in themes["leadership"]},  # 8 × 2 → 50 %
    }
    by_statements = rollup(framework, rules_by_key(BY_STATEMENT), scores).overall
    by_themes = rollup(framework, _themes_equal(rules_by_key(BY_STATEMENT)), scores).overall
    assert by_statements is not None and by_themes is not None
    assert (by_statements.percent, by_statements.shown, by_statements.rating) == (Fraction(43 * 100, 68), 63, "Good")
    assert (by_themes.percent, by_themes.shown, by_themes.rating) == (Fraction(175, 3), 58, "Requires improvement")
    assert by_statements.count == by_themes.count == 17


def _themes_equal(rules):  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(rules, weighting="themes_equal")


def test_by_statement_uses_the_one_score_and_by_category_the_categories() -> None:
    framework = default_framework()
    statement = framework.statements[0].id
    both = {statement: {"statement": 4, "peoples-experience": 1}}
    by_statement = rollup(framework, rules_by_key(BY_STATEMENT), both).statements[statement]
    by_category = rollup(framework, rules_by_key(BY_CATEGORY), both).statements[statement]
    assert by_statement is not None and (by_statement.score, by_statement.count) == (4, 1)
    assert by_category is not None and (by_category.score, by_category.count) == (1, 1)


def test_judgement_only_has_no_numeric_roll_up() -> None:
    framework = default_framework()
    statement = framework.statements[0].id
    result = rollup(framework, rules_by_key(JUDGEMENT_ONLY), {statement: {"statement": 3}})
    assert result.overall is None
    assert all(r is None for r in result.statements.values()) and len(result.statements) == 17
    assert all(t.result is None for t in result.themes)
    assert (result.scored, result.total, result.provisional) == (1, 17, True)


@pytest.mark.parametrize(
    ("scores", "words"),
    [
        ({"no-such-statement": {"statement": 3}}, "There is no quality statement 'no-such-statement' in the framework cqc-ics@2024.1"),
        ({"learning-culture": {"gut-feeling": 3}}, "'gut-feeling' is not an evidence category of the framework cqc-ics@2024.1"),
        ({"learning-culture": {"outcomes": 5}}, "5 is not a score: scores are whole numbers from 1 to 4"),
        ({"learning-culture": {"statement": 0}}, "0 is not a score"),
    ],
)
def test_a_roll_up_refuses_bad_scores_in_words(scores: dict[str, dict[str, int]], words: str) -> None:
    with pytest.raises(RatingsError, match=words):
        rollup(default_framework(), default_rules(), scores)


def test_a_result_is_a_frozen_value() -> None:
    result = score_set([3], default_rules())
    assert isinstance(result, Result)
    with pytest.raises(AttributeError):
        result.score = 4  # type: ignore[misc]


def test_a_result_comes_back_exactly_from_its_json() -> None:
    for scores in ([3, 2, 3, 3], [3, 3, 2], [1], [4], [3, 3, 3, 2, 2, 2]):
        result = score_set(scores, default_rules())
        assert Result.from_json(result.to_json()) == result
    with pytest.raises(RatingsError, match="A stored result is not readable"):
        Result.from_json({"percent_exact": "1/0"})


def test_a_score_chosen_directly_has_its_rating_from_the_rules() -> None:
    rules = rules_by_key(JUDGEMENT_ONLY)
    assert [rules.rating(s) for s in (1, 2, 3, 4)] == ["Inadequate", "Requires improvement", "Good", "Outstanding"]
    with pytest.raises(RatingsError, match="5 is not a score"):
        rules.rating(5)
