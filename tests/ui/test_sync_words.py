"""What a person reads about sync, in the real main window against the real service: "Not set up to
sync" and "On this laptop only" before enrolling, "Files waiting to sync" until a file is sent, and,
when something fails (an unknown code, no service there, a revoked laptop, a refused record), what
went wrong and what to do, never "see details"."""

from __future__ import annotations

import io
import socket
from contextlib import contextmanager
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from sync_fixtures import Device, Service, free_port, running_service
from test_layout import problems
from vault_fixtures import PASSPHRASE, sample_contents

from fieldapp.errors import Cancelled
from fieldapp.replication.exchange import Ack
from fieldapp.vault import Vault
from sync.client.engine import Progress
from sync.server import admin, models

from ui.app import AppController
from ui.main_window import MainWindow
from ui.record_list import COLUMNS
from ui.state import AppState
from ui.sync_panel import SyncSettings

SYNC_COLUMN = COLUMNS.index("Sync")


@pytest.fixture
def open_window(qtbot) -> Iterator[Callable[[Vault], MainWindow]]:  # noqa: ANN001
    opened: list[tuple[MainWindow, AppState]] = []

    def open_(vault: Vault) -> MainWindow:
        state = AppState(vault_path=vault.path, vault=vault)
        window = MainWindow(state)
        qtbot.addWidget(window)
        window.show()
        window.load()
        opened.append((window, state))
        return window

    yield open_
    for window, state in opened:
        window.close()
        qtbot.waitUntil(lambda s=state: s.tasks.pending == 0, timeout=10_000)
        assert state.sync is not None
        state.sync.shutdown()
        state.tasks.shutdown()


def _sync_cell(window: MainWindow, record_id: str, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> str | None:
    row = window.model.row_of(record_id)
    return None if row is None else window.model.index(row, SYNC_COLUMN).data(role)


def _status(window: MainWindow) -> tuple[str, str]:
    """The status bar's words and its tooltip (the details)."""
    return window.sync_status.text.text(), window.sync_status.text.toolTip()


def _settled(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: not window.sync._running and window.sync.view.state != "syncing", timeout=30_000)
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0, timeout=10_000)


def _sync_stopping_at_upload(device: Device) -> None:
    stop = False

    def watch(progress: Progress) -> None:
        nonlocal stop
        stop = stop or progress.stage == "upload"

    with pytest.raises(Cancelled):
        device.sync(progress=watch, cancel=lambda: stop)


def test_a_laptop_not_set_up_to_sync_says_so_and_its_records_are_on_it_only_until_it_enrols(
    qtbot, sqlite_service: Service, vault: Vault, assessment_id: str, open_window  # noqa: ANN001
) -> None:
    record = vault.records.create(assessment_id, sample_contents()[0]).value
    vault.records.cut_revision(record.id)
    window = open_window(vault)
    qtbot.waitUntil(lambda: _sync_cell(window, record.id) is not None, timeout=10_000)
    window.sync.refresh_status()
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0)

    assert _sync_cell(window, record.id) == "On this laptop only"
    assert "not set up to sync" in _sync_cell(window, record.id, Qt.ItemDataRole.ToolTipRole)
    assert _status(window)[0] == "Not set up to sync"
    assert "enrol it in Sync settings" in _status(window)[1]
    assert "Waiting" not in _status(window)[0]

    with sqlite_service.admin() as session:
        inspector = admin.create_inspector(session, "Amara Okafor", may_create_assessments=True)
    dialog = SyncSettings(window._state, window.sync, window, url=sqlite_service.url)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.code, sqlite_service.code(inspector.id))
    qtbot.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: vault.replication.link() is not None, timeout=15_000)
    _settled(qtbot, window)
    qtbot.waitUntil(lambda: _sync_cell(window, record.id) == "Synced", timeout=15_000)
    assert _status(window)[0].startswith("Up to date")


