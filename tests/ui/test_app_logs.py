"""The app's own start-up configures its log and says what it runs on; the unlock window's
attempts are logged as refused or unlocked, never with what was typed."""

from __future__ import annotations

import platform
from collections.abc import Iterator
from pathlib import Path

import pytest
from log_fixtures import app_logs, run_child  # noqa: F401 - a fixture
from PySide6.QtCore import Qt, qVersion
from vault_fixtures import PASSPHRASE

from fieldapp.version import app_version
from fieldapp.vault import Vault

from ui.state import AppState
from ui.unlock import UnlockWindow


@pytest.fixture
def state(vault_path: Path) -> Iterator[AppState]:
    s = AppState(vault_path=vault_path, vault=Vault(vault_path))
    yield s
    s.tasks.shutdown()
    if s.vault is not None:
        s.vault.lock()


def test_a_wrong_then_right_passphrase_in_the_window_is_logged_without_either(qtbot, state: AppState, app_logs: Path) -> None:  # noqa: ANN001, F811
    window = UnlockWindow(state)
    qtbot.addWidget(window)
    window.show()
    wrong = "CANARYwrong-passphrase-typed"
    for secret in (wrong, PASSPHRASE):
        qtbot.keyClicks(window.secret, secret)
        qtbot.keyClick(window.secret, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=20_000)
    text = (app_logs / "fieldapp.log").read_text()
    assert "WARNING fieldapp.vault: unlock refused: wrong passphrase or recovery key (attempt 1 in a row)" in text
    assert "INFO fieldapp.vault: vault unlocked with its passphrase" in text
    assert wrong not in text and PASSPHRASE not in text and "CANARY" not in text


# In a child process: the app's main() shuts down its task queue and worker threads when it
# returns, which the other tests of this process still use.
_START_AND_QUIT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui import app
QTimer.singleShot(0, QApplication.quit)  # the first window is up: quit at once
sys.exit(app.main(sys.argv[1:]))
"""


def test_starting_the_app_writes_its_start_line_to_its_log_and_a_clean_exit_leaves_no_crash_file(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    args = ["--vault", str(tmp_path / "no-vault-yet"), "--settings", str(tmp_path / "settings.ini"), "--idle-lock", "0"]
    done = run_child(_START_AND_QUIT, folder, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    text = (folder / "fieldapp.log").read_text()
    assert f"INFO fieldapp.ui: fieldapp {app_version()} started on {platform.platform()}, Python {platform.python_version()}, Qt {qVersion()}" in text
    assert [p.name for p in folder.iterdir()] == ["fieldapp.log"]  # its faulthandler file went at the exit
