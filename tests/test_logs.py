"""The logs help and leak nothing: a day's use on two laptops and the real `fieldapp-server serve`
leaves start, unlock, lock and sync lines with counts in every log, and none of the day's words."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from log_fixtures import app_logs, canary, forget_handlers, read_all  # noqa: F401 - a fixture
from sqlalchemy.engine import make_url
from sync_fixtures import ChildService, Device, Service, postgres_schema
from vault_fixtures import PASSPHRASE

from fieldapp import domain, logs
from fieldapp.errors import NotFound, WrongPassphrase
from fieldapp.links import passage_of
from sync.client.errors import SyncError
from sync.server import sealing
from sync.server.settings import Settings
from ui.errors import message_for


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ChildService, Service]]:
    """`fieldapp-server serve` in a child process, its logs left where it puts them by default."""
    (tmp_path / "service").mkdir()
    child = ChildService(tmp_path / "service" / "data", None, serve_args=("--log-level", "info"))  # uvicorn access log on
    child.start()
    settings = Settings(data_dir=child.data, database_url=None)
    engine = sealing.engine_for(settings)
    try:
        yield child, Service(child.url, settings, engine)
    finally:
        engine.dispose()
        child.stop()


def test_a_days_use_logs_starts_unlocks_and_sync_rounds_with_counts_but_no_evidence(
    served: tuple[ChildService, Service], make_device: Callable[..., Device], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child, service = served
    folder = tmp_path / "app-logs"
    monkeypatch.setenv(logs.ENV_FOLDER, str(folder))  # after the child started: it keeps its own default folder
    logs.configure("fieldapp")
    try:
        c = {name: canary(name) for name in ("title", "notes", "pseudonym", "attname", "attbytes", "search", "quicknote", "comment", "wrong")}
        assessment_id, (a, b) = service.team(inspectors=2)
        first, second = make_device(service, a, "first"), make_device(service, b, "second")
        first.sync()  # the assessment arrives
        second.sync()
        v = first.vault
        obs = v.records.create(assessment_id, domain.Observation(title=c["title"], notes=f"intro {c['notes']} end")).value
        v.records.add_note(obs.id, c["quicknote"])
        v.records.create(assessment_id, domain.Interview(role="carer", pseudonym=c["pseudonym"], notes=c["notes"]))
        notes = v.records.get(obs.id).content.notes
        start = notes.index(c["notes"])
        v.links.tag(obs.id, "learning-culture", comment=c["comment"], passage=passage_of(v.records.get(obs.id).content, "notes", start, start + 10))
        v.attachments.add(obs.id, io.BytesIO(c["attbytes"].encode() * 5000), name=f"{c['attname']}.jpg")
        v.search(c["search"])
        try:  # a real failure whose words hold an attachment's name, through the UI's one error path
            v.attachments.add(obs.id, tmp_path / f"{c['attname']}-missing.jpg")
        except NotFound as exc:
            assert message_for(exc)
        first.sync()
        second.sync()
        v.lock()
        with pytest.raises(WrongPassphrase):
            v.unlock(passphrase=c["wrong"])
        v.unlock(passphrase=PASSPHRASE)
        child.stop()
        with pytest.raises(SyncError):
            first.sync()  # the service is gone: the round fails, and says how
    finally:
        child.stop()
        forget_handlers()

    app_log = (folder / "fieldapp.log").read_text()
    server_log = (child.data / "logs" / "fieldapp-server.log").read_text()
    for line in ("vault locked", "vault unlocked with its passphrase", "unlock refused: wrong passphrase or recovery key (attempt 1 in a row)",
                 "sync round started", "WARNING fieldapp.ui: an operation failed: NotFound"):  # fmt: skip
        assert line in app_log
    assert re.search(r"WARNING fieldapp.sync: sync round after \d+ ms failed: \w+.*\n  File ", app_log)
    rounds = re.findall(r"sync round done in \d+ ms: (\d+) pushed, 0 refused, (\d+) pulled.*, (\d+) bytes up, (\d+) bytes down", app_log)
    assert len(rounds) == 4 and int(rounds[2][0]) >= 2 and int(rounds[3][1]) >= 2  # the day's records went up, and down to the colleague
    assert int(rounds[2][2]) == int(rounds[3][3]) == len(c["attbytes"]) * 5000  # the attachment too
    assert "started: sqlite database" in server_log
    assert "push from device " in server_log and "pull by device " in server_log and " 2 accepted" in server_log
    # Every log: the app's, the service's, and what uvicorn wrote to its terminal (its access log).
    everything = read_all(folder, child.data / "logs") + child.log.read_text(errors="replace")
    assert "POST /v1/push" in everything  # the access log was read too
    leaked = [name for name, word in c.items() if word in everything] + (["passphrase"] if PASSPHRASE in everything else [])
    assert leaked == []
    digest = hashlib.sha256(c["attbytes"].encode() * 5000).hexdigest()
    assert "/v1/blobs/{sha256}" in everything and digest not in everything  # the access log says which route, not which file
    for path in [folder / "fieldapp.log", child.data / "logs" / "fieldapp-server.log"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failure_is_logged_as_its_type_and_stack_without_its_words_or_locals(app_logs: Path) -> None:
    secret = canary("local")

    def fails(words: str) -> None:
        raise ValueError(f"could not read {words}")

    try:
        fails(secret)
    except ValueError as exc:
        message_for(exc)
    text = (app_logs / "fieldapp.log").read_text()
    assert "ERROR fieldapp.ui: an operation failed: ValueError" in text
    assert ", in fails" in text  # the stack is there
    assert secret not in text


def test_configuring_twice_keeps_one_private_file_with_iso_times(app_logs: Path) -> None:
    logs.configure("fieldapp")
    logging.getLogger("fieldapp.test").info("one line")
    lines = (app_logs / "fieldapp.log").read_text().splitlines()
    assert len([line for line in lines if line.endswith("one line")]) == 1
    assert lines[-1].split(" ", 1)[0].startswith("20") and "T" in lines[-1].split(" ", 1)[0]
    assert " INFO fieldapp.test: one line" in lines[-1]
    assert stat.S_IMODE((app_logs / "fieldapp.log").stat().st_mode) == 0o600


def test_the_service_logs_its_database_kind_and_never_the_urls_password(tmp_path: Path) -> None:
    if not os.environ.get("FIELDAPP_TEST_DATABASE_URL"):
        pytest.skip("FIELDAPP_TEST_DATABASE_URL is not set: PostgreSQL tests need a server (see README)")
    password = canary("password")
    (tmp_path / "service").mkdir()
    with postgres_schema() as url:
        child = ChildService(tmp_path / "service" / "data", make_url(url).set(password=password).render_as_string(hide_password=False))
        child.start()  # the test server trusts local connections: the password is carried, not checked
        child.stop()
    server_log = (child.data / "logs" / "fieldapp-server.log").read_text()
    assert "started: postgresql database" in server_log
    assert password not in server_log + child.log.read_text(errors="replace")
