"""Who may talk to the service: no token, a malformed or unknown one, a revoked device; enrolment codes
that are expired, used or made up; too many guesses from one address; a device id taken by another
key; a public key under which anyone could sign. Each is a clear 4xx, and nothing is stored."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sync_fixtures import BACKENDS, PROTOCOL_HEADERS, RawDevice, Service, api_url, backend_service, enrol_body, raw_device, refused, stored, wire

from sync import protocol
from sync.server import admin, errors, identity
from sync.server.settings import Limits


@pytest.fixture
def team(service: Service) -> tuple[str, str]:
    """(assessment id, inspector id)"""
    assessment_id, (inspector_id,) = service.team()
    return assessment_id, inspector_id


@pytest.fixture
def device(service: Service, team: tuple[str, str]) -> RawDevice:
    return raw_device(service, team[1])



def enrol(service: Service, body: dict) -> requests.Response:
    return service.http("POST", api_url(service, "/enrol"), json=body, headers=PROTOCOL_HEADERS, timeout=30)


def calls(device: RawDevice, assessment_id: str) -> dict[str, tuple[str, str, dict]]:
    """One request to every route that needs a device: (method, path, requests keywords)."""
    sha = "ab" * 32
    return {
        "push": ("POST", "/push", {"json": {"revisions": [wire(device.revision(assessment_id))]}}),
        "pull": ("POST", "/pull", {"json": {}}),
        "offer": ("PUT", f"/assessments/{assessment_id}", {"json": {"name": "Mine now", "framework": "x@1"}}),
        "framework": ("GET", "/frameworks/x@1", {}),
        "blob": ("GET", f"/blobs/{sha}", {}),
        "chunk-up": ("PUT", f"/blobs/{sha}/chunks/0", {"data": b"bytes"}),
        "chunk-down": ("GET", f"/blobs/{sha}/chunks/0", {}),
    }


AUTHORIZATION = {
    "none": (None, errors.NO_TOKEN),
    "empty": ("", errors.NO_TOKEN),
    "basic": ("Basic dXNlcjpwYXNz", errors.NO_TOKEN),
    "bearer-alone": ("Bearer", errors.NO_TOKEN),
    "bearer-blank": ("Bearer    ", errors.NO_TOKEN),  # the server strips the spaces: no token
    "unknown": ("Bearer fa1_" + "A" * 43, errors.BAD_TOKEN),
    "latin-1": ("Bearer fa1_\u00e9\u00e9\u00e9", errors.BAD_TOKEN),
    "two-tokens": ("Bearer fa1_one, Bearer fa1_two", errors.BAD_TOKEN),
}


@pytest.mark.parametrize("authorization, detail", AUTHORIZATION.values(), ids=AUTHORIZATION.keys())
def test_every_route_refuses_a_missing_malformed_or_unknown_token_with_401(
    device: RawDevice, team: tuple[str, str], authorization: str | None, detail: str
) -> None:
    before = stored(device.service)
    for method, path, kwargs in calls(device, team[0]).values():
        headers = {**PROTOCOL_HEADERS, **({"Authorization": authorization} if authorization is not None else {})}
        answer = device.service.http(method, api_url(device.service, path), headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]
        assert refused(answer, 401, protocol.E_UNAUTHENTICATED).detail == detail, path
    assert stored(device.service) == before


def test_a_revoked_device_is_refused_everywhere_with_device_revoked(device: RawDevice, team: tuple[str, str]) -> None:
    assert device.pull().status_code == 200
    with device.service.admin() as session:
        admin.revoke_device(session, device.device_id)
    before = stored(device.service)
    for method, path, kwargs in calls(device, team[0]).values():
        assert refused(device.request(method, path, **kwargs), 401, protocol.E_REVOKED).detail == errors.REVOKED, path
    assert stored(device.service) == before


def test_an_expired_code_is_refused_and_enrols_nothing(service: Service, team: tuple[str, str]) -> None:
    with service.admin() as session:
        code, _expires = identity.issue_code(session, team[1], ttl=timedelta(seconds=-1))
    before = stored(service)
    assert refused(enrol(service, enrol_body(code)), 422, protocol.E_ENROLMENT_CODE).detail == errors.BAD_CODE
    assert stored(service) == before


def test_a_used_code_is_refused_the_second_time_and_the_first_device_keeps_its_token(service: Service, team: tuple[str, str]) -> None:
    code = service.code(team[1])
    first = enrol(service, enrol_body(code))
    assert first.status_code == 200
    before = stored(service)
    for again in (enrol_body(code), enrol_body(code.lower().replace("-", " "))):  # the forgiving spelling too
        refused(enrol(service, again), 422, protocol.E_ENROLMENT_CODE)
    assert stored(service) == before
    token = first.json()["token"]
    assert service.http("POST", api_url(service, "/pull"), json={}, headers={**PROTOCOL_HEADERS, "Authorization": f"Bearer {token}"}, timeout=30).ok


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC", "----", "' OR 1=1 --", "\u00e9\u00e9\u00e9\u00e9", "\u0000", "Z" * 64])
def test_a_made_up_code_is_refused_with_enrolment_code_invalid(service: Service, team: tuple[str, str], code: str) -> None:
    service.code(team[1])  # a real code exists, unspent
    before = stored(service)
    refused(enrol(service, enrol_body(code)), 422, protocol.E_ENROLMENT_CODE)
    assert stored(service) == before


@pytest.fixture(params=BACKENDS)
def guarded_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """A service that allows three enrolment attempts a minute from one address."""
    with backend_service(request.param, tmp_path / "service", limits=Limits(enrol_per_minute=3)) as service:
        yield service


def test_enrolment_attempts_past_the_rate_for_an_address_are_a_429_with_retry_after(guarded_service: Service) -> None:
    _assessment_id, (inspector_id,) = guarded_service.team()
    for guess in ("AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB", "CCCC-CCCC-CCCC"):
        refused(enrol(guarded_service, enrol_body(guess)), 422, protocol.E_ENROLMENT_CODE)
    real = guarded_service.code(inspector_id)
    before = stored(guarded_service)
    answer = enrol(guarded_service, enrol_body(real))  # even the right code waits its turn
    body = refused(answer, 429, protocol.E_RATE_LIMITED)
    assert body.retry_after_s is not None and body.retry_after_s > 0
    assert int(answer.headers["Retry-After"]) >= 1
    assert stored(guarded_service) == before  # the code is still unspent


def test_the_same_device_id_with_another_key_is_a_409_and_changes_nothing(service: Service, device: RawDevice) -> None:
    _other, (stranger,) = service.team("Westshire ICS")
    before = stored(service)
    for inspector_id in (device.inspector_id, stranger):
        body = enrol_body(service.code(inspector_id), device_id=device.device_id)
        refused(enrol(service, body), 409, protocol.E_DEVICE_CONFLICT)
    assert stored(service) == before  # no code spent, no device added or changed
    assert device.pull().status_code == 200  # and the real device's token still works


def test_the_same_device_id_with_the_same_key_for_another_inspector_is_a_409(service: Service, device: RawDevice) -> None:
    _other, (stranger,) = service.team("Westshire ICS")
    body = enrol_body(service.code(stranger), device_id=device.device_id, key=device.key)
    before = stored(service)
    refused(enrol(service, body), 409, protocol.E_DEVICE_CONFLICT)
    assert stored(service) == before


def _revoked_and_wiped(device: RawDevice) -> admin.DeviceInfo:
    with device.service.admin() as session:
        admin.revoke_device(session, device.device_id)
        admin.confirm_wipe(session=session, device_id=device.device_id)
        (info,) = [d for d in admin.list_devices(session) if d.id == device.device_id]
    return info


def _public_key(device: RawDevice) -> str:
    return enrol_body("", key=device.key)["public_key"]


def test_a_revoked_devices_public_key_with_a_fresh_code_does_not_enrol_it_again(service: Service, device: RawDevice) -> None:
    """Every teammate's pull carries each device's public key: with a fresh code for the same
    inspector, the key alone (signed for by another key) must bring nothing back."""
    revoked = _revoked_and_wiped(device)
    forged = {**enrol_body(service.code(device.inspector_id), device_id=device.device_id), "public_key": _public_key(device)}
    before = stored(service)
    assert refused(enrol(service, forged), 422, protocol.E_ENROLMENT_PROOF).detail == errors.BAD_PROOF
    assert stored(service) == before  # the code is not spent, the device not changed
    with service.admin() as session:
        assert [d for d in admin.list_devices(session) if d.id == device.device_id] == [revoked]
    refused(device.pull(), 401, protocol.E_REVOKED)


def test_a_revoked_device_is_never_enrolled_again_even_with_its_own_key(service: Service, device: RawDevice) -> None:
    revoked = _revoked_and_wiped(device)
    again = enrol_body(service.code(device.inspector_id), device_id=device.device_id, key=device.key)
    before = stored(service)
    assert refused(enrol(service, again), 403, protocol.E_DEVICE_GONE).detail == errors.REVOKED_FOR_GOOD
    assert stored(service) == before
    with service.admin() as session:  # still revoked, and still known to have wiped its vault
        assert [d for d in admin.list_devices(session) if d.id == device.device_id] == [revoked]
    assert revoked.revoked_at and revoked.wiped_at


def test_a_proof_made_for_one_code_enrols_nothing_with_another(service: Service, team: tuple[str, str]) -> None:
    """A proof is good for its code alone, and a code works once: a proof seen once is no use again."""
    first = enrol_body(service.code(team[1]))
    assert enrol(service, first).status_code == 200
    before = stored(service)
    refused(enrol(service, first), 422, protocol.E_ENROLMENT_CODE)
    refused(enrol(service, {**first, "code": service.code(team[1])}), 422, protocol.E_ENROLMENT_PROOF)
    assert stored(service) == before


def test_a_device_that_lost_its_token_enrols_again_with_its_own_key_and_only_the_new_token_works(service: Service, device: RawDevice) -> None:
    answer = enrol(service, enrol_body(service.code(device.inspector_id), device_id=device.device_id, key=device.key))
    assert answer.status_code == 200, answer.text
    refused(device.pull(), 401, protocol.E_UNAUTHENTICATED)
    device.token = answer.json()["token"]
    assert device.pull().status_code == 200


def test_an_enrolment_that_proves_nothing_is_a_400_saying_to_update_the_app(service: Service, team: tuple[str, str]) -> None:
    """An app from before the proof: it learns what to do, and its code is not spent."""
    old = enrol_body(service.code(team[1]))
    del old["proof"]
    before = stored(service)
    assert refused(enrol(service, old), 400, protocol.E_PROTOCOL).detail == errors.NO_PROOF
    assert stored(service) == before


SMALL_ORDER = {
    "identity": bytes([1]) + bytes(31),
    "identity-with-sign-bit": bytes([1]) + bytes(30) + bytes([0x80]),
    "order-two": bytes([0xEC]) + b"\xff" * 30 + bytes([0x7F]),
    "order-eight": bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    "one-not-canonical": bytes([0xEE]) + b"\xff" * 30 + bytes([0x7F]),
}


@pytest.mark.parametrize("key", SMALL_ORDER.values(), ids=SMALL_ORDER.keys())
def test_a_public_key_of_small_order_is_refused_and_spends_no_code(service: Service, team: tuple[str, str], key: bytes) -> None:
    body = {**enrol_body(service.code(team[1])), "public_key": base64.b64encode(key).decode()}
    before = stored(service)
    assert refused(enrol(service, body), 422, protocol.E_INVALID).detail == identity.BAD_KEY
    assert stored(service) == before


def test_under_the_identity_key_one_forged_signature_holds_for_every_message() -> None:
    """Why small-order keys are refused: the crypto library accepts this forgery."""
    forged = bytes([1]) + bytes(31) + bytes(32)  # R = the identity point, S = 0
    for message in (b"a revision id", b"another one"):
        Ed25519PublicKey.from_public_bytes(SMALL_ORDER["identity"]).verify(forged, message)
    with pytest.raises(Exception):  # noqa: B017, PT011 - an honest key refuses it
        Ed25519PrivateKey.generate().public_key().verify(forged, b"a revision id")
