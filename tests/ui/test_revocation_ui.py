"""Revocation in the app, against the real service on 127.0.0.1: the administrator revokes the laptop,
its next sync hears so, the vault goes from the disk while the window says why in plain words, and
the app is back at its first run; a removal cut short finishes when the app starts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from shiboken6 import isValid
from sync_fixtures import Device, Service, admin_cli
from window_fixtures import unlock

from fieldapp import domain
from fieldapp.storage import wipe as wiping
from fieldapp.vault import Vault
from sync.server.models import Device as DeviceRow

from ui import revoked
from ui.app import AppController
from ui.first_run import FirstRunWizard
from ui.revoked import RevokedWindow
from ui.state import AppState


@pytest.fixture
def app(qtbot) -> Iterator[Callable[[Path], AppController]]:  # noqa: ANN001
    started: list[AppController] = []

    def start(vault_path: Path) -> AppController:
        controller = AppController(AppState(vault_path=vault_path))
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        state = controller.state
        qtbot.waitUntil(lambda s=state: s.tasks.pending == 0, timeout=20_000)
        if state.sync is not None:
            state.sync.shutdown()
        state.tasks.shutdown()
        if state.vault is not None:
            state.vault.lock()
        for window in (controller.window, controller.main):
            if window is not None:
                window.close()


def removal_window(qtbot, controller: AppController) -> RevokedWindow:  # noqa: ANN001
    qtbot.waitUntil(lambda: isinstance(controller.window, RevokedWindow) and controller.window.isVisible(), timeout=20_000)
    window = controller.window
    assert isinstance(window, RevokedWindow)
    qtbot.addWidget(window)
    qtbot.waitUntil(window.again.isEnabled, timeout=20_000)
    return window


def back_to_first_run(qtbot, controller: AppController, window: RevokedWindow) -> None:  # noqa: ANN001
    assert window.again.hasFocus()
    qtbot.keyClick(window.again, Qt.Key.Key_Return)  # by keyboard: the button has the focus once the removal is done
    qtbot.waitUntil(lambda: isinstance(controller.window, FirstRunWizard) and controller.window.isVisible())
    qtbot.addWidget(controller.window)
    assert not window.isVisible() and controller.state.vault is None and not controller.state.has_vault


def test_a_revoked_laptop_removes_its_vault_says_why_and_returns_to_its_first_run(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], app: Callable[[Path], AppController],  # noqa: ANN001
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assessment_id, (inspector_id,) = sqlite_service.team()
    laptop = make_device(sqlite_service, inspector_id)
    laptop.sync()
    path, device_id = laptop.vault.path, laptop.vault.device_id
    laptop.vault.lock()
    dialogs = QSettings(QSettings.Scope.UserScope, "QtProject")  # as Qt's file dialog keeps where reports were saved
    dialogs.setValue("FileDialog/history", [str(path.parent / "Northshire ICS reports")])
    dialogs.sync()
    controller = app(path)
    main = unlock(qtbot, controller)
    qtbot.waitUntil(lambda: not main.sync.running and controller.state.tasks.pending == 0, timeout=20_000)
    assert controller.state.vault is not None
    controller.state.vault.records.create(assessment_id, domain.Observation(title="Not sent yet"))
    assert admin_cli(sqlite_service, capsys, "device", "revoke", device_id)[0] == 0

    qtbot.keyClick(main, Qt.Key.Key_F5)  # Sync now
    window = removal_window(qtbot, controller)
    assert controller.main is None and not isValid(main)  # the main window went, with every word of the vault
    assert window.why.text() == revoked.WHY_DONE  # once removed, the words say so, not that it is under way
    assert "administrator revoked this laptop's access" in window.why.text()
    assert window.kept.text() == revoked.KEPT
    assert window.lost.text() == "1 change not yet synced could not be kept: it was on this laptop only."
    assert "contact your organisation's administrator" in window.contact.text()
    assert window.status.text() == revoked.REMOVED + revoked.TOLD
    assert not path.exists()
    dialogs.sync()
    assert dialogs.value("FileDialog/history") is None
    with sqlite_service.admin() as session:
        row = session.get(DeviceRow, device_id)
        assert row is not None and row.wiped_at is not None
    back_to_first_run(qtbot, controller, window)


def test_a_removal_cut_short_finishes_when_the_app_starts(qtbot, vault: Vault, app: Callable[[Path], AppController]) -> None:  # noqa: ANN001
    path = vault.path
    vault.backup("kept aside")

    class PowerCut(Exception):
        pass

    def cut_after_the_keys(done: int, _total: int) -> None:
        if done == 2:  # vault.header and the backup's
            raise PowerCut()

    with pytest.raises(PowerCut):
        vault.wipe(cut_after_the_keys)
    assert wiping.is_pending(path) and (path / "vault.db").exists()

    controller = app(path)
    window = removal_window(qtbot, controller)
    assert window.why.text() == revoked.WHY_DONE
    assert window.status.text() == revoked.REMOVED  # no service to tell: the token went with the keys
    assert not path.exists()
    back_to_first_run(qtbot, controller, window)