def test_a_record_whose_file_has_not_been_sent_reads_files_waiting_until_sync_now_sends_it(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    assessment_id, (inspector,) = sqlite_service.team()
    laptop = make_device(sqlite_service, inspector)
    laptop.sync()
    record = laptop.vault.records.create(assessment_id, sample_contents()[0]).value
    laptop.vault.attachments.add(record.id, io.BytesIO(b"photo " * 10_000), name="whiteboard.jpg")
    laptop.vault.records.cut_revision(record.id)
    _sync_stopping_at_upload(laptop)  # the record is on the service; its photo is not

    window = open_window(laptop.vault)
    qtbot.waitUntil(lambda: _sync_cell(window, record.id) is not None, timeout=10_000)
    window.sync.refresh_status()
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0)

    assert _sync_cell(window, record.id) == "Files waiting to sync"
    assert "attachment files" in _sync_cell(window, record.id, Qt.ItemDataRole.ToolTipRole)
    assert _status(window)[0] == "Attachment files waiting to sync"

    qtbot.keyClick(window, Qt.Key.Key_F5)  # Sync now
    _settled(qtbot, window)
    qtbot.waitUntil(lambda: _sync_cell(window, record.id) == "Synced", timeout=15_000)
    assert _status(window)[0].startswith("Up to date")


def test_a_record_of_an_assessment_made_on_this_laptop_says_it_stays_here_until_the_assessment_is_synced(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    assessment_id, (inspector,) = sqlite_service.team()
    laptop = make_device(sqlite_service, inspector)
    laptop.sync()
    on_service = laptop.vault.records.create(assessment_id, sample_contents()[0]).value
    own = laptop.vault.assessments.create("Westshire ICS").value  # made here while working; not on the service yet
    here_only = laptop.vault.records.create(own.id, sample_contents()[1]).value

    window = open_window(laptop.vault)
    qtbot.waitUntil(lambda: window.assessments.count() == 2 and window._state.tasks.pending == 0, timeout=10_000)
    window.assessment_panel.select(assessment_id)
    qtbot.waitUntil(lambda: _sync_cell(window, on_service.id) is not None, timeout=10_000)
    assert _sync_cell(window, on_service.id) == "Waiting to sync"  # the next sync sends it
    window.assessment_panel.select(own.id)
    qtbot.waitUntil(lambda: _sync_cell(window, here_only.id) is not None, timeout=10_000)
    assert _sync_cell(window, here_only.id) == "On this laptop only"
    assert _sync_cell(window, here_only.id, Qt.ItemDataRole.ToolTipRole).startswith(
        "This assessment is on this laptop only until it is synced"
    )
    # The status bar says why its changes stay waiting after a sync (dogfood: only a hover said it).
    window.sync.sync_now()
    _settled(qtbot, window)
    text, tip = _status(window)
    assert text.endswith("waiting to sync: an assessment is not on the service yet"), text
    assert "1 assessment is on this laptop only: the service's administrator adds it" in tip and "(s)" not in tip


def test_after_a_sync_the_list_and_the_status_bar_never_disagree_about_a_record(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    assessment_id, (inspector,) = sqlite_service.team()
    laptop = make_device(sqlite_service, inspector)
    laptop.sync()
    record = laptop.vault.records.create(assessment_id, sample_contents()[0]).value
    laptop.vault.records.cut_revision(record.id)
    window = open_window(laptop.vault)
    qtbot.waitUntil(lambda: _sync_cell(window, record.id) == "Waiting to sync", timeout=10_000)
    seen: list[tuple[str, str | None]] = []  # (the status bar's state, the list's word) each time the status bar changes
    window.sync.status_changed.connect(lambda view: seen.append((view.state, _sync_cell(window, record.id))))

    qtbot.keyClick(window, Qt.Key.Key_F5)  # Sync now
    _settled(qtbot, window)
    qtbot.waitUntil(lambda: _sync_cell(window, record.id) == "Synced", timeout=15_000)
    qtbot.wait(200)  # anything still on its way arrives
    assert _status(window)[0].startswith("Up to date")
    assert ("up-to-date", "Synced") in seen, [entry for entry in seen if entry[0] != "syncing"]
    assert [(state, cell) for state, cell in seen if state == "up-to-date" and cell != "Synced"] == []


@contextmanager
def _app_started_by_dev_sh(qtbot, service: Service, vault_path, code: str) -> Iterator[tuple[AppState, MainWindow]]:  # noqa: ANN001
    """The app as `packaging/dev.sh app` starts it: with the local service's address and a code, unlocked."""
    state = AppState(vault_path=vault_path)
    state.service_url, state.enrol_code = service.url, code
    controller = AppController(state)
    try:
        controller.start()
        unlock = controller.window
        qtbot.addWidget(unlock)
        qtbot.waitUntil(lambda: state.vault is not None, timeout=10_000)
        qtbot.keyClicks(unlock.secret, PASSPHRASE)
        qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: controller.main is not None and controller.main.isVisible(), timeout=15_000)
        qtbot.addWidget(controller.main)
        yield state, controller.main
    finally:
        if controller.main is not None:
            controller.main.close()
        qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)
        if state.sync is not None:
            state.sync.shutdown()
        state.tasks.shutdown()
        if state.vault is not None:
            state.vault.lock()


