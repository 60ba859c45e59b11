"""An assessment's team and each member's role (issue 15): the lead inspector, inspectors,
specialist advisers and Experts by Experience, with the words the app shows for each role."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from fieldapp.errors import ValidationError

LEAD, INSPECTOR, SPECIALIST_ADVISER, EXPERT_BY_EXPERIENCE = "lead", "inspector", "specialist_adviser", "expert_by_experience"
ROLE_LABELS = {
    LEAD: "Lead inspector",
    INSPECTOR: "Inspector",
    SPECIALIST_ADVISER: "Specialist adviser",
    EXPERT_BY_EXPERIENCE: "Expert by Experience",
}
MAX_MEMBERS = 500  # as the wire's team list
MAX_NAME = 300


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str = INSPECTOR  # a key of ROLE_LABELS (a newer service's role is kept as it came)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, "Team member")


def members_from(team: Iterable[TeamMember | tuple[str, str] | str]) -> tuple[TeamMember, ...]:
    """A team as typed on this laptop: names with roles (a bare name is an inspector), each name once,
    at most one lead. ValidationError in words otherwise."""
    made: list[TeamMember] = []
    for member in team:
        if isinstance(member, str):
            member = TeamMember(member)
        elif not isinstance(member, TeamMember):
            member = TeamMember(*member)
        name = " ".join(member.name.split())
        if not name:
            continue
        if len(name) > MAX_NAME:
            raise ValidationError(f"A team member's name is at most {MAX_NAME} characters.", field="team")
        if member.role not in ROLE_LABELS:
            raise ValidationError(f"A team member is one of: {', '.join(ROLE_LABELS.values())}; not {member.role!r}.", field="team")
        if any(m.name.casefold() == name.casefold() for m in made):
            raise ValidationError("A name is in the team twice; give each member once, with one role.", field="team")
        made.append(TeamMember(name, member.role))
    if sum(m.role == LEAD for m in made) > 1:
        raise ValidationError("A team has one lead inspector; choose one.", field="team")
    if len(made) > MAX_MEMBERS:
        raise ValidationError(f"A team has at most {MAX_MEMBERS} members.", field="team")
    return tuple(made)


def members_json(members: Iterable[TeamMember]) -> str:
    """How the vault keeps them (assessments.members): a JSON list of {name, role}."""
    return json.dumps([{"name": m.name, "role": m.role} for m in members], ensure_ascii=False)


def members_of(members: str | None, team: str, lead_name: str | None) -> tuple[TeamMember, ...]:
    """The members the vault holds; a vault row without them (none written since issue 15) reads its
    names as inspectors, the service's lead as the lead."""
    if members:
        try:
            data = json.loads(members)
        except ValueError:
            data = None
        if isinstance(data, list) and data:
            return tuple(TeamMember(str(m.get("name", "")), str(m.get("role", INSPECTOR))) for m in data if isinstance(m, dict))
    names = json.loads(team) if team else []
    return tuple(TeamMember(n, LEAD if lead_name and n == lead_name else INSPECTOR) for n in names if isinstance(n, str))
