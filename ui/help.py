"""Help: the keyboard shortcuts (read from the menus themselves) and About, with the versions in use."""

from __future__ import annotations

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QMenuBar, QMessageBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from fieldapp.version import app_version as app_version  # re-exported: About and older callers read it here
from ui.menus import KEYS_IN_PLACE, shortcut_rows


def about_text() -> str:
    """What About says: our version, the framework's, and the vault format this build reads and writes."""
    from html import escape

    from fieldapp.framework import available_frameworks  # read already: the vault is open when About is asked for
    from fieldapp.storage import migrate  # small, Qt-free

    shipped = "<br>".join(f"Framework: {escape(f.title)} {escape(f.version)} ({escape(f.key)})" for f in available_frameworks())
    return (
        f"<h3>fieldapp {app_version()}</h3>"
        "<p>Offline-first evidence recording for inspectors assessing integrated care systems.</p>"
        f"<p>{shipped}<br>Vault format: schema {migrate.HEAD}<br>"
        f"Qt {qVersion()} through PySide6 {PySide6.__version__}</p>"
    )


def show_about(parent: QWidget) -> QMessageBox:
    """About fieldapp, open beside the window (not blocking it); returned so a test can read it."""
    box = QMessageBox(QMessageBox.Icon.NoIcon, "About fieldapp", about_text(), QMessageBox.StandardButton.Close, parent)
    box.setObjectName("about")
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    box.open()
    return box


class ShortcutsDialog(QDialog):
    """Every key the app answers to: the menus' shortcuts, then keys that work in one place."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 560)
        rows = [*shortcut_rows(menu_bar), *KEYS_IN_PLACE]
        self.table = QTableWidget(len(rows), 3)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Where", "What", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        note = QLabel("Every command is also in the menus, with its key beside it.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]  # type: ignore[misc]
