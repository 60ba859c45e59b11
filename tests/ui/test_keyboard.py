"""Keyboard first: shortcuts create and find, Tab walks each form in order, every control is named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from fieldapp import domain
from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.state import AppState


@pytest.fixture
def state(vault: Vault, assessment_id: str) -> Iterator[AppState]:
    s = AppState(vault_path=vault.path, vault=vault)
    yield s
    s.tasks.shutdown()


@pytest.fixture
def window(qtbot, state: AppState) -> Iterator[MainWindow]:  # noqa: ANN001
    w = MainWindow(state)
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)  # waitActive works only as a context manager
    w.load()
    qtbot.waitUntil(lambda: w.assessments.count() == 1 and state.tasks.pending == 0, timeout=10_000)
    yield w
    w.close()
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def tab_through(qtbot, window: MainWindow, stop: QWidget, limit: int = 30) -> list[str]:  # noqa: ANN001
    """Press Tab from the focused control until `stop` has the focus; the names on the way."""
    names = [focused().accessibleName()]
    while focused() is not stop and len(names) < limit:
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        names.append(focused().accessibleName())
    return names


@pytest.mark.parametrize(
    ("shortcut", "kind"),
    [(Qt.Key.Key_1, "observation"), (Qt.Key.Key_2, "interview"), (Qt.Key.Key_3, "case_tracking"), (Qt.Key.Key_4, "focus_group"), (Qt.Key.Key_5, "document")],
)
def test_ctrl_and_a_number_starts_a_record_of_that_kind_with_the_cursor_in_its_title(qtbot, window: MainWindow, state: AppState, shortcut, kind: str) -> None:  # noqa: ANN001
    qtbot.keyClick(window.search_box, shortcut, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.record_id is not None)
    assert state.vault.records.get(window.editor.record_id).kind == kind
    assert focused() is window.editor._fields["title"]


def test_ctrl_f_goes_to_search_and_ctrl_shift_n_to_the_quick_note(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    qtbot.keyClick(window.search_box, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.quick_note is not None)
    qtbot.keyClick(focused(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is window.search_box
    qtbot.keyClick(focused(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert focused() is window.editor.quick_note


def test_tab_walks_the_case_tracking_form_in_order_through_the_timeline(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    assessment_id = state.vault.assessments.list()[0].id
    contact = domain.Contact("c1", "Emergency department", "2026-10-01")
    record = state.vault.records.create(assessment_id, domain.CaseTracking(contacts=(contact,))).value
    window.editor.show_record(state.vault.records.get(record.id))
    settle(qtbot, state)
    window.editor.focus_first_field()
    timeline = window.editor._fields["contacts"]
    names = tab_through(qtbot, window, window.editor._fields["notes"])
    # The table's buttons are not in the walk (their keys and the mouse reach them): Tab from
    # the table is the next field.
    assert names == ["Title", "Person (pseudonym)", "Summary", "Timeline of contacts", "Notes"]
    assert timeline.view.currentIndex().row() == 0


def test_tab_walks_the_observation_and_focus_group_forms_in_order(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    qtbot.keyClick(window.search_box, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.quick_note is not None and focused() is window.editor._fields["title"])
    walk = tab_through(qtbot, window, window.editor.quick_note)
    assert walk == ["Title", "Meeting type", "When", "Where", "Attendees by role", "Notes", "Quick note"]

    qtbot.keyClick(focused(), Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor._fields.get("facilitator") is not None and focused() is window.editor._fields["title"])
    walk = tab_through(qtbot, window, window.editor._fields["notes"])
    assert walk == [
        "Title", "When", "Groups represented", "Mainly",
        "Number taking part", "Facilitator", "Where", "Notes",
    ]  # fmt: skip


@pytest.mark.parametrize("kind", domain.KINDS)
def test_every_control_in_each_editor_has_an_accessible_name(qtbot, window: MainWindow, state: AppState, kind: str) -> None:  # noqa: ANN001
    assessment_id = state.vault.assessments.list()[0].id
    record = state.vault.records.create(assessment_id, domain.content_class(kind)()).value
    window.editor.show_record(state.vault.records.get(record.id))
    settle(qtbot, state)
    unnamed = [
        f"{type(w).__name__} {w.objectName()}"
        for w in window.findChildren(QWidget)
        if w.isVisibleTo(window) and w.focusPolicy() & Qt.FocusPolicy.TabFocus and not w.accessibleName()
        and not w.objectName().startswith("qt_")  # Qt's own parts (scroll bars' buttons and the like)
    ]  # fmt: skip
    assert unnamed == []
