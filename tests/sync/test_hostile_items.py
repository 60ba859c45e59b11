"""Judgements, ratings and rating snapshots as a hostile or buggy client sends them: an item that takes
another's id (a derived id of another assessment or statement, or an evidence record squatting one), a
revision that changes a record's kind, the wrong body format for a kind, a snapshot revised in any way
(a second root, a child, a delete, a merge; in one batch or two), too much of anything. Each is refused
with its code and words, never stored, never a 500 — on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa
from sync_fixtures import RawDevice, Service, raw_device

from fieldapp import domain
from fieldapp.ids import uuid7
from fieldapp.judgements import judgement_id, rating_id
from fieldapp.revisions import graph, revision
from fieldapp.revisions.canonical import canonical_json
from sync import protocol

STAFFING, LEADERSHIP = "safe-effective-staffing", "shared-direction-culture"
JUDGEMENT = domain.item_to_dict(domain.JudgementContent(STAFFING, {"peoples-experience": domain.ScoreEntry(3)}))
RATING = domain.item_to_dict(domain.RatingContent("cqc-ics-by-category@1"))
SNAPSHOT = domain.item_to_dict(domain.SnapshotContent("published", "2026-12-04", "First", "cqc-ics-by-category@1"))


@dataclass
class Teams:
    service: Service
    mine: str
    theirs: str
    device: RawDevice
    colleague: RawDevice
    outsider: RawDevice


@pytest.fixture
def teams(service: Service) -> Teams:
    mine, (a, a2) = service.team("Northshire ICS", inspectors=2)
    theirs, (b,) = service.team("Westshire ICS")
    return Teams(service, mine, theirs, raw_device(service, a), raw_device(service, a2), raw_device(service, b))


def acks(answer: requests.Response) -> list[tuple[str, str | None, str]]:
    assert answer.status_code == 200, answer.text[:500]
    return [(a["status"], a["code"], a.get("reason") or "") for a in answer.json()["acks"]]


def accepted(answer: requests.Response) -> None:
    assert [a[:2] for a in acks(answer)] == [("accepted", None)] * len(answer.json()["acks"]), answer.text[:500]


def judgement(device: RawDevice, assessment_id: str, *, record_id: str | None = None, content: dict | None = None,
              parents: tuple[str, ...] = ()) -> revision.SignedRevision:  # fmt: skip
    return device.revision(
        assessment_id, record_id=record_id or judgement_id(assessment_id, STAFFING), kind="judgement",
        content=content or JUDGEMENT, parents=parents,
    )  # fmt: skip


def revisions_of(service: Service, record_id: str) -> int:
    with service.engine.connect() as connection:
        return connection.scalar(sa.text("SELECT count(*) FROM revisions WHERE record_id = :id"), {"id": record_id})


# -- identity: an item's id is its own, and nobody else's ---------------------------------------------


def test_another_team_cannot_squat_a_judgements_derived_id_with_an_evidence_record(teams: Teams) -> None:
    squatted = judgement_id(teams.mine, STAFFING)  # derived: anyone who knows the assessment id can compute it
    squat = teams.outsider.revision(teams.theirs, record_id=squatted)
    ((status, code, reason),) = acks(teams.outsider.push(squat))
    assert (status, code) == ("rejected", protocol.R_RECORD) and "derived" in reason
    accepted(teams.device.push(judgement(teams.device, teams.mine)))  # the real one is not blocked


def test_another_team_cannot_squat_a_judgements_derived_id_with_a_judgement_of_its_own_assessment(teams: Teams) -> None:
    squat = judgement(teams.outsider, teams.theirs, record_id=judgement_id(teams.mine, STAFFING))
    ((status, code, reason),) = acks(teams.outsider.push(squat))
    assert (status, code) == ("rejected", protocol.R_RECORD) and "its statement" in reason
    accepted(teams.device.push(judgement(teams.device, teams.mine)))


@pytest.mark.parametrize("kind", ["rating_snapshot", "observation"])
def test_a_derived_id_is_never_taken_by_a_snapshot_or_evidence_of_the_same_assessment(teams: Teams, kind: str) -> None:
    content = SNAPSHOT if kind == "rating_snapshot" else None
    squat = teams.colleague.revision(teams.mine, record_id=rating_id(teams.mine), kind=kind, content=content)
    ((status, code, _reason),) = acks(teams.colleague.push(squat))
    assert (status, code) == ("rejected", protocol.R_RECORD)
    accepted(teams.device.push(teams.device.revision(teams.mine, record_id=rating_id(teams.mine), kind="rating", content=RATING)))


@pytest.mark.parametrize("wrong", ["random", "other statement", "rating's"])
def test_a_judgement_whose_id_is_not_the_derived_id_of_its_statement_is_refused(teams: Teams, wrong: str) -> None:
    record_id = {"random": uuid7(), "other statement": judgement_id(teams.mine, LEADERSHIP), "rating's": rating_id(teams.mine)}[wrong]
    ((status, code, reason),) = acks(teams.device.push(judgement(teams.device, teams.mine, record_id=record_id)))
    assert (status, code) == ("rejected", protocol.R_RECORD) and "its statement" in reason
    assert revisions_of(teams.service, record_id) == 0


def test_a_rating_whose_id_is_not_its_assessments_derived_id_is_refused(teams: Teams) -> None:
    for record_id in (uuid7(), judgement_id(teams.mine, STAFFING)):
        rev = teams.device.revision(teams.mine, record_id=record_id, kind="rating", content=RATING)
        ((status, code, _reason),) = acks(teams.device.push(rev))
        assert (status, code) == ("rejected", protocol.R_RECORD)


@pytest.mark.parametrize("first_kind, then_kind", [("observation", "judgement"), ("judgement", "rating_snapshot"), ("rating", "judgement")])
def test_a_revision_that_changes_a_records_kind_is_refused(teams: Teams, first_kind: str, then_kind: str) -> None:
    record_id = {"observation": uuid7(), "judgement": judgement_id(teams.mine, STAFFING), "rating": rating_id(teams.mine)}[first_kind]
    contents = {"observation": None, "judgement": JUDGEMENT, "rating": RATING, "rating_snapshot": SNAPSHOT}
    first = teams.device.revision(teams.mine, record_id=record_id, kind=first_kind, content=contents[first_kind])
    accepted(teams.device.push(first))
    for parents in ((first.id,), ()):  # a child, and a second root
        then = teams.device.revision(teams.mine, record_id=record_id, kind=then_kind, content=contents[then_kind], parents=parents)
        ((status, code, _reason),) = acks(teams.device.push(then))
        assert (status, code) == ("rejected", protocol.R_RECORD)
    assert revisions_of(teams.service, record_id) == 1


def _body(device: RawDevice, assessment_id: str, *, fmt: int, kind: str, record_id: str, content: dict) -> revision.SignedRevision:
    body = canonical_json({
        "format": fmt, "record_id": record_id, "assessment_id": assessment_id, "kind": kind, "framework": "cqc-ics@2024.1",
        "parents": [], "deleted": False, "content": content, "links": [], "attachments": [], "device_id": device.device_id,
        "created_at": "2026-12-06T10:00:00.000000Z",
    })  # fmt: skip
    rev_id = revision.revision_id(body)
    return revision.SignedRevision(rev_id, body, revision.sign(device.key, rev_id))  # type: ignore[arg-type]


def test_a_format_1_item_and_a_format_2_record_are_malformed_bodies(teams: Teams) -> None:
    item = _body(teams.device, teams.mine, fmt=1, kind="judgement", record_id=judgement_id(teams.mine, STAFFING), content=JUDGEMENT)
    record = _body(teams.device, teams.mine, fmt=2, kind="observation", record_id=uuid7(), content={"title": "ICB board"})
    for (status, code, reason) in acks(teams.device.push(item, record)):
        assert (status, code) == ("rejected", protocol.R_BODY) and "format does not match its kind" in reason


@pytest.mark.parametrize("kind", ["judgement", "rating", "rating_snapshot"])
def test_an_item_of_another_teams_assessment_is_a_403_and_nothing_of_the_batch_is_stored(teams: Teams, kind: str) -> None:
    record_id = {"judgement": judgement_id(teams.mine, STAFFING), "rating": rating_id(teams.mine), "rating_snapshot": uuid7()}[kind]
    content = {"judgement": JUDGEMENT, "rating": RATING, "rating_snapshot": SNAPSHOT}[kind]
    theirs = teams.outsider.revision(teams.mine, record_id=record_id, kind=kind, content=content)
    own = judgement(teams.outsider, teams.theirs)
    answer = teams.outsider.push(own, theirs)
    assert answer.status_code == 403, answer.text[:300]
    assert revisions_of(teams.service, record_id) == 0 and revisions_of(teams.service, judgement_id(teams.theirs, STAFFING)) == 0


@pytest.mark.parametrize("kind", ["judgement", "rating"])
def test_an_item_is_never_deleted(teams: Teams, kind: str) -> None:
    record_id = judgement_id(teams.mine, STAFFING) if kind == "judgement" else rating_id(teams.mine)
    content = JUDGEMENT if kind == "judgement" else RATING
    first = teams.device.revision(teams.mine, record_id=record_id, kind=kind, content=content)
    accepted(teams.device.push(first))
    for parents in ((first.id,), ()):
        gone = teams.colleague.revision(teams.mine, record_id=record_id, kind=kind, content=content, parents=parents, deleted=True)
        ((status, code, reason),) = acks(teams.colleague.push(gone))
        assert (status, code) == ("rejected", protocol.R_RECORD) and "never deleted" in reason
    assert revisions_of(teams.service, record_id) == 1


# -- a snapshot never changes ---------------------------------------------------------------------


def snapshot(device: RawDevice, assessment_id: str, snapshot_id: str, note: str = "First", *, parents: tuple[str, ...] = (),
             deleted: bool = False) -> revision.SignedRevision:  # fmt: skip
    content = {**SNAPSHOT, "note": note}
    return device.revision(assessment_id, record_id=snapshot_id, kind="rating_snapshot", content=content, parents=parents, deleted=deleted)


def test_a_snapshot_is_never_revised_whatever_the_second_revision_is(teams: Teams) -> None:
    snapshot_id = uuid7()
    first = snapshot(teams.device, teams.mine, snapshot_id)
    accepted(teams.device.push(first))
    seconds = {
        "second root": snapshot(teams.colleague, teams.mine, snapshot_id, "Again"),
        "child": snapshot(teams.colleague, teams.mine, snapshot_id, "Changed", parents=(first.id,)),
        "delete": snapshot(teams.colleague, teams.mine, snapshot_id, parents=(first.id,), deleted=True),
        "root delete": snapshot(teams.colleague, teams.mine, snapshot_id, deleted=True),
    }
    for what, second in seconds.items():
        ((status, code, reason),) = acks(teams.colleague.push(second))
        if "delete" in what:  # refused before anything stored is read: no item is ever deleted
            assert (status, code) == ("rejected", protocol.R_RECORD) and "never deleted" in reason, what
        else:
            assert (status, code) == ("rejected", protocol.R_IMMUTABLE) and "never changes once made" in reason, what
    assert revisions_of(teams.service, snapshot_id) == 1


def test_a_merge_of_two_snapshot_roots_is_refused(teams: Teams) -> None:
    snapshot_id = uuid7()
    one, two = snapshot(teams.device, teams.mine, snapshot_id), snapshot(teams.colleague, teams.mine, snapshot_id)
    accepted(teams.device.push(one))
    merged = graph.auto_merge(None, *sorted((one, two), key=lambda r: r.id))
    assert isinstance(merged, revision.SignedRevision)  # alike: the merge rules would fold them into one
    for answer in (acks(teams.colleague.push(two, merged)), acks(teams.device.push(merged))):
        assert all((status, code) == ("rejected", protocol.R_IMMUTABLE) for status, code, _ in answer), answer
    assert revisions_of(teams.service, snapshot_id) == 1


def test_two_roots_of_one_snapshot_in_one_batch_store_the_first_only(teams: Teams) -> None:
    snapshot_id = uuid7()
    one, two = snapshot(teams.device, teams.mine, snapshot_id, "One"), snapshot(teams.device, teams.mine, snapshot_id, "Two")
    child = snapshot(teams.device, teams.mine, snapshot_id, "Three", parents=(one.id,))
    answers = acks(teams.device.push(one, two, child))
    assert [a[:2] for a in answers] == [("accepted", None), ("rejected", protocol.R_IMMUTABLE), ("rejected", protocol.R_IMMUTABLE)]
    assert revisions_of(teams.service, snapshot_id) == 1


# -- too much of anything ---------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["key evidence", "scores", "category id", "statement id"])
def test_a_judgement_with_too_much_of_anything_is_invalid_content(teams: Teams, what: str) -> None:
    content = dict(JUDGEMENT)
    if what == "key evidence":
        content["key_evidence"] = [{"record_id": str(i), "link_id": ""} for i in range(100_000)]
    elif what == "scores":
        content["scores"] = {f"c{i:05}": {"score": 3, "basis": "updated", "evidence_date": ""} for i in range(20_000)}
    elif what == "category id":
        content["scores"] = {"c" * 100_000: {"score": 3, "basis": "updated", "evidence_date": ""}}
    record_id = None
    if what == "statement id":
        content["statement_id"] = "s" * 100_000
        record_id = judgement_id(teams.mine, content["statement_id"])
    ((status, code, reason),) = acks(teams.device.push(judgement(teams.device, teams.mine, record_id=record_id, content=content)))
    assert (status, code) == ("rejected", protocol.R_CONTENT)
    assert "more than" in reason or "longer than" in reason


def test_two_roots_of_one_snapshot_pushed_at_once_store_one_on_postgresql(tmp_path) -> None:  # noqa: ANN001
    """Two transactions that each see no snapshot yet: the second must not store a second version when the
    first commits (on PostgreSQL both read before either wrote; SQLite's writers take turns anyway)."""
    import threading

    from sync_fixtures import backend_service

    from sync.server import push
    from sync.server.identity import Caller

    with backend_service("postgresql", tmp_path / "service") as service:
        assessment_id, (inspector,) = service.team()
        raw = raw_device(service, inspector)
        snapshot_id = uuid7()
        one, two = snapshot(raw, assessment_id, snapshot_id, "One"), snapshot(raw, assessment_id, snapshot_id, "Two")
        public = raw.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
        caller = Caller(raw.device_id, inspector, frozenset({assessment_id}), public)
        batches = [push.prepare(caller=caller, batch=protocol.PushRequest.model_validate({"revisions": [wire]}))
                   for wire in ({"id": r.id, "body": r.body.decode(), "signature": _b64(r.signature)} for r in (one, two))]  # fmt: skip
        answers: list[protocol.PushResponse] = []
        first = service.engine.connect()
        first.begin()
        answers.append(push.accept_prepared(connection=first, caller=caller, incoming=batches[0]))

        def second() -> None:
            with service.engine.begin() as connection:
                answers.append(push.accept_prepared(connection=connection, caller=caller, incoming=batches[1]))

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=1.0)  # it reads, then waits on the first's uncommitted rows (or on a lock)
        first.commit()
        first.close()
        racer.join(timeout=30)
        assert not racer.is_alive()
        assert [a.status for r in answers for a in r.acks] == ["accepted", "rejected"]
        assert answers[1].acks[0].code == protocol.R_IMMUTABLE
        assert revisions_of(service, snapshot_id) == 1


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()
