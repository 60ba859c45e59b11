"""Nothing typed is ever lost: a date that does not read, a lock, switching records, tagging, a
colleague's revision arriving, a kill. Driven by keyboard through the real app (AppController,
unlock window, main window) on a real vault; each test finds every word afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit
from sync_fixtures import Service, colleagues
from vault_fixtures import PASSPHRASE, sample_contents
from window_fixtures import unlock

from fieldapp import domain
from fieldapp.dates import parse_when
from fieldapp.vault import Vault

from ui.app import AppController
from ui.main_window import MainWindow
from ui.state import AppState

PARAGRAPH = (
    "She said the discharge letter arrived a week after she got home. Nobody had told the district "
    "nurses, so the first visit was missed. Her daughter phoned the GP surgery three times."
)
MORE = " She has not had a carer's assessment."
ROOT = str(Path(__file__).resolve().parents[2])


@pytest.fixture
def app(qtbot, vault_path: Path) -> Iterator[AppController]:  # noqa: ANN001
    """The app on a vault with one assessment, unlocked by typing the passphrase."""
    seeded = Vault.open(vault_path, passphrase=PASSPHRASE)
    seeded.assessments.create("Northshire ICS")
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


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=20_000)


def lock_and_unlock(qtbot, controller: AppController) -> MainWindow:  # noqa: ANN001
    main = controller.main
    assert main is not None
    qtbot.keyClick(main, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # at once: no wait for autosave
    qtbot.waitUntil(lambda: controller.state.vault is not None and controller.state.vault.is_locked, timeout=15_000)
    return unlock(qtbot, controller)


def new_record(qtbot, main: MainWindow, key: Qt.Key) -> str:  # noqa: ANN001
    before = main.editor.record_id
    qtbot.keyClick(main, key, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main.editor.record_id not in (None, before) and "title" in main.editor._fields)
    record_id = main.editor.record_id
    assert record_id is not None
    return record_id


def type_into(qtbot, widget: QLineEdit | QPlainTextEdit, text: str) -> None:  # noqa: ANN001
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def open_from_list(qtbot, main: MainWindow, record_id: str) -> None:  # noqa: ANN001
    showing = main.editor.record_id
    main.refresh_list()
    # The list as it stands once the open record is in it too (a new one joins it a moment later).
    qtbot.waitUntil(lambda: all(main.model.row_of(r) is not None for r in (record_id, showing) if r), timeout=10_000)
    row = main.proxy.mapFromSource(main.model.index(main.model.row_of(record_id), 0)).row()
    main.table.setFocus()
    main.table.setCurrentIndex(main.proxy.index(row, 0))
    qtbot.waitUntil(lambda: main.editor.record_id == record_id and "notes" in main.editor._fields, timeout=10_000)


def fields(main: MainWindow) -> dict:
    return main.editor._fields


# -- 1. a date that does not read -----------------------------------------------------------------------


@pytest.mark.parametrize("when", ["21/11/2026 12:30", "yesterday afternoon"])
def test_an_interview_with_a_date_typed_the_british_way_or_in_words_keeps_every_word_through_switching_and_a_lock(
    qtbot, app: AppController, when: str  # noqa: ANN001
) -> None:
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_2)
    type_into(qtbot, fields(main)["title"], "Carer of a man discharged from hospital")
    type_into(qtbot, fields(main)["held_at"], when)
    type_into(qtbot, fields(main)["notes"], PARAGRAPH)

    other_id = new_record(qtbot, main, Qt.Key.Key_1)  # switch away at once…
    assert other_id != record_id
    open_from_list(qtbot, main, record_id)  # …and back
    readable = when[0].isdigit()
    assert fields(main)["notes"].toPlainText() == PARAGRAPH
    assert fields(main)["held_at"].text() == ("21/11/2026 12:30" if readable else when)
    notes = fields(main)["notes"]
    notes.setFocus()
    notes.moveCursor(notes.textCursor().MoveOperation.End)
    qtbot.keyClicks(notes, MORE)  # more words, then Ctrl+L at once

    main = lock_and_unlock(qtbot, app)
    open_from_list(qtbot, main, record_id)
    assert fields(main)["notes"].toPlainText() == PARAGRAPH + MORE
    assert fields(main)["title"].text() == "Carer of a man discharged from hospital"
    assert fields(main)["held_at"].text() == ("21/11/2026 12:30" if readable else when)
    note = main.editor._field_notes["held_at"]
    assert note.isVisible() != readable  # said beside the field, in words, and only when it does not read
    kept = app.state.vault.records.get(record_id)
    if readable:
        assert kept.content.held_at == parse_when(when) and not kept.as_typed
    else:
        assert "'yesterday afternoon' is not a date" in note.text()
        assert kept.as_typed == {"held_at": when} and "date-unreadable" in kept.flags
        row = main.model.row_of(record_id)
        assert "date" in main.model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole).lower()  # the list says so
    # Locking cut a revision of everything that reads: the notes are in it, ready to sync.
    last = app.state.vault.history.revisions(record_id)[-1]
    assert app.state.vault.history.snapshot(last.id).content.notes == PARAGRAPH + MORE


def test_a_contacts_date_in_words_keeps_the_contact_and_the_notes_through_switching_records_and_a_lock(
    qtbot, app: AppController  # noqa: ANN001
) -> None:
    main = app.main
    assert main is not None
    case_id = new_record(qtbot, main, Qt.Key.Key_3)
    type_into(qtbot, fields(main)["title"], "Mr B, hospital to home")
    timeline = fields(main)["contacts"]
    qtbot.mouseClick(timeline.buttons["add"], Qt.MouseButton.LeftButton)
    for number, text in enumerate(["last Tuesday", "Emergency department", "Admitted after a fall"]):
        editor = QApplication.focusWidget()
        assert isinstance(editor, QLineEdit) and timeline.isAncestorOf(editor)
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Tab if number < 2 else Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: timeline.view.state() != timeline.view.State.EditingState)
    type_into(qtbot, fields(main)["notes"], PARAGRAPH)

    other_id = new_record(qtbot, main, Qt.Key.Key_1)  # switch away at once…
    assert other_id != case_id
    open_from_list(qtbot, main, case_id)  # …and back
    rows = fields(main)["contacts"].model.rows()
    assert [(c.date, c.service, c.what_happened) for c in rows] == [("last Tuesday", "Emergency department", "Admitted after a fall")]
    assert fields(main)["notes"].toPlainText() == PARAGRAPH
    assert "Contact 1: 'last Tuesday' is not a date" in main.editor._field_notes["contacts"].text()

    main = lock_and_unlock(qtbot, app)
    open_from_list(qtbot, main, case_id)
    rows = fields(main)["contacts"].model.rows()
    assert [(c.date, c.service) for c in rows] == [("last Tuesday", "Emergency department")]
    assert fields(main)["notes"].toPlainText() == PARAGRAPH
    # Fixed later, the day-first date is kept and the note goes.
    timeline = fields(main)["contacts"]
    timeline.view.setCurrentIndex(timeline.model.index(0, 0))
    timeline.view.setFocus()
    qtbot.keyClick(timeline.view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "17/11/2026")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: timeline.view.state() != timeline.view.State.EditingState)  # Enter commits a turn later
    qtbot.waitUntil(lambda: not main.editor._timer.isActive())  # leaving the cell saved at once
    settle(qtbot, app.state)
    kept = app.state.vault.records.get(case_id)
    assert kept.content.contacts[0].date == "2026-11-17" and kept.as_typed == {}
    assert not main.editor._field_notes["contacts"].isVisible()


_CHILD = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from fieldapp.vault import Vault
    from ui.main_window import MainWindow
    from ui.state import AppState

    app = QApplication([])
    vault = Vault.open(sys.argv[1], passphrase=sys.argv[2])
    state = AppState(vault_path=vault.path, vault=vault)
    window = MainWindow(state)
    window.show()
    window.load()

    def start():
        if window.assessments.count() == 0:
            QTimer.singleShot(50, start)
            return
        window.new_actions[sys.argv[3]].trigger()
        QTimer.singleShot(300, type_all)

    def type_all():
        fields = window.editor._fields
        if "notes" not in fields:
            QTimer.singleShot(50, type_all)
            return
        if "held_at" in fields:
            QTest.keyClicks(fields["held_at"], "yesterday afternoon")
        else:
            table = fields["contacts"]
            table.buttons["add"].click()
            QTest.keyClicks(QApplication.focusWidget(), "the week before")
        QTest.keyClicks(fields["notes"], sys.argv[4])
        print("typed", window.editor.record_id, flush=True)

    QTimer.singleShot(0, start)
    app.exec()
    """
)


