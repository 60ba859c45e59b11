"""Sync that happens by itself, and a conflict merged by hand, in the real main window with the
app's own SyncController against the real service on 127.0.0.1: the laptop that comes back in
range, the colleague's edit that arrives every few minutes, the two versions typed into one."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from PySide6.QtCore import Qt
from sync_fixtures import Device, Service, colleagues, free_port
from vault_fixtures import sample_contents

from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.vault import Vault
from sync.server.app import create_app
from sync.server import sealing
from sync.server.models import Revision
from sync.server.settings import Limits, Settings

from ui.main_window import MainWindow
from ui.record_list import COLUMNS
from ui.state import AppState
from ui.sync_controller import SyncController

SYNC_COLUMN, TITLE_COLUMN = COLUMNS.index("Sync"), COLUMNS.index("Title")


@pytest.fixture
def open_app(qtbot) -> Iterator[Callable[..., MainWindow]]:  # noqa: ANN001
    """Open a vault in the main window, with the app's SyncController made with the times given
    (the defaults otherwise); every window and controller is shut down after the test."""
    opened: list[tuple[MainWindow, AppState]] = []

    def open_window(vault: Vault, **times: int) -> MainWindow:
        state = AppState(vault_path=vault.path, vault=vault)
        state.sync = SyncController(state, **times)  # the main window takes the one the state holds
        window = MainWindow(state)
        qtbot.addWidget(window)
        opened.append((window, state))
        window.show()
        with qtbot.waitActive(window):
            window.activateWindow()
        window.load()
        state.signals.vault_unlocked.emit()  # as the app does once the passphrase is accepted
        return window

    yield open_window
    for window, state in opened:
        window.close()
        assert state.sync is not None
        state.sync.stop()
        qtbot.waitUntil(lambda s=state: not s.sync._running and s.sync._tasks.pending == 0 and s.tasks.pending == 0, timeout=15_000)
        state.sync.shutdown()
        state.tasks.shutdown()


@dataclass
class RestartableService:
    """The real service under uvicorn in a thread of this process, stopped and started again on
    the same port and data, as a server that goes away and comes back at the same address."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Service:
        settings = Settings(data_dir=self.data_dir, limits=Limits(requests_per_s=10_000, burst=10_000))
        app = create_app(settings)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, name="service", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.01)
        return Service(self.url, settings, app.state.service.engine)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[RestartableService]:
    service = RestartableService(tmp_path / "service")
    yield service
    service.stop()


def _stored_body(service: Service, revision_id: str) -> dict | None:
    """The body of a revision as the service stored it, or None if it holds no such revision."""
    with service.engine.begin() as connection:  # sealed at rest: opened as the service opens it
        row = connection.execute(sa.select(Revision.assessment_id, Revision.body).where(Revision.id == revision_id)).first()
        body = None if row is None else sealing.of(connection).open_body(row.assessment_id, revision_id, row.body)
    return None if body is None else revision.parse_body(body)


def _sync_cell(window: MainWindow, record_id: str) -> str | None:
    """What the evidence list shows in the Sync column for a record (None: not listed)."""
    row = window.model.row_of(record_id)
    return None if row is None else window.model.index(row, SYNC_COLUMN).data()


def _title_cell(window: MainWindow, record_id: str) -> str | None:
    row = window.model.row_of(record_id)
    return None if row is None else window.model.index(row, TITLE_COLUMN).data()


