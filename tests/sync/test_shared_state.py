"""What the service's processes share: rate limits and the sweep's turn, in one process's memory
(the embedded default) or in a real Redis, where two `serve` processes count enrolment attempts
together and one `fieldapp-server sweep` at a time removes stale part-uploads."""

from __future__ import annotations

import base64
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sync_fixtures import PROTOCOL_HEADERS, ChildService, database_url, enrol_body, free_port, redis_url  # noqa: F401 - database_url, redis_url are fixtures

from sync import protocol
from sync.server import errors, sealing
from sync.server.blob_folder import BlobFolder
from sync.server.blobs import Upload
from sync.server.cli import main
from sync.server.service import SWEEP, Service
from sync.server.settings import Limits, Settings
from sync.server.shared_state import LocalState, RedisState, SharedState

CHUNK = 1024
WEEK = 7 * 24 * 3600.0


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> Iterator[SharedState]:
    if request.param == "memory":
        yield LocalState()
    else:
        url = request.getfixturevalue("redis_url")
        yield RedisState(url, prefix=os.environ["FIELDAPP_REDIS_PREFIX"])


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait_and_keys_are_counted_apart(state: SharedState) -> None:
    assert [state.take("device", "a", rate_per_s=1.0, burst=3) for _ in range(3)] == [None, None, None]
    wait = state.take("device", "a", rate_per_s=1.0, burst=3)
    assert wait is not None and 0 < wait <= 1.0
    assert state.take("device", "b", rate_per_s=1.0, burst=3) is None  # another device has its own bucket
    assert state.take("office", "a", rate_per_s=1.0, burst=3) is None  # and another kind of bucket too


def test_a_turn_is_held_by_one_at_a_time_and_a_stale_ticket_gives_back_nothing(state: SharedState) -> None:
    first = state.hold(SWEEP, for_s=60)
    assert first is not None
    assert state.hold(SWEEP, for_s=60) is None  # another process asking now is told no
    state.release(SWEEP, "not-the-ticket")
    assert state.hold(SWEEP, for_s=60) is None  # a ticket that does not hold it releases nothing
    state.release(SWEEP, first)
    assert state.hold(SWEEP, for_s=60) is not None


def _enrol_attempts(urls: list[str], count: int) -> list[int]:
    statuses = []
    for n in range(count):
        body = enrol_body("WRONG-CODE-0000")  # signed, so it is the code that is refused, not a missing proof
        answer = requests.post(f"{urls[n % len(urls)]}{protocol.API}/enrol", json=body, headers=PROTOCOL_HEADERS, timeout=10)
        statuses.append(answer.status_code)
    return statuses



def test_two_services_sharing_redis_count_one_address_s_enrolment_attempts_together(
    tmp_path: Path, redis_url: str, database_url: str | None
) -> None:
    burst = Limits().enrol_per_minute
    # Hosts sharing one database share its service key too, as docs/deployment.md says they must.
    key = {sealing.KEY_ENV: base64.b64encode(secrets.token_bytes(32)).decode()}
    services = [ChildService(tmp_path / f"host-{n}", database_url, serve_args=("--redis", redis_url), env=key) for n in range(2)]
    for service in services:
        service.start()
    try:
        # Alternating, each service alone would see fewer attempts than the burst and refuse none.
        statuses = _enrol_attempts([s.url for s in services], burst + 4)
    finally:
        for service in services:
            service.stop()
    assert statuses[:burst] == [422] * burst, statuses
    assert set(statuses[burst:]) == {429}, statuses


def _stale_part_upload(service: Service) -> Path:
    folder = service.blobs
    assert isinstance(folder, BlobFolder)
    upload = Upload("device", "c" * 64, CHUNK)
    staging = folder.staging_dir(upload)
    folder.add_chunk(upload, 0, bytes(CHUNK))
    old = time.time() - WEEK - 60
    for path in (staging / "0", staging):
        os.utime(path, (old, old))
    return staging


def test_the_sweep_command_removes_stale_uploads_one_process_at_a_time(
    tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path / "service", redis_url=redis_url)
    other = Service(settings, migrate=True)
    staging = _stale_part_upload(other)
    ticket = other.shared.hold(SWEEP, for_s=60)  # another host's sweep, under way
    assert ticket is not None
    assert main(["--data", str(settings.data_dir), "sweep", "--redis", redis_url]) == 0
    assert "Another process is sweeping" in capsys.readouterr().out and staging.exists()
    other.shared.release(SWEEP, ticket)
    assert main(["--data", str(settings.data_dir), "sweep", "--redis", redis_url]) == 0
    assert capsys.readouterr().out.strip() == "Removed 1 part-upload untouched for 7 days."
    assert not staging.exists()


def test_with_redis_requests_leave_the_sweep_to_the_timer_and_alone_they_sweep_themselves(tmp_path: Path, redis_url: str) -> None:
    shared = Service(Settings(data_dir=tmp_path / "shared", redis_url=redis_url), migrate=True)
    staging = _stale_part_upload(shared)
    shared.sweep_if_due()
    assert staging.exists()
    alone = Service(Settings(data_dir=tmp_path / "alone", redis_url=None), migrate=True)
    staging = _stale_part_upload(alone)
    alone.sweep_if_due()
    assert not staging.exists()


def test_a_redis_that_does_not_answer_is_a_503_to_try_again_not_a_crash(tmp_path: Path) -> None:
    service = Service(Settings(data_dir=tmp_path / "service", redis_url=f"redis://127.0.0.1:{free_port()}/0"), migrate=True)
    with pytest.raises(errors.Unavailable) as refused:
        service.take_enrol_turn("198.51.100.7")
    assert refused.value.retry_after_s > 0 and "Redis" in refused.value.detail
    assert service.unready() == ["redis"]
