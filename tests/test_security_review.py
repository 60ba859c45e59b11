"""Findings of the security review, each pinned by a test so it stays fixed."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from vault_fixtures import PASSPHRASE, TEST_KDF

from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.storage import keys, sqlcipher
from fieldapp.storage.blobstore import BlobStore
from fieldapp.revisions.canonical import canonical_json
from fieldapp.errors import ValidationError, VaultDamaged, VaultLocked, WrongPassphrase
from fieldapp.vault import Vault


def test_after_a_passphrase_change_no_backup_header_opens_with_the_old_one(vault: Vault, vault_path: Path) -> None:
    vault.backup("before change")
    vault.change_passphrase("a completely new passphrase")
    for header_file in [vault_path / "vault.header", *(vault_path / "backups").glob("*.header")]:
        header = keys.read_header(header_file)
        with pytest.raises(WrongPassphrase):
            keys.unwrap_with_passphrase(header, PASSPHRASE)
        keys.unwrap_with_passphrase(header, "a completely new passphrase")


def _chain_text(exc: BaseException | None) -> str:
    """Every message in the exception and its causes (what a log or crash report would show)."""
    texts = []
    while exc is not None:
        texts.append(f"{type(exc).__name__}: {exc} {exc.args!r}")
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


def test_a_failed_export_does_not_put_the_database_key_in_any_message(vault: Vault, tmp_path: Path) -> None:
    db_key = keys.subkey(vault._data_key, "database")
    with pytest.raises(Exception) as caught, vault.transaction("test") as session:
        sqlcipher.export_to(session.connection(), tmp_path / "missing" / "folder" / "b.db", db_key)
    assert db_key.hex() not in _chain_text(caught.value)


def test_a_failed_statement_does_not_put_record_text_in_its_message(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation(notes="CANARY evidence text")).value
    with pytest.raises(sa.exc.IntegrityError) as caught, vault.transaction("test") as session:
        num = session.execute(sa.text("SELECT num FROM records WHERE id = :id"), {"id": rec.id}).scalar()
        session.execute(sa.text("INSERT INTO record_content(num, content) VALUES (:n, :c)"), {"n": num, "c": "CANARY evidence text"})
    assert "CANARY" not in _chain_text(caught.value)


def test_reading_an_attachment_stops_when_the_store_closes(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, os.urandom(32), chunk_size=1024)
    blob_id = os.urandom(16)
    info = store.write(io.BytesIO(os.urandom(10 * 1024)), blob_id=blob_id)
    chunks = store.read_chunks(info.name, blob_id=blob_id)
    next(chunks)
    store.close()
    with pytest.raises(VaultLocked):
        next(chunks)


def test_an_import_that_spans_a_lock_is_refused_and_leaves_no_dangling_row(vault: Vault, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, domain.Observation()).value
    original = BlobStore.write

    def write_then_lock_and_unlock(store: BlobStore, *args: object, **kwargs: object):  # noqa: ANN202
        info = original(store, *args, **kwargs)
        vault.lock()
        vault.unlock(passphrase=PASSPHRASE)  # unlocking tidies the new blob away as an orphan
        return info

    BlobStore.write = write_then_lock_and_unlock  # type: ignore[method-assign]
    try:
        with pytest.raises(VaultLocked, match="add it again"):
            vault.attachments.add(rec.id, io.BytesIO(b"interview audio"), name="interview.m4a")
    finally:
        BlobStore.write = original  # type: ignore[method-assign]
    assert vault.records.get(rec.id).attachments == ()
    assert vault.verify().ok


def test_key_derivation_below_the_documented_floor_is_refused(tmp_path: Path) -> None:
    for weak in (keys.KdfParams(iterations=1), keys.KdfParams(lanes=1), keys.KdfParams(memory_kib=32 * 1024)):
        with pytest.raises(VaultDamaged, match="below the safe minimum"):
            Vault.create(tmp_path / f"v{weak.iterations}{weak.lanes}{weak.memory_kib}", PASSPHRASE, kdf=weak)
    with pytest.raises(VaultDamaged, match="implausible"):
        keys.KdfParams(memory_kib=4 * 1024 * 1024, iterations=64).validate()
    TEST_KDF.validate()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parents": ["b" * 64, "a" * 64]}, "sorted list"),
        ({"parents": ["a" * 64, "a" * 64]}, "distinct"),
        ({"format": True}, "format"),
        ({"deleted": 0}, "true or false"),
        ({"links": [{"id": "b"}, {"id": "a"}]}, "sorted by id"),
    ],
)
def test_revision_bodies_that_break_the_format_are_refused(change: dict, message: str) -> None:
    body = {
        "format": 1, "record_id": "r", "assessment_id": "a", "kind": "observation", "framework": "cqc-ics@2024.1",
        "parents": [], "deleted": False, "content": {}, "links": [], "attachments": [], "device_id": "d",
        "created_at": "2026-11-22T10:00:00.000000Z",
    }  # fmt: skip
    revision.parse_body(canonical_json(body))
    with pytest.raises(ValidationError, match=message):
        revision.parse_body(canonical_json({**body, **change}))


def test_a_lone_surrogate_in_a_body_is_a_validation_error_not_a_crash() -> None:
    with pytest.raises(ValidationError):
        revision.parse_body(b'{"x": "\\ud800"}')
