"""An attachment that arrives damaged (its bytes are not the SHA-256 its revision names) is not
kept and does not stop the sync: the other attachments arrive, the run ends normally, nothing of
the damaged one stays on the laptop, and once the service's copy is sound again it arrives."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultproxy import Fault, FaultProxy
from sync_fixtures import Device, Service, colleagues, inprocess_service, running_service
from vault_fixtures import sample_contents

from fieldapp.errors import NotFound
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine
from sync.client.transport import HttpTransport, RetryPolicy
from sync.client.engine import Progress

CHUNK = 1 << 20  # transfer chunks as large as the vault's own: each one lands on disk before the next comes


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with inprocess_service(tmp_path / "service", chunk_size=CHUNK) as running:
        yield running


@pytest.fixture
def socket_service(tmp_path: Path) -> Iterator[Service]:
    """On a socket, for a proxy that spoils an answer on the way."""
    with running_service(tmp_path / "service", chunk_size=CHUNK) as running:
        yield running


def _stored_chunk(service: Service, sha256: str, index: int) -> Path:
    return service.settings.blobs_dir / "objects" / sha256[:2] / sha256 / str(index)


def _flip_bytes(path: Path) -> bytes:
    """Spoil a stored chunk the way a failing disk would (same length, other bytes); returns the original."""
    original = path.read_bytes()
    spoilt = bytearray(original)
    for offset in (0, len(spoilt) // 2, len(spoilt) - 1):
        spoilt[offset] ^= 0xFF
    path.write_bytes(bytes(spoilt))
    return original


def _leftovers(device: Device) -> list[str]:
    """Files in the vault's attachment folder that are not a stored attachment: partials, temp files."""
    store = device.vault.blobs
    return sorted(p.name for p in store.root.iterdir() if p.name not in store.names())


