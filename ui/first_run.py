"""First run: choose a passphrase, create the vault, keep the recovery key, and prove it was kept.

If creation fails, the page says why in words and offers Try again with the passphrase kept. If the
wizard is cancelled once the vault exists, the vault is kept (it is a whole, working vault, and
empty) but locked at once, so its keys leave memory; `abandoned` tells the app, which shows the
unlock window with a word of explanation. The next start shows unlock too.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, Signal
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

from fieldapp.storage.keys import recovery_characters
from fieldapp.vault import CreatedVault, Vault

from ui.errors import message_for
from ui.icons import icon
from ui.passphrase import acceptable, strength
from ui.strength_meter import show_strength, strength_meter
from ui.state import AppState


ABANDONED_NOTICE = (
    "Setup was cancelled after your vault was made, so it is locked now. It is a working vault: "
    "unlock it with your passphrase, here or the next time fieldapp starts. If you did not keep the "
    "recovery key, your passphrase is the only way in."
)
# QWizard's own buttons: what a screen reader says for each. The commit button is "Create vault" on
# the passphrase page and plain "Next" on the creating page, and its name follows.
BUTTON_NAMES = {
    QWizard.WizardButton.BackButton: "Back to the previous step",
    QWizard.WizardButton.NextButton: "Next step",
    QWizard.WizardButton.CommitButton: "Create the vault with this passphrase",
    QWizard.WizardButton.FinishButton: "Finish and open the vault",
    QWizard.WizardButton.CancelButton: "Cancel setting up the vault",
}


class FirstRunWizard(QWizard):
    created = Signal(object)  # the unlocked Vault, once the recovery key was checked
    abandoned = Signal(object)  # the Vault, made but the wizard cancelled: it is being locked

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.result_vault: CreatedVault | None = None
        self.cancelled = False
        self.setWindowTitle("Create your fieldapp vault")
        self.setWindowIcon(icon("app"))
        self.setMinimumSize(720, 440)  # the recovery key must show whole, never scrolled
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Create vault")
        for which, name in BUTTON_NAMES.items():
            self.button(which).setAccessibleName(name)
        self.passphrase_page = PassphrasePage()
        self.creating_page = CreatingPage(self)
        self.recovery_page = RecoveryKeyPage(self)
        self.check_page = CheckPage(self)
        for page in (self.passphrase_page, self.creating_page, self.recovery_page, self.check_page):
            self.addPage(page)
        self.currentIdChanged.connect(self.on_current_id_changed)
        self.finished.connect(self.on_finished)

    def on_current_id_changed(self, _page_id: int) -> None:
        commit = self.button(QWizard.WizardButton.CommitButton)
        creating = self.currentPage() is self.creating_page
        commit.setAccessibleName(BUTTON_NAMES[QWizard.WizardButton.NextButton if creating else QWizard.WizardButton.CommitButton])

    def on_finished(self, result: int) -> None:
        if result == QWizard.DialogCode.Accepted and self.result_vault is not None:
            self.created.emit(self.result_vault.vault)
            return
        self.cancelled = True
        self.passphrase_page.forget()
        self.recovery_page.key.clear()
        if self.result_vault is not None:
            self.abandon()
        # else: creation may still be running; CreatingPage abandons what it makes.

    def abandon(self) -> None:
        """Lock the vault that was made (its keys leave memory on the worker) and say so."""
        assert self.result_vault is not None
        vault = self.result_vault.vault
        self.result_vault = None  # the recovery key string goes with it
        self.state.tasks.run(vault.lock, lambda _none: None, lambda _exc: None)  # locking cannot fail
        self.abandoned.emit(vault)


class PassphrasePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Choose a passphrase")
        self.setSubTitle("It opens your vault on this laptop. Several unrelated words are strong and easy to remember.")
        # "Create vault" commits: once creation starts there is no going back to change it.
        self.setCommitPage(True)
        layout = QVBoxLayout(self)
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName("Passphrase")
        self.first.setPlaceholderText("Passphrase")
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName("Passphrase again")
        self.second.setPlaceholderText("The same passphrase again")
        self.meter, self.verdict = strength_meter()
        for widget in (self.first, self.second, self.meter, self.verdict):
            layout.addWidget(widget)
        self.first.textChanged.connect(self.on_text_changed)
        self.second.textChanged.connect(self.on_text_changed)
        self.second.returnPressed.connect(lambda: self.wizard().next() if self.isComplete() else None)

    def forget(self) -> None:
        self.first.clear()
        self.second.clear()

    def on_text_changed(self, _text: str) -> None:
        show_strength(self.meter, self.verdict, self.first.text(), self.second.text())
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return acceptable(strength(self.first.text())) and self.first.text() == self.second.text()


class CreatingPage(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self._running = False
        self.setTitle("Creating your encrypted vault")
        self.setCommitPage(True)  # no going back once the vault exists
        self.setButtonText(QWizard.WizardButton.CommitButton, "Next")
        layout = QVBoxLayout(self)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Creating the vault")
        self.status = QLabel("Deriving a key from your passphrase and creating the vault…")
        self.status.setAccessibleName("Creation status")
        self.status.setWordWrap(True)
        self.retry = QPushButton("Try again")
        self.retry.setAccessibleName("Try creating the vault again")
        self.retry.clicked.connect(self.on_retry_clicked)
        self.retry.hide()
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addWidget(self.retry, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        if self._wizard.result_vault is None:
            self._create()

    def _create(self) -> None:
        if self._running:
            return
        self._running = True
        self.retry.hide()
        self.busy.setRange(0, 0)
        self.busy.show()
        self.status.setText("Deriving a key from your passphrase and creating the vault…")
        path, passphrase = self._wizard.state.vault_path, self._wizard.passphrase_page.first.text()
        self._wizard.state.tasks.run(lambda: Vault.create(path, passphrase), self._on_created, self._on_failed)

    def on_retry_clicked(self) -> None:
        self._create()  # the passphrase is still in its fields until a creation succeeds

    def _on_created(self, created: CreatedVault) -> None:
        self._running = False
        self._wizard.result_vault = created
        self._wizard.passphrase_page.forget()
        if self._wizard.cancelled:
            self._wizard.abandon()  # cancelled while it was being made
            return
        self.busy.setRange(0, 1)
        self.busy.setValue(1)
        self.status.setText("Your vault is ready.")
        self.completeChanged.emit()
        self._wizard.next()

    def _on_failed(self, exc: BaseException) -> None:
        self._running = False
        self.busy.hide()  # a bar at 0 % would look like progress to wait for
        self.status.setText(f"The vault could not be created. {message_for(exc)}")
        self.retry.show()
        self.retry.setFocus()

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
        # Offered in Documents (or home), never where the app was started: that may be a folder
        # that is shared, synced or committed.
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        target, _filter = QFileDialog.getSaveFileName(self, "Save the recovery key", str(Path(folder) / "fieldapp-recovery-key.txt"))
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
        self.answer.textChanged.connect(self.on_answer_text_changed)
        self.answer.returnPressed.connect(self.on_answer_return_pressed)
        # Beside the field, why Finish stays greyed out: a mismatch is said, never left silent.
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setAccessibleName("Recovery key check")
        layout.addWidget(self.prompt)
        layout.addWidget(self.answer)
        layout.addWidget(self.verdict)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.prompt.setText(f"Type group {self.check_group_index} of your recovery key (the {_ordinal(self.check_group_index)} block of four).")
        self._wizard.recovery_page.key.clear()  # from here on it is only where you stored it

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override: Back from here
        # Back means "let me look again": the key is shown again (the wizard still holds it until
        # it finishes), so copying or saving it from there never writes an empty key.
        self._wizard.recovery_page.initializePage()
        self.answer.clear()

    def expected(self) -> str:
        created: Any = self._wizard.result_vault
        return created.recovery_key.split("-")[self.check_group_index - 1] if created else ""

    def typed(self) -> str:
        """The answer as the key's characters (look-alikes, case, spaces and dashes forgiven)."""
        return recovery_characters(self.answer.text())

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        typed = self.typed()
        return bool(typed) and typed == self.expected()

    def on_answer_text_changed(self, _text: str) -> None:
        typed = self.typed()
        # Said once a whole group is typed (a half-typed one is not wrong yet); cleared as it is fixed.
        self.verdict.setText(self._mismatch() if len(typed) >= len(self.expected()) and not self.isComplete() else "")
        self.completeChanged.emit()

    def on_answer_return_pressed(self) -> None:
        if self.isComplete():
            self._wizard.accept()
        else:
            self.verdict.setText(self._mismatch())

    def _mismatch(self) -> str:
        shown = self.typed()
        if not shown:
            return f"Type group {self.check_group_index} of your recovery key: four letters or digits."
        if len(shown) < len(self.expected()):
            return f"“{shown}” is too short: group {self.check_group_index} has {len(self.expected())} characters."
        return (
            f"“{shown}” is not group {self.check_group_index} of your recovery key. Check the copy you kept "
            "(count the groups from the left), or go Back to see the key again."
        )


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}[n]
