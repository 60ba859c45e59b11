"""Typing while the laptop's disk is full (a real tmpfs, the kernel's own ENOSPC): what could not be
saved stays on screen, is saved by itself once there is room, and no later save drops it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from vault_fixtures import fill_disk, PASSPHRASE

from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.state import AppState

# Pasted first: large enough that saving it needs new pages of a disk that has none left.
MINUTES = "Item 4, discharge: the chair asked for the winter plan to come back in December. " * 250
TYPED = "Finance director says the deficit plan depends on discharge flow."


@pytest.fixture
def window(qtbot, vault_path: Path, small_disk: Path) -> Iterator[MainWindow]:  # noqa: ANN001
    """The main window on a vault kept on a small disk of its own, with one assessment."""
    path = small_disk / "vault"
    shutil.copytree(vault_path, path)
    vault = Vault.open(path, passphrase=PASSPHRASE)
    vault.assessments.create("Northshire ICS")
    state = AppState(vault_path=path, vault=vault)
    w = MainWindow(state)
    qtbot.addWidget(w)
    w.show()
    w.load()
    qtbot.waitUntil(lambda: w.assessments.count() == 1 and state.tasks.pending == 0, timeout=10_000)
    yield w
    (small_disk / "filler").unlink(missing_ok=True)  # room to lock in, whatever the test left
    w.close()
    settle(qtbot, state)
    state.tasks.shutdown()
    vault.lock()


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)


def new_observation(qtbot, window: MainWindow) -> str:  # noqa: ANN001
    before = window.editor.record_id
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.editor.record_id not in (None, before) and "notes" in window.editor._fields, timeout=10_000)
    settle(qtbot, window._state)
    assert window.editor.record_id is not None
    return window.editor.record_id


def test_words_typed_on_a_full_disk_stay_on_screen_and_are_saved_by_themselves_once_there_is_room(
    qtbot, window: MainWindow, small_disk: Path  # noqa: ANN001
) -> None:
    state, editor = window._state, window.editor
    record_id = new_observation(qtbot, window)
    filler = fill_disk(small_disk)
    notes = editor._fields["notes"]
    notes.setFocus()
    notes.insertPlainText(MINUTES)  # as a paste
    qtbot.keyClicks(notes, TYPED)
    qtbot.waitUntil(lambda: editor.status.text().startswith("Not saved yet"), timeout=10_000)  # the autosave found no room
    assert "disk is full" in editor.status.text() and "saved as soon as it can be" in editor.status.text()
    assert notes.toPlainText() == MINUTES + TYPED
    filler.unlink()  # the inspector frees some space, and types nothing more
    qtbot.waitUntil(lambda: editor.status.text() == "Saved", timeout=15_000)
    assert state.vault.records.get(record_id).content.notes == MINUTES + TYPED
    new_observation(qtbot, window)  # leaving it cuts a revision of every word
    settle(qtbot, state)
    record = state.vault.records.get(record_id)
    assert state.vault.history.snapshot(record.head_revision_id).content.notes == MINUTES + TYPED


def test_a_save_that_lands_after_one_that_did_not_keeps_the_words_of_both(qtbot, window: MainWindow, small_disk: Path) -> None:  # noqa: ANN001
    """The notes' save fails; room is made before the title's save runs. That save was sent after
    the first, so it must be measured from the draft as it still is: measured from the notes that
    never landed, the core read the notes as removed elsewhere and dropped them, on screen too."""
    state, editor = window._state, window.editor
    record_id = new_observation(qtbot, window)
    filler = fill_disk(small_disk)
    notes, title = editor._fields["notes"], editor._fields["title"]
    notes.setFocus()
    notes.insertPlainText(MINUTES)
    editor.save_now()  # queued on the vault worker: fails there, the disk being full
    state.tasks.run(filler.unlink, lambda _none: None, lambda _exc: None)  # room, before the next save runs
    title.setFocus()
    qtbot.keyClicks(title, "ICB board, November")
    editor.save_now()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: editor.status.text() == "Saved", timeout=15_000)
    kept = state.vault.records.get(record_id).content
    assert (kept.title, kept.notes) == ("ICB board, November", MINUTES)
    assert notes.toPlainText() == MINUTES


def test_a_quick_note_that_could_not_be_added_goes_back_into_its_box(qtbot, window: MainWindow, small_disk: Path) -> None:  # noqa: ANN001
    state, editor = window._state, window.editor
    record_id = new_observation(qtbot, window)
    notes = editor._fields["notes"]
    notes.setFocus()
    notes.insertPlainText(MINUTES)
    editor.save_now()
    settle(qtbot, state)
    filler = fill_disk(small_disk)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.quick_note)
    qtbot.keyClicks(editor.quick_note, MINUTES[:2000])  # a long note: it needs pages the disk has not got
    qtbot.keyClick(editor.quick_note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.status.text().startswith("Note not added"), timeout=10_000)
    assert editor.quick_note.text() == MINUTES[:2000].strip()
    filler.unlink()
    editor.quick_note.setFocus()
    qtbot.keyClick(editor.quick_note, Qt.Key.Key_Return)  # tried again, with room
    qtbot.waitUntil(lambda: editor.status.text() == "Note added", timeout=10_000)
    settle(qtbot, state)
    assert state.vault.records.get(record_id).content.notes.endswith(MINUTES[:2000].strip())
    assert editor.quick_note.text() == ""
