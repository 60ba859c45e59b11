"""Preferences: the idle lock time and the colours, chosen in a dialog, kept in a settings file,
in force at once and at the next start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication
from vault_fixtures import PASSPHRASE

from fieldapp.vault import Vault

from ui import theme
from ui.app import AppController
from ui.menus import plain
from ui.preferences import MAX_IDLE_MINUTES, Preferences, PreferencesDialog, user_settings
from ui.state import DEFAULT_IDLE_LOCK_S, AppState
from ui.unlock import UnlockWindow


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "fieldapp.conf"


@pytest.fixture
def state(vault_path: Path, settings_file: Path) -> Iterator[AppState]:
    s = AppState(vault_path=vault_path, vault=Vault(vault_path), settings_file=settings_file)
    yield s
    s.tasks.shutdown()
    if s.vault is not None:
        s.vault.lock()
    theme.apply(QApplication.instance(), "light")  # type: ignore[arg-type]  # the next test starts light


def test_with_no_settings_file_the_defaults_hold(settings_file: Path) -> None:
    assert Preferences.load(user_settings(settings_file)) == Preferences(idle_lock_minutes=DEFAULT_IDLE_LOCK_S // 60, theme="system")


def test_a_hand_edited_settings_file_with_nonsense_falls_back_to_what_is_allowed(settings_file: Path) -> None:
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("[lock]\nidle_minutes=forever\n[appearance]\ntheme=purple\n")
    assert Preferences.load(user_settings(settings_file)) == Preferences()
    settings_file.write_text("[lock]\nidle_minutes=100000\n")
    assert Preferences.load(user_settings(settings_file)).idle_lock_minutes == MAX_IDLE_MINUTES


def test_choices_made_in_the_dialog_are_saved_and_take_effect_at_once(qtbot, state: AppState, settings_file: Path) -> None:  # noqa: ANN001
    dialog = PreferencesDialog(state, user_settings(settings_file))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.idle_minutes.value() == 5 and dialog.idle_minutes.accessibleName()
    dialog.idle_minutes.setFocus()
    dialog.idle_minutes.selectAll()
    qtbot.keyClicks(dialog.idle_minutes, "12")
    dialog.theme.setCurrentIndex(theme.CHOICES.index("dark"))
    with qtbot.waitSignal(state.signals.preferences_changed):
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # OK is the default button
    assert state.idle_lock_s == 12 * 60
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128  # dark now
    assert Preferences.load(user_settings(settings_file)) == Preferences(idle_lock_minutes=12, theme="dark")  # and next time


def test_cancel_changes_nothing(qtbot, state: AppState, settings_file: Path) -> None:  # noqa: ANN001
    dialog = PreferencesDialog(state, user_settings(settings_file))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.idle_minutes.setValue(30)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert state.idle_lock_s == DEFAULT_IDLE_LOCK_S and not settings_file.exists()


def test_a_new_idle_time_counts_from_now_in_the_unlocked_app_and_ctrl_comma_opens_the_dialog(qtbot, state: AppState) -> None:  # noqa: ANN001
    controller = AppController(state)
    controller.start()
    unlock = controller.window
    assert isinstance(unlock, UnlockWindow)
    qtbot.addWidget(unlock)
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=20_000)
    qtbot.keyClicks(unlock.secret, PASSPHRASE)
    qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.main is not None and controller.main.isVisible(), timeout=20_000)
    main = controller.main
    qtbot.addWidget(main)
    assert controller._idle.interval() == DEFAULT_IDLE_LOCK_S * 1000
    shortcuts = {plain(a.text()): a.shortcut() for a in main.actions()}
    assert shortcuts["Preferences…"] == QKeySequence("Ctrl+,")

    def choose_one_minute() -> None:  # the dialog is modal: answer it from the event loop
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PreferencesDialog)
        dialog.idle_minutes.setValue(1)
        dialog.accept()

    QTimer.singleShot(100, choose_one_minute)
    next(a for a in main.actions() if plain(a.text()) == "Preferences…").trigger()
    qtbot.waitUntil(lambda: controller._idle.interval() == 60_000, timeout=5_000)
    assert controller._idle.isActive()
