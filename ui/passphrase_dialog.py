"""File → Change passphrase: the current passphrase, then the new one twice with the strength meter
the first-run wizard shows. The data key is re-wrapped on the vault worker; nothing is re-encrypted."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QProgressBar, QVBoxLayout, QWidget

from fieldapp.errors import WrongPassphrase

from ui.errors import message_for
from ui.operations import QueryOp
from ui.passphrase import acceptable, strength
from ui.strength_meter import show_strength, strength_meter
from ui.state import AppState

WRONG_CURRENT = "That is not the current passphrase; nothing was changed."


class ChangePassphraseDialog(QDialog):
    changed = Signal()  # () the new passphrase is in force

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.setWindowTitle("Change passphrase")
        self.setMinimumWidth(460)
        self.current = self._secret("Current passphrase")
        self.first = self._secret("New passphrase")
        self.second = self._secret("New passphrase again")
        self.meter, self.verdict = strength_meter()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName("Changing the passphrase")
        self.busy.hide()
        self.status = QLabel("")
        self.status.setAccessibleName("Change passphrase status")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Change passphrase")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Current passphrase", self.current)
        form.addRow("&New passphrase", self.first)
        form.addRow("New passphrase &again", self.second)
        form.addRow("", self.meter)  # it says "Strength: …" itself
        note = QLabel("Your recovery key keeps working. The vault is not re-encrypted, so this takes a moment.")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.verdict)
        layout.addWidget(note)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        for field in (self.current, self.first, self.second):
            field.textChanged.connect(self.on_text_changed)
        self.on_text_changed()

    def _secret(self, name: str) -> QLineEdit:
        field = QLineEdit()
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(name)
        return field

    def complete(self) -> bool:
        return bool(self.current.text()) and acceptable(strength(self.first.text())) and self.first.text() == self.second.text()

    def on_text_changed(self, *_args: object) -> None:
        show_strength(self.meter, self.verdict, self.first.text(), self.second.text())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.complete())

    def accept(self) -> None:
        """Check the current passphrase and re-wrap the key on the worker (Argon2id: about a second)."""
        if not self.complete():
            return
        current, new = self.current.text(), self.first.text()

        def change(vault: Any) -> None:
            vault.change_passphrase(new, current=current)

        self._set_busy(True)
        QueryOp(self._state, change).success(self._on_changed).failure(self._on_failed).run_in_background()

    def _on_changed(self, _none: object) -> None:
        self._set_busy(False)
        for field in (self.current, self.first, self.second):
            field.clear()  # no copy of a passphrase stays in a widget
        self.changed.emit()
        super().accept()

    def _on_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.current.clear()
        self.current.setFocus()
        if isinstance(exc, WrongPassphrase):
            vault = self._state.vault
            delay = vault.unlock_delay() if vault is not None else 0
            self.status.setText(WRONG_CURRENT + (f" Try again in {math.ceil(delay)} s." if delay > 0 else ""))
        else:
            self.status.setText(message_for(exc))

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.buttons.setEnabled(not busy)
        for field in (self.current, self.first, self.second):
            field.setEnabled(not busy)
        if busy:
            self.status.setText("Changing the passphrase…")
