"""The context of evidence in the record editor (issue 15), on a real vault in the real window: each
field saves and comes back, a document made from Ctrl+5, face to face's reasons, the team and the
places ticked, a place added from the editor, a case's sample and each contact's mode, the prompts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QListWidget, QWidget
from sync_fixtures import Service, colleagues
from vault_fixtures import PASSPHRASE
from window_fixtures import settle, unlock, window  # noqa: F401 - the window on this module's state (its lists)

from fieldapp import domain
from fieldapp.framework import default_framework
from fieldapp.vault import Vault

from ui.app import AppController
from ui.context_fields import ContactHow, ContextFields, NewPlaceDialog
from ui.main_window import MainWindow
from ui.prompts_panel import PromptsPanel
from ui.state import AppState

TEAM = (("Ann Lead", "lead"), ("Bo Inspector", "inspector"), ("Cy Adviser", "specialist_adviser"))


@pytest.fixture(autouse=True)
def closed_at_first() -> Iterator[None]:
    """The context and prompts start closed, as when the app starts, and are left so for other tests."""
    ContextFields.opened_in_session, PromptsPanel.opened_in_session = False, False
    yield
    ContextFields.opened_in_session, PromptsPanel.opened_in_session = False, False


@pytest.fixture
def lists(vault: Vault, assessment_id: str) -> dict[str, str]:
    """The assessment's team with roles, and a place and an organisation, by name → id."""
    vault.assessments.set_team(assessment_id, TEAM)
    east = vault.places.add(assessment_id, "East locality", "locality").value
    icb = vault.places.add(assessment_id, "Northshire ICB", "icb").value
    return {"East locality": east.id, "Northshire ICB": icb.id}


@pytest.fixture
def state(vault: Vault, assessment_id: str, lists: dict[str, str]) -> Iterator[AppState]:
    s = AppState(vault_path=vault.path, vault=vault)
    yield s
    s.tasks.shutdown()


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def open_new(qtbot, window: MainWindow, state: AppState, key: Qt.Key) -> ContextFields:  # noqa: ANN001
    qtbot.keyClick(window.search_box, key, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.context is not None and window.editor.context._lists is not None, timeout=10_000)
    assert window.editor.context is not None
    return window.editor.context


def tick(qtbot, widget: QListWidget, starts: str) -> None:  # noqa: ANN001
    """Tick the row that starts with `starts` by keyboard: highlight it, press Space."""
    row = next(i for i in range(widget.count()) if widget.item(i).text().startswith(starts))
    widget.setFocus()
    widget.setCurrentRow(row)
    qtbot.keyClick(widget, Qt.Key.Key_Space)


def choose(combo, key: str) -> None:  # noqa: ANN001
    combo.setCurrentIndex(combo.findData(key))


def saved(qtbot, window: MainWindow, state: AppState) -> domain.Content:  # noqa: ANN001
    """What the vault holds once the editor's save has landed."""
    window.editor.save_now()
    settle(qtbot, state)
    assert window.editor.record_id is not None
    return state.vault.records.get(window.editor.record_id).content


