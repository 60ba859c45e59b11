"""Sync from the app: runs on a thread of its own (never the vault worker, so saving goes on while
it talks to the service), by itself every few minutes, when the service becomes reachable again
and after unlocking; and the status the window shows (not set up, offline, syncing, up to date,
N waiting, conflicts, refused changes, or what stopped the last sync and what to do about it).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from ui.dates import moment_text
from ui.signals import AppSignals
from ui.sync_problems import NOT_SET_UP, NOT_SET_UP_DETAIL, OFFLINE, Problem, enrol_problem, sync_problem
from ui.taskman import TaskManager

if TYPE_CHECKING:
    from fieldapp.rows import Changes
    from fieldapp.vault import Vault
    from sync.client.engine import Progress, SyncReport

DEFAULT_INTERVAL_S = 5 * 60  # a sync by itself this often, when there is a service
PROBE_S = 30  # while offline, ask whether the service is back this often
AFTER_EDIT_S = 20  # and a sync this long after the last change, so a colleague sees it soon


class AppParts(Protocol):
    """What the controller uses of the app's shared state (ui.state.AppState, which holds it)."""

    signals: AppSignals
    tasks: TaskManager
    vault: Vault | None


@dataclass(frozen=True)
class SyncView:
    """What the status bar shows about sync, in words and numbers."""

    state: str  # "not-enrolled", "offline", "syncing", "up-to-date", "waiting", "conflicts", "refused", "error"
    text: str
    waiting: int = 0
    conflicts: int = 0
    progress: tuple[int, int | None] | None = None  # (done, total) while syncing
    detail: str = ""  # a longer explanation, for the tooltip


