"""One background worker that touches the vault, so the UI thread never waits on disk or crypto.

A single thread keeps vault calls in order (as the core expects) and results come back to the UI
thread by a queued Qt signal.

Every job (its task, callbacks, result or exception) belongs to the UI thread: the worker reaches
it by id and lets go of it before saying it is done. So the last reference to anything a job
captured, a widget's bound method, a traceback holding a widget, is always dropped on the UI
thread. Dropped on the worker, Python would destroy a Qt widget there, and Qt crashes later (seen
as a segfault in the style's animation bookkeeping, a few tests after the fact).
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from fieldapp import crash_reports


@dataclass
class _Job:
    task: Callable[[], Any]
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    outcome: tuple[bool, Any] | None = None  # (True, result) or (False, exception), set by the worker


class TaskManager(QObject):
    _finished = Signal(int)  # the id of a job whose outcome is set

    def __init__(self, name: str = "vault", *, wait_at_exit: bool = True) -> None:
        """wait_at_exit=False: a thread the app's exit need not wait for (sync, blocked in a network
        read for up to its timeout); its work must be safe to abandon, as sync's is."""
        super().__init__()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) if wait_at_exit else _DaemonExecutor(name)
        self._finished.connect(self._on_finished)
        self._jobs: dict[int, _Job] = {}
        self._ids = itertools.count()
        self.pending = 0
        self.closed = False

    def run(
        self,
        task: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run task on the vault thread; on_done(result) or on_error(exc) runs on the UI thread.

        After shutdown (the app is closing) nothing new starts: a late timer must not crash.
        """
        if self.closed:
            return
        self.pending += 1
        job_id = next(self._ids)
        self._jobs[job_id] = _Job(task, on_done, on_error)
        self._executor.submit(self._work, job_id)

    def _work(self, job_id: int) -> None:
        """On the vault thread: run the job, keep its outcome on it, let go of it, then say so."""
        job = self._jobs[job_id]
        try:
            job.outcome = (True, job.task())
        except BaseException as exc:  # noqa: BLE001 - every failure is the UI's to report
            job.outcome = (False, exc)
        del job  # before the signal: from here the UI thread holds the only reference
        self._finished.emit(job_id)

    @Slot(int)
    def _on_finished(self, job_id: int) -> None:
        self.pending -= 1
        job = self._jobs.pop(job_id)
        assert job.outcome is not None
        succeeded, value = job.outcome
        try:
            if succeeded:
                job.on_done(value)
            else:
                job.on_error(value)
        except Exception as exc:  # a slot must not take the app down; reported as an uncaught one is
            crash_reports.report_uncaught(exc, "in a task's callback")

    def shutdown(self) -> None:
        """Finish every queued task (saves included), then refuse new ones."""
        self.closed = True
        self._executor.shutdown(wait=True)


class _DaemonExecutor:
    """One daemon thread taking jobs in order; shutdown waits only a moment for the current one."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[Callable[[], Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put(lambda: fn(*args))

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            job()
            del job  # the job's references go before the next wait

    def shutdown(self, wait: bool = True) -> None:
        self._queue.put(None)
        if wait:
            self._thread.join(timeout=2.0)
