"""What a person manages in the app, driven through its widgets: deleting a record (Undo, and
restoring it later), removing an attachment, an assessment's details and archiving, the
passphrase, and Ctrl+Q quitting without losing a word."""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from window_fixtures import settle, state, window  # noqa: F401 - fixtures
from vault_fixtures import PASSPHRASE, sample_contents

from fieldapp.errors import NotFound, WrongPassphrase
from fieldapp.storage.models import Assessment
from fieldapp.vault import Vault

from ui.app import AppController
from ui.assessment_dialog import MANAGED_NOTE, AssessmentDialog
from ui.deleted_records import DeletedRecordsDialog
from ui.main_window import MainWindow
from ui.passphrase_dialog import WRONG_CURRENT, ChangePassphraseDialog
from ui.state import AppState
from ui.unlock import UnlockWindow

NEW_PASSPHRASE = "lamp orbit velvet crane"


def open_only_record(qtbot, window: MainWindow, state: AppState) -> str:  # noqa: ANN001
    window.refresh_list()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    window.table.setFocus()
    window.table.selectRow(0)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.record_id is not None)
    return window.editor.record_id


# -- deleting a record ------------------------------------------------------------------------------


def test_del_in_the_evidence_list_deletes_at_once_and_ctrl_z_brings_the_record_back_with_its_tags(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    rec = state.vault.records.create(window._assessment_id, sample_contents()[1]).value
    state.vault.links.tag(rec.id, "equity-in-access")
    open_only_record(qtbot, window, state)
    notes = window.editor._fields["notes"]
    notes.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(notes, " Typed just now.")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    settle(qtbot, state)
    with pytest.raises(NotFound):
        state.vault.records.get(rec.id)
    qtbot.waitUntil(lambda: window.model.rowCount() == 0)
    assert window.undo_bar.isVisible() and window.undo_bar.text.text() == "Deleted “Carer of a person with dementia”."
    assert window.actions_by_name["undo"].isEnabled() and window.editor.record_id is None

    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    back = state.vault.records.get(rec.id)
    assert back.content.notes.endswith("respite care. Typed just now.")  # what was typed went into history first
    assert [link.statement_id for link in back.links] == ["equity-in-access"]
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.editor.record_id == rec.id)
    assert not window.undo_bar.isVisible() and not window.actions_by_name["undo"].isEnabled()


