"""Fixtures for sync tests: the real service (SQLite, and PostgreSQL when FIELDAPP_TEST_DATABASE_URL
names one), its administrator, and enrolled devices with real vaults.

The service runs in this process behind the client's transport seam (tests/inprocess.py) unless a
test needs a socket: a fault-injecting proxy, TLS, a kill, or the app's own threads syncing by URL
(`sqlite_service`, `socket_service`, `running_service`, `sockets=True`)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import requests
import requests.adapters
import sqlalchemy as sa
import uvicorn
from inprocess import serving
from sqlalchemy.orm import Session
from vault_fixtures import PASSPHRASE, Template

from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.vault import Vault
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine, SyncReport
from sync.client.enrolment import enrol
from sync.client.transport import HttpTransport, RetryPolicy
from sync.server import admin, db, sealing
from sync.server.app import create_app
from sync.server.cli import main as cli_main
from sync.server.s3 import S3Client
from sync.server.sealing import ChunkSeal
from sync.server.settings import Limits, S3Settings, Settings

BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ChildService:
    """`python -m sync.server … serve` as a child process, killed and restarted on the same data."""

    data: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    serve_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # beside this process's environment (an object store's keys)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data.parent / "service.log"

    def start(self) -> None:
        command = [sys.executable, "-m", "sync.server", "--data", str(self.data)]
        if self.database_url:
            command += ["--database-url", self.database_url]
        with open(self.log, "ab") as log:
            if self.database_url and not self.starts:  # as its administrator would, before the first start
                subprocess.run([*command, "migrate"], cwd=_ROOT, stdout=log, stderr=log, check=True, env={**os.environ, **self.env})
            serve = [*command, "serve", "--port", str(self.port), *self.serve_args]
            self.process = subprocess.Popen(serve, cwd=_ROOT, stdout=log, stderr=log, env={**os.environ, **self.env})
        self.starts += 1
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the service did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no rollback; whatever was in flight is cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}{protocol.API}/status", timeout=1).status_code == 200
        except requests.RequestException:
            return False


@contextmanager
def child_service(data: Path, *serve_args: str) -> Iterator[Service]:
    """`serve` with these options as a child process on SQLite, with the administrator's way in."""
    child = ChildService(data, None, serve_args=serve_args)
    child.start()
    settings = Settings(data_dir=data)
    engine = sealing.engine_for(settings)  # the service's own key, in its data folder
    try:
        yield Service(child.url, settings, engine)
    finally:
        engine.dispose()
        child.stop()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database, so each test's service starts empty; dropped after."""
    from conftest import postgres_url

    base = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


@dataclass
class Service:
    """A running service: its URL, its settings, and a way in for the administrator."""

    url: str
    settings: Settings
    engine: sa.Engine
    adapter: requests.adapters.BaseAdapter | None = None  # in-process: what carries requests instead of a socket

    def transport(self, url: str | None = None, **kwargs: object) -> HttpTransport:
        """The client's real transport to this service (or to `url`, a proxy in front of it)."""
        return HttpTransport(url or self.url, adapter=None if url else self.adapter, **kwargs)  # type: ignore[arg-type]

    def session(self) -> requests.Session:
        """A plain requests session, carried in-process when the service is."""
        session = requests.Session()
        if self.adapter is not None:
            session.mount(self.url + "/", self.adapter)
        return session

    def http(self, method: str, url: str, **kwargs: object) -> requests.Response:
        """A plain requests call, made as `requests.request` makes it (a session for one call)."""
        with self.session() as session:
            return session.request(method, url, **kwargs)  # type: ignore[arg-type]

    @contextmanager
    def admin(self) -> Iterator[Session]:
        with Session(db.writer(self.engine)) as session, session.begin():
            yield session

    def team(self, name: str = "Northshire ICS", inspectors: int = 1) -> tuple[str, list[str]]:
        """An assessment with a team of new inspectors: (assessment id, inspector ids)."""
        with self.admin() as session:
            assessment = admin.create_assessment(session, name, period_start="2026-11-01", period_end="2026-11-30")
            ids = [admin.create_inspector(session, f"Inspector {chr(65 + i)}").id for i in range(inspectors)]
            for inspector_id in ids:
                admin.add_member(session, assessment.id, inspector_id)
        return assessment.id, ids

    def code(self, inspector_id: str) -> str:
        with self.admin() as session:
            return admin.issue_code(session, inspector_id)[0]


