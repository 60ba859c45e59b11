"""An inspector's day, played by keyboard on the real app: unlock, an assessment and its period, a
board meeting with quick notes, an interview whose date is typed in words and fixed later, a case
with three contacts dated day first, tagging a record and words of its notes after a lock, a delete
taken back with Ctrl+Z, and Ctrl+Q. Then the vault is opened afresh and every word is looked for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu, QWidget
from log_fixtures import app_logs  # noqa: F401 - a fixture
from vault_fixtures import PASSPHRASE

from fieldapp.dates import parse_when
from fieldapp.vault import Vault

from ui.app import AppController
from ui.assessment_dialog import AssessmentDialog
from ui.main_window import MainWindow
from ui.state import AppState
from ui.unlock import UnlockWindow

CARER = "She said the discharge letter came a week after he got home, and nobody told the district nurses."
NOTES = ("Chair asks for the winter plan", "Finance director reports the deficit")


@pytest.fixture
def app(qtbot, vault_path: Path) -> Iterator[AppController]:  # noqa: ANN001
    state = AppState(vault_path=vault_path, idle_lock_s=0)
    controller = AppController(state)
    controller.start()
    yield controller
    if controller.main is not None and controller.main.isVisible():
        controller.main.close()
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=20_000)
    if state.sync is not None:
        state.sync.shutdown()
    state.tasks.shutdown()
    if state.vault is not None:
        state.vault.lock()


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def key(qtbot, k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:  # noqa: ANN001
    """A key pressed where the keyboard is now, as a person presses it."""
    widget = focused()
    assert widget is not None, "something has the keyboard"
    qtbot.keyClick(widget, k, modifier)


def type_(qtbot, text: str) -> None:  # noqa: ANN001
    widget = focused()
    assert widget is not None
    qtbot.keyClicks(widget, text)


def tab_to(qtbot, accessible_name: str, most: int = 40) -> QWidget:  # noqa: ANN001
    """Tab until the widget with that accessible name has the keyboard."""
    for _ in range(most):
        widget = focused()
        if widget is not None and widget.accessibleName() == accessible_name:
            return widget
        key(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {accessible_name!r}; it is on {focused()!r}")


def menu(qtbot, main: MainWindow, title: str, entry: str) -> None:  # noqa: ANN001
    """Alt+letter opens a menu of the bar; the entry's own letter chooses it."""
    key(qtbot, getattr(Qt.Key, f"Key_{title[title.index('&') + 1].upper()}"), Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QMenu) and popup.title() == title
    qtbot.keyClick(popup, getattr(Qt.Key, f"Key_{entry[entry.index('&') + 1].upper()}"))
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None)
    # The offscreen platform leaves the closed menu as the active window; a desktop gives the
    # keyboard back to the window (or to the dialog the entry opened), as here.
    top = next((w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not main and not isinstance(w, QMenu)), main)
    top.activateWindow()
    qtbot.waitUntil(top.isActiveWindow)


def settle(qtbot, app: AppController) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: app.state.tasks.pending == 0, timeout=20_000)


def unlock(qtbot, app: AppController) -> MainWindow:  # noqa: ANN001
    qtbot.waitUntil(lambda: isinstance(app.window, UnlockWindow) and app.window.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: isinstance(focused(), QLineEdit))
    type_(qtbot, PASSPHRASE)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.main is not None and app.main.isVisible(), timeout=15_000)
    settle(qtbot, app)
    assert app.main is not None
    return app.main


def new_record(qtbot, main: MainWindow, k: Qt.Key) -> str:  # noqa: ANN001
    before = main.editor.record_id
    qtbot.keyClick(main, k, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main.editor.record_id not in (None, before) and focused() is main.editor._fields.get("title"))
    assert main.editor.record_id is not None
    return main.editor.record_id


