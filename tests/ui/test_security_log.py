"""Help → Security log…: the vault's audit log in a table, loaded on the vault worker, newest first,
with the moment day first, what happened in words and this laptop named; reached and left by keyboard."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from window_fixtures import settle, state, window  # noqa: F401 - fixtures

from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.menus import MENUS
from ui.security_log import SecurityLogDialog, SecurityLogModel
from ui.state import AppState

DAY_FIRST = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}")


def test_the_security_log_model_passes_the_model_tester(qtmodeltester, vault: Vault) -> None:  # noqa: ANN001
    vault.audit.record("purge", records=2, attachments=0)
    vault.audit.mark_sent([vault.audit.entries()[-1].id])
    model = SecurityLogModel()
    model.set_rows(vault.device_id, vault.audit.entries())
    qtmodeltester.check(model)
    assert [model.index(r, 3).data() for r in range(model.rowCount())] == ["Not sent yet", "Sent"]


def test_help_security_log_shows_the_newest_event_first_in_words_day_first_on_this_laptop(
    qtbot, window: MainWindow, state: AppState, tmp_path: Path  # noqa: ANN001
) -> None:
    assert "security_log" in dict(MENUS)["&Help"]
    state.vault.export(tmp_path / "salvage.json")
    window.actions_by_name["security_log"].trigger()
    dialog = window.findChild(SecurityLogDialog)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= 2)
    newest = [dialog.model.index(0, c).data() for c in range(4)]
    assert DAY_FIRST.fullmatch(newest[0]), newest
    assert newest[1].startswith("Exported the whole vault as plaintext (salvage)") and newest[2:] == ["This laptop", "Not sent yet"]
    assert dialog.model.index(1, 1).data() == "Unlocked the vault"
    assert "newest first" in dialog.status.text()
    assert dialog.focusWidget() is dialog.table  # the keyboard starts in the table
    assert dialog.table.currentIndex().row() == 0
    qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
