"""Identifiers: UUIDv7 (time-ordered, so new records sort and index well), name-based UUIDv8 (the same
thing named on two laptops gets one id), and UTC timestamps."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from datetime import datetime, timezone

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter and random bits.

    The counter keeps ids made within one millisecond in creation order.
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


_DERIVED_DOMAIN = b"fieldapp-derived-id-v1\n"


def derived_uuid(*names: str) -> str:
    """A UUIDv8 (RFC 9562) from the SHA-256 of its names: ("judgement", assessment id, statement
    id) gives one id on every device, so two inspectors who start one judgement offline make one item.

    The names are hashed as a JSON list, so ("a", "bc") and ("ab", "c") never share an id.
    """
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError("A derived id needs one or more non-empty names.")
    digest = hashlib.sha256(_DERIVED_DOMAIN + json.dumps(list(names), ensure_ascii=False, separators=(",", ":")).encode()).digest()
    value = int.from_bytes(digest[:16], "big")
    value &= ~(0xF << 76)
    value |= 0x8 << 76  # version 8
    value &= ~(0b11 << 62)
    value |= 0b10 << 62  # the RFC variant
    return str(uuid.UUID(int=value))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC, microseconds, 'Z': one spelling so that hashes of the same moment agree."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
