"""After a crash the next start offers Copy diagnostics on the unlock window, once, without holding up
the unlock; Help → Copy diagnostics copies them at any time. The text helps support and holds no evidence."""

from __future__ import annotations

import platform
import re
from pathlib import Path

from log_fixtures import app_logs, canary, run_child  # noqa: F401 - a fixture
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QApplication
from test_crash_reports import CRASH_IN_EVERY_PLACE, app_args
from test_inspectors_day import menu
from vault_fixtures import PASSPHRASE
from window_fixtures import settle, state, window  # noqa: F401 - fixtures

from fieldapp import crash_reports
from fieldapp.version import app_version

from ui.app import AppController
from ui.diagnostics import COPIED, OFFER
from ui.errors import HOW_TO_REPORT, message_for
from ui.main_window import MainWindow
from ui.state import AppState
from ui.unlock import UnlockWindow


def _start(vault_path: Path) -> tuple[AppController, UnlockWindow]:
    controller = AppController(AppState(vault_path=vault_path, idle_lock_s=0))
    controller.start()
    unlock = controller.window
    assert isinstance(unlock, UnlockWindow)
    return controller, unlock


def _stop(qtbot, controller: AppController) -> None:  # noqa: ANN001
    for shown in (controller.main, controller.window):
        if shown is not None:
            shown.close()
    qtbot.waitUntil(lambda: controller.state.tasks.pending == 0, timeout=20_000)
    controller.state.tasks.shutdown()
    if controller.state.vault is not None:
        controller.state.vault.lock()


def test_the_start_after_a_crash_offers_copy_diagnostics_once_by_keyboard_and_the_passphrase_is_typed_as_ever(
    qtbot, vault_path: Path, app_logs: Path, tmp_path: Path  # noqa: ANN001, F811
) -> None:
    words = canary("typed")
    run_child(CRASH_IN_EVERY_PLACE, app_logs, words, *app_args(tmp_path))
    controller, unlock = _start(vault_path)
    qtbot.addWidget(unlock)
    unlock.activateWindow()
    qtbot.waitUntil(unlock.isActiveWindow)
    assert unlock.crash_offer.isVisible() and unlock.crash_offer.words.text() == OFFER
    assert crash_reports.pending_reports(app_logs) == []  # marked seen as soon as offered
    wrong = canary("wrong")
    qtbot.keyClicks(unlock.secret, wrong)
    qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "passphrase" in unlock.status.text(), timeout=20_000)
    QApplication.clipboard().clear()
    qtbot.keyClick(unlock, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # Copy diagnostics
    qtbot.waitUntil(lambda: unlock.crash_offer.words.text() == COPIED, timeout=20_000)
    text = QApplication.clipboard().text()
    for expected in (f"fieldapp {app_version()}\n", f"Platform: {platform.platform()}\n", f"Qt: {qVersion()} through PySide6 ",
                     "Frameworks: cqc-ics@", "Uncaught exception in thread MainThread: KeyError", ", in on_the_main_thread",
                     "unlock refused: wrong passphrase or recovery key (attempt 1 in a row)"):  # fmt: skip
        assert expected in text
    assert words not in text and wrong not in text and PASSPHRASE not in text
    assert not re.search(r"@(\S+) \1\b", text), text  # a framework's version said once, in its key
    assert QApplication.focusWidget() is unlock.secret  # the offer gave the keyboard back
    qtbot.keyClicks(unlock.secret, PASSPHRASE)
    qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.main is not None and controller.main.isVisible(), timeout=20_000)
    qtbot.addWidget(controller.main)
    _stop(qtbot, controller)
    again, unlock = _start(vault_path)
    qtbot.addWidget(unlock)
    assert unlock.crash_offer.isHidden()  # asked once
    _stop(qtbot, again)


def test_not_now_puts_the_offer_away_and_the_keyboard_back_on_the_passphrase(qtbot, vault_path: Path, app_logs: Path) -> None:  # noqa: ANN001, F811
    try:
        raise RuntimeError("an earlier run's")
    except RuntimeError as exc:
        crash_reports.write_report(app_logs, exc, "in thread MainThread")
    controller, unlock = _start(vault_path)
    qtbot.addWidget(unlock)
    unlock.activateWindow()
    qtbot.waitUntil(unlock.isActiveWindow)
    assert unlock.crash_offer.isVisible()
    qtbot.keyClick(unlock, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(unlock.crash_offer.isHidden)  # a mnemonic clicks as a press shows, a moment later
    assert QApplication.focusWidget() is unlock.secret
    _stop(qtbot, controller)


def test_help_copy_diagnostics_by_keyboard_copies_versions_and_log_lines(qtbot, window: MainWindow, state: AppState, app_logs: Path) -> None:  # noqa: ANN001, F811
    try:
        raise ValueError(canary("title"))
    except ValueError as exc:
        message_for(exc)  # logged as its type and stack
    QApplication.clipboard().clear()
    menu(qtbot, window, "&Help", "Copy &diagnostics")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == COPIED, timeout=20_000)
    text = QApplication.clipboard().text()
    assert text.startswith(f"fieldapp {app_version()}\n") and "No crash reports." in text
    assert "ERROR fieldapp.ui: an operation failed: ValueError" in text and "CANARY" not in text
    settle(qtbot, state)


def test_a_message_that_asks_for_a_report_says_how() -> None:
    words = message_for(RuntimeError("unexpected"))
    assert words.endswith(HOW_TO_REPORT) and "Help → Copy diagnostics" in words


def test_a_message_on_the_unlock_window_that_asks_for_a_report_has_copy_diagnostics_beside_it(qtbot, vault_path: Path, app_logs: Path) -> None:  # noqa: ANN001, F811
    controller, unlock = _start(vault_path)
    qtbot.addWidget(unlock)
    assert unlock.crash_offer.isHidden()  # no crash last time
    controller.state.signals.error.emit(message_for(RuntimeError("unexpected")))  # as a failure at start-up says it
    assert HOW_TO_REPORT in unlock.status.text() and unlock.crash_offer.isVisible()
    QApplication.clipboard().clear()
    qtbot.mouseClick(unlock.crash_offer.copy, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: QApplication.clipboard().text().startswith(f"fieldapp {app_version()}\n"), timeout=20_000)
    _stop(qtbot, controller)
