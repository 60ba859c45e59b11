"""The assessment framework (themes, quality statements, evidence categories, scoring) as versioned data.

Loaded from resources/framework/*.json and validated; records remember the key of the version
they were tagged against. Nothing here numbers anything by position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from fieldapp.errors import FrameworkError, NotFound

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"
FORMATS = {1}
_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Statement:
    id: str
    name: str
    description: str
    theme_id: str


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    description: str
    statement_ids: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    low: int  # percentage, inclusive
    high: int
    score: int
    rating: str


@dataclass(frozen=True)
class ScoringRules:
    labels: dict[int, str]
    bands: tuple[Band, ...]
    rounding: str  # "half_up" or "half_even": CQC does not say how 62.5 % rounds


@dataclass(frozen=True)
class Framework:
    framework: str
    version: str
    title: str
    status: str
    themes: tuple[Theme, ...]
    statements: tuple[Statement, ...]
    categories: tuple[Category, ...]
    default_categories: dict[str, Any]
    scoring: ScoringRules

    @property
    def key(self) -> str:
        """What a record stores as the framework version it was tagged against."""
        return f"{self.framework}@{self.version}"

    def theme(self, theme_id: str) -> Theme:
        return _find(self.themes, theme_id, "theme")

    def statement(self, statement_id: str) -> Statement:
        return _find(self.statements, statement_id, "quality statement")

    def category(self, category_id: str) -> Category:
        return _find(self.categories, category_id, "evidence category")

    def statements_in(self, theme_id: str) -> tuple[Statement, ...]:
        return tuple(self.statement(s) for s in self.theme(theme_id).statement_ids)

    def theme_of(self, statement_id: str) -> Theme:
        return self.theme(self.statement(statement_id).theme_id)

    def default_category(self, kind: str, role: str | None = None) -> str:
        """The category a new evidence link gets from the record's kind and interviewee role."""
        defaults = self.default_categories
        if kind in defaults:
            return str(defaults[kind])
        return str(defaults["roles"].get(role or "", defaults["fallback"]))


def _find(items: tuple[Any, ...], wanted: str, what: str) -> Any:
    for item in items:
        if item.id == wanted:
            return item
    raise NotFound(f"There is no {what} {wanted!r} in this framework.")


