"""Concerns in the app (issue 15), driven as an inspector would on a real vault with real widgets:
raised from the Record menu and from a selection by keyboard alone, Esc makes none, typing is never
lost, the quiet ask after a People's experience tag, the Concerns view, the coverage flag, the list
filter, and the reminders (status bar, Lock, Quit, the idle lock) until the office acknowledges one
through the real service and its admin command."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication
from sync_fixtures import Device, Service
from vault_fixtures import PASSPHRASE
from window_fixtures import settle, state, window, window_on  # noqa: F401

from fieldapp import domain
from fieldapp.item_kinds import ConcernContent
from fieldapp.vault import Vault
from sync.server.cli import main as server_cli

from ui.app import AppController
from ui.concerns.ask import QUESTION
from ui.concerns.dialog import ConcernDialog
from ui.concerns.reminders import LeavingReminder
from ui.concerns.view import CONCERN_ROLE, ConcernsModel
from ui.held_dialogs import showing
from ui.main_window import MainWindow
from ui.state import AppState
from ui.unlock import UnlockWindow

NOTES = "Mr B said a carer pushed him back into his chair. He is afraid to ask for help at night."
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_interview(qtbot, window: MainWindow, notes: str = NOTES) -> str:  # noqa: ANN001
    """A new interview with its notes typed (and saved), the cursor at their end."""
    window.new_actions["interview"].trigger()
    qtbot.waitUntil(lambda: "notes" in window.editor._fields, timeout=10_000)
    qtbot.keyClicks(window.editor._fields["title"], "Mr B, home visit")
    window.editor._fields["notes"].setFocus()
    qtbot.keyClicks(window.editor._fields["notes"], notes)
    settle(qtbot, window._state)
    assert window.editor.record_id is not None
    return window.editor.record_id


def dialog_of(qtbot, window: MainWindow) -> ConcernDialog:  # noqa: ANN001
    qtbot.waitUntil(lambda: isinstance(window.concern_dialog, ConcernDialog) and window.concern_dialog.isVisible(), timeout=10_000)
    qtbot.waitUntil(window.concern_dialog.heard.hasFocus)  # the keys go to what was heard at once
    return window.concern_dialog


def press(qtbot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # noqa: ANN001
    """A key to whatever has the focus now, as a person's keyboard sends it."""
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key, modifiers)


def select_in_notes(window: MainWindow, words: str) -> None:
    notes = window.editor._fields["notes"]
    start = notes.toPlainText().index(words)
    cursor = notes.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(start + len(words), QTextCursor.MoveMode.KeepAnchor)
    notes.setTextCursor(cursor)


def test_a_concern_raised_from_the_record_menu_mid_typing_by_keyboard_keeps_every_word_typed(
    qtbot, window: MainWindow, vault: Vault, assessment_id: str  # noqa: ANN001
) -> None:
    record_id = open_interview(qtbot, window)
    qtbot.keyClicks(window.editor._fields["notes"], " Night staff laugh")  # still typing: no autosave yet
    press(qtbot, Qt.Key.Key_R, CTRL_SHIFT)  # Record → Raise a concern…
    dialog = dialog_of(qtbot, window)
    assert dialog.heard.hasFocus() and not dialog.passage.isVisible()  # the whole record: no passage
    assert dialog.kind.currentData() == "safeguarding" and "safeguarding" in dialog.chosen_statements()
    qtbot.keyClicks(dialog.heard, "Mr B says a carer pushed him.")
    press(qtbot, Qt.Key.Key_Tab)  # to the statements
    press(qtbot, Qt.Key.Key_Tab)  # to who else should know
    assert dialog.tell.hasFocus()
    qtbot.keyClicks(dialog.tell, "Local authority safeguarding team")
    press(qtbot, Qt.Key.Key_Return)  # the default button: Raise concern
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=10_000)
    settle(qtbot, window._state)

    (concern,) = vault.concerns.list(assessment_id)
    assert (concern.content.record_id, concern.content.heard, concern.content.tell) == (
        record_id, "Mr B says a carer pushed him.", "Local authority safeguarding team",
    )  # fmt: skip
    assert concern.content.statements == ("safeguarding",) and concern.state == "raised" and concern.record_title == "Mr B, home visit"
    assert vault.records.get(record_id).content.notes == NOTES + " Night staff laugh"  # nothing typed was lost
    message = window.statusBar().currentMessage()
    assert message.startswith("Concern raised.") and "not set up to sync" in message  # and what happens to it, in words
    qtbot.waitUntil(lambda: window.concern_reminder.button.text() == "⚠ 1 concern not yet acknowledged by the office")
    assert window.concern_reminder.button.isVisible()


