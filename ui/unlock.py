"""The unlock window: passphrase or recovery key; wrong attempts slow down, visibly."""

from __future__ import annotations

import math

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget

from fieldapp.errors import VaultNotFound, WrongPassphrase

from ui.diagnostics import CrashOffer
from ui.errors import HOW_TO_REPORT, message_for
from ui.state import AppState


class UnlockWindow(QWidget):
    unlocked = Signal()  # ()

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self.setWindowTitle("Unlock fieldapp")
        self.resize(460, 220)
        layout = QVBoxLayout(self)
        heading = QLabel("<b>fieldapp is locked</b>")
        heading.setAccessibleName("fieldapp is locked")
        layout.addWidget(heading)
        self.crash_offer = CrashOffer(state)  # shown at start after a crash (AppController.start)
        layout.addWidget(self.crash_offer)
        where = QLabel(f"Vault: {state.vault_path}")
        where.setWordWrap(True)
        layout.addWidget(where)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Passphrase")
        self.secret.setPlaceholderText("Passphrase")
        self.secret.returnPressed.connect(self.on_unlock_clicked)
        layout.addWidget(self.secret)
        self.use_recovery = QCheckBox("Use my recovery key instead")
        self.use_recovery.setAccessibleName("Use the recovery key instead of the passphrase")
        self.use_recovery.toggled.connect(self.on_use_recovery_toggled)
        layout.addWidget(self.use_recovery)
        self.unlock = QPushButton("Unlock")
        self.unlock.setAccessibleName("Unlock the vault")
        self.unlock.setDefault(True)
        self.unlock.clicked.connect(self.on_unlock_clicked)
        layout.addWidget(self.unlock)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName("Unlocking")
        self.busy.hide()
        layout.addWidget(self.busy)
        self.status = QLabel("")
        self.status.setAccessibleName("Unlock status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        # Concerns the office has not acknowledged (issue 15), in counts: the idle lock shows no dialog, so it says it here.
        self.reminder = QLabel("")
        self.reminder.setAccessibleName("Concerns reminder")
        self.reminder.setWordWrap(True)
        self.reminder.hide()
        layout.addWidget(self.reminder)
        self._countdown = QTimer(self, interval=250)
        self._countdown.timeout.connect(self._tick)
        self.crash_offer.answered.connect(self.secret.setFocus)
        self.secret.setFocus()

    def say(self, words: str) -> None:
        """A message in the status line; one that asks for a report gets Copy diagnostics beside it."""
        self.status.setText(words)
        if HOW_TO_REPORT in words:
            self.crash_offer.offer_now()

    def remind(self, words: str) -> None:
        self.reminder.setText(words)
        self.reminder.setVisible(bool(words))

    def on_use_recovery_toggled(self, on: bool) -> None:
        self.secret.clear()
        self.secret.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("Recovery key, e.g. 7K3M-Q9XA-…" if on else "Passphrase")
        self.secret.setAccessibleName("Recovery key" if on else "Passphrase")
        self.secret.setFocus()

    def on_unlock_clicked(self) -> None:
        secret = self.secret.text()
        if not secret or not self.unlock.isEnabled():
            return
        self.secret.clear()
        self._set_busy(True)
        kwargs = {"recovery_key": secret} if self.use_recovery.isChecked() else {"passphrase": secret}
        state = self._state

        def unlock() -> None:
            # Read the handle on the worker: at start-up it is made by the task queued before this.
            if state.vault is None:
                raise VaultNotFound(f"No vault could be opened at {state.vault_path}.")
            state.vault.unlock(**kwargs)

        state.tasks.run(unlock, self._on_unlocked, self._on_failed)

    def _on_unlocked(self, _result: object) -> None:
        self._set_busy(False)
        self.status.setText("")
        self.unlocked.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.say(message_for(exc))
        if isinstance(exc, WrongPassphrase) and self._state.vault is not None and self._state.vault.unlock_delay() > 0:
            self.unlock.setEnabled(False)
            self._countdown.start()
            self._tick()

    def _tick(self) -> None:
        delay = self._state.vault.unlock_delay() if self._state.vault is not None else 0
        if delay <= 0:
            self._countdown.stop()
            self.unlock.setEnabled(True)
            self.status.setText(f"{WrongPassphrase.MESSAGE} You can try again now.")
            return
        self.status.setText(f"{WrongPassphrase.MESSAGE} Try again in {math.ceil(delay)} s.")

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.unlock.setEnabled(not busy)
        self.secret.setEnabled(not busy)
        if not busy:
            self.secret.setFocus()
