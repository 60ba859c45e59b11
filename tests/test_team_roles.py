"""An assessment's team with roles (issue 15) on a real vault: a local-only assessment is made and
changed with its members' roles; names alone stay working for every caller; roles are checked in
words; and an assessment on the service keeps the team its administrator sets."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fieldapp.errors import ManagedByService, ValidationError
from fieldapp.team import ROLE_LABELS, TeamMember
from fieldapp.vault import Vault


def test_a_local_assessment_is_made_and_changed_with_its_members_roles(vault: Vault) -> None:
    made = vault.assessments.create("Eastshire ICS", team=[("Ann Lee", "lead"), TeamMember("Dr Cara Singh", "specialist_adviser"), "  Bo  Ray "]).value
    assert made.team == ("Ann Lee", "Dr Cara Singh", "Bo Ray")  # names, as every caller had them
    assert [(m.name, m.role_label) for m in made.members] == [
        ("Ann Lee", "Lead inspector"), ("Dr Cara Singh", "Specialist adviser"), ("Bo Ray", "Inspector"),
    ]  # fmt: skip
    done = vault.assessments.set_team(made.id, [("Ann Lee", "inspector"), ("Di Fox", "expert_by_experience")])
    assert done.changes.assessments == {made.id}
    again = vault.assessments.get(made.id)
    assert again.team == ("Ann Lee", "Di Fox") and [m.role for m in again.members] == ["inspector", "expert_by_experience"]
    assert list(ROLE_LABELS.values()) == ["Lead inspector", "Inspector", "Specialist adviser", "Expert by Experience"]


def test_roles_are_checked_in_words_and_nothing_is_half_written(vault: Vault) -> None:
    aid = vault.assessments.create("Eastshire ICS", team=("Ann Lee",)).value.id
    with pytest.raises(ValidationError, match="one lead inspector"):
        vault.assessments.set_team(aid, [("Ann Lee", "lead"), ("Bo Ray", "lead")])
    with pytest.raises(ValidationError, match="not 'chair'"):
        vault.assessments.set_team(aid, [("Ann Lee", "chair")])
    with pytest.raises(ValidationError, match="^A name is in the team twice"):
        vault.assessments.set_team(aid, ["Ann Lee", "ann lee"])
    assert [(m.name, m.role) for m in vault.assessments.get(aid).members] == [("Ann Lee", "inspector")]


def test_an_assessment_on_the_service_keeps_the_team_its_administrator_sets(vault: Vault) -> None:
    aid = vault.assessments.create("Eastshire ICS").value.id
    with vault.transaction("as a pull leaves it") as session:
        session.execute(text("UPDATE assessments SET on_service = 1 WHERE id = :id"), {"id": aid})
    with pytest.raises(ManagedByService, match="ask its administrator to change its team"):
        vault.assessments.set_team(aid, ["Ann Lee"])