def test_every_context_field_of_an_interview_saves_and_shows_again_after_another_record(
    qtbot, window: MainWindow, state: AppState, lists: dict[str, str]  # noqa: ANN001
) -> None:
    context = open_new(qtbot, window, state, Qt.Key.Key_2)
    record_id = window.editor.record_id
    assert not context.body.isVisibleTo(window) and context.summary.text() == "Collected by the team"  # closed at first
    qtbot.keyClick(context.toggle, Qt.Key.Key_Space)
    assert context.body.isVisibleTo(window)
    assert context.how is not None
    choose(context.source, "requested")
    choose(context.site, "off_site")
    choose(context.how.mode, "face_to_face")
    context.how.reasons["sensitive_inquiry"].setChecked(True)
    tick(qtbot, context.team, "Bo Inspector (Inspector)")
    tick(qtbot, context.places, "East locality (Locality / place)")
    tick(qtbot, context.places, "Northshire ICB")
    settle(qtbot, state)
    content = saved(qtbot, window, state)
    settle(qtbot, state)
    content = state.vault.records.get(record_id).content
    assert isinstance(content, domain.Interview)
    assert (content.source, content.site, content.mode, content.face_to_face_reasons) == ("requested", "off_site", "face_to_face", ("sensitive_inquiry",))
    assert content.team == ("Bo Inspector",)
    assert (content.places, content.organisations) == ((lists["East locality"],), (lists["Northshire ICB"],))

    open_new(qtbot, window, state, Qt.Key.Key_1)  # another record: the interview is left, its revision cut
    window.open_record(record_id)
    qtbot.waitUntil(lambda: window.editor.record_id == record_id and state.tasks.pending == 0, timeout=10_000)
    context = window.editor.context
    assert context is not None and context.how is not None
    qtbot.waitUntil(lambda: context._lists is not None)
    assert context.body.isVisibleTo(window)  # still open: remembered for the session
    assert (context.source.currentData(), context.site.currentData(), context.how.mode.currentData()) == ("requested", "off_site", "face_to_face")
    assert context.how.reasons["sensitive_inquiry"].isChecked()
    assert [context.team.item(i).checkState() == Qt.CheckState.Checked for i in range(context.team.count())] == [False, True, False]
    assert {context.places.item(i).text() for i in range(context.places.count()) if context.places.item(i).checkState() == Qt.CheckState.Checked} == {
        "East locality (Locality / place)", "Northshire ICB (Integrated care board)"}  # fmt: skip
    assert state.vault.records.get(record_id).head_revision_id is not None


