"""Reminders until the office acknowledges every concern (issue 15): a permanent item in the status
bar ("2 concerns not yet acknowledged by the office"; a click opens the Concerns view), and the words
and the short dialog shown on Lock and on Quit: how many, whether they were sent, and Sync now when one
was not. The dialog never holds a lock or a quit up for long: it carries on by itself after a few
seconds, and the idle lock never shows it (the unlock window says it instead)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from fieldapp.concerns import ConcernRow
from fieldapp.rows import Changes

from ui.concerns.words import lock_words, reminder, unsent_count
from ui.message_lines import message_line
from ui.operations import concerns as concern_ops
from ui.state import AppState
from ui.sync_controller import SyncController
from ui.theme import colors

CARRY_ON_S = 15  # the lock or quit reminder goes on with the lock or quit by itself after this long
SYNC_WAIT_S = 30  # "Sync now" waits at most this long for the sync before locking or quitting


class ConcernReminder(QObject):
    """Counts the concerns the office has not acknowledged (read on the vault worker whenever concerns
    change, a sync ends or the vault unlocks) and shows them in a status bar button. Only counts are
    kept: nothing of a concern's words stays in memory while locked."""

    changed = Signal()  # the counts changed
    view_requested = Signal()  # the status bar item was clicked

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self.open_count = 0
        self.unsent = 0
        self.words = ""  # the status bar's line, "" when every concern is acknowledged
        self.button = QPushButton("")
        self.button.setFlat(True)
        self.button.setAccessibleName("Concerns not yet acknowledged")
        self.button.setToolTip("The office has not acknowledged these concerns yet: click to see them (View → Concerns)")
        self.button.setStyleSheet(f"color: {colors().flag}; font-weight: bold;")
        self.button.clicked.connect(self.view_requested.emit)
        self.button.hide()
        state.signals.vault_unlocked.connect(self.refresh)
        state.signals.operation_did_execute.connect(self.on_vault_changed)

    def on_vault_changed(self, changes: Changes, initiator: object) -> None:
        # A push marks a concern sent without naming it in the changes: any sync's changes read again.
        if changes.concerns or changes.from_sync or initiator is self._state.sync:
            self.refresh()

    def refresh(self) -> None:
        vault = self._state.vault
        if vault is None or vault.is_locked:
            return
        concern_ops.unacknowledged(self._state).success(self._show).failure(lambda _exc: None).run_in_background()

    def _show(self, rows: tuple[ConcernRow, ...]) -> None:
        self.open_count, self.unsent, self.words = len(rows), unsent_count(rows), reminder(rows)
        self.button.setText(f"⚠ {self.words}" if self.words else "")
        self.button.setVisible(bool(self.words))
        self.changed.emit()

    def lock_words(self, not_set_up: bool = False) -> str:
        """What the lock and quit reminders say ("" with nothing to remind of); not_set_up: this laptop
        cannot sync, so an unsent concern goes nowhere until the office hears of it another way."""
        if not self.open_count:
            return ""
        words = lock_words(self.open_count, self.unsent)
        if not self.unsent:
            return words
        if not_set_up:
            return f"{words} This laptop is not set up to sync: if it is urgent, phone the office."
        return f"{words} It goes first at the next sync; if it is urgent, phone the office."


class LeavingReminder(QDialog):
    """Shown on Lock (Ctrl+L) and on Quit while a concern is not acknowledged: how many, whether they
    were sent, and "Sync now" for one that was not. Enter carries on; after CARRY_ON_S seconds it
    carries on by itself; Esc stays. `carry_on` is called once, when the lock or quit should go on."""

    carry_on = Signal()

    def __init__(self, reminder_: ConcernReminder, sync: SyncController, doing: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync, self._doing, self._left = sync, doing, CARRY_ON_S
        self._reminder = reminder_
        self._done = False
        self._waiting_for_sync = False
        self._synced = False  # the sync ended: only the counts, read again, are waited for
        self.setWindowTitle("Concerns not yet acknowledged")
        self.setMinimumWidth(460)  # the words on a few lines, not a narrow column
        layout = QVBoxLayout(self)
        self.words = message_line("Concerns reminder", selectable=False)
        can_send = reminder_.unsent > 0 and sync.view.state not in ("not-enrolled",)
        self.words.setText(reminder_.lock_words(sync.view.state == "not-enrolled"))
        layout.addWidget(self.words)
        self.countdown = message_line("Carrying on", selectable=False)
        layout.addWidget(self.countdown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go = buttons.addButton(f"{doing.capitalize()} &now", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sync_button = buttons.addButton(f"&Sync now, then {doing}", QDialogButtonBox.ButtonRole.ActionRole)
        self.sync_button.setVisible(can_send)
        buttons.accepted.connect(self._carry_on)
        buttons.rejected.connect(self.reject)
        self.sync_button.clicked.connect(self.sync_then_carry_on)
        layout.addWidget(buttons)
        self.go.setDefault(True)  # once in the dialog: Enter carries on
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._count_down)
        self._tick.start()
        self._say_left()
        self.go.setFocus()

    def _say_left(self) -> None:
        self.countdown.setText(f"Going on to {self._doing} in {self._left} s.")

    def _count_down(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self._carry_on()
        else:
            self._say_left()

    def sync_then_carry_on(self) -> None:
        """Send what waits (the concern first), then carry on when the sync ends, or after SYNC_WAIT_S."""
        self._tick.stop()
        self.sync_button.setEnabled(False)
        self.countdown.setText(f"Sending to the office… then going on to {self._doing}.")
        self._waiting_for_sync = True
        self._sync.synced.connect(self._after_sync)
        self._sync.status_changed.connect(self._after_status)
        QTimer.singleShot(SYNC_WAIT_S * 1000, self._carry_on)
        self._sync.sync_now()

    def _after_sync(self, _report: object) -> None:
        # The counts are read again before going on: the lock screen repeats them, and the concern
        # just sent must not be called "not sent yet" there.
        self._synced = True
        self._reminder.changed.connect(self._carry_on)
        self._reminder.refresh()

    def _after_status(self, view: object) -> None:
        if self._synced:
            return
        if getattr(view, "state", "syncing") not in ("syncing",) and not self._sync.running:
            self._carry_on()  # it failed (offline, refused): going on all the same

    def _carry_on(self) -> None:
        if self._done:
            return
        self._done = True
        self._tick.stop()
        if self._waiting_for_sync:
            self._waiting_for_sync = False
            self._sync.synced.disconnect(self._after_sync)
            self._sync.status_changed.disconnect(self._after_status)
            if self._synced:
                self._reminder.changed.disconnect(self._carry_on)
        self.accept()
        self.carry_on.emit()

    def reject(self) -> None:
        self._done = True
        self._tick.stop()
        super().reject()


def ask_before(parent: QWidget, reminder_: ConcernReminder, sync: SyncController, doing: str, then: Callable[[], None]) -> LeavingReminder | None:
    """Before a Lock or a Quit: with concerns to remind of, the reminder (window-modal, open()) and
    then() once it carries on; else None, and then() at once."""
    if not reminder_.open_count:
        then()
        return None
    dialog = LeavingReminder(reminder_, sync, doing, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.carry_on.connect(then)
    dialog.rejected.connect(parent.activateWindow)  # stayed: the keys and shortcuts come back to the window
    dialog.open()
    return dialog
