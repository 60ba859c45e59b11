"""Validation messages name fields as the editor does ("Notes", "Contact 2: date"), never by path."""

from __future__ import annotations

import dataclasses
import re

import pytest

from fieldapp import domain
from fieldapp.errors import ValidationError
from fieldapp.links import passage_of
from fieldapp.vault import Vault

TOO_LONG = "x" * (domain.MAX_TEXT + 1)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("focus_group.notes", "Notes"),
        ("notes", "Notes"),
        ("observation.title", "Title"),
        ("observation.held_at", "When"),
        ("observation.attendees[0].organisation", "Attendee 1: organisation"),
        ("attendees.2", "Attendee 3"),
        ("interview.role", "Interviewee"),
        ("focus_group.role", "Who mainly took part"),
        ("interview.consent.given", "Consent given"),
        ("interview.consent.method", "Consent: how"),
        ("interview.consent.recorded_at", "Consent: when"),
        ("case_tracking.contacts[1].date", "Contact 2: date"),
        ("case_tracking.contacts[0].persons_account", "Contact 1: their account"),
        ("contacts.0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b.what_happened", "Contact: what happened"),
        ("contacts.order", "Order of the contacts"),
        ("focus_group.groups_represented[2]", "Groups represented, line 3"),
        ("focus_group.participants", "Number taking part"),
        ("focus_group", "Focus group"),
        ("interview.a_field_added_later", "A field added later"),
    ],
)
def test_a_field_path_reads_as_the_editor_names_the_field(path: str, label: str) -> None:
    assert domain.field_label(path) == label


def test_every_field_of_every_kind_has_a_label_of_its_own() -> None:
    def paths(cls: type, prefix: str) -> list[str]:
        found = []
        for f in dataclasses.fields(cls):
            found.append(f"{prefix}.{f.name}")
            nested = domain._NESTED.get(f.name)
            if nested is not None:
                item = f"{prefix}.{f.name}" + ("" if f.name == "consent" else "[0]")
                found += paths(nested, item)
        return found

    for kind in domain.KINDS:
        for path in paths(domain.content_class(kind), kind):
            key = re.sub(r"\[\d+\]", "[]", path.split(".", 1)[1])
            assert f"{kind}.{key}" in domain.FIELD_LABELS or key in domain.FIELD_LABELS, path


@pytest.mark.parametrize(
    ("content", "message", "field"),
    [
        (domain.FocusGroup(notes=TOO_LONG), "Notes are longer than 1,000,000 characters; shorten them so they can be saved.", "focus_group.notes"),
        (domain.Observation(title="ICB\x00board"), "Title contains a character that cannot be saved (NUL); delete it so the rest can be saved.", "observation.title"),
        (
            domain.CaseTracking(contacts=(domain.Contact("a"), domain.Contact("b", what_happened=TOO_LONG))),
            "Contact 2: what happened is longer than 1,000,000 characters; shorten it so it can be saved.",
            "case_tracking.contacts[1].what_happened",
        ),
        (
            domain.Observation(attendees=(domain.Attendee("Chair", "NHS\x00Northshire"),)),
            "Attendee 1: organisation contains a character that cannot be saved (NUL); delete it so the rest can be saved.",
            "observation.attendees[0].organisation",
        ),
        (domain.Interview(consent=domain.Consent(given="yes")), "Consent given must be yes or no.", "interview.consent.given"),  # type: ignore[arg-type]
        (domain.Interview(pseudonym=42), "Pseudonym must be text.", "interview.pseudonym"),  # type: ignore[arg-type]
        (domain.FocusGroup(groups_represented=("Carers", TOO_LONG)), "Groups represented, line 2 is longer than 1,000,000 characters; shorten it so it can be saved.", "focus_group.groups_represented[1]"),
        (domain.FocusGroup(participants=20_000), "Number taking part must be a whole number from 0 to 10,000.", "participants"),
    ],
)
def test_a_refused_value_is_explained_in_the_words_of_the_form(content: domain.Content, message: str, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        domain.validate(content)
    assert str(refused.value) == message
    assert refused.value.field == field


def test_a_too_long_paste_saved_to_the_vault_is_refused_with_the_field_named(vault: Vault, assessment_id: str) -> None:
    record = vault.records.create(assessment_id, domain.FocusGroup()).value
    with pytest.raises(ValidationError, match=r"^Notes are longer than 1,000,000 characters; shorten them so they can be saved\.$"):
        vault.records.save(record.id, domain.FocusGroup(notes=TOO_LONG))
    assert vault.records.get(record.id).content.notes == ""


def test_tagging_a_passage_of_a_field_the_record_lacks_names_the_field_in_words() -> None:
    with pytest.raises(ValidationError, match="^This record has no text field ‘Summary’"):
        passage_of(domain.Observation(notes="Chair opens"), "summary", 0, 5)
