"""Dates as inspectors in England type them, kept as ISO 8601 with the local offset."""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest

from fieldapp.dates import parse_when, show_long, show_moment, show_when
from fieldapp.errors import UnreadableDate, ValidationError

NOW = datetime(2026, 11, 22, 9, 0)


@pytest.fixture
def london():  # noqa: ANN201 - a time zone with summer time, as inspectors' laptops have
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("21/11/2026", "2026-11-21"),
        ("21/11/2026 12:30", "2026-11-21T12:30+00:00"),
        ("21/11/26 2.30pm", "2026-11-21T14:30+00:00"),
        ("21-11-2026 at 9am", "2026-11-21T09:00+00:00"),
        ("21.11.2026 14.30", "2026-11-21T14:30+00:00"),
        ("21 Nov 2026 14:30", "2026-11-21T14:30+00:00"),
        ("Sat 21st November 2026, 14:30", "2026-11-21T14:30+00:00"),
        ("Nov 21, 2026 2 pm", "2026-11-21T14:00+00:00"),
        ("21 nov", "2026-11-21"),
        ("21/11 9:05", "2026-11-21T09:05+00:00"),
        ("today 14:30", "2026-11-22T14:30+00:00"),
        ("yesterday", "2026-11-21"),
        ("tomorrow noon", "2026-11-23T12:00+00:00"),
        ("2026-11-21 14:30", "2026-11-21T14:30+00:00"),
        ("2026-11-21T14:30", "2026-11-21T14:30+00:00"),
        ("2026-11-21T14:30+01:00", "2026-11-21T14:30+01:00"),
        ("  ", None),
    ],
)
def test_the_ways_people_in_england_write_dates_are_read_day_first(london, typed: str, kept: str | None) -> None:  # noqa: ANN001
    assert parse_when(typed, now=NOW) == kept


def test_a_summer_time_is_kept_with_its_offset_and_shown_as_the_wall_time(london) -> None:  # noqa: ANN001
    kept = parse_when("21/06/2026 12:30", now=NOW)
    assert kept == "2026-06-21T12:30+01:00"
    assert datetime.fromisoformat(kept).astimezone().utcoffset().total_seconds() == 3600
    assert show_when(kept) == "21/06/2026 12:30"
    assert show_long(kept) == "Sun 21 Jun 2026, 12:30"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("yesterday afternoon", "Type it like 21/11/2026 14:30"),
        ("31/02/2026", "February 2026 has no day 31"),
        ("21/13/2026", "no month 13: dates are read day/month/year"),
        ("11/21/2026", "no month 21"),
        ("21/11/2026 25:00", "25:00 is not a time of day"),
        ("13pm today", "is not a date and time I can read"),
    ],
)
def test_text_that_is_not_a_date_says_how_to_type_one(typed: str, says: str) -> None:
    with pytest.raises(UnreadableDate) as raised:
        parse_when(typed, now=NOW)
    assert says in str(raised.value) and isinstance(raised.value, ValidationError)


def test_month_first_when_the_system_says_so() -> None:
    assert parse_when("11/21/2026 2pm", day_first=False, now=NOW).startswith("2026-11-21T14:00")
    assert show_when("2026-11-21T14:00+00:00", day_first=False) == "11/21/2026 14:00"


def test_values_kept_before_offsets_and_text_kept_as_typed_are_shown_as_they_are() -> None:
    assert show_when("2026-11-20T10:00") == "20/11/2026 10:00"
    assert show_when("2026-11-20") == "20/11/2026"
    assert show_when("Tuesday-ish") == "Tuesday-ish"
    assert show_when(None) == ""


def test_a_moment_the_app_stamped_is_shown_in_local_time_day_first_and_today_in_words(london) -> None:  # noqa: ANN001
    summer_afternoon = datetime(2026, 6, 21, 15, 0).astimezone()  # BST: one hour ahead of UTC
    assert show_moment("2026-06-21T13:32:05.123456Z", now=summer_afternoon) == "14:32 today"
    assert show_moment("2026-06-20T23:10:00.000000Z", now=summer_afternoon) == "00:10 today"  # UTC's yesterday, here today
    assert show_moment("2026-06-20T08:00:00Z", now=summer_afternoon) == "09:00 yesterday"
    assert show_moment("2026-11-21T14:32:00Z", now=datetime(2026, 12, 1, 9, 0).astimezone()) == "21/11/2026 14:32"  # GMT
    assert show_moment("2026-11-21T14:32:00Z", day_first=False, now=datetime(2026, 12, 1, 9, 0).astimezone()) == "11/21/2026 14:32"
    assert show_moment(None) == "" and show_moment("not a time") == "not a time"
