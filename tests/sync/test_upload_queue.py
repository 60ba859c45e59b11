"""Which attachment bytes wait to be sent: every file some revision holds, and nothing else."""

from __future__ import annotations

import io
from collections.abc import Callable

import sqlalchemy as sa
from sync_fixtures import Device, Service
from vault_fixtures import sample_contents

from sync.server import models as server


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
