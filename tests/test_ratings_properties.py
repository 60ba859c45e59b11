"""Properties of the roll-up for any scores (hypothesis): monotone in every score, bands contiguous and
rising, exact at every boundary, the percentage exactly sum ÷ (4n) × 100, and the two roundings agreeing
except on exact halves, which the result flags when the band would change."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from hypothesis import example, given
from hypothesis import strategies as st

from fieldapp.framework import default_framework
from fieldapp.ratings import Result, Rules, default_rules, rollup, rules_by_key, score_set

UP = default_rules()
DOWN = UP.with_rounding("half_down")
SCORES = st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=60)
STATEMENTS = [s.id for s in default_framework().statements]
CATEGORIES = [c.id for c in default_framework().categories]
EDGES = [(below.high, above.low) for below, above in zip(UP.bands, UP.bands[1:])]  # (38, 39), (62, 63), (87, 88)


def _band_of(shown: int, rules: Rules = UP) -> list[int]:
    return [b.score for b in rules.bands if b.low <= shown <= b.high]


@given(SCORES, st.data())
def test_raising_any_one_score_never_lowers_the_result(scores: list[int], data: st.DataObject) -> None:
    i = data.draw(st.sampled_from([i for i, s in enumerate(scores) if s < 4] or [None]))
    if i is None:
        return
    raised = scores[:i] + [scores[i] + 1] + scores[i + 1 :]
    for rules in (UP, DOWN):
        before, after = score_set(scores, rules), score_set(raised, rules)
        assert after.percent > before.percent
        assert after.shown >= before.shown and after.score >= before.score


@given(st.integers(min_value=25, max_value=100), st.integers(min_value=25, max_value=100))
def test_every_shown_percentage_is_in_exactly_one_band_and_scores_rise_with_it(a: int, b: int) -> None:
    assert len(_band_of(a)) == len(_band_of(b)) == 1
    low, high = sorted((a, b))
    assert _band_of(low)[0] <= _band_of(high)[0]
    assert UP.band_for(a).score == _band_of(a)[0]


def test_the_bands_cover_25_to_100_with_no_gap_or_overlap_and_scores_1_to_4() -> None:
    covered = [shown for band in UP.bands for shown in range(band.low, band.high + 1)]
    assert covered == list(range(25, 101))
    assert [b.score for b in UP.bands] == [1, 2, 3, 4]


@given(SCORES)
@example([2, 1, 1, 1])  # 31.25
@example([2, 1])  # 37.5: a half inside the bottom band
@example([2] * 27 + [1] * 23)  # 38.5: a half on the first edge
@example([3, 2])  # 62.5
@example([4, 3])  # 87.5
def test_the_percentage_is_exactly_sum_over_4n_times_100(scores: list[int]) -> None:
    result = score_set(scores, UP)
    assert isinstance(result.percent, Fraction)
    assert result.percent == Fraction(sum(scores), 4 * len(scores)) * 100
    assert result.percent_exact() == str(result.percent)
    assert Fraction(result.percent_exact()) == result.percent
    assert abs(result.shown - result.percent) <= Fraction(1, 2)
    assert result.count == len(scores)


@given(SCORES)
@example([2] * 27 + [1] * 23)  # 38.5
@example([3, 2])  # 62.5
@example([4, 3])  # 87.5
@example([2, 1])  # 37.5
def test_half_up_and_half_down_agree_except_on_exact_halves_and_say_when_the_band_differs(scores: list[int]) -> None:
    up, down = score_set(scores, UP), score_set(scores, DOWN)
    if up.percent.denominator == 2:  # an exact half
        assert (up.shown, down.shown) == (math.ceil(up.percent), math.floor(up.percent))
        on_an_edge = (down.shown, up.shown) in EDGES
        assert up.rounding_sensitive == down.rounding_sensitive == on_an_edge
        assert (up.score != down.score) == on_an_edge
    else:
        assert up.shown == down.shown and up.score == down.score
        assert not up.rounding_sensitive and not down.rounding_sensitive


@given(st.sampled_from([Fraction(75, 2), Fraction(77, 2), Fraction(125, 2), Fraction(175, 2)]), st.integers(min_value=1, max_value=4), st.data())
def test_an_exact_half_at_a_boundary_rounds_exactly_however_it_is_reached(half: Fraction, k: int, data: st.DataObject) -> None:
    n = 50 * k  # percent = 25 × sum ÷ n, so these halves need n a multiple of 50
    total = int(half * n / 25)
    base, ups = divmod(total, n)
    scores = [base + 1] * ups + [base] * (n - ups)
    for _ in range(data.draw(st.integers(min_value=0, max_value=30))):  # move points between scores: same sum
        i = data.draw(st.sampled_from([i for i, s in enumerate(scores) if s < 4]))
        j = data.draw(st.sampled_from([j for j, s in enumerate(scores) if s > 1 and j != i]))
        scores[i], scores[j] = scores[i] + 1, scores[j] - 1
    up, down = score_set(scores, UP), score_set(scores, DOWN)
    assert up.percent == down.percent == half
    assert (up.shown, down.shown) == (half + Fraction(1, 2), half - Fraction(1, 2))
    assert up.rounding_sensitive == ((down.shown, up.shown) in EDGES)


def _position_is_a_third(result: Result) -> bool:
    band = UP.band_for(result.shown)
    width = band.high - band.low + 1
    third = ["lower", "middle", "upper"].index(result.position)
    return third * width <= (result.shown - band.low) * 3 < (third + 1) * width


@given(SCORES)
def test_position_and_points_agree_with_the_band(scores: list[int]) -> None:
    result = score_set(scores, UP)
    band = UP.band_for(result.shown)
    assert _position_is_a_third(result)
    assert result.points_to_next is None or result.shown + result.points_to_next == band.high + 1
    assert result.points_above_lower is None or result.shown - result.points_above_lower == band.low - 1
    assert (result.points_to_next is None) == (band.score == 4)
    assert (result.points_above_lower is None) == (band.score == 1)


ASSESSMENT = st.dictionaries(st.sampled_from(STATEMENTS), st.integers(min_value=1, max_value=4), min_size=1)


@given(ASSESSMENT, st.sampled_from(["statements_equal", "themes_equal"]), st.data())
def test_the_whole_assessment_roll_up_is_monotone_in_every_statement_score(
    scores: dict[str, int], weighting: str, data: st.DataObject
) -> None:
    rules = dataclasses.replace(rules_by_key("cqc-ics-by-statement@1"), weighting=weighting)
    statement = data.draw(st.sampled_from(STATEMENTS))
    raised = dict(scores)
    raised[statement] = min(scores.get(statement, 0) + 1, 4)
    before = rollup(default_framework(), rules, {s: {"statement": v} for s, v in scores.items()})
    after = rollup(default_framework(), rules, {s: {"statement": v} for s, v in raised.items()})
    assert before.overall is not None and after.overall is not None
    if statement in scores:  # a score raised (not a new one added, which may pull the mean down)
        assert after.overall.percent >= before.overall.percent
        assert after.overall.score >= before.overall.score
        for old, new in zip(before.themes, after.themes):
            assert old.result is None or (new.result is not None and new.result.percent >= old.result.percent)
    assert (after.scored, after.provisional) == (len(raised), len(raised) < 17)


@given(st.dictionaries(st.sampled_from(CATEGORIES), st.integers(min_value=1, max_value=4), min_size=1), st.data())
def test_a_statement_by_category_is_monotone_in_every_category_score(categories: dict[str, int], data: st.DataObject) -> None:
    rules = rules_by_key("cqc-ics-by-category@1")
    category = data.draw(st.sampled_from(sorted(categories)))
    raised = {**categories, category: min(categories[category] + 1, 4)}
    statement = STATEMENTS[0]
    before = rollup(default_framework(), rules, {statement: categories})
    after = rollup(default_framework(), rules, {statement: raised})
    old, new = before.statements[statement], after.statements[statement]
    assert old is not None and new is not None
    assert new.percent >= old.percent and new.score >= old.score
    assert old.percent == Fraction(sum(categories.values()) * 100, 4 * len(categories))


@given(SCORES, st.sampled_from([UP, DOWN]))
def test_every_result_comes_back_exactly_from_its_json(scores: list[int], rules: Rules) -> None:
    result = score_set(scores, rules)
    assert Result.from_json(result.to_json()) == result
