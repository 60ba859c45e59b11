"""The published roll-up in exact arithmetic: scores 1–4 → sum ÷ (count × 4) × 100 → a shown whole
percentage → a band (score and rating), with the position inside the band.

Every percentage is a `Fraction`; nothing here touches a binary float, so 62.5 % is exactly a half and
rounds the way the rules say, every time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from fieldapp.errors import RatingsError
from fieldapp.framework import Band
from fieldapp.ratings.rules import SCORES, Rules

HALF = Fraction(1, 2)
POSITIONS = ("lower", "middle", "upper")
_OTHER = {"half_up": "half_down", "half_down": "half_up"}


@dataclass(frozen=True)
class Result:
    """A set of scores worked out: the exact percentage, the whole one shown, and its band."""

    percent: Fraction  # exact: sum / (count × 4) × 100
    shown: int  # whole number, rounded per the rules
    score: int  # the band's score
    rating: str  # the band's rating
    position: str  # "lower" | "middle" | "upper" third of the band (by shown percentage)
    points_to_next: int | None  # shown-percentage points to the next band up (None at the top)
    points_above_lower: int | None  # points above the band below (None at the bottom)
    rounding_sensitive: bool  # the band would differ under the other rounding
    count: int  # how many scores (statements, for a theme or the overall) went in
    label: str = ""  # the score's words, such as "Good standard"

    def percent_text(self) -> str:
        """The exact percentage for display: '68.75', '62.5', '75'; '66.67' (2 dp) when it does not end."""
        return decimal_text(self.percent)

    def percent_exact(self) -> str:
        """The exact percentage as a fraction, '275/4' (or '75'), for storing in snapshots."""
        return str(self.percent)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: what the command prints."""
        return {
            "percent": self.percent_text(),
            "percent_exact": self.percent_exact(),
            "shown": self.shown,
            "score": self.score,
            "label": self.label,
            "rating": self.rating,
            "position": self.position,
            "points_to_next": self.points_to_next,
            "points_above_lower": self.points_above_lower,
            "rounding_sensitive": self.rounding_sensitive,
            "count": self.count,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """A result back from what `to_json` wrote (a snapshot's), exact: the percentage from percent_exact."""
        try:
            return cls(
                percent=Fraction(str(data["percent_exact"])),
                shown=int(data["shown"]),
                score=int(data["score"]),
                rating=str(data["rating"]),
                position=str(data["position"]),
                points_to_next=None if data["points_to_next"] is None else int(data["points_to_next"]),
                points_above_lower=None if data["points_above_lower"] is None else int(data["points_above_lower"]),
                rounding_sensitive=bool(data["rounding_sensitive"]),
                count=int(data["count"]),
                label=str(data.get("label", "")),
            )
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise RatingsError(f"A stored result is not readable ({exc!r} is wrong or missing).") from None


def decimal_text(value: Fraction) -> str:
    """A fraction as a decimal: exact when it ends ('68.75'), else to 2 places rounded half up ('66.67')."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:  # a terminating decimal: write it out in full
        places = 0
        while (value * 10**places).denominator != 1:
            places += 1
        digits = value * 10**places
        whole, frac = divmod(int(digits), 10**places)
        return f"{whole}.{frac:0{places}d}" if places else str(whole)
    hundredths = math.floor(value * 100 + HALF)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def percent_of(scores: Sequence[int]) -> Fraction:
    """sum ÷ (count × 4) × 100, exactly, for one or more scores from 1 to 4 (RatingsError otherwise)."""
    check_scores(scores)
    return Fraction(sum(scores) * 100, len(scores) * 4)


def check_scores(scores: Sequence[int]) -> None:
    """RatingsError in words unless there is at least one score and each is a whole number 1–4."""
    if not scores:
        raise RatingsError("At least one score is needed: scores are whole numbers from 1 to 4.")
    for score in scores:
        if type(score) is not int or score not in SCORES:
            raise RatingsError(f"{score!r} is not a score: scores are whole numbers from 1 to 4.")


def round_whole(value: Fraction, rounding: str) -> int:
    """The whole number nearest an exact value; an exact half goes up (half_up) or down (half_down)."""
    if rounding == "half_up":
        return math.floor(value + HALF)
    if rounding == "half_down":
        return math.ceil(value - HALF)
    raise RatingsError(f"Rounding {rounding!r} is not known; use half_up or half_down.", field="rounding")


def position_in(band: Band, shown: int) -> str:
    """Which third of the band a shown percentage is in: the band's whole percentages split in three
    as evenly as they go (39–62: 39–46 lower, 47–54 middle, 55–62 upper)."""
    return POSITIONS[(shown - band.low) * 3 // (band.high - band.low + 1)]


def result_for_percent(percent: Fraction, count: int, rules: Rules) -> Result:
    """Show, band and place an exact percentage (from scores, or a mean of theme percentages)."""
    shown = round_whole(percent, rules.rounding)
    band = rules.band_for(shown)
    index = rules.bands.index(band)
    other = rules.band_for(round_whole(percent, _OTHER[rules.rounding]))
    return Result(
        percent=percent,
        shown=shown,
        score=band.score,
        rating=band.rating,
        position=position_in(band, shown),
        points_to_next=rules.bands[index + 1].low - shown if index + 1 < len(rules.bands) else None,
        points_above_lower=shown - rules.bands[index - 1].high if index > 0 else None,
        rounding_sensitive=other.score != band.score,
        count=count,
        label=rules.label(band.score),
    )


def score_set(scores: Sequence[int], rules: Rules) -> Result:
    """A set of scores 1–4 worked out as published: 3, 2, 3, 3 → 68.75 % → shown 69 → 3, Good."""
    return result_for_percent(percent_of(scores), len(scores), rules)


def statement_score(category_scores: Mapping[str, int], rules: Rules) -> Result | None:
    """A statement's result from its evidence categories' scores, each weighing the same (None if none)."""
    if not category_scores:
        return None
    return score_set(list(category_scores.values()), rules)
