"""A crash leaves a report beside the logs: the app's own start-up in a child process, crashing in a Qt
slot, in a thread, in a background task's callback and on the main thread, or hard (a segfault through
faulthandler); each report names the type and the stack, the version and the platform, and none of the
words the crash had in hand."""

from __future__ import annotations

import platform
import signal
import stat
from pathlib import Path

from log_fixtures import canary, read_all, run_child

from fieldapp import crash_reports
from fieldapp.version import app_version

# The app's main() with its hooks, as an inspector starts it; the crashes are queued before it runs.
CRASH_IN_EVERY_PLACE = """
import sys, threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from fieldapp.errors import NotFound
from ui import app
from ui.taskman import TaskManager

words = sys.argv[1]
threads, tasks = [], []

def in_a_thread(title):
    raise NotFound(f"No attachment named {title}")  # our own error: its message quotes a name

def when_done(_result):
    QApplication.quit()
    raise LookupError(words)

def in_a_slot():
    typed = words
    threads.append(threading.Thread(target=in_a_thread, args=(typed,), name="attachments"))
    threads[0].start()
    tasks.append(TaskManager())
    tasks[0].run(lambda: None, when_done, print)
    raise ValueError(f"could not read {typed}")

def on_the_main_thread(text):
    raise KeyError(text)

QTimer.singleShot(0, in_a_slot)
app.main(sys.argv[2:])
threads[0].join()
on_the_main_thread(words)
"""

_HARD_CRASH = """
import faulthandler, sys
from PySide6.QtCore import QTimer
from ui import app

def hard_crash(title):
    faulthandler._sigsegv()

QTimer.singleShot(0, lambda: hard_crash(sys.argv[1]))
app.main(sys.argv[2:])
"""


def app_args(tmp_path: Path) -> list[str]:
    return ["--vault", str(tmp_path / "no-vault-yet"), "--settings", str(tmp_path / "settings.ini"), "--idle-lock", "0"]


def test_uncaught_exceptions_in_a_slot_a_thread_a_tasks_callback_and_the_main_thread_each_leave_a_private_report_without_their_words(tmp_path: Path) -> None:
    words = canary("typed")
    folder = tmp_path / "logs"
    done = run_child(CRASH_IN_EVERY_PLACE, folder, words, *app_args(tmp_path))
    assert done.returncode == 1  # the exception on the main thread ended it, as Python ends any program
    reports = crash_reports.pending_reports(folder)
    assert len(reports) == 4, done.stderr[-2000:]
    texts = [p.read_text() for p in reports]
    for text, path in zip(texts, reports):
        assert text.startswith(f"fieldapp {app_version()}\nPlatform: {platform.platform()}\n")
        assert "\nCrashed: 20" in text
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    found = "\n".join(texts)
    assert "Uncaught exception in thread MainThread: ValueError\n" in found and ", in in_a_slot" in found
    assert "Uncaught exception in thread attachments: NotFound\n" in found and ", in in_a_thread" in found
    assert "Uncaught exception in thread MainThread: KeyError\n" in found and ", in on_the_main_thread" in found
    assert "Uncaught exception in a task's callback: LookupError\n" in found and ", in when_done" in found
    assert "CRITICAL fieldapp.crash: uncaught exception in thread attachments failed: NotFound" in (folder / "fieldapp.log").read_text()
    # Not in a report, the log, or what it said on its terminal instead of Python's traceback.
    assert words not in read_all(folder) + done.stderr + done.stdout
    assert not list(folder.glob("faults-*"))  # the run's faulthandler file went at its exit


def test_a_hard_crash_leaves_a_report_that_the_next_start_collects(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    title = canary("title")
    done = run_child(_HARD_CRASH, folder, title, *app_args(tmp_path))
    assert done.returncode == -signal.SIGSEGV
    assert crash_reports.pending_reports(folder) == []  # not until the next start looks
    collected = crash_reports.collect_hard_crashes(folder)
    assert collected == crash_reports.pending_reports(folder) and len(collected) == 1
    text = collected[0].read_text()
    assert text.startswith(f"fieldapp {app_version()}\nPlatform: {platform.platform()}\n")
    assert "Fatal Python error: Segmentation fault" in text and " in hard_crash\n" in text and "\nCrashed: 20" in text
    assert stat.S_IMODE(collected[0].stat().st_mode) == 0o600
    assert title not in read_all(folder) + done.stderr  # faulthandler dumps frames, never their values
    assert crash_reports.collect_hard_crashes(folder) == []  # once


def test_reports_offered_once_are_kept_for_the_diagnostics_but_not_offered_again(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for n in range(crash_reports.KEEP_SEEN + 2):
        try:
            raise RuntimeError(n)
        except RuntimeError as exc:
            crash_reports.mark_seen([crash_reports.write_report(folder, exc, f"number {n}")])
    assert crash_reports.pending_reports(folder) == []
    assert len(list(folder.glob("crash-*.txt.seen"))) == crash_reports.KEEP_SEEN  # the oldest went
    text = crash_reports.diagnostics_text(folder, folder / "fieldapp.log", {"Qt": "6.x"})
    assert text.startswith(f"fieldapp {app_version()}\nQt: 6.x\nPlatform: {platform.platform()}\n")
    assert text.count("== Crash report ") == crash_reports.SHOWN_IN_DIAGNOSTICS
    assert "Uncaught exception number 21: RuntimeError" in text and "(no log yet)" in text


_RAISES_AT_EVERY_REPAINT = """
import sys
from fieldapp import crash_reports, logs

crash_reports.install(logs.configure("fieldapp").parent)
for repaint in range(crash_reports.MAX_PER_RUN + 5):
    try:
        raise ZeroDivisionError(repaint)
    except ZeroDivisionError:
        sys.excepthook(*sys.exc_info())  # as PySide6 hands on an exception raised in paintEvent
"""


def test_an_exception_at_every_repaint_leaves_a_few_reports_and_every_one_in_the_log(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    assert run_child(_RAISES_AT_EVERY_REPAINT, folder).returncode == 0
    assert len(crash_reports.pending_reports(folder)) == crash_reports.MAX_PER_RUN
    assert (folder / "fieldapp.log").read_text().count("uncaught exception in thread MainThread failed: ZeroDivisionError") == crash_reports.MAX_PER_RUN + 5


def test_faulthandler_files_of_runs_that_ended_without_a_dump_are_not_reports_and_only_the_newest_stay(tmp_path: Path) -> None:
    for day in range(1, crash_reports.KEEP_UNFINISHED + 3):  # runs switched off at the wall
        (tmp_path / f"faults-202612{day:02d}T090000Z-{100 + day}.txt").write_text("fieldapp 0.1.0\nHard crash:\n")
    assert crash_reports.collect_hard_crashes(tmp_path) == [] and crash_reports.pending_reports(tmp_path) == []
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == crash_reports.KEEP_UNFINISHED and left[0].startswith("faults-20261203T")