def _holds_plaintext(folder: Path, data: bytes) -> bool:
    pieces = [data[offset : offset + 64] for offset in (0, len(data) // 3, len(data) - 64)]
    return any(piece in path.read_bytes() for path in folder.rglob("*") if path.is_file() for piece in pieces)


def _two_attachments(first: Device, assessment_id: str) -> tuple[str, bytes, bytes, str, str]:
    """A record with a smaller file (to be damaged) and a larger one, which is fetched after it:
    (record id, smaller bytes, larger bytes, smaller's SHA-256, larger's SHA-256)."""
    record = first.vault.records.create(assessment_id, sample_contents()[1]).value
    rng = random.Random(20261124)
    small, large = rng.randbytes(CHUNK + 5_000), rng.randbytes(2 * CHUNK + 77)  # two chunks; three
    damaged = first.vault.attachments.add(record.id, io.BytesIO(small), name="interview.m4a").value
    intact = first.vault.attachments.add(record.id, io.BytesIO(large), name="walkround.mp4").value
    first.sync()
    return record.id, small, large, damaged.sha256, intact.sha256


def _bytes_by_name(device: Device, record_id: str) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for att in device.vault.records.get(record_id).attachments:
        try:
            found[att.name] = device.vault.attachments.read_bytes(att.id, record_id=record_id)
        except NotFound:
            found[att.name] = None  # not downloaded
    return found


def test_a_damaged_stored_copy_is_never_served_while_the_rest_arrives_and_the_sync_ends(
    service: Service, make_device: Callable[..., Device]
) -> None:
    """Chunks are sealed at rest: a stored copy altered on the service's disk fails its seal there
    and is not sent (a service that sent spoilt bytes anyway is the engine tests' liar below)."""
    assessment_id, first, second, _ = colleagues(service, make_device)
    record_id, small, large, damaged_sha, _intact_sha = _two_attachments(first, assessment_id)
    original = _flip_bytes(_stored_chunk(service, damaged_sha, 0))

    seen: list[Progress] = []
    report = second.sync(progress=seen.append)  # returns: the damage does not fail the run

    assert seen[-1].stage == "done"  # every step ran, to the end (mark_synced is the one before)
    assert report.problems == []  # the service answered "not ready": nothing damaged reached the laptop
    assert _bytes_by_name(second, record_id) == {"interview.m4a": None, "walkround.mp4": large}
    assert second.vault.replication.status().downloads == 1  # still wanted: the next sync fetches it again
    assert [name[:6] for name in _leftovers(second)] in ([], [".part-"])  # at most the partial it resumes from
    assert not _holds_plaintext(second.vault.path, small)

    _stored_chunk(service, damaged_sha, 0).write_bytes(original)  # the administrator restores the service's copy
    again = second.sync()

    assert again.problems == []
    assert again.downloaded_bytes == len(small)  # chunk 0 was the damaged one: nothing of the file had landed
    assert _bytes_by_name(second, record_id) == {"interview.m4a": small, "walkround.mp4": large}
    assert second.vault.replication.status().downloads == 0
    assert _leftovers(second) == []
    assert second.vault.verify().ok


@pytest.mark.parametrize(
    ("index", "spoil"),
    [
        (1, lambda data: data + b"\x00" * 100),  # longer than the file allows, after the first chunk landed
        (0, lambda data: data[:1000]),  # cut short: it would be asked for again and again
    ],
    ids=["longer", "shorter"],
)
def test_a_stored_chunk_of_the_wrong_length_drops_that_download_and_what_had_landed_of_it(
    service: Service, make_device: Callable[..., Device], index: int, spoil: Callable[[bytes], bytes]
) -> None:
    assessment_id, first, second, _ = colleagues(service, make_device)
    record_id, small, large, damaged_sha, _intact_sha = _two_attachments(first, assessment_id)
    chunk = _stored_chunk(service, damaged_sha, index)
    original = chunk.read_bytes()
    chunk.write_bytes(spoil(original))

    report = second.sync()  # returns, having gone on to the other file

    assert report.problems == []  # refused by the service (its seal does not open), never served
    assert _bytes_by_name(second, record_id) == {"interview.m4a": None, "walkround.mp4": large}
    assert [name[:6] for name in _leftovers(second)] in ([], [".part-"])  # at most the partial of chunks that opened
    assert not _holds_plaintext(second.vault.path, small)

    chunk.write_bytes(original)
    again = second.sync()
    assert again.problems == [] and again.downloaded_bytes == len(small) - index * CHUNK  # resumed after what had landed
    assert _bytes_by_name(second, record_id)["interview.m4a"] == small


def test_a_chunk_damaged_on_the_way_keeps_what_arrived_whole_and_the_next_sync_takes_the_rest(
    socket_service: Service, make_device: Callable[..., Device]
) -> None:
    service = socket_service
    assessment_id, first, second, _ = colleagues(service, make_device)
    record_id, small, large, damaged_sha, _intact_sha = _two_attachments(first, assessment_id)
    second_chunk = lambda method, path: method == "GET" and path.endswith(f"/{damaged_sha}/chunks/1")  # noqa: E731
    link = second.vault.replication.link()
    assert link is not None
    with FaultProxy(service.url, seed=0, weights={Fault.PASS: 1.0}, script=[Fault.FLIP_BODY], target=second_chunk) as proxy:
        transport = HttpTransport(proxy.url, retry=RetryPolicy(attempts=1))
        try:
            report = SyncEngine(second.vault, ServiceApi(transport, link.token)).run()
        finally:
            transport.close()
        assert [h.fault for h in proxy.hits if second_chunk(h.method, h.path)] == [Fault.FLIP_BODY]

    assert [p for p in report.problems if "arrived damaged on the way" in p], report.problems
    assert _bytes_by_name(second, record_id) == {"interview.m4a": None, "walkround.mp4": large}  # the sync went on
    again = second.sync()
    assert again.problems == [] and again.downloaded_bytes == len(small) - CHUNK  # chunk 0 was kept
    assert _bytes_by_name(second, record_id)["interview.m4a"] == small
