"""Which attachment bytes wait to be sent: every file some revision holds, and nothing else."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from s3_fixtures import s3_for
from sync_fixtures import Device, Service, inprocess_service
from vault_fixtures import sample_contents

from sync.server import models as server
from sync.server.settings import Limits, S3Settings


def test_a_file_attached_and_taken_off_before_any_revision_held_it_does_not_wait_to_be_sent(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, (a,) = service.team(inspectors=1)
    device = make_device(service, a, "laptop")
    device.sync()
    rec = device.vault.records.create(assessment_id, sample_contents()[0]).value
    wrong = device.vault.attachments.add(rec.id, io.BytesIO(b"the wrong scan " * 500), name="wrong.pdf").value
    device.vault.attachments.remove(wrong.id)
    device.sync()
    assert device.vault.replication.status().uploads == 0
    assert device.vault.replication.uploads_pending() == []


def test_a_file_taken_off_after_a_revision_held_it_still_reaches_the_service(service: Service, make_device: Callable[..., Device]) -> None:
    assessment_id, (a,) = service.team(inspectors=1)
    first = make_device(service, a, "first")
    first.sync()
    rec = first.vault.records.create(assessment_id, sample_contents()[0]).value
    data = b"the agenda, photographed " * 500
    att = first.vault.attachments.add(rec.id, io.BytesIO(data), name="agenda.jpg").value
    first.vault.records.cut_revision(rec.id)
    first.vault.attachments.remove(att.id)
    assert first.vault.replication.status().uploads == 1  # history holds it
    first.sync()
    assert first.vault.replication.status().uploads == 0
    with service.engine.connect() as connection:
        stored = connection.execute(sa.select(server.Blob.size, server.Blob.complete).where(server.Blob.sha256 == att.sha256)).one()
    assert stored == (len(data), True)


@pytest.fixture(params=["sqlite", "sqlite+s3"])
def s3(request: pytest.FixtureRequest) -> S3Settings | None:
    """Attachments in the data folder, then in the object store."""
    return s3_for(request)


def test_an_attachment_too_large_for_the_services_staging_waits_and_the_others_still_go(
    tmp_path: Path, make_device: Callable[..., Device], s3: S3Settings | None
) -> None:
    limits = Limits(requests_per_s=10_000, burst=10_000, staging_per_device_bytes=64 << 10)
    with inprocess_service(tmp_path / "service", None, limits, chunk_size=16 << 10, s3=s3) as service:
        assessment_id, (a,) = service.team(inspectors=1)
        device = make_device(service, a, "laptop")
        device.sync()
        rec = device.vault.records.create(assessment_id, sample_contents()[0]).value
        big = device.vault.attachments.add(rec.id, io.BytesIO(os.urandom(200 << 10)), name="walkround.mp4").value
        small = device.vault.attachments.add(rec.id, io.BytesIO(os.urandom(20 << 10)), name="agenda.jpg").value
        device.vault.records.cut_revision(rec.id)
        report = device.sync()
        assert [p for p in report.problems if "could not be sent yet" in p and "204.8 kB" in p], report.problems
        with service.engine.connect() as connection:
            held = dict(connection.execute(sa.select(server.Blob.sha256, server.Blob.complete)).tuples().all())
        assert held.get(small.sha256) is True and not held.get(big.sha256)
        assert device.vault.replication.status().uploads == 1  # the big one still waits, safe on the laptop
