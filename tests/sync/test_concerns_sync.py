"""Concerns on the real service (issue 15), on SQLite and on PostgreSQL: one raised offline mid-interview
jumps a queue of 2,000 revisions (the first push the service receives carries it alone, and its answer
acknowledges it); the office lists it open and acknowledges it through the real admin CLI; the next sync
shows it acknowledged on the laptop, by whom and when. Hostile: another team's concern, malformed
concern content, and acknowledging an id that is not a concern's."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from sync_fixtures import Device, Service, admin_cli, colleagues, raw_device, refused

from fieldapp import domain
from fieldapp.errors import Cancelled
from fieldapp.item_kinds import ConcernContent
from fieldapp.records import cut_dirty
from sync import protocol

NOTES = "Mr B said a carer pushed him back into his chair. He is afraid to ask for help at night."
PUSHED = NOTES.index("a carer"), NOTES.index(" He is")


class RecordingAdapter(requests.adapters.BaseAdapter):
    """The transport seam with a log: every request the client sends reaches the real service app
    (through its in-process adapter) unchanged; the pushes are kept, as sent, to look at after."""

    def __init__(self, inner: requests.adapters.BaseAdapter) -> None:
        super().__init__()
        self.inner = inner
        self.pushes: list[list[str]] = []  # the revision ids of each push request, in the order sent

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if (request.path_url or "").endswith("/push"):
            body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
            if request.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            self.pushes.append([r["id"] for r in json.loads(body)["revisions"]])
        return self.inner.send(request, *args, **kwargs)

    def close(self) -> None:
        self.inner.close()


def interview_being_typed(device: Device, assessment_id: str) -> str:
    record_id = device.vault.records.create(assessment_id, domain.Interview(title="Mr B, home visit", pseudonym="Mr B")).value.id
    device.vault.records.save(record_id, domain.Interview(title="Mr B, home visit", pseudonym="Mr B", notes=NOTES))
    assert device.vault.records.get(record_id).head_revision_id is None  # typed, never left: no revision yet
    return record_id


def safeguarding(record_id: str) -> ConcernContent:
    return ConcernContent(
        "safeguarding", "immediate", "Mr B says a carer pushed him back into his chair.", record_id=record_id,
        passage_field="notes", passage_start=PUSHED[0], passage_end=PUSHED[1], statements=("safe-effective-staffing",),
        tell="Local authority safeguarding team",
    )  # fmt: skip


def test_a_concern_raised_mid_interview_goes_first_ahead_of_2000_revisions_and_is_acknowledged_in_the_first_batch(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    for n in range(2_000):
        amara.vault.records.create(assessment_id, domain.Observation(title=f"Board meeting note {n}", notes=f"Item {n} discussed."))
    with amara.vault.transaction("cutting them") as session:
        assert len(cut_dirty(session, amara.vault)) >= 2_000
    record_id = interview_being_typed(amara, assessment_id)
    concern = amara.vault.concerns.raise_concern(assessment_id, safeguarding(record_id))
    (concern_revision,) = concern.changes.revisions

    recorder = RecordingAdapter(amara.adapter) if amara.adapter is not None else None
    if recorder is None:
        pytest.skip("the service runs on a socket here; the transport seam records in-process requests")
    amara.adapter = recorder
    with pytest.raises(Cancelled):
        amara.sync(cancel=lambda: len(recorder.pushes) >= 1)  # stops as soon as the first push was answered
    assert recorder.pushes[0] == [concern_revision]
    assert amara.vault.concerns.get(concern.value.id).state == "sent"  # its answer acknowledged it
    with amara.vault.transaction("looking") as session:
        still_waiting = session.scalar(sa.text("SELECT count(*) FROM revisions WHERE pushed = 0"))
    assert still_waiting >= 2_000  # nothing else went before the concern's answer
    with service.admin() as session:
        listed = session.execute(sa.text("SELECT id, urgency, concern_kind, raised_by FROM concerns")).all()
    assert [tuple(r) for r in listed] == [(concern.value.id, "immediate", "safeguarding", "Inspector A")]

    amara.adapter = recorder.inner
    amara.sync()
    assert amara.vault.replication.status().waiting == 0  # the rest, and the interview's draft, went after


def test_the_office_lists_a_concern_acknowledges_it_and_the_laptop_shows_by_whom_and_when(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    raised = amara.vault.concerns.raise_concern(assessment_id, safeguarding(interview_being_typed(amara, assessment_id))).value
    assert raised.state == "raised"
    amara.sync()
    assert amara.vault.concerns.get(raised.id).state == "sent"

    code, out, _ = admin_cli(service, capsys, "concern", "list")
    assert code == 0 and raised.id in out and "Immediate" in out and "Safeguarding" in out and "Northshire ICS" in out
    code, out, _ = admin_cli(service, capsys, "--json", "concern", "list")
    (listed,) = json.loads(out)
    assert (listed["id"], listed["heard"], listed["acknowledged_at"]) == (raised.id, raised.content.heard, None)
    code, out, _ = admin_cli(service, capsys, "concern", "show", raised.id)
    assert code == 0 and "Local authority safeguarding team" in out and "Not acknowledged yet" in out

    code, out, err = admin_cli(service, capsys, "concern", "acknowledge", raised.id, "--note", "Referred to the LA", "--by", "Priya Shah")
    assert code == 0, err
    assert "Acknowledged by Priya Shah on " in out and "/20" in out  # day first: 07/12/2026
    code, out, _ = admin_cli(service, capsys, "concern", "list")
    assert code == 0 and raised.id not in out and "No open concerns" in out
    code, out, _ = admin_cli(service, capsys, "--json", "concern", "show", raised.id)
    shown = json.loads(out)
    assert shown["acknowledged_by"] == "Priya Shah" and shown["acknowledged_at"][:2] == "20" and "T" in shown["acknowledged_at"]

    assert amara.vault.concerns.unacknowledged() != ()  # the laptop keeps reminding until the next sync
    report = amara.sync()
    assert report.changes.concerns == {assessment_id}
    got = amara.vault.concerns.get(raised.id)
    assert (got.state, got.acknowledged_by, got.acknowledged_at, got.acknowledgement_note) == (
        "acknowledged", "Priya Shah", shown["acknowledged_at"], "Referred to the LA",
    )  # fmt: skip
    assert amara.vault.concerns.unacknowledged() == ()
    ben.sync()  # a colleague in the team sees the concern and that the office has it
    seen = ben.vault.concerns.get(raised.id)
    assert (seen.state, seen.acknowledged_by, seen.content.heard) == ("acknowledged", "Priya Shah", raised.content.heard)

    code, _, err = admin_cli(service, capsys, "concern", "acknowledge", raised.id, "--note", "Again", "--by", "Someone")
    assert code == 1 and "already acknowledged by Priya Shah" in err


def test_acknowledging_an_id_that_is_no_concern_is_refused_in_words(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = admin_cli(service, capsys, "concern", "acknowledge", "01938c3a-0000-7000-8000-000000000009", "--note", "Seen", "--by", "Priya")
    assert code == 1 and "No concern with id 01938c3a-0000-7000-8000-000000000009" in err
    code, _, err = admin_cli(service, capsys, "concern", "show", "not-an-id")
    assert code == 1 and "No concern with id not-an-id" in err
    code, _, err = admin_cli(service, capsys, "concern", "acknowledge", "01938c3a-0000-7000-8000-000000000009", "--note", "  ", "--by", "Priya")
    assert code == 1 and "Say what the office did" in err


def test_another_teams_concern_and_malformed_concern_content_never_reach_the_offices_list(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    _other, (outsider,) = service.team("Southshire ICS")
    stranger = raw_device(service, outsider, "stranger")
    content = {"concern_kind": "safeguarding", "urgency": "immediate", "heard": "Made up", "record_id": "", "passage_field": "",
               "passage_start": None, "passage_end": None, "statements": [], "tell": "", "raised_by": "x", "raised_at": ""}  # fmt: skip
    refused(stranger.push(stranger.revision(assessment_id, kind="concern", content=content)), 403, protocol.E_FORBIDDEN)

    insider = raw_device(service, _team_member(service, assessment_id), "insider")
    for broken in ({**content, "heard": ""}, {**content, "urgency": "whenever"}, {**content, "secret": 1}, {"heard": "only this"}):
        (ack,) = insider.push(insider.revision(assessment_id, kind="concern", content=broken)).json()["acks"]
        assert (ack["status"], ack["code"]) == ("rejected", protocol.R_CONTENT)
    code, out, _ = admin_cli(service, capsys, "--json", "concern", "list", "--all")
    assert code == 0 and json.loads(out) == []

    # A concern of one team is acknowledged; another team's device is never told of it.
    raised = amara.vault.concerns.raise_concern(assessment_id, ConcernContent("other", "routine", "Rotas are short."))
    amara.sync()
    assert admin_cli(service, capsys, "concern", "acknowledge", raised.value.id, "--note", "Seen", "--by", "Priya")[0] == 0
    answer = stranger.request("POST", "/pull", json={"cursor": None}, headers={protocol.FEATURES_HEADER: protocol.F_CONCERNS})
    assert answer.status_code == 200 and answer.json()["acknowledgements"] == []
    mine = insider.request("POST", "/pull", json={"cursor": None}, headers={protocol.FEATURES_HEADER: protocol.F_CONCERNS})
    assert [a["concern_id"] for a in mine.json()["acknowledgements"]] == [raised.value.id]
    older = insider.request("POST", "/pull", json={"cursor": None})
    assert "acknowledgements" not in older.json()  # a client that does not ask is not sent a field it would refuse


def _team_member(service: Service, assessment_id: str) -> str:
    """A new inspector added to the assessment's team."""
    from sync.server import admin

    with service.admin() as session:
        inspector = admin.create_inspector(session, "Inspector C").id
        admin.add_member(session, assessment_id, inspector)
    return inspector


