"""The Sync settings dialog by keyboard against the real service: Enter in the code enrols (never the
file chooser), and a failed enrolment is said once, in words, keeping what was typed and the dialog's
size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton
from sync_fixtures import Service, free_port

from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.state import AppState
from ui.sync_panel import SyncSettings


@pytest.fixture
def window(qtbot, vault: Vault) -> Iterator[MainWindow]:  # noqa: ANN001
    state = AppState(vault_path=vault.path, vault=vault)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    window.load()
    yield window
    window.close()
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)
    assert state.sync is not None
    state.sync.shutdown()
    state.tasks.shutdown()


def _dialog(qtbot, window: MainWindow, url: str) -> SyncSettings:  # noqa: ANN001
    dialog = SyncSettings(window._state, window.sync, window, url=url)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.current.text() != "")  # what the vault says about its link has arrived
    return dialog


class _ModalWatch:
    """Closes any modal window that opens meanwhile (a file chooser would block the test) and notes it."""

    def __init__(self, dialog: SyncSettings) -> None:
        self.seen: list[str] = []
        self._dialog = dialog
        self._timer = QTimer(interval=50)
        self._timer.timeout.connect(self._check)
        self._timer.start()

    def _check(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not self._dialog:
            self.seen.append(modal.windowTitle())
            modal.close()

    def stop(self) -> None:
        self._timer.stop()


def _visible_labels_saying(dialog: SyncSettings, words: str) -> list[QLabel]:
    return [label for label in dialog.findChildren(QLabel) if label.isVisibleTo(dialog) and words in label.text()]


def test_enter_in_the_enrolment_code_enrols_and_never_opens_the_certificate_chooser(
    qtbot, sqlite_service: Service, window: MainWindow  # noqa: ANN001
) -> None:
    _assessment, (inspector,) = sqlite_service.team()
    dialog = _dialog(qtbot, window, sqlite_service.url)
    assert not dialog.browse.isDefault() and not dialog.browse.autoDefault()
    assert not dialog.enrol_button.isDefault()  # nothing typed yet: Enter has nothing to do
    watch = _ModalWatch(dialog)
    try:
        qtbot.keyClicks(dialog.code, sqlite_service.code(inspector))
        assert dialog.enrol_button.isDefault()
        qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "Enrolled as Inspector A" in dialog.status.text(), timeout=15_000)
    finally:
        watch.stop()
    assert watch.seen == []
    assert window._state.vault is not None and window._state.vault.replication.link() is not None
    # Tabbing through the buttons does not make the chooser the default either.
    dialog.browse.setFocus()
    assert not dialog.browse.isDefault()


def test_a_wrong_code_is_said_once_in_words_keeping_what_was_typed_and_the_dialogs_size(
    qtbot, sqlite_service: Service, window: MainWindow  # noqa: ANN001
) -> None:
    dialog = _dialog(qtbot, window, sqlite_service.url)
    size = dialog.size()
    qtbot.keyClicks(dialog.code, "AAAA-BBBB-CCCC")
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "could not enrol" in dialog.status.text(), timeout=15_000)
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0 and window.sync.view.text.endswith("enrolling failed"))
    qtbot.wait(50)  # the status bar's own refresh reaches the dialog too

    assert "That enrolment code is not valid" in dialog.status.text()
    assert len(_visible_labels_saying(dialog, "could not enrol")) == 1
    assert dialog.status.text().count("could not enrol") == 1
    assert dialog.code.text() == "AAAA-BBBB-CCCC" and dialog.url.text() == sqlite_service.url
    assert dialog.size() == size
    _assert_nothing_squashed(dialog)
    assert dialog.enrol_button.isEnabled() and dialog.enrol_button.isDefault()


def test_enrolling_with_the_service_down_is_said_once_and_the_fields_keep_their_room(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    nowhere = f"http://127.0.0.1:{free_port()}"
    dialog = _dialog(qtbot, window, nowhere)
    size = dialog.size()
    qtbot.keyClicks(dialog.code, "K7QM-2XHD-9PWA")
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "could not enrol" in dialog.status.text(), timeout=60_000)
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0 and window.sync.view.text.endswith("enrolling failed"))
    qtbot.wait(50)

    assert "Cannot reach the service" in dialog.status.text() and "is the service running?" in dialog.status.text()
    assert len(_visible_labels_saying(dialog, "Cannot reach the service")) == 1
    assert dialog.code.text() == "K7QM-2XHD-9PWA" and dialog.url.text() == nowhere
    assert dialog.size() == size
    _assert_nothing_squashed(dialog)


def _assert_nothing_squashed(dialog: SyncSettings) -> None:
    """Every field and button at least as tall as it needs, and none overlapping the next."""
    widgets = [w for w in (*dialog.findChildren(QLineEdit), *dialog.findChildren(QPushButton)) if w.isVisibleTo(dialog)]
    for widget in widgets:
        assert widget.height() >= widget.minimumSizeHint().height(), widget.accessibleName()
    fields = sorted(dialog.findChildren(QLineEdit), key=lambda w: w.mapTo(dialog, w.rect().topLeft()).y())
    for above, below in zip(fields, fields[1:]):
        assert above.mapTo(dialog, above.rect().bottomLeft()).y() < below.mapTo(dialog, below.rect().topLeft()).y()
    message = dialog.status.parentWidget().parentWidget()  # its scroll area
    assert message.mapTo(dialog, message.rect().topLeft()).y() > fields[-1].mapTo(dialog, fields[-1].rect().bottomLeft()).y()


def test_a_refused_enrolment_of_a_laptop_enrolled_before_stays_said_after_its_status_refreshes(
    qtbot, sqlite_service: Service, window: MainWindow  # noqa: ANN001
) -> None:
    from sync.client.enrolment import enrol

    _assessment, (inspector,) = sqlite_service.team()
    used = sqlite_service.code(inspector)
    vault = window._state.vault
    assert vault is not None
    enrol(vault, sqlite_service.url, used, label="laptop")  # enrolled, and that code spent
    dialog = _dialog(qtbot, window, sqlite_service.url)
    qtbot.keyClicks(dialog.code, used)
    qtbot.keyClick(dialog.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "That enrolment code is not valid" in dialog.status.text(), timeout=15_000)
    window.sync.refresh_status()  # as the sync status does by itself, now "up to date" again
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0)
    qtbot.wait(100)
    assert "That enrolment code is not valid" in dialog.status.text()
    qtbot.keyClicks(dialog.code, "X")  # the next try clears it only when it is made
    assert "That enrolment code is not valid" in dialog.status.text()
