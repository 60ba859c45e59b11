"""`fieldapp --smoke-test`: proof that this build runs on this computer. A throwaway vault records a
record and finds it by search, syncs it to a local service of its own (the embedded default's, as
`fieldapp-server` beside the app in a bundle), and the real main window opens (offscreen when there is
no display) and paints; one line per step, exit 0, or a plain message and exit 1 at the first failure."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ui.errors import SmokeTestFailed

if TYPE_CHECKING:
    from fieldapp.vault import Vault

    from ui.main_window import MainWindow
    from ui.state import AppState

PASSPHRASE = "smoke test passphrase of this build"
WORD = "smokeword"  # searched for: in the record's notes only, so a hit proves the search index works
MIN_COLOURS = 8  # a blank (or all-black) window has one or two; text, frames and icons have many more
WAIT_S = 30.0
T = TypeVar("T")


def run() -> int:
    """Every step in order; returns the process's exit code."""
    started = time.monotonic()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt starts: a CI machine or a console has no display
    try:
        folder = Path(tempfile.mkdtemp(prefix="fieldapp-smoke-"))
    except OSError as exc:
        print(f"smoke test FAILED: no temporary folder could be made ({exc}); set TMPDIR to a writable folder", flush=True)
        return 1
    try:
        vault = _step("a new vault in a temporary folder", lambda: _new_vault(folder))
        _step("a record saved and found by search", lambda: _record_and_search(vault))
        _step("the record synced to a local service", lambda: _sync_to_local_service(vault, folder / "service"))
        _step("the main window painted (offscreen)" if os.environ.get("QT_QPA_PLATFORM") == "offscreen" else "the main window painted",
              lambda: _paint_main_window(vault, folder))
    except SmokeTestFailed as exc:
        print(f"smoke test FAILED: {exc}", flush=True)
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"smoke test passed in {time.monotonic() - started:.1f} s (temporary vault removed)", flush=True)
    return 0


def _step(name: str, action: Callable[[], T]) -> T:
    started = time.monotonic()
    try:
        result = action()
    except SmokeTestFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of this build is the answer
        raise SmokeTestFailed(f"{name}: {type(exc).__name__}: {exc}") from exc
    print(f"smoke test: {name}: ok ({time.monotonic() - started:.1f} s)", flush=True)
    return result


def _new_vault(folder: Path) -> Vault:
    from fieldapp.storage.keys import KdfParams
    from fieldapp.vault import Vault

    # The floor of the key-derivation settings: the smoke test proves the build, not the laptop's speed.
    return Vault.create(folder / "vault", PASSPHRASE, kdf=KdfParams()).vault


def _record_and_search(vault: Vault) -> None:
    from fieldapp import domain

    assessment = vault.assessments.create("Smoke test ICS", period_start="2026-11-01", period_end="2026-11-30").value
    vault.records.create(assessment.id, domain.Observation(title="Board meeting", notes=f"The {WORD} is recorded"))
    found = [row.title for row in vault.search(WORD).items]
    if found != ["Board meeting"]:
        raise SmokeTestFailed(f"searching for the record's word found {found}, not the record just saved")


def service_command() -> list[str]:
    """The service as dev.sh starts it: `fieldapp-server` beside the app in a bundle, else Python's."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).with_name("fieldapp-server"))]
    # Not `-m sync.server`: that imports from the folder the smoke test was started in first, where a
    # `sync` folder would run as ours. -P leaves that folder out; the service comes from beside this app.
    beside = str(Path(__file__).resolve().parents[1])
    return [sys.executable, "-P", "-c", f"import runpy, sys; sys.path.insert(0, {beside!r}); runpy.run_module('sync.server', run_name='__main__')"]


def _sync_to_local_service(vault: Vault, data: Path) -> None:
    from sync.client.engine import engine_for
    from sync.client.enrolment import enrol

    command = [*service_command(), "--data", str(data)]
    setup = subprocess.run([*command, "admin", "--json", "local-setup"], capture_output=True, text=True, timeout=120)
    if setup.returncode != 0:
        raise SmokeTestFailed(f"the local service could not be set up: {setup.stderr.strip() or setup.stdout.strip()}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    service = subprocess.Popen([*command, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_service(url, service)
        enrol(vault, url, json.loads(setup.stdout)["code"], label="smoke test")
        engine, _transport = engine_for(vault)
        report = engine.run()
        if report.pushed < 1 or report.problems:
            raise SmokeTestFailed(f"the sync sent {report.pushed} record(s): {'; '.join(report.problems) or 'none'}")
    finally:
        service.terminate()
        service.wait(timeout=30)


def _wait_for_service(url: str, service: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v1/status", timeout=1):
                return
        except OSError:
            if service.poll() is not None:
                raise SmokeTestFailed(f"the local service stopped at once: {service.stderr.read().strip() if service.stderr else ''}") from None
            if time.monotonic() > deadline:
                raise SmokeTestFailed(f"the local service did not answer on {url} within {WAIT_S:.0f} s") from None
            time.sleep(0.1)


def _paint_main_window(vault: Vault, folder: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow
    from ui.state import AppState

    _app = QApplication.instance() or QApplication(sys.argv[:1])
    state = AppState(vault_path=vault.path, vault=vault, settings_file=folder / "fieldapp.conf")
    window = MainWindow(state)
    try:
        window.resize(1366, 740)
        window.show()
        window.load()
        _wait(lambda: window.model.rowCount() == 1 and state.tasks.pending == 0, "the main window to list the record")
        colours = _colours(window)
        if colours < MIN_COLOURS:
            raise SmokeTestFailed(f"the main window painted {colours} colour(s): it is blank (is Qt's platform plugin working?)")
    finally:
        _close(window, state)


def _wait(done: Callable[[], bool], what: str) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + WAIT_S
    while not done():
        if time.monotonic() > deadline:
            raise SmokeTestFailed(f"waited {WAIT_S:.0f} s for {what}")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def _colours(window: MainWindow) -> int:
    """Distinct colours in the window's own grab, sampled every 3 pixels each way."""
    image = window.grab().toImage()
    return len({image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)})


def _close(window: MainWindow, state: AppState) -> None:
    window.close()
    _wait(lambda: state.tasks.pending == 0, "the window's saving to finish")
    if state.sync is not None:
        state.sync.shutdown()
    state.tasks.shutdown()
    if state.vault is not None:
        state.vault.lock()
