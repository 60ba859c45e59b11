"""Attachment uploads that never finish: a device naming huge files, or many, and staging chunks for
them. Its part-sent bytes stay within a quota (a 413 with the limit, and what it already staged
still resumes), part-uploads untouched for long are swept away, and staging a chunk never waits
for the database's one writer."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from s3_fixtures import WITH_S3, s3_for
from sync_fixtures import RawDevice, Service, backend_service, blob_files, chunk_seal, database_url, inprocess_service, raw_device, refused, stored  # noqa: F401 - database_url is a fixture

from sync import protocol
from sync.server.blob_folder import BlobFolder
from sync.server.blobs import Upload
from sync.server import models as server
from sync.server.service import Service as ServerService
from sync.server.service import blob_store
from sync.server.settings import Limits, Settings

CHUNK = 1024  # the service's chunk size here: a 2.5 KiB file is three chunks, the last one short
QUOTA = 4 * CHUNK  # one such file and half another fit in a device's staging; two whole ones do not
WEEK = 7 * 24 * 3600.0
LIMITS = Limits(requests_per_s=10_000, burst=10_000, staging_per_device_bytes=QUOTA, staging_max_age_s=WEEK)
TIB = 1 << 40


def _file(label: str, size: int = 2560) -> bytes:
    seed = hashlib.sha256(label.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def _naming(*files: tuple[str, int]) -> tuple[dict, ...]:
    return tuple(
        {"id": f"att-{n}", "name": f"scan-{n}.pdf", "media_type": "application/pdf", "sha256": sha256, "size": size}
        for n, (sha256, size) in enumerate(files)
    )


@contextmanager
def _service(data_dir: Path, database_url: str | None, limits: Limits = LIMITS) -> Iterator[Service]:
    with inprocess_service(data_dir, database_url, limits, chunk_size=CHUNK) as running:
        yield running



@pytest.fixture(params=WITH_S3)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service on each database, and with its attachments in the object store."""
    with backend_service(request.param, tmp_path / "service", limits=LIMITS, chunk_size=CHUNK, s3=s3_for(request)) as running:
        yield running


@dataclass
class Uploader:
    device: RawDevice
    assessment_id: str

    def name(self, *files: bytes | tuple[str, int]) -> None:
        """Push a revision naming these files (bytes, or a made-up SHA-256 and size)."""
        named = [(f if isinstance(f, tuple) else (_sha(f), len(f))) for f in files]
        assert self.device.push(self.device.revision(self.assessment_id, attachments=_naming(*named))).ok

    def put(self, sha256: str, index: int, data: bytes) -> requests.Response:
        headers = {"Content-Type": "application/octet-stream", "X-Chunk-SHA256": _sha(data)}
        return self.device.request("PUT", f"/blobs/{sha256}/chunks/{index}", data=data, headers=headers)

    def send(self, data: bytes, indexes: range | list[int] | None = None) -> list[requests.Response]:
        parts = _chunks(data)
        return [self.put(_sha(data), i, parts[i]) for i in (range(len(parts)) if indexes is None else indexes)]

    def received(self, data: bytes) -> list[int]:
        answer = self.device.request("GET", f"/blobs/{_sha(data)}")
        assert answer.status_code == 200, answer.text[:300]
        return answer.json()["received"]

    def fetch(self, data: bytes) -> bytes:
        return b"".join(self.device.request("GET", f"/blobs/{_sha(data)}/chunks/{i}").content for i in range(len(_chunks(data))))


def _uploader(service: Service, label: str = "laptop") -> Uploader:
    assessment_id, (inspector,) = service.team()
    return Uploader(raw_device(service, inspector, label), assessment_id)


def _staged_files(service: Service) -> list[str]:
    return [name for name in blob_files(service) if name.startswith("staging/")]


def _age(path: Path, seconds: float) -> None:
    """Make a staged file or folder, and all within it, look untouched for that long."""
    then = time.time() - seconds
    for each in [*path.rglob("*"), path] if path.is_dir() else [path]:
        os.utime(each, (then, then))


# -- the quota ---------------------------------------------------------------------------------------


def test_a_file_bigger_than_the_staging_quota_is_a_413_with_the_limit_at_every_chunk_and_nothing_is_staged(service: Service) -> None:
    """The review's case: revisions may name files of up to 1 TiB, as many as a device likes."""
    uploader = _uploader(service)
    huge = [(_sha(_file(f"huge {n}")), TIB) for n in range(50)]
    uploader.name(*huge)
    before = stored(service)
    for sha256, _size in huge[:3]:
        for index in (0, 1, 999_999):
            body = refused(uploader.put(sha256, index, _file("chunk", CHUNK)), 413, protocol.E_TOO_LARGE)
            assert body.limit == QUOTA and "1.1 TB" in body.detail and "administrator" in body.detail
    assert stored(service) == before and _staged_files(service) == []


