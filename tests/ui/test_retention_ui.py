"""Retention in the app (issue 16), offscreen against the real service on 127.0.0.1: a record kept on
the service says so in the evidence list, in words and with a tooltip; opening it fetches it back into
the editor; with no service to reach it says so in plain words and offers no form to type into."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sync_fixtures import Device, Service, free_port
from window_fixtures import window_on

from fieldapp import domain
from fieldapp.errors import KEPT_ON_SERVICE
from fieldapp.ids import utcnow
from fieldapp.replication.exchange import ServiceLink
from sync.server import admin

from ui.assessment_dialog import AssessmentDialog
from ui.record_list import RECORD_ID_ROLE, SYNC_COLUMN


def purged_laptop(service: Service, make_device: Callable[..., Device]) -> tuple[str, Device, str]:
    assessment_id, (inspector,) = service.team()
    with service.admin() as session:
        admin.set_retention(session, assessment_id, 90)
    device = make_device(service, inspector)
    device.sync()
    record_id = device.vault.records.create(assessment_id, domain.Observation(title="ICB board", notes="Winter plan agreed")).value.id
    device.sync()
    device.vault.clock = lambda: utcnow() + timedelta(days=91)
    assert device.sync().purged.records == 1
    return assessment_id, device, record_id


def sync_cell(window, record_id: str):  # noqa: ANN001, ANN201 - the list's Sync cell of the record
    model = window.proxy
    row = next(r for r in range(model.rowCount()) if model.data(model.index(r, 0), RECORD_ID_ROLE) == record_id)
    return model.index(row, SYNC_COLUMN)


def test_the_list_says_kept_on_the_service_and_opening_the_record_fetches_it_back(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device]  # noqa: ANN001
) -> None:
    assessment_id, device, record_id = purged_laptop(sqlite_service, make_device)
    with window_on(qtbot, device.vault) as (window, state):
        qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=10_000)
        cell = sync_cell(window, record_id)
        assert cell.data() == "Kept on the service" and "the central service keeps it" in cell.data(3)  # 3: the tooltip
        window.open_record(record_id)
        qtbot.waitUntil(lambda: window.editor.record_id == record_id, timeout=20_000)
        assert window.editor.record.content.notes == "Winter plan agreed"
        qtbot.waitUntil(lambda: sync_cell(window, record_id).data() == "Synced", timeout=10_000)
        dialog = AssessmentDialog(state, device.vault.assessments.get(assessment_id), window)
        qtbot.addWidget(dialog)
        assert "Evidence older than 90 days is removed from this laptop once the service holds it" in dialog.note.text()


def test_opening_a_kept_record_with_no_service_to_reach_says_so_and_offers_nothing_to_type_into(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device]  # noqa: ANN001
) -> None:
    _assessment_id, device, record_id = purged_laptop(sqlite_service, make_device)
    link = device.vault.replication.link()
    assert link is not None
    device.vault.replication.set_link(ServiceLink(f"http://127.0.0.1:{free_port()}", link.token, link.inspector_id, link.inspector_name))
    with window_on(qtbot, device.vault) as (window, _state):
        qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=10_000)
        window.open_record(record_id)
        qtbot.waitUntil(lambda: window.editor._heading.text() == KEPT_ON_SERVICE, timeout=30_000)
        assert window.editor.record_id is None and window.editor._fields == {}
        assert window.statusBar().currentMessage() == KEPT_ON_SERVICE


def test_words_typed_into_a_record_purged_under_the_editor_stay_on_screen(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device]  # noqa: ANN001
) -> None:
    assessment_id, (inspector,) = sqlite_service.team()
    with sqlite_service.admin() as session:
        admin.set_retention(session, assessment_id, 90)
    device = make_device(sqlite_service, inspector)
    device.sync()
    record_id = device.vault.records.create(assessment_id, domain.Observation(title="ICB board", notes="Winter plan")).value.id
    device.sync()
    with window_on(qtbot, device.vault) as (window, state):
        window.open_record(record_id)
        qtbot.waitUntil(lambda: window.editor.record_id == record_id and "notes" in window.editor._fields, timeout=20_000)
        device.vault.clock = lambda: utcnow() + timedelta(days=91)
        assert device.vault.retention.purge().value.records == 1  # a purge that was not told what is open
        notes = window.editor._fields["notes"]
        notes.setFocus()
        qtbot.keyClicks(notes, " agreed")
        window.editor.save_now()
        qtbot.waitUntil(lambda: window.editor.status.text().startswith("Not saved"), timeout=10_000)
        assert window.editor.record_id == record_id and notes.toPlainText() == " agreedWinter plan"  # typed where the cursor was
        assert KEPT_ON_SERVICE in window.editor.status.text()
