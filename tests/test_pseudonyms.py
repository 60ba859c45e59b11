"""'Never a real name': a pseudonym that looks like a person's name, address or contact details is
flagged with the reason, before it is saved and synced; typical pseudonyms pass quietly."""

from __future__ import annotations


import pytest

from fieldapp import framework
from fieldapp.pseudonyms import ADVICE, FIRST_NAMES_FILE, first_names, real_name_warning

PSEUDONYMS = [
    "", "Person A", "Person P17", "Carer 3", "Carer C4", "P1", "Service user B", "Mr X", "Mrs B", "Ms Y", "Dr Z",
    "Interviewee 12", "Leader L2 (ICB)", "Staff member, ward 7", "Partner 4 (voluntary sector)", "Resident of Northshire",
    "Carer of Person A", "Family member F2", "Margaret", "Grace", "Person who uses services 9", "Jane Doe", "Joe Bloggs",
    "Mary B", "Young carer Y1", "Patient 2026-11", "Ward 7 nurse", "Focus group member 3", "Case 42", "Person P3 (Park ward)",
    "Advocate A1", "Team 2 Green", "Dr X of the Hill surgery", "Person 14",
]  # fmt: skip

REAL = [
    ("Margaret Thompson", "‘Margaret Thompson’ looks like a first name and a surname"),
    ("Amara Okafor", "‘Amara Okafor’ looks like a first name and a surname"),
    ("MARGARET THOMPSON", "‘MARGARET THOMPSON’ looks like a first name and a surname"),
    ("Siobhan O'Neill", "‘Siobhan O'Neill’ looks like a first name and a surname"),
    ("Mohammed Khan-Ali", "‘Mohammed Khan-Ali’ looks like a first name and a surname"),
    ("Carer: Sarah Jones", "‘Sarah Jones’ looks like a first name and a surname"),
    ("Thompson, Margaret", "‘Thompson, Margaret’ looks like a surname and a first name"),
    ("Mrs Thompson", "‘Mrs Thompson’ looks like a person's title and name"),
    ("Mrs Margaret Thompson", "‘Mrs Margaret Thompson’ looks like a person's title and name"),
    ("Dr A. Patel", "‘Dr A. Patel’ looks like a person's title and name"),
    ("Mr. Okoro", "‘Mr. Okoro’ looks like a person's title and name"),
    ("14 Mill Lane", "‘14 Mill Lane’ looks like part of an address"),
    ("lives at 3 St John's Road", "‘3 St John's Road’ looks like part of an address"),
    ("22a Acacia Avenue", "‘22a Acacia Avenue’ looks like part of an address"),
    ("Flat 3, the old mill", "‘Flat 3’ looks like part of an address"),
    ("NE1 4ST", "‘NE1 4ST’ looks like a postcode"),
    ("Person A, SW1A 1AA", "‘SW1A 1AA’ looks like a postcode"),
    ("m14 5rd", "‘m14 5rd’ looks like a postcode"),
    ("07700 900123", "‘07700 900123’ looks like a phone number"),
    ("+44 7700 900123", "‘+44 7700 900123’ looks like a phone number"),
    ("0044 7700 900123", "‘0044 7700 900123’ looks like a phone number"),
    ("Carer (020) 7946 0958", "‘(020) 7946 0958’ looks like a phone number"),
    ("Carer C4 (07700-900-123)", "‘07700-900-123’ looks like a phone number"),
    ("amara.okafor@example.org", "‘amara.okafor@example.org’ looks like an email address"),
    ("Person A <p.a+notes@mail.example.co.uk>", "‘p.a+notes@mail.example.co.uk’ looks like an email address"),
]


@pytest.mark.parametrize("pseudonym", PSEUDONYMS)
def test_a_typical_pseudonym_raises_no_warning(pseudonym: str) -> None:
    assert real_name_warning(pseudonym) is None


@pytest.mark.parametrize(("text", "reason"), REAL)
def test_a_name_address_or_contact_detail_is_flagged_with_the_reason(text: str, reason: str) -> None:
    warning = real_name_warning(text)
    assert warning == f"{reason}. {ADVICE}"


def test_a_name_with_an_address_names_both_in_the_order_written() -> None:
    warning = real_name_warning("Margaret Thompson, 14 Mill Lane")
    assert warning is not None and warning.startswith(
        "‘Margaret Thompson’ looks like a first name and a surname; ‘14 Mill Lane’ looks like part of an address."
    )


def test_the_advice_lets_the_inspector_carry_on() -> None:
    assert "carry on" in ADVICE and "pseudonym" in ADVICE


def test_the_first_names_ship_as_data_beside_the_framework_a_few_hundred_of_them() -> None:
    assert FIRST_NAMES_FILE.parent.parent == framework.RESOURCES_DIR
    names = first_names()
    assert 300 <= len(names) <= 2000
    assert {"margaret", "amara", "mohammed", "siobhan", "tomasz"} <= names
    assert not names & {"person", "carer", "service", "user", "patient", "staff", "leader", "partner", "mr", "mrs"}


def test_a_long_paste_into_the_pseudonym_is_checked_and_found_to_be_pseudonyms() -> None:
    # Its speed is measured by `python -m bench vault` (pseudonym_paste_ms), not timed here.
    assert real_name_warning("Person A attended with their carer. " * 3000) is None
    assert real_name_warning("Person A attended with their carer. " * 3000 + "Margaret Thompson") is not None