def open_by_search(qtbot, main: MainWindow, words: str, record_id: str) -> None:  # noqa: ANN001
    """Ctrl+F, the words, Tab down to the evidence list, and the first row opens."""
    qtbot.keyClick(main, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_(qtbot, words)
    qtbot.waitUntil(lambda: main.model.rowCount() == 1 and main.model.summary(0).id == record_id, timeout=5_000)
    tab_to(qtbot, "Evidence list")
    key(qtbot, Qt.Key.Key_Home)  # moves to, and opens, the first row
    qtbot.waitUntil(lambda: main.editor.record_id == record_id and "title" in main.editor._fields, timeout=10_000)


def test_an_inspectors_day_by_keyboard_keeps_every_word(qtbot, app: AppController, vault_path: Path, app_logs: Path) -> None:  # noqa: ANN001, F811
    main = unlock(qtbot, app)
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow)

    # An assessment, with its period typed day first in the same dialog.
    menu(qtbot, main, "&File", "&New assessment…")
    qtbot.waitUntil(lambda: main.findChild(AssessmentDialog) is not None and main.findChild(AssessmentDialog).isVisible())
    type_(qtbot, "Northshire ICS")
    for name, day in (("First day", "1/11/2026"), ("Last day", "30 Nov 2026")):
        tab_to(qtbot, name)
        type_(qtbot, day)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not any(isinstance(w, AssessmentDialog) and w.isVisible() for w in QApplication.topLevelWidgets()), timeout=10_000)
    qtbot.waitUntil(lambda: main.assessments.count() == 1, timeout=10_000)
    main.activateWindow()  # as a desktop does when a dialog closes (offscreen does not)
    qtbot.waitUntil(main.isActiveWindow)

    # The ICB board, with quick notes as it runs.
    board = new_record(qtbot, main, Qt.Key.Key_1)
    type_(qtbot, "ICB board, November")
    for note in NOTES:
        qtbot.keyClick(main, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: focused() is main.editor.quick_note)
        type_(qtbot, note)
        key(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda n=note: n in main.editor._fields["notes"].toPlainText(), timeout=5_000)

    # An interview whose date is typed in words first.
    interview = new_record(qtbot, main, Qt.Key.Key_2)
    type_(qtbot, "Carer of a man discharged home")
    tab_to(qtbot, "Pseudonym (never a real name)")
    type_(qtbot, "Carer C4")
    tab_to(qtbot, "When")
    type_(qtbot, "yesterday afternoon")
    tab_to(qtbot, "Notes")
    type_(qtbot, CARER)

    # A case with three contacts, dated day first.
    case = new_record(qtbot, main, Qt.Key.Key_3)
    type_(qtbot, "Mr B, hospital to home")
    tab_to(qtbot, "Timeline of contacts")  # typing into the empty timeline starts its first contact
    for row in (("21/11/2026", "Emergency department", "Admitted after a fall"),
                ("24/11/2026", "Acute medical unit", "Assessed for discharge"),
                ("28/11/26", "Reablement team", "Visits twice a day")):  # fmt: skip
        for text in (*row, "", ""):  # Transition and Their account left empty; Tab from the last adds a row
            for char in text:
                type_(qtbot, char)  # the first key opens the cell, the rest go into it
            key(qtbot, Qt.Key.Key_Tab)
    for _ in range(5):
        key(qtbot, Qt.Key.Key_Tab)  # through the blank fourth row, on to the notes
    assert focused() is main.editor._fields["notes"]

    # Lock, unlock, and tag the board meeting and words of one of its lines.
    qtbot.keyClick(main, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.state.vault is not None and app.state.vault.is_locked, timeout=15_000)
    main = unlock(qtbot, app)
    open_by_search(qtbot, main, "winter", board)
    tab_to(qtbot, "Notes")
    key(qtbot, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, Qt.Key.Key_End)  # the end of the first line, "…for the winter plan"
    for _ in range(2):
        key(qtbot, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert main.editor._fields["notes"].textCursor().selectedText() == "winter plan"
    qtbot.keyClick(main, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: focused() is main.editor.tag_panel.filter)
    type_(qtbot, "governance")
    key(qtbot, Qt.Key.Key_Tab)  # into the statements
    tree = main.editor.tag_panel.tree
    assert focused() is tree
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_Down)  # the theme, then its one statement shown
    assert tree.currentItem().data(0, Qt.ItemDataRole.UserRole) == "governance-management-sustainability"
    key(qtbot, Qt.Key.Key_Space)  # the whole record
    qtbot.waitUntil(lambda: len(app.state.vault.records.get(board).links) == 1, timeout=10_000)
    key(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)  # and the words selected
    qtbot.waitUntil(lambda: len(app.state.vault.records.get(board).links) == 2, timeout=10_000)

    # The interview's date, fixed now that it is known; a delete taken back at once.
    open_by_search(qtbot, main, "discharged", interview)
    tab_to(qtbot, "When")
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_(qtbot, "21/11/2026 14:30")
    key(qtbot, Qt.Key.Key_Tab)
    tab_to(qtbot, "Evidence list")
    key(qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: main.model.row_of(interview) is None, timeout=10_000)
    qtbot.keyClick(main, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main.model.row_of(interview) is not None, timeout=10_000)

    # Ctrl+Q: everything saved, cut into revisions, the vault locked, the app done.
    with qtbot.waitSignal(app.quit_ready, timeout=20_000):
        qtbot.keyClick(main, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, app)

    vault = Vault.open(vault_path, passphrase=PASSPHRASE)
    try:
        (assessment,) = vault.assessments.list()
        assert (assessment.name, assessment.period_start, assessment.period_end) == ("Northshire ICS", "2026-11-01", "2026-11-30")
        records = {r.id: vault.records.get(r.id) for r in vault.records.list(assessment.id)}
        assert set(records) == {board, interview, case}
        assert all(not r.draft_dirty for r in records.values()), "Ctrl+Q cut a revision of every change"
        observed = records[board]
        assert observed.title == "ICB board, November"
        assert [line.split("  ", 1)[1] for line in observed.content.notes.splitlines()] == list(NOTES)
        assert sorted((link.statement_id, link.passage.text if link.passage else "") for link in observed.links) == [
            ("governance-management-sustainability", ""), ("governance-management-sustainability", "winter plan"),
        ]  # fmt: skip
        carer = records[interview]
        assert (carer.content.pseudonym, carer.content.notes) == ("Carer C4", CARER)
        assert carer.content.held_at == parse_when("21/11/2026 14:30") and carer.as_typed == {}
        contacts = records[case].content.contacts
        assert [(c.date, c.service, c.what_happened) for c in contacts] == [
            ("2026-11-21", "Emergency department", "Admitted after a fall"),
            ("2026-11-24", "Acute medical unit", "Assessed for discharge"),
            ("2026-11-28", "Reablement team", "Visits twice a day"),
        ]
        assert vault.verify().ok
    finally:
        vault.lock()
    # The day's log says what happened and none of what was typed (docs/security.md, Logs).
    log = (app_logs / "fieldapp.log").read_text()
    assert "vault unlocked with its passphrase" in log and "vault locked" in log
    typed = (CARER, *NOTES, "ICB board, November", "Carer C4", "Carer of a man discharged home", "Mr B, hospital to home",
             "winter", "discharged", "Admitted after a fall", "Visits twice a day", PASSPHRASE)  # fmt: skip
    assert [words for words in typed if words in log] == []
