"""What a service address, or a service answering what no fieldapp service would, cannot make the
laptop do: connect in plain text to another computer, send a body on to wherever a redirect
points, or hold an answer of any size in memory. Real sockets on 127.0.0.1 throughout."""

from __future__ import annotations

import http.server
import json
import time
import tracemalloc
import zlib

import pytest
from listener import listening, send_answer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fieldapp.revisions import revision
from fieldapp.framework import default_framework
from fieldapp.ids import uuid7
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.errors import InsecureService, ServiceFault, ServiceMoved
from sync.client.transport import HttpTransport, RetryPolicy, check_url

QUICK_RETRIES = RetryPolicy(attempts=3, base_s=0.01, cap_s=0.02)


def _a_revision() -> revision.SignedRevision:
    snapshot = revision.Snapshot(
        record_id=uuid7(), assessment_id=uuid7(), kind="observation", framework_key=default_framework().key, deleted=False,
        content={"title": "Carer interview", "notes": "EVIDENCE: describes a delayed discharge"}, links=(), attachments=(),
    )  # fmt: skip
    key = Ed25519PrivateKey.generate()
    return revision.create(snapshot, parents=(), device_id=uuid7(), created_at="2026-11-20T10:00:00.000000Z", private_key=key)


def _gzip(data: bytes) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    return squeeze.compress(data) + squeeze.flush()


# -- the address ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://192.0.2.2:8765\\@127.0.0.1", "a backslash"),  # requests connects to 192.0.2.2; urlsplit saw 127.0.0.1
        ("http://evil.example\\.127.0.0.1", "a backslash"),
        ("http://evil.example@127.0.0.1:8765", "a user name"),
        ("http://127.0.0.1:8765@evil.example", "a user name"),
        ("http://%31%32%37.0.0.1:8765", "encoded character"),  # urllib3 decodes it, urlsplit does not
        ("http://127.0.0.1:8765#@evil.example", "'#'"),
        ("http://127.0.0.1:8765?@evil.example", "'?'"),
        ("http://127.0.0.1\t.evil.example", "'\\t'"),
        ("http://127.0.0.1 .evil.example", "a space"),
        ("https://bücher.example", "xn-- form"),
        ("http:127.0.0.1", "is not a service address"),
        ("http://127.0.0.1:99999", "is not a service address"),
        ("ftp://127.0.0.1", "is not a service address"),
        ("http://fieldapp.example.org", "Refusing plain http:// to fieldapp.example.org"),
        ("http://[::ffff:192.0.2.2]:8765", "Refusing plain http://"),
    ],
)
def test_an_address_that_could_reach_another_computer_in_plain_text_is_refused_in_words(url: str, words: str) -> None:
    with pytest.raises(InsecureService) as refused:
        check_url(url)
    assert words in str(refused.value)
    assert "https://fieldapp.example.org" in str(refused.value) or "Use https://" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://fieldapp.example.org",
        "https://Fieldapp.Example.org:8443/base/",
        "http://127.0.0.1:8765/",
        "http://localhost:8765",
        "http://[::1]:8765",
    ],
)
def test_ordinary_addresses_are_taken_as_typed(url: str) -> None:
    assert check_url(f"  {url} ") == url.rstrip("/")


def test_a_backslash_address_is_refused_before_anything_connects_anywhere() -> None:
    # The other computer stands in as a second listener on 127.0.0.1: before the fix, the check
    # read "localhost" after the backslash while requests connected to the listener.
    with listening(lambda h: send_answer(h, 200, b"{}")) as elsewhere:
        url = f"{elsewhere.url}\\@localhost"
        with pytest.raises(InsecureService, match="backslash"):
            ServiceApi(HttpTransport(url), token="fa1_SECRET").push([_a_revision()])
        time.sleep(0.2)
    assert elsewhere.connections == []


def test_plain_http_to_this_computer_never_goes_through_a_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    ok = b'{"protocol": 1, "time": "2026-11-23T10:00:00Z"}'
    with listening(lambda h: send_answer(h, 404, b"")) as proxy, listening(lambda h: send_answer(h, 200, ok)) as service:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        transport = HttpTransport(service.url, retry=QUICK_RETRIES)
        try:
            ServiceApi(transport, token="fa1_SECRET").status()
        finally:
            transport.close()
        time.sleep(0.2)
    assert proxy.connections == []  # the token never went to the proxy
    assert [r[1] for r in service.requests] == [f"{protocol.API}/status"]


@pytest.mark.parametrize("framed", [False, True], ids=["no-length-yet", "length-before-the-cut"])
def test_an_answer_cut_inside_a_header_word_is_a_broken_connection_tried_again_not_a_strange_service(framed: bool) -> None:
    ok = b'{"protocol": 1, "time": "2026-11-23T10:00:00Z"}'
    answered = []

    def cut_once(handler: http.server.BaseHTTPRequestHandler) -> None:
        answered.append(1)
        if len(answered) == 1:  # the head cut off mid-word, then the connection gone
            length = b"Content-Length: 40\r\n" if framed else b""
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + length + b"Content-Encoding: gz")
            handler.wfile.flush()
            handler.close_connection = True
            return
        send_answer(handler, 200, ok)

    with listening(cut_once) as service:
        transport = HttpTransport(service.url, retry=QUICK_RETRIES)
        try:
            assert ServiceApi(transport).status().protocol == 1
        finally:
            transport.close()
    assert len(service.requests) == 2


