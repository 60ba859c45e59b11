"""The strength meter and its advice under a new passphrase (first run, Change passphrase)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar

from ui.passphrase import strength, verdict

NOTHING_YET = "Strength: none yet"


def strength_meter() -> tuple[QProgressBar, QLabel]:
    """A bar from too weak to strong that says its reading in words (before any typing too, so it
    never looks like an empty box), and a line of advice beneath it."""
    meter = QProgressBar()
    meter.setRange(0, 4)
    meter.setValue(0)
    meter.setTextVisible(True)
    meter.setAlignment(Qt.AlignmentFlag.AlignCenter)
    meter.setAccessibleName("Passphrase strength")
    _say(meter, NOTHING_YET)
    advice = QLabel("")
    advice.setAccessibleName("Passphrase advice")
    advice.setWordWrap(True)
    return meter, advice


def show_strength(meter: QProgressBar, advice: QLabel, first: str, second: str) -> None:
    reading = strength(first)
    meter.setValue(reading.score)
    _say(meter, f"Strength: {reading.label.lower()}" if first else NOTHING_YET)
    advice.setText(verdict(first, second) if first else "")


def _say(meter: QProgressBar, words: str) -> None:
    meter.setFormat(words)  # QProgressBar's own text: "%p%" would mean nothing here
    meter.setAccessibleDescription(words)
