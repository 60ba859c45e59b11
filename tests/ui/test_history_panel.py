"""The history panel in the main window: versions newest first by when they were saved, each saying
what it changed (and its seconds when two lines would read alike); Restore asks first, naming what
changes, with Cancel the default, and Undo (Ctrl+Z) puts back the version it replaced."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from window_fixtures import settle, state, window  # noqa: F401 - fixtures
from vault_fixtures import sample_contents

from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.menus import shortcut_rows
from ui.state import AppState

START = datetime(2026, 11, 21, 14, 30, 5, tzinfo=timezone.utc)


def _saved_at(vault: Vault, moments: list[datetime]) -> None:
    """The vault's clock reads the first of moments (a test sets it before each version)."""
    vault.clock = lambda: moments[0]


def _versions(vault: Vault, assessment_id: str, notes_at: list[tuple[int, str]]) -> str:
    """A record created at START, then its notes changed at START + each number of seconds."""
    moments = [START]
    _saved_at(vault, moments)
    interview = sample_contents()[1]
    rec = vault.records.create(assessment_id, interview).value
    vault.records.cut_revision(rec.id)
    for seconds, notes in notes_at:
        moments[0] = START + timedelta(seconds=seconds)
        vault.records.save(rec.id, dataclasses.replace(interview, notes=notes))
        vault.records.cut_revision(rec.id)
    vault.clock = lambda: datetime.now(timezone.utc)
    return rec.id


def _open(qtbot, window: MainWindow, state: AppState, record_id: str, versions: int) -> None:  # noqa: ANN001
    window.refresh_list()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    window.table.setFocus()
    window.table.selectRow(0)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.record_id == record_id and window.editor.history.revisions.count() == versions)


def _lines(window: MainWindow) -> list[str]:
    history = window.editor.history.revisions
    return [history.item(i).text() for i in range(history.count())]


def test_versions_are_listed_newest_first_by_when_they_were_saved_with_what_each_changed(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    # The third version was saved before the second (a laptop whose clock was behind): time decides.
    record_id = _versions(state.vault, window._assessment_id, [(600, "Second words."), (120, "Third words.")])
    _open(qtbot, window, state, record_id, 3)
    lines = _lines(window)
    assert [line.split(" · ")[0][-5:] for line in lines] == ["14:40", "14:32", "14:30"]
    assert [line.split(" · ")[1] for line in lines] == ["Notes edited", "Notes edited", "Created"]
    assert all(line.endswith("saved by you, on this laptop") for line in lines)


def test_two_versions_alike_in_the_same_minute_are_told_apart_by_their_seconds(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record_id = _versions(state.vault, window._assessment_id, [(20, "Second words."), (40, "Third words.")])
    _open(qtbot, window, state, record_id, 3)
    newest, middle, oldest = _lines(window)
    assert newest != middle
    assert newest.startswith("Sat 21 Nov 2026, 14:30:45 · Notes edited") and middle.startswith("Sat 21 Nov 2026, 14:30:25 · Notes edited")
    assert oldest.startswith("Sat 21 Nov 2026, 14:30 · Created")  # unlike its neighbour already: no seconds


def test_restore_asks_first_naming_what_changes_enter_cancels_and_undo_puts_the_newer_version_back(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record_id = _versions(state.vault, window._assessment_id, [(600, "The newer words.")])
    _open(qtbot, window, state, record_id, 2)
    history = window.editor.history
    original = sample_contents()[1].notes

    def ask() -> QMessageBox:
        history.revisions.setCurrentRow(1)  # the older one
        qtbot.mouseClick(history.restore, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: history.confirm is not None and history.confirm.isVisible())
        return history.confirm

    box = ask()
    assert box.text() == "Restore the version saved Sat 21 Nov 2026, 14:30?"
    assert box.informativeText().startswith("What changes: Notes as it was then.")
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter keeps the record as it is
    qtbot.waitUntil(lambda: not box.isVisible())
    settle(qtbot, state)
    assert state.vault.records.get(record_id).content.notes == "The newer words."
    assert len(state.vault.history.revisions(record_id)) == 2

    box = ask()
    next(b for b in box.buttons() if b.text() == "Restore").click()
    settle(qtbot, state)
    assert state.vault.records.get(record_id).content.notes == original
    qtbot.waitUntil(lambda: window.editor._fields["notes"].toPlainText() == original)
    assert window.undo_bar.isVisible() and window.undo_bar.text.text() == f"Restored an earlier version of “{sample_contents()[1].title}”."
    assert window.actions_by_name["undo"].isEnabled()

    window.activateWindow()  # the question has gone: the window has the keyboard again
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    assert state.vault.records.get(record_id).content.notes == "The newer words."
    qtbot.waitUntil(lambda: window.editor._fields["notes"].toPlainText() == "The newer words.")
    assert len(state.vault.history.revisions(record_id)) == 4  # history only grows
    assert not window.undo_bar.isVisible()  # undoing is not itself offered for undoing


def test_ctrl_h_brings_the_history_into_view_with_the_keyboard_in_its_versions(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record_id = _versions(state.vault, window._assessment_id, [(600, "Second words.")])
    _open(qtbot, window, state, record_id, 2)
    window.resize(1366, 700)  # the editor pane is shorter than the record: its history is below the fold
    notes = window.editor._fields["notes"]
    notes.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is notes)
    history, area = window.editor.history.revisions, window.editor_area

    def in_sight() -> bool:
        top = history.mapTo(area.widget(), history.rect().topLeft()).y()
        shown = area.verticalScrollBar().value()
        return shown <= top < shown + area.viewport().height()

    qtbot.waitUntil(lambda: not in_sight())
    qtbot.keyClick(notes, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is history)
    assert history.currentRow() == 0 and in_sight()
    assert ("View", "History", "Ctrl+H") in shortcut_rows(window.menuBar())  # Help → Keyboard shortcuts lists it
    assert window.actions_by_name["history"] in window.table.actions()  # and the list's right-click menu has it


def test_history_lines_wrap_to_the_pane_with_the_whole_line_in_their_tooltip(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    record_id = _versions(state.vault, window._assessment_id, [(600, "Second words.")])
    _open(qtbot, window, state, record_id, 2)
    history = window.editor.history.revisions
    history.setFixedWidth(180)  # narrower than any line
    qtbot.waitUntil(lambda: history.visualItemRect(history.item(0)).height() > 2 * history.fontMetrics().height())
    assert history.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways for
    item = history.item(0)
    assert item.toolTip().startswith(item.text() + "\n")
