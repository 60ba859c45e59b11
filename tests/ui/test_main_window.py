"""The main window driven like an inspector would: typing, shortcuts, autosave, search."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QCheckBox, QComboBox, QLineEdit

from fieldapp import domain
from fieldapp.dates import parse_when
from fieldapp.search import Query
from fieldapp.vault import Vault

from ui.main_window import SEARCH_DELAY_MS, MainWindow
from ui.record_list import RecordListModel
from ui.row_table import RowTable
from ui.state import AppState


@pytest.fixture
def state(vault: Vault) -> Iterator[AppState]:
    s = AppState(vault_path=vault.path, vault=vault)
    yield s
    s.tasks.shutdown()


@pytest.fixture
def window(qtbot, state: AppState) -> Iterator[MainWindow]:  # noqa: ANN001 - pytest-qt fixture
    w = MainWindow(state)
    qtbot.addWidget(w)
    w.show()
    w.load()
    yield w
    w.close()  # leaves the record: its last save and revision run before the worker stops
    settle(qtbot, state)


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)


def field(window: MainWindow, name: str):  # noqa: ANN201
    return window.editor._fields[name]


def type_row(qtbot, table: RowTable, cells: list[str]) -> None:  # noqa: ANN001
    """Type a row as a person does: the Add button opened the first cell; Tab moves to the next."""
    for number, text in enumerate(cells):
        editor = QApplication.focusWidget()
        assert isinstance(editor, QLineEdit) and table.isAncestorOf(editor), "a cell editor has the focus"
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Tab if number < len(cells) - 1 else Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.view.state() != table.view.State.EditingState)  # Enter commits a turn later


def add_assessment(qtbot, window: MainWindow, state: AppState, name: str = "Northshire ICS") -> None:  # noqa: ANN001
    qtbot.keyClicks(window.new_assessment_name, name)
    qtbot.keyClick(window.new_assessment_name, Qt.Key.Key_Return)
    # Enter asks for the period too; Enter again starts it without one.
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit) and QApplication.focusWidget().accessibleName() == "First day")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.assessments.count() == 1 and window.assessments.currentItem() is not None)
    window.activateWindow()  # as a desktop does when a dialog closes (offscreen does not)
    qtbot.waitUntil(window.isActiveWindow)


def test_an_assessment_is_created_by_typing_its_name(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Start by typing"))  # an empty vault says how to begin
    add_assessment(qtbot, window, state)
    assert window.statusBar().currentMessage() == ""  # and the hint goes once it is done
    assert window.assessments.currentItem().text() == "Northshire ICS"
    assert [a.name for a in state.vault.assessments.list()] == ["Northshire ICS"]


def test_typing_in_a_new_observation_is_autosaved_within_two_seconds(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    window.new_actions["observation"].trigger()
    settle(qtbot, state)
    qtbot.keyClicks(field(window, "title"), "ICB board, November")
    qtbot.keyClicks(field(window, "notes"), "Chair opens the meeting")
    started = time.monotonic()
    qtbot.waitUntil(lambda: window.editor.status.text() == "Saved", timeout=5_000)
    settle(qtbot, state)
    assert time.monotonic() - started < 3.0
    (summary,) = state.vault.records.list()
    saved = state.vault.records.get(summary.id).content
    assert (saved.title, saved.notes) == ("ICB board, November", "Chair opens the meeting")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.model.summary(0).title == "ICB board, November")


def test_a_quick_note_is_added_to_the_notes_with_the_time(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    window.new_actions["observation"].trigger()
    settle(qtbot, state)
    qtbot.keyClicks(window.editor.quick_note, "ICB chair asks for the winter plan")
    qtbot.keyClick(window.editor.quick_note, Qt.Key.Key_Return)
    settle(qtbot, state)
    notes = field(window, "notes").toPlainText()
    assert notes[:2].isdigit() and notes[2] == ":" and notes.endswith("  ICB chair asks for the winter plan")
    assert state.vault.records.get(window.editor.record_id).content.notes == notes
    assert window.editor.quick_note.text() == ""


def test_each_kind_has_its_own_fields_and_saves_them(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    window.new_actions["interview"].trigger()
    settle(qtbot, state)
    role: QComboBox = field(window, "role")
    role.setCurrentIndex(role.findData("carer"))
    qtbot.keyClicks(field(window, "pseudonym"), "Carer C4")
    consent: QCheckBox = field(window, "consent_given")
    consent.setChecked(True)
    window.editor.save_now()
    settle(qtbot, state)
    interview = state.vault.records.get(window.editor.record_id).content
    assert (interview.role, interview.pseudonym, interview.consent.given) == ("carer", "Carer C4", True)

    window.new_actions["case_tracking"].trigger()
    settle(qtbot, state)
    timeline: RowTable = field(window, "contacts")
    qtbot.mouseClick(timeline.buttons["add"], Qt.MouseButton.LeftButton)
    type_row(qtbot, timeline, ["2026-10-01", "Emergency department", "Admitted after a fall", "", "Waited 9 hours"])
    window.editor.save_now()
    settle(qtbot, state)
    case = state.vault.records.get(window.editor.record_id).content
    assert case.contacts[0].service == "Emergency department" and case.contacts[0].date == "2026-10-01"
    assert case.contacts[0].persons_account == "Waited 9 hours"

    window.new_actions["focus_group"].trigger()
    settle(qtbot, state)
    field(window, "participants").setValue(9)
    groups: RowTable = field(window, "groups_represented")
    qtbot.mouseClick(groups.buttons["add"], Qt.MouseButton.LeftButton)
    type_row(qtbot, groups, ["District nurses"])
    window.editor.save_now()
    settle(qtbot, state)
    group = state.vault.records.get(window.editor.record_id).content
    assert (group.participants, group.groups_represented) == (9, ("District nurses",))


def test_a_date_it_cannot_read_is_kept_as_typed_says_why_beside_it_and_the_rest_saves(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    window.new_actions["observation"].trigger()
    settle(qtbot, state)
    when: QLineEdit = field(window, "held_at")
    qtbot.keyClicks(when, "next tuesday")
    qtbot.keyClicks(field(window, "notes"), "Chair opens the meeting")
    window.editor.save_now()
    note = window.editor._field_notes["held_at"]
    assert note.isVisible() and "'next tuesday' is not a date" in note.text() and "Kept as you typed it" in note.text()
    settle(qtbot, state)
    saved = state.vault.records.get(window.editor.record_id)
    assert saved.content.notes == "Chair opens the meeting" and saved.as_typed == {"held_at": "next tuesday"}
    when.clear()
    qtbot.keyClicks(when, "20/11/2026 10:00")
    window.editor.save_now()
    assert not note.isVisible()
    settle(qtbot, state)
    saved = state.vault.records.get(window.editor.record_id)
    assert saved.content.held_at == parse_when("2026-11-20 10:00") and saved.as_typed == {}


def test_an_interview_without_consent_is_flagged_in_the_list(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    window.new_actions["interview"].trigger()
    settle(qtbot, state)
    window.refresh_list()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    assert window.model.index(0, 1).data().startswith("⚠")
    assert "Consent" in window.model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)


def test_the_search_box_filters_the_list_as_you_type(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    aid = state.vault.assessments.list()[0].id
    for notes in ("respite care for carers", "winter plan", "discharge delays"):
        state.vault.records.create(aid, domain.Observation(notes=notes))
    window.refresh_list()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3)
    qtbot.keyClicks(window.search_box, "resp")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=3_000)
    window.search_box.clear()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=3_000)
    window.kind_filter.setCurrentIndex(window.kind_filter.findData("interview"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=3_000)


def test_selecting_a_row_opens_the_record_and_leaving_it_cuts_a_revision(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    aid = state.vault.assessments.list()[0].id
    first = state.vault.records.create(aid, domain.Observation(title="First")).value
    state.vault.records.create(aid, domain.Observation(title="Second"))
    window.refresh_list()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.table.selectRow(window.proxy.mapFromSource(window.model.index(window.model.row_of(first.id), 0)).row())
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.record_id == first.id)
    assert field(window, "title").text() == "First"
    window.editor.show_record(None)
    settle(qtbot, state)
    assert len(state.vault.history.revisions(first.id)) == 1


def test_the_record_list_model_passes_qts_model_tests(qtmodeltester, vault: Vault, assessment_id: str) -> None:  # noqa: ANN001
    for content in (domain.Observation(title="A"), domain.Interview(pseudonym="P1")):
        vault.records.create(assessment_id, content)
    model = RecordListModel()
    model.set_rows(vault.search(Query()).items)
    qtmodeltester.check(model)
    model.update_row(vault.search(Query()).items[0])
    qtmodeltester.check(model)


def test_the_coverage_grid_counts_evidence_and_a_cell_filters_the_list(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    aid = state.vault.assessments.list()[0].id
    tagged = state.vault.records.create(aid, domain.Interview(role="carer", pseudonym="C1")).value
    state.vault.links.tag(tagged.id, "safeguarding")
    state.vault.records.create(aid, domain.Observation(title="Untagged"))
    window.tabs.setCurrentWidget(window.coverage)
    settle(qtbot, state)
    grid = window.coverage.grid
    assert grid.rowCount() == 17 + 3 and grid.columnCount() == 6 + 1
    labels = [grid.verticalHeaderItem(r).text() for r in range(grid.rowCount())]
    row = labels.index("Safeguarding")
    assert grid.item(row, 0).text() == "1" and grid.item(row, 6).text() == "1"
    assert labels.count("Safeguarding") == 1 and sum(label.startswith("⚠") for label in labels) == 16
    assert "16 of 17 statements have no evidence yet" in window.coverage.summary.text()
    window.coverage.on_grid_cell_activated(row, 0)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == 0 and window.model.rowCount() == 1)
    assert window.model.summary(0).id == tagged.id and window.cell_filter.isVisible()
    qtbot.mouseClick(window.cell_filter, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=3_000)


def type_day(qtbot, edit: QLineEdit, text: str) -> None:  # noqa: ANN001
    """Into a date filter by keyboard, as a person does: select what is there, type, Enter."""
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_the_list_filters_by_theme_statement_category_and_date_together_with_the_words(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    assessment_id = window._assessment_id
    vault = state.vault
    made = {}
    for title, held_at, statement, category in (
        ("Board in October", "2026-10-14", "learning-culture", "observation"),
        ("Board in November", "2026-11-18", "shared-direction-culture", "observation"),
        ("Partnership forum", "2026-11-20", "safe-systems-pathways-transitions", "partners-feedback"),
    ):
        rec = vault.records.create(assessment_id, domain.Observation(title=title, held_at=held_at, notes="winter plan")).value
        vault.links.tag(rec.id, statement, category)
        made[title] = rec.id
    window.refresh_list()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3)
    filters = window.list_filters

    def shown() -> set[str]:
        settle(qtbot, state)
        return {window.model.summary(row).title for row in range(window.model.rowCount())}

    filters.theme.setCurrentIndex(filters.theme.findData("leadership"))
    qtbot.waitUntil(lambda: shown() == {"Board in November"})
    assert filters.statement.findData("learning-culture") == -1  # only the chosen theme's statements
    filters.clear()
    filters.category.setCurrentIndex(filters.category.findData("observation"))
    qtbot.waitUntil(lambda: shown() == {"Board in October", "Board in November"})
    type_day(qtbot, filters.date_from, "1/11/2026")
    qtbot.waitUntil(lambda: shown() == {"Board in November"})
    filters.clear()
    type_day(qtbot, filters.date_to, "19 Nov 2026")
    filters.statement.setCurrentIndex(filters.statement.findData("safe-systems-pathways-transitions"))
    qtbot.waitUntil(lambda: shown() == set())  # the forum was on the 20th
    filters.clear()
    qtbot.keyClicks(window.search_box, "winter")
    qtbot.waitUntil(lambda: shown() == {"Board in October", "Board in November", "Partnership forum"})
    assert all(w.accessibleName() for w in (filters.theme, filters.statement, filters.category, filters.date_from, filters.date_to))


def test_a_day_typed_into_the_from_filter_and_enter_narrows_the_list_and_empty_means_any_day(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    for title, held_at in (("November board", "2026-11-20"), ("December board", "2026-12-01T10:00"), ("January forum", "2027-01-12")):
        state.vault.records.create(window._assessment_id, domain.Observation(title=title, held_at=held_at))
    window.refresh_list()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3)
    since = window.list_filters.date_from
    assert (since.text(), since.placeholderText()) == ("", "any") and "lowest" not in since.toolTip()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # the From label's letter
    qtbot.waitUntil(lambda: QApplication.focusWidget() is since)

    def shown() -> set[str]:
        settle(qtbot, state)
        return {window.model.summary(row).title for row in range(window.model.rowCount())}

    type_day(qtbot, since, "01/12/2026")
    qtbot.waitUntil(lambda: shown() == {"December board", "January forum"})
    assert since.text() == "01/12/2026"
    type_day(qtbot, since, "the first of never")
    assert since.text() == "the first of never" and "Gathered on or after:" in window.statusBar().currentMessage()
    assert shown() == {"December board", "January forum"}  # the last day taken still holds
    qtbot.keyClick(since, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(since, Qt.Key.Key_Delete)
    qtbot.keyClick(since, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shown() == {"November board", "December board", "January forum"})
    assert since.text() == ""


def test_an_empty_date_filters_calendar_opens_at_today_or_in_the_assessments_period(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    from datetime import date

    add_assessment(qtbot, window, state)
    since = window.list_filters.date_from
    since.setFocus()
    qtbot.keyClick(since, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: since.calendar is not None and since.calendar.isVisible())
    assert since.calendar.selectedDate().toPython() == date.today()  # no period: today, not January 2000
    qtbot.keyClick(since.calendar, Qt.Key.Key_Escape)
    state.vault.assessments.set_period(window._assessment_id, "2020-03-02", "2020-03-27")
    window.load()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.list_filters.date_to.empty_day == date(2020, 3, 27))
    since.setFocus()
    qtbot.keyClick(since, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: since.calendar.isVisible())
    assert since.calendar.selectedDate().toPython() == date(2020, 3, 2)
    qtbot.keyClick(since.calendar.findChild(QAbstractItemView), Qt.Key.Key_Return)  # the grid has the keyboard: Enter picks the day
    settle(qtbot, state)
    assert since.text() == "02/03/2020" and window.list_filters.date_range == ("2020-03-02", None)


def test_the_list_shows_dates_day_first_and_sorts_them_as_dates(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    aid = state.vault.assessments.list()[0].id
    for title, held_at in (("December board", "2026-12-01T10:00"), ("November board", "2026-11-20")):
        state.vault.records.create(aid, domain.Observation(title=title, held_at=held_at))
    window.refresh_list()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    shown = [(window.proxy.index(r, 1).data(), window.proxy.index(r, 2).data()) for r in range(2)]
    assert shown == [("November board", "20/11/2026"), ("December board", "01/12/2026")]


def test_a_day_picked_from_the_calendar_keeps_the_time_typed_and_is_saved(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    from datetime import date

    add_assessment(qtbot, window, state)
    window.new_actions["observation"].trigger()
    settle(qtbot, state)
    when = field(window, "held_at")
    when.setFocus()
    qtbot.keyClicks(when, "today 14:30")
    qtbot.keyClick(when, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = when.calendar
    assert calendar is not None and calendar.isVisible()
    calendar.setSelectedDate(date(2026, 11, 17))
    qtbot.keyClick(calendar.findChild(QAbstractItemView), Qt.Key.Key_Return)  # the grid has the keyboard
    assert not calendar.isVisible() and when.text() == "17/11/2026 14:30"
    window.editor.save_now()
    settle(qtbot, state)
    assert state.vault.records.get(window.editor.record_id).content.held_at == parse_when("17/11/2026 14:30")


def test_a_pseudonym_that_looks_like_a_real_name_and_address_is_questioned_beside_it_and_still_saved(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    add_assessment(qtbot, window, state)
    window.new_actions["interview"].trigger()
    settle(qtbot, state)
    pseudonym = field(window, "pseudonym")
    qtbot.keyClicks(pseudonym, "Margaret Thompson, 14 Mill Lane")
    window.editor.save_now()
    note = window.editor._field_notes["pseudonym"]
    assert note.isVisible() and "first name and a surname" in note.text() and "address" in note.text()
    settle(qtbot, state)
    assert state.vault.records.get(window.editor.record_id).content.pseudonym == "Margaret Thompson, 14 Mill Lane"
    pseudonym.selectAll()
    qtbot.keyClicks(pseudonym, "Carer C4")
    window.editor.save_now()
    assert not note.isVisible()


def test_a_filter_that_hides_the_open_record_saves_and_closes_it_but_a_save_never_does(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    aid = state.vault.assessments.list()[0].id
    state.vault.records.create(aid, domain.Interview(title="Carer interview"))
    window.kind_filter.setCurrentIndex(window.kind_filter.findData("interview"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    window.new_actions["observation"].trigger()  # made while the list shows interviews only
    qtbot.waitUntil(lambda: "title" in window.editor._fields and state.tasks.pending == 0)
    board = window.editor.record_id
    qtbot.keyClicks(field(window, "title"), "ICB board")
    window.editor.save_now()  # a save refreshes the list: the record it does not show stays open
    qtbot.wait(SEARCH_DELAY_MS * 3)
    settle(qtbot, state)
    assert window.editor.record_id == board
    qtbot.keyClicks(field(window, "notes"), "Chair asks for the winter plan")
    qtbot.keyClicks(window.search_box, "carer")  # the inspector narrows the list: now it closes
    qtbot.waitUntil(lambda: window.editor.record_id is None, timeout=5_000)
    assert "saved and closed" in window.statusBar().currentMessage()
    settle(qtbot, state)
    assert state.vault.records.get(board).content.notes == "Chair asks for the winter plan"


def test_opening_a_record_from_elsewhere_leaves_the_coverage_grid_for_the_editor(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    add_assessment(qtbot, window, state)
    rec = state.vault.records.create(state.vault.assessments.list()[0].id, domain.Observation(title="Board")).value
    window.tabs.setCurrentWidget(window.coverage)
    window.open_record(rec.id)
    qtbot.waitUntil(lambda: window.editor.record_id == rec.id)
    assert window.tabs.currentIndex() == 0 and window.editor_area.isVisible()


@pytest.mark.parametrize("tab", ["coverage", "judgements", "report", "concerns"])
def test_a_new_record_made_from_another_tab_shows_its_form_with_the_title_taking_the_keys(
    qtbot, window: MainWindow, state: AppState, tab: str  # noqa: ANN001
) -> None:
    # Seen on a real screen: Ctrl+5 on the Concerns tab made a document whose form stayed hidden,
    # so its title was typed blind.
    add_assessment(qtbot, window, state)
    window.tabs.setCurrentWidget(getattr(window, tab))
    settle(qtbot, state)
    qtbot.keyClick(window.tabs.currentWidget(), Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.editor.record_id is not None, timeout=10_000)
    settle(qtbot, state)
    assert window.tabs.currentIndex() == 0, "the Evidence tab, where the form is"
    title = field(window, "title")
    assert title.isVisible()
    qtbot.waitUntil(title.hasFocus)


def test_down_in_the_search_box_goes_to_the_evidence_list_and_opens_its_first_record(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    # Seen on a real screen: after unlocking, Ctrl+F then Down stayed in the search box, and the
    # list was reached only by many Tabs or the mouse.
    add_assessment(qtbot, window, state)
    assessment_id = state.vault.assessments.list()[0].id
    first = state.vault.records.create(assessment_id, domain.Observation(title="ICB board, November")).value
    state.vault.records.create(assessment_id, domain.Observation(title="ICB board, December"))
    window.refresh_list()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.focus_search()
    qtbot.keyClicks(window.search_box, "board")
    qtbot.waitUntil(lambda: window.model.rowCount() == 2 and state.tasks.pending == 0, timeout=10_000)
    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    qtbot.waitUntil(window.table.hasFocus)
    top = window.current_record_id()
    assert top is not None
    qtbot.waitUntil(lambda: window.editor.record_id == top, timeout=10_000)
    assert window.search_box.text() == "board", "the search stays as typed"
    qtbot.keyClick(window.table, Qt.Key.Key_Down)  # and in the list, Down goes on to the next record
    qtbot.waitUntil(lambda: window.current_record_id() not in (None, top))
    assert first.id in {top, window.current_record_id()}


def test_archiving_the_only_assessment_empties_the_evidence_list_and_a_new_one_starts_there(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    # Seen on a real screen: with its one assessment archived (hidden), the list still showed its
    # records, beside "Every assessment is archived" and the New record buttons greyed.
    add_assessment(qtbot, window, state)
    assessment_id = state.vault.assessments.list()[0].id
    state.vault.records.create(assessment_id, domain.Observation(title="ICB board, November"))
    window.refresh_list()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    window.actions_by_name["archive_assessment"].trigger()
    qtbot.waitUntil(lambda: window.assessments.count() == 0, timeout=10_000)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 0)
    assert window.count_label.text() == "0 records"
    window.actions_by_name["show_archived"].trigger()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)  # shown again, its records with it