def test_a_concern_raised_from_a_selection_links_the_passage_and_shows_it_read_only(
    qtbot, window: MainWindow, vault: Vault, assessment_id: str  # noqa: ANN001
) -> None:
    record_id = open_interview(qtbot, window)
    select_in_notes(window, "a carer pushed him back into his chair")
    press(qtbot, Qt.Key.Key_R, CTRL_SHIFT)
    dialog = dialog_of(qtbot, window)
    assert dialog.passage.isVisible() and dialog.passage.isReadOnly()
    assert dialog.passage.toPlainText() == "a carer pushed him back into his chair"
    dialog.urgency.setFocus()
    press(qtbot, Qt.Key.Key_Down)  # Immediate → Soon, by keyboard
    dialog.heard.setFocus()
    qtbot.keyClicks(dialog.heard, "Pushed back into his chair.")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    settle(qtbot, window._state)
    (concern,) = vault.concerns.list(assessment_id)
    start = NOTES.index("a carer")
    assert (concern.content.passage_field, concern.content.passage_start, concern.content.passage_end) == (
        "notes", start, start + len("a carer pushed him back into his chair"),
    )  # fmt: skip
    assert concern.content.urgency == "soon" and concern.passage == "a carer pushed him back into his chair"
    assert concern.content.record_id == record_id


def test_escape_in_the_raise_dialog_makes_no_concern_and_an_empty_heard_is_refused_in_words(
    qtbot, window: MainWindow, vault: Vault, assessment_id: str  # noqa: ANN001
) -> None:
    open_interview(qtbot, window)
    press(qtbot, Qt.Key.Key_R, CTRL_SHIFT)
    dialog = dialog_of(qtbot, window)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)  # nothing said of what was heard
    assert dialog.status.text() == "Say what was heard or seen: the office acts on these words." and dialog.heard.hasFocus()
    qtbot.keyClicks(dialog.heard, "Something")
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
    settle(qtbot, window._state)
    assert vault.concerns.list(assessment_id) == ()
    assert not window.concern_reminder.button.isVisible()