class SyncController(QObject):
    status_changed = Signal(object)  # SyncView
    synced = Signal(object)  # SyncReport, after a sync finished
    enrolled = Signal(object)  # fieldapp.replication.exchange.ServiceLink
    enrol_failed = Signal(str)  # words for the inspector
    revoked = Signal()  # () the service itself said this laptop's access was revoked: the app wipes the vault
    fetched = Signal(object)  # RecordRow: a record kept on the service (retention), fetched back whole
    fetch_failed = Signal(str, str)  # record id, and why it could not be fetched now, in words
    _progress = Signal(object)  # sync.client.engine.Progress, from the sync thread

    def __init__(self, state: AppParts, *, interval_s: int = DEFAULT_INTERVAL_S, probe_s: int = PROBE_S) -> None:
        super().__init__()
        self._state = state
        # The sync thread: results come back like the vault worker's; the app's exit does not wait
        # for a request stuck on the network (everything a sync did is already safe in the vault).
        self._tasks = TaskManager("sync", wait_at_exit=False)
        self._cancel = threading.Event()
        self._running = False
        self._again = False
        self._offline = False
        # What stopped the last sync or enrolment, shown until a sync or an enrolment works: a
        # later count of waiting changes must not hide it.
        self.problem: Problem | None = None
        self._problem_state = "error"  # the view's state while it shows the problem
        self._enrol_failed = False  # the problem is an enrolment's (the status bar shows it only while not linked)
        self.view = SyncView("not-enrolled", NOT_SET_UP, detail=NOT_SET_UP_DETAIL)
        # The record open in the editor, read on the sync thread when a round ends: retention leaves it.
        self.keep_open: Callable[[], Collection[str]] = lambda: ()
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

    @property
    def running(self) -> bool:
        return self._running

    def send_concern(self) -> str:
        """A concern was just raised or changed: sync at once when a service is set up and reachable
        (the core pushes the concern first); in words, what happens to it."""
        if self._vault() is None or self.view.state == "not-enrolled":
            return "This laptop is not set up to sync: it is sent once it is. If it is urgent, phone the office."
        if self._offline:
            # Short: it shares the status bar with the reminder and the sync state at 1366×768.
            return "It goes first once the office can be reached; if it is urgent, phone the office."
        self.sync_now()
        return "Sending it to the office now, ahead of everything else."

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

            engine, transport = engine_for(vault, progress=emit, cancel=cancel, keep=self.keep_open)
            try:
                return engine.run()
            finally:
                transport.close()

        self._tasks.run(run, self.on_sync_done, self.on_sync_failed)

    def fetch_again(self, record_id: str) -> None:
        """Open a record retention left on the service: fetched on the sync thread, with progress in
        the status bar; `fetched` or `fetch_failed` says how it went. Offline, it says so at once."""
        from fieldapp.errors import KEPT_ON_SERVICE

        vault = self._vault()
        if vault is None:
            return
        if self._offline:
            self.fetch_failed.emit(record_id, KEPT_ON_SERVICE)
            return
        self._show(dataclasses.replace(self.view, text="Fetching a record from the service…", progress=(0, None)))

        def run() -> Any:
            from sync.client.engine import engine_for

            engine, transport = engine_for(vault, progress=self._progress.emit, cancel=self._cancel.is_set)
            try:
                return engine.fetch_again(record_id)
            finally:
                transport.close()

        def done(record: Any) -> None:
            from fieldapp.rows import Changes

            self._state.signals.operation_did_execute.emit(Changes(records=frozenset({record_id}), from_sync=True), self)
            self.fetched.emit(record)
            self.refresh_status()

        def failed(exc: BaseException) -> None:
            from sync.client.errors import ServiceUnreachable

            if isinstance(exc, ServiceUnreachable):
                self._set_offline(True)
            self.fetch_failed.emit(record_id, KEPT_ON_SERVICE if isinstance(exc, ServiceUnreachable) else sync_problem(exc).headline)
            self.refresh_status()

        self._tasks.run(run, done, failed)

    def on_engine_progress(self, progress: Progress) -> None:
        if self._running:
            self._show(SyncView("syncing", progress.message or "Syncing…", self.view.waiting, self.view.conflicts, (progress.done, progress.total)))

    def on_sync_done(self, report: SyncReport) -> None:
        self._running = False
        self._set_offline(False)
        self.problem = None
        if report.changes:
            self._state.signals.operation_did_execute.emit(report.changes, self)
        self.synced.emit(report)
        self.refresh_status(detail="; ".join(report.problems[:3]))
        self._follow_up()

    def on_sync_failed(self, exc: BaseException) -> None:
        from fieldapp.errors import Cancelled, VaultLocked
        from sync.client.errors import DeviceRevoked, NotEnrolled, NotSetUp, ServiceUnreachable

        self._running = False
        if isinstance(exc, (Cancelled, VaultLocked)):
            self.refresh_status()
            return
        problem = sync_problem(exc)
        if isinstance(exc, DeviceRevoked):  # raised only for the service's own answer to this laptop's token
            self.stop()
            self._again = False
            self._set_problem(problem, "not-enrolled")
            self.revoked.emit()  # the app wipes the vault
            return
        if isinstance(exc, ServiceUnreachable):
            self._set_offline(True)
            self._show(SyncView("offline", OFFLINE, self.view.waiting, self.view.conflicts, detail=problem.detail))
            return
        if isinstance(exc, NotSetUp):
            self.refresh_status()  # "Not set up to sync", or why enrolling failed
            return
        self._set_problem(problem, "not-enrolled" if isinstance(exc, NotEnrolled) else "error")
        self._follow_up()

    def _set_problem(self, problem: Problem, state: str) -> None:
        self.problem, self._problem_state, self._enrol_failed = problem, state, False
        self._show(SyncView(state, problem.headline, self.view.waiting, self.view.conflicts, detail=problem.detail))

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

    def enrol(self, url: str, code: str, ca_bundle: str | None = None, label: str = "", *, local: bool = False) -> None:
        """Enrol this vault with a service (on the sync thread), then sync. `local`: the address
        and code came from `packaging/dev.sh app` (a failure then says so)."""
        vault = self._vault()
        if vault is None:
            return

        def run() -> tuple[Any, Changes]:
            from fieldapp.rows import Changes
            from sync.client.enrolment import enrol

            link = enrol(vault, url, code, ca_bundle=ca_bundle or None, label=label)
            # Every record's sync column changes meaning ("on this laptop only" no more): views reload.
            return link, Changes(assessments=frozenset(a.id for a in vault.assessments.list()))

        def done(result: tuple[Any, Changes]) -> None:
            link, changes = result
            self.problem = None
            self.enrolled.emit(link)
            if changes:
                self._state.signals.operation_did_execute.emit(changes, self)
            self.refresh_status()
            self._interval.start()
            self.sync_now()

        def failed(exc: BaseException) -> None:
            problem = enrol_problem(exc, url, local=local)
            self.problem, self._problem_state, self._enrol_failed = problem, "not-enrolled", True
            self.enrol_failed.emit(problem.detail)
            self.refresh_status()

        self._tasks.run(run, done, failed)

    # -- status ---------------------------------------------------------------------------------

    def on_vault_changed(self, _changes: object, initiator: object) -> None:
        if initiator is self:
            return
        self.refresh_status()
        if self._vault() is not None and not self._offline:
            self._soon.start()  # restarts: a sync shortly after the last change, not one per keystroke

    def refresh_status(self, detail: str = "") -> None:
        """Read the counts on the vault worker (a quick query) and show them."""
        vault = self._vault()
        if vault is None:
            return
        # Straight on the vault worker (not a ui.operations op: those are for widgets, and know the
        # app state that holds this controller). A status read that fails shows the last counts.
        self._state.tasks.run(lambda: read_status(vault), lambda result: self.show_status(result, detail=detail), lambda _exc: None)

    def show_status(self, read: tuple[Any, bool], *, detail: str = "") -> None:
        """Show a status read by read_status (here, or with the evidence list's rows, so the two
        say the same thing at the same moment)."""
        self._show_counts(*read, detail=detail)

    def _show_counts(self, status: Any, linked: bool, *, detail: str = "") -> None:
        if self._running:
            return
        n = status.waiting + status.unsaved  # an edit still in its draft is a change the next sync sends
        problem = self.problem
        if not linked:
            if problem is not None and self._enrol_failed:  # say why enrolling failed
                self._show(SyncView("not-enrolled", problem.headline, n, status.conflicts, detail=problem.detail))
            else:
                self._show(SyncView("not-enrolled", NOT_SET_UP, n, status.conflicts, detail=NOT_SET_UP_DETAIL))
            return
        if problem is not None and self._enrol_failed:
            problem = self.problem = None  # enrolling with another service failed: this one's link stands
        if self._offline:
            view = SyncView("offline", OFFLINE, n, status.conflicts, detail=self.view.detail)
        elif problem is not None:
            view = SyncView(self._problem_state, problem.headline, n, status.conflicts, detail=problem.detail)
        elif status.conflicts:
            view = SyncView("conflicts", f"{status.conflicts} in conflict: choose a version", n, status.conflicts, detail=detail)
        elif status.refused:
            view = SyncView("refused", _refused_text(status.refused), n, 0, detail=_refused_detail(status.refusals, detail))
        elif n or status.uploads or status.downloads:
            view = SyncView("waiting", f"{n} change{'s' if n != 1 else ''} waiting to sync" if n else "Attachment files waiting to sync", n, 0, detail=detail)
        else:
            # In this laptop's time, day first: "UTC" asked the inspector to do arithmetic.
            when = f" (last synced {moment_text(status.last_synced_at)})" if status.last_synced_at else ""
            view = SyncView("up-to-date", f"Up to date{when}", 0, 0, detail=detail)
        if status.local_only:
            k = status.local_only
            text = view.text
            if view.state == "waiting":
                # Why the changes stay waiting, where it is read (dogfood: "15 changes waiting to sync"
                # after every Sync now, the reason only in a tooltip on the assessment).
                text += f": {'an assessment is' if k == 1 else f'{k} assessments are'} not on the service yet"
            here = "1 assessment is" if k == 1 else f"{k} assessments are"
            view = SyncView(view.state, text, view.waiting, view.conflicts, view.progress,
                            (view.detail + " " if view.detail else "") + f"{here} on this laptop only: the service's administrator adds "
                            "it (its id is in the assessment's tooltip), then its records sync.")  # fmt: skip
        self._show(view)

    def _show(self, view: SyncView) -> None:
        self.view = view
        self.status_changed.emit(view)

    def _vault(self) -> Vault | None:
        vault = self._state.vault
        return None if vault is None or vault.is_locked else vault


def read_status(vault: Vault) -> tuple[Any, bool]:
    """The sync counts and whether this vault is linked to a service (on the vault worker)."""
    return vault.replication.status(), vault.replication.link() is not None


def _refused_text(count: int) -> str:
    return f"The service refused {count} change{'s' if count != 1 else ''}"


def _refused_detail(refusals: tuple[Any, ...], more: str) -> str:
    """Which records, by title, and why; then what to do."""
    lines = [refusal.words() for refusal in refusals]
    lines.append(
        "Refused changes stay safe on this laptop, but the service will not take them as they are. "
        "Tell the service's administrator, quoting these words."
    )
    return " ".join(filter(None, [*lines, more]))
