"""The unlock window driven by typing: wrong passphrases say so and slow down; right ones open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit
from vault_fixtures import PASSPHRASE

from fieldapp.errors import WrongPassphrase
from fieldapp.vault import Vault

from ui.state import AppState
from ui.unlock import UnlockWindow


@pytest.fixture
def state(vault_path: Path) -> Iterator[AppState]:
    """A real, locked vault (copied from the session's template, made with Vault.create)."""
    s = AppState(vault_path=vault_path, vault=Vault(vault_path))
    yield s
    s.tasks.shutdown()
    if s.vault is not None:
        s.vault.lock()


@pytest.fixture
def window(qtbot, state: AppState) -> UnlockWindow:  # noqa: ANN001 - pytest-qt fixture
    w = UnlockWindow(state)
    qtbot.addWidget(w)
    w.show()
    return w


def attempt(qtbot, window: UnlockWindow, state: AppState, secret: str) -> None:  # noqa: ANN001
    """Type a secret, press Enter, and wait for the vault worker to answer."""
    qtbot.keyClicks(window.secret, secret)
    qtbot.keyClick(window.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=20_000)


def test_the_window_is_titled_and_the_passphrase_is_hidden(window: UnlockWindow) -> None:
    assert window.windowTitle() == "Unlock fieldapp"
    assert window.secret.echoMode() == QLineEdit.EchoMode.Password


def test_a_wrong_passphrase_shows_the_message_and_clears_the_field(qtbot, window: UnlockWindow, state: AppState) -> None:  # noqa: ANN001
    attempt(qtbot, window, state, "not my passphrase")
    assert WrongPassphrase.MESSAGE in window.status.text()
    assert window.secret.text() == "" and window.unlock.isEnabled()
    assert state.vault is not None and state.vault.is_locked


def test_unlocking_shows_a_busy_indicator_and_disables_the_button_until_the_answer(qtbot, window: UnlockWindow) -> None:  # noqa: ANN001
    qtbot.keyClicks(window.secret, "not my passphrase")
    qtbot.mouseClick(window.unlock, Qt.MouseButton.LeftButton)
    assert not window.unlock.isEnabled() and window.busy.isVisible() and window.busy.maximum() == 0
    qtbot.waitUntil(lambda: window.unlock.isEnabled(), timeout=20_000)
    assert not window.busy.isVisible()


def test_after_three_wrong_passphrases_a_countdown_keeps_the_button_disabled(qtbot, window: UnlockWindow, state: AppState) -> None:  # noqa: ANN001
    for _ in range(3):
        attempt(qtbot, window, state, "still not it")
    assert "Try again in" in window.status.text() and WrongPassphrase.MESSAGE in window.status.text()
    assert not window.unlock.isEnabled()
    qtbot.keyClicks(window.secret, PASSPHRASE)
    qtbot.keyClick(window.secret, Qt.Key.Key_Return)  # refused while counting down
    assert state.tasks.pending == 0
    qtbot.waitUntil(lambda: window.unlock.isEnabled(), timeout=5_000)
    assert "Try again in" not in window.status.text()


def test_the_right_passphrase_emits_unlocked(qtbot, window: UnlockWindow, state: AppState) -> None:  # noqa: ANN001
    with qtbot.waitSignal(window.unlocked, timeout=20_000):
        qtbot.keyClicks(window.secret, PASSPHRASE)
        qtbot.keyClick(window.secret, Qt.Key.Key_Return)
    assert state.vault is not None and not state.vault.is_locked
    assert window.secret.text() == ""


def test_the_recovery_key_unlocks_instead_of_the_passphrase(qtbot, window: UnlockWindow, state: AppState, recovery_key: str) -> None:  # noqa: ANN001
    qtbot.keyClick(window.use_recovery, Qt.Key.Key_Space)
    assert window.use_recovery.isChecked() and window.secret.accessibleName() == "Recovery key"
    with qtbot.waitSignal(window.unlocked, timeout=20_000):
        qtbot.keyClicks(window.secret, recovery_key.lower())
        qtbot.mouseClick(window.unlock, Qt.MouseButton.LeftButton)
    assert state.vault is not None and not state.vault.is_locked


def test_every_input_and_button_has_an_accessible_name(window: UnlockWindow) -> None:
    for widget in window.findChildren(QLineEdit) + window.findChildren(QAbstractButton):
        assert widget.accessibleName(), type(widget).__name__
