"""Fixtures for sync tests: the real service on 127.0.0.1 (SQLite, and PostgreSQL when
FIELDAPP_TEST_DATABASE_URL names one), its administrator, and enrolled devices with real vaults."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.orm import Session
from vault_fixtures import PASSPHRASE, Template

from fieldapp.vault import Vault
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine, SyncReport
from sync.client.enrolment import enrol
from sync.client.transport import HttpTransport, RetryPolicy
from sync.server import admin, db
from sync.server.app import create_app
from sync.server.settings import Limits, Settings

BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
def running_service(data_dir: Path, database_url: str | None = None, limits: Limits | None = None) -> Iterator[Service]:
    """The real app under uvicorn on a free port of 127.0.0.1, in a thread of this process."""
    settings = Settings(data_dir=data_dir, database_url=database_url, limits=limits or Limits(requests_per_s=10_000, burst=10_000))
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, name="service", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.01)
    try:
        yield Service(f"http://127.0.0.1:{port}", settings, app.state.service.engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    if request.param == "sqlite":
        with running_service(tmp_path / "service") as running:
            yield running
    else:
        with postgres_schema() as url, running_service(tmp_path / "service", url) as running:
            yield running


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[Service]:
    with running_service(tmp_path / "service") as running:
        yield running


@dataclass
class Device:
    """An inspector's laptop: a real vault, enrolled with the service."""

    name: str
    vault: Vault
    url: str

    def sync(self, **kwargs: object) -> SyncReport:
        link = self.vault.replication.link()
        assert link is not None
        transport = HttpTransport(link.url, retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05))
        try:
            return SyncEngine(self.vault, ServiceApi(transport, link.token), **kwargs).run()  # type: ignore[arg-type]
        finally:
            transport.close()


@pytest.fixture
def make_device(vault_template: Template, tmp_path: Path) -> Iterator[Callable[..., Device]]:
    opened: list[Vault] = []

    def make(service: Service, inspector_id: str, name: str = "laptop") -> Device:
        path = tmp_path / f"vault-{name}-{len(opened)}"
        shutil.copytree(vault_template.path, path)
        vault = Vault.open(path, passphrase=PASSPHRASE)
        _new_device_identity(vault)
        opened.append(vault)
        enrol(vault, service.url, service.code(inspector_id), label=name)
        return Device(name, vault, service.url)

    yield make
    for vault in opened:
        vault.lock()


def _new_device_identity(vault: Vault) -> None:
    """Copies of the template share its device key; give each its own, as a real laptop has."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from fieldapp.ids import uuid7
    from fieldapp.models import Device as DeviceRow
    from fieldapp.models import Meta

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
