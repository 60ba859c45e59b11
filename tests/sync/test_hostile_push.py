"""Pushes no honest device makes: forged, altered or malformed revisions (each refused on its own with
its code, the valid rest of the batch stored), replays (the same answer, nothing new), another team's
assessment or record (403 and nothing of the batch; with `team-refusals`, each refused alone and the
rest stored), batches over the limit, a device over its rate."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sync_fixtures import BACKENDS, RawDevice, Service, backend_service, raw_device, refused, stored, wire

from fieldapp.revisions import graph, revision
from fieldapp.revisions.canonical import canonical_json
from fieldapp.ids import uuid7
from sync import protocol
from sync.server import errors
from sync.server.settings import Limits

NOTES = {"title": "ICB board", "notes": "10:42 chair asks for the winter plan"}


@dataclass
class Teams:
    """Team A (two inspectors' devices) with one record in two heads; team B with one device."""

    service: Service
    mine: str  # team A's assessment
    theirs: str  # team B's assessment
    device: RawDevice
    colleague: RawDevice
    outsider: RawDevice
    base: revision.SignedRevision  # the record's first revision
    left: revision.SignedRevision  # two heads on it, lower id first
    right: revision.SignedRevision


@pytest.fixture
def teams(service: Service) -> Teams:
    mine, (a, a2) = service.team("Northshire ICS", inspectors=2)
    theirs, (b,) = service.team("Westshire ICS")
    device, colleague, outsider = raw_device(service, a), raw_device(service, a2), raw_device(service, b)
    record_id = uuid7()
    base = device.revision(mine, record_id=record_id, content=NOTES)
    one = device.revision(mine, record_id=record_id, parents=(base.id,), content={**NOTES, "title": "ICB board, November"})
    two = colleague.revision(mine, record_id=record_id, parents=(base.id,), content={**NOTES, "location": "County Hall"})
    assert _acks(device.push(base, one)) == {base.id: ("accepted", None), one.id: ("accepted", None)}
    assert _acks(colleague.push(two)) == {two.id: ("accepted", None)}
    left, right = sorted((one, two), key=lambda r: r.id)
    return Teams(service, mine, theirs, device, colleague, outsider, base, left, right)


def _acks(answer: requests.Response) -> dict[str, tuple[str, str | None]]:
    assert answer.status_code == 200, answer.text[:500]
    return {a["id"]: (a["status"], a["code"]) for a in answer.json()["acks"]}


def _stored_ids(service: Service) -> set[str]:
    with service.engine.connect() as connection:
        return set(connection.scalars(sa.text("SELECT id FROM revisions")))



def _hand_made(body: str, signer: RawDevice) -> dict:
    """A wire revision whose id is the true hash of whatever body text it carries."""
    rev_id = revision.revision_id(body.encode("utf-8", "surrogatepass"))
    return {"id": rev_id, "body": body, "signature": base64.b64encode(revision.sign(signer.key, rev_id)).decode()}  # type: ignore[arg-type]


def _resigned(t: Teams, fields: dict, *, canonical: bool = True) -> dict:
    text = canonical_json(fields).decode() if canonical else json.dumps(fields, indent=1)
    return _hand_made(text, t.device)


def _auto_merge_of(t: Teams, content: dict | None = None) -> revision.SignedRevision:
    merged = graph.auto_merge(t.base, t.left, t.right)
    assert isinstance(merged, revision.SignedRevision)
    if content is None:
        return merged
    fields = merged.fields()
    body = canonical_json({**fields, "content": {**fields["content"], **content}})
    return revision.SignedRevision(revision.revision_id(body), body, b"")


def _signed_by(key: Ed25519PrivateKey, rev: revision.SignedRevision) -> dict:
    return {**wire(rev), "signature": base64.b64encode(revision.sign(key, rev.id)).decode()}


def _attachment(sha256: object, size: object) -> tuple[dict, ...]:
    return ({"id": "att-1", "name": "flipchart.jpg", "media_type": "image/jpeg", "sha256": sha256, "size": size},)


Bad = Callable[[Teams], "dict | revision.SignedRevision"]
BAD_REVISIONS: dict[str, tuple[Bad, str]] = {
    "forged-signature": (lambda t: _signed_by(Ed25519PrivateKey.generate(), t.device.revision(t.mine)), protocol.R_SIGNATURE),
    "signature-of-another-revision": (
        lambda t: {**wire(t.device.revision(t.mine)), "signature": wire(t.base)["signature"]},
        protocol.R_SIGNATURE,
    ),
    "empty-signature": (lambda t: {**wire(t.device.revision(t.mine)), "signature": ""}, protocol.R_SIGNATURE),
    "body-altered-after-signing": (
        lambda t: {**wire(r := t.device.revision(t.mine)), "body": r.body.decode().replace("winter", "summer")},
        protocol.R_HASH,
    ),
    "id-not-the-hash": (lambda t: {**wire(t.device.revision(t.mine)), "id": "ab" * 32}, protocol.R_HASH),
    "non-canonical-body": (lambda t: _resigned(t, t.device.revision(t.mine).fields(), canonical=False), protocol.R_BODY),
    "unknown-parent": (lambda t: t.device.revision(t.mine, parents=("cd" * 32,)), protocol.R_PARENT),
    "parent-of-another-record": (lambda t: t.device.revision(t.mine, parents=(t.base.id,)), protocol.R_PARENT),
    "signed-under-a-colleagues-id": (lambda t: t.device.revision(t.mine, device_id=t.colleague.device_id), protocol.R_DEVICE),
    "auto-merge-that-is-not-the-merge": (lambda t: _auto_merge_of(t, {"title": "Something else"}), protocol.R_MERGE),
    "auto-merge-with-a-signature": (lambda t: _signed_by(t.device.key, _auto_merge_of(t)), protocol.R_MERGE),  # type: ignore[arg-type]
    "record-changes-kind": (
        lambda t: t.device.revision(t.mine, record_id=t.base.fields()["record_id"], parents=(t.left.id,), kind="interview", content={}),
        protocol.R_RECORD,
    ),
    "content-of-the-wrong-type": (lambda t: t.device.revision(t.mine, content={"title": 5}), protocol.R_CONTENT),
    "content-with-an-unknown-field": (lambda t: t.device.revision(t.mine, content={"colour": "red"}), protocol.R_CONTENT),
    "tombstone-with-garbage-content": (lambda t: t.device.revision(t.mine, deleted=True, content=[1, 2]), protocol.R_CONTENT),  # type: ignore[arg-type]
    "unknown-framework": (lambda t: t.device.revision(t.mine, framework="made-up@9.9"), protocol.R_FRAMEWORK),
    # Fields stored in columns of fixed width: each once made PostgreSQL answer 500.
    "record-id-not-a-uuid": (lambda t: t.device.revision(t.mine, record_id="r" * 80), protocol.R_BODY),
    "kind-too-long-on-a-tombstone": (lambda t: t.device.revision(t.mine, kind="k" * 60, deleted=True), protocol.R_BODY),
    "created-at-too-long": (lambda t: t.device.revision(t.mine, created_at="2026-11-20T10:00:00." + "0" * 30 + "Z"), protocol.R_BODY),
    "created-at-with-nul": (lambda t: t.device.revision(t.mine, created_at="2026-11-20\x00"), protocol.R_BODY),
    "framework-with-nul": (lambda t: t.device.revision(t.mine, framework="icb\x00@1"), protocol.R_BODY),
    "attachment-size-past-64-bits": (lambda t: t.device.revision(t.mine, attachments=_attachment("ab" * 32, 2**70)), protocol.R_CONTENT),
    "attachment-size-negative": (lambda t: t.device.revision(t.mine, attachments=_attachment("ab" * 32, -1)), protocol.R_CONTENT),
    "attachment-size-true": (lambda t: t.device.revision(t.mine, attachments=_attachment("ab" * 32, True)), protocol.R_CONTENT),
    "attachment-sha-not-hex": (lambda t: t.device.revision(t.mine, attachments=_attachment("zz" * 32, 10)), protocol.R_CONTENT),
    "too-many-parents": (
        lambda t: t.device.revision(t.mine, parents=tuple(f"{n:064x}" for n in range(protocol.MAX_PARENTS + 1))),
        protocol.R_BODY,
    ),
    "parents-that-are-not-ids": (lambda t: t.device.revision(t.mine, parents=("'; DROP TABLE revisions; --",)), protocol.R_BODY),
    # Bodies that once made the service answer 500 before it looked at them.
    "body-nested-fifty-thousand-deep": (lambda t: _hand_made("[" * 50_000 + "]" * 50_000, t.device), protocol.R_BODY),
    "body-with-a-number-of-five-thousand-digits": (lambda t: _hand_made('{"format":' + "1" * 5_000 + "}", t.device), protocol.R_BODY),
    "body-not-json": (lambda t: _hand_made("ICB board, November", t.device), protocol.R_BODY),
}


@pytest.mark.parametrize("make, code", BAD_REVISIONS.values(), ids=BAD_REVISIONS.keys())
def test_a_bad_revision_is_rejected_with_its_code_and_the_valid_rest_of_its_batch_is_stored(teams: Teams, make: Bad, code: str) -> None:
    first, last = teams.device.revision(teams.mine), teams.device.revision(teams.mine)
    bad = wire(make(teams))
    before, ids = stored(teams.service), _stored_ids(teams.service)
    acks = _acks(teams.device.push(first, bad, last))
    assert acks[bad["id"]][0] == "rejected" and acks[bad["id"]][1] == code
    assert acks[first.id] == acks[last.id] == ("accepted", None)
    assert _stored_ids(teams.service) == ids | {first.id, last.id}
    assert stored(teams.service) == {**before, "records": before["records"] + 2, "revisions": before["revisions"] + 2}


def test_the_true_auto_merge_is_stored_beside_a_forged_one(teams: Teams) -> None:
    true, forged = _auto_merge_of(teams), _auto_merge_of(teams, {"notes": "Nobody said this"})
    acks = _acks(teams.colleague.push(forged, true))  # any device of the team may send an auto-merge
    assert acks == {forged.id: ("rejected", protocol.R_MERGE), true.id: ("accepted", None)}
    assert true.id in _stored_ids(teams.service) and forged.id not in _stored_ids(teams.service)


def test_a_replayed_batch_gets_the_same_acknowledgements_and_stores_nothing_new(teams: Teams) -> None:
    batch = [teams.device.revision(teams.mine), _signed_by(Ed25519PrivateKey.generate(), teams.device.revision(teams.mine))]
    batch.append(teams.device.revision(teams.mine, parents=(batch[0].id,), record_id=batch[0].fields()["record_id"]))  # type: ignore[union-attr]
    text = json.dumps({"revisions": [wire(r) for r in batch]}).encode()
    first = teams.device.request("POST", "/push", data=text, headers={"Content-Type": "application/json"})
    assert first.status_code == 200
    with teams.service.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT seq, id, xid, received_at FROM revisions ORDER BY seq")).all()
    after_first = stored(teams.service)
    for _again in range(2):
        again = teams.device.request("POST", "/push", data=text, headers={"Content-Type": "application/json"})
        assert again.status_code == 200
        assert again.json() == first.json()
    assert stored(teams.service) == after_first
    with teams.service.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT seq, id, xid, received_at FROM revisions ORDER BY seq")).all() == rows


@pytest.mark.parametrize("where", ["first", "middle", "last", "alone"])
def test_another_teams_assessment_anywhere_in_a_batch_is_a_403_and_nothing_of_it_is_stored(teams: Teams, where: str) -> None:
    valid = [teams.device.revision(teams.mine) for _ in range(3)]
    foreign = teams.device.revision(teams.theirs)  # signed properly, by a device not in team B
    batch = {"first": [foreign, *valid], "middle": [valid[0], foreign, *valid[1:]], "last": [*valid, foreign], "alone": [foreign]}[where]
    before = stored(teams.service)
    body = refused(teams.device.push(*batch), 403, protocol.E_FORBIDDEN)
    assert body.detail == errors.OTHER_TEAM.format(assessment_id=teams.theirs)
    assert stored(teams.service) == before


def test_another_teams_record_id_in_a_batch_is_a_403_and_nothing_of_it_is_stored(teams: Teams) -> None:
    theirs = teams.outsider.revision(teams.theirs, content={"title": "Westshire board"})
    assert _acks(teams.outsider.push(theirs)) == {theirs.id: ("accepted", None)}
    record_id = theirs.fields()["record_id"]
    claims = [
        teams.device.revision(teams.mine, record_id=record_id),  # "it is ours now"
        teams.device.revision(teams.mine, record_id=record_id, parents=(theirs.id,)),  # "and we edit it"
    ]
    before = stored(teams.service)
    for claim in claims:
        body = refused(teams.device.push(teams.device.revision(teams.mine), claim), 403, protocol.E_FORBIDDEN)
        assert body.detail == errors.RECORD_ELSEWHERE.format(record_id=record_id)
    assert stored(teams.service) == before
    pulled = teams.outsider.pull().json()
    assert pulled["revisions"] == []  # team B's record has no new revision from team A


def test_another_teams_revision_that_is_broken_besides_is_a_403_too(teams: Teams) -> None:
    """Whose team comes before any other check: a revision of team B replayed by team A's device
    (signed by team B's), or signed wrongly, is a 403 like any other of team B's."""
    theirs = teams.outsider.revision(teams.theirs, content={"title": "Westshire board"})
    assert _acks(teams.outsider.push(theirs)) == {theirs.id: ("accepted", None)}
    unsigned = {**wire(teams.device.revision(teams.theirs)), "signature": base64.b64encode(bytes(64)).decode()}
    before = stored(teams.service)
    for foreign in (theirs, unsigned):
        body = refused(teams.device.push(teams.device.revision(teams.mine), foreign), 403, protocol.E_FORBIDDEN)
        assert body.detail == errors.OTHER_TEAM.format(assessment_id=teams.theirs)
    assert stored(teams.service) == before


def test_to_a_client_naming_team_refusals_another_teams_revisions_are_refused_alone_and_the_rest_stored(teams: Teams) -> None:
    theirs = teams.outsider.revision(teams.theirs, content={"title": "Westshire board"})
    assert _acks(teams.outsider.push(theirs)) == {theirs.id: ("accepted", None)}
    record_id = theirs.fields()["record_id"]
    first, last = teams.device.revision(teams.mine), teams.device.revision(teams.mine)
    signed_here, claim = teams.device.revision(teams.theirs), teams.device.revision(teams.mine, record_id=record_id)
    refusals = {
        signed_here.id: errors.NOT_IN_TEAM.format(assessment_id=teams.theirs),
        theirs.id: errors.NOT_IN_TEAM.format(assessment_id=teams.theirs),  # replayed, and signed by another device
        claim.id: errors.RECORD_NOT_OURS.format(record_id=record_id),
    }
    batch = [first, signed_here, theirs, claim, last]
    answer = teams.device.request(
        "POST", "/push", json={"revisions": [wire(r) for r in batch]}, headers={protocol.FEATURES_HEADER: protocol.F_TEAM_REFUSALS}
    )
    assert answer.status_code == 200, answer.text[:500]
    acks = {a["id"]: (a["status"], a["code"], a["reason"]) for a in answer.json()["acks"]}
    assert acks == {
        first.id: ("accepted", None, None), last.id: ("accepted", None, None),
        **{rev_id: ("rejected", protocol.R_NOT_IN_TEAM, words) for rev_id, words in refusals.items()},
    }  # fmt: skip
    assert _stored_ids(teams.service) >= {first.id, last.id} and not _stored_ids(teams.service) & {signed_here.id, claim.id}
    assert teams.outsider.pull().json()["revisions"] == []  # team B's record has nothing new from team A


def test_an_auto_merge_of_another_teams_record_is_a_403(teams: Teams) -> None:
    before = stored(teams.service)
    refused(teams.outsider.push(_auto_merge_of(teams)), 403, protocol.E_FORBIDDEN)
    assert stored(teams.service) == before


def test_more_revisions_than_a_batch_may_hold_is_a_413_saying_the_limit(teams: Teams) -> None:
    batch = [teams.device.revision(teams.mine) for _ in range(protocol.MAX_BATCH + 1)]
    before = stored(teams.service)
    assert refused(teams.device.push(*batch), 413, protocol.E_TOO_LARGE).limit == protocol.MAX_BATCH
    assert stored(teams.service) == before


@pytest.fixture(params=BACKENDS)
def strict_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """Five revisions a batch, and four requests per device before it must wait (a long while)."""
    limits = Limits(max_batch=5, requests_per_s=0.001, burst=4)
    with backend_service(request.param, tmp_path / "service", limits=limits) as service:
        yield service


def test_a_batch_over_the_configured_limit_is_a_413_and_one_at_it_is_stored(strict_service: Service) -> None:
    assessment_id, (inspector_id,) = strict_service.team()
    device = raw_device(strict_service, inspector_id)
    before = stored(strict_service)
    assert refused(device.push(*(device.revision(assessment_id) for _ in range(6))), 413, protocol.E_TOO_LARGE).limit == 5
    assert stored(strict_service) == before
    acks = _acks(device.push(*(device.revision(assessment_id) for _ in range(5))))
    assert [status for status, _code in acks.values()] == ["accepted"] * 5


def test_a_device_past_its_rate_gets_a_429_with_retry_after_and_its_push_stores_nothing(strict_service: Service) -> None:
    assessment_id, (inspector_id, colleague_id) = strict_service.team(inspectors=2)
    device, colleague = raw_device(strict_service, inspector_id), raw_device(strict_service, colleague_id)
    for _ in range(4):
        assert device.pull().status_code == 200
    before = stored(strict_service)
    answer = device.push(device.revision(assessment_id))
    body = refused(answer, 429, protocol.E_RATE_LIMITED)
    assert body.retry_after_s is not None and body.retry_after_s > 60
    assert int(answer.headers["Retry-After"]) == round(body.retry_after_s)
    assert stored(strict_service) == before
    assert colleague.pull().status_code == 200  # the limit is per device


def test_a_push_of_nothing_is_an_empty_acknowledgement(teams: Teams) -> None:
    before = stored(teams.service)
    assert teams.device.push().json() == {"acks": []}
    assert stored(teams.service) == before
