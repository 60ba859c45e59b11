"""Operations on an assessment's places and organisations and its team (issue 15): read the list,
add, rename, retire and restore an entry, set the team with roles; and what the evidence list's
filters and the coverage view read beside them (the list with the team, the case samples' counts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ui.operations import QueryOp, VaultOp

if TYPE_CHECKING:
    from fieldapp.places import PlaceRow, PlacesItem
    from fieldapp.samples import SampleCount
    from fieldapp.team import TeamMember

    from ui.state import AppState


@dataclass(frozen=True)
class FilterChoices:
    """What the evidence list's context filters offer for one assessment: every place and
    organisation (retired ones too: records may name them) and the team's names."""

    places: tuple[PlaceRow, ...]
    team: tuple[TeamMember, ...]
    samples: tuple[str, ...] = ()  # the case-tracking samples' names, as typed on the cases


def places_item(state: AppState, assessment_id: str) -> QueryOp[PlacesItem]:
    """Every entry with whether the list is in conflict, for the places and organisations dialog."""
    return QueryOp(state, lambda vault: vault.places.item(assessment_id))


def filter_choices(state: AppState, assessment_id: str) -> QueryOp[FilterChoices]:
    return QueryOp(
        state,
        lambda vault: FilterChoices(
            vault.places.list(assessment_id, include_retired=True), vault.assessments.get(assessment_id).members,
            tuple(count.sample for count in vault.case_samples(assessment_id)),
        ),
    )


def add_place(state: AppState, assessment_id: str, name: str, type: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.places.add(assessment_id, name, type), initiator=initiator)


def rename_place(state: AppState, assessment_id: str, place_id: str, name: str, *, initiator: object) -> VaultOp:
    return VaultOp(state, lambda vault: vault.places.rename(assessment_id, place_id, name), initiator=initiator)


def set_retired(state: AppState, assessment_id: str, place_id: str, retired: bool, *, initiator: object) -> VaultOp:
    """Retire an entry (no longer offered for new evidence) or restore it."""
    if retired:
        return VaultOp(state, lambda vault: vault.places.retire(assessment_id, place_id), initiator=initiator)
    return VaultOp(state, lambda vault: vault.places.restore(assessment_id, place_id), initiator=initiator)


def set_team(state: AppState, assessment_id: str, members: Iterable[TeamMember], *, initiator: object) -> VaultOp:
    team = tuple(members)
    return VaultOp(state, lambda vault: vault.assessments.set_team(assessment_id, team), initiator=initiator)


def case_samples(state: AppState, assessment_id: str) -> QueryOp[tuple[SampleCount, ...]]:
    return QueryOp(state, lambda vault: vault.case_samples(assessment_id))
