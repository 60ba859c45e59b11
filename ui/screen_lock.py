"""Tells the app when the screen locks, where the desktop says so over D-Bus (Linux); elsewhere, nothing.

Qt has no screen-lock signal of its own. On Linux the screensaver announces `ActiveChanged(true)`
on the session bus (`org.freedesktop.ScreenSaver`, or `org.gnome.ScreenSaver` on GNOME), and
logind sends `Lock` to the session's object on the system bus (`loginctl lock-session`, and what
many desktops do before suspending). Any of them means the inspector has walked away.

Any sender may emit these signals; a forged one can only lock the vault, which is always safe.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from PySide6.QtCore import SLOT, QObject, Signal, Slot

LOGIND_SESSION_PREFIX = "/org/freedesktop/login1/session/"
# (interface, signal, slot): the two screensaver interfaces emit the same signal.
_SESSION_SIGNALS = (
    ("org.freedesktop.ScreenSaver", "ActiveChanged", "on_screensaver_active_changed(bool)"),
    ("org.gnome.ScreenSaver", "ActiveChanged", "on_screensaver_active_changed(bool)"),
)


def logind_session_path(session_id: str) -> str:
    """logind's object path for a session id: systemd escapes any byte that is not a letter, or a
    digit after the first place, as _xx (so session "2" is .../session/_32)."""
    escaped = "".join(
        ch if ("a" <= ch <= "z" or "A" <= ch <= "Z" or (i > 0 and "0" <= ch <= "9")) else "".join(f"_{b:02x}" for b in ch.encode())
        for i, ch in enumerate(session_id)
    )
    return LOGIND_SESSION_PREFIX + (escaped or "_")


class ScreenLockWatcher(QObject):
    screen_locked = Signal()  # () the desktop locked the screen (or is about to)

    def __init__(self, parent: QObject | None = None, *, session_bus: Any = None, system_bus: Any = None) -> None:
        """Buses default to the user's session bus and the system bus; tests pass a private one."""
        super().__init__(parent)
        self._session_bus = session_bus
        self._system_bus = system_bus
        self.watching: list[str] = []  # what is being listened to, for the report and tests

    def start(self) -> bool:
        """Listen where possible; True if anything is being listened to. Never raises."""
        if sys.platform in ("win32", "darwin") and self._session_bus is None:
            return False  # no D-Bus desktop there; the idle lock still applies
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:  # a Qt built without D-Bus
            return False
        session = self._session_bus if self._session_bus is not None else QDBusConnection.sessionBus()
        system = self._system_bus if self._system_bus is not None else QDBusConnection.systemBus()
        if session.isConnected():
            for interface, name, slot in _SESSION_SIGNALS:
                # Empty service and path: whichever program owns the name, on whichever object.
                if session.connect("", "", interface, name, self, SLOT(slot)):
                    self.watching.append(f"{interface}.{name}")
        session_id = os.environ.get("XDG_SESSION_ID", "")
        if system.isConnected() and session_id:
            path = logind_session_path(session_id)
            if system.connect("", path, "org.freedesktop.login1.Session", "Lock", self, SLOT("on_logind_lock()")):
                self.watching.append(f"org.freedesktop.login1.Session.Lock at {path}")
        return bool(self.watching)

    @Slot(bool)
    def on_screensaver_active_changed(self, active: bool) -> None:
        if active:
            self.screen_locked.emit()

    @Slot()
    def on_logind_lock(self) -> None:
        self.screen_locked.emit()
