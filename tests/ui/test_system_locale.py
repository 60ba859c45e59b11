"""The app reads and shows dates day first (en-GB) unless the system's locale writes the month
first: a date field typed into under each locale, in an app of its own (Qt reads the locale once)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from ui.when_edit import WhenEdit

    app = QApplication([])
    when = WhenEdit(label="When")
    when.show()
    QTest.keyClicks(when, sys.argv[1])
    QTest.keyClick(when, Qt.Key.Key_Return)  # editing finished: the date is shown in the app's style
    print(when.placeholderText())
    print(when.text())
    """
)


@pytest.mark.parametrize(
    ("locale", "typed", "shown", "hint"),
    [
        ("en_GB.UTF-8", "21/11/2026 2pm", "21/11/2026 14:00", "21/11/2026"),
        ("C", "21/11/2026 2pm", "21/11/2026 14:00", "21/11/2026"),  # a fresh install's locale: England's way
        ("en_US.UTF-8", "11/21/2026 2pm", "11/21/2026 14:00", "11/21/2026"),
    ],
)
def test_a_date_typed_reads_day_first_unless_the_systems_locale_puts_the_month_first(locale: str, typed: str, shown: str, hint: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(LC_ALL=locale, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _CHILD, typed], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    placeholder, text = done.stdout.splitlines()[-2:]
    assert text == shown and hint in placeholder
