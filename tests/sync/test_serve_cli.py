"""`fieldapp-server serve` as it is run: which caller address the enrolment rate limit counts.

A client that names itself in X-Forwarded-For must not escape the limit, unless the service was
told it sits behind that proxy (`--trust-proxy`)."""

from __future__ import annotations

import base64
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sync_fixtures import ChildService, RawDevice, child_service, free_port, postgres_schema, raw_device, stored

from sync import protocol
from sync.server import db, migrations
from sync.server.db import WriteTurn
from sync.server.settings import Limits, Settings

ATTEMPTS = Limits().enrol_per_minute + 3  # more than the burst that one address is allowed


def _enrol_attempts(url: str, forwarded_for: list[str]) -> list[int]:
    """Wrong-code enrolments, each claiming to come from a different address."""
    statuses = []
    for address in forwarded_for:
        body = {"code": "WRONG-CODE-0000", "device_id": str(uuid.uuid4()), "public_key": base64.b64encode(bytes(range(1, 33))).decode(),
                "proof": base64.b64encode(bytes(64)).decode()}  # fmt: skip
        answer = requests.post(f"{url}{protocol.API}/enrol", json=body, headers={"X-Forwarded-For": address}, timeout=10)
        if answer.status_code != 429:
            assert answer.json()["code"] == protocol.E_ENROLMENT_CODE, answer.text
        statuses.append(answer.status_code)
    return statuses


@pytest.fixture
def child(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChildService]:
    service = ChildService(tmp_path / "service", None, serve_args=tuple(request.param))
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.mark.parametrize("child", [[]], indirect=True)
def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_enrolment_limit(child: ChildService) -> None:
    statuses = _enrol_attempts(child.url, [f"203.0.113.{n}" for n in range(ATTEMPTS)])
    assert 429 in statuses, statuses  # every attempt was counted against 127.0.0.1
    assert set(statuses) <= {422, 429}


@pytest.mark.parametrize("child", [["--trust-proxy", "127.0.0.1"]], indirect=True)
def test_behind_a_named_proxy_each_forwarded_address_has_its_own_limit(child: ChildService) -> None:
    statuses = _enrol_attempts(child.url, [f"203.0.113.{n}" for n in range(ATTEMPTS)])
    assert statuses == [422] * ATTEMPTS  # wrong code, but no one address went over its limit
    same = _enrol_attempts(child.url, ["198.51.100.7"] * ATTEMPTS)
    assert 429 in same  # one address is still limited


@pytest.mark.parametrize("child", [["--max-connections", "4"]], indirect=True)
def test_beyond_the_connection_cap_a_caller_gets_a_503_at_once_not_a_hang(child: ChildService) -> None:
    where = urlsplit(child.url)
    held: list[socket.socket] = []
    try:
        for _ in range(3):  # slow clients, one after another: half a request each, never finished
            held.append(socket.create_connection((where.hostname, where.port), timeout=10))
            held[-1].sendall(b"POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            time.sleep(0.2)
        statuses = []
        for _ in range(50):  # the service takes the held connections in as it gets to them
            statuses.append(requests.get(f"{child.url}{protocol.API}/status", timeout=10).status_code)
            if statuses[-1] == 503:
                break
            time.sleep(0.1)
        assert statuses[-1] == 503, statuses
    finally:
        for sock in held:
            sock.close()
    for _ in range(50):  # and back once they go (as the service notices them closed)
        if requests.get(f"{child.url}{protocol.API}/status", timeout=10).status_code == 200:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the service still refused callers after the slow ones left")


def test_several_workers_on_one_sqlite_file_store_every_concurrent_push(tmp_path: Path) -> None:
    """`serve --workers 2` on the embedded SQLite: pushes sent at once from many devices to both
    processes are all stored, none refused as "database is locked" (the turn itself is proven by
    the next test: SQLite's busy timeout alone would also let this one pass, only slower)."""
    with child_service(tmp_path / "service", "--workers", "2") as service:
        assessment, inspectors = service.team(inspectors=6)
        devices = [raw_device(service, inspector, f"laptop {n}") for n, inspector in enumerate(inspectors)]
        batches = {d.device_id: [[d.revision(assessment) for _ in range(10)] for _ in range(6)] for d in devices}
        answers: list[tuple[int, list[str]]] = []

        def send(device: RawDevice) -> None:
            for batch in batches[device.device_id]:
                answer = device.push(*batch)
                answers.append((answer.status_code, [a["status"] for a in answer.json().get("acks", [])]))

        threads = [threading.Thread(target=send, args=(d,)) for d in devices]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [status for status, _ in answers] == [200] * 36, answers
        assert all(acks == ["accepted"] * 10 for _, acks in answers), answers
        assert stored(service)["revisions"] == 360


def test_the_write_turn_is_taken_by_one_process_at_a_time(tmp_path: Path) -> None:
    database = tmp_path / "service.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from sync.server.db import WriteTurn\n"
         f"with WriteTurn({str(database)!r}):\n    print('held', flush=True); sys.stdin.readline()"],
        cwd=Path(__file__).resolve().parents[2], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        taken = threading.Event()

        def take() -> None:
            with WriteTurn(str(database)):
                taken.set()

        waiter = threading.Thread(target=take)
        waiter.start()
        assert not taken.wait(0.5)  # the other process holds it
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert taken.wait(10)  # and it passes on as soon as that one lets go
        waiter.join()
    finally:
        holder.kill()
        holder.wait()


