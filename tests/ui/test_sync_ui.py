"""Sync in the app, driven as an inspector would against the real service on 127.0.0.1: enrolling
by typing the code, the status indicator, conflicts side by side, a colleague's edit arriving in
an open editor, and typing that is never held up by a sync."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from sqlalchemy.orm import Session
from sync_fixtures import Device, Service, colleagues, running_service
from vault_fixtures import sample_contents

from fieldapp import domain
from fieldapp.vault import Vault
from sync.server.models import Revision

from ui.main_window import MainWindow
from ui.state import AppState
from ui.sync_panel import SyncSettings


def _window(qtbot, vault: Vault) -> tuple[MainWindow, AppState]:  # noqa: ANN001
    state = AppState(vault_path=vault.path, vault=vault)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    window.load()
    return window, state


@pytest.fixture
def opened(qtbot) -> Iterator[list[tuple[MainWindow, AppState]]]:  # noqa: ANN001
    windows: list[tuple[MainWindow, AppState]] = []
    yield windows
    for window, state in windows:
        window.close()
        qtbot.waitUntil(lambda s=state: s.tasks.pending == 0, timeout=10_000)
        assert state.sync is not None
        state.sync.shutdown()
        state.tasks.shutdown()


def _open(qtbot, opened: list, vault: Vault) -> tuple[MainWindow, AppState]:  # noqa: ANN001
    window, state = _window(qtbot, vault)
    opened.append((window, state))
    return window, state


def _synced(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.sync.view.state not in ("syncing",) and not window.sync._running, timeout=20_000)


def _stored_on_service(service: Service) -> int:
    with Session(service.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Revision)) or 0


def test_enrolling_by_typing_the_code_brings_the_assessment_and_sync_now_sends_a_record(
    qtbot, sqlite_service: Service, vault: Vault, opened: list  # noqa: ANN001
) -> None:
    _assessment, (inspector,) = sqlite_service.team()
    window, state = _open(qtbot, opened, vault)
    assert window.sync_status.text.text() == "Not set up to sync"
    dialog = SyncSettings(state, window.sync, window, url=sqlite_service.url)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.code, sqlite_service.code(inspector))
    qtbot.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Enrolled as Inspector A" in dialog.status.text(), timeout=15_000)
    qtbot.waitUntil(lambda: window.sync.view.state == "up-to-date", timeout=15_000)
    qtbot.waitUntil(lambda: window.assessments.count() == 1)
    assert window.assessments.currentItem().text() == "Northshire ICS"

    window.new_actions["observation"].trigger()
    qtbot.waitUntil(lambda: "title" in window.editor._fields)
    qtbot.keyClicks(window.editor._fields["title"], "ICB board, November")
    qtbot.waitUntil(lambda: window.sync.view.state == "waiting", timeout=10_000)  # typed, not yet a revision: not "up to date"
    assert "1 change waiting" in window.sync_status.text.text()
    window.editor.leave_record()  # leaving the record cuts its revision
    qtbot.waitUntil(lambda: state.tasks.pending == 0)
    window.sync.refresh_status()
    qtbot.waitUntil(lambda: window.sync.view.state == "waiting", timeout=10_000)
    assert "1 change waiting" in window.sync_status.text.text()
    qtbot.keyClick(window, Qt.Key.Key_F5)  # Sync now
    qtbot.waitUntil(lambda: window.sync.view.state == "up-to-date", timeout=15_000)
    assert _stored_on_service(sqlite_service) == 1


def test_a_wrong_code_says_so_in_words_and_enrols_nothing(qtbot, sqlite_service: Service, vault: Vault, opened: list) -> None:  # noqa: ANN001
    window, state = _open(qtbot, opened, vault)
    dialog = SyncSettings(state, window.sync, window, url=sqlite_service.url)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.code, "AAAA-BBBB-CCCC")
    qtbot.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not valid" in dialog.status.text(), timeout=15_000)
    assert dialog.enrol_button.isEnabled()
    assert vault.replication.link() is None


def test_with_the_service_gone_the_status_says_offline_and_work_goes_on(
    qtbot, tmp_path, make_device, vault_template, opened: list  # noqa: ANN001
) -> None:
    with running_service(tmp_path / "service") as service:
        _assessment, (inspector,) = service.team()
        device = make_device(service, inspector)
        device.sync()
    window, state = _open(qtbot, opened, device.vault)  # the service has stopped
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.sync.view.state == "offline", timeout=30_000)
    assert "Offline" in window.sync_status.text.text() and "safe" in window.sync_status.text.text()
    assert window.sync_status.sync_button.isEnabled()


def test_a_conflict_shows_both_versions_side_by_side_and_keeping_one_resolves_it_everywhere(
    qtbot, sqlite_service: Service, make_device, opened: list  # noqa: ANN001
) -> None:
    _assessment_id, mine, theirs, record_id = colleagues(sqlite_service, make_device, sample_contents()[2])
    rec = mine.vault.records.get(record_id)
    base = theirs.vault.records.get(rec.id).content
    theirs.vault.records.save(rec.id, domain.CaseTracking(**{**base.__dict__, "pseudonym": "Person P19"}))
    theirs.sync()
    mine.vault.records.save(rec.id, domain.CaseTracking(**{**base.__dict__, "pseudonym": "Person P18"}))

    window, state = _open(qtbot, opened, mine.vault)
    _synced(qtbot, window)
    qtbot.waitUntil(lambda: window.sync.view.state == "conflicts", timeout=10_000)
    assert "1 in conflict" in window.sync_status.text.text()
    window.open_record(rec.id)  # open in the editor too: it must show the version kept
    qtbot.waitUntil(lambda: window.editor.record_id == rec.id and "pseudonym" in window.editor._fields)
    qtbot.mouseClick(window.sync_status.text, Qt.MouseButton.LeftButton)
    dialog = window._conflicts
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.records.count() == 1 and "Person P1" in dialog.versions[1].toPlainText())
    texts = {dialog.versions[0].toPlainText(), dialog.versions[1].toPlainText()}
    assert any("Person P18" in t for t in texts) and any("Person P19" in t for t in texts)
    assert all("changed both ways" in t for t in texts)
    keep = 0 if "Person P19" in dialog.versions[0].toPlainText() else 1
    qtbot.mouseClick(dialog.keep_buttons[keep], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.records.count() == 0, timeout=10_000)
    assert mine.vault.records.get(rec.id).content.pseudonym == "Person P19"
    qtbot.waitUntil(lambda: window.editor._fields["pseudonym"].text() == "Person P19", timeout=5_000)
    _synced(qtbot, window)
    theirs.sync()
    assert theirs.vault.replication.conflicts() == [] and mine.vault.replication.conflicts() == []
    assert theirs.vault.records.get(rec.id).content.pseudonym == "Person P19"


def test_a_colleagues_edit_arrives_in_an_open_editor_without_losing_what_is_being_typed(
    qtbot, sqlite_service: Service, make_device, opened: list  # noqa: ANN001
) -> None:
    _assessment_id, mine, theirs, record_id = colleagues(sqlite_service, make_device, sample_contents()[1])
    rec = mine.vault.records.get(record_id)
    base = theirs.vault.records.get(rec.id).content
    theirs.vault.records.save(rec.id, domain.Interview(**{**base.__dict__, "pseudonym": "Carer C9"}))
    theirs.sync()

    window, state = _open(qtbot, opened, mine.vault)
    window.open_record(rec.id)
    qtbot.waitUntil(lambda: window.editor.record_id == rec.id and "location" in window.editor._fields)
    location = window.editor._fields["location"]
    location.setFocus()
    qtbot.keyClicks(location, "Carers' centre")  # typed; the sync starts before its autosave
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.editor.record_id == rec.id and window.editor._fields["pseudonym"].text() == "Carer C9", timeout=15_000)
    assert window.editor._fields["location"].text() == "Carers' centre"
    qtbot.waitUntil(lambda: mine.vault.records.get(rec.id).content.location == "Carers' centre", timeout=10_000)
    got = mine.vault.records.get(rec.id).content
    assert (got.pseudonym, got.location) == ("Carer C9", "Carers' centre")


def test_typing_is_saved_within_two_seconds_while_a_sync_waits_on_a_silent_service(
    qtbot, sqlite_service: Service, make_device, opened: list  # noqa: ANN001
) -> None:
    assessment_id, (a,) = sqlite_service.team()
    device: Device = make_device(sqlite_service, a)
    device.sync()
    rec = device.vault.records.create(assessment_id, domain.Observation(title="Board")).value
    with _silent_service() as url:
        link = device.vault.replication.link()
        assert link is not None
        device.vault.replication.set_link(type(link)(url=url, token=link.token, inspector_id=link.inspector_id, inspector_name=link.inspector_name))
        window, state = _open(qtbot, opened, device.vault)
        window.open_record(rec.id)
        qtbot.waitUntil(lambda: window.editor.record_id == rec.id and "title" in window.editor._fields)
        window.sync.sync_now()
        qtbot.waitUntil(lambda: window.sync.view.state == "syncing")
        qtbot.keyClick(window.editor._fields["title"], Qt.Key.Key_End)  # a field not being typed in shows its start
        qtbot.keyClicks(window.editor._fields["title"], ", November")
        started = time.monotonic()
        qtbot.waitUntil(lambda: device.vault.records.get(rec.id).title == "Board, November", timeout=2_500)
        assert time.monotonic() - started < 2.5
        assert window.sync.view.state == "syncing"  # the sync is still waiting on the service meanwhile
        window.sync.stop()


class _Silence:
    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return
            self.held.append(conn)  # read nothing, answer nothing

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


class _silent_service:  # noqa: N801 - used as a context manager
    """A service address that takes connections and never answers."""

    def __enter__(self) -> str:
        self.silence = _Silence()
        return f"http://127.0.0.1:{self.silence.listener.getsockname()[1]}"

    def __exit__(self, *_exc: object) -> None:
        self.silence.close()


def test_every_label_in_sync_settings_has_its_own_mnemonic_and_a_field_to_go_to(qtbot, vault: Vault, opened: list) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QLabel

    window, state = _open(qtbot, opened, vault)
    dialog = SyncSettings(state, window.sync, window, url="http://127.0.0.1:8765")
    qtbot.addWidget(dialog)
    mnemonics = []
    for label in dialog.findChildren(QLabel):
        if "&" in label.text():
            assert label.buddy() is not None, label.text()
            mnemonics.append(label.text()[label.text().index("&") + 1].lower())
    assert len(mnemonics) == 3 and len(set(mnemonics)) == len(mnemonics), mnemonics


def test_sending_this_laptops_own_edit_is_not_announced_as_a_change_from_another_device(
    qtbot, sqlite_service: Service, make_device, opened: list  # noqa: ANN001
) -> None:
    _assessment_id, mine, theirs, record_id = colleagues(sqlite_service, make_device, sample_contents()[1])
    window, state = _open(qtbot, opened, mine.vault)
    window.open_record(record_id)
    qtbot.waitUntil(lambda: window.editor.record_id == record_id and "location" in window.editor._fields)
    window.editor._fields["location"].setFocus()
    qtbot.keyClicks(window.editor._fields["location"], "Day centre")
    window.editor.save_now()
    qtbot.waitUntil(lambda: state.tasks.pending == 0)
    _synced(qtbot, window)  # pushes the edit: only its sync state changes here
    qtbot.waitUntil(lambda: mine.vault.records.get(record_id).sync_state == "synced", timeout=10_000)
    qtbot.wait(300)
    assert "another device" not in window.editor.status.text()
    assert window.editor._fields["location"].text() == "Day centre"

    theirs.sync()
    base = theirs.vault.records.get(record_id).content
    theirs.vault.records.save(record_id, domain.Interview(**{**base.__dict__, "pseudonym": "Carer C9"}))
    theirs.sync()
    _synced(qtbot, window)  # and a colleague's words arriving still are
    qtbot.waitUntil(lambda: window.editor._fields["pseudonym"].text() == "Carer C9", timeout=15_000)
    assert "another device" in window.editor.status.text()
