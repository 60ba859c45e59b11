"""Preferences kept between runs: how long the app waits idle before it locks, and its colours.

Neither is a secret, and both are needed before the vault is open (the theme paints the unlock
window), so they live in the user's Qt settings file, not in the vault. The command line
(`--idle-lock`, `--theme`) overrides them for one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from ui import theme
from ui.state import DEFAULT_IDLE_LOCK_S, AppState

MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 1, 60  # "never" is for tests and kiosks: --idle-lock 0
THEME_LABELS = {"system": "As the desktop", "light": "Light", "dark": "Dark"}


@dataclass
class Preferences:
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_S // 60
    theme: str = "system"

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        """What was saved, with anything missing or unreadable (a hand-edited file) as the default."""
        default = cls()
        try:
            minutes = int(settings.value("lock/idle_minutes", default.idle_lock_minutes))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            minutes = default.idle_lock_minutes
        chosen = str(settings.value("appearance/theme", default.theme))
        return cls(
            idle_lock_minutes=_allowed_minutes(minutes),
            theme=chosen if chosen in theme.CHOICES else default.theme,
        )

    def save(self, settings: QSettings) -> None:
        settings.setValue("lock/idle_minutes", self.idle_lock_minutes)
        settings.setValue("appearance/theme", self.theme)
        settings.sync()


def _allowed_minutes(minutes: int) -> int:
    return min(MAX_IDLE_MINUTES, max(MIN_IDLE_MINUTES, minutes))


def user_settings(path: Path | None = None) -> QSettings:
    """The settings file: the given one, or the user's (e.g. ~/.config/fieldapp/fieldapp.conf)."""
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "fieldapp", "fieldapp")


class PreferencesDialog(QDialog):
    """Idle lock and theme; OK saves them and they take effect at once."""

    def __init__(self, state: AppState, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._state, self._settings = state, settings
        current = Preferences.load(settings)
        if state.idle_lock_s > 0:  # what is in force now (the command line may have set it)
            current.idle_lock_minutes = _allowed_minutes(round(state.idle_lock_s / 60))

        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(MIN_IDLE_MINUTES, MAX_IDLE_MINUTES)
        self.idle_minutes.setSuffix(" min")
        self.idle_minutes.setValue(current.idle_lock_minutes)
        self.idle_minutes.setAccessibleName("Lock after this many minutes idle")
        self.theme = QComboBox()
        for choice in theme.CHOICES:
            self.theme.addItem(THEME_LABELS[choice], choice)
        self.theme.setCurrentIndex(theme.CHOICES.index(current.theme))
        self.theme.setAccessibleName("Colours")

        form = QFormLayout()
        form.addRow("&Lock when idle for", self.idle_minutes)
        form.addRow("&Colours", self.theme)
        note = QLabel("The vault also locks on Ctrl+L and when the screen locks.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def chosen(self) -> Preferences:
        return Preferences(idle_lock_minutes=self.idle_minutes.value(), theme=str(self.theme.currentData()))

    def accept(self) -> None:
        chosen = self.chosen()
        chosen.save(self._settings)
        self._state.idle_lock_s = chosen.idle_lock_minutes * 60
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, chosen.theme)
        self._state.signals.preferences_changed.emit()
        super().accept()