def load_framework_file(path: Path) -> Framework:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameworkError(f"The framework file {path} is missing.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrameworkError(f"The framework file {path.name} is not valid JSON: {exc}.") from None
    try:
        return parse_framework(data)
    except FrameworkError as exc:
        raise FrameworkError(f"{path.name}: {exc}") from None


def parse_framework(data: Any) -> Framework:
    """Build and check a framework from plain data (a shipped file, or one that came by sync)."""
    if not isinstance(data, dict):
        raise FrameworkError("a framework must be a JSON object.")
    if data.get("format") not in FORMATS:
        raise FrameworkError(f"unknown framework format {data.get('format')!r}; this app reads {sorted(FORMATS)}.")
    try:
        statements_by_id = {s["id"]: s for s in _list(data, "statements")}
        themes = tuple(
            Theme(_text(t, "id"), _text(t, "name"), _text(t, "description"), tuple(_list(t, "statements")))
            for t in _list(data, "themes")
        )
        theme_of = _theme_index(themes, statements_by_id)
        statements = tuple(
            Statement(_text(s, "id"), _text(s, "name"), _text(s, "description"), theme_of[s["id"]])
            for s in _list(data, "statements")
        )
        categories = tuple(Category(_text(c, "id"), _text(c, "name"), _text(c, "description")) for c in _list(data, "categories"))
        framework = Framework(
            framework=_text(data, "framework"),
            version=_text(data, "version"),
            title=_text(data, "title"),
            status=_text(data, "status"),
            themes=themes,
            statements=statements,
            categories=categories,
            default_categories=dict(data["default_categories"]),
            scoring=_scoring(data["scoring"]),
        )
    except (KeyError, TypeError) as exc:
        raise FrameworkError(f"missing or malformed field {exc}.") from None
    _check(framework)
    return framework


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data[key]
    if not isinstance(value, list) or not value:
        raise FrameworkError(f"{key!r} must be a non-empty list.")
    return value


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise FrameworkError(f"{key!r} must be non-empty text.")
    return value


def _theme_index(themes: tuple[Theme, ...], statements: dict[str, Any]) -> dict[str, str]:
    theme_of: dict[str, str] = {}
    for theme in themes:
        for statement_id in theme.statement_ids:
            if statement_id not in statements:
                raise FrameworkError(f"theme {theme.id!r} names an unknown statement {statement_id!r}.")
            if statement_id in theme_of:
                raise FrameworkError(f"statement {statement_id!r} is in two themes.")
            theme_of[statement_id] = theme.id
    orphans = set(statements) - set(theme_of)
    if orphans:
        raise FrameworkError(f"statement(s) in no theme: {', '.join(sorted(orphans))}.")
    return theme_of


def _scoring(data: dict[str, Any]) -> ScoringRules:
    labels = {int(s["score"]): str(s["label"]) for s in data["scores"]}
    bands = tuple(Band(int(b["from"]), int(b["to"]), int(b["score"]), str(b["rating"])) for b in data["bands"])
    rounding = data.get("rounding", "half_up")
    if rounding not in _ROUNDING:
        raise FrameworkError(f"unknown rounding {rounding!r}; use half_up or half_even.")
    expected = 25
    for band in sorted(bands, key=lambda b: b.low):
        if band.low != expected or band.high < band.low or band.score not in labels:
            raise FrameworkError("rating bands must cover 25–100 % without gaps or overlaps.")
        expected = band.high + 1
    if expected != 101:
        raise FrameworkError("rating bands must cover 25–100 % without gaps or overlaps.")
    return ScoringRules(labels, bands, rounding)


def _check(framework: Framework) -> None:
    for what, items in (("theme", framework.themes), ("statement", framework.statements), ("category", framework.categories)):
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            raise FrameworkError(f"duplicate {what} ids.")
    defaults = framework.default_categories
    named = [v for k, v in defaults.items() if k not in ("roles",)] + list(defaults.get("roles", {}).values())
    for category_id in named:
        if category_id not in {c.id for c in framework.categories}:
            raise FrameworkError(f"default category {category_id!r} is not one of the categories.")


@lru_cache(maxsize=1)
def available_frameworks() -> tuple[Framework, ...]:
    """Every framework shipped in resources/framework, oldest version first."""
    files = sorted((RESOURCES_DIR / "framework").glob("*.json"))
    if not files:
        raise FrameworkError(f"No framework data in {RESOURCES_DIR / 'framework'}; the installation is incomplete.")
    return tuple(sorted((load_framework_file(f) for f in files), key=lambda f: _version_key(f.version)))


def default_framework() -> Framework:
    return available_frameworks()[-1]


def framework_by_key(key: str) -> Framework:
    for framework in available_frameworks():
        if framework.key == key:
            return framework
    raise NotFound(f"This app does not know the framework {key!r}; update fieldapp or sync to receive it.")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


# -- scoring: the published roll-up (sum ÷ (count × 4) → band), kept as data-driven functions --


def percentage(scores: list[int] | tuple[int, ...]) -> float:
    if not scores or any(s not in (1, 2, 3, 4) for s in scores):
        raise ValueError("Scores are whole numbers from 1 to 4, at least one.")
    return sum(scores) / (len(scores) * 4) * 100


def printed_percentage(pct: float, rules: ScoringRules) -> int:
    return int(Decimal(str(pct)).quantize(Decimal(1), rounding=_ROUNDING[rules.rounding]))


def score_from_percentage(pct: float, rules: ScoringRules) -> int:
    return _band(printed_percentage(pct, rules), rules).score


def rating_for(scores: list[int] | tuple[int, ...], rules: ScoringRules) -> tuple[int, str, int]:
    """(score, rating, printed percentage): e.g. 3, 2, 3, 3 → 68.75 % → (3, 'Good', 69)."""
    printed = printed_percentage(percentage(scores), rules)
    band = _band(printed, rules)
    return band.score, band.rating, printed


def _band(printed: int, rules: ScoringRules) -> Band:
    for band in rules.bands:
        if band.low <= printed <= band.high:
            return band
    raise ValueError(f"{printed} % is outside the rating bands.")
