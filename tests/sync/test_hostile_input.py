"""Bodies no client of ours would send, over real HTTP to the running service: too large (declared,
streamed, or a gzip bomb), broken gzip, unknown encodings, bad JSON, wrong shapes, another protocol.
Each is a clear 4xx with an ErrorBody, and nothing is stored."""

from __future__ import annotations

import gzip
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sync_fixtures import BACKENDS, PROTOCOL_HEADERS, RawDevice, Service, api_url, backend_service, enrol_body, raw_device, refused, stored, wire

from fieldapp.framework import default_framework
from fieldapp.ids import uuid7
from sync import protocol
from sync.server import admin
from sync.server.settings import Limits

MAX_BYTES = 64 << 10  # the service's body limit in these tests: small, so "too large" is cheap to send
JSON = {"Content-Type": "application/json"}


@pytest.fixture(params=BACKENDS)
def small_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    limits = Limits(max_request_bytes=MAX_BYTES, requests_per_s=10_000, burst=10_000, enrol_per_minute=1_000)
    with backend_service(request.param, tmp_path / "service", limits=limits) as service:
        yield service


@pytest.fixture(params=BACKENDS)
def small_socket_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """On a socket, for the tests that announce a body and never send it."""
    limits = Limits(max_request_bytes=MAX_BYTES, requests_per_s=10_000, burst=10_000, enrol_per_minute=1_000)
    with backend_service(request.param, tmp_path / "service", limits=limits, sockets=True) as service:
        yield service


@pytest.fixture
def device(small_service: Service) -> RawDevice:
    _assessment_id, (inspector_id,) = small_service.team()
    return raw_device(small_service, inspector_id)


@pytest.fixture
def socket_device(small_socket_service: Service) -> RawDevice:
    _assessment_id, (inspector_id,) = small_socket_service.team()
    return raw_device(small_socket_service, inspector_id)


@pytest.fixture
def assessment_id(device: RawDevice) -> str:
    (only,) = device.pull().json()["assessments"]
    return only["id"]