# -- redirects --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_evidence_goes_nowhere_else(status: int) -> None:
    with listening(lambda h: send_answer(h, 200, b'{"acks": []}')) as elsewhere:
        moved_to = f"{elsewhere.url}/steal"
        with listening(lambda h: send_answer(h, status, b"", Location=moved_to)) as service:
            api = ServiceApi(HttpTransport(service.url, retry=QUICK_RETRIES), token="fa1_SECRET")
            with pytest.raises(ServiceMoved) as moved:
                api.push([_a_revision()])
            api.transport.close()
        time.sleep(0.2)
    assert elsewhere.connections == [] and elsewhere.requests == []
    assert len(service.requests) == 1  # not retried either: the address needs a person
    message = str(moved.value)
    assert f"redirect to {moved_to}" in message and "Sync settings" in message and service.url in message


def test_a_redirect_to_a_location_full_of_control_characters_is_shown_tamed() -> None:
    with listening(lambda h: send_answer(h, 302, b"", Location="https://x.example/\x1b[31mred")) as service, pytest.raises(ServiceMoved) as moved:
        ServiceApi(HttpTransport(service.url)).status()
    assert "\x1b" not in str(moved.value) and "https://x.example/?[31mred" in str(moved.value)


# -- answer sizes -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """256 MiB of zeros in a quarter of a megabyte: four times what the app accepts."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(squeeze.compress(zeros) for _ in range(256)) + squeeze.flush()


def test_an_answer_inflating_past_the_limit_is_dropped_without_being_held(gzip_bomb: bytes) -> None:
    assert len(gzip_bomb) < 1 << 20
    with listening(lambda h: send_answer(h, 200, gzip_bomb, Content_Encoding="gzip")) as service:
        api = ServiceApi(HttpTransport(service.url, retry=QUICK_RETRIES), token="fa1_SECRET")
        tracemalloc.start()
        try:
            with pytest.raises(ServiceFault) as fault:
                api.pull(None)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        api.transport.close()
    assert "larger than this app accepts (67.1 MB)" in str(fault.value) and "nothing was stored" in str(fault.value)
    assert peak < protocol.MAX_ANSWER_BYTES + (8 << 20)  # it stopped at the limit, not at 256 MiB
    assert len(service.requests) == 1  # a second try would only fetch it again


def test_an_answer_declaring_a_length_past_the_limit_is_dropped_before_its_body() -> None:
    def declare(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(protocol.MAX_ANSWER_BYTES + 1))
        handler.end_headers()
        handler.wfile.write(b'{"revisions": [')
        handler.wfile.flush()
        time.sleep(5)  # the rest never comes: a client waiting for it would hang here

    with listening(declare) as service:
        started = time.monotonic()
        with pytest.raises(ServiceFault, match="larger than this app accepts"):
            ServiceApi(HttpTransport(service.url, read_timeout_s=30), token="fa1_SECRET").pull(None)
        assert time.monotonic() - started < 3


def test_a_plain_answer_streaming_past_the_limit_is_dropped_at_the_limit() -> None:
    def flood(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        piece = b" " * (1 << 20)
        for _ in range(200):  # 200 MiB, if nobody stops reading
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))

    with listening(flood) as service, pytest.raises(ServiceFault, match="larger than this app accepts"):
        ServiceApi(HttpTransport(service.url), token="fa1_SECRET").pull(None)


def test_an_answer_in_a_coding_the_app_does_not_read_is_a_fault_in_words() -> None:
    def brotli(handler: http.server.BaseHTTPRequestHandler) -> None:
        send_answer(handler, 200, b"\x1b\x00\x00", Content_Encoding="br")

    with listening(brotli) as service, pytest.raises(ServiceFault, match="encoding this app does not read"):
        ServiceApi(HttpTransport(service.url)).status()


def test_a_large_gzip_answer_within_the_limit_arrives_whole_even_in_several_members() -> None:
    status = json.dumps({"service": "fieldapp", "protocol": 1, "time": "2026-11-20T10:00:00Z"}).encode()
    padded = status[:-1] + b" " * (40 << 20) + b"}"  # inflates in many full pieces: each must be drained
    with listening(lambda h: send_answer(h, 200, _gzip(padded), Content_Encoding="gzip")) as one:
        assert ServiceApi(HttpTransport(one.url)).status().time == "2026-11-20T10:00:00Z"
    whole = status[:-1] + b" " * 5_000_000 + b"}"
    members = b"".join(_gzip(whole[i : i + 1_000_000]) for i in range(0, len(whole), 1_000_000))
    with listening(lambda h: send_answer(h, 200, members, Content_Encoding="gzip")) as several:
        assert HttpTransport(several.url).request("GET", "/v1/status").content == whole


def test_answers_read_in_full_leave_the_connection_open_for_the_next_request() -> None:
    body = b'{"service": "fieldapp", "protocol": 1, "time": "t"}' + b" " * 4000
    with listening(lambda h: send_answer(h, 200, _gzip(body), Content_Encoding="gzip")) as service:
        api = ServiceApi(HttpTransport(service.url))
        for _ in range(3):
            api.status()
        api.transport.close()
    assert len(service.requests) == 3 and len(service.connections) == 1
