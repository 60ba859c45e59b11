"""Work started from a widget, as a value that runs itself in the background on the vault worker.

    records.get_record(state, record_id).success(editor.show_record).run_in_background()

The modules beside this one (records, links, history, attachments, assessments, sync) each hold a
handful of small functions that return an op for one area. A VaultOp's result is a fieldapp Done;
its changes are broadcast so every view can refresh what changed (and skip its own echo). A
QueryOp reads and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fieldapp.errors import VaultLocked
from fieldapp.rows import Done

from ui.errors import message_for

if TYPE_CHECKING:
    from fieldapp.vault import Vault

    from ui.state import AppState

T = TypeVar("T")


class QueryOp(Generic[T]):
    # A read queued just before a lock and answered after it finds the vault locked: the unlock
    # window says that itself, so the read says nothing. A refused change (VaultOp) still says so.
    quiet_when_locked = True

    def __init__(self, state: AppState, task: Callable[[Vault], T], *, initiator: object = None) -> None:
        self._state = state
        self._task = task
        self._initiator = initiator
        self._on_success: Callable[[T], None] = lambda _result: None
        self._on_failure: Callable[[BaseException], None] = self._say

    def _say(self, exc: BaseException) -> None:
        if self.quiet_when_locked and isinstance(exc, VaultLocked):
            return
        self._state.signals.error.emit(message_for(exc))

    def success(self, callback: Callable[[T], None]) -> QueryOp[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> QueryOp[T]:
        self._on_failure = callback
        return self

    def run_in_background(self) -> None:
        vault = self._state.vault
        self._state.tasks.run(lambda: self._task(vault), self._done, self._on_failure)

    def _done(self, result: Any) -> None:
        self._on_success(result)


class VaultOp(QueryOp[Done[Any]]):
    """A mutation: its Changes are broadcast once it succeeds."""

    quiet_when_locked = False

    def _done(self, result: Any) -> None:
        if isinstance(result, Done) and result.changes:
            self._state.signals.operation_did_execute.emit(result.changes, self._initiator)
        self._on_success(result)
