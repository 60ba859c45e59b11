"""SIGKILL while an inspector types: the reopened vault holds all but at most the last second or so
(the autosave's half second, and the time a busy machine takes to write it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE

from fieldapp.vault import Vault

_CHILD = textwrap.dedent(
    """
    import os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from fieldapp.vault import Vault
    from ui.main_window import MainWindow
    from ui.state import AppState

    app = QApplication([])
    vault = Vault.open(sys.argv[1], passphrase=sys.argv[2])
    state = AppState(vault_path=vault.path, vault=vault)
    window = MainWindow(state)
    window.show()
    window.load()
    typed = []

    def start():
        if window.assessments.count() == 0:
            QTimer.singleShot(50, start)
            return
        window.new_actions["observation"].trigger()
        QTimer.singleShot(300, type_one)

    def type_one():
        notes = window.editor._fields.get("notes")
        if notes is None:
            QTimer.singleShot(50, type_one)
            return
        letter = "abcdefghij"[len(typed) % 10]
        QTest.keyClicks(notes, letter)
        typed.append(letter)
        print(len(typed), time.monotonic(), flush=True)
        QTimer.singleShot(40, type_one)  # about 25 keys a second

    QTimer.singleShot(0, start)
    app.exec()
    """
)


@pytest.mark.parametrize("seconds", [3.0, 4.5])
def test_a_killed_app_loses_at_most_the_last_second_of_typing(vault_path: Path, tmp_path: Path, seconds: float) -> None:
    v = Vault.open(vault_path, passphrase=PASSPHRASE)
    v.assessments.create("Killed while typing")
    v.lock()
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    root = str(Path(__file__).resolve().parents[2])
    child = subprocess.Popen(
        [sys.executable, str(script), str(vault_path), PASSPHRASE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
    )
    # Timed from the first key typed, not from the fork: on a loaded machine the child's start-up
    # alone can outlast the delay, and it would be killed before typing anything.
    lines: list[str] = []
    first_key = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line)
            first_key.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not first_key.wait(120):
        child.kill()
        pytest.fail(f"the app never started typing: {child.communicate()[1][-2000:]}")
    time.sleep(seconds)
    killed_at = time.monotonic()
    child.send_signal(signal.SIGKILL)
    child.wait()
    reader.join(10)  # the reader alone reads stdout, to its end
    assert child.stderr is not None
    err = child.stderr.read()
    keys = [line.split() for line in lines if len(line.split()) == 2]
    assert len(keys) > 20, err[-2000:]
    reopened = Vault.open(vault_path, passphrase=PASSPHRASE)
    (summary,) = reopened.records.list()
    notes = reopened.records.get(summary.id).content.notes
    typed = "".join("abcdefghij"[i % 10] for i in range(len(keys)))
    assert typed.startswith(notes)  # nothing invented, nothing out of order
    # Everything typed more than half a second before the kill (plus time for the save itself) is there.
    must_have = max((int(n) for n, t in keys if float(t) <= killed_at - 1.2), default=0)
    assert len(notes) >= must_have, (len(notes), must_have, len(keys))
    reopened.lock()
