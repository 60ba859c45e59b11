"""Locking when the screen locks: real D-Bus signals on a private bus, sent by dbus-send.

A private `dbus-daemon --session` stands in for both the session bus (screensavers) and the
system bus (logind), so the test neither needs nor disturbs the machine's own buses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtDBus import QDBusConnection
from vault_fixtures import PASSPHRASE

from fieldapp.vault import Vault

from ui.app import AppController
from ui.screen_lock import ScreenLockWatcher, logind_session_path
from ui.state import AppState
from ui.unlock import UnlockWindow

ROOT = Path(__file__).resolve().parents[2]
SESSION_ID = "c7"


@pytest.fixture
def bus_address() -> Iterator[str]:
    if shutil.which("dbus-daemon") is None or shutil.which("dbus-send") is None:
        pytest.skip("dbus-daemon and dbus-send are not installed (Debian: dbus-daemon, dbus-bin)")
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = daemon.stdout.readline().strip()
        assert address.startswith("unix:"), address
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


@pytest.fixture
def bus(bus_address: str) -> Iterator[QDBusConnection]:
    name = f"fieldapp-test-{os.getpid()}-{bus_address[-8:]}"
    connection = QDBusConnection.connectToBus(bus_address, name)
    assert connection.isConnected(), connection.lastError().message()
    yield connection
    QDBusConnection.disconnectFromBus(name)


@pytest.fixture
def app(qtbot, bus: QDBusConnection, vault_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppController]:  # noqa: ANN001
    """The app after unlocking, its screen-lock watcher listening on the private bus."""
    monkeypatch.setenv("XDG_SESSION_ID", SESSION_ID)
    state = AppState(vault_path=vault_path, vault=Vault.open(vault_path, passphrase=PASSPHRASE))
    controller = AppController(state, ScreenLockWatcher(session_bus=bus, system_bus=bus))
    assert controller.screen_lock.start()
    controller.on_wizard_created(state.vault)  # straight to the main window, as after unlocking
    qtbot.addWidget(controller.main)
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)
    yield controller
    for window in (controller.window, controller.main):
        if window is not None:
            window.close()
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)
    state.tasks.shutdown()
    state.vault.lock()


def send(address: str, path: str, member: str, *args: str) -> None:
    subprocess.run(["dbus-send", f"--bus={address}", "--type=signal", path, member, *args], check=True, timeout=10)


def assert_locked(qtbot, controller: AppController) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: controller.state.vault.is_locked, timeout=5_000)
    assert not controller.main.isVisible() and controller.main.model.rowCount() == 0
    assert isinstance(controller.window, UnlockWindow) and controller.window.isVisible()
    qtbot.addWidget(controller.window)


def test_the_watcher_listens_to_both_screensavers_and_to_logind_for_this_session(app: AppController) -> None:
    assert app.screen_lock.watching == [
        "org.freedesktop.ScreenSaver.ActiveChanged",
        "org.gnome.ScreenSaver.ActiveChanged",
        f"org.freedesktop.login1.Session.Lock at {logind_session_path(SESSION_ID)}",
    ]


@pytest.mark.parametrize(
    ("path", "interface"),
    [("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"), ("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver")],
    ids=["freedesktop", "gnome"],
)
def test_the_screensaver_coming_on_locks_the_vault_and_hides_the_evidence(qtbot, app: AppController, bus_address: str, path: str, interface: str) -> None:  # noqa: ANN001
    assert not app.state.vault.is_locked and app.main.isVisible()
    send(bus_address, path, f"{interface}.ActiveChanged", "boolean:true")
    assert_locked(qtbot, app)


def test_the_screensaver_going_off_changes_nothing(qtbot, app: AppController, bus_address: str) -> None:  # noqa: ANN001
    with qtbot.waitSignal(app.screen_lock.screen_locked, timeout=1_000, raising=False) as heard:
        send(bus_address, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged", "boolean:false")
    assert not heard.signal_triggered
    assert not app.state.vault.is_locked and app.main.isVisible()


def test_logind_locking_this_session_locks_the_vault(qtbot, app: AppController, bus_address: str) -> None:  # noqa: ANN001
    send(bus_address, logind_session_path("other"), "org.freedesktop.login1.Session.Lock")  # someone else's session
    qtbot.wait(300)
    assert not app.state.vault.is_locked
    send(bus_address, logind_session_path(SESSION_ID), "org.freedesktop.login1.Session.Lock")
    assert_locked(qtbot, app)


def test_logind_session_paths_are_escaped_as_systemd_does() -> None:
    assert logind_session_path("2") == "/org/freedesktop/login1/session/_32"
    assert logind_session_path("c12") == "/org/freedesktop/login1/session/c12"
    assert logind_session_path("a-b.c") == "/org/freedesktop/login1/session/a_2db_2ec"
    assert logind_session_path("") == "/org/freedesktop/login1/session/_"


def test_a_missing_bus_is_handled_quietly(qapp) -> None:  # noqa: ANN001
    nowhere = QDBusConnection.connectToBus("unix:path=/nonexistent/fieldapp-bus", "fieldapp-test-nowhere")
    watcher = ScreenLockWatcher(session_bus=nowhere, system_bus=nowhere)
    assert watcher.start() is False and watcher.watching == []


def test_with_no_buses_at_all_the_app_starts_and_just_does_not_listen(tmp_path: Path) -> None:
    """No session bus address and no system bus socket (as on a headless box): no error, no noise."""
    child = textwrap.dedent(
        """
        from PySide6.QtWidgets import QApplication
        from ui.screen_lock import ScreenLockWatcher
        app = QApplication([])
        watcher = ScreenLockWatcher()
        print(watcher.start(), watcher.watching)
        """
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "QT_QPA_PLATFORM": "offscreen",
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-session-bus",
        "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-system-bus",
        "XDG_SESSION_ID": "2",
    }
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False []" and "Traceback" not in done.stderr