def test_del_deletes_a_record_only_from_the_evidence_list_and_a_letter_in_a_field(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    state.vault.records.create(window._assessment_id, sample_contents()[0])
    record_id = open_only_record(qtbot, window, state)
    title = window.editor._fields["title"]
    title.setFocus()
    title.setCursorPosition(0)
    qtbot.keyClick(title, Qt.Key.Key_Delete)
    statements = window.editor.tag_panel.tree  # elsewhere in the window, Del is not "delete the record"
    statements.setFocus()
    qtbot.keyClick(statements, Qt.Key.Key_Delete)
    window.editor.save_now()
    settle(qtbot, state)
    assert state.vault.records.get(record_id).content.title == "CB board, November"


def test_a_record_deleted_a_while_ago_is_restored_from_deleted_records(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    rec = state.vault.records.create(window._assessment_id, sample_contents()[2]).value
    open_only_record(qtbot, window, state)
    window.actions_by_name["delete_record"].trigger()  # from the Record menu
    settle(qtbot, state)
    window.undo_bar.withdraw()  # the time to undo has passed (as its timer does)
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    with pytest.raises(NotFound):
        state.vault.records.get(rec.id)  # Ctrl+Z no longer undoes it

    window.actions_by_name["deleted_records"].trigger()
    dialog = window.findChild(DeletedRecordsDialog)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: dialog.records.count() == 1)
    assert dialog.records.item(0).text().startswith("Hospital to home · Case tracking · deleted ")
    qtbot.mouseClick(dialog.restore, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert state.vault.records.get(rec.id).content.contacts == sample_contents()[2].contacts
    qtbot.waitUntil(lambda: dialog.records.count() == 0 and window.model.rowCount() == 1)
    assert window.editor.record_id == rec.id and "Restored" in dialog.status.text()
    dialog.close()


# -- removing an attachment --------------------------------------------------------------------------


def test_an_attachment_is_removed_only_after_saying_yes_and_the_records_history_keeps_it(qtbot, window: MainWindow, state: AppState, tmp_path: Path) -> None:  # noqa: ANN001
    rec = state.vault.records.create(window._assessment_id, sample_contents()[1]).value
    (tmp_path / "consent.pdf").write_bytes(b"%PDF-1.4 signed consent form")
    state.vault.attachments.add(rec.id, tmp_path / "consent.pdf")
    held = state.vault.records.cut_revision(rec.id).value
    open_only_record(qtbot, window, state)
    files = window.editor.attachments.files
    qtbot.waitUntil(lambda: files.count() == 1)

    def answer(remove: bool) -> None:
        files.setCurrentRow(0)
        files.setFocus()
        qtbot.keyClick(files, Qt.Key.Key_Delete)
        box = window.editor.attachments.confirm
        qtbot.waitUntil(box.isVisible)
        assert box.text() == "Remove “consent.pdf” from this record?"
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Enter keeps it
        chosen = next(b for b in box.buttons() if b.text() == "Remove") if remove else box.button(QMessageBox.StandardButton.Cancel)
        chosen.click()
        settle(qtbot, state)

    answer(remove=False)
    assert [a.name for a in state.vault.records.get(rec.id).attachments] == ["consent.pdf"]
    answer(remove=True)
    assert state.vault.records.get(rec.id).attachments == () and files.count() == 0
    now = state.vault.records.cut_revision(rec.id).value  # the removal is an edit like any other
    assert state.vault.history.snapshot(now.id).attachments == ()
    assert [a["name"] for a in state.vault.history.snapshot(held.id).attachments] == ["consent.pdf"]


# -- assessments -------------------------------------------------------------------------------------


def type_where_focused(qtbot, text: str) -> None:  # noqa: ANN001
    qtbot.keyClicks(QApplication.focusWidget(), text)


def press_where_focused(qtbot, key: Qt.Key) -> None:  # noqa: ANN001
    qtbot.keyClick(QApplication.focusWidget(), key)


def new_assessment_dialog(qtbot, window: MainWindow) -> AssessmentDialog:  # noqa: ANN001
    qtbot.waitUntil(lambda: any(d.isVisible() and d.windowTitle() == "New assessment" for d in window.findChildren(AssessmentDialog)))
    return next(d for d in window.findChildren(AssessmentDialog) if d.isVisible())


def test_a_name_typed_in_the_new_assessment_box_and_enter_asks_for_its_period_before_it_starts(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    box = window.assessment_panel.name
    box.setFocus()
    qtbot.keyClicks(box, "Westshire ICS")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    dialog = new_assessment_dialog(qtbot, window)
    assert dialog.name.text() == "Westshire ICS" and not dialog.name.isReadOnly()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.start)  # the name is typed: the period is next
    # A period is days: its hint offers no time, and reads whole in the field (it was cut off).
    for edit in (dialog.start, dialog.end):
        assert edit.placeholderText() == "e.g. 21/11/2026"
        assert edit.fontMetrics().horizontalAdvance(edit.placeholderText()) < edit.width() - 30  # room for the calendar
    type_where_focused(qtbot, "1/12/2026")
    press_where_focused(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.end
    type_where_focused(qtbot, "19 Dec 2026")
    press_where_focused(qtbot, Qt.Key.Key_Return)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) and window.assessments.count() == 2)  # closed, and gone
    made = next(row for row in state.vault.assessments.list() if row.name == "Westshire ICS")
    assert (made.period_start, made.period_end, made.on_service) == ("2026-12-01", "2026-12-19", False)
    qtbot.waitUntil(lambda: window._assessment_id == made.id and window.assessments.currentItem().text() == "Westshire ICS")
    assert box.text() == ""


def test_file_new_assessment_asks_for_the_name_and_period_in_one_dialog(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    window.actions_by_name["new_assessment"].trigger()
    dialog = new_assessment_dialog(qtbot, window)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name)
    type_where_focused(qtbot, "Eastshire ICS")
    press_where_focused(qtbot, Qt.Key.Key_Tab)
    type_where_focused(qtbot, "30/11/2026")
    press_where_focused(qtbot, Qt.Key.Key_Tab)
    type_where_focused(qtbot, "1/11/2026")
    press_where_focused(qtbot, Qt.Key.Key_Return)
    settle(qtbot, state)
    assert dialog.isVisible() and "ends before it starts" in dialog.status.text()  # nothing made yet
    assert [row.name for row in state.vault.assessments.list()] == ["Northshire ICS"]
    dialog.end.setFocus()
    qtbot.keyClick(dialog.end, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_where_focused(qtbot, "18/12/2026")
    press_where_focused(qtbot, Qt.Key.Key_Return)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    made = next(row for row in state.vault.assessments.list() if row.name == "Eastshire ICS")
    assert (made.period_start, made.period_end) == ("2026-11-30", "2026-12-18")


def test_an_assessment_on_this_laptop_is_renamed_and_given_a_period_typed_day_first(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    window.actions_by_name["assessment_details"].trigger()
    dialog = window.findChild(AssessmentDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.start.text() == "01/11/2026"  # the period so far, day first
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, "North and East Shire ICS")
    dialog.start.selectAll()
    qtbot.keyClicks(dialog.start, "21/11/2026")
    dialog.end.selectAll()
    qtbot.keyClicks(dialog.end, "4 Dec 2026")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    row = state.vault.assessments.get(window._assessment_id)
    assert (row.name, row.period_start, row.period_end) == ("North and East Shire ICS", "2026-11-21", "2026-12-04")
    qtbot.waitUntil(lambda: window.assessments.item(0).text() == "North and East Shire ICS")


def test_a_period_that_ends_before_it_starts_is_refused_and_the_dialog_says_why(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    window.actions_by_name["assessment_details"].trigger()
    dialog = window.findChild(AssessmentDialog)
    dialog.start.setText("04/12/2026")
    dialog.end.setText("21/11/2026")
    dialog.accept()
    settle(qtbot, state)
    assert dialog.isVisible() and "ends before it starts" in dialog.status.text()
    dialog.end.setText("the end of term")
    dialog.accept()
    assert dialog.isVisible() and "Last day: 'the end of term' is not a date" in dialog.status.text()
    assert state.vault.assessments.get(window._assessment_id).period_start == "2026-11-01"
    dialog.reject()


def test_an_assessment_on_the_central_service_shows_its_details_and_says_whom_to_ask(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    with state.vault.transaction("as a pull leaves it") as session:
        session.get(Assessment, window._assessment_id).on_service = True
    window.load()
    settle(qtbot, state)
    window.actions_by_name["assessment_details"].trigger()
    dialog = window.findChild(AssessmentDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.name.isReadOnly() and dialog.start.isReadOnly() and not dialog.end.calendar_action.isEnabled()
    assert dialog.note.text() == MANAGED_NOTE and "ask its administrator to rename it" in MANAGED_NOTE
    assert dialog.buttons.standardButtons() == QDialogButtonBox.StandardButton.Close
    dialog.reject()


def test_archiving_hides_an_assessment_until_archived_ones_are_shown(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    other = state.vault.assessments.create("Westshire ICS").value
    window.load()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.assessments.count() == 2)
    archived_id = window._assessment_id
    window.actions_by_name["archive_assessment"].trigger()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.assessments.count() == 1 and window._assessment_id == other.id)
    assert state.vault.assessments.get(archived_id).archived
    assert "archived: hidden on this laptop" in window.statusBar().currentMessage()

    window.actions_by_name["show_archived"].trigger()
    assert [window.assessments.item(i).text() for i in range(2)] == ["Northshire ICS (archived)", "Westshire ICS"]
    window.assessments.setCurrentRow(0)
    assert window.actions_by_name["archive_assessment"].text() == "Unarc&hive assessment"
    window.actions_by_name["archive_assessment"].trigger()
    settle(qtbot, state)
    assert not state.vault.assessments.get(archived_id).archived
    qtbot.waitUntil(lambda: window.assessments.item(0).text() == "Northshire ICS")


# -- the passphrase ----------------------------------------------------------------------------------


def test_the_passphrase_is_changed_from_the_file_menu_and_only_with_the_current_one(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    window.actions_by_name["change_passphrase"].trigger()
    dialog = window.findChild(ChangePassphraseDialog)
    qtbot.waitUntil(dialog.isVisible)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.keyClicks(dialog.current, "not my passphrase")
    qtbot.keyClicks(dialog.first, "password1")
    qtbot.keyClicks(dialog.second, "password1")
    assert dialog.meter.value() == 0 and dialog.verdict.text().startswith("Too weak: not accepted.") and not ok.isEnabled()
    dialog.first.clear()
    dialog.second.clear()
    qtbot.keyClicks(dialog.first, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.second, NEW_PASSPHRASE)
    assert dialog.meter.value() >= 3 and ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert dialog.isVisible() and dialog.status.text() == WRONG_CURRENT and dialog.current.text() == ""

    qtbot.keyClicks(dialog.current, PASSPHRASE)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Passphrase changed."))
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()  # closed (and deleted, when Qt gets to it)
    state.vault.lock()
    with pytest.raises(WrongPassphrase):
        state.vault.unlock(passphrase=PASSPHRASE)
    state.vault.unlock(passphrase=NEW_PASSPHRASE)


# -- quitting ----------------------------------------------------------------------------------------


def test_ctrl_q_saves_the_words_being_typed_as_a_revision_locks_and_quits(qtbot, vault: Vault, assessment_id: str, tmp_path: Path) -> None:  # noqa: ANN001
    vault.lock()
    state = AppState(vault_path=vault.path, vault=vault, settings_file=tmp_path / "fieldapp.conf", idle_lock_s=0)
    controller = AppController(state)
    controller.start()
    unlock = controller.window
    assert isinstance(unlock, UnlockWindow)
    qtbot.addWidget(unlock)
    settle(qtbot, state)
    qtbot.keyClicks(unlock.secret, PASSPHRASE)
    qtbot.keyClick(unlock.secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: controller.main is not None and controller.main.isVisible(), timeout=20_000)
    main = controller.main
    qtbot.addWidget(main)
    qtbot.waitUntil(lambda: main.assessments.count() == 1 and state.tasks.pending == 0, timeout=10_000)
    main.new_actions["observation"].trigger()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: main.editor.record_id is not None)
    record_id = main.editor.record_id
    qtbot.keyClicks(main.editor._fields["title"], "Place board")
    qtbot.keyClicks(main.editor._fields["notes"], "Chair closes at 12:10")  # no autosave yet: Ctrl+Q at once

    with qtbot.waitSignal(controller.quit_ready, timeout=20_000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not main.isVisible() and state.vault.is_locked
    state.tasks.shutdown()

    reopened = Vault.open(vault.path, passphrase=PASSPHRASE)
    record = reopened.records.get(record_id)
    assert not record.draft_dirty  # in a revision, not only in the draft
    held = reopened.history.snapshot(record.head_revision_id).content
    assert (held.title, held.notes) == ("Place board", "Chair closes at 12:10")
    reopened.lock()


def test_a_new_assessments_dialog_says_its_team_is_the_services_once_it_is_sent_there(qtbot, state: AppState) -> None:  # noqa: ANN001, F811
    # Seen on a real screen: a team of three typed here became the service's team of one at the
    # first sync, a few seconds later; the dialog spoke only of the period.
    dialog = AssessmentDialog(state, None, name="Humber and North Yorkshire ICS")
    qtbot.addWidget(dialog)
    words = dialog.note.text()
    assert "period and team" in words
    assert "the sync says which" in words