def test_the_laptop_enrolled_with_the_local_service_is_named_by_its_computer_name_not_this_laptop(
    qtbot, sqlite_service: Service, vault_path  # noqa: ANN001
) -> None:
    # Colleagues read this name beside this laptop's words: "this laptop" would read as theirs.
    _assessment, (inspector,) = sqlite_service.team()
    with _app_started_by_dev_sh(qtbot, sqlite_service, vault_path, sqlite_service.code(inspector)) as (state, window):
        qtbot.waitUntil(lambda: state.vault.replication.link() is not None, timeout=15_000)
    with sqlite_service.admin() as session:
        labels = [device.label for device in session.scalars(sa.select(models.Device))]
    assert labels == [socket.gethostname()]


def test_an_enrolment_code_the_local_service_does_not_know_is_said_in_the_status_bar_with_what_to_do(
    qtbot, sqlite_service: Service, vault_path  # noqa: ANN001
) -> None:
    with _app_started_by_dev_sh(qtbot, sqlite_service, vault_path, "AAAA-BBBB-CCCC") as (state, window):  # as dev.sh hands them in
        qtbot.waitUntil(lambda: "enrolling failed" in _status(window)[0], timeout=15_000)
        qtbot.waitUntil(lambda: state.tasks.pending == 0)

        text, detail = _status(window)
        assert text == "Not set up to sync: enrolling failed"
        assert f"could not enrol with the local service at {sqlite_service.url}" in detail
        assert "That enrolment code is not valid" in detail and "packaging/dev.sh app" in detail
        window.sync.refresh_status()  # a later count must not hide why
        qtbot.waitUntil(lambda: state.tasks.pending == 0)
        assert _status(window) == (text, detail)
        assert state.vault.replication.link() is None


def test_enrolling_with_a_service_that_is_not_running_says_where_it_looked_and_what_to_check(
    qtbot, vault: Vault, open_window  # noqa: ANN001
) -> None:
    window = open_window(vault)
    nowhere = f"127.0.0.1:{free_port()}"
    dialog = SyncSettings(window._state, window.sync, window, url=f"http://{nowhere}")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.code, "K7QM-2XHD-9PWA")
    qtbot.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "could not enrol" in dialog.status.text(), timeout=60_000)
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0)

    words = dialog.status.text()
    assert f"Cannot reach the service at {nowhere}" in words
    assert "check that this laptop is online and that the service address" in words and "is the service running?" in words
    assert _status(window)[0] == "Not set up to sync: enrolling failed" and _status(window)[1] == words
    again = SyncSettings(window._state, window.sync, window)  # opened again, it still says why
    qtbot.addWidget(again)
    assert again.status.text() == words


def test_a_sync_with_the_service_stopped_says_offline_where_it_looked_and_what_to_check(
    qtbot, tmp_path, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    with running_service(tmp_path / "service") as service:
        _assessment, (inspector,) = service.team()
        laptop = make_device(service, inspector)
        laptop.sync()
    window = open_window(laptop.vault)  # the service has stopped
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.sync.view.state == "offline", timeout=60_000)

    text, detail = _status(window)
    assert text == "Offline: your work is safe here"
    assert f"Cannot reach the service at {service.url.removeprefix('http://')}" in detail
    assert "check that this laptop is online" in detail and "Sync tries again by itself" in detail


