"""The assessment framework (themes, quality statements, evidence categories, scoring) as versioned data.

Loaded from resources/framework/*.json and checked strictly; records store the key of the version they
were tagged against. Order is list order only: nothing is numbered by position.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fieldapp.errors import FrameworkError, NotFound, ValidationError

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"
FORMATS = frozenset({1})
SCORES = (1, 2, 3, 4)  # the published roll-up divides by 4, so the scale is fixed
_ROUNDING = ("half_up", "half_down", "half_even")  # how an exact half is printed: up, down, or to the even neighbour
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*")
_EXAMPLE = {_SLUG: "learning-culture", _VERSION: "2024.1"}
_WHAT = {str: "non-empty text", list: "a non-empty list", dict: "a non-empty object", int: "a whole number"}


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
    # Optional in the file (issue 15): the categories evidence is required in, when the guidance
    # names them (None: it does not, so the framework's expected categories apply), and a few
    # questions in our own words to explore in an interview or focus group.
    required_categories: tuple[str, ...] | None = None
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    description: str
    statement_ids: tuple[str, ...]


@dataclass(frozen=True)
class Band:
    low: int  # printed percentage, inclusive at both ends
    high: int
    score: int
    rating: str


@dataclass(frozen=True)
class ScoringRules:
    labels: Mapping[int, str] = field(hash=False)  # score → label, for each of 1–4
    bands: tuple[Band, ...]  # in rising order, covering 25–100 %
    rounding: str  # "half_up", "half_down" or "half_even": CQC does not say how 62.5 % rounds

    def __post_init__(self) -> None:
        if self.rounding not in _ROUNDING:
            raise FrameworkError(f"unknown rounding {self.rounding!r}; use half_up, half_down or half_even.")
        ends, scores = [25] + [b.high + 1 for b in self.bands], [b.score for b in self.bands]
        if [b.low for b in self.bands] + [101] != ends or any(a >= b for a, b in zip(ends, ends[1:])):
            raise FrameworkError("rating bands must cover 25–100 % in rising order, without gaps or overlaps.")
        if scores != sorted(set(scores)) or not set(scores) <= set(self.labels):
            raise FrameworkError("rating bands must give labelled scores, rising with the bands, once each.")


@dataclass(frozen=True)
class Framework:
    framework: str
    version: str
    title: str
    status: str
    themes: tuple[Theme, ...]
    statements: tuple[Statement, ...]
    categories: tuple[Category, ...]
    # kind → category id, "kind:type" → category id for a type of that kind (a document's type),
    # plus "roles" (interviewee role → category id) and "fallback"
    default_categories: Mapping[str, Any] = field(hash=False)
    scoring: ScoringRules
    # What evidence is expected in for a statement whose own required categories are not given.
    expected_categories: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What a record stores as the framework version it was tagged against."""
        return f"{self.framework}@{self.version}"

    def theme(self, theme_id: str) -> Theme:
        """The theme with this id, or NotFound."""
        return _find(self.themes, theme_id, "theme", self.key)

    def statement(self, statement_id: str) -> Statement:
        """The quality statement with this id, or NotFound."""
        return _find(self.statements, statement_id, "quality statement", self.key)

    def category(self, category_id: str) -> Category:
        """The evidence category with this id, or NotFound."""
        return _find(self.categories, category_id, "evidence category", self.key)

    def statements_in(self, theme_id: str) -> tuple[Statement, ...]:
        """The theme's statements in display order."""
        return tuple(self.statement(s) for s in self.theme(theme_id).statement_ids)

    def required_categories(self, statement_id: str) -> tuple[str, ...]:
        """The categories a statement needs evidence in: its own list where the guidance gives one,
        else the framework's expected ones (People's experience); every category is allowed either way."""
        own = self.statement(statement_id).required_categories
        return own if own is not None else self.expected_categories

    def prompts(self, statement_id: str) -> tuple[str, ...]:
        """Questions to explore for a statement in an interview or focus group, in our own words."""
        return self.statement(statement_id).prompts

    def theme_of(self, statement_id: str) -> Theme:
        """The theme a statement belongs to."""
        return self.theme(self.statement(statement_id).theme_id)

    def default_category(self, kind: str, role: str | None = None, document_type: str | None = None) -> str:
        """The category a new evidence link gets from the record's kind and, for people, their role,
        for a document its type ("document:metric" → Outcomes; else "document" → Processes)."""
        by_type = self.default_categories.get(f"{kind}:{document_type}") if document_type else None
        if isinstance(by_type, str):
            return by_type
        by_kind = self.default_categories.get(kind)
        if isinstance(by_kind, str):
            return by_kind
        return str(self.default_categories["roles"].get(role or "", self.default_categories["fallback"]))