@contextmanager
def running_service(
    data_dir: Path, database_url: str | None = None, limits: Limits | None = None, *, chunk_size: int = protocol.CHUNK_SIZE,
    tls: tuple[Path, Path] | None = None, s3: S3Settings | None = None,
) -> Iterator[Service]:  # fmt: skip
    """The real app under uvicorn on a free port of 127.0.0.1, in a thread of this process; over
    https with `tls` (a certificate file and its key file); attachments in `s3` if given."""
    settings = _settings(data_dir, database_url, limits, chunk_size, s3)
    app = create_app(settings)
    port = free_port()
    certificate = {"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])} if tls else {}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on", **certificate))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, name="service", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.01)
    try:
        yield Service(f"{'https' if tls else 'http'}://127.0.0.1:{port}", settings, app.state.service.engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def inprocess_service(
    data_dir: Path, database_url: str | None = None, limits: Limits | None = None, *, chunk_size: int = protocol.CHUNK_SIZE,
    s3: S3Settings | None = None,
) -> Iterator[Service]:  # fmt: skip
    """The real app in this process, as `running_service` serves it, reached through the client's
    transport seam. Its URL names a port nobody listens on, so a client left without the adapter
    fails at once instead of finding another service."""
    settings = _settings(data_dir, database_url, limits, chunk_size, s3)
    app = create_app(settings)
    with serving(app) as adapter:
        yield Service(f"http://127.0.0.1:{free_port()}", settings, app.state.service.engine, adapter)


def _settings(data_dir: Path, database_url: str | None, limits: Limits | None, chunk_size: int, s3: S3Settings | None) -> Settings:
    limits = limits or Limits(requests_per_s=10_000, burst=10_000)
    return Settings(data_dir=data_dir, database_url=database_url, limits=limits, chunk_size=chunk_size, s3=s3)


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service on each backend, in-process."""
    with service_on(request.param, tmp_path / "service") as running:
        yield running


@pytest.fixture(params=BACKENDS)
def socket_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service on each backend, on a socket (for a fault-injecting proxy in front of it)."""
    with service_on(request.param, tmp_path / "service", sockets=True) as running:
        yield running


@contextmanager
def service_on(backend: str, data_dir: Path, *, chunk_size: int = protocol.CHUNK_SIZE, sockets: bool = False) -> Iterator[Service]:
    """A running service on one backend ("sqlite" or "postgresql", in a fresh schema); in-process
    unless `sockets`."""
    with backend_service(backend, data_dir, chunk_size=chunk_size, sockets=sockets) as running:
        yield running


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[Service]:
    """On a socket: the UI's tests start the app's own sync threads, which reach it by URL."""
    with running_service(tmp_path / "service") as running:
        yield running


@pytest.fixture
def inprocess_sqlite_service(tmp_path: Path) -> Iterator[Service]:
    with inprocess_service(tmp_path / "service") as running:
        yield running


@dataclass
class Device:
    """An inspector's laptop: a real vault, enrolled with the service."""

    name: str
    vault: Vault
    url: str
    adapter: requests.adapters.BaseAdapter | None = None  # see Service.adapter

    def sync(self, **kwargs: object) -> SyncReport:
        link = self.vault.replication.link()
        assert link is not None
        transport = HttpTransport(link.url, retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05), adapter=self.adapter, ca_bundle=link.ca_bundle or None)
        try:
            return SyncEngine(self.vault, ServiceApi(transport, link.token), **kwargs).run()  # type: ignore[arg-type]
        finally:
            transport.close()

    def fetch_again(self, record_id: str) -> domain.Content:
        """Open a record retention removed: fetched from the service and put back; its content."""
        link = self.vault.replication.link()
        assert link is not None
        transport = HttpTransport(link.url, adapter=self.adapter)
        try:
            return SyncEngine(self.vault, ServiceApi(transport, link.token)).fetch_again(record_id).content
        finally:
            transport.close()


