"""The audit log inside the vault (issue 16): every security event is recorded where it happens, signed
by the device's key, append-only, and never carries evidence; wrong passphrases at a locked vault are
counted beside it and folded into the log at the next unlock."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from report_fixtures import CANARIES, Demo, demo  # noqa: F401
from vault_fixtures import PASSPHRASE

from fieldapp import audit, domain
from fieldapp.errors import IntegrityError, ValidationError, WrongPassphrase
from fieldapp.report.formats import export
from fieldapp.report.build import build_report
from fieldapp.storage import backup
from fieldapp.vault import Vault

NEW_PASSPHRASE = "a brand new passphrase of mine"


def kinds(vault: Vault) -> list[str]:
    return [entry.kind for entry in reversed(vault.audit.entries())]


def public_key(vault: Vault) -> bytes:
    return vault.signing_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def every_body(vault: Vault) -> str:
    with vault.transaction("reading the audit log") as session:
        return "\n".join(body.decode() for body in session.scalars(sa.text("SELECT body FROM audit_entries")))


def test_unlocking_with_the_passphrase_or_the_recovery_key_is_recorded_saying_which(vault_path: Path, recovery_key: str) -> None:
    Vault.open(vault_path, passphrase=PASSPHRASE).lock()
    vault = Vault.open(vault_path, recovery_key=recovery_key)
    (latest, earlier) = vault.audit.entries(limit=2)
    assert (earlier.kind, dict(earlier.detail)) == ("unlock", {"method": "passphrase"})
    assert (latest.kind, dict(latest.detail)) == ("unlock", {"method": "recovery_key"})
    assert latest.words() == "Unlocked the vault with the recovery key"
    assert latest.device_id == vault.device_id and latest.at.endswith("Z") and not latest.sent
    vault.lock()


def test_wrong_passphrases_at_a_locked_vault_are_counted_beside_it_then_folded_into_one_entry_at_the_next_unlock(vault_path: Path) -> None:
    vault = Vault(vault_path)
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            vault.unlock(passphrase="not the passphrase at all")
    side = vault_path / audit.FAILURES_FILE
    counted = json.loads(side.read_text())
    assert counted["count"] == 2 and counted["first"] <= counted["last"]
    assert "not the passphrase" not in side.read_text()
    vault.unlock(passphrase=PASSPHRASE)
    failed, unlock = vault.audit.entries(limit=3)[1::-1]
    assert (failed.kind, unlock.kind) == ("unlock_failed", "unlock")
    assert dict(failed.detail) == counted
    assert re.fullmatch(r"Wrong passphrase or recovery key at unlock \(2 attempts, (at|first at) \d\d/\d\d/\d{4} \d\d:\d\d UTC(, last at .* UTC)?\)", failed.words())
    assert not side.exists()
    vault.lock()
    Vault.open(vault_path, passphrase=PASSPHRASE).lock()  # no second fold: the count was cleared
    vault = Vault.open(vault_path, passphrase=PASSPHRASE)
    assert kinds(vault).count("unlock_failed") == 1
    vault.lock()


def test_an_unreadable_count_beside_the_vault_is_started_again_and_never_stops_an_unlock(vault_path: Path) -> None:
    (vault_path / audit.FAILURES_FILE).write_text("{not json")
    vault = Vault.open(vault_path, passphrase=PASSPHRASE)
    assert kinds(vault)[-1] == "unlock" and "unlock_failed" not in kinds(vault)
    vault.lock()


@pytest.mark.parametrize(
    "hostile",
    ["[" * 100_000 + "]" * 100_000, json.dumps({"count": 10**2100, "first": None, "last": None})],
    ids=["nested-too-deep", "count-too-large-to-sign"],
)
def test_a_hostile_count_beside_the_vault_never_stops_an_unlock(vault_path: Path, hostile: str) -> None:
    (vault_path / audit.FAILURES_FILE).write_text(hostile)
    vault = Vault.open(vault_path, passphrase=PASSPHRASE)
    assert kinds(vault)[-1] == "unlock" and "unlock_failed" not in kinds(vault)
    vault.lock()


def test_changing_the_passphrase_and_a_wrong_current_one_are_recorded(vault: Vault) -> None:
    with pytest.raises(WrongPassphrase):
        vault.change_passphrase(NEW_PASSPHRASE, current="a wrong current passphrase")
    vault.change_passphrase(NEW_PASSPHRASE, current=PASSPHRASE)
    assert kinds(vault)[-2:] == ["passphrase_check_failed", "passphrase_changed"]
    assert dict(vault.audit.entries(limit=1)[0].detail) == {"checked": True}
    assert NEW_PASSPHRASE not in every_body(vault) and PASSPHRASE not in every_body(vault)


def test_saving_an_attachment_out_is_recorded_by_ids_and_size_never_its_name_or_where(vault: Vault, assessment_id: str, tmp_path: Path) -> None:
    record = vault.records.create(assessment_id, domain.Observation(title="CANARY-TITLE", notes="CANARY-NOTE")).value
    added = vault.attachments.add(record.id, io.BytesIO(b"CANARY-ATTBYTES"), name="CANARY-ATTNAME.txt").value
    target = tmp_path / "CANARY-FOLDER" / "CANARY-SAVED.txt"
    target.parent.mkdir()
    assert vault.attachments.export(added.id, target, record_id=record.id) == target
    assert target.read_bytes() == b"CANARY-ATTBYTES" and list(target.parent.iterdir()) == [target]
    entry = vault.audit.entries(limit=1)[0]
    assert entry.kind == "attachment_exported"
    assert dict(entry.detail) == {"attachment_id": added.id, "record_id": record.id, "bytes": 15}
    assert "CANARY" not in every_body(vault)


def test_the_salvage_export_and_a_restored_backup_are_recorded(vault: Vault, vault_path: Path, assessment_id: str, tmp_path: Path) -> None:
    vault.records.create(assessment_id, domain.Observation(title="CANARY-TITLE"))
    vault.export(tmp_path / "CANARY-EXPORT.json")
    assert (kinds(vault)[-1], dict(vault.audit.entries(limit=1)[0].detail)) == ("vault_exported", {"records": 1, "unreadable": 0})
    made = vault.backup("manual")
    vault.lock()
    backup.restore(vault_path)
    vault.unlock(passphrase=PASSPHRASE)
    restored = next(e for e in vault.audit.entries() if e.kind == "backup_restored")
    assert dict(restored.detail) == {"backup_made_at": made.created_at, "reason": "manual"}
    assert "CANARY" not in every_body(vault)


def test_a_restored_marker_that_does_not_read_never_stops_an_unlock_and_the_restore_is_still_recorded(vault: Vault, vault_path: Path) -> None:
    vault.backup("manual")
    vault.lock()
    backup.restore(vault_path)
    (vault_path / backup.RESTORED_MARKER).write_text("made. at no moment: CANARY words " + "x" * 5000, "utf-8")
    vault.unlock(passphrase=PASSPHRASE)
    restored = next(e for e in vault.audit.entries() if e.kind == "backup_restored")
    assert dict(restored.detail) == {"backup_made_at": None, "reason": None}
    assert "CANARY" not in every_body(vault) and not (vault_path / backup.RESTORED_MARKER).exists()


def test_a_report_exported_and_one_published_are_recorded_by_assessment_format_and_which(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    working = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    export(vault.audit, working, tmp_path / "CANARY-REPORT.html", "html", assessment_id=demo.assessment_id)
    made = vault.published.publish(demo.assessment_id, date(2026, 12, 8)).value
    export(vault.audit, vault.published.report(made.id), tmp_path / "published.docx", "docx", assessment_id=demo.assessment_id)
    exported, published, exported_again = vault.audit.entries(limit=3)[::-1]
    assert (exported.kind, dict(exported.detail)) == (
        "report_exported", {"assessment_id": demo.assessment_id, "format": "html", "which": "working", "report_id": None})
    assert published.kind == "report_published" and published.detail["report_id"] == made.id and published.detail["cited"] == made.cited
    assert dict(exported_again.detail)["which"] == "published" and exported_again.detail["format"] == "docx"
    assert not any(canary in every_body(vault) for canary in CANARIES)


@pytest.mark.parametrize("detail", [
    {"title": "Winter plan"}, {"file": "notes.txt"}, {"path": "/home/inspector/case"}, {"name": "M Canarywell"},
    {"Title": "x"}, {"note": ""}, {"count": 1.5},
])  # fmt: skip
def test_a_detail_that_could_carry_evidence_is_refused_and_nothing_is_written(vault: Vault, detail: dict[str, object]) -> None:
    before = vault.audit.entries()
    with pytest.raises(ValidationError):
        vault.audit.record("report_exported", **detail)  # type: ignore[arg-type]
    assert vault.audit.entries() == before


def test_an_unknown_kind_is_refused(vault: Vault) -> None:
    with pytest.raises(ValidationError, match="no audit event"):
        vault.audit.record("tea_made")


def test_the_log_is_append_only_no_call_changes_or_removes_an_entry_and_the_database_refuses_it(vault: Vault) -> None:
    assert {name for name in vars(audit.Audit) if not name.startswith("_")} == {"record", "record_if_possible", "record_in", "entries", "unsent", "mark_sent"}
    vault.audit.record("purge", records=3, attachments=1)
    for statement in ("DELETE FROM audit_entries", "UPDATE audit_entries SET kind = 'unlock'", "UPDATE audit_entries SET body = x'00'"):
        with pytest.raises(Exception, match="append-only"), vault.transaction("tampering") as session:
            session.execute(sa.text(statement))
    assert kinds(vault)[-2:] == ["unlock", "purge"] and kinds(vault)[0] == "vault_created" and len(vault.audit.entries()) == 3


def test_every_entry_is_signed_by_the_device_and_an_altered_one_fails_its_check(vault: Vault) -> None:
    vault.audit.record("purge", records=2, attachments=0)
    unsent = vault.audit.unsent()
    assert [e.id for e in unsent] == [e.id for e in reversed(vault.audit.entries())]
    for entry in unsent:
        audit.check_signature(entry, public_key(vault))
        assert audit.parse(entry.body)["device_id"] == vault.device_id
    altered = audit.SignedEntry(unsent[-1].id, unsent[-1].body.replace(b'"records":2', b'"records":0'), unsent[-1].signature)
    audit.parse(altered.body)
    with pytest.raises(IntegrityError, match="does not hold"):
        audit.check_signature(altered, public_key(vault))


def test_entries_marked_sent_are_not_offered_again_and_stay_in_the_log(vault: Vault) -> None:
    first = vault.audit.unsent()
    vault.audit.record("purge", records=1, attachments=0)
    vault.audit.mark_sent(e.id for e in first)
    assert [e.id for e in vault.audit.unsent()] == [vault.audit.entries(limit=1)[0].id]
    assert [e.sent for e in vault.audit.entries()] == [False, True, True]


@pytest.mark.parametrize(("kind", "detail", "words"), [
    ("unlock_failed", {"count": 1, "first": "2026-12-07T05:19:55.000001Z", "last": "2026-12-07T05:19:55.000001Z"},
     "Wrong passphrase or recovery key at unlock (1 attempt, at 07/12/2026 05:19 UTC)"),
    ("purge", {"records": 5, "revisions": 5, "files": 0, "file_bytes": 0},
     "Removed synced evidence past its retention period (5 records, 5 revisions, no attachment files)"),
    ("device_enrolled", {"inspector_id": "01a24ef0", "new_service": True, "private_ca": False},
     "Enrolled this laptop with a service (as inspector 01a24ef0, a service it had not used before)"),
    ("report_exported", {"assessment_id": "01a24ef0", "format": "pdf", "which": "working"},
     "Exported a report (as PDF, the working copy, assessment id 01a24ef0)"),
])  # fmt: skip
def test_an_entrys_detail_reads_as_words_not_as_the_names_it_is_stored_under(kind: str, detail: dict[str, object], words: str) -> None:
    assert audit.describe(kind, detail) == words