def test_the_editor_button_and_the_notes_menu_raise_a_concern_too(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    open_interview(qtbot, window)
    assert window.editor.concern_button.isVisible()
    select_in_notes(window, "afraid to ask for help at night")
    qtbot.mouseClick(window.editor.concern_button, Qt.MouseButton.LeftButton)
    dialog = dialog_of(qtbot, window)
    assert dialog.passage.toPlainText() == "afraid to ask for help at night"  # the selection stays the passage
    dialog.reject()


def test_the_quiet_ask_comes_once_per_peoples_experience_tag_and_never_takes_the_focus(
    qtbot, window: MainWindow, vault: Vault, assessment_id: str  # noqa: ANN001
) -> None:
    record_id = open_interview(qtbot, window)
    panel = window.editor.tag_panel
    item = next(i for i in panel._statement_items() if i.data(0, Qt.ItemDataRole.UserRole) == "safeguarding")
    panel.tree.setCurrentItem(item)
    assert panel.category.currentText() == "Default: People's experience"  # a person who uses services, by default
    select_in_notes(window, "afraid to ask for help at night")
    notes = window.editor._fields["notes"]
    notes.setFocus()
    press(qtbot, Qt.Key.Key_T, CTRL_SHIFT)  # Tag selected text
    settle(qtbot, window._state)
    qtbot.waitUntil(lambda: window.editor.ask.isVisible(), timeout=10_000)
    assert window.editor.ask.question.text().startswith(QUESTION)
    assert notes.hasFocus()  # the question waits; typing goes on
    qtbot.keyClicks(notes, " More words")
    qtbot.mouseClick(window.editor.ask.no_button, Qt.MouseButton.LeftButton)
    assert not window.editor.ask.isVisible()
    (link,) = vault.records.get(record_id).links
    assert vault.concern_notes.asked(link.id)

    window.editor.show_record(None)  # leave and come back: that tag is not asked about again
    window.open_record(record_id)
    qtbot.waitUntil(lambda: window.editor.record_id == record_id)
    settle(qtbot, window._state)
    assert not window.editor.ask.isVisible() and not vault.concern_notes.ask_once(link.id)

    item = next(i for i in panel._statement_items() if i.data(0, Qt.ItemDataRole.UserRole) == "safeguarding")
    panel.tree.setCurrentItem(item)
    select_in_notes(window, "a carer pushed him")  # a second tag: asked about; Raise a concern… opens the dialog
    window.editor._fields["notes"].setFocus()
    press(qtbot, Qt.Key.Key_T, CTRL_SHIFT)
    qtbot.waitUntil(lambda: window.editor.ask.isVisible(), timeout=10_000)
    qtbot.mouseClick(window.editor.ask.raise_button, Qt.MouseButton.LeftButton)
    dialog = dialog_of(qtbot, window)
    assert dialog.kind.currentData() == "poor_experience" and dialog.passage.toPlainText() == "a carer pushed him"
    dialog.reject()
    assert vault.concerns.list(assessment_id) == ()


def test_the_concerns_view_lists_each_concern_in_words_opens_its_record_and_changes_it(
    qtbot, window: MainWindow, vault: Vault, assessment_id: str  # noqa: ANN001
) -> None:
    record_id = vault.records.create(assessment_id, domain.Interview(title="Mrs D", notes=NOTES)).value.id
    raised = vault.concerns.raise_concern(assessment_id, ConcernContent("risk_of_harm", "soon", "Falls at night", record_id=record_id)).value
    press(qtbot, Qt.Key.Key_O, CTRL_SHIFT)  # View → Concerns
    view = window.concerns
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    texts = [view.model.index(0, c).data() for c in range(5)]
    assert texts[:3] == ["Risk of harm", "Soon", "Mrs D"] and texts[4] == "Raised, not sent yet"
    assert texts[3][2] == "/" and texts[3][10:14] == " at " and " by " in texts[3]  # day first: "07/12/2026 at 10:42 by …"
    assert view.table.hasFocus() and view.summary.text() == "1 concern not yet acknowledged by the office."
    view.edit_current()
    dialog = dialog_of(qtbot, window)
    dialog.urgency.setCurrentIndex(dialog.urgency.findData("immediate"))
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1 and view.model.index(0, 1).data() == "Immediate", timeout=10_000)
    assert vault.concerns.get(raised.id).content.urgency == "immediate"
    qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter opens the record it was raised from
    qtbot.waitUntil(lambda: window.editor.record_id == record_id, timeout=10_000)
    assert window.tabs.currentIndex() == 0


def test_the_concerns_model_passes_the_model_tester(qtmodeltester, vault: Vault, assessment_id: str) -> None:  # noqa: ANN001
    record_id = vault.records.create(assessment_id, domain.Interview(title="Mrs D", notes=NOTES)).value.id
    for kind in ("safeguarding", "other"):
        vault.concerns.raise_concern(assessment_id, ConcernContent(kind, "routine", "Heard", record_id=record_id))
    model = ConcernsModel()
    model.set_rows(vault.concerns.list(assessment_id))
    qtmodeltester.check(model)
    assert model.index(0, 0).data(CONCERN_ROLE) == vault.concerns.list(assessment_id)[0].id


