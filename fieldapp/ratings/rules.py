"""Scoring rules as versioned data: resources/framework/rules/<key>.json, one file per rule set.

Each file says how scores roll up (mode, bands, rounding, weighting) and what to tell the reader
(labels, notice). Every file is checked strictly; a broken one is a FrameworkError naming the file
and the problem in words.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fieldapp.errors import FrameworkError, NotFound, RatingsError
from fieldapp.framework import RESOURCES_DIR, Band, no_repeated_keys

RULES_DIR = RESOURCES_DIR / "framework" / "rules"
FORMATS = frozenset({1})
SCORES = (1, 2, 3, 4)  # the published roll-up divides by 4, so the scale is fixed
MODES = ("by_category", "by_statement", "judgement_only")
ROUNDINGS = ("half_up", "half_down")
WEIGHTINGS = ("statements_equal", "themes_equal")
RATINGS: dict[int, str] = {1: "Inadequate", 2: "Requires improvement", 3: "Good", 4: "Outstanding"}  # CQC's four-point scale
_KEY = re.compile(r"(?P<name>[a-z0-9]+(-[a-z0-9]+)*)@(?P<version>[0-9]+)")
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Rules:
    """One versioned rule set: how statement, theme and overall scores are worked out and banded."""

    key: str  # "cqc-ics-by-category@1": what an assessment stores as the rules it uses
    name: str
    version: int
    mode: str  # "by_category" | "by_statement" | "judgement_only"
    bands: tuple[Band, ...]  # rising, covering 25–100 % of the shown (whole) percentage
    labels: Mapping[int, str] = field(hash=False)  # score -> label, 1–4
    rounding: str  # "half_up" | "half_down": how an exact half is shown
    weighting: str  # "statements_equal" | "themes_equal": how the overall score is made
    notice: str  # shown wherever ratings are shown
    framework: str = "cqc-ics"  # the framework (not its version) the rules apply to
    default: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise FrameworkError(f"unknown mode {self.mode!r}; use one of {', '.join(MODES)}.")
        if self.rounding not in ROUNDINGS:
            raise FrameworkError(f"unknown rounding {self.rounding!r}; use half_up or half_down.")
        if self.weighting not in WEIGHTINGS:
            raise FrameworkError(f"unknown weighting {self.weighting!r}; use statements_equal or themes_equal.")
        if sorted(self.labels) != list(SCORES):
            raise FrameworkError("the scores must label each score from 1 to 4 exactly once.")
        _check_bands(self.bands, self.labels)

    def with_rounding(self, rounding: str) -> Rules:
        """The same rules with exact halves shown the other way ("half_up" or "half_down"; "half-down" is read too)."""
        wanted = rounding.replace("-", "_")
        if wanted not in ROUNDINGS:
            raise RatingsError(f"Rounding {rounding!r} is not known; use half_up or half_down.", field="rounding")
        return dataclasses.replace(self, rounding=wanted)

    def band_for(self, shown: int) -> Band:
        """The band holding this shown (whole) percentage."""
        for band in self.bands:
            if band.low <= shown <= band.high:
                return band
        raise RatingsError(f"{shown} % is outside the rating bands ({self.bands[0].low}–{self.bands[-1].high} %).")

    def label(self, score: int) -> str:
        """The words for a score, such as 'Good standard' for 3."""
        return self.labels[score]

    def rating(self, score: int) -> str:
        """The rating of a score 1–4, such as 'Good' for 3: for a rating chosen directly (a final rating)."""
        for band in self.bands:
            if band.score == score and type(score) is int:
                return band.rating
        raise RatingsError(f"{score!r} is not a score: scores are whole numbers from 1 to 4.", field="score")


def _check_bands(bands: tuple[Band, ...], labels: Mapping[int, str]) -> None:
    if not bands:
        raise FrameworkError("there are no rating bands.")
    if bands[0].low != 25:
        raise FrameworkError(f"the first band starts at {bands[0].low} %; the bands must start at 25 % (all scores 1).")
    if bands[-1].high != 100:
        raise FrameworkError(f"the last band ends at {bands[-1].high} %; the bands must end at 100 % (all scores 4).")
    for band in bands:
        if band.low > band.high:
            raise FrameworkError(f"the band {band.low}–{band.high} % ends before it starts.")
        if band.score not in labels:
            raise FrameworkError(f"the band {band.low}–{band.high} % gives score {band.score}, which is not 1 to 4.")
        if not band.rating.strip():
            raise FrameworkError(f"the band {band.low}–{band.high} % has no rating.")
    for below, above in zip(bands, bands[1:]):
        if above.low <= below.high:
            raise FrameworkError(f"the bands {below.low}–{below.high} % and {above.low}–{above.high} % overlap (or are out of order).")
        if above.low > below.high + 1:
            gap = f"{below.high + 1}" if above.low == below.high + 2 else f"{below.high + 1}–{above.low - 1}"
            raise FrameworkError(f"there is a gap between the bands: {gap} % is in no band.")
        if above.score <= below.score:
            raise FrameworkError(f"the band {above.low}–{above.high} % scores {above.score}, not more than the band below it; scores must rise with the bands.")
    if len({b.score for b in bands}) != len(SCORES):
        raise FrameworkError("the bands must give each score from 1 to 4 once.")


# -- reading files --


def load_rules_file(path: str | Path) -> Rules:
    """Read and check one rules file; every problem is a FrameworkError naming the file."""
    path = Path(path)
    try:
        rules = parse_rules(json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_repeated_keys))
    except FileNotFoundError:
        raise FrameworkError(f"The scoring rules file {path} is missing.") from None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON, or a key given twice
        raise FrameworkError(f"The scoring rules file {path} is not readable JSON: {exc}.") from None
    except FrameworkError as exc:
        raise FrameworkError(f"The scoring rules file {path} is not usable: {exc}") from None
    if path.stem != rules.key:
        raise FrameworkError(f"The scoring rules file {path} holds {rules.key}; it must be named {rules.key}.json.")
    return rules


def parse_rules(data: Any) -> Rules:
    """Build and check a rule set from plain data (a shipped file, or one that came by sync)."""
    if (fmt := _get(data, "format", int)) not in FORMATS:
        raise FrameworkError(f"unknown rules format {fmt}; this app reads format 1. Update fieldapp.")
    key, version = _get(data, "key", str), _get(data, "version", int)
    if not (match := _KEY.fullmatch(key)):
        raise FrameworkError(f"'key' is {key!r}; it must look like 'cqc-ics-by-category@1'.")
    if int(match["version"]) != version:
        raise FrameworkError(f"'key' {key!r} ends in a version other than 'version' ({version}).")
    scores = _get(data, "scores", list)
    labels = {_get(s, "score", int, f"scores[{i}]"): _get(s, "label", str, f"scores[{i}]") for i, s in enumerate(scores)}
    if sorted(labels) != list(SCORES) or len(scores) != len(SCORES):
        raise FrameworkError("'scores' must label each score from 1 to 4 exactly once.")
    bands = tuple(
        Band(_get(b, "from", int, w), _get(b, "to", int, w), _get(b, "score", int, w), _get(b, "rating", str, w))
        for i, b in enumerate(_get(data, "bands", list))
        for w in [f"bands[{i}]"]
    )
    default = data.get("default", False)
    if not isinstance(default, bool):
        raise FrameworkError("'default' must be true or false.")
    framework = _get(data, "framework", str)
    if not _SLUG.fullmatch(framework):
        raise FrameworkError(f"'framework' is {framework!r}; it must look like 'cqc-ics'.")
    return Rules(
        key=key,
        name=_get(data, "name", str),
        version=version,
        mode=_get(data, "mode", str),
        bands=bands,
        labels=MappingProxyType(labels),
        rounding=_get(data, "rounding", str),
        weighting=_get(data, "weighting", str),
        notice=_get(data, "notice", str),
        framework=framework,
        default=default,
        description=str(data.get("description", "")),
    )


_WHAT = {str: "non-empty text", list: "a non-empty list", int: "a whole number"}


def _get(data: Any, key: str, kind: type, where: str = "") -> Any:
    """data[key], which must exist, be of the given kind and not be empty."""
    if not isinstance(data, dict):
        raise FrameworkError(f"{where or 'the rules'} must be an object.")
    if key not in data:
        raise FrameworkError(f"{where or 'the rules'} has no {key!r}.")
    value, name = data[key], f"{where}.{key}" if where else repr(key)
    empty = not value.strip() if isinstance(value, str) else isinstance(value, list) and not value
    if isinstance(value, bool) or not isinstance(value, kind) or empty:
        raise FrameworkError(f"{name} must be {_WHAT[kind]}.")
    return value


# -- the shipped rule sets --


def load_rules_dir(directory: Path) -> tuple[Rules, ...]:
    """Every rules file in a folder, checked together: keys once each, exactly one default."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise FrameworkError(f"No scoring rules in {directory}; the installation is incomplete.")
    found = [load_rules_file(path) for path in files]
    defaults = [path.name for path, rules in zip(files, found) if rules.default]
    if len(defaults) != 1:
        which = f"{len(defaults)} ({', '.join(defaults)})" if defaults else "none"
        raise FrameworkError(f"Exactly one scoring rules file in {directory} must say \"default\": true; {which} do.")
    return tuple(found)


@lru_cache(maxsize=1)
def available_rules() -> tuple[Rules, ...]:
    """Every rule set shipped in resources/framework/rules, in key order."""
    return load_rules_dir(RULES_DIR)


def rules_by_key(key: str) -> Rules:
    """The rule set an assessment names by key, such as 'cqc-ics-by-category@1'."""
    for rules in available_rules():
        if rules.key == key:
            return rules
    known = ", ".join(r.key for r in available_rules())
    raise NotFound(f"This app does not know the scoring rules {key!r} (it knows {known}); update fieldapp.")


def default_rules() -> Rules:
    """The rule set a new assessment uses: the one whose file says "default": true."""
    return next(r for r in available_rules() if r.default)