def test_two_urgencies_set_offline_collide_for_the_team_and_the_one_kept_goes_first_again(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    raised = amara.vault.concerns.raise_concern(assessment_id, ConcernContent("risk_of_harm", "soon", "A 14-month wait for wheelchairs.")).value
    amara.sync()
    ben.sync()
    amara.vault.concerns.update(raised.id, dataclasses.replace(raised.content, urgency="immediate", heard=raised.content.heard + "\nTwo falls."))
    ben.vault.concerns.update(raised.id, dataclasses.replace(raised.content, urgency="routine", tell="The ICB's chief nurse"))
    amara.sync()
    ben.sync()
    row = ben.vault.concerns.get(raised.id)
    assert row.conflict
    (conflict,) = [c for c in ben.vault.replication.conflicts() if c.record_id == raised.id]
    assert [c.path for c in conflict.collisions] == ["content.urgency"]  # the words merged; only the urgency collides
    done = ben.vault.replication.resolve_item(raised.id, take=conflict.heads[0].id)
    assert done.changes.concerns == {assessment_id}
    assert not ben.vault.concerns.get(raised.id).conflict
    ben.sync()
    amara.sync()
    kept = amara.vault.concerns.get(raised.id)
    assert not kept.conflict and kept.content == ben.vault.concerns.get(raised.id).content
    assert kept.content.urgency in ("immediate", "routine")
