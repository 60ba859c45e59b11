"""Sync from the app: runs on a thread of its own (never the vault worker, so saving goes on while
it talks to the service), by itself every few minutes, when the service becomes reachable again
and after unlocking; and the status the window shows (offline, syncing, up to date, N waiting,
conflicts).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from ui.errors import message_for
from ui.taskman import TaskManager

if TYPE_CHECKING:
    from fieldapp.vault import Vault
    from sync.client.engine import Progress, SyncReport

    from ui.state import AppState

DEFAULT_INTERVAL_S = 5 * 60  # a sync by itself this often, when there is a service
PROBE_S = 30  # while offline, ask whether the service is back this often
AFTER_EDIT_S = 20  # and a sync this long after the last change, so a colleague sees it soon


@dataclass(frozen=True)
class SyncView:
    """What the status bar shows about sync, in words and numbers."""

    state: str  # "not-enrolled", "offline", "syncing", "up-to-date", "waiting", "conflicts", "error"
    text: str
    waiting: int = 0
    conflicts: int = 0
    progress: tuple[int, int | None] | None = None  # (done, total) while syncing
    detail: str = ""  # a longer explanation, for the tooltip


class SyncController(QObject):
    changes_from_elsewhere = True  # what a sync changes came from other devices: open editors reconcile
    status_changed = Signal(object)  # SyncView
    synced = Signal(object)  # SyncReport, after a sync finished
    enrolled = Signal(object)  # fieldapp.replication.ServiceLink
    enrol_failed = Signal(str)  # words for the inspector
    _progress = Signal(object)  # sync.client.engine.Progress, from the sync thread

    def __init__(self, state: AppState, *, interval_s: int = DEFAULT_INTERVAL_S, probe_s: int = PROBE_S) -> None:
        super().__init__()
        self._state = state
        # The sync thread: results come back like the vault worker's; the app's exit does not wait
        # for a request stuck on the network (everything a sync did is already safe in the vault).
        self._tasks = TaskManager("sync", wait_at_exit=False)
        self._cancel = threading.Event()
        self._running = False
        self._again = False
        self._offline = False
        self.view = SyncView("not-enrolled", "Not syncing: no service set up")
        self._interval = QTimer(self, interval=interval_s * 1000)
        self._interval.timeout.connect(self.sync_now)
        self._probe = QTimer(self, interval=probe_s * 1000)
        self._probe.timeout.connect(self._probe_service)
        self._soon = QTimer(self, singleShot=True, interval=AFTER_EDIT_S * 1000)
        self._soon.timeout.connect(self.sync_now)
        self._progress.connect(self.on_engine_progress)
        state.signals.vault_unlocked.connect(self.on_vault_unlocked)
        state.signals.vault_locked.connect(self.stop)
        state.signals.operation_did_execute.connect(self.on_vault_changed)

    # -- starting and stopping ------------------------------------------------------------------

    def on_vault_unlocked(self) -> None:
        self._cancel.clear()
        self._interval.start()
        self.refresh_status()
        self.sync_now()

    def stop(self) -> None:
        """The vault locked (or the app closes): stop at the next step; nothing done is lost."""
        self._cancel.set()
        for timer in (self._interval, self._probe, self._soon):
            timer.stop()

    def shutdown(self) -> None:
        self.stop()
        self._tasks.shutdown()

    # -- syncing --------------------------------------------------------------------------------

    def sync_now(self) -> None:
        """Start a sync unless one is running (then one more follows it)."""
        vault = self._vault()
        if vault is None:
            return
        if self._running:
            self._again = True
            return
        self._running, self._again = True, False
        self._cancel.clear()
        self._show(SyncView("syncing", "Syncing…", self.view.waiting, self.view.conflicts, progress=(0, None)))
        cancel, emit = self._cancel.is_set, self._progress.emit

        def run() -> SyncReport:
            from sync.client.engine import engine_for

            engine, transport = engine_for(vault, progress=emit, cancel=cancel)
            try:
                return engine.run()
            finally:
                transport.close()

        self._tasks.run(run, self.on_sync_done, self.on_sync_failed)

    def on_engine_progress(self, progress: Progress) -> None:
        if self._running:
            self._show(SyncView("syncing", progress.message or "Syncing…", self.view.waiting, self.view.conflicts, (progress.done, progress.total)))

    def on_sync_done(self, report: SyncReport) -> None:
        self._running = False
        self._set_offline(False)
        if report.changes:
            self._state.signals.operation_did_execute.emit(report.changes, self)
        self.synced.emit(report)
        self.refresh_status(detail="; ".join(report.problems[:3]))
        self._follow_up()

    def on_sync_failed(self, exc: BaseException) -> None:
        from fieldapp.errors import Cancelled, VaultLocked
        from sync.client.errors import NotEnrolled, ServiceUnreachable

        self._running = False
        if isinstance(exc, (Cancelled, VaultLocked)):
            self.refresh_status()
            return
        if isinstance(exc, ServiceUnreachable):
            self._set_offline(True)
            self._show(SyncView("offline", "Offline: your work is safe here", self.view.waiting, self.view.conflicts, detail=str(exc)))
            return
        state = "not-enrolled" if isinstance(exc, NotEnrolled) else "error"
        self._show(SyncView(state, "Sync problem: see details", self.view.waiting, self.view.conflicts, detail=message_for(exc)))
        self._follow_up()

    def _follow_up(self) -> None:
        if self._again:
            self.sync_now()

    # -- offline, and coming back -----------------------------------------------------------------

    def _set_offline(self, offline: bool) -> None:
        self._offline = offline
        if offline and not self._probe.isActive():
            self._probe.start()
        elif not offline:
            self._probe.stop()

    def _probe_service(self) -> None:
        """A cheap question to the service; when it answers again, sync at once."""
        vault = self._vault()
        if vault is None or self._running:
            return

        def ask() -> bool:
            from sync.client.api import ServiceApi
            from sync.client.transport import HttpTransport, RetryPolicy

            link = vault.replication.link()
            if link is None:
                return False
            transport = HttpTransport(link.url, ca_bundle=link.ca_bundle or None, connect_timeout_s=3, read_timeout_s=5, retry=RetryPolicy(attempts=1))
            try:
                ServiceApi(transport).status()
                return True
            except Exception:  # noqa: BLE001 - any failure means "not yet"
                return False
            finally:
                transport.close()

        self._tasks.run(ask, lambda reachable: self.sync_now() if reachable else None, lambda _exc: None)

    # -- enrolling ------------------------------------------------------------------------------

    def enrol(self, url: str, code: str, ca_bundle: str | None = None, label: str = "") -> None:
        """Enrol this vault with a service (on the sync thread), then sync."""
        vault = self._vault()
        if vault is None:
            return

        def run() -> Any:
            from sync.client.enrolment import enrol

            return enrol(vault, url, code, ca_bundle=ca_bundle or None, label=label)

        def done(link: Any) -> None:
            self.enrolled.emit(link)
            self.refresh_status()
            self._interval.start()
            self.sync_now()

        self._tasks.run(run, done, lambda exc: self.enrol_failed.emit(message_for(exc)))

    # -- status ---------------------------------------------------------------------------------

    def on_vault_changed(self, _changes: object, initiator: object) -> None:
        if initiator is self:
            return
        self.refresh_status()
        if self._vault() is not None and not self._offline:
            self._soon.start()  # restarts: a sync shortly after the last change, not one per keystroke

    def refresh_status(self, detail: str = "") -> None:
        """Read the counts on the vault worker (a quick query) and show them."""
        from ui.operations import QueryOp

        if self._vault() is None:
            return

        def read(vault: Vault) -> tuple[Any, bool]:
            return vault.replication.status(), vault.replication.link() is not None

        QueryOp(self._state, read).success(lambda result: self._show_counts(*result, detail=detail)).failure(lambda _exc: None).run_in_background()

    def _show_counts(self, status: Any, linked: bool, *, detail: str = "") -> None:
        if self._running:
            return
        n = status.waiting + status.unsaved  # an edit still in its draft is a change the next sync sends
        if not linked:
            view = SyncView("not-enrolled", "Not syncing: set up a service in Sync settings", n, status.conflicts)
        elif self._offline:
            view = SyncView("offline", "Offline: your work is safe here", n, status.conflicts, detail=self.view.detail)
        elif status.conflicts:
            view = SyncView("conflicts", f"{status.conflicts} in conflict: choose a version", n, status.conflicts, detail=detail)
        elif n or status.uploads:
            view = SyncView("waiting", f"{n} change{'s' if n != 1 else ''} waiting to sync" if n else "Attachments waiting to sync", n, 0, detail=detail)
        else:
            when = f" (last {status.last_synced_at[11:16]} UTC)" if status.last_synced_at else ""
            view = SyncView("up-to-date", f"Up to date{when}", 0, 0, detail=detail)
        if status.local_only:
            view = SyncView(view.state, view.text, view.waiting, view.conflicts, view.progress,
                            (view.detail + " " if view.detail else "") + f"{status.local_only} assessment(s) exist on this laptop only.")  # fmt: skip
        self._show(view)

    def _show(self, view: SyncView) -> None:
        self.view = view
        self.status_changed.emit(view)

    def _vault(self) -> Vault | None:
        vault = self._state.vault
        return None if vault is None or vault.is_locked else vault
