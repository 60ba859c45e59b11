"""The main window on a vault with one assessment, active and loaded, with a preferences file of
its own; imported by the UI tests that drive menus and dialogs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from vault_fixtures import PASSPHRASE

from fieldapp.vault import Vault

from ui.app import AppController
from ui.main_window import MainWindow
from ui.state import AppState
from ui.unlock import UnlockWindow


@pytest.fixture
def state(vault: Vault, assessment_id: str, tmp_path: Path) -> Iterator[AppState]:
    s = AppState(vault_path=vault.path, vault=vault, settings_file=tmp_path / "settings" / "fieldapp.conf")
    yield s
    s.tasks.shutdown()


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=20_000)


@pytest.fixture
def window(qtbot, state: AppState) -> Iterator[MainWindow]:  # noqa: ANN001
    w = MainWindow(state)
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.load()
    qtbot.waitUntil(lambda: w.assessments.count() == 1 and state.tasks.pending == 0, timeout=10_000)
    yield w
    w.close()
    settle(qtbot, state)


@contextmanager
def window_on(qtbot, vault: Vault) -> Iterator[tuple[MainWindow, AppState]]:  # noqa: ANN001
    """The app's window on a laptop's vault (a synced device's, say) at 1366×740, its one assessment
    listed; closed afterwards, with its sync and task threads stopped."""
    state = AppState(vault_path=vault.path, vault=vault)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.resize(1366, 740)
    window.show()
    window.load()
    qtbot.waitUntil(lambda: window.assessments.count() == 1 and state.tasks.pending == 0, timeout=10_000)
    try:
        yield window, state
    finally:
        window.close()
        qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)
        if state.sync is not None:
            state.sync.shutdown()
        state.tasks.shutdown()


def unlock(qtbot, controller: AppController) -> MainWindow:  # noqa: ANN001
    """The whole app's unlock window, answered by keyboard: the main window, its assessments loaded."""
    qtbot.waitUntil(lambda: isinstance(controller.window, UnlockWindow) and controller.window.isVisible())
    window = controller.window
    assert isinstance(window, UnlockWindow)
    qtbot.addWidget(window)
    qtbot.keyClicks(window.secret, PASSPHRASE)
    qtbot.keyClick(window.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.main is not None and controller.main.isVisible(), timeout=15_000)
    main = controller.main
    assert main is not None
    qtbot.waitUntil(lambda: controller.state.tasks.pending == 0, timeout=20_000)
    qtbot.waitUntil(lambda: main.assessments.count() >= 1)
    return main