def test_a_revoked_laptop_says_its_access_was_revoked_and_its_vault_removed(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    _assessment, (inspector,) = sqlite_service.team()
    laptop = make_device(sqlite_service, inspector)
    laptop.sync()
    with sqlite_service.admin() as session:
        admin.revoke_device(session, laptop.vault.device_id)
    window = open_window(laptop.vault)

    window.sync.sync_now()
    _settled(qtbot, window)

    text, detail = _status(window)
    assert text == "Sync stopped: this laptop's access was revoked"
    assert "revoked this laptop's access" in detail and "removes the vault from this laptop" in detail
    assert "ask the administrator for a new enrolment code" in detail
    assert "see details" not in text
    window.sync.refresh_status()  # an edit, say: the counts are read again, and the reason stays
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0)
    assert _status(window) == (text, detail)
    dialog = SyncSettings(window._state, window.sync, window)
    qtbot.addWidget(dialog)
    assert dialog.status.isVisibleTo(dialog) and detail in dialog.status.text()


def test_a_record_the_service_refused_is_named_by_its_title_with_the_reason(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    assessment_id, (inspector,) = sqlite_service.team()
    laptop = make_device(sqlite_service, inspector)
    laptop.sync()
    record = laptop.vault.records.create(assessment_id, sample_contents()[0]).value
    cut = laptop.vault.records.cut_revision(record.id).value
    assert cut is not None
    reason = "The service does not know framework 'ics-2027-draft'."
    done = laptop.vault.replication.acknowledge([Ack(cut.id, False, "unknown_framework", reason)])
    assert [r.words() for r in done.value] == [f"The service refused “ICB board, November”: {reason[:-1]}."]

    window = open_window(laptop.vault)
    window.sync.refresh_status()
    qtbot.waitUntil(lambda: window.sync.view.state == "refused", timeout=10_000)

    text, detail = _status(window)
    assert text == "The service refused 1 change"
    assert "“ICB board, November”" in detail and "does not know framework" in detail
    assert "Tell the service's administrator" in detail


def test_up_to_date_says_when_it_last_synced_in_this_laptops_time_day_first_never_utc(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    from datetime import datetime

    _assessment, (inspector,) = sqlite_service.team()
    laptop = make_device(sqlite_service, inspector)
    window = open_window(laptop.vault)
    window.sync.sync_now()
    _settled(qtbot, window)
    qtbot.waitUntil(lambda: _status(window)[0].startswith("Up to date ("), timeout=15_000)

    stamped = laptop.vault.replication.status().last_synced_at
    assert stamped is not None
    here = datetime.fromisoformat(stamped.replace("Z", "+00:00")).astimezone()
    text = _status(window)[0]
    assert "UTC" not in text
    # The clock this laptop showed then; "today" unless the sync straddled midnight.
    assert text in (f"Up to date (last synced {here:%H:%M} today)", f"Up to date (last synced {here:%H:%M} yesterday)")


def test_a_team_name_the_service_did_not_keep_is_said_above_the_panes_until_the_inspector_dismisses_it(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], open_window  # noqa: ANN001
) -> None:
    # Seen in the field: Alex Reed, typed in a new assessment's team, went at the first sync (the
    # service's administrator sets its team), and the only word of it was in the sync status's
    # tooltip, which the next refresh rewrote.
    with sqlite_service.admin() as session:
        priya = admin.create_inspector(session, "Priya Shah", may_create_assessments=True)
    laptop = make_device(sqlite_service, priya.id)
    laptop.vault.assessments.create("Northshire ICS", team=[("Priya Shah", "lead"), ("Alex Reed", "inspector")])
    window = open_window(laptop.vault)
    qtbot.waitUntil(lambda: window.assessments.count() == 1 and window._state.tasks.pending == 0, timeout=10_000)
    notice = window.notice_bar
    assert not notice.isVisible()

    window.sync.sync_now()
    _settled(qtbot, window)
    said = (
        "Northshire ICS: the service's team does not include Alex Reed; their name stays on the records that mention "
        "them. Ask your administrator to add them."
    )
    assert notice.isVisible() and notice.text.text() == said
    window.sync.refresh_status()  # what rewrote the tooltip
    window.sync.sync_now()  # and the next sync, which has nothing to say of it
    _settled(qtbot, window)
    assert notice.isVisible() and notice.text.text() == said
    window.resize(1366, 768)  # read whole on the smallest common laptop screen, nothing else cut off
    qtbot.waitUntil(lambda: notice.text.height() >= notice.text.heightForWidth(notice.text.width()))
    assert problems(window) == []

    qtbot.mouseClick(notice.dismiss_button, Qt.MouseButton.LeftButton)
    assert not notice.isVisible()
    window.sync.sync_now()
    _settled(qtbot, window)
    assert not notice.isVisible(), "said once"
