"""The lead inspector, through the real service: the administrator names one per assessment; laptops
learn who it is at their next pull (only clients that ask for it see the field); only the lead's
laptop agrees judgements, sets the final rating and publishes, and the service refuses the same from
anyone else's device in words."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import requests
from sync_fixtures import PROTOCOL_HEADERS, Device, RawDevice, Service, colleagues, raw_device

from fieldapp import domain
from fieldapp.errors import ValidationError
from fieldapp.ids import uuid7
from fieldapp.judgements import judgement_id, rating_id
from fieldapp.revisions import revision
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


LEADERSHIP = "shared-direction-culture"


def _item(device: RawDevice, assessment_id: str, kind: str, content: object, record_id: str, parents: tuple[str, ...] = ()) -> revision.SignedRevision:
    return device.revision(assessment_id, record_id=record_id, kind=kind, content=domain.item_to_dict(content), parents=parents)


def _acks(answer: requests.Response) -> list[tuple[str, str | None, str]]:
    assert answer.status_code == 200, answer.text[:500]
    return [(a["status"], a["code"], a.get("reason") or "") for a in answer.json()["acks"]]


def test_the_service_refuses_agreeing_a_final_rating_or_a_snapshot_from_a_colleagues_device_and_nothing_else(service: Service) -> None:
    assessment_id, (a, b) = service.team(inspectors=2)
    make_lead(service, assessment_id, a)
    lead, colleague = raw_device(service, a, "lead"), raw_device(service, b, "colleague")
    staffing, leadership = judgement_id(assessment_id, STAFFING), judgement_id(assessment_id, LEADERSHIP)
    draft = _item(colleague, assessment_id, "judgement", scored(3), staffing)
    agreed = _item(colleague, assessment_id, "judgement", dataclasses.replace(scored(3, "agreed"), statement_id=LEADERSHIP), leadership)
    final = _item(colleague, assessment_id, "rating", domain.RatingContent("cqc-ics-by-category@1", 2, "Weak staffing"), rating_id(assessment_id))
    published = _item(colleague, assessment_id, "rating_snapshot", domain.SnapshotContent("published", "2026-12-04", "", "cqc-ics-by-category@1"), uuid7())
    rules = _item(colleague, assessment_id, "rating", domain.RatingContent("cqc-ics-by-statement@1"), rating_id(assessment_id))

    answer = _acks(colleague.push(draft, agreed, final, published, rules))
    assert [(s, c) for s, c, _ in answer] == [
        ("accepted", None), ("rejected", "not_lead"), ("rejected", "not_lead"), ("rejected", "not_lead"), ("accepted", None),
    ]
    assert answer[1][2] == "Only the lead inspector, Inspector A, agrees judgements; this revision was refused, nothing else."
    assert "sets the final rating" in answer[2][2] and "publishes the rating" in answer[3][2]

    # The lead agrees the colleague's draft; the colleague may then edit the rationale of what is agreed.
    agreed_by_lead = _item(lead, assessment_id, "judgement", scored(3, "agreed"), staffing, (draft.id,))
    assert [s for s, _c, _r in _acks(lead.push(agreed_by_lead))] == ["accepted"]
    edited = _item(colleague, assessment_id, "judgement", dataclasses.replace(scored(3, "agreed"), strengths="Rotas full"), staffing, (agreed_by_lead.id,))
    same_final = _item(lead, assessment_id, "rating", domain.RatingContent("cqc-ics-by-statement@1", 2, "Weak staffing"), rating_id(assessment_id), (rules.id,))
    assert [s for s, _c, _r in _acks(colleague.push(edited))] == ["accepted"]
    reworded = _item(colleague, assessment_id, "rating", domain.RatingContent("cqc-ics-by-statement@1", 2, "Reworded"), rating_id(assessment_id), (rules.id,))
    assert [c for _s, c, _r in _acks(colleague.push(reworded))] == ["not_lead"]  # the reason is the lead's too
    assert [s for s, _c, _r in _acks(lead.push(same_final, _item(lead, assessment_id, "rating_snapshot", domain.SnapshotContent("published", "2026-12-04", "", "cqc-ics-by-statement@1"), uuid7())))] == ["accepted", "accepted"]
