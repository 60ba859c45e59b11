"""A laptop whose vault was restored from a backup catches up with the service, including the
revisions it pushed itself after that backup (the service normally never sends a device its own
revisions back, and the restored vault no longer holds them)."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable

import pytest

import sqlalchemy as sa
from sqlalchemy.orm import Session
from vault_fixtures import PASSPHRASE

from fieldapp import domain
from fieldapp.storage import backup
from fieldapp.errors import Cancelled
from fieldapp.storage.models import Meta
from sync.client.api import ServiceApi
from sync.client.engine import Progress
from sync.client.transport import HttpTransport
from sync.server.models import Revision as ServiceRevision
from sync_fixtures import Device, Service, colleagues


def _heads(device: Device) -> dict[str, str]:
    return {r.id: device.vault.records.get(r.id).head_revision_id for r in device.vault.records.list()}


def test_a_vault_restored_from_a_backup_gets_back_what_it_had_pushed_since(service: Service, make_device: Callable[..., Device]) -> None:
    assessment, first, second, board = colleagues(service, make_device, domain.Observation(title="ICB board", notes="Chair opens"))
    assert board is not None
    first.vault.backup("before the afternoon")  # the vault as it will be restored

    first.vault.records.save(board, domain.Observation(title="ICB board", notes="Chair opens; winter plan agreed"))
    first.vault.records.cut_revision(board)
    interview = first.vault.records.create(assessment, domain.Interview(title="Carer", pseudonym="C1", notes="Waited six hours")).value.id
    first.sync()  # both reach the service; then the laptop's disk is damaged and the backup restored
    second.sync()
    second.vault.records.save(interview, domain.Interview(title="Carer", pseudonym="C1", notes="Waited six hours; then seen"))
    second.sync()  # a colleague's edit on top of a revision the restored vault will not hold

    first.vault.lock()
    backup.restore(first.vault.path)
    first.vault.unlock(passphrase=PASSPHRASE)
    assert interview not in _heads(first)  # the restored vault is as it was at the backup

    report = first.sync()
    assert report.problems == [] and report.conflicts == 0
    assert _heads(first) == _heads(second)
    assert first.vault.records.get(interview).content.notes == "Waited six hours; then seen"
    assert first.vault.records.get(board).content.notes == "Chair opens; winter plan agreed"
    assert first.vault.replication.status().waiting == 0 and first.vault.replication.conflicts() == []
    assert first.vault.verify(attachments=False).ok
    with Session(service.engine) as session:  # nothing was stored twice on the service
        assert session.scalar(sa.select(sa.func.count()).select_from(ServiceRevision)) == 4

    # Once caught up, pulls go back to leaving out its own revisions.
    with first.vault.transaction("reading") as session:
        assert session.get(Meta, "sync.pull_own") is None
    link = first.vault.replication.link()
    assert link is not None
    transport = HttpTransport(link.url, adapter=first.adapter)
    try:
        api = ServiceApi(transport, link.token)
        assert len(api.pull(None, 100, include_own=True).revisions) == 4
        assert {json.loads(r.body)["device_id"] for r in api.pull(None, 100).revisions} == {second.vault.device_id}
    finally:
        transport.close()


def test_a_catch_up_stopped_part_way_carries_on_at_the_next_sync(service: Service, make_device: Callable[..., Device]) -> None:
    assessment, first, second, _ = colleagues(service, make_device)
    first.vault.backup("morning")
    made = [first.vault.records.create(assessment, domain.Observation(title=f"Meeting {n}")).value.id for n in range(30)]
    first.sync()
    first.vault.lock()
    backup.restore(first.vault.path)
    first.vault.unlock(passphrase=PASSPHRASE)

    with pytest.raises(Cancelled):
        first.sync(page=10, cancel=lambda: len(first.vault.records.list()) >= 10)  # stopped after a page or two
    with first.vault.transaction("reading") as session:
        assert session.get(Meta, "sync.pull_own") is not None  # not caught up yet
    first.sync(page=10)
    assert {r.id for r in first.vault.records.list()} == set(made)
    with first.vault.transaction("reading") as session:
        assert session.get(Meta, "sync.pull_own") is None


def test_a_sync_that_began_before_a_lock_stops_instead_of_writing_into_the_vault_unlocked_after(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment, first, second, _ = colleagues(service, make_device)
    for n in range(30):
        second.vault.records.create(assessment, domain.Observation(title=f"Meeting {n}"))
    second.sync()
    cursor_before = first.vault.replication.cursor()

    def lock_and_unlock_once(progress: Progress) -> None:
        if progress.stage == "pull" and not relocked:
            relocked.append(True)
            first.vault.lock()  # e.g. a backup restored here
            first.vault.unlock(passphrase=PASSPHRASE)

    relocked: list[bool] = []
    with pytest.raises(Cancelled):
        first.sync(page=10, progress=lock_and_unlock_once)
    assert first.vault.replication.cursor() == cursor_before  # nothing of that run was written after the unlock
    assert len(first.sync().changes.records) == 30  # the next sync takes it all


def test_a_restore_with_nothing_pushed_since_the_backup_changes_nothing(service: Service, make_device: Callable[..., Device]) -> None:
    _assessment, first, second, board = colleagues(service, make_device, domain.Observation(title="ICB board", notes="Chair opens"))
    first.vault.backup("quiet")
    first.vault.lock()
    backup.restore(first.vault.path)
    first.vault.unlock(passphrase=PASSPHRASE)
    report = first.sync()
    assert (report.problems, report.conflicts, report.updated) == ([], 0, 0)
    assert _heads(first) == _heads(second)


def test_an_attachment_added_after_the_backup_and_never_sent_is_taken_back_and_sent(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment, first, second, _ = colleagues(service, make_device)
    first.vault.backup("morning")
    record = first.vault.records.create(assessment, domain.Observation(title="Ward walk-round")).value.id
    photo = random.Random(5).randbytes(300_000)
    first.vault.attachments.add(record, io.BytesIO(photo), name="whiteboard.jpg")
    with pytest.raises(Cancelled):  # the revision naming it went; the laptop closed before the bytes did
        first.sync(cancel=lambda: first.vault.replication.status().uploads == 1 and first.vault.replication.status().waiting == 0)
    first.vault.lock()
    backup.restore(first.vault.path)
    first.vault.unlock(passphrase=PASSPHRASE)

    report = first.sync()
    assert report.problems == [] and report.uploaded_bytes == len(photo)
    (att,) = first.vault.records.get(record).attachments
    assert first.vault.attachments.read_bytes(att.id) == photo
    second.sync()
    (theirs,) = second.vault.records.get(record).attachments
    assert second.vault.attachments.read_bytes(theirs.id) == photo
    assert first.vault.verify().ok
