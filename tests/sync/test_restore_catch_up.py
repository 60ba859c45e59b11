"""A laptop whose vault was restored from a backup catches up with the service, including the
revisions it pushed itself after that backup (the service normally never sends a device its own
revisions back, and the restored vault no longer holds them)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session
from vault_fixtures import PASSPHRASE

from fieldapp import backup, domain
from fieldapp.models import Meta
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
    first.vault.records.save(board, domain.Observation(title="ICB board", notes="Chair closes"))
    assert first.sync().pulled == 0


def test_a_restore_with_nothing_pushed_since_the_backup_changes_nothing(service: Service, make_device: Callable[..., Device]) -> None:
    _assessment, first, second, board = colleagues(service, make_device, domain.Observation(title="ICB board", notes="Chair opens"))
    first.vault.backup("quiet")
    first.vault.lock()
    backup.restore(first.vault.path)
    first.vault.unlock(passphrase=PASSPHRASE)
    report = first.sync()
    assert (report.problems, report.conflicts, report.updated) == ([], 0, 0)
    assert _heads(first) == _heads(second)
