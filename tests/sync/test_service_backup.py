"""`fieldapp-server admin backup` and `restore` on a real service process: its data destroyed and
restored from the backup, laptops sync against it as before, and nothing a laptop sent is lost."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sync_fixtures import BACKENDS, ChildService, Device, Service, postgres_schema
from vault_fixtures import sample_contents

from fieldapp import domain
from sync import protocol
from sync.server import sealing
from sync.server.cli import main
from sync.server.settings import Settings

ATTACHMENT = b"an interview recording " * 40_000  # two transfer chunks


@dataclass
class Running:
    child: ChildService
    service: Service

    def admin(self, *args: str) -> int:
        where = ["--data", str(self.child.data)] + (["--database-url", self.child.database_url] if self.child.database_url else [])
        return main(["admin", *args, *where])

    def destroy(self, key_kept: Path) -> None:
        """The disk lost: the data folder gone and, on PostgreSQL, the service's schema dropped; the
        service key survives only where the administrator kept it apart (`key_kept`), as the docs say."""
        self.child.stop()
        self.service.engine.dispose()
        shutil.copy2(self.child.data / "service.key", key_kept)
        shutil.rmtree(self.child.data)
        if self.child.database_url:
            with self.service.engine.begin() as connection:
                schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Running]:
    def run(database_url: str | None) -> Iterator[Running]:
        child = ChildService(tmp_path / "service", database_url)
        child.start()
        engine = sealing.engine_for(Settings(data_dir=child.data, database_url=database_url))  # the service's key, from its data folder
        try:
            yield Running(child, Service(child.url, Settings(data_dir=child.data, database_url=database_url), engine))
        finally:
            engine.dispose()
            child.stop()

    if request.param == "sqlite":
        yield from run(None)
    else:
        with postgres_schema() as url:
            yield from run(url)


def _with_attachment(device: Device, assessment_id: str) -> str:
    record = device.vault.records.create(assessment_id, sample_contents()[1]).value
    device.vault.attachments.add(record.id, io.BytesIO(ATTACHMENT), name="interview.m4a")
    return record.id


def _attachment_bytes(device: Device, record_id: str) -> bytes:
    (attachment,) = device.vault.records.get(record_id).attachments
    return device.vault.attachments.read_bytes(attachment.id)


def _instance_told(running: Running) -> str:
    return running.service.http("GET", f"{running.service.url}{protocol.API}/status", timeout=10).headers.get(protocol.INSTANCE_HEADER, "")


def _restored(running: Running, backup: Path) -> None:
    key_kept = backup.parent / "service.key, kept apart"
    running.destroy(key_kept)
    running.child.data.mkdir(mode=0o700)
    shutil.copy2(key_kept, running.child.data / "service.key")  # put back first, from where it was kept
    assert running.admin("restore", "--from", str(backup)) == 0
    running.child.start()


def test_a_restored_service_serves_its_laptops_their_records_and_attachments(
    running: Running, make_device: Callable[..., Device], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assessment_id, (a, b) = running.service.team(inspectors=2)
    first = make_device(running.service, a, "first")
    second = make_device(running.service, b, "second")  # enrolled, not yet synced
    first.sync()  # takes the assessment
    observation = first.vault.records.create(assessment_id, domain.Observation(title="ICB board", notes="Chair opens")).value.id
    recording = _with_attachment(first, assessment_id)
    assert first.sync().problems == []

    assert running.admin("backup", "--to", str(tmp_path / "backup")) == 0
    assert "1 attachment(s)" in capsys.readouterr().out
    _restored(running, tmp_path / "backup")

    report = first.sync()
    assert report.problems == [] and report.conflicts == 0
    assert first.vault.records.get(observation).content.notes == "Chair opens"
    assert _attachment_bytes(first, recording) == ATTACHMENT
    report = second.sync()
    assert report.problems == []
    assert second.vault.records.get(observation).content.notes == "Chair opens"
    assert _attachment_bytes(second, recording) == ATTACHMENT
    assert second.vault.replication.status().downloads == 0


def test_what_a_laptop_pushed_after_the_backup_is_sent_again_to_the_restored_service(
    running: Running, make_device: Callable[..., Device], tmp_path: Path,
) -> None:  # fmt: skip
    assessment_id, (a, b) = running.service.team(inspectors=2)
    first, second = make_device(running.service, a, "first"), make_device(running.service, b, "second")
    first.sync()
    board = first.vault.records.create(assessment_id, domain.Observation(title="ICB board", notes="Chair opens")).value.id
    first.sync()
    assert running.admin("backup", "--to", str(tmp_path / "backup")) == 0

    first.vault.records.save(board, domain.Observation(title="ICB board", notes="Chair opens; winter plan agreed"))
    recording = _with_attachment(first, assessment_id)
    assert first.sync().problems == []  # reaches the service, which then loses it
    before = _instance_told(running)
    _restored(running, tmp_path / "backup")
    assert _instance_told(running) not in ("", before)  # the restored database's new id: the laptop's sign to send again

    assert first.sync().problems == []
    report = second.sync()
    assert report.problems == [] and report.conflicts == 0
    assert second.vault.records.get(board).content.notes == "Chair opens; winter plan agreed"
    assert _attachment_bytes(second, recording) == ATTACHMENT
    with running.service.engine.connect() as connection:  # the restored service holds it again
        assert connection.execute(sa.text("SELECT count(*) FROM blobs")).scalar_one() == 1
