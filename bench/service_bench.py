"""The service at the scale of an inspectorate: many simulated devices on loopback, each enrolling,
pushing its records and pulling its team's, against `fieldapp-server serve --workers N` on
PostgreSQL (or SQLite) with attachments in an object store (or the data folder).

Each device's first record names a photo (random bytes, one chunk), which it uploads and reads back.

Devices are not vaults: 500 SQLCipher vaults take minutes to create, and one process driving them
would measure itself. Each device is an Ed25519 key and revisions signed ahead with the real
signing and canonical code (bench.sync_bench.signed_revisions), sent over the real HTTP protocol
by the real client (ServiceApi over HttpTransport) from a pool of threads. Each device connects
from an address of its own in 127.0.0.0/8, as devices in the field do, so the enrolment rate limit
(per client address) applies to each as it would, at its default."""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
import requests.adapters
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import seaweedfs
from bench.sync_bench import _free_port, signed_revisions
from fieldapp.ids import uuid7
from fieldapp.replication import enrolment_proof
from fieldapp.revisions import revision
from sync.client.api import ServiceApi
from sync.client.transport import HttpTransport
from sync.server import admin, migrations, sealing
from sync.server.settings import S3_ENV, Settings

DATABASE_ENV = "FIELDAPP_TEST_DATABASE_URL"
START_S = 120


@dataclass
class Device:
    inspector: str
    assessment: str
    code: str
    address: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    device_id: str = field(default_factory=uuid7)
    revisions: list[revision.SignedRevision] = field(default_factory=list)
    photo: bytes = b""


@dataclass
class Tally:
    """What the devices measured, gathered from every thread."""

    enrol_ms: list[float] = field(default_factory=list)
    push_ms: list[float] = field(default_factory=list)
    pull_ms: list[float] = field(default_factory=list)
    upload_ms: list[float] = field(default_factory=list)
    download_ms: list[float] = field(default_factory=list)
    pulled: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run(
    *, devices: int, records: int, workers: int, concurrency: int, team_size: int = 5, batch: int = 50, photo_kb: int = 256,
    database_url: str | None = None, blob_store: str = "s3", where: str | None = None,
) -> dict:  # fmt: skip
    base = Path(where) if where else Path(tempfile.mkdtemp(prefix="fieldapp-service-bench-"))
    database_url = database_url or os.environ.get(DATABASE_ENV) or None
    try:
        with _database(database_url) as url, _blobs(base, blob_store) as env:
            fleet = _enrolment_plan(url or f"sqlite:///{base / 'data' / 'service.db'}", base / "data", devices, team_size)
            for device in fleet:
                device.photo = os.urandom(photo_kb * 1024)
                named = {"id": uuid7(), "name": "photo.jpg", "media_type": "image/jpeg", "size": len(device.photo), "sha256": hashlib.sha256(device.photo).hexdigest()}
                device.revisions = signed_revisions(device.key, device.device_id, device.assessment, records, first_attachments=(named,))
            with _service(base / "data", url, workers, env) as service_url:
                tally, wall = _drive(service_url, fleet, concurrency, batch)
        pushed = devices * records
        return {
            "devices": devices,
            "records_per_device": records,
            "revisions_per_s": round(pushed / wall, 1),
            "push_p50_ms": round(statistics.median(tally.push_ms), 1) if tally.push_ms else None,
            "push_p95_ms": _percentile(tally.push_ms, 0.95),
            "push_p99_ms": _percentile(tally.push_ms, 0.99),
            "pull_p95_ms": _percentile(tally.pull_ms, 0.95),
            "enrol_p95_ms": _percentile(tally.enrol_ms, 0.95),
            "photo_upload_p95_ms": _percentile(tally.upload_ms, 0.95),
            "photo_download_p95_ms": _percentile(tally.download_ms, 0.95),
            "photo_kb": photo_kb,
            "pulled_revisions": tally.pulled,
            "errors": sum(tally.errors.values()),
            "error_kinds": dict(tally.errors),
            "wall_s": round(wall, 1),
            "workers": workers,
            "database": "postgresql" if url else "sqlite",
            "blob_store": blob_store,
            "concurrency": concurrency,
            "team_size": team_size,
            "push_batch": batch,
            "cpus": os.cpu_count(),
        }
    finally:
        if where is None:
            shutil.rmtree(base, ignore_errors=True)


# -- the setting: a database, an object store, the service ------------------------------------------


