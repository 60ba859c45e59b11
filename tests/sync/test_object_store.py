"""Attachments in an S3-compatible object store (a real SeaweedFS, tests/s3_fixtures.py): an upload
resumes across a restart of the service, a whole file is one object read back by byte ranges and
made of parts of at least S3's minimum, stale part-uploads and abandoned multipart uploads are swept,
the store's keys never reach a log or an answer, and `check()` tells a reachable store from not."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from s3_fixtures import ACCESS_KEY, SECRET_KEY, ObjectStore
from sync_fixtures import RawDevice, blob_files, free_port, inprocess_service, raw_device, refused, chunk_seal

from sync import protocol
from sync.server import errors
from sync.server.blob_bucket import PART_BYTES, BlobBucket
from sync.server.blob_folder import BlobFolder
from sync.server.blobs import Upload
from sync.server.s3 import S3Client, sign
from sync.server.sealing import ChunkSeal
from sync.server.settings import S3Settings

MIB = 1 << 20
WEEK = 7 * 24 * 3600.0


def _naming(*files: bytes) -> tuple[dict, ...]:
    return tuple(
        {"id": f"att-{n}", "name": f"scan-{n}.pdf", "media_type": "application/pdf", "sha256": _sha(data), "size": len(data)}
        for n, data in enumerate(files)
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put(device: RawDevice, data: bytes, index: int, chunk: int, *, sent: bytes | None = None) -> dict:
    """Chunk `index` of data (of `sent` instead, if given: bytes that are not the file)."""
    part = (data if sent is None else sent)[index * chunk : (index + 1) * chunk]
    answer = device.request(
        "PUT", f"/blobs/{_sha(data)}/chunks/{index}", data=part, headers={"Content-Type": "application/octet-stream", "X-Chunk-SHA256": _sha(part)}
    )
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def _get(device: RawDevice, data: bytes, index: int) -> bytes:
    answer = device.request("GET", f"/blobs/{_sha(data)}/chunks/{index}")
    assert answer.status_code == 200, answer.text[:300]
    return answer.content


def test_an_upload_resumes_after_the_service_restarts_and_arrives_whole(tmp_path: Path, s3_settings: S3Settings) -> None:
    chunk = 64 << 10
    data = random.Random(1).randbytes(3 * chunk - 100)
    with inprocess_service(tmp_path / "service", chunk_size=chunk, s3=s3_settings) as service:
        assessment_id, (inspector,) = service.team()
        device = raw_device(service, inspector)
        assert device.push(device.revision(assessment_id, attachments=_naming(data))).ok
        assert [_put(device, data, i, chunk)["complete"] for i in (0, 1)] == [False, False]
    with inprocess_service(tmp_path / "service", chunk_size=chunk, s3=s3_settings) as service:
        device.service = service
        assert device.request("GET", f"/blobs/{_sha(data)}").json()["received"] == [0, 1]  # kept in the bucket
        assert _put(device, data, 2, chunk)["complete"] is True
        assert b"".join(_get(device, data, i) for i in range(3)) == data
        assert blob_files(service) == [f"objects/{_sha(data)[:2]}/{_sha(data)}"]  # staged chunks tidied away


def test_a_file_larger_than_a_part_is_one_object_of_large_parts_and_every_chunk_is_read_by_its_range(
    tmp_path: Path, s3_settings: S3Settings
) -> None:
    """1 MiB chunks, each below S3's 5 MiB minimum part, make parts of PART_BYTES; an empty file
    is one object too, and its one empty chunk reads back."""
    chunk = MIB
    big, empty = random.Random(2).randbytes(2 * PART_BYTES + 3 * MIB + 123), b""
    count = -(-len(big) // chunk)
    with inprocess_service(tmp_path / "service", chunk_size=chunk, s3=s3_settings) as service:
        assessment_id, (inspector,) = service.team()
        device = raw_device(service, inspector)
        assert device.push(device.revision(assessment_id, attachments=_naming(big, empty))).ok
        receipts = [_put(device, big, i, chunk) for i in range(count)]
        assert [r["complete"] for r in receipts] == [False] * (count - 1) + [True]
        assert _put(device, empty, 0, chunk)["complete"] is True
        for index in (0, 7, 8, count - 1):
            assert _get(device, big, index) == big[index * chunk : (index + 1) * chunk]
        assert _get(device, empty, 0) == b""
        assert sorted(blob_files(service)) == sorted(f"objects/{_sha(f)[:2]}/{_sha(f)}" for f in (big, empty))
    client = S3Client(s3_settings)
    stored = client.get(f"{s3_settings.prefix}objects/{_sha(big)[:2]}/{_sha(big)}")
    assert len(stored) == len(big) + count * ChunkSeal.OVERHEAD and big[:64] not in stored  # its chunks, each sealed, end to end
    assert list(client.pending_multiparts(s3_settings.prefix)) == []


def test_a_large_file_that_does_not_match_its_sha256_leaves_no_multipart_upload_behind(tmp_path: Path, s3_settings: S3Settings) -> None:
    chunk = MIB
    data = random.Random(3).randbytes(PART_BYTES + MIB)
    wrong = bytes(reversed(data))
    count = -(-len(data) // chunk)
    with inprocess_service(tmp_path / "service", chunk_size=chunk, s3=s3_settings) as service:
        assessment_id, (inspector,) = service.team()
        device = raw_device(service, inspector)
        assert device.push(device.revision(assessment_id, attachments=_naming(data))).ok
        for index in range(count - 1):
            _put(device, data, index, chunk, sent=wrong)
        last = wrong[(count - 1) * chunk :]
        answer = device.request("PUT", f"/blobs/{_sha(data)}/chunks/{count - 1}", data=last, headers={"Content-Type": "application/octet-stream"})
        refused(answer, 422, protocol.E_BLOB_MISMATCH)
        assert blob_files(service) == []
    assert list(S3Client(s3_settings).pending_multiparts(s3_settings.prefix)) == []


def test_stale_part_uploads_and_abandoned_multipart_uploads_are_swept_from_the_bucket(s3_settings: S3Settings) -> None:
    bucket = BlobBucket(s3_settings, chunk_seal())
    away, busy = Upload("away", "a" * 64, MIB), Upload("busy", "b" * 64, MIB)
    for index in range(2):
        bucket.add_chunk(away, index, bytes(10))
    bucket.add_chunk(busy, 0, bytes(10))
    cut_short = bucket.client.begin_multipart(bucket.object_key("c" * 64))  # what a finish killed half-way leaves
    bucket.client.put_part(bucket.object_key("c" * 64), cut_short, 1, bytes(PART_BYTES))

    assert bucket.sweep(max_age_s=WEEK) == 0  # all of it is fresh
    assert bucket.staged(away) == {0, 1} and bucket.staged(busy) == {0}
    assert bucket.part_uploads(max_age_s=WEEK) == (2, 0)  # what /metrics shows as the queue
    assert bucket.part_uploads(max_age_s=-60) == (2, 2)  # a minute from now, both would be stale

    assert bucket.sweep(max_age_s=WEEK, now=time.time() + WEEK + 60) == 3  # two part-uploads and the multipart upload
    assert bucket.staged(away) == set() and bucket.staged(busy) == set()
    assert list(bucket.client.pending_multiparts(s3_settings.prefix)) == []
    assert list(bucket.client.listing(s3_settings.prefix)) == []
    assert bucket.part_uploads(max_age_s=WEEK) == (0, 0)


def test_the_object_stores_keys_never_reach_a_log_or_an_answer(
    tmp_path: Path, object_store: ObjectStore, s3_settings: S3Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger at DEBUG (urllib3's too) through a working upload and download, and a service
    whose secret key is wrong: the refusal is logged, by status, and neither key is anywhere."""
    caplog.set_level(logging.DEBUG)
    chunk = 64 << 10
    data = random.Random(4).randbytes(chunk + 1)
    answers = []
    with inprocess_service(tmp_path / "service", chunk_size=chunk, s3=s3_settings) as service:
        assessment_id, (inspector,) = service.team()
        device = raw_device(service, inspector)
        assert device.push(device.revision(assessment_id, attachments=_naming(data))).ok
        answers += [str(_put(device, data, i, chunk)) for i in range(2)]
        answers.append(_get(device, data, 1).hex())
    wrong_key = object_store.settings(s3_settings.prefix, secret_key="not-the-" + SECRET_KEY)
    with inprocess_service(tmp_path / "service", chunk_size=chunk, s3=wrong_key) as service:
        device.service = service
        refused(answer := device.request("GET", f"/blobs/{_sha(data)}/chunks/0"), 503, errors.Unavailable.code)
        answers.append(answer.text)
        answers.append(repr(service.settings))
    assert "object store: " in caplog.text and "403" in caplog.text
    for secret in (SECRET_KEY, ACCESS_KEY, "not-the-"):
        assert secret not in caplog.text and not any(secret in a for a in answers)


