"""The same new thing made by many requests at once (one device id enrolled with several keys, one
assessment offered from several laptops): one wins, the others get a clear 409 or 503, never a 500,
and nothing is stored twice. (On PostgreSQL the losers once met the winner's unique key as a 500.)"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sync_fixtures import BACKENDS, PROTOCOL_HEADERS, RawDevice, Service, api_url, backend_service, enrol_body, raw_device, stored

from fieldapp.framework import default_framework
from fieldapp.ids import uuid7
from sync import protocol
from sync.server import admin
from sync.server.settings import Limits

ROUNDS, AT_ONCE = 3, 8


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The usual service, but allowing enough enrolments a minute for a crowd from one address."""
    limits = Limits(requests_per_s=10_000, burst=10_000, enrol_per_minute=1_000)
    with backend_service(request.param, tmp_path / "service", limits=limits) as running:
        yield running


def _all_at_once(calls: list) -> list[requests.Response]:  # noqa: ANN001 - zero-argument callables
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def _losers_said(answers: list[requests.Response], allowed: set[tuple[int, str]]) -> None:
    for answer in answers:
        if answer.status_code != 200:
            body = protocol.ErrorBody.model_validate(answer.json())
            assert (answer.status_code, body.code) in allowed, answer.text[:300]


def test_one_device_id_enrolled_by_many_requests_at_once_makes_one_device(service: Service) -> None:
    _assessment_id, (inspector_id,) = service.team()
    for _round in range(ROUNDS):
        device_id = uuid7()
        bodies = [enrol_body(service.code(inspector_id), device_id=device_id) for _ in range(AT_ONCE)]
        before = stored(service)
        answers = _all_at_once(
            [lambda b=b: service.http("POST", api_url(service, "/enrol"), json=b, headers=PROTOCOL_HEADERS, timeout=60) for b in bodies]
        )
        assert [a.status_code for a in answers].count(200) == 1
        _losers_said(answers, {(409, protocol.E_DEVICE_CONFLICT), (503, "unavailable")})
        assert stored(service) == {**before, "devices": before["devices"] + 1, "codes_used": before["codes_used"] + 1}


def test_one_assessment_offered_from_many_laptops_at_once_is_made_once(service: Service) -> None:
    with service.admin() as session:
        creator = admin.create_inspector(session, "Inspector C", may_create_assessments=True).id
    laptops: list[RawDevice] = [raw_device(service, creator, f"laptop {n}") for n in range(4)]
    offer = {"name": "Eastshire ICS", "period_start": "2026-12-01", "framework": default_framework().key}
    for _round in range(ROUNDS):
        assessment_id = uuid7()
        before = stored(service)
        answers = _all_at_once([lambda d=d, assessment_id=assessment_id: d.request("PUT", f"/assessments/{assessment_id}", json=offer) for d in laptops])
        assert 200 in [a.status_code for a in answers]
        _losers_said(answers, {(503, "unavailable")})  # on SQLite, one at a time: all 200
        assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 503)
        assert stored(service) == {**before, "assessments": before["assessments"] + 1, "team_members": before["team_members"] + 1}
        for laptop in laptops:  # and trying again, as told, is answered with the one assessment
            assert laptop.request("PUT", f"/assessments/{assessment_id}", json=offer).json()["id"] == assessment_id
