"""Vault values in the words and formats people read (en-GB), and who saved a revision."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from fieldapp import domain, readable
from fieldapp.signers import Signer, signer_of

LONDON_SUMMER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("2026-11-21T14:30:00.000000Z", "Sat 21 Nov 2026, 14:30"),
        ("2026-11-01T09:05:00Z", "Sun 1 Nov 2026, 09:05"),
        ("2026-07-01T08:00:00+00:00", "Wed 1 Jul 2026, 09:00"),  # an instant: shown in this laptop's time
    ],
)
def test_a_moment_reads_as_a_day_date_and_time(iso: str, words: str) -> None:
    assert readable.moment_words(iso, tz=LONDON_SUMMER if iso.startswith("2026-07") else timezone.utc) == words


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("2026-11-21T14:30", "21/11/2026 14:30"),
        ("2026-11-21T14:30+00:00", "21/11/2026 14:30"),
        ("2026-11-21", "21/11/2026"),
        (None, "—"),
        ("next tuesday", "next tuesday"),
    ],
)
def test_a_records_date_reads_day_first(iso: str | None, words: str) -> None:
    assert readable.when_words(iso) == words


def test_an_interview_reads_as_its_form_does() -> None:
    interview = domain.Interview(
        role="carer", pseudonym="Carer C4", consent=domain.Consent(True, "verbal", "2026-11-20T14:00"), held_at="2026-11-20T14:00"
    )
    fields = {label: lines for _name, label, lines in readable.content_fields(interview)}
    assert fields["Interviewee"] == ["Carer, family member or advocate"]
    assert fields["Consent"] == ["Consent given: yes", "How: Verbal", "When: 20/11/2026 14:00"]
    assert fields["When"] == ["20/11/2026 14:00"] and fields["Notes"] == []


def test_an_observation_and_a_case_read_as_lines_not_dicts() -> None:
    board = domain.Observation(meeting_type="health_wellbeing_board", attendees=(domain.Attendee("Chair", "Northshire ICB"),), notes="one\ntwo")
    fields = {name: lines for name, _label, lines in readable.content_fields(board)}
    assert fields["meeting_type"] == ["Health and wellbeing board"]
    assert fields["attendees"] == ["Chair (Northshire ICB)"] and fields["notes"] == ["one", "two"]
    case = domain.CaseTracking(contacts=(
        domain.Contact("c1", "Emergency department", "2026-10-01", "Admitted after a fall", "", "Waited 9 hours"),
        domain.Contact("c2", "Reablement team", None, "", "Hospital → Reablement"),
    ))  # fmt: skip
    (contacts,) = [lines for name, _label, lines in readable.content_fields(case) if name == "contacts"]
    assert contacts == [
        "1. 01/10/2026 · Emergency department: Admitted after a fall · their account: “Waited 9 hours”",
        "2. Reablement team · Hospital → Reablement",
    ]
    assert not any("{" in line or "Contact(" in line for line in contacts)


@pytest.mark.parametrize(
    ("signer", "words", "heading"),
    [
        (Signer("d1", "Amara Okafor", "Amara's laptop"), "Amara Okafor, on ‘Amara's laptop’", "Amara Okafor, on ‘Amara's laptop’"),
        (Signer("d0", ours=True), "you, on this laptop", "You, on this laptop"),
        (Signer("d2", "", "Inspector B – laptop"), "Inspector B – laptop", "Inspector B – laptop"),  # as an older service named it
        (Signer("d3", "Amara Okafor"), "Amara Okafor", "Amara Okafor"),
        (Signer("d4"), "someone on another laptop", "Someone on another laptop"),
    ],
)
def test_who_saved_a_revision_is_named_by_inspector_and_laptop(signer: Signer, words: str, heading: str) -> None:
    assert (signer.words(), signer.heading()) == (words, heading)


def test_a_device_the_vault_was_never_introduced_to_is_still_named_in_words() -> None:
    assert signer_of({}, "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b").words() == "someone on another laptop"