def test_a_file_that_would_take_the_devices_part_uploads_past_the_quota_is_refused_while_the_one_started_resumes(
    service: Service,
) -> None:
    uploader = _uploader(service)
    first, second = _file("first"), _file("second")
    uploader.name(first, second)
    assert [a.status_code for a in uploader.send(first, [0, 1])] == [200, 200]

    body = refused(uploader.send(second, [0])[0], 413, protocol.E_TOO_LARGE)
    assert body.limit == QUOTA and "2.0 kB of other attachments part-sent" in body.detail
    assert uploader.received(second) == [] and uploader.received(first) == [0, 1]  # the refusal discarded nothing

    assert uploader.send(first, [1])[0].json() == {"sha256": _sha(first), "index": 1, "received": 2, "complete": False}
    assert uploader.send(first, [2])[0].json()["complete"] is True
    assert [a.json()["complete"] for a in uploader.send(second)] == [False, False, True]  # room again once the first is whole
    assert uploader.fetch(first) == first and uploader.fetch(second) == second
    assert _staged_files(service) == []


def test_the_quota_is_per_device(service: Service) -> None:
    one, other = _uploader(service, "one"), _uploader(service, "other")
    first, second = _file("first"), _file("second")
    one.name(first)
    other.name(second)
    assert all(a.status_code == 200 for a in one.send(first, [0, 1]))
    assert [a.json()["complete"] for a in other.send(second)] == [False, False, True]


# -- many requests at once ----------------------------------------------------------------------------


def test_every_chunk_sent_many_times_at_once_stores_the_file_once_and_whole_and_leaves_nothing_staged(service: Service) -> None:
    uploader = _uploader(service)
    data = _file("flipchart")
    uploader.name(data)
    sends = [i for i in range(3) for _ in range(6)]
    for _round in range(3):
        random.Random(_round).shuffle(sends)
        with ThreadPoolExecutor(len(sends)) as pool:
            answers = list(pool.map(lambda i: uploader.send(data, [i])[0], sends))
        assert [a.status_code for a in answers] == [200] * len(sends), [a.text[:200] for a in answers if a.status_code != 200]
        assert any(a.json()["complete"] for a in answers)
    assert uploader.fetch(data) == data
    assert _staged_files(service) == []  # neither a stray part-upload nor a write's leftovers
    # In the folder, a file of its chunks; in the object store, one object read by ranges.
    objects = [name.split("/")[2] for name in blob_files(service) if name.startswith("objects/")]
    assert objects == [_sha(data)] * (1 if service.settings.s3 else 3)
    with service.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(server.Blob)).scalar_one() == 1


def test_a_staged_chunk_is_never_replaced_so_a_file_being_checked_cannot_change_under_it(service: Service) -> None:
    uploader = _uploader(service)
    data = _file("agenda")
    uploader.name(data)
    wrong = bytes(CHUNK)
    assert uploader.put(_sha(data), 0, wrong).status_code == 200
    assert uploader.send(data, [0])[0].status_code == 200  # the true chunk 0, after the wrong one
    assert uploader.send(data, [1])[0].status_code == 200
    refused(uploader.send(data, [2])[0], 422, protocol.E_BLOB_MISMATCH)  # checked as first staged: wrong
    assert uploader.received(data) == [] and _staged_files(service) == []
    assert [a.json()["complete"] for a in uploader.send(data)] == [False, False, True]


def test_racing_wrong_last_chunks_never_earn_another_teams_file(service: Service) -> None:
    """One request discarding a wrong file while another of the same device is still reading it
    must not count as "another request finished it", though the file is stored (by its team)."""
    owner, outsider = _uploader(service, "owner"), _uploader(service, "outsider")
    data = _file("minutes")
    owner.name(data)
    assert owner.send(data)[-1].json()["complete"] is True
    outsider.name(data)
    wrong = _chunks(bytes(reversed(data)))
    for _round in range(5):
        assert [outsider.put(_sha(data), i, wrong[i]).status_code for i in (0, 1)] == [200, 200]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: outsider.put(_sha(data), 2, wrong[2]), range(8)))
        for answer in answers:
            assert answer.status_code in (200, 422, 503), answer.text[:300]
            assert answer.status_code != 200 or answer.json()["complete"] is False
        refused(outsider.device.request("GET", f"/blobs/{_sha(data)}/chunks/0"), 404, protocol.E_NOT_READY)
        blob_store(service.settings, chunk_seal()).discard(Upload(outsider.device.device_id, _sha(data), CHUNK))  # what a losing request staged


