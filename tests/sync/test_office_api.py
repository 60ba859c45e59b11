"""The office's concern list over HTTP (issue 15), on the real service, SQLite and PostgreSQL: an office
token made with the admin CLI lists the open concerns across teams as the CLI does, shows one, and
acknowledges it; the laptop learns it at its next pull exactly as from the CLI. Hostile: no token, a
device's token, a revoked office token, an office token on a device's route, an unknown id, an id
that is no UUID, a huge note, a malformed body, acknowledging twice, and too many requests."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sync_fixtures import (
    BACKENDS, PROTOCOL_HEADERS, ChildService, Device, RawDevice, Service, admin_cli, api_url, backend_service, colleagues, raw_device, refused,
    wire,
)  # fmt: skip

from fieldapp.item_kinds import ConcernContent
from sync import protocol
from sync.server import errors, sealing
from sync.server.settings import Limits, Settings

HEARD = "Mr B says a carer pushed him back into his chair at night."
NOTE = "Referred to the local authority safeguarding team, ref LA-4471."


def office_token(service: Service, capsys: pytest.CaptureFixture[str], name: str = "Safeguarding desk") -> dict:
    code, out, err = admin_cli(service, capsys, "--json", "office-token", "create", "--name", name)
    assert code == 0, err
    return json.loads(out)


def office(service: Service, token: str | None, method: str, path: str, **kwargs: object) -> requests.Response:
    """A request to an office route, with that bearer token (or none)."""
    headers = {**PROTOCOL_HEADERS, **({"Authorization": f"Bearer {token}"} if token is not None else {}), **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return service.http(method, api_url(service, f"/office{path}"), headers=headers, timeout=60, **kwargs)


def raised_and_sent(device: Device, assessment_id: str, urgency: str = "immediate", heard: str = HEARD) -> str:
    concern = device.vault.concerns.raise_concern(assessment_id, ConcernContent("safeguarding", urgency, heard, tell="Local authority")).value
    device.sync()
    assert device.vault.concerns.get(concern.id).state == "sent"
    return concern.id


def open_concern(service: Service) -> tuple[str, RawDevice, str]:
    """A concern pushed by a raw device of a new team: (its id, the device, the team's assessment id)."""
    from fieldapp.ids import uuid7

    assessment_id, (inspector_id,) = service.team("Southshire ICS")
    device = raw_device(service, inspector_id)
    content = {"concern_kind": "safeguarding", "urgency": "soon", "heard": HEARD, "record_id": "", "passage_field": "",
               "passage_start": None, "passage_end": None, "statements": [], "tell": "", "raised_by": "x",
               "raised_at": "2026-11-20T10:00:00.000000Z"}  # fmt: skip
    concern_id = uuid7()
    (ack,) = device.push(device.revision(assessment_id, record_id=concern_id, kind="concern", content=content)).json()["acks"]
    assert ack["status"] == "accepted", ack
    return concern_id, device, assessment_id


def acknowledged_at(service: Service, concern_id: str) -> str | None:
    with service.admin() as session:
        return session.scalar(sa.text("SELECT acknowledged_at FROM concerns WHERE id = :c"), {"c": concern_id})


def test_the_office_lists_shows_and_acknowledges_over_http_and_the_laptop_learns_it_as_from_the_cli(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    routine = raised_and_sent(amara, assessment_id, "routine", "Rotas are short on the stroke ward.")
    immediate = raised_and_sent(amara, assessment_id, "immediate")
    token = office_token(service, capsys)

    listed = office(service, token["token"], "GET", "/concerns")
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["concerns"]] == [immediate, routine]  # most urgent first
    code, out, _ = admin_cli(service, capsys, "--json", "concern", "list")
    assert code == 0 and listed.json()["concerns"] == json.loads(out)  # the route and the CLI say the same thing
    shown = office(service, token["token"], "GET", f"/concerns/{immediate}").json()
    assert (shown["heard"], shown["tell"], shown["assessment"], shown["acknowledged_at"]) == (HEARD, "Local authority", "Northshire ICS", None)

    done = office(service, token["token"], "POST", f"/concerns/{immediate}/acknowledge", json={"note": NOTE})
    assert done.status_code == 200, done.text
    acknowledgement = done.json()
    assert (acknowledgement["acknowledged_by"], acknowledgement["acknowledgement_note"]) == ("Safeguarding desk", NOTE)  # by: the token's name
    assert [c["id"] for c in office(service, token["token"], "GET", "/concerns").json()["concerns"]] == [routine]
    everything = office(service, token["token"], "GET", "/concerns", params={"all": "true"}).json()["concerns"]
    assert [c["id"] for c in everything] == [immediate, routine]
    code, out, _ = admin_cli(service, capsys, "--json", "concern", "show", immediate)
    assert json.loads(out) == acknowledgement

    amara.sync()
    got = amara.vault.concerns.get(immediate)
    assert (got.state, got.acknowledged_by, got.acknowledged_at, got.acknowledgement_note) == (
        "acknowledged", "Safeguarding desk", acknowledgement["acknowledged_at"], NOTE,
    )  # fmt: skip
    assert amara.vault.concerns.get(routine).state == "sent"
    ben.sync()
    assert ben.vault.concerns.get(immediate).acknowledged_by == "Safeguarding desk"

    named = office(service, token["token"], "POST", f"/concerns/{routine}/acknowledge", json={"note": "Seen.", "by": "Priya Shah"})
    assert named.json()["acknowledged_by"] == "Priya Shah"
    code, out, _ = admin_cli(service, capsys, "office-token", "list")
    assert code == 0 and "Safeguarding desk" in out and "last used never" not in out and token["token"] not in out


def test_acknowledging_twice_is_a_409_naming_who_and_when_and_the_first_stays(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    concern_id, _device, _ = open_concern(service)
    first, second = office_token(service, capsys, "Safeguarding desk"), office_token(service, capsys, "Duty inspector")
    assert office(service, first["token"], "POST", f"/concerns/{concern_id}/acknowledge", json={"note": NOTE}).status_code == 200
    when = acknowledged_at(service, concern_id)
    assert when is not None
    again = office(service, second["token"], "POST", f"/concerns/{concern_id}/acknowledge", json={"note": "Me too"})
    detail = refused(again, 409, protocol.E_CONFLICT).detail
    assert "already acknowledged by Safeguarding desk" in detail and f"{when[8:10]}/{when[5:7]}/{when[:4]}" in detail  # day first
    code, _, err = admin_cli(service, capsys, "concern", "acknowledge", concern_id, "--note", "Again", "--by", "Someone")
    assert code == 1 and "already acknowledged by Safeguarding desk" in err
    shown = office(service, second["token"], "GET", f"/concerns/{concern_id}").json()
    assert (shown["acknowledged_by"], shown["acknowledgement_note"], shown["acknowledged_at"]) == ("Safeguarding desk", NOTE, when)


def test_no_token_a_devices_token_or_a_revoked_office_token_opens_no_office_route(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    concern_id, device, _ = open_concern(service)
    token = office_token(service, capsys)
    calls = [("GET", "/concerns", {}), ("GET", f"/concerns/{concern_id}", {}), ("POST", f"/concerns/{concern_id}/acknowledge", {"json": {"note": NOTE}})]
    refusals = [
        (None, protocol.E_UNAUTHENTICATED, errors.NO_OFFICE_TOKEN),
        ("", protocol.E_UNAUTHENTICATED, errors.NO_OFFICE_TOKEN),
        (device.token, protocol.E_UNAUTHENTICATED, errors.BAD_OFFICE_TOKEN),  # an inspector's laptop is not the office
        ("fao1_" + "A" * 43, protocol.E_UNAUTHENTICATED, errors.BAD_OFFICE_TOKEN),
        (token["token"] + "x", protocol.E_UNAUTHENTICATED, errors.BAD_OFFICE_TOKEN),
    ]
    for sent, code, detail in refusals:
        for method, path, kwargs in calls:
            assert refused(office(service, sent, method, path, **kwargs), 401, code).detail == detail, (sent, path)

    assert office(service, token["token"], "GET", "/concerns").status_code == 200
    assert admin_cli(service, capsys, "office-token", "revoke", token["id"])[0] == 0
    for method, path, kwargs in calls:
        assert refused(office(service, token["token"], method, path, **kwargs), 401, protocol.E_OFFICE_REVOKED).detail == errors.OFFICE_REVOKED
    assert acknowledged_at(service, concern_id) is None
    code, out, _ = admin_cli(service, capsys, "office-token", "list")
    assert "REVOKED" in out


def test_an_office_token_opens_no_devices_route(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    concern_id, device, assessment_id = open_concern(service)
    token = office_token(service, capsys)["token"]
    sha = "ab" * 32
    calls = [
        ("POST", "/push", {"json": {"revisions": [wire(device.revision(assessment_id))]}}),
        ("POST", "/pull", {"json": {}}),
        ("PUT", f"/assessments/{assessment_id}", {"json": {"name": "Mine now", "framework": "x@1"}}),
        ("GET", "/frameworks/x@1", {}),
        ("GET", f"/blobs/{sha}", {}),
        ("PUT", f"/blobs/{sha}/chunks/0", {"data": b"bytes"}),
        ("GET", f"/blobs/{sha}/chunks/0", {}),
    ]
    headers = {**PROTOCOL_HEADERS, "Authorization": f"Bearer {token}"}
    for method, path, kwargs in calls:
        answer = service.http(method, api_url(service, path), headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]
        assert refused(answer, 401, protocol.E_UNAUTHENTICATED).detail == errors.BAD_TOKEN, path
    assert device.pull().status_code == 200  # the device's own token still works


def test_an_unknown_concern_is_a_404_and_an_id_that_is_no_uuid_a_422(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    token = office_token(service, capsys)["token"]
    unknown = "01938c3a-0000-7000-8000-000000000009"
    assert f"No concern with id {unknown}" in refused(office(service, token, "GET", f"/concerns/{unknown}"), 404, protocol.E_NOT_FOUND).detail
    answer = office(service, token, "POST", f"/concerns/{unknown}/acknowledge", json={"note": NOTE})
    assert f"No concern with id {unknown}" in refused(answer, 404, protocol.E_NOT_FOUND).detail
    for bad in ("not-a-uuid", unknown.upper(), "'; DROP TABLE concerns; --", "x" * 5000):
        refused(office(service, token, "GET", f"/concerns/{bad}"), 422, protocol.E_INVALID)
        refused(office(service, token, "POST", f"/concerns/{bad}/acknowledge", json={"note": NOTE}), 422, protocol.E_INVALID)
    refused(office(service, token, "GET", "/concerns", params={"all": "perhaps"}), 422, protocol.E_INVALID)


def test_a_huge_note_or_a_malformed_body_is_refused_in_words_and_acknowledges_nothing(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    concern_id, _device, _ = open_concern(service)
    token = office_token(service, capsys)["token"]
    path = f"/concerns/{concern_id}/acknowledge"
    too_long = refused(office(service, token, "POST", path, json={"note": "n" * (protocol.MAX_ACK_NOTE + 1)}), 422, protocol.E_INVALID)
    assert "note" in too_long.detail and f"{protocol.MAX_ACK_NOTE}" in too_long.detail
    huge = refused(office(service, token, "POST", path, json={"note": "n" * (2 << 20)}), 413, protocol.E_TOO_LARGE)
    assert huge.limit == Limits().small_request_bytes
    for body in ({}, {"note": ""}, {"note": NOTE, "by": "A\nB"}, {"note": NOTE, "by": "x" * 301}, {"note": NOTE, "extra": 1},
                 {"note": 42}, {"note": NOTE, "by": ""}, [NOTE]):  # fmt: skip
        refused(office(service, token, "POST", path, json=body), 422, protocol.E_INVALID)
    blank = refused(office(service, token, "POST", path, json={"note": "   "}), 422, protocol.E_INVALID)
    assert "Say what the office did" in blank.detail
    refused(office(service, token, "POST", path, data=b"{not json", headers={"Content-Type": "application/json"}), 422, protocol.E_INVALID)
    assert acknowledged_at(service, concern_id) is None
    shown = office(service, token, "GET", f"/concerns/{concern_id}").json()
    assert shown["acknowledged_by"] is None


def test_an_office_token_is_shown_once_and_kept_only_as_its_sha256(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = admin_cli(service, capsys, "office-token", "create", "--name", "Safeguarding desk")
    assert code == 0 and "shown this once" in out
    token = next(word for word in out.split() if word.startswith("fao1_"))
    with service.admin() as session:
        rows = session.execute(sa.text("SELECT name, token_hash FROM office_tokens")).all()
    assert [(name, bytes(digest)) for name, digest in rows] == [("Safeguarding desk", hashlib.sha256(token.encode()).digest())]
    for listing in (admin_cli(service, capsys, "office-token", "list")[1], admin_cli(service, capsys, "--json", "office-token", "list")[1]):
        assert "Safeguarding desk" in listing and token not in listing and token[5:] not in listing
    assert admin_cli(service, capsys, "office-token", "create", "--name", "  ")[0] == 1
    code, _, err = admin_cli(service, capsys, "office-token", "revoke", "01938c3a-0000-7000-8000-000000000009")
    assert code == 1 and "No office token with id" in err


@pytest.mark.parametrize("backend", BACKENDS)
def test_office_requests_past_the_rate_are_a_429_with_retry_after(backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with backend_service(backend, tmp_path / "service", limits=Limits(requests_per_s=0.01, burst=3)) as service:
        token = office_token(service, capsys)["token"]
        statuses = [office(service, token, "GET", "/concerns") for _ in range(5)]
        assert [a.status_code for a in statuses[:3]] == [200, 200, 200]
        assert refused(statuses[4], 429, protocol.E_RATE_LIMITED).retry_after_s
        assert statuses[4].headers["Retry-After"]


def test_neither_a_token_nor_the_note_nor_what_was_heard_reaches_the_services_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child = ChildService(tmp_path / "service", None, serve_args=("--log-level", "debug"))
    settings = Settings(data_dir=child.data)
    child.data.mkdir(parents=True)
    child.start()
    try:
        service = Service(child.url, settings, sealing.engine_for(settings))
        concern_id, device, _ = open_concern(service)
        token = office_token(service, capsys)["token"]
        assert office(service, token, "GET", "/concerns", params={"all": "true"}).status_code == 200
        assert office(service, token, "POST", f"/concerns/{concern_id}/acknowledge", json={"note": NOTE}).status_code == 200
        assert office(service, token, "POST", f"/concerns/{concern_id}/acknowledge", json={"note": NOTE}).status_code == 409
        assert office(service, device.token, "GET", "/concerns").status_code == 401
        service.engine.dispose()
    finally:
        child.stop()
    log = child.log.read_text(errors="replace")
    assert f"/v1/office/concerns/{concern_id}/acknowledge" in log  # the access log is on, and names the route
    for secret in (token, token[5:], device.token, NOTE, HEARD, "LA-4471", "carer pushed"):
        assert secret not in log


def test_with_every_logger_at_debug_no_line_carries_a_token_the_note_or_what_was_heard(
    service: Service, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    concern_id, device, _ = open_concern(service)
    token = office_token(service, capsys)["token"]
    with caplog.at_level(logging.DEBUG):
        assert office(service, token, "GET", f"/concerns/{concern_id}").json()["heard"] == HEARD
        assert office(service, token, "POST", f"/concerns/{concern_id}/acknowledge", json={"note": NOTE}).status_code == 200
        assert office(service, token, "POST", f"/concerns/{concern_id}/acknowledge", json={"note": NOTE}).status_code == 409
        assert office(service, device.token, "GET", "/concerns").status_code == 401
    assert f"acknowledged concern {concern_id}" in caplog.text  # the service's own line says which, and by which token
    for secret in (token, token[5:], device.token, NOTE, HEARD, "LA-4471", "carer pushed"):
        assert secret not in caplog.text
