"""Help → Security log…: the vault's audit log in a table, newest first — when (day first, this
laptop's clock), what happened in words, which device, and whether the service holds it. It loads on
the vault worker; the table takes the focus, and Escape closes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from fieldapp.audit import AuditEntry

from ui.errors import message_for
from ui.message_lines import message_line
from ui.operations import audit as audit_ops
from ui.rows_model import Index, RowsModel
from ui.state import AppState

COLUMNS = ("When", "What happened", "Device", "Service")


def when_text(at: str, shape: str = "%d/%m/%Y %H:%M:%S") -> str:
    """A stored UTC moment as this laptop's clock read it, day first: '07/12/2026 14:32:05'."""
    return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone().strftime(shape)


def moment_in_words(at: str) -> str:
    """A moment in an entry's detail on the same clock as the When column (not UTC beside local time)."""
    return when_text(at, "%d/%m/%Y %H:%M")


class SecurityLogModel(RowsModel[AuditEntry]):
    """A thin adapter over the entries, read again whole each time the dialog loads."""

    columns = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self._own_device = ""

    def set_rows(self, own_device: str, rows: tuple[AuditEntry, ...]) -> None:
        self._own_device = own_device
        self.replace_rows(rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.row_at(index)
        if entry is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return (
            when_text(entry.at),
            entry.words(moment_in_words),
            "This laptop" if entry.device_id == self._own_device else f"Another device ({entry.device_id[:8]}…)",
            "Sent" if entry.sent else "Not sent yet",
        )[index.column()]


class SecurityLogDialog(QDialog):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self.setWindowTitle("Security log")
        self.resize(760, 460)
        self.model = SecurityLogModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Security events on this laptop, newest first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for Close
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.status = message_line("Security log status")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        note = QLabel("Unlocks, wrong passphrases, exports and restores on this laptop, kept inside the vault and sent to the service.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.table.setFocus()

    def load(self) -> None:
        """Read the entries on the vault worker; the table fills when they arrive."""
        self.status.setText("Reading the security log…")
        audit_ops.entries(self._state).success(lambda found: self._show(*found)).failure(self._on_failed).run_in_background()

    def _show(self, own_device: str, rows: tuple[AuditEntry, ...]) -> None:
        self.model.set_rows(own_device, rows)
        if rows:
            self.table.selectRow(0)
        count = f"{len(rows)} event{'s' if len(rows) != 1 else ''}"
        self.status.setText(f"{count}, newest first." if rows else "No security events yet.")

    def _on_failed(self, exc: BaseException) -> None:
        self.status.setText(message_for(exc))
