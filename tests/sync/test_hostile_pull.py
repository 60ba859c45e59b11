"""Pulls no honest device makes: cursors it never got (garbage, wrong JSON, numbers out of range, other
assessments, the largest allowed) are a 400 bad_cursor and never a 500; and whatever the cursor, a
device receives nothing of an assessment whose team its inspector is not in."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from sync_fixtures import RawDevice, Service, raw_device, refused, stored

from fieldapp.revisions import revision
from sync import protocol
from sync.server import admin, errors, pull


@dataclass
class Teams:
    service: Service
    mine: str
    theirs: str
    author: RawDevice  # team A: pushes
    reader: RawDevice  # team A: pulls
    outsider: RawDevice  # team B: pushes
    neighbour: RawDevice  # team B: pulls
    pushed_mine: list[revision.SignedRevision]
    pushed_theirs: list[revision.SignedRevision]


@pytest.fixture
def teams(service: Service) -> Teams:
    mine, (a1, a2) = service.team("Northshire ICS", inspectors=2)
    theirs, (b1, b2) = service.team("Westshire ICS", inspectors=2)
    author, reader = raw_device(service, a1), raw_device(service, a2)
    outsider, neighbour = raw_device(service, b1), raw_device(service, b2)
    pushed_mine = [author.revision(mine, content={"title": f"Northshire {n}"}) for n in range(3)]
    pushed_theirs = [outsider.revision(theirs, content={"title": f"Westshire {n}"}) for n in range(2)]
    assert author.push(*pushed_mine).ok and outsider.push(*pushed_theirs).ok
    return Teams(service, mine, theirs, author, reader, outsider, neighbour, pushed_mine, pushed_theirs)


def _cursor(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


A = "0190f5d2-7a3e-7000-8000-000000000001"  # an assessment id in the right form
HOSTILE_CURSORS = {
    "garbage": lambda t: "!!! not a cursor !!!",
    "not-ascii": lambda t: "курсор",
    "bad-padding": lambda t: "abc",
    "base64-of-text": lambda t: _raw_cursor("hello, service"),
    "base64-of-a-list": lambda t: _cursor([]),
    "base64-of-a-string": lambda t: _cursor("v1"),
    "another-version": lambda t: _cursor({"v": 2, "a": {}}),
    "no-version": lambda t: _cursor({"a": {}}),
    "positions-not-an-object": lambda t: _cursor({"v": 1, "a": [[0, 0]]}),
    "negative": lambda t: _cursor({"v": 1, "a": {t.mine: [-1, 0]}}),
    "negative-seq": lambda t: _cursor({"v": 1, "a": {t.mine: [0, -5]}}),
    "past-64-bits": lambda t: _cursor({"v": 1, "a": {t.mine: [1 << 63, 0]}}),
    "huge": lambda t: _cursor({"v": 1, "a": {t.mine: [10**30, 10**30]}}),
    "five-thousand-digits": lambda t: _raw_cursor('{"v": 1, "a": {"' + t.mine + '": [' + "9" * 5000 + ", 0]}}"),
    "a-fraction": lambda t: _cursor({"v": 1, "a": {t.mine: [1.5, 0]}}),
    "a-string-number": lambda t: _cursor({"v": 1, "a": {t.mine: ["1", 0]}}),
    "a-boolean": lambda t: _cursor({"v": 1, "a": {t.mine: [True, 0]}}),
    "three-numbers": lambda t: _cursor({"v": 1, "a": {t.mine: [1, 2, 3]}}),
    "one-number": lambda t: _cursor({"v": 1, "a": {t.mine: [1]}}),
    "id-not-a-uuid": lambda t: _cursor({"v": 1, "a": {"northshire": [0, 0]}}),
    "id-with-a-trailing-newline": lambda t: _cursor({"v": 1, "a": {A + "\n": [0, 0]}}),
    "id-in-capitals": lambda t: _cursor({"v": 1, "a": {t.mine.upper(): [0, 0]}}),
    "nested-150-thousand-deep": lambda t: _raw_cursor("[" * 150_000),
    "the-largest-allowed": lambda t: "A" * protocol.MAX_CURSOR_CHARS,
}


@pytest.mark.parametrize("make", HOSTILE_CURSORS.values(), ids=HOSTILE_CURSORS.keys())
def test_a_cursor_the_service_never_made_is_a_400_bad_cursor(teams: Teams, make) -> None:  # noqa: ANN001
    cursor = make(teams)
    assert len(cursor) <= protocol.MAX_CURSOR_CHARS
    before = stored(teams.service)
    assert refused(teams.reader.pull(cursor), 400, protocol.E_BAD_CURSOR).detail == pull.BAD_CURSOR
    assert stored(teams.service) == before


def test_a_cursor_longer_than_the_protocol_allows_is_a_422_naming_it(teams: Teams) -> None:
    body = refused(teams.reader.pull("A" * (protocol.MAX_CURSOR_CHARS + 1)), 422, protocol.E_INVALID)
    assert "cursor" in body.detail


@pytest.mark.parametrize("limit", [0, -1, protocol.MAX_PULL_LIMIT + 1, "ten", 2.5, None, 10**30])
def test_a_page_size_out_of_range_is_a_422_naming_it(teams: Teams, limit: object) -> None:
    body = refused(teams.reader.request("POST", "/pull", json={"limit": limit}), 422, protocol.E_INVALID)
    assert "limit" in body.detail


def _pull_all(device: RawDevice, cursor: str | None = None, limit: int = 1) -> tuple[list[str], dict]:
    """Every revision id a device receives, page by page; and the last page."""
    ids: list[str] = []
    while True:
        answer = device.pull(cursor, limit)
        assert answer.status_code == 200, answer.text[:300]
        page = answer.json()
        ids += [r["id"] for r in page["revisions"]]
        cursor = page["cursor"]
        if not page["more"]:
            return ids, page


def test_each_team_receives_its_own_revisions_and_nothing_of_the_other(teams: Teams) -> None:
    mine, last = _pull_all(teams.reader)
    assert sorted(mine) == sorted(r.id for r in teams.pushed_mine)
    assert [a["id"] for a in last["assessments"]] == [teams.mine]
    theirs, last = _pull_all(teams.neighbour)
    assert sorted(theirs) == sorted(r.id for r in teams.pushed_theirs)
    assert [a["id"] for a in last["assessments"]] == [teams.theirs]
    assert {d["id"] for d in teams.neighbour.pull().json()["devices"]} == {teams.outsider.device_id}


def test_a_cursor_naming_another_teams_assessment_serves_nothing_of_it_and_is_dropped(teams: Teams) -> None:
    # Not a 400: a device removed from a team still holds its position there, and must go on syncing.
    forged = _cursor({"v": 1, "a": {teams.mine: [0, 0]}})
    ids, last = _pull_all(teams.neighbour, forged, limit=50)
    assert sorted(ids) == sorted(r.id for r in teams.pushed_theirs)
    assert set(pull.decode_cursor(last["cursor"])) == {teams.theirs}


def test_an_inspector_taken_off_a_team_receives_nothing_more_of_it_and_may_not_push_to_it(teams: Teams) -> None:
    _ids, last = _pull_all(teams.reader)
    with teams.service.admin() as session:
        admin.remove_member(session, teams.mine, teams.reader.inspector_id)
    later = teams.author.revision(teams.mine, content={"title": "After the reader left"})
    assert teams.author.push(later).ok
    ids, page = _pull_all(teams.reader, last["cursor"])
    assert ids == [] and page["assessments"] == []
    before = stored(teams.service)
    body = refused(teams.reader.push(teams.reader.revision(teams.mine)), 403, protocol.E_FORBIDDEN)
    assert body.detail == errors.OTHER_TEAM.format(assessment_id=teams.mine)
    assert stored(teams.service) == before