@pytest.mark.parametrize(("kind", "typed_at"), [("interview", "held_at"), ("case_tracking", "contacts")])
def test_a_killed_app_keeps_a_date_in_words_and_every_word_after_it(vault_path: Path, tmp_path: Path, kind: str, typed_at: str) -> None:
    seeded = Vault.open(vault_path, passphrase=PASSPHRASE)
    seeded.assessments.create("Killed mid-morning")
    seeded.lock()
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(vault_path), PASSPHRASE, kind, PARAGRAPH],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ROOT},
    )  # fmt: skip
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("typed"), child.stderr.read() if child.stderr else line
    time.sleep(3.0)  # the autosave's half second has long passed; nothing was locked or closed
    child.send_signal(signal.SIGKILL)
    child.communicate()
    record_id = line.split()[1]
    reopened = Vault.open(vault_path, passphrase=PASSPHRASE)
    try:
        kept = reopened.records.get(record_id)
    finally:
        reopened.lock()
    assert kept.content.notes == PARAGRAPH
    if typed_at == "held_at":
        assert kept.as_typed == {"held_at": "yesterday afternoon"}
    else:
        (contact,) = kept.content.contacts
        assert kept.as_typed == {f"contacts.{contact.id}.date": "the week before"}


# -- 2. tagging after a lock --------------------------------------------------------------------------