def test_check_passes_for_a_reachable_store_and_is_a_503_for_wrong_keys_or_no_store(
    tmp_path: Path, object_store: ObjectStore, s3_settings: S3Settings
) -> None:
    BlobBucket(s3_settings, chunk_seal()).check()
    BlobFolder(tmp_path / "blobs", chunk_seal()).check()
    for unreachable in (
        object_store.settings(secret_key="wrong"),
        S3Settings(endpoint=f"http://127.0.0.1:{free_port()}", bucket="fieldapp", access_key=ACCESS_KEY, secret_key=SECRET_KEY),
    ):
        with pytest.raises(errors.Unavailable, match="cannot reach its object store"):
            BlobBucket(unreachable, chunk_seal()).check()


@pytest.mark.parametrize(
    ("path", "query", "headers", "signature"),
    [
        ("/test.txt", "", {"Range": "bytes=0-9"}, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        ("/", "max-keys=2&prefix=J", {}, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ],
    ids=["get-object-range", "list-objects"],
)
def test_requests_are_signed_as_the_aws_signature_version_4_examples_are(path: str, query: str, headers: dict, signature: str) -> None:
    """The worked examples of AWS's "Signature Calculations for the Authorization Header"."""
    example = S3Settings(
        endpoint="https://examplebucket.s3.amazonaws.com", bucket="examplebucket",
        access_key="AKIAIOSFODNN7EXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )  # fmt: skip
    signed = sign(
        example, method="GET", host="examplebucket.s3.amazonaws.com", path=path, query=query,
        payload_sha256=hashlib.sha256(b"").hexdigest(), headers=headers, now=datetime(2013, 5, 24, tzinfo=UTC),
    )  # fmt: skip
    names = ";".join(sorted(["host", *(h.lower() for h in headers), "x-amz-content-sha256", "x-amz-date"]))
    assert signed["Authorization"] == (
        f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders={names}, Signature={signature}"
    )