def test_coverage_flags_the_statements_a_concern_touches_and_the_list_filters_to_records_with_one(
    qtbot, window: MainWindow, vault: Vault, assessment_id: str  # noqa: ANN001
) -> None:
    with_one = vault.records.create(assessment_id, domain.Interview(title="Mrs D", notes=NOTES)).value.id
    vault.records.create(assessment_id, domain.Observation(title="Board meeting"))
    vault.concerns.raise_concern(
        assessment_id, ConcernContent("safeguarding", "immediate", "Pushed", record_id=with_one, statements=("safeguarding",))
    )
    window.actions_by_name["show_coverage"].trigger()
    grid = window.coverage.grid
    qtbot.waitUntil(lambda: grid.rowCount() > 0 and any(
        grid.verticalHeaderItem(r) is not None and grid.verticalHeaderItem(r).text() == "⚠ ⚑ Safeguarding" for r in range(grid.rowCount())
    ), timeout=10_000)  # fmt: skip
    row = next(r for r in range(grid.rowCount()) if grid.verticalHeaderItem(r).text().endswith("Safeguarding"))
    assert grid.verticalHeaderItem(row).toolTip() == "1 concern touches this statement; 1 not yet acknowledged by the office"
    assert not any("⚑" in grid.verticalHeaderItem(r).text() for r in range(grid.rowCount()) if r != row)
    assert "⚑ marks the 1 statement a concern touches." in window.coverage.summary.text()

    window.actions_by_name["show_evidence"].trigger()
    window.refresh_list()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    window.list_filters.concern.setChecked(True)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    assert window.model.summary(0).id == with_one


# -- reminders, on the real service ------------------------------------------------------------------


def acknowledge(service: Service, concern_id: str) -> None:
    """The office acknowledges, through `fieldapp-server admin concern acknowledge`, as it types it."""
    where = ["--data", str(service.settings.data_dir)]
    if service.settings.database_url:
        where += ["--database-url", service.settings.database_url]
    assert server_cli([*where, "admin", "concern", "acknowledge", concern_id, "--note", "Referred to the LA", "--by", "Sam Office"]) == 0


def test_the_status_bar_reminds_until_the_office_acknowledges_through_the_real_service(
    qtbot, sqlite_service: Service, make_device, capsys  # noqa: ANN001
) -> None:
    assessment_id, (inspector,) = sqlite_service.team()
    device: Device = make_device(sqlite_service, inspector)
    device.sync()
    with window_on(qtbot, device.vault) as (window, state):
        state.signals.vault_unlocked.emit()  # as after unlocking: the sync controller starts
        qtbot.waitUntil(lambda: window.sync.view.state == "up-to-date", timeout=20_000)
        record_id = open_interview(qtbot, window)
        press(qtbot, Qt.Key.Key_R, CTRL_SHIFT)
        dialog = dialog_of(qtbot, window)
        qtbot.keyClicks(dialog.heard, "Pushed back into his chair")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Concern raised. Sending it to the office now"), timeout=10_000)
        (concern,) = device.vault.concerns.list(assessment_id)
        qtbot.waitUntil(lambda: device.vault.concerns.get(concern.id).state == "sent", timeout=20_000)  # the sync it started
        qtbot.waitUntil(lambda: window.concern_reminder.open_count == 1 and window.concern_reminder.unsent == 0, timeout=20_000)
        window.show_concerns()
        qtbot.waitUntil(lambda: window.concerns.model.rowCount() == 1 and window.concerns.model.index(0, 4).data().startswith("Sent to the office on "), timeout=20_000)
        sent_words = window.concerns.model.index(0, 4).data()  # "Sent to the office on 07/12/2026 at 10:42, not yet acknowledged"
        assert sent_words.endswith(", not yet acknowledged") and sent_words[24] == "/" and " at " in sent_words
        assert window.concern_reminder.button.text() == "⚠ 1 concern not yet acknowledged by the office"
        assert device.vault.records.get(record_id).content.notes == NOTES

        acknowledge(sqlite_service, concern.id)
        capsys.readouterr()
        assert window.concern_reminder.button.isVisible()  # until the laptop hears of it
        window.sync.sync_now()
        qtbot.waitUntil(lambda: not window.concern_reminder.button.isVisible(), timeout=20_000)
        qtbot.waitUntil(lambda: window.concerns.model.rowCount() == 0, timeout=10_000)  # not open any more
        window.concerns.filter.setCurrentIndex(1)  # all concerns
        qtbot.waitUntil(lambda: window.concerns.model.rowCount() == 1, timeout=10_000)
        state_text = window.concerns.model.index(0, 4).data()
        assert state_text.startswith("Acknowledged by Sam Office on ") and state_text.endswith(": Referred to the LA") and " at " in state_text


