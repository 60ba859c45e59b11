"""Words the inspector reads in the main window: validation messages, the coverage filter chip and
the history name things as people do, never by path, slug or id; and what is said about one record
goes when another is opened."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit
from sync_fixtures import Service, colleagues

from fieldapp import domain
from fieldapp.vault import Vault

from ui.editor import RecordEditor
from ui.main_window import MainWindow
from ui.state import AppState


@pytest.fixture
def state(vault: Vault) -> Iterator[AppState]:
    s = AppState(vault_path=vault.path, vault=vault)
    yield s
    s.tasks.shutdown()


@pytest.fixture
def window(qtbot, state: AppState, assessment_id: str) -> Iterator[MainWindow]:  # noqa: ANN001 - pytest-qt fixture
    w = MainWindow(state)
    qtbot.addWidget(w)
    w.show()
    w.load()
    qtbot.waitUntil(lambda: w.assessments.currentItem() is not None)
    yield w
    w.close()
    settle(qtbot, state)


def settle(qtbot, state: AppState) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)


def visible_words(window: MainWindow) -> list[str]:
    """Every text the inspector can see in labels and the status bar, wherever it is placed."""
    labels = [label.text() for label in window.findChildren(QLabel) if label.isVisible()]
    return [*labels, window.statusBar().currentMessage()]


def test_a_paste_too_long_for_the_notes_says_so_in_words(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    window.new_actions["focus_group"].trigger()
    settle(qtbot, state)
    notes = window.editor._fields["notes"]
    assert isinstance(notes, QPlainTextEdit)
    # A pasted transcript, in lines (one line of a million characters takes Qt minutes to lay out).
    notes.insertPlainText(("x" * 79 + "\n") * (domain.MAX_TEXT // 80) + "x")
    assert len(notes.toPlainText()) == domain.MAX_TEXT + 1
    window.editor.save_now()
    settle(qtbot, state)
    wanted = "Notes are longer than 1,000,000 characters"
    qtbot.waitUntil(lambda: any(wanted in words for words in visible_words(window)), timeout=5_000)
    shown = " ".join(visible_words(window))
    assert "focus_group" not in shown and "notes is" not in shown
    assert state.vault.records.get(window.editor.record_id).content.notes == ""


def test_the_coverage_filter_chip_names_the_statement_and_category(qtbot, window: MainWindow, state: AppState, assessment_id: str) -> None:  # noqa: ANN001
    record = state.vault.records.create(assessment_id, domain.Interview(role="carer", pseudonym="C1")).value
    state.vault.links.tag(record.id, "care-provision-integration-continuity")  # a carer: People's experience
    window.tabs.setCurrentWidget(window.coverage)
    settle(qtbot, state)
    grid = window.coverage.grid
    labels = [grid.verticalHeaderItem(r).text() for r in range(grid.rowCount())]
    row = labels.index("Care provision, integration and continuity")
    window.coverage.on_grid_cell_activated(row, 0)  # the People's experience column
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == 0 and window.model.rowCount() == 1)
    chip = window.cell_filter
    assert chip.isVisible()
    assert chip.text().startswith("Care provision, integration and continuity × People's experience")
    assert "care-provision" not in chip.text() and "peoples-experience" not in chip.text()
    window.coverage.on_grid_cell_activated(row, grid.columnCount() - 1)  # the statement's total
    qtbot.waitUntil(lambda: chip.text().startswith("Care provision, integration and continuity, all categories"))


def test_history_names_the_colleague_and_laptop_that_saved_each_version_and_when(
    qtbot, sqlite_service: Service, make_device  # noqa: ANN001
) -> None:
    _assessment_id, first, second, record_id = colleagues(sqlite_service, make_device, domain.Observation(title="ICB board"))
    second.vault.records.save(record_id, domain.Observation(title="ICB board, November"))
    second.vault.records.cut_revision(record_id)
    state = AppState(vault_path=second.vault.path, vault=second.vault)
    editor = RecordEditor(state)
    qtbot.addWidget(editor)
    editor.show_record(second.vault.records.get(record_id))
    try:
        qtbot.waitUntil(lambda: editor.history.revisions.count() == 2, timeout=5_000)
        newest, oldest = (editor.history.revisions.item(i).text() for i in range(2))
        moment = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d\d:\d\d"
        assert re.fullmatch(moment + r" · Title edited · saved by you, on this laptop", newest), newest
        assert re.fullmatch(moment + r" · Created · saved by Inspector A, on ‘first’", oldest), oldest
        first_device = first.vault.device_id
        assert first_device[:8] not in oldest and "device" not in oldest
    finally:
        editor.show_record(None)
        settle(qtbot, state)
        state.tasks.shutdown()


def test_what_was_said_about_one_record_goes_when_another_is_opened(qtbot, window: MainWindow, state: AppState, tmp_path) -> None:  # noqa: ANN001
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "pseudonym" in window.editor._fields and state.tasks.pending == 0)
    interview = window.editor.record_id
    pseudonym = window.editor._fields["pseudonym"]
    pseudonym.setFocus()
    qtbot.keyClicks(pseudonym, "Margaret Thompson, 14 Mill Lane")
    qtbot.keyClick(pseudonym, Qt.Key.Key_Tab)  # leaving the field saves it, and questions the name
    (tmp_path / "agenda.txt").write_text("Agenda")
    window.editor.attachments.add_paths([tmp_path / "agenda.txt"])
    settle(qtbot, state)
    said = ("first name and a surname", "Added and encrypted.", "Saved")
    qtbot.waitUntil(lambda: all(any(words in shown for shown in visible_words(window)) for words in said), timeout=5_000)

    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # another record
    qtbot.waitUntil(lambda: window.editor.record_id not in (None, interview) and "location" in window.editor._fields)
    settle(qtbot, state)
    shown = " ".join(visible_words(window))
    assert not any(words in shown for words in said), shown
    assert window.editor.status.text() == "" and window.editor.attachments.status.text() == ""
