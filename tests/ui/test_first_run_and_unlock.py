"""First run, unlock and lock, driven by typing into the real windows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from vault_fixtures import PASSPHRASE, TEST_KDF

from fieldapp.storage import keys
from fieldapp.vault import Vault

from ui.app import AppController
from ui.assessment_dialog import AssessmentDialog
from ui.first_run import FirstRunWizard
from ui.passphrase import acceptable, strength
from ui.state import AppState
from ui.unlock import UnlockWindow

STRONG = "violet ferry lamp orchard"


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "calibrate", lambda *a, **k: TEST_KDF)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[AppState]:
    s = AppState(vault_path=tmp_path / "vault")
    yield s
    s.tasks.shutdown()
    if s.vault is not None:
        s.vault.lock()


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=20_000)


def test_weak_passphrases_are_refused_and_strong_ones_accepted() -> None:
    for weak in ("password", "Password1!", "abcd1234", "short"):
        assert not acceptable(strength(weak)), weak
    for strong in (STRONG, "correct horse battery staple"):
        assert acceptable(strength(strong)), strong


def drive_wizard(qtbot, wizard: FirstRunWizard, tmp_path: Path) -> str:  # noqa: ANN001
    """Type through the wizard as an inspector would, up to Finish; returns the recovery key."""
    qtbot.addWidget(wizard)
    page = wizard.passphrase_page
    qtbot.keyClicks(page.first, "password1")
    qtbot.keyClicks(page.second, "password1")
    assert not page.isComplete() and "not accepted" in page.verdict.text()
    page.first.clear(), page.second.clear()
    qtbot.keyClicks(page.first, STRONG)
    qtbot.keyClicks(page.second, STRONG + "x")
    assert not page.isComplete() and "not the same" in page.verdict.text()
    page.second.clear()
    qtbot.keyClicks(page.second, STRONG)
    assert page.isComplete()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery_page, timeout=20_000)
    key = wizard.recovery_page.key.text()
    assert len(key.split("-")) == 8
    wizard.recovery_page.save_recovery_key_to(tmp_path / "key.txt")
    assert key in (tmp_path / "key.txt").read_text()
    assert not wizard.recovery_page.isComplete()
    wizard.recovery_page.kept.setChecked(True)
    wizard.next()
    check = wizard.check_page
    assert wizard.recovery_page.key.text() == ""  # not left on screen
    qtbot.keyClicks(check.answer, "WRNG")
    assert not check.isComplete()
    check.answer.clear()
    qtbot.keyClicks(check.answer, key.split("-")[check.check_group_index - 1].lower())
    assert check.isComplete()
    return key


def test_the_wizard_creates_the_vault_and_checks_the_recovery_key_was_kept(qtbot, state: AppState, tmp_path: Path, fast_kdf: None) -> None:  # noqa: ANN001
    wizard = FirstRunWizard(state)
    wizard.show()
    drive_wizard(qtbot, wizard, tmp_path)
    with qtbot.waitSignal(wizard.created, timeout=5_000) as created:
        wizard.accept()
    vault = created.args[0]
    assert isinstance(vault, Vault) and not vault.is_locked
    assert (state.vault_path / "vault.header").exists()
    state.vault = vault


@pytest.fixture
def locked_vault(state: AppState) -> Vault:
    created = Vault.create(state.vault_path, PASSPHRASE, kdf=TEST_KDF)
    created.vault.lock()
    state.vault = Vault(state.vault_path)
    state.recovery_key = created.recovery_key  # type: ignore[attr-defined]
    return state.vault


def test_a_wrong_passphrase_says_so_clears_the_field_and_slows_down(qtbot, state: AppState, locked_vault: Vault) -> None:  # noqa: ANN001
    window = UnlockWindow(state)
    qtbot.addWidget(window)
    window.show()
    for _ in range(3):
        qtbot.keyClicks(window.secret, "not my passphrase")
        qtbot.keyClick(window.secret, Qt.Key.Key_Return)
        settle(qtbot, state)
        assert window.secret.text() == ""
    assert "does not open this vault" in window.status.text()
    qtbot.waitUntil(lambda: "Try again in" in window.status.text(), timeout=3_000)
    assert not window.unlock.isEnabled()
    qtbot.waitUntil(lambda: window.unlock.isEnabled(), timeout=5_000)
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        qtbot.keyClicks(window.secret, PASSPHRASE)
        qtbot.keyClick(window.secret, Qt.Key.Key_Return)
    assert not locked_vault.is_locked


def test_the_recovery_key_unlocks_too(qtbot, state: AppState, locked_vault: Vault) -> None:  # noqa: ANN001
    window = UnlockWindow(state)
    qtbot.addWidget(window)
    window.show()
    window.use_recovery.setChecked(True)
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        qtbot.keyClicks(window.secret, state.recovery_key)  # type: ignore[attr-defined]
        qtbot.keyClick(window.secret, Qt.Key.Key_Return)


def test_the_whole_app_records_locks_and_finds_everything_after_unlocking_with_the_recovery_key(
    qtbot, state: AppState, tmp_path: Path, fast_kdf: None  # noqa: ANN001
) -> None:
    controller = AppController(state)
    controller.start()
    wizard = controller.window
    assert isinstance(wizard, FirstRunWizard)
    key = drive_wizard(qtbot, wizard, tmp_path)
    wizard.accept()
    qtbot.waitUntil(lambda: controller.main is not None and controller.main.isVisible(), timeout=10_000)
    main = controller.main
    qtbot.addWidget(main)
    qtbot.keyClicks(main.new_assessment_name, "Northshire ICS")
    qtbot.keyClick(main.new_assessment_name, Qt.Key.Key_Return)
    dialog = main.assessment_panel.findChild(AssessmentDialog)
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    qtbot.keyClicks(dialog.start, "1/11/2026")
    qtbot.keyClick(dialog.start, Qt.Key.Key_Return)  # the period asked for with the name
    settle(qtbot, state)
    qtbot.waitUntil(lambda: main.assessments.count() == 1)
    assert state.vault.assessments.list()[0].period_start == "2026-11-01"
    main.activateWindow()  # as a desktop does when a dialog closes (offscreen does not)
    qtbot.waitUntil(main.isActiveWindow)
    main.new_actions["observation"].trigger()
    settle(qtbot, state)
    qtbot.keyClicks(main.editor._fields["notes"], "winter plan discussed")
    qtbot.keyClick(main, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    assert not main.isVisible() and state.vault.is_locked and main.model.rowCount() == 0
    unlock = controller.window
    qtbot.addWidget(unlock)
    unlock.use_recovery.setChecked(True)
    qtbot.keyClicks(unlock.secret, key)
    qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: main.isVisible(), timeout=10_000)
    settle(qtbot, state)
    qtbot.keyClicks(main.search_box, "winter")
    qtbot.waitUntil(lambda: main.model.rowCount() == 1, timeout=5_000)
    record = state.vault.records.get(main.model.summary(0).id)
    assert record.content.notes == "winter plan discussed" and len(state.vault.history.revisions(record.id)) >= 1


def test_after_set_up_is_cancelled_the_app_offers_to_unlock_the_vault_it_made_and_says_why(
    qtbot, state: AppState, tmp_path: Path, fast_kdf: None  # noqa: ANN001
) -> None:
    controller = AppController(state)
    controller.start()
    wizard = controller.window
    assert isinstance(wizard, FirstRunWizard)
    drive_wizard(qtbot, wizard, tmp_path)
    wizard.reject()  # Cancel, Escape or the window's close button
    qtbot.waitUntil(lambda: isinstance(controller.window, UnlockWindow), timeout=5_000)
    unlock = controller.window
    qtbot.addWidget(unlock)
    assert unlock.isVisible() and "cancelled after your vault was made" in unlock.status.text()
    settle(qtbot, state)
    assert state.vault.is_locked
    qtbot.keyClicks(unlock.secret, STRONG)
    qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.main is not None and controller.main.isVisible(), timeout=10_000)
    qtbot.addWidget(controller.main)
    assert not state.vault.is_locked
    controller.main.close()
    settle(qtbot, state)


def test_back_from_the_check_shows_the_key_again_so_it_can_still_be_saved(qtbot, state: AppState, tmp_path: Path, fast_kdf: None) -> None:  # noqa: ANN001
    wizard = FirstRunWizard(state)
    wizard.show()
    key = drive_wizard(qtbot, wizard, tmp_path)
    wizard.back()
    recovery = wizard.recovery_page
    assert wizard.currentPage() is recovery and recovery.key.text() == key and recovery.isComplete()
    recovery.save_recovery_key_to(tmp_path / "again.txt")
    assert key in (tmp_path / "again.txt").read_text()  # never an empty key over a good file
    wizard.next()
    assert recovery.key.text() == "" and wizard.check_page.answer.text() == ""
    qtbot.keyClicks(wizard.check_page.answer, key.split("-")[wizard.check_page.check_group_index - 1])
    assert wizard.check_page.isComplete()
    wizard.reject()