def test_after_a_lock_the_statements_are_there_to_tag_a_record_and_a_passage(qtbot, app: AppController) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_1)
    type_into(qtbot, fields(main)["notes"], "The chair asked for the winter plan by Friday.")
    main = lock_and_unlock(qtbot, app)
    open_from_list(qtbot, main, record_id)
    panel = main.editor.tag_panel
    statements = panel._statement_items()
    assert len(statements) == 17  # the whole framework, not an empty list
    leaders = next(item for item in statements if item.data(0, Qt.ItemDataRole.UserRole) == "capable-compassionate-inclusive-leaders")
    leaders.setCheckState(0, Qt.CheckState.Checked)
    settle(qtbot, app.state)
    notes = fields(main)["notes"]
    cursor = notes.textCursor()
    start = notes.toPlainText().index("winter plan")
    cursor.setPosition(start)
    cursor.setPosition(start + len("winter plan"), cursor.MoveMode.KeepAnchor)
    notes.setTextCursor(cursor)
    governance = next(item for item in statements if item.data(0, Qt.ItemDataRole.UserRole) == "governance-management-sustainability")
    panel.tree.setCurrentItem(governance)
    qtbot.mouseClick(panel.tag_passage, Qt.MouseButton.LeftButton)
    settle(qtbot, app.state)
    links = app.state.vault.records.get(record_id).links
    assert {(link.statement_id, link.passage.text if link.passage else None) for link in links} == {
        ("capable-compassionate-inclusive-leaders", None),
        ("governance-management-sustainability", "winter plan"),
    }


# -- 3. typing just after tagging -----------------------------------------------------------------------


def test_words_typed_just_after_tagging_survive_the_next_lock_without_a_word_about_another_device(
    qtbot, app: AppController  # noqa: ANN001
) -> None:
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_1)
    type_into(qtbot, fields(main)["title"], "ICB board")
    main.editor.save_now()
    settle(qtbot, app.state)
    safeguarding = next(i for i in main.editor.tag_panel._statement_items() if i.data(0, Qt.ItemDataRole.UserRole) == "safeguarding")
    safeguarding.setCheckState(0, Qt.CheckState.Checked)
    type_into(qtbot, fields(main)["notes"], PARAGRAPH)
    qtbot.wait(3_000)
    assert "another device" not in main.editor.status.text()
    main = lock_and_unlock(qtbot, app)
    open_from_list(qtbot, main, record_id)
    assert fields(main)["notes"].toPlainText() == PARAGRAPH
    assert [link.statement_id for link in app.state.vault.records.get(record_id).links] == ["safeguarding"]


