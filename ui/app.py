"""The desktop app: first run or unlock, then the main window; locks on demand, when idle and
when the screen locks.

    python -m ui [--version | --smoke-test] [--vault PATH] [--idle-lock SECONDS] [--theme system|light|dark] [--settings FILE] [--service URL [--enrol-code CODE]]

The vault lives in the platform's user data folder unless --vault says otherwise.
"""

from __future__ import annotations

import argparse
import logging
import platform
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from typing import TYPE_CHECKING

import platformdirs
from PySide6.QtCore import QEvent, QObject, QTimer, Signal, qVersion
from PySide6.QtWidgets import QApplication, QWidget

from fieldapp import crash_reports, logs
from fieldapp.storage import wipe as wiping
from fieldapp.version import app_version

from ui import theme
from ui.preferences import Preferences, user_settings
from ui.errors import message_for
from ui.icons import icon
from ui.screen_lock import ScreenLockWatcher
from ui.state import AppState
from ui.unlock import UnlockWindow

log = logging.getLogger("fieldapp.ui")

if TYPE_CHECKING:
    from fieldapp.vault import Vault

    from ui.main_window import MainWindow

# Only Qt and the unlock window load before the first paint; the vault, SQLAlchemy and the main
# window load on the vault worker (or when first needed), so the app is on screen at once.

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


def default_vault_path() -> Path:
    return Path(platformdirs.user_data_dir("fieldapp", appauthor=False)) / "vault"


