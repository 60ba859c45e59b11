"""First run: choose a passphrase, create the vault, keep the recovery key, and prove it was kept."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from fieldapp.vault import CreatedVault, Vault

from ui.errors import message_for
from ui.passphrase import acceptable, strength
from ui.state import AppState


class FirstRunWizard(QWizard):
    created = Signal(object)  # the unlocked Vault, once the recovery key was checked

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.result_vault: CreatedVault | None = None
        self.setWindowTitle("Create your fieldapp vault")
        self.setMinimumSize(720, 440)  # the recovery key must show whole, never scrolled
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.passphrase_page = PassphrasePage()
        self.creating_page = CreatingPage(self)
        self.recovery_page = RecoveryKeyPage(self)
        self.check_page = CheckPage(self)
        for page in (self.passphrase_page, self.creating_page, self.recovery_page, self.check_page):
            self.addPage(page)
        self.finished.connect(self.on_finished)

    def on_finished(self, result: int) -> None:
        if result == QWizard.DialogCode.Accepted and self.result_vault is not None:
            self.created.emit(self.result_vault.vault)


class PassphrasePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Choose a passphrase")
        self.setSubTitle("It opens your vault on this laptop. Several unrelated words are strong and easy to remember.")
        layout = QVBoxLayout(self)
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("Passphrase")
        self.first.setPlaceholderText("Passphrase")
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Passphrase again")
        self.second.setPlaceholderText("The same passphrase again")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName("Passphrase strength")
        self.verdict = QLabel("")
        self.verdict.setAccessibleName("Passphrase advice")
        self.verdict.setWordWrap(True)
        for widget in (self.first, self.second, self.meter, self.verdict):
            layout.addWidget(widget)
        self.first.textChanged.connect(self.on_text_changed)
        self.second.textChanged.connect(self.on_text_changed)
        self.second.returnPressed.connect(lambda: self.wizard().next() if self.isComplete() else None)

    def on_text_changed(self, _text: str) -> None:
        result = strength(self.first.text())
        self.meter.setValue(result.score)
        message = f"{result.label}. {result.advice}"
        if acceptable(result) and self.second.text() and self.second.text() != self.first.text():
            message = "The two passphrases are not the same."
        elif not acceptable(result) and self.first.text():
            message = f"{result.label}: not accepted. {result.advice}"
        self.verdict.setText(message)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return acceptable(strength(self.first.text())) and self.first.text() == self.second.text()


class CreatingPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Creating your encrypted vault")
        self.setCommitPage(True)  # no going back once the vault exists
        layout = QVBoxLayout(self)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName("Creating the vault")
        self.status = QLabel("Deriving a key from your passphrase and creating the vault…")
        self.status.setAccessibleName("Creation status")
        self.status.setWordWrap(True)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        if self._wizard.result_vault is not None:
            return
        path, passphrase = self._wizard.state.vault_path, self._wizard.passphrase_page.first.text()
        self._wizard.state.tasks.run(lambda: Vault.create(path, passphrase), self._on_created, self._on_failed)

    def _on_created(self, created: CreatedVault) -> None:
        self._wizard.result_vault = created
        self._wizard.passphrase_page.first.clear()
        self._wizard.passphrase_page.second.clear()
        self.busy.setRange(0, 1)
        self.busy.setValue(1)
        self.status.setText("Your vault is ready.")
        self.completeChanged.emit()
        self._wizard.next()

    def _on_failed(self, exc: BaseException) -> None:
        self.busy.setRange(0, 1)
        self.status.setText(f"The vault could not be created. {message_for(exc)}")

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self._wizard.result_vault is not None


class RecoveryKeyPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Your recovery key")
        self.setSubTitle(
            "If you forget your passphrase, this key is the only other way in. It is shown once: "
            "copy it or save it somewhere safe that is not this laptop."
        )
        layout = QVBoxLayout(self)
        self.key = QLineEdit()
        self.key.setReadOnly(True)
        self.key.setAccessibleName("Recovery key")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)  # monospaced everywhere
        font.setPointSize(13)
        self.key.setFont(font)
        layout.addWidget(self.key)
        buttons = QHBoxLayout()
        self.copy = QPushButton("Copy")
        self.copy.setAccessibleName("Copy the recovery key")
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.key.text()))
        self.save = QPushButton("Save as file…")
        self.save.setAccessibleName("Save the recovery key as a file")
        self.save.clicked.connect(self.on_save_clicked)
        buttons.addWidget(self.copy)
        buttons.addWidget(self.save)
        layout.addLayout(buttons)
        self.kept = QCheckBox("I have stored this recovery key somewhere safe")
        self.kept.setAccessibleName("I have stored the recovery key")
        self.kept.toggled.connect(lambda _on: self.completeChanged.emit())
        layout.addWidget(self.kept)
        self.saved_to = QLabel("")
        layout.addWidget(self.saved_to)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        created = self._wizard.result_vault
        self.key.setText(created.recovery_key if created else "")

    def on_save_clicked(self) -> None:
        target, _filter = QFileDialog.getSaveFileName(self, "Save the recovery key", "fieldapp-recovery-key.txt")
        if target:
            self.save_recovery_key_to(Path(target))

    def save_recovery_key_to(self, path: Path) -> None:
        text = (
            "fieldapp recovery key — opens your vault if you forget your passphrase. Keep it away from the laptop.\n"
            f"{self.key.text()}\n"
        )
        # Readable by this user only, from the moment it exists.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        self.saved_to.setText(f"Saved to {path}")

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.kept.isChecked() and bool(self.key.text())


class CheckPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.check_group_index = random.randint(2, 8)
        self.setTitle("Check that you kept it")
        layout = QVBoxLayout(self)
        self.prompt = QLabel("")
        self.prompt.setWordWrap(True)
        self.answer = QLineEdit()
        self.answer.setAccessibleName("Recovery key group")
        self.answer.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.answer.returnPressed.connect(lambda: self._wizard.accept() if self.isComplete() else None)
        layout.addWidget(self.prompt)
        layout.addWidget(self.answer)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.prompt.setText(f"Type group {self.check_group_index} of your recovery key (the {_ordinal(self.check_group_index)} block of four).")
        self._wizard.recovery_page.key.clear()  # from here on it is only where you stored it

    def expected(self) -> str:
        created: Any = self._wizard.result_vault
        return created.recovery_key.split("-")[self.check_group_index - 1] if created else ""

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        typed = self.answer.text().upper().replace(" ", "").replace("-", "")
        return bool(typed) and typed == self.expected()


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}[n]