def test_sync_now_then_lock_sends_an_unsent_concern_before_the_lock(qtbot, sqlite_service: Service, make_device) -> None:  # noqa: ANN001
    assessment_id, (inspector,) = sqlite_service.team()
    device: Device = make_device(sqlite_service, inspector)
    device.sync()
    concern = device.vault.concerns.raise_concern(assessment_id, ConcernContent("risk_of_harm", "immediate", "No food in the fridge")).value
    with window_on(qtbot, device.vault) as (window, _state):
        window.sync.refresh_status()
        qtbot.waitUntil(lambda: window.sync.view.state == "waiting" and window.concern_reminder.unsent == 1, timeout=10_000)
        window.request_lock()
        reminder = window._leaving
        assert isinstance(reminder, LeavingReminder) and reminder.sync_button.isVisible()
        assert reminder.words.text() == (
            "1 concern not yet acknowledged by the office. It has not been sent yet. It goes first at the next sync; if it is "
            "urgent, phone the office."
        )  # fmt: skip
        with qtbot.waitSignal(window.lock_requested, timeout=20_000):
            qtbot.mouseClick(reminder.sync_button, Qt.MouseButton.LeftButton)
        assert device.vault.concerns.get(concern.id).state == "sent"  # sent, then the lock went on


def test_after_sync_now_then_lock_the_lock_screen_says_the_concern_was_sent(qtbot, sqlite_service: Service, make_device) -> None:  # noqa: ANN001
    # Seen on a real screen: the concern reached the office, yet the unlock window said "It has not
    # been sent yet": the lock went on with the counts read before the sync.
    assessment_id, (inspector,) = sqlite_service.team()
    device: Device = make_device(sqlite_service, inspector)
    device.sync()
    device.vault.concerns.raise_concern(assessment_id, ConcernContent("risk_of_harm", "immediate", "No food in the fridge"))
    with window_on(qtbot, device.vault) as (window, _state):
        window.sync.refresh_status()
        qtbot.waitUntil(lambda: window.sync.view.state == "waiting" and window.concern_reminder.unsent == 1, timeout=10_000)
        window.request_lock()
        reminder = window._leaving
        assert isinstance(reminder, LeavingReminder)
        with qtbot.waitSignal(window.lock_requested, timeout=20_000):
            qtbot.mouseClick(reminder.sync_button, Qt.MouseButton.LeftButton)
        assert window.concern_reminder.unsent == 0
        assert "It has been sent" in window.concern_reminder.lock_words()

def _app(qtbot, vault: Vault, tmp_path: Path) -> tuple[AppController, MainWindow]:  # noqa: ANN001
    state = AppState(vault_path=vault.path, vault=vault, settings_file=tmp_path / "fieldapp.conf", idle_lock_s=0)
    controller = AppController(state)
    controller.on_wizard_created(vault)  # straight to the main window, as after unlocking
    main = controller.main
    assert main is not None
    qtbot.addWidget(main)
    qtbot.waitUntil(lambda: main.assessments.count() == 1 and state.tasks.pending == 0, timeout=10_000)
    return controller, main