class AppController(QObject):
    """Decides which window shows, and locks the vault when asked or when the inspector walks away."""

    quit_ready = Signal()  # () File → Quit finished its saving and locking: the app may exit now

    def __init__(self, state: AppState, screen_lock: ScreenLockWatcher | None = None) -> None:
        super().__init__()
        self.state = state
        self.window: QWidget | None = None
        self.main: MainWindow | None = None
        self._reopen: str | None = None  # the record open when the vault locked, opened again after unlock
        self._concerns_words = ""  # the concerns reminder, in counts only, for the unlock window after a lock
        self._idle = QTimer(self, singleShot=True)
        self._idle.timeout.connect(self.lock)
        # The session's D-Bus by default; tests hand in a watcher on a private bus.
        self.screen_lock = screen_lock if screen_lock is not None else ScreenLockWatcher(self)
        self.screen_lock.screen_locked.connect(self.lock)
        state.signals.preferences_changed.connect(self._rearm_idle)

    def start(self) -> None:
        self.screen_lock.start()
        if wiping.is_pending(self.state.vault_path):
            self._show_removal(None)  # a wipe cut short (the app closed, the power went): it finishes first
        elif self.state.has_vault:
            self._show_unlock().crash_offer.offer_once()
            self._open_handle()
        else:
            self._show_first_run()

    def _show_first_run(self) -> None:
        from ui.first_run import FirstRunWizard

        wizard = FirstRunWizard(self.state)
        wizard.created.connect(self.on_wizard_created)
        wizard.abandoned.connect(self.on_wizard_abandoned)
        self._show(wizard)

    def on_revoked(self) -> None:
        """The service said this laptop's access was revoked: every window's content goes at once,
        the vault is wiped on the vault worker (which forgets its keys first), and the app says why.
        What was typed is not saved: nothing of the vault is kept."""
        vault, main = self.state.vault, self.main
        self._idle.stop()
        self._reopen, self._concerns_words, self.main = None, "", None
        if main is not None:
            main.hold_for_lock()
            main.model.set_rows(())
            main.editor.show_record(None)
            main.judgements.forget()
            main.report.forget()
            main.hide()
            # Gone once the work queued before now has answered it (answers to a deleted window would fail).
            self.state.tasks.run(lambda: None, lambda _none: main.deleteLater(), lambda _exc: main.deleteLater())
        for window in QApplication.topLevelWidgets():
            if window is not self.window:
                window.hide()  # a dialog of the vault's (a record's history, a report) goes with it
        if self.state.sync is not None:
            self.state.sync.shutdown()
            self.state.sync.deleteLater()
            self.state.sync = None  # the next vault gets a controller of its own
        self._show_removal(vault)

    def _show_removal(self, vault: Vault | None) -> None:
        from ui.revoked import RevokedWindow

        removal = RevokedWindow(self.state.tasks, finishing=vault is None)
        removal.set_up_again.connect(self.on_removal_set_up_again)
        self._show(removal)
        removal.wipe(vault, self.state.vault_path)

    def on_removal_set_up_again(self) -> None:
        self.state.vault = None
        self._show_first_run()

    def _open_handle(self) -> None:
        """Load the vault module and read the header on the worker; unlocking queues behind it."""
        state = self.state

        def open_handle() -> None:
            from fieldapp.vault import Vault

            state.vault = Vault(state.vault_path)  # set on the worker, so the next task sees it

        state.tasks.run(open_handle, lambda _none: None, lambda exc: state.signals.error.emit(message_for(exc)))

    def on_wizard_created(self, vault: Vault) -> None:
        self.state.vault = vault
        self._show_main()

    def on_wizard_abandoned(self, vault: Vault) -> None:
        """Set-up was cancelled once the vault existed: it is locked; offer to unlock it, and say why."""
        from ui.first_run import ABANDONED_NOTICE

        self.state.vault = vault
        self._show_unlock().status.setText(ABANDONED_NOTICE)

    def _show_unlock(self) -> UnlockWindow:
        unlock = UnlockWindow(self.state)
        unlock.unlocked.connect(self._show_main)
        self.state.signals.error.connect(unlock.say)
        self._show(unlock)
        return unlock

    def _show_main(self) -> None:
        if self.main is None:
            from ui.main_window import MainWindow

            self.main = MainWindow(self.state)
            self.main.lock_requested.connect(self.lock)
            self.main.quit_requested.connect(self.quit)
            self.main.sync.revoked.connect(self.on_revoked)
        self._show(self.main)
        self.main.load()
        if self._reopen is not None:
            self.main.open_record(self._reopen)  # back where the inspector was when it locked
            self._reopen = None
        self.main.bring_back_after_unlock()
        self.state.signals.vault_unlocked.emit()
        self._arm_idle()
        self._enrol_with_local_service()

    def _enrol_with_local_service(self) -> None:
        """The embedded default: enrol once with the local service dev.sh started, if not enrolled.
        If that fails, the status bar says so and why (the sync controller keeps it shown)."""
        state = self.state
        url, code, sync = state.service_url, state.enrol_code, state.sync
        if not (url and code and sync):
            return
        state.enrol_code = None  # a code works once

        def enrol_if_new(link: object) -> None:
            if link is None:
                # Colleagues see this name beside this laptop's words ("Sam Patel, on 'ward-laptop-3'"):
                # the computer's own name, never "this laptop", which reads as theirs on their screen.
                sync.enrol(url, code, label=socket.gethostname() or "a laptop", local=True)

        from ui.operations import sync as sync_ops

        sync_ops.link(state).success(enrol_if_new).run_in_background()

    def _show(self, window: QWidget) -> None:
        previous, self.window = self.window, window
        window.show()
        # Keyboard first: the passphrase can be typed at once, without a click to focus the window.
        window.raise_()
        window.activateWindow()
        if previous is not None and previous is not window:
            previous.hide()

    def lock(self) -> None:
        """Hide every window's content at once; cut revisions and forget keys on the vault worker. The
        idle lock and the screen lock come here too, so nothing here waits on the inspector: a concern
        the office has not acknowledged is said in the unlock window instead."""
        if self._hide_and_lock(lambda: None):
            unlock = self._show_unlock()
            unlock.remind(f"Reminder: {self._concerns_words}" if self._concerns_words else "")

    def quit(self) -> None:
        """File → Quit (Ctrl+Q): as closing the window, but with the record being edited saved and
        every open draft cut into a revision before the vault locks, as lock does; then quit_ready."""
        if self.main is not None:
            self.main.remember_layout()
        for window in QApplication.topLevelWidgets():
            window.hide()  # gone at once; the saving finishes behind
        if not self._hide_and_lock(self.quit_ready.emit):
            self.quit_ready.emit()  # locked already: nothing left to save

    def _hide_and_lock(self, then: Callable[[], None]) -> bool:
        """Save the editor, hide the main window, lock on the worker, then call then(); False if
        there was nothing to lock."""
        if self.main is None or self.state.vault is None or self.state.vault.is_locked:
            return False
        self._idle.stop()
        self._reopen = self.main.editor.record_id  # an id, not evidence: kept in memory for the unlock
        self._concerns_words = self.main.concern_reminder.lock_words(self.main.sync.view.state == "not-enrolled")  # counts only
        self.main.hold_for_lock()
        self.main.editor.leave_record()
        self.main.judgements.save_now()  # a judgement being typed: queued ahead of the lock below
        self.main.report.save_now()  # and the report's texts
        self.main.hide()
        self.main.model.set_rows(())
        self.main.editor.show_record(None)
        self.main.judgements.forget()  # no scores or passages left in widgets while locked
        self.main.report.forget()
        self.main.hide_dialogs_for_lock()  # after the views held theirs: whatever else is open
        vault, signals = self.state.vault, self.state.signals

        def locked(_result: object) -> None:
            signals.vault_locked.emit()
            then()

        # Locking forgets the keys even when it fails; a quit carries on either way.
        self.state.tasks.run(vault.lock, locked, lambda _exc: then())
        return True

    # -- idle locking ---------------------------------------------------------------------------

    def _arm_idle(self) -> None:
        if self.state.idle_lock_s > 0:
            self._idle.start(self.state.idle_lock_s * 1000)

    def _rearm_idle(self) -> None:
        if self._idle.isActive():  # unlocked: count the new idle time from now
            self._idle.stop()
            self._arm_idle()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in _ACTIVITY and self._idle.isActive():
            self._idle.start()  # any input restarts the countdown
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fieldapp", description="Record ICS assessment evidence, offline.")
    parser.add_argument("--vault", type=Path, default=None, help="the vault folder (default: your user data folder)")
    parser.add_argument("--idle-lock", type=int, default=None, metavar="SECONDS", help="lock after this long idle (0: never; default: Preferences)")
    parser.add_argument("--theme", choices=theme.CHOICES, default=None, help="colours: as the desktop, light or dark (default: Preferences)")
    parser.add_argument("--settings", type=Path, default=None, help="the preferences file (default: your user config folder)")
    parser.add_argument("--service", default=None, metavar="URL", help="the central service to offer in Sync settings")
    parser.add_argument("--enrol-code", default=None, metavar="CODE", help="enrol with --service using this code, if not enrolled yet")
    parser.add_argument("--version", action="version", version=f"fieldapp {app_version()}")
    parser.add_argument("--smoke-test", action="store_true", help="check this build works (a temporary vault, the main window offscreen), then exit")
    parser.add_argument("--print-start-time", action="store_true", help="print the monotonic clock once the first window is up, then quit (python -m bench ui)")
    args = parser.parse_args(argv)
    folder = logs.configure("fieldapp").parent
    crash_reports.collect_hard_crashes(folder)  # an earlier run's, before this run's own file is made
    crash_reports.install(folder)
    log.info("fieldapp %s started on %s, Python %s, Qt %s", app_version(), platform.platform(), platform.python_version(), qVersion())
    if args.smoke_test:
        from ui import smoke

        return smoke.run()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("fieldapp")
    app.setWindowIcon(icon("app"))
    preferences = Preferences.load(user_settings(args.settings))
    theme.apply(app, args.theme or preferences.theme)
    state = AppState(vault_path=args.vault or default_vault_path(), settings_file=args.settings)
    state.idle_lock_s = args.idle_lock if args.idle_lock is not None else preferences.idle_lock_minutes * 60
    state.service_url, state.enrol_code = args.service, args.enrol_code
    controller = AppController(state)
    controller.quit_ready.connect(app.quit)
    app.installEventFilter(controller)
    controller.start()
    if args.print_start_time:
        QTimer.singleShot(0, lambda: (print(time.monotonic(), flush=True), app.quit()))
    code = app.exec()
    if controller.main is not None:
        controller.main.editor.leave_record()
        controller.main.judgements.save_now()
        controller.main.report.save_now()
    if state.sync is not None:
        state.sync.shutdown()  # stops at its next step; a request stuck on the network is not waited for
    state.tasks.shutdown()  # every queued save finishes before the keys are forgotten
    if state.vault is not None:
        state.vault.lock()
    return int(code)