def test_a_declared_length_over_the_limit_is_a_413_before_any_of_the_body_is_sent(socket_device: RawDevice) -> None:
    device = socket_device
    before = stored(device.service)
    where = urlsplit(device.service.url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        connection.putrequest("POST", f"{protocol.API}/push")
        for name, value in {**device.headers, **JSON, "Content-Length": str(1 << 30)}.items():
            connection.putheader(name, value)
        connection.endheaders()  # and not one byte of the gigabyte it announced
        answer = connection.getresponse()
        status, body = answer.status, json.loads(answer.read())
    finally:
        connection.close()
    assert status == 413
    assert body["code"] == protocol.E_TOO_LARGE and body["limit"] == MAX_BYTES
    assert stored(device.service) == before


def test_a_streamed_body_without_a_length_is_a_413_once_it_grows_past_the_limit(device: RawDevice, assessment_id: str) -> None:
    before = stored(device.service)
    text = json.dumps({"revisions": [{"id": "0" * 64, "body": "x" * (4 * MAX_BYTES), "signature": ""}]}).encode()

    def pieces() -> Iterator[bytes]:  # a generator: requests sends it chunked, with no Content-Length
        for start in range(0, len(text), 8 << 10):
            yield text[start : start + (8 << 10)]

    body = refused(device.request("POST", "/push", data=pieces(), headers=JSON), 413, protocol.E_TOO_LARGE)
    assert body.limit == MAX_BYTES
    assert stored(device.service) == before


def test_a_gzip_bomb_is_a_413_however_small_it_arrives(device: RawDevice) -> None:
    before = stored(device.service)
    bomb = gzip.compress(b'{"revisions": [' + b" " * (200 * MAX_BYTES) + b"]}", 9)
    assert len(bomb) < MAX_BYTES // 4
    answer = device.request("POST", "/push", data=bomb, headers={**JSON, "Content-Encoding": "gzip"})
    assert refused(answer, 413, protocol.E_TOO_LARGE).limit == MAX_BYTES
    assert stored(device.service) == before


@pytest.mark.parametrize(
    "damage",
    [lambda z: z[: len(z) // 2], lambda z: z[:-6], lambda z: b"not gzip at all", lambda z: z[:10] + bytes(len(z) - 10)],
    ids=["cut-in-half", "cut-before-trailer", "not-gzip", "zeroed-deflate-stream"],
)
def test_broken_gzip_is_a_400_and_nothing_is_stored(device: RawDevice, assessment_id: str, damage) -> None:  # noqa: ANN001
    before = stored(device.service)
    good = json.dumps({"revisions": [wire(device.revision(assessment_id))]}).encode()
    answer = device.request("POST", "/push", data=damage(gzip.compress(good)), headers={**JSON, "Content-Encoding": "gzip"})
    refused(answer, 400, protocol.E_INVALID)
    assert stored(device.service) == before


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "x-gzip", "gzip, gzip", "identity;q=0"])
def test_a_content_encoding_other_than_gzip_is_a_415(device: RawDevice, assessment_id: str, encoding: str) -> None:
    before = stored(device.service)
    answer = device.request("POST", "/push", json={"revisions": [wire(device.revision(assessment_id))]}, headers={"Content-Encoding": encoding})
    refused(answer, 415, protocol.E_UNSUPPORTED_ENCODING)
    assert stored(device.service) == before


def _deep(levels: int) -> str:
    return '{"revisions": ' + "[" * levels + "]" * levels + "}"


HOSTILE_JSON = {
    "not-json": ("{'revisions': []}", "body"),
    "cut-off": ('{"revisions": [{"id": "', "body"),
    "a-list": ("[]", "body"),
    "null": ("null", "body"),
    "revisions-not-a-list": ('{"revisions": "all of them"}', "revisions"),
    "a-number-as-the-id": ('{"revisions": [{"id": 7, "body": "{}", "signature": ""}]}', "revisions.0.id"),
    "missing-signature": ('{"revisions": [{"id": "' + "a" * 64 + '", "body": "{}"}]}', "revisions.0.signature"),
    "missing-everything": ("{}", "revisions"),
    "an-extra-field": ('{"revisions": [], "priority": "high"}', "priority"),
    "an-extra-field-in-a-revision": ('{"revisions": [{"id": "' + "a" * 64 + '", "body": "{}", "signature": "", "x": 1}]}', "x"),
    "an-id-not-hex": ('{"revisions": [{"id": "' + "Z" * 64 + '", "body": "{}", "signature": ""}]}', "revisions.0.id"),
    "a-signature-not-base64": ('{"revisions": [{"id": "' + "a" * 64 + '", "body": "{}", "signature": "%%%"}]}', "signature"),
    "nested-ten-thousand-deep": (_deep(10_000), "nested too deeply"),
    "a-number-of-five-thousand-digits": ('{"revisions": [], "n": ' + "9" * 5_000 + "}", "number too long"),
    "not-utf-8": ('{"revisions": [{"id": "\udcff"}]}', "not UTF-8"),
    "a-lone-surrogate-in-a-body": ('{"revisions": [{"id": "' + "a" * 64 + '", "body": "\\ud800", "signature": ""}]}', "body"),
}


@pytest.mark.parametrize("text, named", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_bad_json_and_wrong_shapes_are_a_422_that_says_what_is_wrong(device: RawDevice, text: str, named: str) -> None:
    before = stored(device.service)
    data = text.encode("utf-8", "surrogateescape")  # "\udcff" becomes the lone byte 0xff
    body = refused(device.request("POST", "/push", data=data, headers=JSON), 422, protocol.E_INVALID)
    assert named in body.detail
    assert stored(device.service) == before


def test_a_revision_body_over_its_limit_is_a_422_naming_the_body(service: Service) -> None:
    _assessment_id, (inspector_id,) = service.team()
    device = raw_device(service, inspector_id)
    before = stored(service)
    huge = {"id": "a" * 64, "body": "x" * (protocol.MAX_REVISION_BYTES + 1), "signature": ""}
    body = refused(device.push(huge), 422, protocol.E_INVALID)
    assert "revisions.0.body" in body.detail
    assert stored(service) == before


@pytest.mark.parametrize(
    "field, value",
    [("label", "x" * 201), ("label", "two\nlines"), ("label", "nul\x00byte"), ("code", "A" * 65), ("code", ""), ("public_key", "A" * 44)],
)
def test_an_enrolment_with_a_field_out_of_bounds_is_a_422_and_spends_nothing(small_service: Service, field: str, value: str) -> None:
    _assessment_id, (inspector_id,) = small_service.team()
    request = {**enrol_body(small_service.code(inspector_id)), field: value}
    before = stored(small_service)
    answer = small_service.http("POST", api_url(small_service, "/enrol"), json=request, headers=PROTOCOL_HEADERS, timeout=30)
    assert field in refused(answer, 422, protocol.E_INVALID).detail
    assert stored(small_service) == before


@pytest.mark.parametrize("spoken", ["2", "0", "1.0", "one", ""])
def test_another_protocol_version_is_a_400_protocol_mismatch(device: RawDevice, assessment_id: str, spoken: str) -> None:
    before = stored(device.service)
    headers = {protocol.PROTOCOL_HEADER: spoken}
    for answer in (
        device.request("POST", "/push", json={"revisions": [wire(device.revision(assessment_id))]}, headers=headers),
        device.request("POST", "/pull", json={}, headers=headers),
        device.service.http("GET", api_url(device.service, "/status"), headers=headers, timeout=30),
    ):
        refused(answer, 400, protocol.E_PROTOCOL)
        assert answer.headers[protocol.PROTOCOL_HEADER] == str(protocol.PROTOCOL_VERSION)  # so the app can say "update"
    assert stored(device.service) == before


def test_an_unknown_path_or_method_is_answered_with_an_error_body(device: RawDevice) -> None:
    refused(device.request("GET", "/nowhere"), 404, protocol.E_NOT_FOUND)
    refused(device.request("DELETE", "/push"), 405, protocol.E_INVALID)


@pytest.mark.parametrize("key", ["%00", "cqc-ics@2024.1%00", "CQC-ICS@2024.1", "x" * 200, "%FF", "no-version"])
def test_a_framework_key_that_cannot_name_a_framework_is_a_422(device: RawDevice, key: str) -> None:
    assert "key" in refused(device.request("GET", f"/frameworks/{key}"), 422, protocol.E_INVALID).detail


def test_a_well_formed_framework_key_the_service_lacks_is_a_404(device: RawDevice) -> None:
    refused(device.request("GET", "/frameworks/made-up@9.9"), 404, protocol.E_NOT_FOUND)


KEY = default_framework().key
OFFERS = {
    "name-with-a-nul": {"name": "North\x00shire", "framework": KEY},
    "name-on-two-lines": {"name": "North\nshire", "framework": KEY},
    "name-empty": {"name": "", "framework": KEY},
    "name-too-long": {"name": "N" * 301, "framework": KEY},
    "framework-unknown": {"name": "Northshire", "framework": "made-up@9.9"},
    "framework-malformed": {"name": "Northshire", "framework": "CQC"},
    "a-date-that-is-no-date": {"name": "Northshire", "framework": KEY, "period_start": "2026-13-45"},
    "ends-before-it-starts": {"name": "Northshire", "framework": KEY, "period_start": "2026-11-30", "period_end": "2026-11-01"},
    "an-extra-field": {"name": "Northshire", "framework": KEY, "team": ["Mallory"]},
}


@pytest.mark.parametrize("offer", OFFERS.values(), ids=OFFERS.keys())
def test_an_offered_assessment_that_is_not_valid_is_a_422_and_makes_nothing(small_service: Service, offer: dict) -> None:
    with small_service.admin() as session:
        creator = admin.create_inspector(session, "Inspector C", may_create_assessments=True).id
    device = raw_device(small_service, creator)
    before = stored(small_service)
    refused(device.request("PUT", f"/assessments/{uuid7()}", json=offer), 422, protocol.E_INVALID)
    assert stored(small_service) == before


def test_an_assessment_offered_by_an_inspector_who_may_not_create_them_is_a_403(device: RawDevice) -> None:
    before = stored(device.service)
    offer = {"name": "Northshire", "framework": KEY}
    refused(device.request("PUT", f"/assessments/{uuid7()}", json=offer), 403, protocol.E_FORBIDDEN)
    assert stored(device.service) == before


# -- a stranger's body is never read; small routes take small bodies; a trickled body times out --


def _raw_request(service: Service, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, dict]:
    """Headers (and as much body as given) on a socket, then the answer: no waiting for the rest."""
    where = urlsplit(service.url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        connection.putrequest(method, f"{protocol.API}{path}")
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body or None)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        connection.close()


@pytest.mark.parametrize("token", [None, "Bearer not-a-token"], ids=["no-token", "unknown-token"])
def test_a_strangers_push_is_a_401_before_its_body_is_read(small_socket_service: Service, token: str | None) -> None:
    # A body announced at the full limit and never sent: a 401 arrives all the same, so the
    # service did not wait for it (nor would it hold it, or parse it, in memory).
    headers = {**PROTOCOL_HEADERS, **JSON, "Content-Length": str(MAX_BYTES)}
    if token:
        headers["Authorization"] = token
    status, body = _raw_request(small_socket_service, "POST", "/push", headers)
    assert (status, body["code"]) == (401, protocol.E_UNAUTHENTICATED)


def test_a_strangers_gzip_bomb_is_a_401_not_inflated(small_service: Service) -> None:
    bomb = gzip.compress(b"[" + b"{}," * (MAX_BYTES // 3) + b"{}]")
    answer = small_service.http("POST", api_url(small_service, "/push"), data=bomb, headers={**PROTOCOL_HEADERS, **JSON, "Content-Encoding": "gzip"}, timeout=30)
    assert refused(answer, 401, protocol.E_UNAUTHENTICATED)


def test_a_pull_body_over_the_small_limit_is_a_413_naming_it(device: RawDevice) -> None:
    limit = Limits().small_request_bytes
    padding = {"cursor": None, "limit": 10, "padding": "x" * (limit + 1)}
    assert refused(device.request("POST", "/pull", json=padding), 413, protocol.E_TOO_LARGE).limit == min(limit, MAX_BYTES)


def test_an_unknown_route_is_answered_without_reading_its_body(socket_device: RawDevice) -> None:
    device = socket_device
    status, _body = _raw_request(device.service, "POST", "/nowhere", {**device.headers, **JSON, "Content-Length": str(MAX_BYTES)})
    assert status == 404
    status, _body = _raw_request(device.service, "DELETE", "/push", {**device.headers, **JSON, "Content-Length": str(MAX_BYTES)})
    assert status == 405


def test_a_body_that_trickles_in_past_the_deadline_is_a_408_and_nothing_stored(tmp_path: Path) -> None:
    limits = Limits(max_request_bytes=MAX_BYTES, body_deadline_s=1.0, requests_per_s=10_000, burst=10_000)
    with backend_service("sqlite", tmp_path / "service", limits=limits, sockets=True) as service:
        _assessment, (inspector_id,) = service.team()
        slow = raw_device(service, inspector_id)
        before = stored(service)
        status, body = _raw_request(service, "POST", "/push", {**slow.headers, **JSON, "Content-Length": "1000"}, b'{"revisions": [')
        assert (status, body["code"]) == (408, protocol.E_INVALID)
        assert "did not arrive" in body["detail"]
        assert stored(service) == before


def test_a_push_may_be_larger_than_the_small_limit_that_every_other_route_keeps(tmp_path: Path) -> None:
    with backend_service("sqlite", tmp_path / "service") as service:
        _assessment, (inspector_id,) = service.team()
        laptop = raw_device(service, inspector_id)
        (assessment,) = laptop.pull().json()["assessments"]
        small = Limits().small_request_bytes
        long_notes = {"title": "Transcript", "notes": "the panel discusses discharge delays " * (small * 6 // 5 // 37)}
        answer = laptop.push(laptop.revision(assessment["id"], content=long_notes))
        assert answer.status_code == 200 and answer.json()["acks"][0]["status"] == "accepted"
        assert len(answer.request.body) > small  # type: ignore[arg-type]
        padded = {"cursor": None, "limit": 10, "padding": "x" * 2 * small}
        assert refused(laptop.request("POST", "/pull", json=padded), 413, protocol.E_TOO_LARGE).limit == small
