"""The vault worker: results come back in order on the UI thread, and whatever a job captured is let
go of there too (a Qt widget freed on the worker thread crashes Qt later)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ui.taskman import TaskManager


class Tracked:
    """Notes the thread that frees it, as a widget captured by a callback would be freed."""

    freed_on: list[str] = []

    def __del__(self) -> None:
        Tracked.freed_on.append(threading.current_thread().name)


@pytest.fixture
def tasks() -> Iterator[TaskManager]:
    manager = TaskManager()
    Tracked.freed_on = []
    yield manager
    manager.shutdown()


def test_results_and_errors_come_back_in_order_on_the_ui_thread(qtbot, tasks: TaskManager) -> None:  # noqa: ANN001
    heard: list[tuple[str, object, str]] = []
    here = threading.current_thread().name
    for n in range(5):
        tasks.run(lambda n=n: n * n, lambda r: heard.append(("done", r, threading.current_thread().name)), heard.append)
    tasks.run(lambda: 1 / 0, lambda r: None, lambda e: heard.append(("error", type(e).__name__, threading.current_thread().name)))
    qtbot.waitUntil(lambda: tasks.pending == 0)
    assert heard == [("done", n * n, here) for n in range(5)] + [("error", "ZeroDivisionError", here)]


def test_what_a_job_captured_is_freed_on_the_ui_thread_never_the_worker(qtbot, tasks: TaskManager) -> None:  # noqa: ANN001
    for _ in range(200):  # the race this guards against is one of timing: try it often
        captured = Tracked()
        tasks.run(lambda c=captured: c, lambda result, c=captured: None, lambda exc, c=captured: None)
        del captured  # the job now holds the only references
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=10_000)
    assert len(Tracked.freed_on) == 200
    assert set(Tracked.freed_on) == {threading.current_thread().name}


def test_a_failing_jobs_traceback_is_freed_on_the_ui_thread(qtbot, tasks: TaskManager) -> None:  # noqa: ANN001
    def fail(captured: Tracked) -> None:
        raise RuntimeError("the disk went away")  # the traceback's frame holds `captured`

    for _ in range(100):
        captured = Tracked()
        tasks.run(lambda c=captured: fail(c), lambda _r: None, lambda _exc: None)
        del captured
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=10_000)
    assert len(Tracked.freed_on) == 100
    assert set(Tracked.freed_on) == {threading.current_thread().name}


def test_after_shutdown_nothing_new_starts(tasks: TaskManager) -> None:
    tasks.shutdown()
    tasks.run(lambda: 1, lambda _r: None, lambda _e: None)
    assert tasks.pending == 0