def test_the_reasons_for_face_to_face_show_only_when_face_to_face_is_chosen(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    context = open_new(qtbot, window, state, Qt.Key.Key_4)  # a focus group
    qtbot.keyClick(focused(), Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)  # Alt+X opens the context from the title
    qtbot.waitUntil(lambda: context.body.isVisibleTo(window))  # a button's Alt letter clicks it a moment later
    assert context.how is not None
    assert not context.how.reasons_area.isVisibleTo(window)
    for mode, shown in (("phone", False), ("face_to_face", True), ("video", False), ("written", False), ("face_to_face", True)):
        choose(context.how.mode, mode)
        assert context.how.reasons_area.isVisibleTo(window) is shown, mode
    context.how.reasons["communication_needs"].setChecked(True)
    choose(context.how.mode, "phone")  # the ticks go from the record: the core refuses reasons for a call
    assert saved(qtbot, window, state).face_to_face_reasons == ()  # type: ignore[union-attr]
    choose(context.how.mode, "face_to_face")  # and come back with face to face: nothing ticked was lost
    settle(qtbot, state)
    content = saved(qtbot, window, state)
    assert isinstance(content, domain.FocusGroup) and content.face_to_face_reasons == ("communication_needs",)
    observation = open_new(qtbot, window, state, Qt.Key.Key_1)
    assert observation.how is None  # an observation is watched, not held by phone or in person


def test_a_document_made_by_keyboard_from_ctrl_5_is_tagged_in_processes_or_outcomes_by_default(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_new(qtbot, window, state, Qt.Key.Key_5)
    editor = window.editor
    assert focused() is editor._fields["title"] and editor._heading.text() == "Document or data"
    qtbot.keyClicks(focused(), "Winter plan 2026")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is editor._fields["document_type"]
    qtbot.keyClicks(focused(), "Policy")  # a combo box chooses by typing the start of an entry
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is editor._fields["source"]
    qtbot.keyClicks(focused(), "Requested")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    completer = focused().completer()  # type: ignore[attr-defined]
    assert completer is not None and completer.model().data(completer.model().index(0, 0)) == "Northshire ICB"
    qtbot.keyClicks(focused(), "Northshire ICB")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is editor._fields["dated"]
    qtbot.keyClicks(focused(), "1/9/2026 14:30")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert editor._fields["dated"].text() == "01/09/2026"  # a day: the time is not kept, so not shown
    qtbot.keyClicks(focused(), "Evidence request 14")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "How people leave hospital with support")
    settle(qtbot, state)
    content = saved(qtbot, window, state)
    settle(qtbot, state)
    assert content == domain.Document(
        title="Winter plan 2026", document_type="policy", source="requested", source_organisation="Northshire ICB", dated="2026-09-01",
        reference="Evidence request 14", summary="How people leave hospital with support",
    )  # fmt: skip
    panel = editor.tag_panel
    qtbot.keyClick(focused(), Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert panel.category.itemText(0) == "Default: Processes"
    qtbot.keyClicks(panel.filter, "pathways")
    qtbot.keyClick(panel.filter, Qt.Key.Key_Down)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: state.tasks.pending == 0 and panel.tags.count() == 1, timeout=10_000)
    record_id = editor.record_id
    assert record_id is not None
    assert [(link.statement_id, link.category_id) for link in state.vault.records.get(record_id).links] == [
        ("safe-systems-pathways-transitions", "processes")]  # fmt: skip

    choose(editor._fields["document_type"], "metric")  # a metric is an outcome: the panel says so once saved
    saved(qtbot, window, state)
    qtbot.waitUntil(lambda: panel.category.itemText(0) == "Default: Outcomes", timeout=10_000)
    assert default_framework().default_category("document", None, "metric") == "outcomes"


def test_adding_a_place_from_the_editor_puts_it_in_the_assessments_list_and_ticks_it(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    context = open_new(qtbot, window, state, Qt.Key.Key_3)  # a case
    context.open()
    assessment_id = state.vault.assessments.list()[0].id

    def fill_in() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, NewPlaceDialog)
        qtbot.keyClicks(dialog.name, "Westshire Council")
        dialog.type.setCurrentIndex(dialog.type.findData("local_authority"))
        dialog.accept()

    QTimer.singleShot(0, fill_in)
    qtbot.mouseClick(context.add_place, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    added = next(p for p in state.vault.places.list(assessment_id) if p.name == "Westshire Council")
    assert added.type == "local_authority" and added.is_organisation
    qtbot.waitUntil(lambda: any(context.places.item(i).text().startswith("Westshire Council") for i in range(context.places.count())))
    content = saved(qtbot, window, state)
    assert isinstance(content, domain.CaseTracking) and content.organisations == (added.id,) and content.places == ()
    assert window.editor.status.text().startswith("Added to the assessment's list") or window.editor.status.text() in ("Saving…", "Saved")

    context.add_new_place("westshire  council", "local_authority")  # the same again, differently spaced
    settle(qtbot, state)
    qtbot.waitUntil(lambda: "Not added" in window.editor.status.text())
    assert "Westshire" not in window.editor.status.text()  # a name is not repeated in a message


def test_a_case_keeps_its_sample_and_stage_and_each_contacts_mode(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    assessment_id = state.vault.assessments.list()[0].id
    state.vault.records.create(assessment_id, domain.CaseTracking(title="Earlier", sample="Discharge sample", sample_stage="engaged"))
    context = open_new(qtbot, window, state, Qt.Key.Key_3)
    context.open()
    assert context.sample is not None and context.stage is not None
    completer = context.sample.completer()
    assert completer is not None and completer.model().data(completer.model().index(0, 0)) == "Discharge sample"
    context.sample.setFocus()
    qtbot.keyClicks(context.sample, "Discharge sample")
    choose(context.stage, "short_listed")
    timeline = window.editor._fields["contacts"]
    timeline.model.add_row()
    timeline.view.setCurrentIndex(timeline.model.index(0, 1))
    timeline.model.setData(timeline.model.index(0, 1), "Emergency department")
    how = window.editor.findChild(ContactHow)
    assert how is not None and how.heading.text() == "Contact 1 (Emergency department): how it was held"
    choose(how.how.mode, "face_to_face")
    how.how.reasons["corroborating"].setChecked(True)
    settle(qtbot, state)
    content = saved(qtbot, window, state)
    assert isinstance(content, domain.CaseTracking)
    assert (content.sample, content.sample_stage) == ("Discharge sample", "short_listed")
    assert [(c.service, c.mode, c.face_to_face_reasons) for c in content.contacts] == [("Emergency department", "face_to_face", ("corroborating",))]
    assert context.summary.text().endswith("sample Discharge sample, short-listed")


def test_the_prompts_are_closed_at_first_and_ctrl_shift_p_opens_them_without_taking_the_cursor_from_the_notes(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_new(qtbot, window, state, Qt.Key.Key_2)
    editor = window.editor
    prompts = editor.prompts
    assert prompts is not None and not prompts.body.isVisibleTo(window)
    notes = editor._fields["notes"]
    notes.setFocus()
    qtbot.keyClicks(notes, "Talks about")
    qtbot.keyClick(notes, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert prompts.body.isVisibleTo(window) and focused() is notes
    qtbot.keyClicks(notes, " discharge")
    assert notes.toPlainText() == "Talks about discharge"
    assert prompts.chooser.isVisibleTo(window)  # untagged: a statement chooser
    choose(prompts.chooser, "equity-in-access")
    assert default_framework().prompts("equity-in-access")[0] in prompts.text.text()

    record_id = editor.record_id
    assert record_id is not None
    state.vault.links.tag(record_id, "safe-systems-pathways-transitions")
    editor.show_record(state.vault.records.get(record_id))  # the tags as they are now
    assert not prompts.chooser.isVisibleTo(window)
    assert prompts.text.text().startswith(f"<b>{default_framework().statement('safe-systems-pathways-transitions').name}</b>")
    assert default_framework().prompts("safe-systems-pathways-transitions")[0] in prompts.text.text()

    open_new(qtbot, window, state, Qt.Key.Key_4)  # another record: still open, for the session
    assert editor.prompts is not None and editor.prompts.body.isVisibleTo(window)
    qtbot.keyClick(focused(), Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not editor.prompts.body.isVisibleTo(window)
    open_new(qtbot, window, state, Qt.Key.Key_1)
    assert editor.prompts is None  # an observation has none; the key says where they are
    qtbot.keyClick(focused(), Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert "interview" in window.statusBar().currentMessage()


# -- through a lock, in the real app ---------------------------------------------------------------


@pytest.fixture
def app(qtbot, vault_path: Path) -> Iterator[AppController]:  # noqa: ANN001
    """The app on a vault with an assessment, its team and a place, unlocked by typing the passphrase."""
    seeded = Vault.open(vault_path, passphrase=PASSPHRASE)
    assessment_id = seeded.assessments.create("Northshire ICS", team=TEAM).value.id
    seeded.places.add(assessment_id, "East locality", "locality")
    seeded.lock()
    state = AppState(vault_path=vault_path, idle_lock_s=0)
    controller = AppController(state)
    controller.start()
    unlock(qtbot, controller)
    yield controller
    if controller.main is not None:
        controller.main.close()
    settle(qtbot, state)
    if state.sync is not None:
        state.sync.shutdown()
    state.tasks.shutdown()
    if state.vault is not None:
        state.vault.lock()


def test_the_context_and_a_document_typed_just_before_a_lock_are_there_after_unlocking(qtbot, app: AppController) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    context = open_new(qtbot, main, app.state, Qt.Key.Key_2)
    interview_id = main.editor.record_id
    context.open()
    assert context.how is not None
    choose(context.how.mode, "face_to_face")
    context.how.reasons["rapport"].setChecked(True)
    tick(qtbot, context.team, "Cy Adviser")
    tick(qtbot, context.places, "East locality")
    open_new(qtbot, main, app.state, Qt.Key.Key_5)  # switched away at once…
    document_id = main.editor.record_id
    main.editor._fields["title"].setFocus()
    qtbot.keyClicks(main.editor._fields["title"], "Urgent care dashboard")
    choose(main.editor._fields["document_type"], "metric")
    main.editor._fields["source_organisation"].setFocus()
    qtbot.keyClicks(main.editor._fields["source_organisation"], "Northshire ICB")
    qtbot.keyClick(main, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # …and locked at once: no wait for autosave
    qtbot.waitUntil(lambda: app.state.vault is not None and app.state.vault.is_locked, timeout=15_000)
    main = unlock(qtbot, app)
    vault = app.state.vault
    assert vault is not None and interview_id is not None and document_id is not None
    interview = vault.records.get(interview_id).content
    assert isinstance(interview, domain.Interview)
    assert (interview.mode, interview.face_to_face_reasons, interview.team) == ("face_to_face", ("rapport",), ("Cy Adviser",))
    assert len(interview.places) == 1
    document = vault.records.get(document_id).content
    assert isinstance(document, domain.Document)
    assert (document.title, document.document_type, document.source_organisation) == ("Urgent care dashboard", "metric", "Northshire ICB")
    main.open_record(interview_id)
    qtbot.waitUntil(lambda: main.editor.record_id == interview_id and main.editor.context is not None and main.editor.context._lists is not None)
    assert main.editor.context.how is not None and main.editor.context.how.reasons["rapport"].isChecked()


def test_ctrl_z_takes_back_typing_in_a_case_sample_and_a_documents_reference(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    context = open_new(qtbot, window, state, Qt.Key.Key_3)
    context.open()
    assert context.sample is not None
    context.sample.setFocus()
    qtbot.keyClicks(context.sample, "Falls")
    qtbot.keyClick(context.sample, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert context.sample.text() == ""
    open_new(qtbot, window, state, Qt.Key.Key_5)
    reference = window.editor._fields["reference"]
    reference.setFocus()
    qtbot.keyClicks(reference, "Request 9")
    qtbot.keyClick(reference, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert reference.text() == ""
    assert saved(qtbot, window, state).reference == ""  # type: ignore[union-attr]


def test_a_colleagues_context_arriving_by_sync_shows_in_the_open_form_beside_what_was_ticked_here(
    qtbot, sqlite_service: Service, make_device  # noqa: ANN001
) -> None:
    _assessment_id, mine, theirs, record_id = colleagues(sqlite_service, make_device, domain.Interview(title="Carer"))
    ContextFields.opened_in_session = True
    state = AppState(vault_path=mine.vault.path, vault=mine.vault, idle_lock_s=0)
    controller = AppController(state)
    controller._show_main()
    main = controller.main
    assert main is not None and record_id is not None
    qtbot.addWidget(main)
    try:
        main.open_record(record_id)
        qtbot.waitUntil(lambda: main.editor.record_id == record_id and main.editor.context is not None and main.editor.context._lists is not None)
        context = main.editor.context
        assert context is not None and context.how is not None
        choose(context.how.mode, "phone")  # here: it was a call
        settle(qtbot, state)
        main.editor.save_now()
        settle(qtbot, state)
        # A colleague says it was off site, and that they took part.
        base = theirs.vault.records.get(record_id).content
        theirs.vault.records.save(record_id, dataclasses.replace(base, site="off_site", team=("Their name",)))
        theirs.sync()
        assert state.sync is not None
        state.sync.sync_now()
        qtbot.waitUntil(lambda: context.site.currentData() == "off_site", timeout=20_000)
        assert context.how.mode.currentData() == "phone"
        assert [context.team.item(i).text() for i in range(context.team.count()) if context.team.item(i).checkState() == Qt.CheckState.Checked] == [
            "Their name (not in the team now)"]  # fmt: skip
        main.editor.save_now()
        settle(qtbot, state)
        kept = state.vault.records.get(record_id).content
        assert isinstance(kept, domain.Interview) and (kept.site, kept.mode, kept.team) == ("off_site", "phone", ("Their name",))
    finally:
        main.close()
        settle(qtbot, state)
        if state.sync is not None:
            state.sync.shutdown()
        state.tasks.shutdown()
