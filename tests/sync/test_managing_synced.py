"""What a laptop manages about evidence that is on the central service: archiving an assessment
stays this laptop's choice across syncs and stops nothing syncing; a record deleted and brought
back is back on every laptop; its name stays the administrator's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sync_fixtures import Device, Service, colleagues
from vault_fixtures import sample_contents

from fieldapp.errors import ManagedByService, NotFound
from sync.server.cli import main


def test_an_archived_assessment_stays_archived_here_only_and_its_records_still_sync(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, first, second, _record_id = colleagues(service, make_device, sample_contents()[0])
    first.vault.assessments.set_archived(assessment_id, True)
    with pytest.raises(ManagedByService):
        first.vault.assessments.rename(assessment_id, "Renamed on a laptop")
    later = first.vault.records.create(assessment_id, sample_contents()[1]).value
    assert first.sync().problems == []
    assert first.vault.assessments.get(assessment_id).archived  # a pull rewrites name and period, not this
    second.sync()
    assert not second.vault.assessments.get(assessment_id).archived
    assert second.vault.records.get(later.id).title == later.title


def test_a_record_deleted_and_restored_on_one_laptop_comes_back_on_the_other(service: Service, make_device: Callable[..., Device]) -> None:
    _assessment_id, first, second, record_id = colleagues(service, make_device, sample_contents()[2])
    first.vault.links.tag(record_id, "safe-systems-pathways-transitions")
    first.vault.records.delete(record_id)
    first.sync()
    second.sync()
    with pytest.raises(NotFound):
        second.vault.records.get(record_id)
    first.vault.history.restore_deleted(record_id)
    first.sync()
    assert second.sync().problems == []
    back = second.vault.records.get(record_id)
    assert back.content == sample_contents()[2] and [link.statement_id for link in back.links] == ["safe-systems-pathways-transitions"]
    assert back.sync_state == "synced"


def test_a_period_the_administrator_sets_reaches_the_laptop_at_its_next_sync(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id, first, _second, _record_id = colleagues(service, make_device)
    where = ["--data", str(service.settings.data_dir)]
    if service.settings.database_url:
        where += ["--database-url", service.settings.database_url]
    changed = ["assessment", "set", assessment_id, "--name", "North Shire ICS", "--from", "02/11/2026", "--to", "04/12/2026"]
    assert main([*where, "admin", *changed]) == 0, capsys.readouterr().err
    assert first.sync().problems == []
    here = first.vault.assessments.get(assessment_id)
    assert (here.name, here.period_start, here.period_end) == ("North Shire ICS", "2026-11-02", "2026-12-04")
