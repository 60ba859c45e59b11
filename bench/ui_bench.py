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

BUNDLE = Path(__file__).resolve().parent.parent / "dist" / "fieldapp" / "fieldapp"

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


def run(*, records: int, only: str | None = None) -> dict:
    """The whole benchmark; only="judgement": just the judgement view's opening (a few seconds)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    base = Path(tempfile.mkdtemp(prefix="fieldapp-uibench-"))
    try:
        if only == "judgement":
            return judgement_open(base / "judgements")
        result = _run(base, records)
        result.update(judgement_open(base / "judgements"))
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)


PASSAGES = 500  # tagged to the one statement whose judgement is opened
JUDGED = "safeguarding"


def judgement_open(path: Path) -> dict:
    """judgement_open_ms: choosing a statement with 500 tagged passages in the judgement view, until
    its judgement form and its evidence, grouped by category, are shown and painted (median of 9)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtWidgets import QApplication

    from fieldapp import domain
    from fieldapp.links import passage_of
    from fieldapp.storage.keys import KdfParams
    from fieldapp.vault import Vault
    from ui.main_window import MainWindow
    from ui.state import AppState

    _app = QApplication.instance() or QApplication([])
    vault = Vault.create(path, PASSPHRASE, kdf=KdfParams()).vault
    assessment = vault.assessments.create("Benchmark ICS").value.id
    sentence = "The carer describes a delayed discharge and six weeks without respite care. "
    for r in range(PASSAGES // 10):  # 50 interviews, 10 passages tagged in each
        content = domain.Interview(title=f"Interview {r}", role=("carer", "staff", "partner")[r % 3], notes=sentence * 10)
        record = vault.records.create(assessment, content).value
        for p in range(10):
            start = p * len(sentence)
            vault.links.tag(record.id, JUDGED, passage=passage_of(record.content, "notes", start, start + len(sentence) - 1))
    vault.judgements.save(assessment, JUDGED, domain.JudgementContent(JUDGED, {"observation": domain.ScoreEntry(3)}))
    state = AppState(vault_path=path, vault=vault, settings_file=path.parent / "fieldapp.conf")

    def pump_until(done, timeout: float = 30.0) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)

    window = MainWindow(state)
    window.resize(1366, 768)
    window.show()
    window.load()
    pump_until(lambda: window.assessments.count() == 1 and state.tasks.pending == 0)
    window.show_judgements()
    view = window.judgements
    pump_until(lambda: view.form.statement_id is not None and state.tasks.pending == 0)
    timings = []
    for _ in range(9):
        view.select_statement("learning-culture")  # away, then back: each opening reads and shows it whole
        pump_until(lambda: view.form.statement_id == "learning-culture" and state.tasks.pending == 0)
        t0 = time.perf_counter()
        view.select_statement(JUDGED)
        pump_until(lambda: view.form.statement_id == JUDGED and state.tasks.pending == 0)
        view.repaint()
        timings.append((time.perf_counter() - t0) * 1000)
    shown = view.evidence.tree.topLevelItemCount(), sum(view.evidence.tree.topLevelItem(i).childCount() for i in range(view.evidence.tree.topLevelItemCount()))
    window.close()
    pump_until(lambda: state.tasks.pending == 0)
    state.tasks.shutdown()
    vault.lock()
    assert shown[1] == PASSAGES, f"the view showed {shown[1]} passages, not {PASSAGES}"
    return {"judgement_passages": PASSAGES, "judgement_open_ms": round(statistics.median(timings), 1)}


def _run(base: Path, records: int) -> dict:
    from fieldapp.storage.keys import KdfParams
    from fieldapp.vault import Vault

    created = Vault.create(base / "vault", PASSPHRASE, kdf=KdfParams())
    _build(created.vault, records, random.Random(3))
    created.vault.lock()
    result: dict = {"records": records}
    bare = _median_start([sys.executable, "-c", _BARE])
    app = _median_start([sys.executable, "-c", _APP, str(base / "vault")])
    result.update(startup_s=round(app, 3), bare_window_s=round(bare, 3), startup_ratio=round(app / bare, 2))
    result.update(bundle_start(base / "vault", base / "fieldapp.conf"))
    result.update(_in_process(base / "vault"))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def bundle_start(vault: Path, settings: Path) -> dict:
    """bundle_start_s: the built app (bash packaging/dev.sh bundle) from its launch to its unlock
    window on screen, median of 5, as startup_s is from Python; null, with the reason, before a build."""
    if not BUNDLE.exists():
        return {"bundle_start_s": None, "bundle_start_reason": f"no {BUNDLE}: build it with bash packaging/dev.sh bundle"}
    return {"bundle_start_s": round(_median_start([str(BUNDLE), "--print-start-time", "--vault", str(vault), "--settings", str(settings)]), 3)}


def _median_start(command: list[str]) -> float:
    """Launch to first window in fresh processes, each printing the monotonic clock once it is up."""
    times = []
    for _ in range(5):
        started = time.monotonic()
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
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
