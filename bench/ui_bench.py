"""The desktop app benchmark: start-up, unlock to list, filtering, keystrokes, memory.

Start-up is timed in fresh processes against a bare PySide6 window in the same run; the rest
runs the real windows offscreen against a vault of realistic records.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench.vault_bench import PASSPHRASE, _build

_BARE = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget
    app = QApplication([])
    w = QWidget(); w.resize(460, 220); w.show()
    QTimer.singleShot(0, lambda: (print(time.monotonic()), app.quit()))
    app.exec()
    """
)
_APP = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from ui.app import AppController
    from ui.state import AppState
    app = QApplication([])
    controller = AppController(AppState(vault_path=Path(sys.argv[1])))
    controller.start()
    QTimer.singleShot(0, lambda: (print(time.monotonic()), app.quit()))
    app.exec()
    """
)


def run(*, records: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    base = Path(tempfile.mkdtemp(prefix="fieldapp-uibench-"))
    try:
        return _run(base, records)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run(base: Path, records: int) -> dict:
    from fieldapp.storage.keys import KdfParams
    from fieldapp.vault import Vault

    created = Vault.create(base / "vault", PASSPHRASE, kdf=KdfParams())
    _build(created.vault, records, random.Random(3))
    created.vault.lock()
    result: dict = {"records": records}
    bare = _median_start(_BARE, [])
    app = _median_start(_APP, [str(base / "vault")])
    result.update(startup_s=round(app, 3), bare_window_s=round(bare, 3), startup_ratio=round(app / bare, 2))
    result.update(_in_process(base / "vault"))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def _median_start(code: str, args: list[str]) -> float:
    times = []
    for _ in range(5):
        started = time.monotonic()
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout
        times.append(float(out.split()[-1]) - started)
    return statistics.median(times)


def _in_process(path: Path) -> dict:
    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from fieldapp.storage import keys
    from ui.main_window import MainWindow
    from ui.state import AppState
    from fieldapp.vault import Vault

    _app = QApplication.instance() or QApplication([])
    state = AppState(vault_path=path, vault=Vault(path))

    def pump_until(done, timeout: float = 30.0) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)

    data_key = keys.unwrap_with_passphrase(state.vault.header, PASSPHRASE)  # the KDF, left out
    window = MainWindow(state)
    window.resize(1366, 768)
    started = time.perf_counter()
    state.tasks.run(lambda: state.vault._open_with(data_key), lambda _r: None, lambda exc: print(exc, file=sys.stderr))
    pump_until(lambda: state.tasks.pending == 0)
    window.show()
    window.load()
    pump_until(lambda: window.model.rowCount() > 0 and state.tasks.pending == 0)
    window.repaint()
    unlock_to_list = time.perf_counter() - started

    filter_ms = []
    for word in ["disch", "respi", "board", "nurse", "winter", "carer", "plan", "risk"] * 5:
        window.search_box.clear()
        pump_until(lambda: state.tasks.pending == 0 and not window._search_timer.isActive())
        generation = window._query_generation
        t0 = time.perf_counter()
        QTest.keyClicks(window.search_box, word)
        pump_until(lambda generation=generation: window._query_generation > generation and state.tasks.pending == 0 and not window._search_timer.isActive())
        window.table.viewport().repaint()
        filter_ms.append((time.perf_counter() - t0) * 1000 - window._search_timer.interval())

    window.new_actions["observation"].trigger()
    pump_until(lambda: state.tasks.pending == 0 and "notes" in window.editor._fields)
    notes = window.editor._fields["notes"]
    notes.setFocus()
    key_ms = []
    for i in range(300):
        t0 = time.perf_counter()
        QTest.keyClick(notes, "abcdefghij"[i % 10])
        notes.viewport().repaint()
        key_ms.append((time.perf_counter() - t0) * 1000)
        QCoreApplication.processEvents()  # let autosaves come back between keys, as between real keys
    window.close()
    pump_until(lambda: state.tasks.pending == 0)
    state.tasks.shutdown()
    state.vault.lock()
    return {
        "unlock_to_list_s": round(unlock_to_list, 3),
        "filter_p95_ms": round(_p95(filter_ms), 1),
        "keystroke_p95_ms": round(_p95(key_ms), 2),
    }


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]
