"""Judgements and rating snapshots travel as signed revisions through the real service: two inspectors
scoring one statement offline make one judgement; different scores for one category are a conflict
on both laptops until one resolves it; a rationale edited by both merges by itself; a snapshot is
verified on the other laptop and can never be revised, by the vault or the service."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sync_fixtures import Device, Service, colleagues, raw_device

from fieldapp import domain
from fieldapp.compare import collision_words, compare
from fieldapp.errors import UnresolvedConflict
from fieldapp.judgements import judgement_id
from fieldapp.replication.exchange import PulledDevice, PulledPage
from fieldapp.revisions import revision
from fieldapp.revisions.canonical import canonical_json
from sync import protocol

STAFFING = "safe-effective-staffing"
PEOPLE, OUTCOMES = "peoples-experience", "outcomes"


def scored(**scores: int) -> domain.JudgementContent:
    return domain.JudgementContent(STAFFING, {k.replace("_", "-"): domain.ScoreEntry(v) for k, v in scores.items()})


def sync_both(first: Device, second: Device) -> None:
    first.sync()
    second.sync()
    first.sync()
    second.sync()


def test_two_inspectors_scoring_one_statement_offline_make_one_judgement_on_both_laptops(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    amara.vault.judgements.save(assessment_id, STAFFING, scored(peoples_experience=3))
    ben.vault.judgements.save(assessment_id, STAFFING, scored(outcomes=2))
    amara.sync()
    report = ben.sync()
    assert assessment_id in report.changes.judgements  # the judgement view reloads on a pull
    sync_both(amara, ben)

    mine, theirs = amara.vault.judgements.get(assessment_id, STAFFING), ben.vault.judgements.get(assessment_id, STAFFING)
    assert mine.id == theirs.id == judgement_id(assessment_id, STAFFING)
    assert mine.content == theirs.content
    assert {k: e.score for k, e in mine.content.scores.items()} == {PEOPLE: 3, OUTCOMES: 2}
    assert mine.content.scored_by == "Inspector A, Inspector B"  # both scored it
    assert not mine.conflict and not theirs.conflict
    assert mine.result is not None and mine.result.shown == 63  # 5/8 = 62.5 %, shown 63 under half up
    assert amara.vault.judgements.rating(assessment_id).computed_rating == "Good"
    assert amara.vault.records.list(assessment_id) == ()  # a judgement is never listed as evidence


def test_two_scores_for_one_category_are_a_conflict_on_both_laptops_until_one_resolves_it(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    amara.vault.judgements.save(assessment_id, STAFFING, scored(peoples_experience=3))
    ben.vault.judgements.save(assessment_id, STAFFING, scored(peoples_experience=1))
    sync_both(amara, ben)

    for device in (amara, ben):
        row = device.vault.judgements.get(assessment_id, STAFFING)
        assert row.conflict and row.sync_state == "conflict"
        versions = device.vault.judgements.versions(assessment_id, STAFFING)
        assert sorted(v.scores[PEOPLE].score for _id, v in versions) == [1, 3]  # side by side, neither lost
        assert [c.record_id for c in device.vault.replication.conflicts()] == [row.id]
        with pytest.raises(UnresolvedConflict, match="‘Safe and effective staffing’"):
            device.vault.judgements.snapshot(assessment_id)

    (conflict,) = amara.vault.replication.conflicts()  # the conflicts view records use shows it side by side
    assert conflict.title == "Judgement: Safe and effective staffing"
    assert [collision_words(c.path, conflict.heads[0].fields()) for c in conflict.collisions] == ["Score for People's experience"]
    sides = compare(conflict.heads, [c.path for c in conflict.collisions])
    assert sorted(next(f for f in side.fields if f.name == "scores").collides for side in sides) == [True, True]
    assert sorted("".join(s.text for s in next(f for f in side.fields if f.name == "scores").spans) for side in sides) == [
        "People's experience: 1 (significant shortfalls), updated", "People's experience: 3 (good standard), updated",
    ]

    versions = amara.vault.judgements.versions(assessment_id, STAFFING)
    keep = next(rev_id for rev_id, content in versions if content.scores[PEOPLE].score == 1)
    done = amara.vault.replication.resolve_item(judgement_id(assessment_id, STAFFING), take=keep)
    assert done.changes.judgements == {assessment_id}
    sync_both(amara, ben)

    for device in (amara, ben):
        row = device.vault.judgements.get(assessment_id, STAFFING)
        assert not row.conflict and row.content.scores[PEOPLE].score == 1
        assert device.vault.replication.conflicts() == []
    assert amara.vault.judgements.snapshot(assessment_id).value.verified


def test_strengths_edited_by_both_on_different_lines_merge_by_themselves(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    first = dataclasses.replace(scored(outcomes=3), strengths="Rotas filled\nAgency use falls\nNight cover agreed", improvements="Induction")
    amara.vault.judgements.save(assessment_id, STAFFING, first)
    sync_both(amara, ben)

    mine = amara.vault.judgements.get(assessment_id, STAFFING).content
    amara.vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(mine, strengths="Rotas filled in every ward\nAgency use falls\nNight cover agreed"))
    theirs = ben.vault.judgements.get(assessment_id, STAFFING).content
    edited = "Rotas filled\nAgency use falls\nNight cover agreed with the unions"
    ben.vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(theirs, strengths=edited, improvements="Induction\nSupervision"))
    sync_both(amara, ben)

    merged = amara.vault.judgements.get(assessment_id, STAFFING)
    assert not merged.conflict
    assert merged.content.strengths == "Rotas filled in every ward\nAgency use falls\nNight cover agreed with the unions"
    assert merged.content.improvements == "Induction\nSupervision"
    assert ben.vault.judgements.get(assessment_id, STAFFING).content == merged.content


def test_a_snapshot_pushed_and_pulled_is_verified_on_the_other_laptop(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    amara.vault.judgements.save(assessment_id, STAFFING, scored(peoples_experience=3, outcomes=2))
    amara.vault.judgements.set_final(assessment_id, 2, "Staffing gaps at night outweigh the rest")
    made = amara.vault.judgements.snapshot(assessment_id, note="Published to the ICS").value
    amara.sync()
    report = ben.sync()
    assert assessment_id in report.changes.judgements

    (pulled,) = ben.vault.judgements.snapshots(assessment_id)
    assert pulled.verified and pulled.id == made.id and pulled.content == made.content
    assert pulled.signed_by == "Inspector A, on ‘first’"
    assert (pulled.content.final_rating, pulled.content.computed_rating) == ("Requires improvement", "Good")
    assert ben.vault.judgements.rating(assessment_id).final_score == 2  # the rating item came too
    assert ben.vault.verify(attachments=False).ok
    assert [p.snapshot_id for p in ben.vault.judgements.history(assessment_id)] == [made.id]


def _snapshot_revision(device, assessment_id: str, snapshot_id: str, note: str, parents: tuple[str, ...] = ()) -> revision.SignedRevision:  # noqa: ANN001
    content = domain.item_to_dict(domain.SnapshotContent("published", "2026-12-04", note, "cqc-ics-by-category@1"))
    return device.revision(assessment_id, record_id=snapshot_id, kind="rating_snapshot", content=content, parents=parents)


def test_the_service_refuses_a_second_revision_of_a_snapshot(service: Service) -> None:
    assessment_id, (inspector,) = service.team()
    raw = raw_device(service, inspector)
    first = _snapshot_revision(raw, assessment_id, "01938c3a-0000-7000-8000-000000000001", "First")
    answer = raw.push(first)
    assert answer.json()["acks"][0]["status"] == "accepted", answer.text
    assert raw.push(first).json()["acks"][0]["status"] == "accepted"  # the same one again: idempotent
    revised = _snapshot_revision(raw, assessment_id, "01938c3a-0000-7000-8000-000000000001", "Changed", parents=(first.id,))
    another_root = _snapshot_revision(raw, assessment_id, "01938c3a-0000-7000-8000-000000000001", "Again")
    for second in (revised, another_root):
        (ack,) = raw.push(second).json()["acks"]
        assert (ack["status"], ack["code"]) == ("rejected", protocol.R_IMMUTABLE)
        assert "never changes once made" in ack["reason"]


def test_the_vault_refuses_a_second_revision_of_a_snapshot_it_holds(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    made = amara.vault.judgements.snapshot(assessment_id).value
    with amara.vault.transaction("reading the snapshot's revision") as session:
        head = session.execute(text("SELECT head_revision_id FROM records WHERE id = :id"), {"id": made.id}).scalar_one()
    intruder = raw_device(service, service.team()[1][0], "intruder")
    public = intruder.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    second = _snapshot_revision(intruder, assessment_id, made.id, "Quietly changed", parents=(head,))
    page = PulledPage((second,), (PulledDevice(intruder.device_id, public, "intruder"),), (), amara.vault.replication.cursor() or "")
    report = amara.vault.replication.apply_pull(page).value
    assert report.stored == 0 and any("never changes once made" in why for why in report.refused)
    (kept,) = amara.vault.judgements.snapshots(assessment_id)
    assert kept.content == made.content and kept.verified


def test_a_revision_of_a_newer_format_is_refused_with_update_fieldapp_by_the_service_and_the_vault(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    raw = raw_device(service, service.team()[1][0], "newer app")
    body = canonical_json({
        "format": 3, "record_id": "01938c3a-0000-7000-8000-000000000002", "assessment_id": assessment_id, "kind": "inspection_plan",
        "framework": "cqc-ics@2024.1", "parents": [], "deleted": False, "content": {"what": "A newer app's item"},
        "links": [], "attachments": [], "device_id": raw.device_id, "created_at": "2026-12-06T10:00:00.000000Z",
    })  # fmt: skip
    rev_id = revision.revision_id(body)
    newer = revision.SignedRevision(rev_id, body, revision.sign(raw.key, rev_id))  # type: ignore[arg-type]
    (ack,) = raw.push(newer).json()["acks"]
    assert ack["status"] == "rejected" and "update fieldapp" in ack["reason"] and "malformed" not in ack["reason"]

    public = raw.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    page = PulledPage((newer,), (PulledDevice(raw.device_id, public, "newer app"),), (), amara.vault.replication.cursor() or "")
    report = amara.vault.replication.apply_pull(page).value
    assert report.stored == 0 and any("update fieldapp" in why for why in report.refused)
    assert not any("altered" in why or "signature" in why for why in report.refused)


def test_an_evidence_date_kept_as_typed_stays_on_its_laptop_through_a_colleagues_edit_and_the_judgement_still_syncs(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    typed = {f"scores.{PEOPLE}.evidence_date": "last Tuesday"}
    amara.vault.judgements.save(assessment_id, STAFFING, scored(peoples_experience=3), as_typed=typed)
    sync_both(amara, ben)
    theirs = ben.vault.judgements.get(assessment_id, STAFFING)
    assert theirs.content.scores[PEOPLE] == domain.ScoreEntry(3, "updated", "")  # the score travels; no date until it reads
    assert theirs.as_typed == {}  # the text as typed is this laptop's, as a record's date is
    ben.vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(theirs.content, strengths="Rotas planned a month ahead"))
    sync_both(amara, ben)
    mine = amara.vault.judgements.get(assessment_id, STAFFING)
    assert mine.content.strengths == "Rotas planned a month ahead" and mine.as_typed == typed  # a colleague's edit is no reason to lose it