def _find(items: tuple[Any, ...], wanted: str, what: str, key: str) -> Any:
    for item in items:
        if item.id == wanted:
            return item
    raise NotFound(f"There is no {what} {wanted!r} in the framework {key}.")


def load_framework_file(path: str | Path) -> Framework:
    """Read and check one framework file; every problem is a FrameworkError naming the file."""
    path = Path(path)
    try:
        return parse_framework(json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_repeated_keys))
    except FileNotFoundError:
        raise FrameworkError(f"The framework file {path} is missing.") from None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON, or a key given twice
        raise FrameworkError(f"The framework file {path} is not readable JSON: {exc}.") from None
    except FrameworkError as exc:
        raise FrameworkError(f"The framework file {path} is not usable: {exc}") from None


def no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object_pairs_hook for our data files: a key given twice is refused, not the last kept."""
    keys = [k for k, _ in pairs]
    if repeated := sorted({k for k in keys if keys.count(k) > 1}):
        raise ValueError(f"{', '.join(map(repr, repeated))} given twice in one object")
    return dict(pairs)


def parse_framework(data: Any) -> Framework:
    """Build and check a framework from plain data (a shipped file, or one that came by sync)."""
    if (fmt := _get(data, "format", int, "")) not in FORMATS:
        readable = ", ".join(map(str, sorted(FORMATS)))
        raise FrameworkError(f"unknown framework format {fmt}; this app reads format {readable}. Update fieldapp.")
    parts = [_named(s, w) for w, s in _each(data, "statements")]
    themes = tuple(Theme(*_named(t, w), tuple(_get(t, "statements", list, w))) for w, t in _each(data, "themes"))
    categories = tuple(Category(*_named(c, w)) for w, c in _each(data, "categories"))
    for what, ids in (("statement", [p[0] for p in parts]), ("theme", [t.id for t in themes]),
                      ("category", [c.id for c in categories])):  # fmt: skip
        if repeated := sorted({i for i in ids if ids.count(i) > 1}):
            raise FrameworkError(f"duplicate {what} id(s): {', '.join(repeated)}.")
    theme_of = _theme_index(themes, [p[0] for p in parts])
    category_ids = {c.id for c in categories}
    guidance = [_guidance(s, w, category_ids) for w, s in _each(data, "statements")]
    return Framework(
        framework=_get(data, "framework", str, "", _SLUG),
        version=_get(data, "version", str, "", _VERSION),
        title=_get(data, "title", str, ""),
        status=_get(data, "status", str, ""),
        themes=themes,
        statements=tuple(Statement(*p, theme_id=theme_of[p[0]], required_categories=g[0], prompts=g[1]) for p, g in zip(parts, guidance)),
        categories=categories,
        default_categories=_defaults(data, {c.id for c in categories}),
        scoring=_scoring(data),
        expected_categories=_categories(data, "expected_categories", "", category_ids) or (),
    )


def _guidance(data: dict[str, Any], where: str, category_ids: set[str]) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """A statement's optional required categories and prompts (issue 15; older apps ignore both)."""
    prompts = tuple(_get(data, "prompts", list, where)) if "prompts" in data else ()
    if not all(isinstance(p, str) and p.strip() for p in prompts):
        raise FrameworkError(f"{where}.prompts must be a list of non-empty questions.")
    return _categories(data, "required_categories", where, category_ids), prompts