@contextmanager
def _database(url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL database of the bench's own beside the one `url` names, dropped after;
    None: SQLite in the data folder."""
    if url is None:
        yield None
        return
    import psycopg

    name = f"fieldapp_load_{uuid.uuid4().hex[:12]}"
    server = make_url(url)
    plain = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _blobs(base: Path, choice: str) -> Iterator[dict[str, str]]:
    """The environment that points the service at its blob store: SeaweedFS started here for "s3"."""
    if choice == "folder":
        yield {}
        return
    process, store = seaweedfs.start(base / "seaweedfs")
    try:
        settings = store.settings("load/")
        yield {
            S3_ENV + "ENDPOINT": settings.endpoint, S3_ENV + "BUCKET": settings.bucket, S3_ENV + "ACCESS_KEY": settings.access_key,
            S3_ENV + "SECRET_KEY": settings.secret_key, S3_ENV + "PREFIX": settings.prefix,
        }  # fmt: skip
    finally:
        seaweedfs.stop(process)


def _enrolment_plan(url: str, data: Path, devices: int, team_size: int) -> list[Device]:
    """Inspectors, assessments of `team_size` each and a one-time code per device, made with the
    administrator's own functions (the CLI's, without a process per call)."""
    data.mkdir(parents=True, exist_ok=True)
    engine = sealing.engine_for(Settings(data_dir=data, database_url=url))  # the service's key, in its data folder
    try:
        migrations.upgrade(engine)
        fleet = []
        with Session(engine.execution_options(writer=True)) as session, session.begin():
            for d in range(devices):
                if d % team_size == 0:
                    assessment = admin.create_assessment(session, f"Load test ICS {d // team_size + 1}").id
                inspector = admin.create_inspector(session, f"Inspector {d + 1}").id
                session.flush()
                admin.add_member(session, assessment, inspector)
                code, _expires = admin.issue_code(session, inspector)
                fleet.append(Device(inspector, assessment, code, _address(d)))
        return fleet
    finally:
        engine.dispose()


def _address(d: int) -> str:
    """Device d's own loopback address, 127.1.0.1 onwards (Linux answers on all of 127.0.0.0/8)."""
    return f"127.1.{d // 250}.{d % 250 + 1}"


@contextmanager
def _service(data: Path, url: str | None, workers: int, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "sync.server", "serve", "--data", str(data), "--port", str(port), "--workers", str(workers), "--log-level", "error"]
    command += ["--database-url", url] if url else []
    command += ["--blob-store", "s3://" + env[S3_ENV + "BUCKET"]] if env else ["--blob-store", "folder"]
    process = subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    service_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, service_url)
        yield service_url
    finally:
        process.terminate()
        process.wait(timeout=60)


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(url + "/v1/status", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service did not start (exit {process.poll()})")


# -- the devices --------------------------------------------------------------------------------------


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connects from a chosen local address, so each simulated device is a client of its own."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]


def _drive(url: str, fleet: list[Device], concurrency: int, batch: int) -> tuple[Tally, float]:
    tally = Tally()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda device: _one_device(url, device, batch, tally), fleet))
    return tally, time.perf_counter() - t0


def _one_device(url: str, device: Device, batch: int, tally: Tally) -> None:
    """Enrol, push every record in batches, send the photo the first names and read it back (the
    object store's round trip), then pull the team's; a failure is counted by kind."""
    transport = HttpTransport(url, adapter=_FromAddress(device.address))
    try:
        public = device.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        proof = enrolment_proof.sign(device.key, device.code, device.device_id, public)
        token = _timed(tally.enrol_ms, tally, lambda: ServiceApi(transport).enrol(device.code, device.device_id, public, proof, "load test")).token
        api = ServiceApi(transport, token)
        for start in range(0, len(device.revisions), batch):
            answer = _timed(tally.push_ms, tally, lambda start=start: api.push(device.revisions[start : start + batch]))
            refused = sum(ack.status != "accepted" for ack in answer.acks)
            if refused:
                _count(tally, "revision refused", refused)
        sha256 = hashlib.sha256(device.photo).hexdigest()
        if not _timed(tally.upload_ms, tally, lambda: api.put_chunk(sha256, 0, device.photo)).complete:
            _count(tally, "photo incomplete")
        if _timed(tally.download_ms, tally, lambda: api.get_chunk(sha256, 0)) != device.photo:
            _count(tally, "photo changed")
        cursor, more = None, True
        while more:
            page = _timed(tally.pull_ms, tally, lambda cursor=cursor: api.pull(cursor))
            cursor, more = page.cursor, page.more
            with tally.lock:
                tally.pulled += len(page.revisions)
    except Exception as exc:  # noqa: BLE001 - every failure is one of the load test's errors, by kind
        _count(tally, type(exc).__name__)
    finally:
        transport.close()


def _timed(into: list[float], tally: Tally, call):  # noqa: ANN001, ANN202 - any of the API's calls
    t0 = time.perf_counter()
    answer = call()
    took = (time.perf_counter() - t0) * 1000
    with tally.lock:
        into.append(took)
    return answer


def _count(tally: Tally, kind: str, n: int = 1) -> None:
    with tally.lock:
        tally.errors[kind] += n


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, int(round(q * len(ordered))) - 1)], 1)
