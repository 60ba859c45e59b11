"""The tables in record editors: a case's timeline, an observation's attendees, a focus group's groups.

Typed into as an inspector would (Add, type, Tab, Enter; Alt+Up / Alt+Down), autosaved by the
editor's own rules, and read back from the real vault.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from fieldapp import domain
from fieldapp.dates import parse_when
from fieldapp.rows import RecordRow
from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.record_tables import ATTENDEE_COLUMNS, CONTACT_COLUMNS, GROUP_COLUMNS, contacts_to_save
from ui.row_table import RowTable, RowTableModel
from ui.state import AppState
from ui.when_edit import WhenEdit

C1 = domain.Contact("c1", "Emergency department", "2026-10-01", "Admitted after a fall", "", "Waited 9 hours")
C2 = domain.Contact("c2", "Reablement team", "2026-10-09", "Home visits", "Hospital → Reablement", "Felt listened to")


@pytest.fixture
def state(vault: Vault) -> Iterator[AppState]:
    s = AppState(vault_path=vault.path, vault=vault)
    yield s
    s.tasks.shutdown()


@pytest.fixture
def window(qtbot, state: AppState, assessment_id: str) -> Iterator[MainWindow]:  # noqa: ANN001
    w = MainWindow(state)
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)  # focus moves (and "leaving a field") need the window active
    w.load()
    settle(qtbot, state)
    yield w
    w.close()
    settle(qtbot, state)


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)


def open_record(qtbot, window: MainWindow, state: AppState, content: domain.Content) -> RecordRow:  # noqa: ANN001
    assessment_id = state.vault.assessments.list()[0].id
    record = state.vault.records.create(assessment_id, content).value
    window.editor.show_record(state.vault.records.get(record.id))
    settle(qtbot, state)
    return record


def table(window: MainWindow, name: str) -> RowTable:
    widget = window.editor._fields[name]
    assert isinstance(widget, RowTable)
    return widget


def focused_cell_editor(table: RowTable) -> QLineEdit:
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and table.isAncestorOf(editor), f"a cell editor has the focus, not {editor!r}"
    return editor


def type_cells(qtbot, table: RowTable, cells: list[str]) -> None:  # noqa: ANN001
    """The Add button left the first cell open: type each cell, Tab to the next, Enter at the end."""
    for number, text in enumerate(cells):
        editor = focused_cell_editor(table)
        qtbot.keyClicks(editor, text)
        if number < len(cells) - 1:
            qtbot.keyClick(editor, Qt.Key.Key_Tab)
        else:
            press_enter(qtbot, table, editor)


def press_enter(qtbot, table: RowTable, editor: QLineEdit) -> None:  # noqa: ANN001
    """Enter finishes the cell; Qt commits it on the next turn of the event loop, so wait for that."""
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.view.state() != table.view.State.EditingState)


def type_(qtbot, text: str) -> None:  # noqa: ANN001
    """Each key to whatever has the keyboard as it is pressed, as a person types."""
    for char in text:
        widget = QApplication.focusWidget()
        assert widget is not None
        qtbot.keyClicks(widget, char)


def press(qtbot, key: Qt.Key) -> None:  # noqa: ANN001
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key)


def select_cell(qtbot, table: RowTable, row: int, column: int) -> None:  # noqa: ANN001
    table.view.setFocus()
    table.view.setCurrentIndex(table.model.index(row, column))
    qtbot.waitUntil(lambda: table.view.hasFocus())


def saved(state: AppState, record_id: str) -> domain.Content:
    return state.vault.records.get(record_id).content


# -- the model -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "rows", "new_row"),
    [
        (CONTACT_COLUMNS, (C1, C2), lambda: domain.Contact("new")),
        (ATTENDEE_COLUMNS, (domain.Attendee("ICB chair", "Northshire ICB"),), lambda: domain.Attendee("")),
        (GROUP_COLUMNS, ("District nurses", "Social workers"), lambda: ""),
    ],
    ids=["contacts", "attendees", "groups"],
)
def test_each_table_model_passes_qts_model_tests_through_every_change(qtmodeltester, columns, rows, new_row) -> None:  # noqa: ANN001
    model: RowTableModel = RowTableModel(columns, new_row)
    model.set_rows(rows)
    qtmodeltester.check(model)
    model.add_row(1)
    assert model.setData(model.index(1, 0), "05/10/2026") and model.index(1, 0).data() == "05/10/2026"
    model.move_row(0, 1)
    model.move_row(model.rowCount() - 1, -1)
    model.removeRows(model.rowCount() - 1, 1)
    qtmodeltester.check(model)
    assert model.rowCount() == len(rows)


def test_contact_ids_stay_with_their_contacts_through_edits_and_moves() -> None:
    model: RowTableModel[domain.Contact] = RowTableModel(CONTACT_COLUMNS, lambda: domain.Contact(str(uuid.uuid4())))
    model.set_rows((C1, C2))
    model.setData(model.index(1, 1), "Reablement (east)")
    assert model.move_row(1, -1) == 0
    assert model.move_row(0, -1) == 0  # already at the top: stays
    assert [(c.id, c.service) for c in model.rows()] == [("c2", "Reablement (east)"), ("c1", "Emergency department")]
    model.add_row(1)
    assert [c.id for c in model.rows()][0::2] == ["c2", "c1"] and model.rows()[1].id not in ("c1", "c2")


def test_a_date_it_cannot_read_is_kept_as_typed_and_flagged_with_how_to_type_one() -> None:
    model: RowTableModel[domain.Contact] = RowTableModel(CONTACT_COLUMNS, lambda: domain.Contact("x"), lambda: "flag")
    model.set_rows((C1,))
    model.setData(model.index(0, 0), "early October")
    assert model.index(0, 0).data() == "early October"  # not thrown away: the inspector corrects it
    assert "Type it like 21/11/2026" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) == "flag"
    assert contacts_to_save(model.rows())[0].date == "early October"  # the editor keeps it beside the draft
    model.setData(model.index(0, 0), "2/10/2026 9.30am")
    assert model.rows()[0].date == parse_when("2026-10-02 09:30") and model.index(0, 0).data() == "02/10/2026 09:30"


def test_blank_rows_are_not_saved_and_text_is_trimmed() -> None:
    rows = (domain.Contact("a"), domain.Contact("b", service="  GP  "), domain.Contact("c", date="2026-10-03"))
    assert [(c.id, c.service, c.date) for c in contacts_to_save(rows)] == [("b", "GP", None), ("c", "", "2026-10-03")]


# -- in the editor, typed --------------------------------------------------------------------------------


def test_a_contact_is_added_by_typing_moved_up_with_alt_up_and_autosaved_with_its_id(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(title="Hospital to home", contacts=(C1, C2)))
    timeline = table(window, "contacts")
    select_cell(qtbot, timeline, 0, 1)
    qtbot.mouseClick(timeline.buttons["add"], Qt.MouseButton.LeftButton)  # after the selected contact
    type_cells(qtbot, timeline, ["2026-10-05", "Acute medical unit", "Assessed for discharge"])
    assert [c.service for c in timeline.model.rows()] == ["Emergency department", "Acute medical unit", "Reablement team"]
    qtbot.keyClick(timeline.view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert timeline.view.currentIndex().row() == 0  # the selection goes with the contact
    started = time.monotonic()
    qtbot.waitUntil(lambda: window.editor.status.text() == "Saved" and state.tasks.pending == 0, timeout=5_000)
    assert time.monotonic() - started < 3.0

    contacts = saved(state, record.id).contacts
    assert [c.service for c in contacts] == ["Acute medical unit", "Emergency department", "Reablement team"]
    new = contacts[0]
    assert (new.date, new.what_happened) == ("2026-10-05", "Assessed for discharge")
    assert [c.id for c in contacts[1:]] == ["c1", "c2"] and uuid.UUID(new.id).version == 7

    qtbot.keyClick(timeline.view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(timeline.view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert not timeline.actions_by_name["move-down"].isEnabled()  # at the bottom now
    window.editor.save_now()
    settle(qtbot, state)
    assert [c.id for c in saved(state, record.id).contacts] == ["c1", "c2", new.id]


def test_what_is_typed_in_an_open_cell_is_autosaved_within_two_seconds(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1,)))
    timeline = table(window, "contacts")
    select_cell(qtbot, timeline, 0, 4)
    qtbot.keyClicks(timeline.view, ";")  # typing on a cell opens it with that key after its words
    qtbot.keyClicks(focused_cell_editor(timeline), " said nobody explained the delay")
    started = time.monotonic()
    qtbot.waitUntil(lambda: window.editor.status.text() == "Saved" and state.tasks.pending == 0, timeout=5_000)
    assert time.monotonic() - started < 3.0
    assert timeline.view.state() == timeline.view.State.EditingState  # still typing: the cell stays open
    assert saved(state, record.id).contacts[0].persons_account == "Waited 9 hours; said nobody explained the delay"


def test_leaving_the_timeline_saves_at_once(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1, C2)))
    timeline = table(window, "contacts")
    select_cell(qtbot, timeline, 1, 0)
    qtbot.keyClick(timeline.view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert window.editor._timer.isActive()  # an edit waiting for its half second
    window.editor._fields["notes"].setFocus()  # the inspector moves on to the notes
    qtbot.waitUntil(lambda: not window.editor._timer.isActive(), timeout=250)  # well before the timer's 0.5 s
    settle(qtbot, state)
    assert [c.id for c in saved(state, record.id).contacts] == ["c2", "c1"]


def test_remove_takes_out_the_selected_contact_and_a_bad_date_is_kept_as_typed_saying_why(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1, C2)))
    timeline = table(window, "contacts")
    select_cell(qtbot, timeline, 0, 0)
    qtbot.mouseClick(timeline.buttons["remove"], Qt.MouseButton.LeftButton)
    assert [c.id for c in timeline.model.rows()] == ["c2"] and timeline.view.currentIndex().row() == 0
    qtbot.keyClick(timeline.view, Qt.Key.Key_F2)
    editor = focused_cell_editor(timeline)
    editor.selectAll()
    qtbot.keyClicks(editor, "last week")
    press_enter(qtbot, timeline, editor)
    window.editor.save_now()
    settle(qtbot, state)
    note = window.editor._field_notes["contacts"]
    assert note.isVisible() and "Contact 1: 'last week' is not a date" in note.text()
    kept = state.vault.records.get(record.id)
    assert [(c.id, c.date) for c in kept.content.contacts] == [("c2", None)]  # the removal saved; no stale date
    assert kept.as_typed == {"contacts.c2.date": "last week"}
    qtbot.keyClick(timeline.view, Qt.Key.Key_F2)
    editor = focused_cell_editor(timeline)
    editor.selectAll()
    qtbot.keyClicks(editor, "10/10/2026")
    press_enter(qtbot, timeline, editor)
    settle(qtbot, state)
    assert [(c.id, c.date) for c in saved(state, record.id).contacts] == [("c2", "2026-10-10")]


def test_attendees_are_typed_into_their_table_role_then_organisation(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.Observation(attendees=(domain.Attendee("ICB chair", "Northshire ICB"),)))
    attendees = table(window, "attendees")
    qtbot.mouseClick(attendees.buttons["add"], Qt.MouseButton.LeftButton)
    type_cells(qtbot, attendees, ["Director of nursing", "Northshire ICB"])
    qtbot.mouseClick(attendees.buttons["add"], Qt.MouseButton.LeftButton)  # an empty row is not saved
    qtbot.keyClick(focused_cell_editor(attendees), Qt.Key.Key_Escape)
    window.editor.save_now()
    settle(qtbot, state)
    assert saved(state, record.id).attendees == (
        domain.Attendee("ICB chair", "Northshire ICB"),
        domain.Attendee("Director of nursing", "Northshire ICB"),
    )
    select_cell(qtbot, attendees, 0, 0)
    qtbot.mouseClick(attendees.buttons["move-down"], Qt.MouseButton.LeftButton)
    window.editor.save_now()
    settle(qtbot, state)
    assert [a.role for a in saved(state, record.id).attendees] == ["Director of nursing", "ICB chair"]


def test_groups_represented_are_added_edited_in_place_and_removed(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.FocusGroup(groups_represented=("District nurses",)))
    groups = table(window, "groups_represented")
    qtbot.mouseClick(groups.buttons["add"], Qt.MouseButton.LeftButton)
    type_cells(qtbot, groups, ["Social workers"])
    select_cell(qtbot, groups, 0, 0)
    qtbot.keyClick(groups.view, Qt.Key.Key_F2)
    qtbot.keyClicks(focused_cell_editor(groups), " (east)")  # the cell opens with the cursor after its words
    press_enter(qtbot, groups, focused_cell_editor(groups))
    settle(qtbot, state)  # finishing a cell is leaving a field: saved at once
    assert saved(state, record.id).groups_represented == ("District nurses (east)", "Social workers")
    select_cell(qtbot, groups, 1, 0)
    qtbot.mouseClick(groups.buttons["remove"], Qt.MouseButton.LeftButton)
    window.editor.save_now()
    settle(qtbot, state)
    assert saved(state, record.id).groups_represented == ("District nurses (east)",)


def test_showing_another_record_is_not_an_edit(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1,)))
    assert not window.editor._timer.isActive() and window.editor.status.text() == ""
    assert table(window, "contacts").model.index(0, 0, QModelIndex()).data() == "01/10/2026"


# -- the keys of a table, as in a word processor's --------------------------------------------------


def test_tab_from_the_last_cell_starts_a_new_row_and_tab_through_a_blank_row_leaves_the_table(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.Observation(attendees=(domain.Attendee("ICB chair", "Northshire ICB"),)))
    attendees = table(window, "attendees")
    select_cell(qtbot, attendees, 0, 1)
    qtbot.keyClick(attendees.view, Qt.Key.Key_F2)
    qtbot.keyClick(focused_cell_editor(attendees), Qt.Key.Key_Tab)  # from the last cell: a new row, not back to the first
    assert attendees.model.rowCount() == 2 and attendees.view.currentIndex().row() == 1
    assert attendees.view.currentIndex().column() == 0
    type_cells(qtbot, attendees, ["Director of nursing", "Northshire ICB"])
    assert attendees.model.rows()[0] == domain.Attendee("ICB chair", "Northshire ICB")  # nothing typed over
    select_cell(qtbot, attendees, 1, 1)
    qtbot.keyClick(attendees.view, Qt.Key.Key_F2)
    qtbot.keyClick(focused_cell_editor(attendees), Qt.Key.Key_Tab)
    qtbot.keyClick(focused_cell_editor(attendees), Qt.Key.Key_Tab)  # across the new, blank row
    qtbot.keyClick(focused_cell_editor(attendees), Qt.Key.Key_Tab)  # and out of the table
    assert QApplication.focusWidget() is window.editor._fields["notes"]  # the next field, not the buttons
    assert attendees.model.rowCount() == 3  # one blank row; blank rows are not saved
    select_cell(qtbot, attendees, 0, 0)
    qtbot.keyClick(attendees.view, Qt.Key.Key_F2)
    qtbot.keyClick(focused_cell_editor(attendees), Qt.Key.Key_Backtab)  # Shift+Tab from the first cell: the field before
    assert QApplication.focusWidget() is window.editor._fields["location"]
    window.editor.save_now()
    settle(qtbot, state)
    assert saved(state, record.id).attendees == (
        domain.Attendee("ICB chair", "Northshire ICB"),
        domain.Attendee("Director of nursing", "Northshire ICB"),
    )


def test_typing_into_an_empty_table_starts_its_first_row(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.FocusGroup())
    groups = table(window, "groups_represented")
    assert groups.model.rowCount() == 0
    groups.view.setFocus()
    qtbot.waitUntil(groups.view.hasFocus)
    qtbot.keyClicks(groups.view, "S")  # the first letter opens the new row's cell with it
    qtbot.keyClicks(focused_cell_editor(groups), "ocial workers")
    press_enter(qtbot, groups, focused_cell_editor(groups))
    settle(qtbot, state)
    assert saved(state, record.id).groups_represented == ("Social workers",)


def test_del_removes_the_highlighted_contact_a_second_del_waits_for_a_choice_and_ctrl_z_brings_each_back(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    c3 = domain.Contact("c3", "GP", "2026-10-20", "Review")
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1, C2, c3)))
    timeline = table(window, "contacts")
    select_cell(qtbot, timeline, 0, 1)
    qtbot.keyClick(timeline.view, Qt.Key.Key_Delete)
    assert [c.id for c in timeline.model.rows()] == ["c2", "c3"]
    assert timeline.view.hasFocus() and timeline.view.currentIndex().row() == 0  # beside where it was
    qtbot.keyClick(timeline.view, Qt.Key.Key_Delete)  # nothing highlighted now: nothing more goes
    assert [c.id for c in timeline.model.rows()] == ["c2", "c3"]
    assert not timeline.actions_by_name["remove"].isEnabled()
    qtbot.keyClick(timeline.view, Qt.Key.Key_Down)  # choosing a contact highlights it
    qtbot.keyClick(timeline.view, Qt.Key.Key_Delete)
    assert [c.id for c in timeline.model.rows()] == ["c2"]
    window.editor.save_now()
    settle(qtbot, state)
    assert [c.id for c in saved(state, record.id).contacts] == ["c2"]
    qtbot.keyClick(timeline.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [c.id for c in timeline.model.rows()] == ["c2", "c3"]
    qtbot.keyClick(timeline.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [c.id for c in timeline.model.rows()] == ["c1", "c2", "c3"]
    assert timeline.view.currentIndex().row() == 0 and timeline.view.currentIndex().column() == 1
    assert not window.undo_bar.isVisible()  # the table's own undo, not the window's
    window.editor.save_now()
    settle(qtbot, state)
    assert saved(state, record.id).contacts == (C1, C2, c3)


def test_tab_through_a_blank_last_row_goes_on_to_the_notes_and_every_word_typed_next_is_in_them(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(title="Mr B, hospital to home"))
    timeline, notes = table(window, "contacts"), window.editor._fields["notes"]
    window.editor._fields["summary"].setFocus()
    qtbot.waitUntil(window.editor._fields["summary"].hasFocus)
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is timeline.view
    contacts = [
        ("21/11/2026", "Emergency department", "Admitted after a fall"),
        ("24/11/2026", "Acute medical unit", "Assessed for discharge"),
        ("28/11/2026", "Reablement team", "Visits twice a day"),
    ]
    for contact in contacts:
        for text in (*contact, "", ""):  # Transition and Their account left empty
            type_(qtbot, text)
            press(qtbot, Qt.Key.Key_Tab)  # from the last cell: a fourth row, blank
    for _ in CONTACT_COLUMNS:
        press(qtbot, Qt.Key.Key_Tab)  # through the blank row and out of the table
    assert QApplication.focusWidget() is notes
    type_(qtbot, "Daughter says care was joined up")
    press(qtbot, Qt.Key.Key_Return)
    type_(qtbot, "GP letter seen")
    assert notes.toPlainText() == "Daughter says care was joined up\nGP letter seen"
    assert timeline.model.rowCount() == 4 and timeline.model.is_blank(3)  # no row added by a space
    window.editor.save_now()
    settle(qtbot, state)
    content = saved(state, record.id)
    assert [(c.service, c.what_happened) for c in content.contacts] == [c[1:] for c in contacts]
    assert content.notes == "Daughter says care was joined up\nGP letter seen"
    for name, button in timeline.buttons.items():  # out of the Tab chain, still named for screen readers
        assert button.accessibleName() and button.focusPolicy() == Qt.FocusPolicy.ClickFocus, name


def click_cell(qtbot, table: RowTable, row: int, column: int) -> None:  # noqa: ANN001
    rect = table.view.visualRect(table.model.index(row, column))
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: table.view.hasFocus() and table.view.currentIndex().row() == row)


def test_typing_on_a_cell_with_words_adds_to_them_and_ctrl_z_takes_back_each_committed_edit(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.FocusGroup(groups_represented=("District nurses", "Unpaid carers")))
    groups = table(window, "groups_represented")
    click_cell(qtbot, groups, 1, 0)
    type_(qtbot, "Parent carers")
    press_enter(qtbot, groups, focused_cell_editor(groups))
    assert groups.model.rows()[1] == "Unpaid carersParent carers"  # both there: nothing typed over
    assert groups.view.currentIndex().row() == 1 and QApplication.focusWidget() is groups.view
    type_(qtbot, " and friends")  # the next words typed after Enter add to the cell too
    press_enter(qtbot, groups, focused_cell_editor(groups))
    assert groups.model.rows()[1] == "Unpaid carersParent carers and friends"
    settle(qtbot, state)  # finishing a cell saves it at once
    assert saved(state, record.id).groups_represented[1] == "Unpaid carersParent carers and friends"

    qtbot.keyClick(groups.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert groups.model.rows()[1] == "Unpaid carersParent carers"  # one committed edit at a time
    qtbot.keyClick(groups.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert groups.model.rows() == ("District nurses", "Unpaid carers")
    assert not window.undo_bar.isVisible()  # the table's own undo, not the window's
    window.editor.save_now()
    settle(qtbot, state)
    assert saved(state, record.id).groups_represented == ("District nurses", "Unpaid carers")


def test_an_edit_saved_part_way_while_typing_is_taken_back_by_one_ctrl_z_even_after_the_row_moved(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1, C2)))
    timeline = table(window, "contacts")
    click_cell(qtbot, timeline, 0, 1)
    type_(qtbot, " (majors)")
    window.editor.save_now()  # the autosave commits the open cell part way
    type_(qtbot, " then resus")
    press(qtbot, Qt.Key.Key_Tab)  # on to the next cell, which commits the rest
    press(qtbot, Qt.Key.Key_Escape)
    assert timeline.model.rows()[0].service == "Emergency department (majors) then resus"
    qtbot.keyClick(timeline.view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)  # that contact moves down
    assert [c.id for c in timeline.model.rows()] == ["c2", "c1"]
    qtbot.keyClick(timeline.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert timeline.model.rows() == (C2, C1)  # the words back in the contact, wherever it is now
    assert timeline.view.currentIndex().row() == 1 and timeline.view.currentIndex().column() == 1
    window.editor.save_now()
    settle(qtbot, state)
    assert saved(state, record.id).contacts == (C2, C1)


def test_a_contacts_date_that_does_not_exist_says_why_as_the_when_field_does(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1,)))
    timeline, note = table(window, "contacts"), window.editor._field_notes["contacts"]
    select_cell(qtbot, timeline, 0, 0)
    qtbot.keyClick(timeline.view, Qt.Key.Key_F2)
    editor = focused_cell_editor(timeline)
    editor.selectAll()
    qtbot.keyClicks(editor, "31/02/2026")  # typed the right way, on a day February does not have
    press_enter(qtbot, timeline, editor)
    window.editor.save_now()
    settle(qtbot, state)
    assert note.isVisible() and note.text().startswith("Contact 1: '31/02/2026' is not a date: February 2026 has no day 31.")
    assert "type it like" not in note.text()  # it was typed like that: the day is what is wrong
    assert saved(state, record.id).contacts[0].date is None
    assert state.vault.records.get(record.id).as_typed == {"contacts.c1.date": "31/02/2026"}


def test_a_contacts_date_warning_names_the_row_as_the_table_numbers_it_and_follows_it_at_once(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    gp = domain.Contact("c3", "GP", "2026-10-20", "Review")
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1, C2, gp)))
    timeline, note = table(window, "contacts"), window.editor._field_notes["contacts"]
    select_cell(qtbot, timeline, 0, 0)
    qtbot.mouseClick(timeline.buttons["add"], Qt.MouseButton.LeftButton)  # a blank row 2, not saved
    press(qtbot, Qt.Key.Key_Escape)
    select_cell(qtbot, timeline, 3, 0)
    qtbot.keyClick(timeline.view, Qt.Key.Key_F2)
    qtbot.keyClick(focused_cell_editor(timeline), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_(qtbot, "GP letter seen")
    press_enter(qtbot, timeline, focused_cell_editor(timeline))  # finishing the cell saves it
    settle(qtbot, state)
    assert note.isVisible() and note.text().startswith("Contact 4: 'GP letter seen' is not a date")
    assert [c.id for c in saved(state, record.id).contacts] == ["c1", "c2", "c3"]

    # Each change to the rows renumbers the warning at once, before the save it starts.
    qtbot.keyClick(timeline.view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert note.text().startswith("Contact 3: 'GP letter seen'") and window.editor._timer.isActive()
    select_cell(qtbot, timeline, 1, 0)
    qtbot.keyClick(timeline.view, Qt.Key.Key_Delete)  # the blank row
    assert note.text().startswith("Contact 2: 'GP letter seen'")
    select_cell(qtbot, timeline, 1, 0)
    qtbot.keyClick(timeline.view, Qt.Key.Key_Delete)  # the contact itself: nothing left to check
    assert not note.isVisible() and note.text() == ""
    qtbot.keyClick(timeline.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert note.isVisible() and note.text().startswith("Contact 2: 'GP letter seen'")
    window.editor.save_now()
    settle(qtbot, state)
    assert [c.id for c in saved(state, record.id).contacts] == ["c1", "c3", "c2"]


def test_a_contacts_date_cell_has_a_calendar_beside_its_text_opened_with_f4(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = open_record(qtbot, window, state, domain.CaseTracking(contacts=(C1,)))
    timeline = table(window, "contacts")
    select_cell(qtbot, timeline, 0, 0)
    qtbot.keyClick(timeline.view, Qt.Key.Key_F2)
    editor = focused_cell_editor(timeline)
    assert isinstance(editor, WhenEdit) and editor.calendar_action.toolTip() == "Pick a day from a calendar (F4)"
    press(qtbot, Qt.Key.Key_F4)
    calendar = editor.calendar
    assert calendar is not None
    qtbot.waitUntil(calendar.isVisible)
    assert calendar.selectedDate() == QDate(2026, 10, 1)  # it opens at the cell's day
    assert timeline.view.state() == timeline.view.State.EditingState  # the cell stays open under it
    press(qtbot, Qt.Key.Key_Right)  # the next day
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not calendar.isVisible())
    assert QApplication.focusWidget() is editor and editor.text() == "02/10/2026"
    press_enter(qtbot, timeline, editor)
    settle(qtbot, state)
    assert [c.date for c in saved(state, record.id).contacts] == ["2026-10-02"]
    window.activateWindow()  # as a desktop does when a popup closes (offscreen does not)
    qtbot.waitUntil(window.isActiveWindow)
    select_cell(qtbot, timeline, 0, 1)  # the other columns' cells are plain text
    qtbot.keyClick(timeline.view, Qt.Key.Key_F2)
    assert not isinstance(focused_cell_editor(timeline), WhenEdit)
