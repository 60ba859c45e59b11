"""Creating, unlocking, locking a vault and changing its passphrase."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE, TEST_KDF

from fieldapp.storage import keys
from fieldapp.errors import NotAVault, ValidationError, VaultExists, VaultLocked, VaultNotFound, WrongPassphrase
from fieldapp.vault import Vault


def test_a_new_vault_gives_a_recovery_key_in_groups_a_person_can_copy(tmp_path: Path) -> None:
    created = Vault.create(tmp_path / "v", PASSPHRASE, kdf=TEST_KDF)
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}", created.recovery_key)
    assert not created.vault.is_locked
    created.vault.lock()


def test_the_vault_unlocks_with_the_passphrase_and_with_the_recovery_key(vault_path: Path, recovery_key: str) -> None:
    Vault.open(vault_path, passphrase=PASSPHRASE).lock()
    sloppy = recovery_key.lower().replace("-", " ").replace("0", "o")
    v = Vault.open(vault_path, recovery_key=sloppy)
    assert v.assessments.list() == ()
    v.lock()


def test_a_wrong_passphrase_and_a_wrong_recovery_key_get_the_same_message_in_similar_time(vault_path: Path) -> None:
    v = Vault(vault_path)
    timings, messages = [], []
    for kwargs in ({"passphrase": "not the passphrase"}, {"recovery_key": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"}):
        start = time.perf_counter()
        with pytest.raises(WrongPassphrase) as caught:
            v.unlock(**kwargs)
        timings.append(time.perf_counter() - start)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] == WrongPassphrase.MESSAGE
    assert 0.33 < timings[0] / timings[1] < 3.0


def test_repeated_wrong_passphrases_slow_unlocking_down(vault_path: Path) -> None:
    v = Vault(vault_path)
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            v.unlock(passphrase="wrong wrong wrong")
    assert v.unlock_delay() > 0.5
    v.unlock(passphrase=PASSPHRASE)  # waits out the delay, then opens
    assert v.unlock_delay() == 0
    v.lock()


def test_a_locked_vault_refuses_every_call_and_forgets_its_keys(vault: Vault, assessment_id: str) -> None:
    vault.lock()
    assert vault._data_key is None and vault._signing_key is None
    for call in (
        lambda: vault.assessments.list(),
        lambda: vault.records.list(),
        lambda: vault.search("chair"),
        lambda: vault.coverage(assessment_id),
        lambda: vault.verify(),
        lambda: vault.change_passphrase("a brand new passphrase"),
    ):
        with pytest.raises(VaultLocked, match="locked"):
            call()


def test_changing_the_passphrase_rewraps_the_key_and_leaves_the_database_alone(vault: Vault, vault_path: Path) -> None:
    vault.assessments.create("Westshire ICS")
    vault.lock()
    vault.unlock(passphrase=PASSPHRASE)
    db_before = (vault_path / "vault.db").read_bytes()
    vault.change_passphrase("a brand new passphrase")
    vault.lock()
    # Nothing is re-encrypted: only the pages the audit log's new entries went into differ.
    db_after = (vault_path / "vault.db").read_bytes()
    pages = [slice(at, at + 4096) for at in range(0, max(len(db_before), len(db_after)), 4096)]
    changed = sum(db_before[page] != db_after[page] for page in pages)
    assert changed <= 4 < len(pages), (changed, len(pages))
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, passphrase=PASSPHRASE)
    reopened = Vault.open(vault_path, passphrase="a brand new passphrase")
    assert [a.name for a in reopened.assessments.list()] == ["Westshire ICS"]
    reopened.lock()


def test_the_recovery_key_still_opens_the_vault_after_a_passphrase_change(vault: Vault, vault_path: Path, recovery_key: str) -> None:
    vault.change_passphrase("another passphrase entirely")
    vault.lock()
    Vault.open(vault_path, recovery_key=recovery_key).lock()


def test_a_short_passphrase_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        Vault.create(tmp_path / "v", "short", kdf=TEST_KDF)
    assert not (tmp_path / "v" / "vault.header").exists()


def test_creating_over_an_existing_vault_is_refused(vault_path: Path) -> None:
    with pytest.raises(VaultExists):
        Vault.create(vault_path, PASSPHRASE, kdf=TEST_KDF)


def test_a_missing_folder_and_a_folder_that_is_not_a_vault_are_told_apart(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFound):
        Vault(tmp_path / "nowhere")
    (tmp_path / "photos").mkdir()
    with pytest.raises(NotAVault):
        Vault(tmp_path / "photos")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "vault.header").write_text("this is someone else's file\n")
    with pytest.raises(NotAVault):
        Vault(tmp_path / "other")


def test_calibration_aims_for_about_half_a_second_and_never_goes_below_the_floor() -> None:
    params = keys.calibrate(0.5)
    assert params.memory_kib >= 64 * 1024 and params.iterations >= 3 and params.lanes == 4
    start = time.perf_counter()
    keys.derive_key(b"x", b"0123456789abcdef", params)
    assert time.perf_counter() - start > 0.15  # generous: CI machines are noisy


def test_the_header_records_the_kdf_parameters_and_holds_no_key_in_the_clear(vault_path: Path) -> None:
    text = (vault_path / "vault.header").read_text()
    assert '"alg": "argon2id"' in text and '"memory_kib": 65536' in text
    header = keys.read_header(vault_path / "vault.header")
    assert len(header.passphrase.wrapped) == 32 + 16  # key + GCM tag, never the bare key
