"""Sizes in words: one unit system (decimal: 1 MB = 1,000,000 bytes) and one rounding everywhere."""

from __future__ import annotations

import pytest

from fieldapp.sizes import progress_text, size_text


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1_000, "1.0 kB"),
        (1_049, "1.0 kB"),
        (1_050, "1.1 kB"),  # half up, on the exact integer (a float would round this tie to even)
        (950_000, "950.0 kB"),
        (999_949, "999.9 kB"),
        (999_950, "1.0 MB"),  # never "1000.0 kB"
        (3_000_009, "3.0 MB"),  # a binary "MB" would say 2.9
        (12_345_678, "12.3 MB"),
        (2 << 30, "2.1 GB"),  # the service's staging limit: 2 GiB
        (2**32 - 1, "4.3 GB"),  # FAT32's largest file
        (123_456_789_012_345, "123.5 TB"),
        (10**15, "1,000.0 TB"),
    ],
)
def test_a_size_reads_in_decimal_units_with_one_decimal_rounded_half_up(n: int, words: str) -> None:
    assert size_text(n) == words


def test_progress_gives_both_numbers_in_the_totals_unit() -> None:
    assert progress_text(12_000_000, 300_000_000) == "12.0 of 300.0 MB"
    assert progress_text(0, 1_500) == "0.0 of 1.5 kB"
    assert progress_text(5, 800) == "5 of 800 bytes"
    assert progress_text(999_960, 999_960) == "1.0 of 1.0 MB"
