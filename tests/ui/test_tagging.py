"""Tagging beside the editor: statements by theme, default categories, passages, removal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor
from PySide6.QtWidgets import QApplication
from window_fixtures import state, window  # noqa: F401

from fieldapp import domain
from fieldapp.links import passage_of
from fieldapp.vault import Vault

from ui.editor import RecordEditor
from ui.main_window import MainWindow
from ui.state import AppState
from ui.tagging import PASSAGE_TAGGED
from ui.theme import colors


@pytest.fixture
def editor(qtbot, vault: Vault, assessment_id: str) -> Iterator[RecordEditor]:  # noqa: ANN001
    state = AppState(vault_path=vault.path, vault=vault)
    widget = RecordEditor(state)
    qtbot.addWidget(widget)
    widget.show()
    notes = "Carer 😀 describes a delayed discharge and no respite care."
    record = vault.records.create(assessment_id, domain.Interview(role="carer", pseudonym="C4", notes=notes)).value
    widget.show_record(record)
    yield widget
    widget.show_record(None)
    state.tasks.shutdown()


def statement_item(editor: RecordEditor, statement_id: str):  # noqa: ANN201
    return next(i for i in editor.tag_panel._statement_items() if i.data(0, Qt.ItemDataRole.UserRole) == statement_id)


def settle(qtbot, editor: RecordEditor) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: editor._state.tasks.pending == 0, timeout=10_000)


def test_the_17_statements_show_under_their_3_themes(editor: RecordEditor) -> None:
    tree = editor.tag_panel.tree
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == ["Quality and safety", "Integration", "Leadership"]
    assert len(editor.tag_panel._statement_items()) == 17


def test_typing_filters_the_statements(qtbot, editor: RecordEditor) -> None:  # noqa: ANN001
    qtbot.keyClicks(editor.tag_panel.filter, "safe")
    shown = [i.text(0) for i in editor.tag_panel._statement_items() if not i.isHidden()]
    assert shown == ["Safe and effective staffing", "Safeguarding", "Safe systems, pathways and transitions"]


def test_checking_a_statement_tags_the_record_with_the_default_category(qtbot, editor: RecordEditor, vault: Vault) -> None:  # noqa: ANN001
    statement_item(editor, "safe-systems-pathways-transitions").setCheckState(0, Qt.CheckState.Checked)
    settle(qtbot, editor)
    (link,) = vault.records.get(editor.record_id).links
    assert (link.statement_id, link.category_id) == ("safe-systems-pathways-transitions", "peoples-experience")
    assert editor.tag_panel.tags.count() == 1
    statement_item(editor, "safe-systems-pathways-transitions").setCheckState(0, Qt.CheckState.Unchecked)
    settle(qtbot, editor)
    assert vault.records.get(editor.record_id).links == ()


def test_the_category_can_be_changed_before_tagging(qtbot, editor: RecordEditor, vault: Vault) -> None:  # noqa: ANN001
    combo = editor.tag_panel.category
    assert combo.itemText(0) == "Default: People's experience"
    combo.setCurrentIndex(combo.findData("outcomes"))
    statement_item(editor, "equity-in-access").setCheckState(0, Qt.CheckState.Checked)
    settle(qtbot, editor)
    assert vault.records.get(editor.record_id).links[0].category_id == "outcomes"


def test_a_selected_passage_of_the_notes_is_tagged_and_the_tag_removed_with_delete(qtbot, editor: RecordEditor, vault: Vault) -> None:  # noqa: ANN001
    notes = editor._fields["notes"]
    text = notes.toPlainText()
    cursor = notes.textCursor()
    start = len(text[: text.index("no respite care")].encode("utf-16-le")) // 2  # Qt counts UTF-16 units
    cursor.setPosition(start)
    cursor.setPosition(start + len("no respite care"), QTextCursor.MoveMode.KeepAnchor)
    notes.setTextCursor(cursor)
    editor.tag_panel.tree.setCurrentItem(statement_item(editor, "equity-in-experience-outcomes"))
    qtbot.mouseClick(editor.tag_panel.tag_passage, Qt.MouseButton.LeftButton)
    settle(qtbot, editor)
    (link,) = vault.records.get(editor.record_id).links
    assert link.passage is not None and link.passage.text == "no respite care"
    assert "“no respite care”" in editor.tag_panel.tags.item(0).text()
    editor.tag_panel.tags.setCurrentRow(0)
    qtbot.mouseClick(editor.tag_panel.remove_button, Qt.MouseButton.LeftButton)
    settle(qtbot, editor)
    assert vault.records.get(editor.record_id).links == ()


def test_the_history_lists_revisions_and_restores_one_as_a_new_revision(qtbot, editor: RecordEditor, vault: Vault) -> None:  # noqa: ANN001
    record_id = editor.record_id
    vault.records.cut_revision(record_id)
    vault.records.save(record_id, domain.Interview(role="carer", pseudonym="C4", notes="a later version"))
    vault.records.cut_revision(record_id)
    editor.show_record(vault.records.get(record_id))
    settle(qtbot, editor)
    qtbot.waitUntil(lambda: editor.history.revisions.count() == 2)
    assert "saved by you, on this laptop" in editor.history.revisions.item(0).text()
    editor.history.revisions.setCurrentRow(1)  # the older one
    qtbot.mouseClick(editor.history.restore, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.history.confirm is not None and editor.history.confirm.isVisible())
    next(b for b in editor.history.confirm.buttons() if b.text() == "Restore").click()  # it asks first
    settle(qtbot, editor)
    assert vault.records.get(record_id).content.notes.startswith("Carer 😀 describes")
    assert len(vault.history.revisions(record_id)) == 3
    qtbot.waitUntil(lambda: editor._fields["notes"].toPlainText().startswith("Carer"))


def test_tag_selected_text_waits_for_a_statement_and_says_how_then_marks_the_passage_in_the_notes(
    qtbot, editor: RecordEditor, vault: Vault  # noqa: ANN001
) -> None:
    panel = editor.tag_panel
    assert not panel.tag_passage.isEnabled() and panel.passage_hint.isVisible()
    panel.tree.setCurrentItem(statement_item(editor, "equity-in-experience-outcomes"))
    assert panel.tag_passage.isEnabled() and not panel.passage_hint.isVisible()
    notes = editor._fields["notes"]
    text = notes.toPlainText()
    cursor = notes.textCursor()
    start = len(text[: text.index("delayed discharge")].encode("utf-16-le")) // 2
    cursor.setPosition(start)
    cursor.setPosition(start + len("delayed discharge"), QTextCursor.MoveMode.KeepAnchor)
    notes.setTextCursor(cursor)
    qtbot.mouseClick(panel.tag_passage, Qt.MouseButton.LeftButton)
    settle(qtbot, editor)
    qtbot.waitUntil(lambda: len(notes.extraSelections()) == 1)
    (mark,) = notes.extraSelections()
    assert mark.cursor.selectedText() == "delayed discharge"
    assert mark.format.background().color() == QColor(colors().passage)
    # The mark moves with the words as the inspector types above them.
    begin = notes.textCursor()
    begin.setPosition(0)
    notes.setTextCursor(begin)
    qtbot.keyClicks(notes, "Visit 2. ")
    assert notes.extraSelections()[0].cursor.selectedText() == "delayed discharge"


# -- by keyboard, in the window ---------------------------------------------------------------------


def test_a_statement_only_a_passage_is_tagged_with_shows_partly_ticked_and_space_ticks_it_whole(qtbot, editor: RecordEditor, vault: Vault) -> None:  # noqa: ANN001
    notes = editor._fields["notes"]
    text = notes.toPlainText()
    cursor = notes.textCursor()
    start = len(text[: text.index("no respite care")].encode("utf-16-le")) // 2  # Qt counts UTF-16 units
    cursor.setPosition(start)
    cursor.setPosition(start + len("no respite care"), QTextCursor.MoveMode.KeepAnchor)
    notes.setTextCursor(cursor)
    panel = editor.tag_panel
    panel.tree.setCurrentItem(statement_item(editor, "equity-in-experience-outcomes"))
    qtbot.mouseClick(panel.tag_passage, Qt.MouseButton.LeftButton)
    settle(qtbot, editor)
    item = statement_item(editor, "equity-in-experience-outcomes")
    qtbot.waitUntil(lambda: item.checkState(0) == Qt.CheckState.PartiallyChecked)
    assert item.toolTip(0).startswith(PASSAGE_TAGGED) and "a passage is tagged" in PASSAGE_TAGGED.lower()
    assert [link.passage is not None for link in vault.records.get(editor.record_id).links] == [True]  # the record itself is not tagged
    others = [i.checkState(0) for i in panel._statement_items() if i is not item]
    assert set(others) == {Qt.CheckState.Unchecked}

    panel.tree.setFocus()
    panel.tree.setCurrentItem(item)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    settle(qtbot, editor)
    qtbot.waitUntil(lambda: statement_item(editor, "equity-in-experience-outcomes").checkState(0) == Qt.CheckState.Checked)
    links = vault.records.get(editor.record_id).links
    assert sorted(link.passage is None for link in links) == [False, True]  # the whole record, and the passage still
    assert not statement_item(editor, "equity-in-experience-outcomes").toolTip(0).startswith(PASSAGE_TAGGED)


def test_ctrl_t_then_down_goes_into_the_statements_and_space_tags_the_record(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record = state.vault.records.create(state.vault.assessments.list()[0].id, domain.Interview(title="Carer", role="carer")).value
    window.open_record(record.id)
    qtbot.waitUntil(lambda: window.editor.record_id == record.id and state.tasks.pending == 0, timeout=10_000)
    window.editor.focus_first_field()
    panel = window.editor.tag_panel
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.filter
    qtbot.keyClicks(panel.filter, "safe")
    qtbot.keyClick(panel.filter, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is panel.tree and panel.tree.currentItem().text(0) == "Safe and effective staffing"
    qtbot.keyClick(panel.tree, Qt.Key.Key_Down)
    assert panel.tree.currentItem().text(0) == "Safeguarding"
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: state.tasks.pending == 0 and panel.tags.count() == 1, timeout=10_000)
    assert [link.statement_id for link in state.vault.records.get(record.id).links] == ["safeguarding"]
    qtbot.keyClick(panel.tree, Qt.Key.Key_Up)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Up)  # from the first statement shown, back to the filter
    assert QApplication.focusWidget() is panel.filter


def test_a_long_tag_wraps_in_the_column_and_reads_whole_on_hover(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    notes = "The ICB's sustainability lead described a plan to cut travel between community hubs by sharing rotas across partners."
    content = domain.Observation(title="ICB board", notes=notes)
    record = state.vault.records.create(state.vault.assessments.list()[0].id, content).value
    state.vault.links.tag(record.id, "environmental-sustainability", "observation", passage=passage_of(content, "notes", 0, len(notes)))
    window.resize(1366, 768)
    window.open_record(record.id)
    qtbot.waitUntil(lambda: window.editor.tag_panel.tags.count() == 1 and state.tasks.pending == 0, timeout=10_000)
    qtbot.wait(50)
    tags = window.editor.tag_panel.tags
    item = tags.item(0)
    assert tags.horizontalScrollBar().maximum() == 0  # no sideways scrolling
    assert tags.fontMetrics().horizontalAdvance(item.text()) > tags.viewport().width()  # too long for one line
    assert tags.visualItemRect(item).height() >= 2 * tags.fontMetrics().lineSpacing()  # so it wraps onto more
    assert tags.visualItemRect(item).right() <= tags.viewport().width()
    assert notes in item.toolTip() and item.toolTip().startswith("Environmental sustainability")
    assert notes in item.data(Qt.ItemDataRole.AccessibleTextRole)


def test_a_tagged_passage_stays_marked_through_typing_around_it_a_save_and_a_quick_note(qtbot, editor: RecordEditor, vault: Vault) -> None:  # noqa: ANN001
    record = vault.records.get(editor.record_id)
    content = record.content
    start = content.notes.index("no respite care")
    vault.links.tag(record.id, "safeguarding", passage=passage_of(content, "notes", start, start + len("no respite care")))
    editor.show_record(None)
    editor.show_record(vault.records.get(record.id))
    notes = editor._fields["notes"]

    def marked() -> list[str]:
        return [selection.cursor.selectedText() for selection in notes.extraSelections()]

    assert marked() == ["no respite care"]
    notes.setFocus()
    cursor = notes.textCursor()
    cursor.setPosition(0)
    notes.setTextCursor(cursor)
    qtbot.keyClicks(notes, "Visit 2. ")  # the text shifts under the mark
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.movePosition(QTextCursor.MoveOperation.Left)  # just after "care", before the full stop
    notes.setTextCursor(cursor)
    qtbot.keyClicks(notes, " for six weeks")  # typed right after the passage: not part of it
    assert marked() == ["no respite care"]
    editor.save_now()
    settle(qtbot, editor)
    assert vault.records.get(record.id).content.notes.endswith("no respite care for six weeks.")
    assert marked() == ["no respite care"]  # marked again after the save, where the words are now
    qtbot.keyClicks(editor.quick_note, "Carer leaves")
    qtbot.keyClick(editor.quick_note, Qt.Key.Key_Return)  # the notes are replaced by the vault's, note and all
    settle(qtbot, editor)
    qtbot.waitUntil(lambda: "Carer leaves" in notes.toPlainText())
    assert marked() == ["no respite care"]
    cursor = notes.textCursor()
    cursor.setPosition(notes.toPlainText().index("respite"))
    cursor.movePosition(QTextCursor.MoveOperation.EndOfWord, QTextCursor.MoveMode.KeepAnchor)
    notes.setTextCursor(cursor)
    qtbot.keyClicks(notes, "weekend")  # its words edited away: no mark, and the tag keeps its words
    assert marked() == []
    assert "no respite care" in editor.tag_panel.tags.item(0).text()


def test_ctrl_shift_t_in_the_notes_tags_the_words_selected_with_the_statement_chosen_and_says_what_is_missing(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    notes_text = "The chair asked for the winter plan by Friday."
    record = state.vault.records.create(state.vault.assessments.list()[0].id, domain.Observation(title="ICB board", notes=notes_text)).value
    window.open_record(record.id)
    qtbot.waitUntil(lambda: window.editor.record_id == record.id and state.tasks.pending == 0, timeout=10_000)
    notes, panel = window.editor._fields["notes"], window.editor.tag_panel
    assert window.actions_by_name["tag_passage"] in window.menus["Record"].actions()  # found by looking, with its key

    def select_winter_plan() -> None:  # by keys: to the start, over four words, then two more held with Shift
        notes.setFocus()
        qtbot.keyClick(notes, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
        for _ in range(5):
            qtbot.keyClick(notes, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
        for _ in range(2):
            qtbot.keyClick(notes, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert notes.textCursor().selectedText().strip() == "winter plan"

    select_winter_plan()
    qtbot.keyClick(notes, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.statusBar().currentMessage() == "Pick a quality statement first."
    qtbot.keyClick(notes, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)  # to the statements
    qtbot.keyClicks(panel.filter, "governance")
    qtbot.keyClick(panel.filter, Qt.Key.Key_Down)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Down)  # past the theme, onto its one statement shown: chosen, not ticked
    assert panel.tree.currentItem().data(0, Qt.ItemDataRole.UserRole) == "governance-management-sustainability"
    select_winter_plan()
    qtbot.keyClick(notes, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: state.tasks.pending == 0 and panel.tags.count() == 1, timeout=10_000)
    (link,) = state.vault.records.get(record.id).links
    assert link.statement_id == "governance-management-sustainability" and link.passage is not None
    assert link.passage.text.strip() == "winter plan"
    assert notes.toPlainText() == notes_text  # no key went into the words


def test_after_a_lock_the_statements_shown_are_those_the_filter_still_names(qtbot, editor: RecordEditor, vault: Vault) -> None:  # noqa: ANN001
    # Dogfood: "safe systems" stayed in the box after Ctrl+L and unlock, and every statement showed.
    qtbot.keyClicks(editor.tag_panel.filter, "safe systems")
    record = vault.records.get(editor.record_id)
    editor.show_record(None)  # what locking does to the editor
    editor.show_record(record)  # and unlocking, back on the record
    assert editor.tag_panel.filter.text() == "safe systems"
    shown = [i.text(0) for i in editor.tag_panel._statement_items() if not i.isHidden()]
    assert shown == ["Safe systems, pathways and transitions"]
