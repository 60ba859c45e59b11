"""This build's one version, as pyproject.toml names it: read once from the installed package's
metadata (or, from a source tree not installed, from pyproject.toml itself), and compared properly."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
_RELEASE = re.compile(r"\s*v?(\d+(?:\.\d+)*)")


@lru_cache(maxsize=1)
def app_version() -> str:
    """The installed package's version; from a source tree not installed, pyproject.toml's."""
    try:
        return metadata.version("fieldapp")
    except metadata.PackageNotFoundError:
        try:
            return str(tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def release(version: str) -> tuple[int, ...] | None:
    """The numbers of a version ("1.10.2" → (1, 10, 2)), trailing zeros dropped so 1.2 equals 1.2.0;
    None for text that does not start with one. Anything after the numbers (a pre-release tag) is ignored."""
    found = _RELEASE.match(version)
    if found is None:
        return None
    numbers = [int(part) for part in found.group(1).split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def is_newer(candidate: str, than: str) -> bool:
    """Whether `candidate` is a later release than `than` (1.10 is later than 1.9); False when
    either cannot be read, so an odd version string never nags anyone."""
    ours, theirs = release(than), release(candidate)
    return ours is not None and theirs is not None and theirs > ours
