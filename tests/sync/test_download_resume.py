"""An attachment download stopped part-way (the inspector stopped the sync, or the laptop went to
sleep) resumes where it stopped: the next sync fetches only the chunks still missing, and the
file that arrives is whole and checked."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from s3_fixtures import WITH_S3, s3_for
from sync_fixtures import Device, Service, backend_service
from vault_fixtures import sample_contents

from fieldapp.errors import Cancelled
from sync.client.engine import Progress

CHUNK = 1 << 20  # a transfer chunk as large as the vault's own encrypted chunk: each one lands durably
SIZE = 5 * CHUNK + 123  # six chunks, the last one short


@pytest.fixture(params=WITH_S3)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    with backend_service(request.param, tmp_path / "service", chunk_size=CHUNK, s3=s3_for(request)) as running:
        yield running


def test_a_download_stopped_part_way_fetches_only_the_rest_next_time(service: Service, make_device: Callable[..., Device]) -> None:
    assessment, (a, b) = service.team(inspectors=2)
    first, second = make_device(service, a, "first"), make_device(service, b, "second")
    first.sync()
    second.sync()
    record = first.vault.records.create(assessment, sample_contents()[1]).value
    data = random.Random(11).randbytes(SIZE)
    first.vault.attachments.add(record.id, io.BytesIO(data), name="interview.m4a")
    first.sync()

    seen: list[Progress] = []
    after_two_chunks = lambda: any(p.stage == "download" and p.done >= 2 * CHUNK for p in seen)  # noqa: E731
    with pytest.raises(Cancelled):
        second.sync(progress=seen.append, cancel=after_two_chunks)
    (att,) = second.vault.records.get(record.id).attachments
    assert second.vault.replication.status().downloads == 1  # not there yet

    report = second.sync()
    assert report.downloaded_bytes == SIZE - 2 * CHUNK  # only what was missing crossed the network again
    assert second.vault.attachments.read_bytes(att.id) == data
    assert second.vault.replication.status().downloads == 0
    assert second.vault.verify().ok
