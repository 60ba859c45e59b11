"""When the service knows a newer fieldapp than this one, the app says so once per release, beside
the window and in the status bar; never again at every sync."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from sync_fixtures import Device, running_service
from window_fixtures import window_on

from sync.server.settings import NEWEST_CLIENT_ENV
from ui.newer_client import TOLD_KEY, tell_once

WORDS = "A newer fieldapp (0.10.0) is available: ask your IT team to install it."


def _told(window: QWidget) -> list[QMessageBox]:
    return [box for box in window.findChildren(QMessageBox, "newer-client") if box.isVisible()]


def test_a_sync_that_learns_of_a_newer_client_says_so_once_through_the_real_service(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_device: Callable[..., Device]  # noqa: ANN001
) -> None:
    monkeypatch.setenv(NEWEST_CLIENT_ENV, "0.10.0")  # later than this build's 0.1.0, though "0.10.0" < "0.1.0…" as text would not say so
    with running_service(tmp_path / "service") as service:
        _assessment, (inspector,) = service.team()
        device = make_device(service, inspector)
        device.sync()
        with window_on(qtbot, device.vault) as (window, state):
            with qtbot.waitSignal(window.sync.synced, timeout=20_000):
                state.signals.vault_unlocked.emit()  # as after unlocking: the sync controller starts and syncs
            qtbot.waitUntil(lambda: len(_told(window)) == 1, timeout=10_000)
            (box,) = _told(window)
            assert box.text() == WORDS
            assert box.windowModality() == Qt.WindowModality.NonModal  # the inspector carries on working
            assert window.statusBar().currentMessage() == WORDS
            box.close()
            window.statusBar().clearMessage()
            with qtbot.waitSignal(window.sync.synced, timeout=20_000):
                window.sync.sync_now()
            assert _told(window) == [] and window.statusBar().currentMessage() != WORDS


def test_each_newer_release_is_told_once_and_remembered_across_runs(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    parent = QWidget()
    qtbot.addWidget(parent)
    settings_file = str(tmp_path / "fieldapp.conf")
    first = tell_once(parent, QSettings(settings_file, QSettings.Format.IniFormat), "0.10.0")
    assert first is not None and first.text() == WORDS
    # Another run of the app reads the same file: the same release is not told again, a later one is.
    assert tell_once(parent, QSettings(settings_file, QSettings.Format.IniFormat), "0.10.0") is None
    later = tell_once(parent, QSettings(settings_file, QSettings.Format.IniFormat), "0.11.0")
    assert later is not None and "(0.11.0)" in later.text()
    assert QSettings(settings_file, QSettings.Format.IniFormat).value(TOLD_KEY) == "0.11.0"
    assert tell_once(parent, QSettings(settings_file, QSettings.Format.IniFormat), None) is None
