"""Byte sizes in words, one way everywhere: the attachments panel, sync progress, and every message
that names a size (the service's limits too).

Decimal units: 1 kB = 1,000 bytes, 1 MB = 1,000,000 bytes, 1 GB = 10^9 bytes. That is what the
prefixes mean (SI, and the IEC's rule since 1998), what the Debian desktop's file manager (GNOME
Files) and macOS's Finder show, and how disks, memory cards and network speeds are sold. Windows
Explorer divides by 1,024 but still writes "MB", so its numbers read about 5 % (MB) to 7 % (GB)
smaller; mixing the two in one app would make the same file look like two sizes, so we never do.
Rounding: one decimal, half up, computed on the exact integer (no float ties), and in the unit that
keeps the number under 1,000 ("999.96 kB" becomes "1.0 MB", not "1000.0 kB").
"""

from __future__ import annotations

_UNITS = (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3))


def size_text(n: int) -> str:
    """A size for people: "512 bytes", "1 byte", "2.5 kB", "12.3 MB", "4.3 GB"."""
    n = max(int(n), 0)
    if n < 1000:
        return "1 byte" if n == 1 else f"{n} bytes"
    name, unit = _unit_of(n)
    return f"{_tenths(n, unit)} {name}"


def progress_text(done: int, total: int) -> str:
    """How much of a total, both in the total's unit so they compare at a glance: "12.0 of 300.0 MB"."""
    done, total = max(int(done), 0), max(int(total), 0)
    if total < 1000:
        return f"{done} of {total} bytes"
    name, unit = _unit_of(total)
    return f"{_tenths(done, unit)} of {_tenths(total, unit)} {name}"


def _unit_of(n: int) -> tuple[str, int]:
    """The largest unit not above n (n >= 1,000); the next one up when n would round to 1,000.0 in it."""
    index = next((i for i, (_name, unit) in enumerate(_UNITS) if n >= unit), len(_UNITS) - 1)
    name, unit = _UNITS[index]
    if index > 0 and (10 * n + unit // 2) // unit >= 10_000:
        return _UNITS[index - 1]
    return name, unit


def _tenths(n: int, unit: int) -> str:
    tenths = (10 * n + unit // 2) // unit  # half up, exactly
    return f"{tenths // 10:,}.{tenths % 10}"
