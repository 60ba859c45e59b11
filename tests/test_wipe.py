"""Wiping a vault (after this laptop's access was revoked): the keys are destroyed in place before any
file goes, nothing left opens or holds the header's salts, and a wipe cut short finishes later
instead of reading as a damaged vault."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE, TEST_KDF, every_file, secrets_of

from fieldapp import domain
from fieldapp.errors import VaultNotFound, VaultWiped
from fieldapp.storage import backup, keys
from fieldapp.storage import wipe as wiping
from fieldapp.vault import Vault


class CutOff(Exception):
    """The power went off."""


def filled(vault: Vault, assessment_id: str, tmp_path: Path) -> None:
    """Records, an attachment, two backups and a partial download: every kind of file a vault writes."""
    record = vault.records.create(assessment_id, domain.Observation(title="Ward 3", notes="Seen at lunch")).value
    source = tmp_path / "photo.jpg"
    source.write_bytes(os.urandom(5000))
    vault.attachments.add(record.id, source)
    vault.backup("first")
    vault.backup("second")
    vault.blobs.begin_partial("ab" * 32, blob_id=os.urandom(16), size=10).close()
    (vault.path / backup.RESTORED_MARKER).touch()


def test_a_wiped_vault_leaves_no_file_that_opens_or_holds_its_keys(vault: Vault, assessment_id: str, tmp_path: Path) -> None:
    filled(vault, assessment_id, tmp_path)
    path = vault.path
    held = secrets_of(path)
    assert len(list((path / "backups").glob("*.header"))) == 2
    removed = vault.wipe()
    assert removed >= 8
    assert not path.exists()
    with pytest.raises(VaultNotFound):
        Vault(path)
    for left in every_file(tmp_path):
        content = left.read_bytes()
        assert not any(secret in content for secret in held), left


def test_the_header_is_overwritten_in_place_so_another_link_to_it_holds_random_bytes(vault: Vault, tmp_path: Path) -> None:
    """A second name for the header's file (as backup software or a hard link keeps one) sees what the
    wipe wrote over the keys, not the keys: the bytes were destroyed, not only the name."""
    kept = tmp_path / "kept.header"
    os.link(vault.header_path, kept)
    before = kept.read_bytes()
    salt = base64.b64encode(keys.read_header(kept).passphrase.salt)
    vault.wipe()
    after = kept.read_bytes()
    assert len(after) == len(before) and after != before and salt not in after
    assert keys.HEADER_FORMAT.encode() not in after


def test_a_wipe_cut_off_after_the_keys_is_never_a_damaged_vault_and_finishes_at_the_next_start(
    vault: Vault, assessment_id: str, tmp_path: Path
) -> None:
    filled(vault, assessment_id, tmp_path)
    path = vault.path
    key_files = 1 + len(list((path / "backups").glob("*.header")))

    def power_cut(done: int, _total: int) -> None:
        if done == key_files:
            raise CutOff()

    with pytest.raises(CutOff):
        vault.wipe(power_cut)
    assert wiping.is_pending(path) and (path / "vault.db").exists()
    assert not list(path.rglob("*.header"))
    with pytest.raises(VaultWiped):
        Vault(path)  # not VaultDamaged, which would offer to restore a backup
    with pytest.raises(VaultWiped):
        vault.unlock(passphrase=PASSPHRASE)  # nor through the handle made before
    with pytest.raises(VaultWiped):
        backup.restore(path)
    assert wiping.wipe(path) > 0
    assert not path.exists()
    assert wiping.wipe(path) == 0  # again: nothing to do


def test_a_vault_made_where_a_wipe_was_cut_off_starts_empty(vault: Vault, assessment_id: str, tmp_path: Path) -> None:
    filled(vault, assessment_id, tmp_path)
    path = vault.path

    def power_cut(done: int, _total: int) -> None:
        if done == 1:
            raise CutOff()

    with pytest.raises(CutOff):
        vault.wipe(power_cut)
    made = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    try:
        assert all(a.id != assessment_id for a in made.assessments.list())
        assert not (path / "backups").exists() and list((path / "attachments").iterdir()) == []
        assert not wiping.is_pending(path)
    finally:
        made.lock()


def test_a_vault_made_in_a_folder_holding_other_files_loses_only_its_own_to_a_wipe(assessment_id: str, vault: Vault, tmp_path: Path) -> None:
    """`--vault ~/Documents` makes a vault beside the inspector's own files: a revocation takes the
    vault's files, never theirs, and leaves the folder that holds them."""
    filled(vault, assessment_id, tmp_path)
    theirs = {vault.path / "letter.docx": b"a letter", vault.path / "old" / "notes.header": b"not a vault's key",
              vault.path / "photos" / "holiday.jpg": b"a photo"}  # fmt: skip
    for path, content in theirs.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
    held = secrets_of(vault.path)
    vault.wipe()
    assert {p: p.read_bytes() for p in every_file(vault.path)} == theirs
    assert not wiping.is_pending(vault.path) and not (vault.path / "vault.header").exists()
    for left in every_file(tmp_path):
        assert not any(secret in left.read_bytes() for secret in held), left