def test_an_offline_laptop_syncs_by_itself_when_the_service_comes_back_and_the_edit_that_waited_reaches_it(
    qtbot, restartable: RestartableService, make_device, open_app  # noqa: ANN001
) -> None:
    service = restartable.start()
    _assessment, (inspector,) = service.team()
    device: Device = make_device(service, inspector)
    device.sync()
    restartable.stop()

    # The default 5 minutes between syncs: only the check for the service coming back can sync.
    window = open_app(device.vault, probe_s=1)
    qtbot.waitUntil(lambda: window.sync.view.state == "offline", timeout=15_000)
    qtbot.waitUntil(lambda: window.assessments.count() == 1 and window.new_actions["observation"].isEnabled())
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # a new observation
    qtbot.waitUntil(lambda: window.editor.record_id is not None and "title" in window.editor._fields)
    record_id = window.editor.record_id
    title = window.editor._fields["title"]
    qtbot.keyClicks(title, "Place-led meeting, Eastgate")
    qtbot.keyClick(title, Qt.Key.Key_Tab)  # leaving the field saves it
    qtbot.waitUntil(lambda: device.vault.records.get(record_id).title == "Place-led meeting, Eastgate", timeout=10_000)
    qtbot.waitUntil(lambda: _sync_cell(window, record_id) == "Waiting to sync", timeout=10_000)
    assert window.sync.view.state == "offline"
    assert "Offline" in window.sync_status.text.text()

    service = restartable.start()  # the same address, the same data: the service is back
    qtbot.waitUntil(lambda: window.sync.view.state == "up-to-date", timeout=15_000)
    assert window.sync_status.text.text().startswith("Up to date")
    qtbot.waitUntil(lambda: _sync_cell(window, record_id) == "Synced", timeout=10_000)
    head = device.vault.records.get(record_id).head_revision_id
    stored = _stored_body(service, head)
    assert stored is not None and stored["content"]["title"] == "Place-led meeting, Eastgate"


def test_a_colleagues_edit_arrives_by_itself_within_the_sync_interval(
    qtbot, sqlite_service: Service, make_device, open_app  # noqa: ANN001
) -> None:
    _assessment_id, mine, theirs, record_id = colleagues(sqlite_service, make_device, sample_contents()[1])
    window = open_app(mine.vault, interval_s=1)
    qtbot.waitUntil(lambda: window.sync.view.state == "up-to-date", timeout=15_000)
    qtbot.waitUntil(lambda: _title_cell(window, record_id) == "Carer of a person with dementia", timeout=10_000)

    base = theirs.vault.records.get(record_id).content
    theirs.vault.records.save(record_id, domain.Interview(**{**base.__dict__, "title": "Carer of a person with dementia, 2nd visit"}))
    theirs.sync()

    qtbot.waitUntil(lambda: _title_cell(window, record_id) == "Carer of a person with dementia, 2nd visit", timeout=10_000)
    assert mine.vault.records.get(record_id).content.title == "Carer of a person with dementia, 2nd visit"
    qtbot.waitUntil(lambda: window.sync.view.state == "up-to-date", timeout=10_000)
    assert window.sync_status.text.text().startswith("Up to date")
    qtbot.waitUntil(lambda: _sync_cell(window, record_id) == "Synced", timeout=10_000)


MINE = "Describes a delayed discharge of three weeks and a lack of respite care."
THEIRS = "Describes a delayed discharge and no respite care since June."
MERGED = "Describes a delayed discharge of three weeks and no respite care since June."


def _notes_edited_both_ways(service: Service, make_device, content: domain.Content) -> tuple[Device, Device, str]:  # noqa: ANN001
    """A record both colleagues hold, its notes then changed both ways: the colleague's synced, mine not yet."""
    _assessment_id, mine, theirs, record_id = colleagues(service, make_device, content)
    assert record_id is not None
    base = theirs.vault.records.get(record_id).content
    theirs.vault.records.save(record_id, dataclasses.replace(base, notes=THEIRS))
    theirs.sync()
    mine.vault.records.save(record_id, dataclasses.replace(base, notes=MINE))
    return mine, theirs, record_id


