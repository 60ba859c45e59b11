"""The lead inspector, through the real service: the administrator names one per assessment; laptops
learn who it is at their next pull (only clients that ask for it see the field); only the lead's
laptop agrees judgements, sets the final rating and publishes, and the service refuses the same from
anyone else's device in words."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sync_fixtures import PROTOCOL_HEADERS, Device, Service, colleagues, raw_device

from fieldapp import domain
from fieldapp.errors import ValidationError
from sync import protocol
from sync.server import admin


def make_lead(service: Service, assessment_id: str, inspector_id: str) -> None:
    with service.admin() as session:
        admin.set_lead(session, assessment_id, inspector_id)


def inspector_ids(service: Service, assessment_id: str) -> list[str]:
    with service.admin() as session:
        return [m.inspector_id for m in sorted(admin.list_members(session, assessment_id), key=lambda m: m.name)]


def test_laptops_learn_the_lead_at_their_next_pull_and_whether_it_is_their_inspector(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    assert amara.vault.assessments.get(assessment_id).lead is None  # no lead: anyone agrees, as before
    assert amara.vault.assessments.get(assessment_id).i_lead and ben.vault.assessments.get(assessment_id).i_lead
    a, b = inspector_ids(service, assessment_id)

    make_lead(service, assessment_id, a)
    amara.sync()
    ben.sync()
    mine, theirs = amara.vault.assessments.get(assessment_id), ben.vault.assessments.get(assessment_id)
    assert (mine.lead, mine.lead_id, mine.i_lead) == ("Inspector A", a, True)
    assert (theirs.lead, theirs.lead_id, theirs.i_lead) == ("Inspector A", a, False)

    make_lead(service, assessment_id, b)  # the lead moves: one per assessment
    amara.sync()
    ben.sync()
    assert not amara.vault.assessments.get(assessment_id).i_lead
    assert ben.vault.assessments.get(assessment_id).lead == "Inspector B" and ben.vault.assessments.get(assessment_id).i_lead


def test_only_a_client_that_names_the_feature_is_sent_the_lead(service: Service) -> None:
    assessment_id, (a,) = service.team()
    make_lead(service, assessment_id, a)
    device = raw_device(service, a)
    older = device.pull().json()["assessments"][0]
    assert "lead" not in older and older["team"] == ["Inspector A"]  # older clients refuse fields they do not know
    newer = device.request(
        "POST", "/pull", json={"cursor": None}, headers={**PROTOCOL_HEADERS, protocol.FEATURES_HEADER: protocol.F_LEAD_INSPECTOR}
    ).json()["assessments"][0]
    assert newer["lead"] == {"id": a, "name": "Inspector A"}


STAFFING = "safe-effective-staffing"


def scored(score: int, status: str = "draft") -> domain.JudgementContent:
    return domain.JudgementContent(STAFFING, {"peoples-experience": domain.ScoreEntry(score)}, status=status)


def test_the_lead_agrees_and_it_syncs_while_a_colleague_is_refused_in_words_on_their_laptop(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    make_lead(service, assessment_id, inspector_ids(service, assessment_id)[0])
    amara.sync()
    ben.sync()

    ben.vault.judgements.save(assessment_id, STAFFING, scored(3))  # a colleague scores: a draft is theirs to save
    with pytest.raises(ValidationError, match="^Only the lead inspector, Inspector A, agrees judgements; "):
        ben.vault.judgements.save(assessment_id, STAFFING, scored(3, "agreed"))
    with pytest.raises(ValidationError, match="^Only the lead inspector, Inspector A, sets the final rating; "):
        ben.vault.judgements.set_final(assessment_id, 2, "Weak staffing evidence")
    with pytest.raises(ValidationError, match="^Only the lead inspector, Inspector A, publishes the rating; "):
        ben.vault.judgements.snapshot(assessment_id)
    with pytest.raises(ValidationError, match="^Only the lead inspector, Inspector A, records a review; "):
        ben.vault.judgements.snapshot(assessment_id, kind="review")
    assert ben.vault.judgements.get(assessment_id, STAFFING).content.status == "draft"  # nothing half-saved
    ben.sync()
    amara.sync()

    agreed = amara.vault.judgements.save(assessment_id, STAFFING, scored(3, "agreed")).value
    assert agreed.content.status == "agreed" and agreed.content.agreed_by == "Inspector A"
    amara.vault.judgements.set_final(assessment_id, 3, "")
    amara.vault.judgements.snapshot(assessment_id)
    amara.sync()
    ben.sync()
    theirs = ben.vault.judgements.get(assessment_id, STAFFING)
    assert (theirs.content.status, theirs.content.agreed_by) == ("agreed", "Inspector A")
    assert ben.vault.judgements.rating(assessment_id).final_score == 3
    assert len(ben.vault.judgements.snapshots(assessment_id)) == 1

    # A colleague changing the agreed scores makes it a draft again (kept), which the lead agrees anew.
    assert ben.vault.judgements.save(assessment_id, STAFFING, scored(2, "agreed")).value.content.status == "draft"


def test_without_a_lead_anyone_agrees_as_before(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, _amara, ben, _ = colleagues(service, make_device)
    assert ben.vault.judgements.save(assessment_id, STAFFING, scored(3, "agreed")).value.content.status == "agreed"
    ben.vault.judgements.snapshot(assessment_id)