def test_lock_reminds_of_an_unsent_concern_then_locks_and_the_idle_lock_never_waits(
    qtbot, vault: Vault, assessment_id: str, tmp_path: Path  # noqa: ANN001
) -> None:
    controller, main = _app(qtbot, vault, tmp_path)
    state = controller.state
    record_id = open_interview(qtbot, main)
    vault.concerns.raise_concern(assessment_id, ConcernContent("safeguarding", "immediate", "Pushed", record_id=record_id))
    main.concern_reminder.refresh()
    qtbot.waitUntil(lambda: main.concern_reminder.open_count == 1, timeout=10_000)
    qtbot.keyClicks(main.editor._fields["notes"], " Typed last")  # no autosave yet

    press(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(main._leaving, LeavingReminder) and main._leaving.isVisible())
    reminder = main._leaving
    assert reminder.words.text().startswith("1 concern not yet acknowledged by the office. It has not been sent yet.")
    assert "not set up to sync" in reminder.words.text() and not reminder.sync_button.isVisible()  # nothing to sync with
    assert reminder.countdown.text() == "Going on to lock in 15 s."
    qtbot.waitUntil(reminder.go.hasFocus)
    press(qtbot, Qt.Key.Key_Return)  # Lock now
    qtbot.waitUntil(lambda: state.vault.is_locked, timeout=10_000)
    unlock = controller.window
    assert isinstance(unlock, UnlockWindow)
    qtbot.addWidget(unlock)
    assert unlock.reminder.text().startswith("Reminder: 1 concern not yet acknowledged by the office. It has not been sent yet.")
    state.vault.unlock(passphrase=PASSPHRASE)
    assert state.vault.records.get(record_id).content.notes == NOTES + " Typed last"

    controller._show_main()  # unlocked again; now the idle lock: no reminder dialog, the lock happens at once
    qtbot.waitUntil(lambda: main.concern_reminder.open_count == 1 and state.tasks.pending == 0, timeout=10_000)
    controller.lock()  # what the idle timer and the screen lock call
    assert not showing(main._leaving)
    qtbot.waitUntil(lambda: state.vault.is_locked, timeout=10_000)
    assert controller.window.reminder.text().startswith("Reminder: 1 concern")
    controller.window.close()
    state.tasks.shutdown()


def test_quit_reminds_then_carries_on_by_itself_and_escape_stays(qtbot, vault: Vault, assessment_id: str, tmp_path: Path) -> None:  # noqa: ANN001
    controller, main = _app(qtbot, vault, tmp_path)
    state = controller.state
    vault.concerns.raise_concern(assessment_id, ConcernContent("other", "routine", "Heard"))
    main.concern_reminder.refresh()
    qtbot.waitUntil(lambda: main.concern_reminder.open_count == 1, timeout=10_000)
    main.request_quit()
    reminder = main._leaving
    assert isinstance(reminder, LeavingReminder)
    qtbot.waitUntil(reminder.go.hasFocus)
    press(qtbot, Qt.Key.Key_Escape)  # stays: nothing quits
    assert not state.vault.is_locked and main.isVisible()

    main.request_quit()
    reminder = main._leaving
    reminder._left = 1  # the last second of its countdown
    with qtbot.waitSignal(controller.quit_ready, timeout=10_000):
        reminder._count_down()  # carries on by itself: the quit is never held up for long
    assert state.vault.is_locked
    state.tasks.shutdown()


def test_an_idle_lock_hides_the_raise_dialog_with_its_words_and_the_unlock_brings_it_back(
    qtbot, vault: Vault, assessment_id: str, tmp_path: Path  # noqa: ANN001
) -> None:
    controller, main = _app(qtbot, vault, tmp_path)
    state = controller.state
    open_interview(qtbot, main)
    press(qtbot, Qt.Key.Key_R, CTRL_SHIFT)
    dialog = dialog_of(qtbot, main)
    qtbot.keyClicks(dialog.heard, "Half of what Mr B said")
    controller.lock()  # the idle timer's call: no reminder dialog, and the raise dialog hides at once
    assert not dialog.isVisible() and not showing(main._leaving)
    qtbot.waitUntil(lambda: state.vault.is_locked, timeout=10_000)
    assert controller.window.reminder.isHidden()  # no concern raised yet: nothing to remind of
    state.vault.unlock(passphrase=PASSPHRASE)
    controller._show_main()
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=10_000)
    assert dialog.heard.toPlainText() == "Half of what Mr B said"  # nothing typed in it was lost
    dialog.reject()
    settle(qtbot, state)
    assert vault.concerns.list(assessment_id) == ()
    controller.window.close()
    state.tasks.shutdown()
