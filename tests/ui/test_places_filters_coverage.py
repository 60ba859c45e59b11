"""Issue 15 in the app, driven through its widgets on a real vault: an assessment's places and
organisations managed by keyboard; its team with roles (changed while it is this laptop's, read-only
with whom to ask once it is the service's); the evidence list filtered by place, organisation, team
member, source and case sample stage; coverage marking the required categories with no evidence yet,
and the case samples' counts; and a place renamed both ways on two laptops, shown and resolved."""

from __future__ import annotations

import dataclasses

import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox
from sync_fixtures import Service, colleagues
from window_fixtures import settle, state, window, window_on  # noqa: F401 - fixtures

from fieldapp import domain
from fieldapp.storage.models import Assessment
from fieldapp.team import TeamMember

from ui.assessment_dialog import MANAGED_NOTE, TEAM_SET_THERE, AssessmentDialog
from ui.coverage_view import CATEGORY_ROLE, NEEDED, STATEMENT_ROLE
from ui.main_window import MainWindow
from ui.places_dialog import CONFLICT_WORDS, RETIRED, PlacesDialog
from ui.state import AppState

STATEMENT = "learning-culture"  # requires People's experience (the framework's expected category)


def places_dialog(qtbot, window: MainWindow, state: AppState) -> PlacesDialog:  # noqa: ANN001
    window.actions_by_name["places"].trigger()  # File → Places and organisations…
    dialog = window.places_dialog
    qtbot.waitUntil(dialog.isVisible)
    settle(qtbot, state)
    return dialog


def keys(qtbot, *pressed: Qt.Key | str) -> None:  # noqa: ANN001
    """Keys pressed, or words typed, wherever the focus is (as a person at the keyboard does)."""
    for key in pressed:
        if isinstance(key, str):
            qtbot.keyClicks(QApplication.focusWidget(), key)
        else:
            qtbot.keyClick(QApplication.focusWidget(), key)


def entries(dialog: PlacesDialog) -> list[tuple[str, str, str]]:
    """The list as shown: (type heading, name, status) for every entry."""
    shown = []
    for g in range(dialog.list.topLevelItemCount()):
        group = dialog.list.topLevelItem(g)
        shown.extend((group.text(0), group.child(c).text(0), group.child(c).text(1)) for c in range(group.childCount()))
    return shown


def choose(dialog: PlacesDialog, name: str) -> None:
    for g in range(dialog.list.topLevelItemCount()):
        group = dialog.list.topLevelItem(g)
        for c in range(group.childCount()):
            if group.child(c).text(0) == name:
                dialog.list.setCurrentItem(group.child(c))


# -- places and organisations -----------------------------------------------------------------------


def test_places_and_organisations_are_added_renamed_retired_and_restored_by_keyboard_alone(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    aid = window._assessment_id
    dialog = places_dialog(qtbot, window, state)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name)  # ready to type the first one
    keys(qtbot, "North locality", Qt.Key.Key_Return)  # a locality, the type offered first
    settle(qtbot, state)
    qtbot.waitUntil(lambda: entries(dialog) == [("Locality / place", "North locality", "")])
    assert QApplication.focusWidget() is dialog.name and dialog.name.text() == ""  # ready for the next
    dialog.list.setFocus()
    keys(qtbot, Qt.Key.Key_Insert)  # Insert, from anywhere in the dialog, goes to a new one's name
    assert QApplication.focusWidget() is dialog.name
    keys(qtbot, "Northshire  County Council ", Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.type
    keys(qtbot, Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Tab)  # Local authority
    assert QApplication.focusWidget() is dialog.add_button
    keys(qtbot, Qt.Key.Key_Space)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: len(entries(dialog)) == 2)
    assert entries(dialog) == [("Locality / place", "North locality", ""), ("Local authority", "Northshire County Council", "")]
    assert [(p.name, p.type) for p in state.vault.places.list(aid)] == [("North locality", "locality"), ("Northshire County Council", "local_authority")]

    # F2 renames the one chosen in the list; Enter keeps the new name.
    dialog.list.setFocus()
    choose(dialog, "Northshire County Council")
    keys(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not dialog.list)  # the name's editor has the keys
    keys(qtbot, "North Shire Council", Qt.Key.Key_Return)
    # The editor hands its words over after the key (queued), and the rename is saved on the worker.
    qtbot.waitUntil(lambda: dialog.status.text() == "Renamed to North Shire Council.")
    settle(qtbot, state)
    council = next(p for p in state.vault.places.list(aid) if p.type == "local_authority")
    assert council.name == "North Shire Council" and ("Local authority", "North Shire Council", "") in entries(dialog)

    # Del retires it (still listed, said retired); Del again restores it.
    dialog.list.setFocus()
    choose(dialog, "North Shire Council")
    assert dialog.retire_button.text() == "Re&tire (Del)"
    keys(qtbot, Qt.Key.Key_Delete)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: ("Local authority", "North Shire Council", RETIRED) in entries(dialog))
    assert state.vault.places.list(aid, include_retired=True)[1].retired and "records that name it keep it" in dialog.status.text()
    assert dialog.current_id() == council.id and dialog.retire_button.text() == "Re&store (Del)"
    dialog.list.setFocus()
    keys(qtbot, Qt.Key.Key_Delete)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: ("Local authority", "North Shire Council", "") in entries(dialog))
    assert not state.vault.places.list(aid)[1].retired
    keys(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())


