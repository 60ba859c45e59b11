"""The service process SIGKILLed while a push or an attachment upload is in flight, then restarted
on the same data: the next sync converges, nothing lost, nothing duplicated, the database sound."""

from __future__ import annotations

import hashlib
import io
import random
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from faultproxy import Fault, FaultProxy
from log_fixtures import read_all
from s3_fixtures import WITH_S3, s3_for
from sync_fixtures import (
    chunk_seal,
    BACKENDS,
    ChildService,
    Device,
    Service,
    blob_files,
    new_device_identity,
    postgres_schema,
)
from vault_fixtures import PASSPHRASE, Template, built_once, sample_contents

from fieldapp.storage.models import Revision as VaultRevision
from fieldapp.vault import Vault
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine, SyncReport
from sync.client.enrolment import enrol
from sync.client.errors import SyncError
from sync.client.transport import HttpTransport, RetryPolicy
from sync.server import admin, sealing
from sync.server.blob_folder import BlobFolder
from sync.server.blobs import Upload
from sync.server import models as server
from sync.server.service import blob_store
from sync.server.settings import S3_ENV, S3Settings, Settings

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 2000  # four pushes of protocol.MAX_BATCH
ATTACHMENT_BYTES = 10 << 20  # three transfer chunks of protocol.CHUNK_SIZE
PASS_ONLY = {Fault.PASS: 1.0}

pytestmark = pytest.mark.slow


@dataclass
class Setting:
    child: ChildService
    service: Service  # the administrator's way in, and the URL devices enrol with


@pytest.fixture(params=WITH_S3)
def setting(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setting]:
    s3 = s3_for(request)

    def run(database_url: str | None) -> Iterator[Setting]:
        # The object store as an administrator names it: the bucket on the command line, the rest in the environment.
        child = ChildService(tmp_path / "service", database_url, serve_args=_blob_store_args(s3), env=_s3_environment(s3))
        child.start()
        settings = Settings(data_dir=child.data, database_url=database_url, s3=s3)
        engine = sealing.engine_for(settings)
        try:
            yield Setting(child, Service(child.url, settings, engine))
        finally:
            engine.dispose()
            child.stop()

    if request.param.startswith("sqlite"):
        yield from run(None)
    else:
        with postgres_schema() as url:
            yield from run(url)


def _blob_store_args(s3: S3Settings | None) -> tuple[str, ...]:
    return ("--blob-store", f"s3://{s3.bucket}") if s3 else ()


def _s3_environment(s3: S3Settings | None) -> dict[str, str]:
    if s3 is None:
        return {}
    return {
        S3_ENV + "ENDPOINT": s3.endpoint, S3_ENV + "ACCESS_KEY": s3.access_key, S3_ENV + "SECRET_KEY": s3.secret_key,
        S3_ENV + "PREFIX": s3.prefix,
    }  # fmt: skip