def test_only_the_folder_that_was_hashed_becomes_the_blob(tmp_path: Path) -> None:
    folder = BlobFolder(tmp_path / "blobs", chunk_seal())
    upload = Upload("device", "c" * 64, CHUNK)
    staging = folder.staging_dir(upload)
    for index in range(2):
        folder.add_chunk(upload, index, b"good" * (CHUNK // 4))
    with folder.finishing(upload, 2) as finishing:
        finishing.hash()
        folder.discard(upload)  # another request found a mismatch meanwhile, and the device began again
        for index in range(2):
            folder.add_chunk(upload, index, bytes(CHUNK))
        assert finishing.claim() is False
    assert not staging.exists()  # the folder begun again went too: it was never checked
    for index in range(2):
        folder.add_chunk(upload, index, b"good" * (CHUNK // 4))
    with folder.finishing(upload, 2) as finishing:
        finishing.hash()
        assert finishing.claim() is True
        finishing.promote()
    assert folder.read_chunk("c" * 64, 1, size=2 * CHUNK, chunk_size=CHUNK, sealed=True) == b"good" * (CHUNK // 4)


def test_chunks_are_staged_while_another_writer_holds_the_database(tmp_path: Path) -> None:
    """SQLite has one writer: before, every chunk waited for it (up to 30 s) to write and fsync its
    bytes and hash the file. Now only recording a whole file does."""
    with _service(tmp_path / "service", None) as service:
        uploader = _uploader(service)
        data = _file("recording")
        uploader.name(data)
        holder = sqlite3.connect(service.settings.data_dir / "service.db", isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            staged = uploader.send(data, [0, 1])
            waited = time.monotonic() - started
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        assert [a.json()["received"] for a in staged] == [1, 2]
        assert waited < 5
        assert uploader.send(data, [2])[0].json()["complete"] is True


# -- stale part-uploads -------------------------------------------------------------------------------


def test_part_uploads_untouched_for_the_expiry_are_swept_at_the_first_chunk_after_a_restart(tmp_path: Path, database_url: str | None) -> None:
    data_dir = tmp_path / "service"
    abandoned, recent, huge = _file("abandoned"), _file("recent"), _file("huge", QUOTA)
    with _service(data_dir, database_url) as service:
        away, busy = _uploader(service, "away"), _uploader(service, "busy")
        away.name(abandoned, huge)
        busy.name(recent)
        assert all(a.status_code == 200 for a in away.send(abandoned, [0, 1]))
        assert all(a.status_code == 200 for a in busy.send(recent, [0]))
        refused(away.send(huge, [0])[0], 413, protocol.E_TOO_LARGE)  # the abandoned part-upload fills its quota
        blobs_dir = service.settings.blobs_dir
    folder = BlobFolder(blobs_dir, chunk_seal())
    stale = folder.staging_dir(Upload(away.device.device_id, _sha(abandoned), CHUNK))
    cut_short = folder.device_staging(away.device.device_id) / ".tmp-0123456789abcdef"  # a write a kill cut short
    cut_short.write_bytes(b"half a chunk")
    _age(stale, WEEK + 60)
    _age(cut_short, WEEK + 60)
    _age(folder.staging_dir(Upload(busy.device.device_id, _sha(recent), CHUNK)), WEEK - 3600)  # old, but not yet stale

    with _service(data_dir, database_url) as service:
        away.device.service = busy.device.service = service
        assert away.received(abandoned) == [0, 1]  # a status does not sweep; the first chunk does
        assert [a.json()["complete"] for a in away.send(huge)] == [False, False, False, True]  # its quota is free again
        assert not stale.exists() and not cut_short.exists()
        assert away.received(abandoned) == [] and busy.received(recent) == [0]
        assert [a.json()["complete"] for a in away.send(abandoned)] == [False, False, True]  # and it starts again
        assert away.fetch(abandoned) == abandoned


def test_a_part_upload_with_one_recent_chunk_is_not_stale(tmp_path: Path) -> None:
    folder = BlobFolder(tmp_path / "blobs", chunk_seal())
    upload = Upload("device", "a" * 64, CHUNK)
    staging = folder.staging_dir(upload)
    for index in range(3):
        folder.add_chunk(upload, index, bytes(CHUNK))
    _age(staging, WEEK + 60)
    os.utime(staging / "2", None)  # resumed a moment ago; adding it touched only itself and the folder
    os.utime(staging, (time.time() - WEEK - 60,) * 2)
    assert folder.sweep(max_age_s=WEEK) == 0 and folder.staged(upload) == {0, 1, 2}
    assert folder.sweep(max_age_s=WEEK, now=time.time() + WEEK) == 1 and not staging.exists()


def test_stale_part_uploads_are_looked_for_at_most_once_per_sweep_interval_and_again_after_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "service", limits=LIMITS, redis_url=None)
    running = ServerService(settings, migrate=True)
    folder = running.blobs
    assert isinstance(folder, BlobFolder)
    upload = Upload("device", "b" * 64, CHUNK)
    staging = folder.staging_dir(upload)
    folder.add_chunk(upload, 0, bytes(CHUNK))
    running.sweep_if_due()  # the first since start: looks, finds it fresh
    _age(staging, WEEK + 60)
    running.sweep_if_due()  # within the hour: does not look again
    assert staging.exists()
    ServerService(settings, migrate=True).sweep_if_due()  # started again: the first chunk looks at once
    assert not staging.exists()
    assert folder.device_staging("device").is_dir()  # a device's own folder stays: a write may be about to use it
