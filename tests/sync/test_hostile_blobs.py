"""Attachment uploads no honest device makes: bytes no revision names, chunks of the wrong size or
index or hash, a whole file that is not what its SHA-256 says; and another team or device trying to
read or spoil an upload. Each is a clear 4xx, and nothing is kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from s3_fixtures import WITH_S3, s3_for
from sync_fixtures import RawDevice, Service, backend_service, raw_device, refused, stored

from sync import protocol

CHUNK = 1024  # the service's chunk size here: a 2.5 KiB file is three chunks, the last one short
FILE = hashlib.sha256(b"flipchart").digest() * 80  # 2,560 bytes
SHA = hashlib.sha256(FILE).hexdigest()


@dataclass
class Teams:
    service: Service
    mine: str
    theirs: str
    device: RawDevice  # named the file in a revision of team A, and uploads it
    colleague: RawDevice  # team A too
    outsider: RawDevice  # team B


@pytest.fixture(params=WITH_S3)
def chunked_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    with backend_service(request.param, tmp_path / "service", chunk_size=CHUNK, s3=s3_for(request)) as service:
        yield service


@pytest.fixture
def teams(chunked_service: Service) -> Teams:
    mine, (a1, a2) = chunked_service.team("Northshire ICS", inspectors=2)
    theirs, (b1,) = chunked_service.team("Westshire ICS")
    device, colleague, outsider = (raw_device(chunked_service, i) for i in (a1, a2, b1))
    assert device.push(device.revision(mine, attachments=_naming(SHA, len(FILE)))).ok
    return Teams(chunked_service, mine, theirs, device, colleague, outsider)


def _naming(sha256: str, size: int) -> tuple[dict, ...]:
    return ({"id": "att-1", "name": "flipchart.jpg", "media_type": "image/jpeg", "sha256": sha256, "size": size},)


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def put(device: RawDevice, index: int, data: bytes, *, sha256: str = SHA, declared: str | None = "true") -> requests.Response:
    headers = {"Content-Type": "application/octet-stream"}
    if declared is not None:
        headers["X-Chunk-SHA256"] = hashlib.sha256(data).hexdigest() if declared == "true" else declared
    return device.request("PUT", f"/blobs/{sha256}/chunks/{index}", data=data, headers=headers)



def received(device: RawDevice, sha256: str = SHA) -> list[int]:
    answer = device.request("GET", f"/blobs/{sha256}")
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["received"]


def test_bytes_no_revision_of_the_devices_teams_names_are_a_404_every_way(teams: Teams) -> None:
    unnamed = hashlib.sha256(b"someone else's photo").hexdigest()
    before = stored(teams.service)
    refused(put(teams.device, 0, b"x" * 10, sha256=unnamed), 404, protocol.E_NOT_FOUND)
    refused(teams.device.request("GET", f"/blobs/{unnamed}"), 404, protocol.E_NOT_FOUND)
    refused(teams.device.request("GET", f"/blobs/{unnamed}/chunks/0"), 404, protocol.E_NOT_FOUND)
    assert stored(teams.service) == before


@pytest.mark.parametrize(
    "index, data",
    [(0, FILE[: CHUNK - 1]), (0, FILE[: CHUNK + 1]), (0, b""), (2, FILE[2 * CHUNK - 1 :]), (2, FILE[CHUNK : 2 * CHUNK])],
    ids=["first-short", "first-long", "first-empty", "last-long", "last-full-size"],
)
def test_a_chunk_of_the_wrong_length_is_a_422_and_is_not_kept(teams: Teams, index: int, data: bytes) -> None:
    before = stored(teams.service)
    assert "bytes" in refused(put(teams.device, index, data), 422, protocol.E_INVALID).detail
    assert stored(teams.service) == before and received(teams.device) == []


@pytest.mark.parametrize("whole", [False, True], ids=["arriving", "whole"])
@pytest.mark.parametrize("index", [3, 4, 999_999])
def test_a_chunk_past_the_end_of_the_file_is_a_422_whether_or_not_the_file_is_whole(teams: Teams, index: int, whole: bool) -> None:
    if whole:
        for at, data in enumerate(_chunks(FILE)):
            assert put(teams.device, at, data).status_code == 200
    before = stored(teams.service)
    assert "out of range" in refused(put(teams.device, index, FILE[:CHUNK]), 422, protocol.E_INVALID).detail
    assert stored(teams.service) == before


def test_a_chunk_of_a_whole_file_sent_again_with_the_wrong_length_is_a_422(teams: Teams) -> None:
    for at, data in enumerate(_chunks(FILE)):
        assert put(teams.device, at, data).status_code == 200
    assert put(teams.device, 1, _chunks(FILE)[1]).json()["complete"] is True  # a repeat, as a resumed upload sends
    assert "bytes" in refused(put(teams.device, 1, FILE[:10]), 422, protocol.E_INVALID).detail


@pytest.mark.parametrize("path_index", ["-1", "1000001", "one", "0x1", "1e3"])
def test_a_chunk_index_that_is_no_index_is_a_422(teams: Teams, path_index: str) -> None:
    before = stored(teams.service)
    answer = teams.device.request("PUT", f"/blobs/{SHA}/chunks/{path_index}", data=FILE[:CHUNK])
    assert "index" in refused(answer, 422, protocol.E_INVALID).detail
    assert stored(teams.service) == before


@pytest.mark.parametrize(
    "declared, code",
    [
        (hashlib.sha256(b"another chunk").hexdigest(), protocol.E_BLOB_MISMATCH),
        (hashlib.sha256(FILE[:CHUNK]).hexdigest().upper(), protocol.E_INVALID),
        ("not-a-hash", protocol.E_INVALID),
        ("", protocol.E_INVALID),
    ],
    ids=["another-hash", "capitals", "not-a-hash", "empty"],
)
def test_a_chunk_whose_declared_sha256_is_wrong_or_malformed_is_a_422_and_is_not_kept(teams: Teams, declared: str, code: str) -> None:
    before = stored(teams.service)
    refused(put(teams.device, 0, FILE[:CHUNK], declared=declared), 422, code)
    assert stored(teams.service) == before and received(teams.device) == []


def test_a_whole_file_that_is_not_what_its_sha256_says_is_a_422_blob_mismatch_and_all_of_it_is_discarded(teams: Teams) -> None:
    other = bytes(reversed(FILE))  # same size, other bytes: every chunk arrives intact, the file is wrong
    before = stored(teams.service)
    for index, data in enumerate(_chunks(other)[:-1]):
        assert put(teams.device, index, data).status_code == 200
    refused(put(teams.device, 2, _chunks(other)[-1]), 422, protocol.E_BLOB_MISMATCH)
    assert stored(teams.service) == before  # no blob row, no file: not even the staged chunks
    assert received(teams.device) == []
    refused(teams.colleague.request("GET", f"/blobs/{SHA}/chunks/0"), 404, protocol.E_NOT_READY)
    for index, data in enumerate(_chunks(FILE)):  # and the true file still goes up afterwards
        assert put(teams.device, index, data).status_code == 200
    assert teams.colleague.request("GET", f"/blobs/{SHA}/chunks/0").content == FILE[:CHUNK]


def test_another_team_can_neither_see_nor_fetch_nor_touch_an_upload(teams: Teams) -> None:
    for index in (0, 1):
        assert put(teams.device, index, _chunks(FILE)[index]).status_code == 200
    before = stored(teams.service)
    refused(teams.outsider.request("GET", f"/blobs/{SHA}"), 404, protocol.E_NOT_FOUND)
    refused(teams.outsider.request("GET", f"/blobs/{SHA}/chunks/0"), 404, protocol.E_NOT_FOUND)
    refused(put(teams.outsider, 2, b"x" * (len(FILE) - 2 * CHUNK)), 404, protocol.E_NOT_FOUND)
    assert stored(teams.service) == before
    assert put(teams.device, 2, _chunks(FILE)[2]).json()["complete"] is True
    refused(teams.outsider.request("GET", f"/blobs/{SHA}/chunks/0"), 404, protocol.E_NOT_FOUND)


def test_no_other_device_can_spoil_an_upload_in_progress(teams: Teams) -> None:
    """Staging is per device: a colleague's bad chunk, or another team's wrong file under the same
    SHA-256, lands in their own staging and never in this device's upload."""
    assert teams.outsider.push(teams.outsider.revision(teams.theirs, attachments=_naming(SHA, len(FILE)))).ok
    assert put(teams.device, 0, _chunks(FILE)[0]).status_code == 200
    wrong = [b"\x00" * len(c) for c in _chunks(FILE)]
    assert put(teams.colleague, 1, wrong[1]).status_code == 200  # into the colleague's own staging
    for index in (0, 1):
        assert put(teams.outsider, index, wrong[index]).status_code == 200
    refused(put(teams.outsider, 2, wrong[2]), 422, protocol.E_BLOB_MISMATCH)
    assert received(teams.device) == [0] and received(teams.colleague) == [1]
    for index in (1, 2):
        assert put(teams.device, index, _chunks(FILE)[index]).status_code == 200
    whole = b"".join(teams.colleague.request("GET", f"/blobs/{SHA}/chunks/{i}").content for i in range(3))
    assert whole == FILE


def test_knowing_an_attachments_sha256_is_not_enough_for_another_team_to_read_it(teams: Teams) -> None:
    for index, data in enumerate(_chunks(FILE)):
        assert put(teams.device, index, data).status_code == 200
    assert teams.outsider.push(teams.outsider.revision(teams.theirs, attachments=_naming(SHA, len(FILE)))).ok
    assert teams.outsider.request("GET", f"/blobs/{SHA}/chunks/0").status_code == 404
