"""Help → Security log…: the vault's audit log in a table, loaded on the vault worker, newest first,
with the moment day first, what happened in words and this laptop named; reached and left by keyboard."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
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
    assert [model.index(r, 3).data() for r in range(model.rowCount())] == ["Not sent yet", "Not sent yet", "Sent"]


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


@pytest.fixture
def london(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This laptop's clock in England, in summer time an hour from UTC."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_failed_unlocks_moments_read_on_the_same_clock_as_the_when_column(london: None, vault: Vault) -> None:
    vault.audit.record("unlock_failed", count=2, first="2026-07-01T13:32:05.000001Z", last="2026-07-01T13:40:00.000001Z")
    model = SecurityLogModel()
    model.set_rows(vault.device_id, vault.audit.entries(limit=1))
    assert model.index(0, 1).data() == (
        "Wrong passphrase or recovery key at unlock (2 attempts, first at 01/07/2026 14:32, last at 01/07/2026 14:40)"
    )
