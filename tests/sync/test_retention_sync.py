"""Retention through the real service, on SQLite and PostgreSQL (issue 16): the administrator sets the
period, the laptop syncs and purges, a colleague edits the purged record, the laptop syncs again without
error, and opening it fetches it back, checked, with the colleague's words and its attachment. The fetch
route refuses another team's records and ids that are not ids, and is sent only what a team may see."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from sync_fixtures import PROTOCOL_HEADERS, Device, Service, admin_cli, colleagues, raw_device, refused

from fieldapp import domain, sync_state
from fieldapp.errors import KeptOnService
from fieldapp.ids import utcnow, uuid7
from sync import protocol

LATER = timedelta(days=91)


def test_a_purged_record_edited_by_a_colleague_syncs_and_comes_back_whole_when_opened(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    content = domain.Interview(title="Carer, respite", role="carer", notes="Respite was cancelled twice")
    assessment_id, first, second, record_id = colleagues(service, make_device, content)
    assert record_id is not None
    first.vault.attachments.add(record_id, io.BytesIO(b"audio " * 5000), name="carer.m4a")
    first.sync()
    second.sync()
    code, out, _ = admin_cli(service, capsys, "assessment", "retention", assessment_id, "--days", "90")
    assert code == 0 and "90 days after its last change" in out
    code, out, _ = admin_cli(service, capsys, "assessment", "retention", assessment_id, "--days", "1")
    assert code == 0 and "1 day after its last change" in out  # one day, not "1 days"
    assert admin_cli(service, capsys, "assessment", "retention", assessment_id, "--days", "90")[0] == 0

    first.vault.clock = lambda: utcnow() + LATER
    report = first.sync()
    assert report.purged.records == 1 and report.purged.files == 1
    assert first.vault.assessments.get(assessment_id).retention_days == 90
    assert {s.id: s.sync_state for s in first.vault.records.list(assessment_id)}[record_id] == sync_state.KEPT

    second.vault.records.add_note(record_id, "Manager says respite is back from January")
    second.vault.records.cut_revision(record_id)
    second.sync()
    again = first.sync()  # the colleague's revision arrives for a record whose bodies left: kept, no error
    assert again.pulled == 1 and not again.problems and not again.refused
    with pytest.raises(KeptOnService):
        first.vault.records.get(record_id)

    restored = first.fetch_again(record_id)
    assert "Respite was cancelled twice" in restored.notes and "respite is back from January" in restored.notes
    row = first.vault.records.get(record_id)
    assert [a.here for a in row.attachments] == [True] and row.sync_state == sync_state.SYNCED
    assert [s.id for s in first.vault.search("January").items] == [record_id]
    assert first.vault.verify().problems == ()
    assert len(first.vault.history.entries(record_id)) == len(second.vault.history.entries(record_id))


def test_the_fetch_route_refuses_another_teams_records_and_ids_that_are_not_ids(service: Service, make_device: Callable[..., Device]) -> None:
    content = domain.Observation(title="ICB board", notes="Winter plan")
    _assessment_id, _first, _second, record_id = colleagues(service, make_device, content)
    _other, (stranger,) = service.team("Southshire ICS")
    outsider = raw_device(service, stranger)
    for ids in ([record_id], [uuid7()], [record_id, uuid7()]):
        refused(outsider.request("POST", "/items", json={"ids": ids}, headers=PROTOCOL_HEADERS), 404, protocol.E_NOT_FOUND)
    for bad in ([], ["../../etc/passwd"], ["x" * 36], [record_id] * (protocol.MAX_ITEMS_FETCHED + 1)):
        refused(outsider.request("POST", "/items", json={"ids": bad}, headers=PROTOCOL_HEADERS), 422, protocol.E_INVALID)


def test_the_fetch_routes_refusal_is_the_same_whether_another_teams_record_exists_or_not(service: Service, make_device: Callable[..., Device]) -> None:
    content = domain.Observation(title="ICB board", notes="Winter plan")
    _assessment_id, _first, _second, record_id = colleagues(service, make_device, content)
    _other, (stranger,) = service.team("Southshire ICS")
    outsider = raw_device(service, stranger)
    unknown, never = uuid7(), uuid7()
    answers = [outsider.request("POST", "/items", json={"ids": [unknown, probe]}, headers=PROTOCOL_HEADERS) for probe in (record_id, never)]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json()["detail"] == answers[1].json()["detail"]  # both name the first id asked for, the unknown one


def test_only_a_client_that_names_the_feature_is_sent_the_retention_period(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assessment_id, (a,) = service.team()
    assert admin_cli(service, capsys, "assessment", "retention", assessment_id, "--days", "30")[0] == 0
    device = raw_device(service, a)
    assert "retention_days" not in device.pull().json()["assessments"][0]  # older clients refuse fields they do not know
    newer = {**PROTOCOL_HEADERS, protocol.FEATURES_HEADER: protocol.F_RETENTION}
    assert device.request("POST", "/pull", json={"cursor": None}, headers=newer).json()["assessments"][0]["retention_days"] == 30
    code, out, _ = admin_cli(service, capsys, "assessment", "retention", assessment_id, "--off")
    assert code == 0 and "evidence stays on the team's laptops" in out
    assert device.request("POST", "/pull", json={"cursor": None}, headers=newer).json()["assessments"][0].get("retention_days") is None
    assert admin_cli(service, capsys, "assessment", "retention", assessment_id, "--days", "0")[0] == 1