def test_a_conflict_merged_by_hand_in_the_conflicts_view_ends_it_here_and_on_the_colleagues_laptop(
    qtbot, sqlite_service: Service, make_device, open_app  # noqa: ANN001
) -> None:
    mine, theirs, record_id = _notes_edited_both_ways(sqlite_service, make_device, sample_contents()[1])

    window = open_app(mine.vault)  # syncs once on opening: the colleague's notes collide with these
    qtbot.waitUntil(lambda: window.sync.view.state == "conflicts", timeout=15_000)
    assert "1 in conflict" in window.sync_status.text.text()
    qtbot.waitUntil(lambda: _sync_cell(window, record_id) == "Conflict", timeout=10_000)
    heads = {h.id for h in mine.vault.replication.conflict(record_id).heads}
    assert len(heads) == 2

    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window._conflicts is not None and window._conflicts.isVisible())
    dialog = window._conflicts
    qtbot.waitUntil(lambda: dialog.records.count() == 1 and dialog.versions[1].toPlainText() != "")
    texts = {dialog.versions[0].toPlainText(), dialog.versions[1].toPlainText()}
    assert any(MINE in t for t in texts) and any(THEIRS in t for t in texts)
    assert "Notes" in dialog.status.text()

    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.editor.record_id == record_id and "notes" in window.editor._fields)
    notes = window.editor._fields["notes"]
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.mouseClick(notes.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(notes, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(notes, MERGED)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    qtbot.mouseClick(dialog.merged_button, Qt.MouseButton.LeftButton)  # at once, as a person would
    qtbot.waitUntil(lambda: dialog.records.count() == 0, timeout=10_000)
    assert "No records are in conflict" in dialog.status.text()
    dialog.close()

    qtbot.waitUntil(lambda: window.sync.view.state != "conflicts", timeout=10_000)
    got = mine.vault.records.get(record_id)
    assert mine.vault.replication.conflicts() == []
    merge = mine.vault.history.snapshot(got.head_revision_id)
    assert set(merge.revision.parents) == heads
    assert merge.content is not None and merge.content.notes == MERGED
    assert got.content.notes == MERGED

    with qtbot.waitActive(window):
        window.activateWindow()  # back to the main window
    qtbot.keyClick(window, Qt.Key.Key_F5)  # Sync now
    qtbot.waitUntil(lambda: window.sync.view.state == "up-to-date", timeout=15_000)
    qtbot.waitUntil(lambda: _sync_cell(window, record_id) == "Synced", timeout=10_000)
    assert mine.vault.records.get(record_id).head_revision_id == got.head_revision_id  # the merge is what was sent
    theirs.sync()
    assert theirs.vault.replication.conflicts() == []
    there = theirs.vault.records.get(record_id)
    assert there.head_revision_id == got.head_revision_id
    assert there.content.notes == MERGED and there.sync_state == "synced"
    assert window.editor._fields["notes"].toPlainText() == MERGED


def test_mark_merged_waits_while_the_editor_holds_something_it_cannot_save(
    qtbot, sqlite_service: Service, make_device, open_app  # noqa: ANN001
) -> None:
    mine, theirs, record_id = _notes_edited_both_ways(sqlite_service, make_device, sample_contents()[0])
    window = open_app(mine.vault)
    qtbot.waitUntil(lambda: window.sync.view.state == "conflicts", timeout=15_000)
    window.open_conflicts()
    dialog = window._conflicts
    qtbot.waitUntil(lambda: dialog.records.count() == 1 and dialog.versions[1].toPlainText() != "")
    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.editor.record_id == record_id and "held_at" in window.editor._fields)
    window.editor._fields["notes"].setPlainText(MERGED)
    held_at = window.editor._fields["held_at"]
    held_at.clear()
    qtbot.keyClicks(held_at, "next tuesday")  # a date it cannot read: the form cannot be saved

    qtbot.mouseClick(dialog.merged_button, Qt.MouseButton.LeftButton)
    assert "cannot be saved yet" in dialog.status.text()
    qtbot.waitUntil(lambda: window._state.tasks.pending == 0)
    assert [c.record_id for c in mine.vault.replication.conflicts()] == [record_id]  # not marked merged with old text

    held_at.clear()
    qtbot.keyClicks(held_at, "2026-11-20 10:00")
    qtbot.mouseClick(dialog.merged_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.records.count() == 0, timeout=10_000)
    assert mine.vault.records.get(record_id).content.notes == MERGED
    dialog.close()
