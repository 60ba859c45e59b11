"""Sync in the window: the status indicator in the status bar (with "Sync now"), and the settings
dialog that enrols this vault with a service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.icons import icon
from ui.sync_controller import SyncController, SyncView

if TYPE_CHECKING:
    from ui.state import AppState

LOCAL_SERVICE = "http://127.0.0.1:8765"
_BAR_MAX = 2**31 - 1  # QProgressBar counts in a C int: bytes of a large upload are scaled down to fit
_ICONS = {
    "not-enrolled": "sync",
    "offline": "sync-offline",
    "syncing": "sync",
    "up-to-date": "sync",
    "waiting": "sync",
    "conflicts": "sync-conflict",
    "refused": "sync-error",
    "error": "sync-error",
}


class SyncStatus(QWidget):
    """Icon, words, a progress bar while syncing, and Sync now; click the words for conflicts."""

    conflicts_requested = Signal()  # ()
    settings_requested = Signal()  # ()

    def __init__(self, controller: SyncController) -> None:
        super().__init__()
        self._controller = controller
        self.view = controller.view
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.icon = QLabel()
        self.icon.setAccessibleName("Sync status icon")
        layout.addWidget(self.icon)
        self.text = QPushButton("")
        self.text.setFlat(True)
        self.text.setAccessibleName("Sync status")
        self.text.clicked.connect(self.on_text_clicked)
        layout.addWidget(self.text)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Sync progress")
        self.progress.setMaximumWidth(140)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.sync_button = QToolButton()
        self.sync_button.setText("Sync now")
        self.sync_button.setIcon(icon("sync"))
        self.sync_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.sync_button.setAccessibleName("Sync now")
        self.sync_button.setToolTip("Send and receive evidence now (F5)")
        self.sync_button.clicked.connect(controller.sync_now)
        layout.addWidget(self.sync_button)
        controller.status_changed.connect(self.show_view)
        self.show_view(controller.view)

    def show_view(self, view: SyncView) -> None:
        self.view = view
        self._show_icon()
        self.text.setText(view.text)
        self.text.setToolTip(view.detail or view.text)
        self.text.setAccessibleDescription(view.detail)
        self.sync_button.setEnabled(view.state not in ("syncing", "not-enrolled"))
        if view.state == "syncing":
            self._show_progress(*(view.progress or (0, None)))
        else:
            self.progress.hide()

    def _show_icon(self) -> None:
        # A pixmap is drawn once, in the palette of that moment: drawn again when the theme changes
        # (the dark theme's icon stayed in the light theme's near-black, 1.1:1 on the dark window).
        self.icon.setPixmap(icon(_ICONS.get(self.view.state, "sync")).pixmap(16, 16))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._show_icon()
        super().changeEvent(event)

    def _show_progress(self, done: int, total: int | None) -> None:
        """How far along, when the engine knows how much there is (revisions to send, bytes to
        move); a busy bar when it does not (changes to receive: the service does not say)."""
        if total:
            scale = -(-total // _BAR_MAX)  # 1 unless the total would not fit the bar
            self.progress.setRange(0, total // scale)
            self.progress.setValue(min(max(done, 0), total) // scale)
        else:
            self.progress.setRange(0, 0)
        self.progress.setToolTip(self.text.text())
        self.progress.show()

    def on_text_clicked(self) -> None:
        if self.view.state == "conflicts":
            self.conflicts_requested.emit()
        elif self.view.state in ("not-enrolled", "error", "refused"):
            self.settings_requested.emit()  # it shows the details, and enrolling again is often the cure


class SyncSettings(QDialog):
    """Enrol this vault with a service: its address and the one-time code from its administrator.

    One message area says what is happening or what went wrong (a failed enrolment, or what stopped
    the last sync); it keeps its room from the start, so a long message never squashes the fields.
    """

    MESSAGE_LINES = 5  # room for the longest usual message at the dialog's width; more scrolls

    def __init__(self, state: AppState, controller: SyncController, parent: QWidget | None = None, *, url: str = "") -> None:
        super().__init__(parent)
        self._state, self._controller = state, controller
        self._enrolling = False
        self._problem_shown = False  # the message is the controller's problem (cleared when it is)
        self.setWindowTitle("Sync settings")
        layout = QVBoxLayout(self)
        # Never smaller than its fields need (a minimum width set on the dialog itself would turn
        # this off, and a long message then squashed the fields).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.current = QLabel("")
        self.current.setWordWrap(True)
        self.current.setAccessibleName("Current service")
        self.current.setMinimumHeight(2 * self.fontMetrics().lineSpacing())  # "Enrolled with <address> as <name>" may wrap
        layout.addWidget(self.current)
        form = QFormLayout()
        self.url = QLineEdit(url or LOCAL_SERVICE)
        self.url.setAccessibleName("Service address")
        self.url.setPlaceholderText("https://fieldapp.example.org")
        form.addRow("Service &address", self.url)
        self.code = QLineEdit()
        self.code.setAccessibleName("Enrolment code")
        self.code.setPlaceholderText("e.g. K7QM-2XHD-9PWA, from your administrator")
        self.code.textChanged.connect(self.on_code_text_changed)
        form.addRow("Enrolment &code", self.code)
        ca_row = QHBoxLayout()
        self.ca_bundle = QLineEdit()
        self.ca_bundle.setAccessibleName("Certificate authority file")
        self.ca_bundle.setPlaceholderText("only for a private service (a .pem file)")
        ca_row.addWidget(self.ca_bundle)
        self.browse = QPushButton("Choose…")
        self.browse.setAccessibleName("Choose the certificate authority file")
        # Never the dialog's default: Enter in a field must not open a file chooser.
        self.browse.setAutoDefault(False)
        self.browse.clicked.connect(self.on_browse_clicked)
        ca_row.addWidget(self.browse)
        ca_label = QLabel("Cer&tificate authority")  # Alt+T: Alt+A is the address's
        ca_label.setBuddy(self.ca_bundle)  # a row holding a layout gets no buddy by itself
        form.addRow(ca_label, ca_row)
        layout.addLayout(form)
        layout.addWidget(self._message_area())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.enrol_button = buttons.addButton("&Enrol", QDialogButtonBox.ButtonRole.ActionRole)
        self.enrol_button.setAccessibleName("Enrol this laptop")
        self.enrol_button.clicked.connect(self.on_enrol_clicked)
        # Enter enrols once a code is typed, and does nothing before: no button becomes the
        # default by taking the focus (Qt's auto-default), so Enter never means Close or Choose.
        for button in buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        controller.enrolled.connect(self.on_enrolled)
        controller.enrol_failed.connect(self.on_enrol_failed)
        controller.status_changed.connect(self.on_controller_status_changed)
        self.code.setFocus()
        self._show_current()
        self.on_controller_status_changed(controller.view)

    def _message_area(self) -> QScrollArea:
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setAccessibleName("Sync settings message")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to quote it to the administrator
        area = QScrollArea()
        area.setWidget(self.status)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setFixedHeight(self.MESSAGE_LINES * self.fontMetrics().lineSpacing() + 4)
        area.setMinimumWidth(500)  # the dialog's width: the address and the message read whole
        area.viewport().setAutoFillBackground(False)  # the dialog's colour, not a field's
        self.status.setAutoFillBackground(False)
        return area

    def _say(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(text)
        self._problem_shown = problem

    def on_code_text_changed(self, text: str) -> None:
        self.enrol_button.setDefault(bool(text.strip()))

    def on_controller_status_changed(self, view: Any) -> None:
        """What stopped the last sync (or enrolment), or what the service refused, in full."""
        if self._enrolling:
            return  # "Enrolling…" stands until the enrolment's own answer
        if view.state == "not-enrolled" and self._controller.problem is not None and view.detail:
            self._say(view.detail, problem=True)  # why enrolling failed: its words say so already
        elif view.state in ("error", "refused") and view.detail:
            self._say(f"{view.text}. {view.detail}", problem=True)
        elif self._problem_shown:
            self._say("")  # the problem has gone (a sync worked)

    def _show_current(self) -> None:
        from ui.operations import sync as sync_ops

        sync_ops.link(self._state).success(self._show_link).run_in_background()

    def _show_link(self, link: Any) -> None:
        if link is None:
            self.current.setText("This laptop is not enrolled with a service yet: your evidence stays on it only.")
        else:
            self.current.setText(f"Enrolled with {link.url} as {link.inspector_name}. Enrol again to change service.")
            self.url.setText(link.url)
            self.ca_bundle.setText(link.ca_bundle)

    def on_browse_clicked(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Certificate authority", "", "Certificates (*.pem *.crt);;All files (*)")
        if path:
            self.ca_bundle.setText(path)

    def on_enrol_clicked(self) -> None:
        url, code = self.url.text().strip(), self.code.text().strip()
        if not url or not code:
            self._say("Give the service's address and the enrolment code your administrator gave you.")
            return
        self.enrol_button.setEnabled(False)
        self._enrolling = True
        self._say("Enrolling…")
        self._controller.enrol(url, code, self.ca_bundle.text().strip() or None)

    def on_enrolled(self, link: Any) -> None:
        self._enrolling = False
        self.enrol_button.setEnabled(True)
        self.code.clear()
        self._say(f"Enrolled as {link.inspector_name}. Syncing now.")
        self._show_link(link)

    def on_enrol_failed(self, message: str) -> None:
        """Said once, here; what was typed stays, to be corrected rather than typed again."""
        self._enrolling = False
        self.enrol_button.setEnabled(True)
        # Not a sync's problem, which a status refresh clears: a laptop enrolled before is "up to
        # date" at once, and the words would go as they appeared. They stand until the next try.
        self._say(message)