@pytest.fixture(scope="module")
def laden_template(vault_template: Template, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A laptop that gathered RECORDS records offline in an assessment it made itself (made once
    for the whole run: its 2,000 durable saves take half a minute, and its tests run on both
    workers, the PostgreSQL ones in their group and the SQLite ones wherever there is room)."""

    def build(path: Path) -> None:
        shutil.copytree(vault_template.path, path)
        vault = Vault.open(path, passphrase=PASSPHRASE)
        new_device_identity(vault)
        assessment = vault.assessments.create("Westmoor ICS", period_start="2026-11-01", period_end="2026-11-30").value
        contents = sample_contents()
        for i in range(RECORDS):
            vault.records.create(assessment.id, contents[i % len(contents)])
        vault.records.cut_all(reason="test")
        vault.lock()

    return built_once(tmp_path_factory, "laden-vault", build)


@pytest.fixture
def laden_device(laden_template: Path, setting: Setting, tmp_path: Path) -> Iterator[Device]:
    path = tmp_path / "laden"
    shutil.copytree(laden_template, path)
    vault = Vault.open(path, passphrase=PASSPHRASE)
    with setting.service.admin() as session:
        inspector = admin.create_inspector(session, "Inspector L", may_create_assessments=True)
    enrol(vault, setting.child.url, setting.service.code(inspector.id), label="laden")
    yield Device("laden", vault, setting.child.url)
    vault.lock()


def _sync(device: Device, url: str, *, attempts: int = 3) -> SyncReport:
    link = device.vault.replication.link()
    assert link is not None
    transport = HttpTransport(url, read_timeout_s=60, retry=RetryPolicy(attempts=attempts, base_s=0.01, cap_s=0.05))
    try:
        return SyncEngine(device.vault, ServiceApi(transport, link.token)).run()
    finally:
        transport.close()


def _arm(
    proxy: FaultProxy, child: ChildService, method: str, path_end: str, nth: int, *, answered: bool,
    once_written: Callable[[], bool] | None = None,
) -> None:  # fmt: skip
    """SIGKILL the service at the nth matching request: once the request has reached it whole
    (answered=False), or once it has answered (answered=True: it acted, the client never hears);
    with once_written, as soon as that says the chunk is stored (the service is busy with what follows)."""
    seen = 0

    def hook(m: str, p: str) -> bool:
        nonlocal seen
        if m != method or not p.endswith(path_end):
            return False
        seen += 1
        if seen != nth:
            return False
        deadline = time.monotonic() + 30
        while once_written is not None and not once_written() and time.monotonic() < deadline:
            time.sleep(0.0005)
        child.kill()
        return True

    if answered:
        proxy.on_answered = hook
    else:
        proxy.on_forwarded = hook


def _service_revisions(service: Service) -> dict[str, bytes]:
    with service.engine.begin() as connection:  # sealed at rest: opened as the service opens them
        seals = sealing.of(connection)
        rows = connection.execute(sa.select(server.Revision.id, server.Revision.body, server.Revision.assessment_id)).all()
        count, distinct = connection.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(server.Revision.id)))).one()
        bodies = {r.id: seals.open_body(r.assessment_id, r.id, bytes(r.body)) for r in rows}
    assert count == distinct == len(rows), "a revision is stored twice on the service"
    return bodies


def _device_revisions(device: Device) -> dict[str, bytes]:
    with device.vault.transaction("reading revisions for the test") as session:
        rows = session.execute(sa.select(VaultRevision.id, VaultRevision.body, VaultRevision.pushed)).all()
    assert all(r.pushed for r in rows)
    return {r.id: bytes(r.body) for r in rows}


def _assert_database_opens_cleanly(setting: Setting) -> None:
    if setting.child.database_url is None:
        with sqlite3.connect(setting.child.data / "service.db") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    with setting.service.engine.connect() as connection:
        orphans = connection.execute(
            sa.select(sa.func.count()).select_from(server.Revision).outerjoin(server.Record, server.Record.id == server.Revision.record_id)
            .where(server.Record.id.is_(None))
        ).scalar_one()  # fmt: skip
        assert orphans == 0


@pytest.mark.parametrize("setting", BACKENDS, indirect=True)  # a push never touches the blob store
@pytest.mark.parametrize("answered", [False, True], ids=["while-storing", "before-answering"])
def test_a_service_killed_mid_push_loses_and_duplicates_nothing_once_restarted(
    setting: Setting, laden_device: Device, make_device: Callable[..., Device], answered: bool
) -> None:
    with FaultProxy(setting.child.url, seed=0, weights=PASS_ONLY) as proxy:
        _arm(proxy, setting.child, "POST", "/push", 2, answered=answered)
        with pytest.raises(SyncError):
            _sync(laden_device, proxy.url)
    assert setting.child.process is not None and setting.child.process.returncode == -signal.SIGKILL
    # Two batches travel at once: the first one's answer may have come back before the kill, or not.
    acknowledged = RECORDS - laden_device.vault.replication.status().waiting
    assert acknowledged in (0, protocol.MAX_BATCH)

    setting.child.start()
    _assert_database_opens_cleanly(setting)
    stored_before = _service_revisions(setting.service)
    report = _sync(laden_device, setting.child.url)

    held, stored = _device_revisions(laden_device), _service_revisions(setting.service)
    assert len(held) == RECORDS
    assert stored == held
    assert laden_device.vault.replication.status().waiting == 0
    # Each batch in flight was stored whole or not at all; sent again, it is acknowledged and stored once.
    # (Two batches were in flight, on two connections: either may have been stored when the kill came.)
    assert len(stored_before) in (0, protocol.MAX_BATCH, 2 * protocol.MAX_BATCH)
    assert len(stored_before) >= acknowledged
    if answered:  # the second batch's answer was on its way: that batch, at least, was stored
        assert len(stored_before) >= protocol.MAX_BATCH
    assert report.pushed == RECORDS - acknowledged
    _assert_database_opens_cleanly(setting)

    colleague = _colleague(setting, laden_device, make_device)
    assert colleague.sync().pulled == RECORDS
    assert _device_revisions(colleague) == stored


def _colleague(setting: Setting, device: Device, make_device: Callable[..., Device]) -> Device:
    """A teammate added to the assessment the laptop made offline, with a laptop of their own."""
    (assessment,) = device.vault.assessments.list()
    with setting.service.admin() as session:
        inspector = admin.create_inspector(session, "Inspector M")
        admin.add_member(session, assessment.id, inspector.id)
    return make_device(setting.service, inspector.id, "colleague")


@dataclass
class Teammates:
    first: Device
    second: Device
    assessment_id: str


@pytest.fixture
def teammates(setting: Setting, make_device: Callable[..., Device]) -> Teammates:
    assessment_id, (a, b) = setting.service.team(inspectors=2)
    first, second = make_device(setting.service, a, "first"), make_device(setting.service, b, "second")
    first.sync()
    second.sync()
    return Teammates(first, second, assessment_id)


def _attach(device: Device, assessment_id: str, seed: int) -> bytes:
    rec = device.vault.records.create(assessment_id, sample_contents()[1]).value
    data = random.Random(seed).randbytes(ATTACHMENT_BYTES)
    device.vault.attachments.add(rec.id, io.BytesIO(data), name="interview.m4a")
    return data


def _chunk_puts(proxy: FaultProxy) -> list[int]:
    return [int(h.path.rsplit("/", 1)[1]) for h in proxy.hits if h.method == "PUT" and h.attachment]


def _assert_arrived_whole(device: Device, data: bytes) -> None:
    (rec,) = [r for r in device.vault.records.list() if device.vault.records.get(r.id).attachments]
    (att,) = device.vault.records.get(rec.id).attachments
    assert device.vault.attachments.read_bytes(att.id) == data
    assert device.vault.replication.status().downloads == 0


@pytest.mark.parametrize(
    ("chunk", "moment"),
    [(1, "forwarded"), (2, "forwarded"), (2, "written"), (2, "answered")],
    ids=["mid-file", "last-chunk-arriving", "last-chunk-being-checked", "last-chunk-before-answering"],
)
def test_a_service_killed_mid_upload_takes_the_rest_after_restart_and_the_attachment_arrives_whole(
    setting: Setting, teammates: Teammates, chunk: int, moment: str
) -> None:
    data = _attach(teammates.first, teammates.assessment_id, seed=chunk)
    store, upload = blob_store(setting.service.settings, chunk_seal()), Upload(teammates.first.vault.device_id, hashlib.sha256(data).hexdigest(), protocol.CHUNK_SIZE)
    answered = moment == "answered"
    with FaultProxy(setting.child.url, seed=0, weights=PASS_ONLY) as proxy:
        written = (lambda: store.has_chunk(upload, chunk)) if moment == "written" else None
        _arm(proxy, setting.child, "PUT", f"/chunks/{chunk}", 1, answered=answered, once_written=written)
        with pytest.raises(SyncError):
            _sync(teammates.first, proxy.url)
        assert _chunk_puts(proxy) == list(range(chunk + 1))
    assert teammates.first.vault.replication.status().uploads == 1

    setting.child.start()
    _assert_database_opens_cleanly(setting)
    with FaultProxy(setting.child.url, seed=0, weights=PASS_ONLY) as proxy:
        _sync(teammates.first, proxy.url)
        resent = _chunk_puts(proxy)
    assert teammates.first.vault.replication.status().uploads == 0
    if chunk == 1:
        assert resent in ([1, 2], [2])  # chunk 0 was kept: the upload resumed
    if answered:
        assert resent == []  # the service had the whole file; only its answer was lost

    teammates.second.sync()
    _assert_arrived_whole(teammates.second, data)
    assert _service_revisions(setting.service).keys() == _device_revisions(teammates.second).keys() == _device_revisions(teammates.first).keys()
    if setting.service.settings.s3 is not None:  # in the bucket nothing staged is left; the store's keys are in no log
        assert [name for name in blob_files(setting.service) if not name.startswith("objects/")] == []
        assert setting.service.settings.s3.secret_key not in read_all(setting.child.data, setting.child.log.parent)


def test_an_upload_the_service_held_whole_but_could_not_finish_is_finished_at_the_next_sync(
    setting: Setting, teammates: Teammates
) -> None:
    """The state a crash between the last chunk and checking the file leaves: every chunk staged,
    no stored blob. Made here deterministically: a file where the blob's folder must go."""
    if setting.service.settings.s3 is not None:
        pytest.skip("a file in the way of the blob's folder is the folder's own failure; the object store's kills are the test above")
    data = _attach(teammates.first, teammates.assessment_id, seed=7)
    sha256 = hashlib.sha256(data).hexdigest()
    in_the_way = BlobFolder(setting.service.settings.blobs_dir, chunk_seal()).object_dir(sha256).parent
    in_the_way.parent.mkdir(parents=True, exist_ok=True)
    in_the_way.write_bytes(b"")
    with pytest.raises(SyncError):
        _sync(teammates.first, setting.child.url, attempts=1)  # 503 for the last chunk: "try again in 30 s"
    in_the_way.unlink()

    _sync(teammates.first, setting.child.url)
    teammates.second.sync()
    _assert_arrived_whole(teammates.second, data)
