"""Canonical JSON: one byte string for one value, so hashes and signatures agree on every device."""

from __future__ import annotations

import json
from typing import Any

from fieldapp.errors import ValidationError


def canonical_json(value: Any, *, float_free: bool = False) -> bytes:
    """Sorted keys, no spaces, UTF-8, and no floats (their spelling varies between platforms).

    float_free: the value came from loads_without_floats, so walking it again is wasted time.
    """
    if not float_free:
        _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def loads_without_floats(text: str) -> Any:
    """json.loads that refuses floats, NaN and Infinity as it parses (not by a walk afterwards)."""
    return json.loads(text, parse_float=_float_found, parse_constant=_float_found)


def _float_found(_text: str) -> Any:
    raise ValidationError("Canonical JSON carries no floating-point numbers.")


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise ValidationError("Canonical JSON carries no floating-point numbers.")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError("Canonical JSON keys must be text.")
            _refuse_floats(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_floats(item)