def test_words_typed_after_tagging_survive_a_colleagues_revision_arriving_in_between_and_a_lock(
    qtbot, sqlite_service: Service, make_device  # noqa: ANN001
) -> None:
    _assessment_id, mine, theirs, record_id = colleagues(sqlite_service, make_device, sample_contents()[0])
    state = AppState(vault_path=mine.vault.path, vault=mine.vault, idle_lock_s=0)
    controller = AppController(state)
    controller._show_main()
    main = controller.main
    assert main is not None and record_id is not None
    qtbot.addWidget(main)
    try:
        main.open_record(record_id)
        qtbot.waitUntil(lambda: main.editor.record_id == record_id and "notes" in main.editor._fields)
        before = fields(main)["notes"].toPlainText()
        item = next(i for i in main.editor.tag_panel._statement_items() if i.data(0, Qt.ItemDataRole.UserRole) == "safeguarding")
        item.setCheckState(0, Qt.CheckState.Checked)
        settle(qtbot, state)
        # A colleague changes the location; it arrives here between the tag and the typing.
        base = theirs.vault.records.get(record_id).content
        theirs.vault.records.save(record_id, domain.Observation(**{**base.__dict__, "location": "Council chamber"}))
        theirs.sync()
        assert state.sync is not None
        state.sync.sync_now()
        qtbot.waitUntil(lambda: fields(main)["location"].text() == "Council chamber", timeout=20_000)
        notes = fields(main)["notes"]
        notes.setFocus()
        cursor = notes.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        notes.setTextCursor(cursor)
        qtbot.keyClick(notes, Qt.Key.Key_Return)
        qtbot.keyClicks(notes, PARAGRAPH)
        qtbot.wait(3_000)
        main = lock_and_unlock(qtbot, controller)
        open_from_list(qtbot, main, record_id)
        assert fields(main)["notes"].toPlainText() == before + "\n" + PARAGRAPH
        kept = state.vault.records.get(record_id)
        assert kept.content.location == "Council chamber" and [link.statement_id for link in kept.links] == ["safeguarding"]
    finally:
        main.close()
        settle(qtbot, state)
        if state.sync is not None:
            state.sync.shutdown()
        state.tasks.shutdown()


# -- every other way out: idle lock, the screen locking, closing the window ---------------------------


@pytest.mark.parametrize("way_out", ["idle", "screen", "close"])
def test_every_way_of_leaving_keeps_a_date_in_words_and_the_notes(qtbot, app: AppController, vault_path: Path, way_out: str) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_2)
    type_into(qtbot, fields(main)["held_at"], "after the carers' forum")
    type_into(qtbot, fields(main)["notes"], PARAGRAPH)
    vault = app.state.vault
    assert vault is not None
    if way_out == "idle":
        app.state.idle_lock_s = 1
        app._arm_idle()
        qtbot.waitUntil(lambda: vault.is_locked, timeout=10_000)
    elif way_out == "screen":
        app.screen_lock.screen_locked.emit()
        qtbot.waitUntil(lambda: vault.is_locked, timeout=10_000)
    else:
        main.close()
        settle(qtbot, app.state)
        app.state.tasks.run(vault.lock, lambda _none: None, lambda _exc: None)
        qtbot.waitUntil(lambda: vault.is_locked, timeout=10_000)
    reopened = Vault.open(vault_path, passphrase=PASSPHRASE)
    try:
        kept = reopened.records.get(record_id)
    finally:
        reopened.lock()
    assert kept.content.notes == PARAGRAPH and kept.as_typed == {"held_at": "after the carers' forum"}
    if way_out != "close":
        app.state.idle_lock_s = 0
        unlock(qtbot, app)


def test_opening_the_record_already_open_again_keeps_the_form_being_typed_into(qtbot, app: AppController) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_2)
    stale = app.state.vault.records.get(record_id)  # as a second, slower request to open it returns it
    when = fields(main)["held_at"]
    type_into(qtbot, when, "21/11/2026 14:30")
    main.editor.show_record(stale)  # a list refreshed under the cursor asks to open it once more
    assert fields(main)["held_at"] is when and when.text() == "21/11/2026 14:30"
    main.editor.save_now()
    settle(qtbot, app.state)
    assert app.state.vault.records.get(record_id).content.held_at == parse_when("21/11/2026 14:30")


def test_words_typed_just_before_tagging_or_attaching_are_kept(qtbot, app: AppController, tmp_path: Path) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_1)
    type_into(qtbot, fields(main)["notes"], "Typed, then tagged at once.")
    item = next(i for i in main.editor.tag_panel._statement_items() if i.data(0, Qt.ItemDataRole.UserRole) == "learning-culture")
    item.setCheckState(0, Qt.CheckState.Checked)  # well within the autosave's half second
    photo = tmp_path / "agenda.txt"
    photo.write_text("Agenda")
    type_into(qtbot, fields(main)["notes"], " Then a file.")
    main.editor.attachments.add_paths([photo])
    settle(qtbot, app.state)
    main.editor.show_record(None)  # leave the record
    settle(qtbot, app.state)
    kept = app.state.vault.records.get(record_id)
    assert kept.content.notes == "Typed, then tagged at once. Then a file."
    assert [link.statement_id for link in kept.links] == ["learning-culture"] and [a.name for a in kept.attachments] == ["agenda.txt"]