def test_serve_takes_where_its_data_is_after_the_command_too(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen"
    child = ChildService(tmp_path / "before", None, serve_args=("--data", str(chosen)))  # `… --data before serve --data chosen`
    child.start()
    try:
        assert requests.get(f"{child.url}{protocol.API}/status", timeout=10).status_code == 200
        assert (chosen / "service.db").exists() and not (tmp_path / "before" / "service.db").exists()
    finally:
        child.stop()


def _server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync.server", *args], cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120)


def test_serve_refuses_a_postgresql_database_that_is_behind_until_migrate_says_what_it_did(tmp_path: Path) -> None:
    with postgres_schema() as url:
        where = ("--data", str(tmp_path / "service"), "--database-url", url)
        refused = _server(*where, "serve", "--port", str(free_port()))
        assert refused.returncode == 1
        assert "run `fieldapp-server migrate` first" in refused.stderr and "none (an empty database)" in refused.stderr
        assert "password" not in refused.stderr.lower()
        assert _server(*where, "admin", "inspector", "list").returncode == 1  # administering waits for it too
        migrated = _server(*where, "migrate")
        newest = migrations.head()
        assert migrated.returncode == 0 and migrated.stdout.startswith(f"Migrated the database from schema none (empty) to {newest}: applied 0001, ")
        again = _server(*where, "migrate")
        assert again.stdout.strip() == f"The database is at schema {newest}, this release's newest: nothing to do."
        child = ChildService(tmp_path / "service", url)
        child.start()  # and now it serves
        child.stop()


def test_the_embedded_default_migrates_itself_at_start(tmp_path: Path) -> None:
    child = ChildService(tmp_path / "service", None)
    child.start()
    child.stop()
    engine = db.create_engine(Settings(data_dir=child.data).url)
    assert migrations.current(engine) == migrations.head()
    engine.dispose()


def test_each_worker_logs_to_a_file_of_its_own_and_with_log_to_stderr_every_process_writes_there(tmp_path: Path) -> None:
    child = ChildService(tmp_path / "files", None, serve_args=("--workers", "2"))
    child.start()
    try:
        logs = child.data / "logs"
        for _ in range(300):  # both workers have started once each has said so in its own file
            workers = sorted(logs.glob("fieldapp-server.worker-*.log"))
            if len(workers) >= 2 and all("worker ready" in p.read_text() for p in workers):
                break
            time.sleep(0.1)
        assert [p.name for p in workers] == ["fieldapp-server.worker-1.log", "fieldapp-server.worker-2.log"]
        assert all("worker ready" in p.read_text() for p in workers)
        assert "2 worker(s)" in (logs / "fieldapp-server.log").read_text()
    finally:
        child.stop()
    journal = ChildService(tmp_path / "journal", None, serve_args=("--workers", "2", "--log-to", "stderr"))
    journal.start()
    try:
        for _ in range(300):
            written = journal.log.read_text()
            if written.count("worker ready") == 2:
                break
            time.sleep(0.1)
        pids = set(re.findall(r"fieldapp\.server\[(\d+)\]: worker ready", written))
        assert len(pids) == 2, written[-2000:]  # two processes, each named on its lines
        assert not (journal.data / "logs").exists()
    finally:
        journal.stop()