@pytest.fixture(scope="session")
def laptop_templates(vault_template: Template, tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """The nth laptop of a test, as a locked vault with a device identity of its own, made once per
    session: a test's laptops differ from each other, and each copy costs one unlock, not three.
    (Laptops of different tests may share an identity: each test has its own service.)"""
    made: list[Path] = []

    def nth(index: int) -> Path:
        while len(made) <= index:
            path = tmp_path_factory.mktemp("laptop") / "vault"
            shutil.copytree(vault_template.path, path)
            vault = Vault.open(path, passphrase=PASSPHRASE)
            new_device_identity(vault)
            vault.lock()
            made.append(path)
        return made[index]

    return nth


@pytest.fixture
def make_device(laptop_templates: Callable[[int], Path], tmp_path: Path) -> Iterator[Callable[..., Device]]:
    opened: list[Vault] = []

    def make(service: Service, inspector_id: str, name: str = "laptop", *, ca_bundle: str | None = None) -> Device:
        path = tmp_path / f"vault-{name}-{len(opened)}"
        shutil.copytree(laptop_templates(len(opened)), path)
        vault = Vault.open(path, passphrase=PASSPHRASE)
        opened.append(vault)
        enrol(vault, service.url, service.code(inspector_id), label=name, adapter=service.adapter, ca_bundle=ca_bundle)
        return Device(name, vault, service.url, service.adapter)

    yield make
    for vault in opened:
        vault.lock()


def colleagues(service: Service, make_device: Callable[..., Device], content: object | None = None) -> tuple[str, Device, Device, str | None]:
    """Two inspectors of one team, enrolled and synced; with content, a record the first made and
    both now hold. Returns (assessment id, first, second, record id or None)."""
    assessment_id, (a, b) = service.team(inspectors=2)
    first, second = make_device(service, a, "first"), make_device(service, b, "second")
    first.sync()
    second.sync()
    if content is None:
        return assessment_id, first, second, None
    record_id = first.vault.records.create(assessment_id, content).value.id  # type: ignore[arg-type]
    first.sync()
    second.sync()
    return assessment_id, first, second, record_id


def new_device_identity(vault: Vault) -> None:
    """Copies of the template share its device key; give each its own, as a real laptop has."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fieldapp.ids import uuid7
    from fieldapp.storage.models import Device as DeviceRow
    from fieldapp.storage.models import Meta

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    device_id = uuid7()
    with vault.transaction("new identity") as session:
        session.execute(sa.delete(DeviceRow))
        session.merge(Meta(key="device_id", value=device_id.encode()))
        session.merge(Meta(key="device_signing_key", value=raw))
        session.add(DeviceRow(id=device_id, public_key=public, label="this device"))
    vault.lock()
    vault.unlock(passphrase=PASSPHRASE)


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


# -- raw HTTP, for tests that send what no client would -----------------------------------------------


@contextmanager
def backend_service(
    backend: str, data_dir: Path, *, limits: Limits | None = None, chunk_size: int = protocol.CHUNK_SIZE, sockets: bool = False,
    s3: S3Settings | None = None,
) -> Iterator[Service]:  # fmt: skip
    """Like `service_on`, with limits of its own (small bodies, batches or rates, for the tests of
    limits); attachments in `s3` if given (a "sqlite+s3" backend: see tests/s3_fixtures.py)."""
    serve = running_service if sockets else inprocess_service
    if backend.startswith("sqlite"):
        with serve(data_dir, limits=limits, chunk_size=chunk_size, s3=s3) as running:
            yield running
    else:
        with postgres_schema() as url, serve(data_dir, url, limits=limits, chunk_size=chunk_size, s3=s3) as running:
            yield running


PROTOCOL_HEADERS = {protocol.PROTOCOL_HEADER: str(protocol.PROTOCOL_VERSION)}


def api_url(service: Service, path: str) -> str:
    return f"{service.url}{protocol.API}{path}"


def enrol_body(code: str, *, device_id: str | None = None, key: object | None = None, label: str = "raw") -> dict:
    """An enrolment request as JSON, signed as the app signs it: a fresh device id and Ed25519 key unless given."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fieldapp.ids import uuid7

    from fieldapp.replication import enrolment_proof

    private = key if isinstance(key, Ed25519PrivateKey) else Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    device_id = device_id or uuid7()
    proof = base64.b64encode(enrolment_proof.sign(private, code, device_id, public)).decode()
    return {"code": code, "device_id": device_id, "public_key": base64.b64encode(public).decode(), "proof": proof, "label": label}


@dataclass
class RawDevice:
    """An enrolled device driven with plain `requests`: it signs real revisions, and can send anything."""

    service: Service
    device_id: str
    inspector_id: str
    token: str
    key: object  # Ed25519PrivateKey

    @property
    def headers(self) -> dict[str, str]:
        return {**PROTOCOL_HEADERS, "Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return self.service.http(method, api_url(self.service, path), headers=headers, timeout=60, **kwargs)

    def revision(
        self, assessment_id: str, *, record_id: str | None = None, parents: tuple[str, ...] = (), kind: str = "observation",
        content: dict | None = None, attachments: tuple[dict, ...] = (), deleted: bool = False, device_id: str | None = None,
        framework: str | None = None, created_at: str = "2026-11-20T10:00:00.000000Z", links: tuple[dict, ...] = (),
    ) -> revision.SignedRevision:  # fmt: skip
        """A correctly hashed revision signed with this device's key (whatever the fields claim)."""
        from fieldapp.framework import default_framework
        from fieldapp.ids import uuid7

        snapshot = revision.Snapshot(
            record_id=record_id or uuid7(), assessment_id=assessment_id, kind=kind,
            framework_key=framework or default_framework().key, deleted=deleted,
            content=content if content is not None else {"title": "ICB board", "notes": "10:42 chair asks for the winter plan"},
            links=links, attachments=attachments,
        )  # fmt: skip
        return revision.create(
            snapshot, parents=parents, device_id=device_id or self.device_id, created_at=created_at, private_key=self.key  # type: ignore[arg-type]
        )

    def push(self, *revisions: revision.SignedRevision | dict) -> requests.Response:
        return self.request("POST", "/push", json={"revisions": [wire(r) for r in revisions]})

    def pull(self, cursor: str | None = None, limit: int = 500) -> requests.Response:
        """A page of changes, asked again for up to two seconds while the service says what this device
        would be sent is held behind a transaction open elsewhere on PostgreSQL (autovacuum's, say), as
        the app's engine does (protocol.F_HELD_BACK)."""
        features = {protocol.FEATURES_HEADER: protocol.F_HELD_BACK}
        for _ in range(20):
            answer = self.request("POST", "/pull", json={"cursor": cursor, "limit": limit}, headers=features)
            if answer.status_code != 200 or not answer.json().get("held_back"):
                return answer
            time.sleep(0.1)
        return answer


def wire(rev: revision.SignedRevision | dict) -> dict:
    """A revision as the push body carries it (a dict passes through, for hand-made ones)."""
    import base64

    if isinstance(rev, dict):
        return rev
    return {"id": rev.id, "body": rev.body.decode("utf-8"), "signature": base64.b64encode(rev.signature).decode()}


def raw_device(service: Service, inspector_id: str, label: str = "raw") -> RawDevice:
    """Enrol a new device over plain HTTP with a fresh key and code."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    body = enrol_body(service.code(inspector_id), key=key, label=label)
    answer = service.http("POST", api_url(service, "/enrol"), json=body, headers=PROTOCOL_HEADERS, timeout=30)
    assert answer.status_code == 200, answer.text
    return RawDevice(service, body["device_id"], inspector_id, answer.json()["token"], key)


STORED_TABLES = ("records", "revisions", "blob_refs", "blobs", "devices", "assessments", "team_members")


def stored(service: Service) -> dict[str, int]:
    """Row counts of what requests can add, used codes, and files in the blob store."""
    counts = {}
    with Session(service.engine) as session:
        for table in STORED_TABLES:
            counts[table] = session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        counts["codes_used"] = session.scalar(sa.text("SELECT count(*) FROM enrolment_codes WHERE used_at IS NOT NULL"))
    counts["blob_files"] = len(blob_files(service))
    return counts


def blob_files(service: Service) -> list[str]:
    """Every file of the blob store, by its name under the store's root (the folder, or the
    bucket's prefix): objects/… for whole files, staging/… for part-uploads."""
    s3 = service.settings.s3
    if s3 is None:
        root = service.settings.blobs_dir
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    client = S3Client(s3)
    try:
        return sorted(found.key.removeprefix(s3.prefix) for found in client.listing(s3.prefix))
    finally:
        client.close()


def refused(answer: requests.Response, status: int, code: str) -> protocol.ErrorBody:
    """The answer is that status with an ErrorBody of that code, and words for a person."""
    assert answer.status_code == status, answer.text[:500]
    body = protocol.ErrorBody.model_validate(answer.json())
    assert body.code == code and len(body.detail) > 10, body
    return body


def admin_cli(service: Service, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`fieldapp-server admin …` as typed on the service's machine, against this service's own database."""
    where = ["--data", str(service.settings.data_dir)]
    if service.settings.database_url:
        where += ["--database-url", service.settings.database_url]
    code = cli_main([*where, "admin", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


# -- Redis, for what several service processes share ---------------------------------------------------

REDIS_TEST_URL = os.environ.get("FIELDAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test Redis, its keys under a prefix of this test's own (set in the environment, so the
    services this test starts, in this process or as children, keep to it); skips saying why when
    no Redis answers. Its keys are removed after."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        pytest.skip(f"no Redis answers at {REDIS_TEST_URL} (set FIELDAPP_TEST_REDIS_URL): the shared-state tests need one")
    prefix = f"fieldapp-test-{uuid.uuid4().hex[:12]}:"
    monkeypatch.setenv("FIELDAPP_REDIS_PREFIX", prefix)
    try:
        yield REDIS_TEST_URL
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def chunk_seal() -> ChunkSeal:
    """A seal under a fresh key, for a blob store a test makes itself (its chunks open only there)."""
    key = AESGCM(AESGCM.generate_key(bit_length=256))
    return ChunkSeal(lambda: key)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite in each service's data folder; else one fresh PostgreSQL schema, kept across
    restarts (a service started as a child migrates it first)."""
    if request.param == "sqlite":
        yield None
    else:
        with postgres_schema() as url:
            yield url
