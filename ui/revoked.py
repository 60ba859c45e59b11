"""The window a laptop shows once its access was revoked: why its vault is being removed, what was kept
and what was not, the removal's progress (on the vault worker, never this thread), and then the way
back to setting fieldapp up afresh."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ui.errors import message_for
from ui.icons import icon
from ui.taskman import TaskManager

if TYPE_CHECKING:
    from fieldapp.vault import Vault
    from sync.client.revocation import WipeOutcome

TITLE = "This laptop's access was revoked"
WHY = (
    "Your organisation's administrator revoked this laptop's access to the sync service, so fieldapp is removing "
    "the vault from this laptop. Nobody on this laptop can open it again."
)
FINISHING = (
    "fieldapp is finishing removing the vault from this laptop: your organisation's administrator revoked this "
    "laptop's access, and the removal began before fieldapp last closed. What is left cannot be opened."
)
KEPT = (
    "Evidence already synced is kept on the service: your team still has it, and you can work with it again "
    "on a laptop that is enrolled."
)
LOST = "Evidence not yet synced could not be kept: it was on this laptop only."
CONTACT = (
    "If you did not expect this, or need to carry on working, contact your organisation's administrator for "
    "the sync service (whoever gave you the enrolment code)."
)
WHY_DONE = (
    "Your organisation's administrator revoked this laptop's access to the sync service, so fieldapp removed "
    "the vault from this laptop. Nobody on this laptop can open it again."
)
REMOVING = "Removing the vault from this laptop…"
REMOVED = "The vault was removed from this laptop."
TOLD = " The service has recorded that it was removed."
NOT_TOLD = " The service could not be told it was removed; your administrator still sees the revocation."


def lost_words(unsynced: int | None) -> str:
    """What could not be kept, with the count when it is known."""
    if not unsynced:
        return LOST if unsynced is None else "Nothing was waiting to sync, so no evidence was lost."
    changes = "1 change" if unsynced == 1 else f"{unsynced} changes"
    return f"{changes} not yet synced could not be kept: {'it was' if unsynced == 1 else 'they were'} on this laptop only."


def forget_file_dialog_history() -> None:
    """Qt's own file dialog keeps the folders it last showed in the user's QtProject settings: where
    reports and decrypted copies were saved, which may name the assessment. They go with the vault."""
    settings = QSettings(QSettings.Scope.UserScope, "QtProject")
    settings.remove("FileDialog")
    settings.sync()


class RevokedWindow(QWidget):
    """Says why, wipes on the vault worker with progress, then offers to set fieldapp up again."""

    set_up_again = Signal()  # () the vault is gone: the app returns to its first run
    _progress = Signal(int, int)  # (files destroyed, files in all), from the vault worker

    def __init__(self, tasks: TaskManager, *, finishing: bool = False) -> None:
        super().__init__()
        self._tasks = tasks
        self._finishing = finishing
        self.setWindowTitle(f"fieldapp — {TITLE}")
        self.setWindowIcon(icon("app"))
        self.resize(640, 420)
        heading = QLabel(f"<h2>{TITLE}</h2>")
        self.why = self._words(FINISHING if finishing else WHY)
        self.kept = self._words(KEPT)
        self.lost = self._words(LOST)
        self.contact = self._words(CONTACT)
        self.progress = QProgressBar(maximum=0)  # busy until the first count arrives
        self.progress.setAccessibleName("Removing the vault")
        self.status = self._words(REMOVING)
        self.again = QPushButton("&Set up fieldapp again")
        self.again.setEnabled(False)
        # Return presses it once it has the focus, as in a dialog (dogfood: only Space did, outside a QDialog).
        self.again.setAutoDefault(True)
        self.again.clicked.connect(self.on_again_clicked)
        layout = QVBoxLayout(self)
        for widget in (heading, self.why, self.kept, self.lost, self.contact, self.progress, self.status):
            layout.addWidget(widget)
        layout.addStretch()
        layout.addWidget(self.again, alignment=Qt.AlignmentFlag.AlignRight)
        self._progress.connect(self.on_wipe_progress)
        self._retry: tuple[Vault | None, Path] | None = None

    @staticmethod
    def _words(text: str) -> QLabel:
        label = QLabel(text, wordWrap=True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to quote to the administrator
        return label

    def wipe(self, vault: Vault | None, vault_path: Path) -> None:
        """Wipe the vault (or finish a wipe cut short, when there is no vault handle) on the vault worker."""
        self._retry = (vault, vault_path)
        emit = self._progress.emit

        def run() -> WipeOutcome:
            from fieldapp.storage import wipe as wiping
            from sync.client.revocation import WipeOutcome, wipe_after_revocation

            if vault is not None:
                return wipe_after_revocation(vault, emit)
            return WipeOutcome(wiping.wipe(vault_path, emit), None, None)

        self._tasks.run(run, self.on_wiped, self.on_wipe_failed)

    def on_wipe_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def on_wiped(self, outcome: WipeOutcome) -> None:
        forget_file_dialog_history()
        self.progress.setMaximum(1)
        self.progress.setValue(1)
        self.why.setText(WHY_DONE)  # the first words no longer say it is under way
        self.lost.setText(lost_words(outcome.unsynced))
        told = "" if self._finishing else (TOLD if outcome.confirmed_at else NOT_TOLD)  # finishing: the token went with the keys
        self.status.setText(REMOVED + told)
        self._retry = None
        self.again.setText("&Set up fieldapp again")
        self.again.setEnabled(True)
        self.again.setFocus()

    def on_wipe_failed(self, exc: BaseException) -> None:
        self.status.setText(f"{message_for(exc)} Choose Try again, or restart fieldapp: it finishes the removal when it starts.")
        self.again.setText("&Try again")
        self.again.setEnabled(True)
        self.again.setFocus()

    def on_again_clicked(self) -> None:
        if self._retry is not None:  # the wipe failed: again, from where it stopped
            self.again.setEnabled(False)
            self.status.setText(REMOVING)
            self.wipe(*self._retry)
            return
        self.set_up_again.emit()
