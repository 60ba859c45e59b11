"""Telling the inspector, once per release, that the service knows a newer fieldapp than this one."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

TOLD_KEY = "notices/newer_client_told"  # the newest release the inspector was last told of (a version, not evidence)


def newer_client_words(version: str) -> str:
    return f"A newer fieldapp ({version}) is available: ask your IT team to install it."


def tell_once(parent: QWidget, settings: QSettings, newer: str | None) -> QMessageBox | None:
    """A message beside the window (never blocking it) naming `newer`, unless the inspector was told
    of that release already; returned so a test can read it."""
    if newer is None or settings.value(TOLD_KEY, "", type=str) == newer:
        return None
    settings.setValue(TOLD_KEY, newer)
    settings.sync()
    box = QMessageBox(QMessageBox.Icon.Information, "A newer fieldapp", newer_client_words(newer), QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("newer-client")
    box.setWindowModality(Qt.WindowModality.NonModal)  # open() would make it window-modal: the inspector works on
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