def _categories(data: dict[str, Any], key: str, where: str, category_ids: set[str]) -> tuple[str, ...] | None:
    """An optional non-empty list of category ids, each once; None when the key is absent."""
    if key not in data:
        return None
    ids = _get(data, key, list, where)
    name = f"{where}.{key}" if where else repr(key)
    if not all(isinstance(i, str) and i in category_ids for i in ids) or len(set(ids)) != len(ids):
        raise FrameworkError(f"{name} must name categories of this framework, each once.")
    return tuple(ids)


def _get(data: Any, key: str, kind: type, where: str, pattern: re.Pattern[str] | None = None) -> Any:
    """data[key], which must exist, be of the given kind, not be empty and match the pattern if given."""
    if not isinstance(data, dict):
        raise FrameworkError(f"{where or 'the framework'} must be an object.")
    if key not in data:
        raise FrameworkError(f"{where or 'the framework'} has no {key!r}.")
    value, name = data[key], f"{where}.{key}" if where else repr(key)
    empty = not value.strip() if isinstance(value, str) else isinstance(value, (list, dict)) and not value
    if isinstance(value, bool) or not isinstance(value, kind) or empty:
        raise FrameworkError(f"{name} must be {_WHAT[kind]}.")
    if pattern and isinstance(value, str) and not pattern.fullmatch(value):
        raise FrameworkError(f"{name} is {value!r}; it must look like {_EXAMPLE[pattern]!r}.")
    return value


def _each(data: Any, key: str, where: str = "") -> Iterator[tuple[str, Any]]:
    for i, item in enumerate(_get(data, key, list, where)):
        yield f"{where + '.' if where else ''}{key}[{i}]", item


def _named(data: Any, where: str) -> tuple[str, str, str]:
    return _get(data, "id", str, where, _SLUG), _get(data, "name", str, where), _get(data, "description", str, where)


def _theme_index(themes: tuple[Theme, ...], statement_ids: list[str]) -> dict[str, str]:
    theme_of: dict[str, str] = {}
    for theme in themes:
        for statement_id in theme.statement_ids:
            if not isinstance(statement_id, str) or statement_id not in statement_ids:
                raise FrameworkError(f"theme {theme.id!r} names an unknown statement {statement_id!r}.")
            if (first := theme_of.get(statement_id)) is not None:
                where = f"themes {first!r} and {theme.id!r}" if first != theme.id else f"theme {first!r} twice"
                raise FrameworkError(f"statement {statement_id!r} is listed in {where}.")
            theme_of[statement_id] = theme.id
    if orphans := [s for s in statement_ids if s not in theme_of]:
        raise FrameworkError(f"statement(s) in no theme: {', '.join(orphans)}.")
    return theme_of


def _defaults(data: dict[str, Any], category_ids: set[str]) -> Mapping[str, Any]:
    raw = _get(data, "default_categories", dict, "")
    roles = _get(raw, "roles", dict, "default_categories")
    _get(raw, "fallback", str, "default_categories")
    named = [(f"default_categories.{k}", v) for k, v in raw.items() if k != "roles"]
    for where, value in named + [(f"default_categories.roles.{k}", v) for k, v in roles.items()]:
        if not isinstance(value, str) or value not in category_ids:
            raise FrameworkError(f"default category {value!r} at {where} is not one of the categories.")
    return MappingProxyType({**raw, "roles": MappingProxyType(dict(roles))})


def _scoring(data: dict[str, Any]) -> ScoringRules:
    raw = _get(data, "scoring", dict, "")
    labels = {_get(s, "score", int, w): _get(s, "label", str, w) for w, s in _each(raw, "scores", "scoring")}
    if sorted(labels) != list(SCORES) or len(raw["scores"]) != len(SCORES):
        raise FrameworkError("scoring.scores must label each score from 1 to 4 exactly once.")
    bands = tuple(
        Band(_get(b, "from", int, w), _get(b, "to", int, w), _get(b, "score", int, w), _get(b, "rating", str, w))
        for w, b in _each(raw, "bands", "scoring")
    )
    return ScoringRules(MappingProxyType(labels), bands, _get(raw, "rounding", str, "scoring"))


