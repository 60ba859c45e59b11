"""The strength meter and its advice under a new passphrase (first run, Change passphrase)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar

from ui.passphrase import strength, verdict


def strength_meter() -> tuple[QProgressBar, QLabel]:
    """A bar from too weak to strong, and a line of advice beneath it."""
    meter = QProgressBar()
    meter.setRange(0, 4)
    meter.setTextVisible(False)
    meter.setAccessibleName("Passphrase strength")
    advice = QLabel("")
    advice.setAccessibleName("Passphrase advice")
    advice.setWordWrap(True)
    return meter, advice


def show_strength(meter: QProgressBar, advice: QLabel, first: str, second: str) -> None:
    meter.setValue(strength(first).score)
    advice.setText(verdict(first, second) if first else "")