def test_a_second_of_one_name_is_refused_in_words_and_del_in_a_name_deletes_a_letter(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    aid = window._assessment_id
    state.vault.places.add(aid, "Northshire ICB", "icb")
    dialog = places_dialog(qtbot, window, state)
    qtbot.waitUntil(lambda: len(entries(dialog)) == 1)
    dialog.name.setFocus()
    keys(qtbot, "northshire icbx", Qt.Key.Key_Backspace)
    dialog.type.setCurrentIndex(dialog.type.findData("icb"))
    dialog.name.setFocus()
    dialog.name.setCursorPosition(0)
    keys(qtbot, Qt.Key.Key_Delete)  # a letter of the name, not the entry chosen in the list
    assert dialog.name.text() == "orthshire icb" and len(state.vault.places.list(aid)) == 1
    dialog.name.setText("northshire icb")
    keys(qtbot, Qt.Key.Key_Return)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: "already an integrated care board of that name" in dialog.status.text())
    assert dialog.isVisible() and len(state.vault.places.list(aid)) == 1  # Enter added nothing, and closed nothing
    dialog.reject()


def test_file_and_the_assessments_details_both_open_the_places_and_organisations(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    assert window.actions_by_name["places"].isEnabled()
    file_menu = [a.text() for a in window.menus["File"].actions()]
    assert "Places and &organisations…" in file_menu
    window.actions_by_name["assessment_details"].trigger()
    details = window.findChild(AssessmentDialog)
    qtbot.waitUntil(details.isVisible)
    qtbot.mouseClick(details.places_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(PlacesDialog) is not None and window.findChild(PlacesDialog).isVisible())
    assert window.findChild(PlacesDialog).windowTitle() == "Places and organisations — Northshire ICS"
    window.findChild(PlacesDialog).reject()
    details.reject()


# -- the team and its roles -------------------------------------------------------------------------


def test_the_team_is_shown_with_roles_and_changed_while_the_assessment_is_this_laptops(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    aid = window._assessment_id
    state.vault.assessments.set_team(aid, [("Amara Okafor", "lead"), ("Ben Hughes", "inspector")])
    window.load()
    settle(qtbot, state)
    window.actions_by_name["assessment_details"].trigger()
    dialog = window.findChild(AssessmentDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert [dialog.team.item(i).text() for i in range(dialog.team.count())] == ["Amara Okafor — Lead inspector", "Ben Hughes — Inspector"]
    assert dialog.team_editing.isVisible() and not dialog.team_note.isVisible()
    dialog.activateWindow()  # as the desktop does for a dialog opened (offscreen does not)
    qtbot.waitUntil(dialog.isActiveWindow)
    # A new member with a role, typed and chosen by keyboard; then Ben made a specialist adviser.
    dialog.member_name.setFocus()
    keys(qtbot, "Dev Patel", Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.member_role
    dialog.member_role.setCurrentIndex(dialog.member_role.findData("expert_by_experience"))
    dialog.add_member.setFocus()
    keys(qtbot, Qt.Key.Key_Space)
    assert dialog.member_role.currentData() == "inspector" and QApplication.focusWidget() is dialog.member_name  # ready for the next
    dialog.team.setCurrentRow(1)
    dialog.member_role.setCurrentIndex(dialog.member_role.findData("specialist_adviser"))
    qtbot.mouseClick(dialog.set_role, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    assert state.vault.assessments.get(aid).members == (
        TeamMember("Amara Okafor", "lead"), TeamMember("Ben Hughes", "specialist_adviser"), TeamMember("Dev Patel", "expert_by_experience"),
    )  # fmt: skip


def test_a_name_typed_and_not_added_is_kept_when_the_details_are_saved(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    window.actions_by_name["assessment_details"].trigger()
    dialog = window.findChild(AssessmentDialog)
    qtbot.waitUntil(dialog.isVisible)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.member_name.setFocus()
    keys(qtbot, "Chloe Price", Qt.Key.Key_Return)  # Enter saves the dialog: the name goes with it
    settle(qtbot, state)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    assert state.vault.assessments.get(window._assessment_id).members == (TeamMember("Chloe Price", "inspector"),)


def test_a_new_assessment_starts_with_its_team_and_their_roles(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    window.actions_by_name["new_assessment"].trigger()
    qtbot.waitUntil(lambda: any(d.isVisible() and d.windowTitle() == "New assessment" for d in window.findChildren(AssessmentDialog)))
    dialog = next(d for d in window.findChildren(AssessmentDialog) if d.isVisible())
    dialog.name.setText("Westshire ICS")
    for name, role in (("Amara Okafor", "lead"), ("Ben Hughes", "inspector")):
        dialog.member_name.setText(name)
        dialog.member_role.setCurrentIndex(dialog.member_role.findData(role))
        dialog.on_add_member()
    dialog.accept()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    made = next(row for row in state.vault.assessments.list() if row.name == "Westshire ICS")
    assert made.members == (TeamMember("Amara Okafor", "lead"), TeamMember("Ben Hughes", "inspector"))


def test_the_team_of_an_assessment_on_the_service_is_read_only_and_says_who_sets_it(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    aid = window._assessment_id
    state.vault.assessments.set_team(aid, [("Amara Okafor", "lead"), ("Dev Patel", "expert_by_experience")])
    with state.vault.transaction("as a pull leaves it") as session:
        session.get(Assessment, aid).on_service = True
    window.load()
    settle(qtbot, state)
    window.actions_by_name["assessment_details"].trigger()
    dialog = window.findChild(AssessmentDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert [dialog.team.item(i).text() for i in range(dialog.team.count())] == ["Amara Okafor — Lead inspector", "Dev Patel — Expert by Experience"]
    assert not dialog.team_editing.isVisible() and dialog.team_note.isVisible()
    assert dialog.team_note.text() == TEAM_SET_THERE == "Set by the central service's administrator."
    assert dialog.note.text() == MANAGED_NOTE and "team and their roles are set by the central service's administrator" in MANAGED_NOTE
    assert dialog.places_button.isVisible()  # anyone on the team keeps the places, on the service's assessments too
    dialog.reject()


# -- the evidence list's context filters -------------------------------------------------------------


def shown_titles(window: MainWindow) -> list[str]:
    return sorted(window.model.summary(i).title for i in range(window.model.rowCount()))


def pick(qtbot, state: AppState, combo: QComboBox, text: str) -> None:  # noqa: ANN001
    index = combo.findText(text)
    assert index > 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    settle(qtbot, state)


def test_the_list_filtered_by_place_organisation_team_member_source_sample_and_stage_shows_the_right_records(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    vault, aid = state.vault, window._assessment_id
    vault.assessments.set_team(aid, [("Amara Okafor", "lead"), ("Ben Hughes", "inspector")])
    north = vault.places.add(aid, "North locality", "locality").value.id
    east = vault.places.add(aid, "East locality", "locality").value.id
    icb = vault.places.add(aid, "Northshire ICB", "icb").value.id
    trust = vault.places.add(aid, "Riverside Trust", "provider").value.id
    vault.places.retire(aid, east)
    vault.records.create(aid, domain.Observation(title="ICB board", places=(north,), organisations=(icb,), team=("Amara Okafor",)))
    vault.records.create(aid, domain.Interview(title="Discharge lead", places=(east,), organisations=(trust,), team=("Ben Hughes",), mode="phone"))
    vault.records.create(aid, domain.Document(title="Winter plan", organisations=(icb,), source="requested"))
    vault.records.create(aid, domain.CaseTracking(title="Case P17", places=(north,), sample="Discharge sample", sample_stage="engaged"))
    vault.records.create(aid, domain.CaseTracking(title="Case F2", sample="Falls sample", sample_stage="put_forward"))
    window.load()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 5)
    filters = window.list_filters
    window.actions_by_name["context_filters"].trigger()  # View → Filter by place, organisation, source or sample stage
    assert filters.more.isVisible() and QApplication.focusWidget() is filters.place
    qtbot.waitUntil(lambda: filters.place.count() == 3)
    assert [filters.place.itemText(i) for i in range(3)] == ["All places", "East locality (retired)", "North locality"]
    assert [filters.organisation.itemText(i) for i in range(filters.organisation.count())] == [
        "All organisations", "Northshire ICB · Integrated care board", "Riverside Trust · Provider"]  # fmt: skip
    assert [filters.member.itemText(i) for i in range(filters.member.count())] == [
        "Anyone on the team", "Amara Okafor · Lead inspector", "Ben Hughes · Inspector"]  # fmt: skip

    pick(qtbot, state, filters.place, "North locality")
    qtbot.waitUntil(lambda: shown_titles(window) == ["Case P17", "ICB board"])
    pick(qtbot, state, filters.place, "East locality (retired)")  # a retired place still finds its records
    qtbot.waitUntil(lambda: shown_titles(window) == ["Discharge lead"])
    filters.place.setCurrentIndex(0)
    pick(qtbot, state, filters.organisation, "Northshire ICB · Integrated care board")
    qtbot.waitUntil(lambda: shown_titles(window) == ["ICB board", "Winter plan"])
    pick(qtbot, state, filters.source, "Requested from the system")
    qtbot.waitUntil(lambda: shown_titles(window) == ["Winter plan"])
    window.actions_by_name["clear_filters"].trigger()  # View → Clear filters clears these too
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 5)
    assert filters.context_filters() == {} and not filters.active()
    pick(qtbot, state, filters.member, "Ben Hughes · Inspector")
    qtbot.waitUntil(lambda: shown_titles(window) == ["Discharge lead"])
    filters.member.setCurrentIndex(0)
    pick(qtbot, state, filters.mode, "Phone")
    qtbot.waitUntil(lambda: shown_titles(window) == ["Discharge lead"])
    filters.mode.setCurrentIndex(0)
    assert [filters.sample.itemText(i) for i in range(filters.sample.count())] == ["Any case sample", "Discharge sample", "Falls sample"]
    pick(qtbot, state, filters.sample, "Falls sample")
    qtbot.waitUntil(lambda: shown_titles(window) == ["Case F2"])
    filters.sample.setCurrentIndex(0)
    pick(qtbot, state, filters.stage, "Engaged")
    qtbot.waitUntil(lambda: shown_titles(window) == ["Case P17"])
    # Shut, the button keeps the keys and says how many hidden filters still narrow the list; Alt+M opens them again.
    filters.stage.setFocus()
    filters.more_button.setChecked(False)
    assert not filters.more.isVisible() and filters.more_button.text() == "&More filters ▾ (1)"
    assert QApplication.focusWidget() is filters.more_button
    window.search_box.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: filters.more.isVisible())  # a button's letter clicks it as the mouse does: down, then up
    assert QApplication.focusWidget() is filters.place


def test_a_place_added_in_the_dialog_is_offered_by_the_list_filter_at_once(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    dialog = places_dialog(qtbot, window, state)
    dialog.name.setText("West locality")
    dialog.add()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.list_filters.place.findText("West locality") > 0)
    dialog.reject()


# -- coverage: required categories and case samples -------------------------------------------------


def cell_text(window: MainWindow, statement_id: str, category_id: str) -> str:
    grid = window.coverage.grid
    for row in range(grid.rowCount()):
        for column in range(grid.columnCount()):
            cell = grid.item(row, column)
            if cell is not None and cell.data(STATEMENT_ROLE) == statement_id and cell.data(CATEGORY_ROLE) == category_id:
                return cell.text()
    raise AssertionError(f"no cell {statement_id} × {category_id}")


def test_required_categories_with_no_evidence_say_needed_until_evidence_is_tagged(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    vault, aid = state.vault, window._assessment_id
    record = vault.records.create(aid, domain.Observation(title="Staff forum")).value
    vault.links.tag(record.id, STATEMENT, "staff-leaders-feedback")
    window.actions_by_name["show_coverage"].trigger()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: cell_text(window, STATEMENT, "staff-leaders-feedback") == "1")
    assert cell_text(window, STATEMENT, "peoples-experience") == NEEDED  # required, none yet
    assert cell_text(window, STATEMENT, "observation") == ""  # empty, not required: a different mark
    grid = window.coverage.grid
    needed = next(grid.item(r, c) for r in range(grid.rowCount()) for c in range(grid.columnCount())
                  if grid.item(r, c) is not None and grid.item(r, c).data(STATEMENT_ROLE) == STATEMENT
                  and grid.item(r, c).data(CATEGORY_ROLE) == "peoples-experience")  # fmt: skip
    assert needed.toolTip() == "Learning culture × People's experience: no evidence yet, and this statement needs evidence in People's experience."
    legend = window.coverage.legend.text()
    assert legend.startswith("“needed”: a category this statement requires evidence in, with none yet. An empty cell: no evidence yet, and none required.")
    before = len(vault.coverage(aid).gaps)
    assert f"{before} statements lack evidence in a required category." in legend

    vault.links.tag(record.id, STATEMENT, "peoples-experience")
    window.refresh_coverage()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: cell_text(window, STATEMENT, "peoples-experience") == "1")
    assert f"{before - 1} statements lack evidence" in window.coverage.legend.text()


def test_coverage_shows_each_case_samples_counts_by_stage(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    vault, aid = state.vault, window._assessment_id
    for n, stage in enumerate(["put_forward"] * 4 + ["short_listed"] * 2 + ["engaged"] + [""]):
        vault.records.create(aid, domain.CaseTracking(title=f"Case {n}", sample="Discharge sample", sample_stage=stage))
    window.actions_by_name["show_coverage"].trigger()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.coverage.samples.isVisible())
    assert window.coverage.samples.text() == "Case samples — Discharge sample: 7 put forward, 3 short-listed, 1 engaged (1 not staged yet)."
    case = vault.search("Case 7", assessment_id=aid).items[0]
    vault.records.save(case.id, dataclasses.replace(vault.records.get(case.id).content, sample_stage="engaged"))
    window.refresh_coverage()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.coverage.samples.text() == "Case samples — Discharge sample: 8 put forward, 4 short-listed, 2 engaged.")


# -- a place renamed both ways on two laptops --------------------------------------------------------


def test_a_place_renamed_both_ways_is_shown_in_the_dialog_and_resolved_where_other_conflicts_are(qtbot, sqlite_service: Service, make_device) -> None:  # noqa: ANN001
    aid, mine, theirs, _ = colleagues(sqlite_service, make_device)
    council = mine.vault.places.add(aid, "Northshire Council", "local_authority").value
    mine.sync()
    theirs.sync()
    theirs.vault.places.rename(aid, council.id, "Northshire County Council")
    theirs.sync()
    mine.vault.places.rename(aid, council.id, "North Shire Council")
    with window_on(qtbot, mine.vault) as (window, state):
        window.sync.sync_now()
        qtbot.waitUntil(lambda: window.sync.view.state == "conflicts", timeout=15_000)
        dialog = places_dialog(qtbot, window, state)
        qtbot.waitUntil(dialog.conflict.isVisible)
        assert dialog.conflict.text() == CONFLICT_WORDS and dialog.conflict_button.isVisible()
        qtbot.mouseClick(dialog.conflict_button, Qt.MouseButton.LeftButton)
        conflicts = window._conflicts
        assert conflicts is not None
        qtbot.waitUntil(lambda: conflicts.records.count() == 1 and conflicts.versions[1].toPlainText() != "", timeout=10_000)
        assert conflicts.records.item(0).text() == "Places and organisations"
        texts = [view.toPlainText() for view in conflicts.versions]
        column = next(i for i, text in enumerate(texts) if "Northshire County Council" in text)
        qtbot.mouseClick(conflicts.keep_buttons[column], Qt.MouseButton.LeftButton)
        settle(qtbot, state)
        qtbot.waitUntil(lambda: conflicts.records.count() == 0, timeout=10_000)
        assert [p.name for p in mine.vault.places.list(aid)] == ["Northshire County Council"]
        conflicts.close()
        assert not shiboken6.isValid(dialog) or not dialog.isVisible()  # closed for the conflicts window (it is modal)
        again = places_dialog(qtbot, window, state)
        qtbot.waitUntil(lambda: entries(again) == [("Local authority", "Northshire County Council", "")])
        assert not again.conflict.isVisible()
        again.reject()


def test_an_empty_list_of_places_points_to_the_name_field_where_it_is(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    # Seen on a real screen: "type a name below" printed under the name field.
    window.actions_by_name["places"].trigger()
    qtbot.waitUntil(lambda: window.findChild(PlacesDialog) is not None and window.findChild(PlacesDialog).isVisible())
    dialog = window.findChild(PlacesDialog)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("None yet"))
    assert dialog.status.mapTo(dialog, QPoint(0, 0)).y() > dialog.name.mapTo(dialog, QPoint(0, 0)).y()
    assert "above" in dialog.status.text() and "below" not in dialog.status.text()
    dialog.reject()