@lru_cache(maxsize=1)
def available_frameworks() -> tuple[Framework, ...]:
    """Every framework shipped in resources/framework, oldest version first."""
    files = sorted((RESOURCES_DIR / "framework").glob("*.json"))
    if not files:
        raise FrameworkError(f"No framework data in {RESOURCES_DIR / 'framework'}; the installation is incomplete.")
    seen: dict[str, Path] = {}
    for path, framework in (frameworks := {path: load_framework_file(path) for path in files}).items():
        if seen.setdefault(framework.key, path) != path:
            raise FrameworkError(f"The framework files {seen[framework.key]} and {path} both hold {framework.key}.")
    return tuple(sorted(frameworks.values(), key=lambda f: tuple(map(int, f.version.split(".")))))


_received: dict[str, Framework] = {}  # versions that arrived by sync, registered when a vault unlocks


def register(framework: Framework) -> None:
    """Make a framework version that arrived by sync usable, beside those shipped with the app."""
    _received.setdefault(framework.key, framework)


def known_frameworks() -> tuple[Framework, ...]:
    """Shipped and received versions, oldest first."""
    shipped = {f.key: f for f in available_frameworks()}
    merged = {**_received, **shipped}
    return tuple(sorted(merged.values(), key=lambda f: (f.framework, tuple(map(int, f.version.split("."))))))


def default_framework() -> Framework:
    """The newest version of the shipped framework: what a new assessment is tagged against."""
    newest = [f for f in known_frameworks() if f.framework == available_frameworks()[-1].framework]
    return newest[-1]


def framework_by_key(key: str) -> Framework:
    """The framework a record names by key, such as 'cqc-ics@2024.1'."""
    for framework in known_frameworks():
        if framework.key == key:
            return framework
    raise NotFound(f"This app does not know the framework {key!r}; update fieldapp or sync to receive it.")


# -- scoring: the published roll-up (sum ÷ (count × 4) → printed percentage → band) --
# Exact (fractions), like fieldapp.ratings, which holds the whole roll-up over the versioned rules files;
# these read the framework file's own "scoring" and cannot import it (fieldapp.ratings builds on this module).


def percentage(scores: Sequence[int]) -> Fraction:
    """sum ÷ (count × 4) × 100, exactly, for one or more scores from 1 to 4."""
    if not scores or any(type(s) is not int or s not in SCORES for s in scores):
        raise ValidationError("Scores are whole numbers from 1 to 4, and at least one is needed.")
    return Fraction(sum(scores) * 100, len(scores) * 4)


def printed_percentage(pct: Fraction | float, rules: ScoringRules) -> int:
    """The whole percentage that is printed and banded, rounded exactly as the rules say."""
    # a float is taken at its exact value (62.5 is exactly a half); the roll-up itself never makes one
    value = Fraction(pct)
    if rules.rounding == "half_up":
        return math.floor(value + Fraction(1, 2))
    if rules.rounding == "half_down":
        return math.ceil(value - Fraction(1, 2))
    return round(value)  # half_even: Fraction rounds an exact half to the even neighbour


def score_from_percentage(pct: Fraction | float, rules: ScoringRules) -> int:
    """The 1–4 score whose band holds the printed percentage."""
    return _band(printed_percentage(pct, rules), rules).score


def rating_for(scores: Sequence[int], rules: ScoringRules) -> tuple[int, str, int]:
    """(score, rating, printed percentage): e.g. 3, 2, 3, 3 → 68.75 % → (3, 'Good', 69)."""
    printed = printed_percentage(percentage(scores), rules)
    band = _band(printed, rules)
    return band.score, band.rating, printed


def _band(printed: int, rules: ScoringRules) -> Band:
    for band in rules.bands:
        if band.low <= printed <= band.high:
            return band
    raise ValidationError(f"{printed} % is outside the rating bands ({rules.bands[0].low}–100 %).")
