"""The Qt binding we pin survives hours of use: no reference leaks on the singletons."""

from __future__ import annotations

import os
import subprocess
import sys


def test_thousands_of_timer_restarts_do_not_crash_the_interpreter_at_exit() -> None:
    # PySide6 6.12.0 under Python 3.11 dropped a reference to None on every void call; autosave
    # restarts a timer on each keystroke, so a day of typing ended in "deallocating None".
    code = (
        "from PySide6.QtCore import QCoreApplication, QObject, QTimer\n"
        "app = QCoreApplication([])\n"
        "owner = QObject()\n"
        "timer = QTimer(owner, singleShot=True, interval=2000)\n"
        "for _ in range(20000):\n"
        "    timer.start(); timer.stop(); owner.setObjectName('x')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr[-500:]
