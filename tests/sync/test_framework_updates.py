"""A newer framework published on the service reaches every laptop at its next sync: kept in the
vault, usable for tagging (its new statement too), and still there after the vault is locked
and opened again. A document that is not usable is refused and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE

from fieldapp import domain
from fieldapp import framework as frameworks
from fieldapp.errors import NotFound, ValidationError
from sync.server.cli import main
from sync_fixtures import Device, Service

NEW_KEY = "cqc-ics@2031.1"
NEW_STATEMENT = "digital-inclusion"


@pytest.fixture(autouse=True)
def _frameworks_received_stay_in_this_test(monkeypatch: pytest.MonkeyPatch) -> None:
    # Frameworks a vault receives are registered for the whole process (as in the app); this
    # test's newer version must not become every later test's default.
    monkeypatch.setattr(frameworks, "_received", {})


def _newer_framework(folder: Path) -> Path:
    shipped = json.loads((frameworks.RESOURCES_DIR / "framework" / "cqc-ics-2024.1.json").read_text(encoding="utf-8"))
    shipped["version"] = "2031.1"
    shipped["statements"].append({"id": NEW_STATEMENT, "name": "Digital inclusion", "description": "People can use digital services, or are not left out by them."})
    next(t for t in shipped["themes"] if t["id"] == "leadership")["statements"].append(NEW_STATEMENT)
    path = folder / "cqc-ics-2031.1.json"
    path.write_text(json.dumps(shipped), encoding="utf-8")
    return path


def _admin(service: Service, *args: str) -> int:
    return main(["--data", str(service.settings.data_dir), *(["--database-url", service.settings.database_url] if service.settings.database_url else []), "admin", *args])


def test_a_published_framework_arrives_at_the_next_sync_and_can_be_tagged_against(
    service: Service, make_device: Callable[..., Device], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _assessment, (inspector,) = service.team()
    laptop = make_device(service, inspector)
    laptop.sync()
    with pytest.raises(NotFound):
        frameworks.framework_by_key(NEW_KEY)

    assert _admin(service, "framework", "publish", str(_newer_framework(tmp_path))) == 0
    assert NEW_KEY in capsys.readouterr().out
    assert _admin(service, "--json", "assessment", "add", "Southshire ICS", "--framework", NEW_KEY) == 0
    southshire = json.loads(capsys.readouterr().out)["id"]
    assert _admin(service, "team", "add", southshire, inspector) == 0

    report = laptop.sync()
    assert report.problems == []
    assert frameworks.framework_by_key(NEW_KEY).statement(NEW_STATEMENT).name == "Digital inclusion"
    pulled = next(a for a in laptop.vault.assessments.list() if a.id == southshire)
    assert pulled.framework_key == NEW_KEY
    record = laptop.vault.records.create(southshire, domain.Observation(title="Digital front door")).value
    laptop.vault.links.tag(record.id, NEW_STATEMENT)
    assert [link.statement_id for link in laptop.vault.records.get(record.id).links] == [NEW_STATEMENT]
    assert laptop.sync().problems == []  # the service takes a revision tagged against it

    # Kept in the vault: a fresh process (nothing registered) knows it again once it unlocks.
    laptop.vault.lock()
    frameworks._received.clear()
    laptop.vault.unlock(passphrase=PASSPHRASE)
    assert frameworks.framework_by_key(NEW_KEY).key == NEW_KEY


def test_a_framework_document_that_is_not_usable_is_refused_and_changes_nothing(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    _assessment, (inspector,) = inprocess_sqlite_service.team()
    laptop = make_device(inprocess_sqlite_service, inspector)
    before = {f.key for f in frameworks.known_frameworks()}
    with pytest.raises(ValidationError, match="not usable"):
        laptop.vault.replication.store_framework('{"format": 1, "framework": "cqc-ics", "version": "2032.1"}')
    assert {f.key for f in frameworks.known_frameworks()} == before
    assert laptop.sync().problems == []
