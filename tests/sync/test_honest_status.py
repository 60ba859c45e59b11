"""What a record's sync column says is true: "synced" only once its attachment files are on the
service (and, for a colleague's record, here too), "on this laptop only" while the vault syncs
nowhere, and never "synced" for a service that has none of it yet. Real vaults, the real service."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sync_fixtures import Device, Service, inprocess_service
from vault_fixtures import sample_contents

from fieldapp.errors import Cancelled
from fieldapp.search import Query
from fieldapp.vault import Vault
from sync.client.engine import Progress
from sync.client.enrolment import enrol
from sync.server import admin


def _state(vault: Vault, record_id: str) -> str:
    """The state the evidence list shows for the record."""
    return next(row.sync_state for row in vault.search(Query()).items if row.id == record_id)


def _sync_stopping_at(device: Device, stage: str) -> None:
    """A whole sync up to the first step of `stage`, then stopped there (as a lid closing would)."""
    stop = False

    def watch(progress: Progress) -> None:
        nonlocal stop
        stop = stop or progress.stage == stage

    with pytest.raises(Cancelled):
        device.sync(progress=watch, cancel=lambda: stop)


def test_a_record_whose_attachment_has_not_been_sent_is_not_synced_until_the_upload_lands(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, (inspector,) = inprocess_sqlite_service.team()
    laptop = make_device(inprocess_sqlite_service, inspector)
    laptop.sync()
    record = laptop.vault.records.create(assessment_id, sample_contents()[0]).value
    laptop.vault.attachments.add(record.id, io.BytesIO(b"agenda " * 5000), name="agenda.pdf")
    laptop.vault.records.cut_revision(record.id)

    _sync_stopping_at(laptop, "upload")  # the revision is on the service, the file's bytes are not

    assert laptop.vault.replication.status().waiting == 0 and laptop.vault.replication.status().uploads == 1
    assert laptop.vault.records.get(record.id).sync_state == "synced"  # the revisions alone: all there
    assert _state(laptop.vault, record.id) == "files"
    assert laptop.vault.search(Query(sync_states=("synced",))).items == ()
    assert [r.id for r in laptop.vault.search(Query(sync_states=("files",))).items] == [record.id]

    report = laptop.sync()

    assert record.id in report.changes.records  # so the list repaints the row
    assert laptop.vault.replication.status().uploads == 0
    assert _state(laptop.vault, record.id) == "synced"


def test_a_colleagues_record_reads_synced_only_once_its_attachment_has_arrived_here(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, (a, b) = inprocess_sqlite_service.team(inspectors=2)
    first, second = make_device(inprocess_sqlite_service, a, "first"), make_device(inprocess_sqlite_service, b, "second")
    first.sync()
    record = first.vault.records.create(assessment_id, sample_contents()[1]).value
    first.vault.attachments.add(record.id, io.BytesIO(b"interview " * 5000), name="interview.m4a")
    first.vault.records.cut_revision(record.id)
    first.sync()
    assert _state(first.vault, record.id) == "synced"

    _sync_stopping_at(second, "download")

    assert second.vault.replication.status().downloads == 1
    assert _state(second.vault, record.id) == "files"
    second.sync()
    assert _state(second.vault, record.id) == "synced"


def test_a_vault_that_syncs_nowhere_says_its_records_are_on_this_laptop_only(vault: Vault, assessment_id: str) -> None:
    record = vault.records.create(assessment_id, sample_contents()[0]).value
    vault.records.cut_revision(record.id)

    assert vault.replication.link() is None
    assert _state(vault, record.id) == "unlinked"
    assert [r.id for r in vault.search(Query(sync_states=("unlinked",))).items] == [record.id]
    assert vault.search(Query(sync_states=("local",))).items == ()


def test_enrolling_with_another_service_makes_synced_records_wait_again(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device], tmp_path: Path
) -> None:
    assessment_id, (inspector,) = inprocess_sqlite_service.team()
    laptop = make_device(inprocess_sqlite_service, inspector)
    laptop.sync()
    record = laptop.vault.records.create(assessment_id, sample_contents()[0]).value
    laptop.vault.records.cut_revision(record.id)
    laptop.sync()
    assert _state(laptop.vault, record.id) == "synced"

    with inprocess_service(tmp_path / "other") as other:
        _other_assessment, (someone,) = other.team()
        enrol(laptop.vault, other.url, other.code(someone), adapter=other.adapter)

        # The new service holds none of it, not even its assessment yet: it waits on this laptop
        # (the list says why) until the next sync offers the assessment.
        assert _state(laptop.vault, record.id) == "held"


def test_a_push_for_an_assessment_whose_team_one_has_left_names_it_and_what_to_do(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, (inspector,) = inprocess_sqlite_service.team("Northshire ICS")
    laptop = make_device(inprocess_sqlite_service, inspector)
    laptop.sync()
    with inprocess_sqlite_service.admin() as session:
        admin.remove_member(session, assessment_id, inspector)
    laptop.vault.records.create(assessment_id, sample_contents()[0])

    report = laptop.sync()  # the other teams' work still goes; this one waits here (feature team-refusals)

    (words,) = [p for p in report.problems if "Northshire ICS" in p]
    assert "team of assessment “Northshire ICS”" in words and assessment_id not in words
    assert "Ask the service's administrator to add you to that assessment's team" in words