# -- quick notes: on every kind of record, and kept as typed until Enter adds them -------------------


@pytest.mark.parametrize("k", [Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4])
def test_a_quick_note_not_yet_added_is_kept_as_typed_through_switching_records_and_a_lock(qtbot, app: AppController, k: Qt.Key) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, k)
    qtbot.keyClick(main, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is main.editor.quick_note)
    qtbot.keyClicks(main.editor.quick_note, "Chair leaves at 11")  # no Enter
    other = new_record(qtbot, main, Qt.Key.Key_1)
    assert other != record_id
    main = lock_and_unlock(qtbot, app)
    open_from_list(qtbot, main, record_id)
    assert main.editor.quick_note is not None and main.editor.quick_note.text() == "Chair leaves at 11"
    kept = app.state.vault.records.get(record_id)
    assert kept.as_typed == {"quick_note": "Chair leaves at 11"} and "date-unreadable" not in kept.flags
    main.editor.quick_note.setFocus()
    qtbot.keyClick(main.editor.quick_note, Qt.Key.Key_Return)  # now it is added, with the time
    qtbot.waitUntil(lambda: "Chair leaves at 11" in fields(main)["notes"].toPlainText(), timeout=5_000)
    settle(qtbot, app.state)
    main.editor.save_now()
    settle(qtbot, app.state)
    kept = app.state.vault.records.get(record_id)
    assert kept.content.notes.endswith("Chair leaves at 11") and kept.as_typed == {}


def test_a_date_in_words_leaves_no_stale_date_for_colleagues_and_a_year_far_ahead_is_questioned(qtbot, app: AppController) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_2)
    type_into(qtbot, fields(main)["held_at"], "21/11/2026 14:30")
    main.editor.save_now()
    settle(qtbot, app.state)
    fields(main)["held_at"].selectAll()
    type_into(qtbot, fields(main)["held_at"], "after lunch")
    main.editor.save_now()
    settle(qtbot, app.state)
    kept = app.state.vault.records.get(record_id)
    assert kept.content.held_at is None and kept.as_typed == {"held_at": "after lunch"}  # not 21/11 any more
    fields(main)["held_at"].selectAll()
    type_into(qtbot, fields(main)["held_at"], "21/11/2062 10:00")
    main.editor.save_now()
    note = main.editor._field_notes["held_at"]
    assert note.isVisible() and "in the future: check the year" in note.text()
    settle(qtbot, app.state)
    assert app.state.vault.records.get(record_id).content.held_at == parse_when("21/11/2062 10:00")  # saved as typed


def test_after_unlocking_the_record_open_at_the_lock_is_open_again(qtbot, app: AppController) -> None:  # noqa: ANN001
    main = app.main
    assert main is not None
    record_id = new_record(qtbot, main, Qt.Key.Key_3)
    type_into(qtbot, fields(main)["title"], "Mr B, hospital to home")
    main = lock_and_unlock(qtbot, app)
    qtbot.waitUntil(lambda: main.editor.record_id == record_id and "title" in main.editor._fields, timeout=10_000)
    assert fields(main)["title"].text() == "Mr B, hospital to home"


def test_sync_settings_open_at_an_idle_lock_is_out_of_sight_and_back_after_the_unlock_with_what_was_typed(
    qtbot, app: AppController  # noqa: ANN001
) -> None:
    from PySide6.QtWidgets import QApplication

    from ui.sync_panel import SyncSettings

    main = app.main
    assert main is not None
    main.actions_by_name["sync_settings"].trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, SyncSettings) and w.isVisible() for w in QApplication.topLevelWidgets()))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SyncSettings))
    qtbot.keyClicks(dialog.code, "ABCD-EFGH")
    app.lock()  # as the idle timer does, with the dialog open
    qtbot.waitUntil(lambda: app.state.vault is not None and app.state.vault.is_locked, timeout=15_000)
    assert not dialog.isVisible()  # nothing over the unlock window, nor holding its keyboard
    assert QApplication.activeModalWidget() is None
    main = unlock(qtbot, app)
    qtbot.waitUntil(dialog.isVisible, timeout=10_000)  # back as it was
    assert dialog.code.text() == "ABCD-EFGH"
    dialog.reject()
