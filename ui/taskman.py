"""One background worker that touches the vault, so the UI thread never waits on disk or crypto.

A single thread keeps vault calls in order (as the core expects) and results come back to the UI
thread by a queued Qt signal.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot


class TaskManager(QObject):
    _finished = Signal(object)  # a zero-argument callable to run on the UI thread

    def __init__(self) -> None:
        super().__init__()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vault")
        self._finished.connect(self._on_finished)
        self.pending = 0
        self.closed = False

    def run(
        self,
        task: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> Future[Any] | None:
        """Run task on the vault thread; on_done(result) or on_error(exc) runs on the UI thread.

        After shutdown (the app is closing) nothing new starts: a late timer must not crash.
        """
        if self.closed:
            return None
        self.pending += 1

        def finished(future: Future[Any]) -> None:
            exc = future.exception()
            if exc is None:
                self._finished.emit(lambda: on_done(future.result()))
            else:
                self._finished.emit(lambda: on_error(exc))

        future = self._executor.submit(task)
        future.add_done_callback(finished)
        return future

    @Slot(object)
    def _on_finished(self, callback: Callable[[], None]) -> None:
        self.pending -= 1
        try:
            callback()
        except Exception:  # a slot must not take the app down; the traceback holds no evidence
            traceback.print_exc()

    def shutdown(self) -> None:
        """Finish every queued task (saves included), then refuse new ones."""
        self.closed = True
        self._executor.shutdown(wait=True)
