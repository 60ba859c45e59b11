"""App-wide signals, declared in one place; each comment names the payload."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class AppSignals(QObject):
    operation_did_execute = Signal(object, object)  # (fieldapp.rows.Changes, initiator or None)
    vault_unlocked = Signal()  # ()
    vault_locked = Signal()  # ()
    error = Signal(str)  # a message a person can act on
    preferences_changed = Signal()  # () the idle lock or the theme changed (AppState holds them)
