"""Two inspectors score the same statement differently offline and sync through the real service:
the judgement view shows the conflict, refuses a snapshot while it is open (in the core's words),
shows both versions side by side, and keeping one ends it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from sync_fixtures import Device, Service, colleagues
from window_fixtures import window_on

from fieldapp import domain

from ui.judgements.conflict import JudgementConflictDialog
from ui.judgements.dialogs import SnapshotDialog
from ui.main_window import MainWindow
from ui.state import AppState

STATEMENT = "safeguarding"


def _score(device: Device, assessment_id: str, score: int, strengths: str) -> None:
    content = domain.JudgementContent(STATEMENT, {"observation": domain.ScoreEntry(score, "updated", "2026-11-21")}, strengths=strengths)
    device.vault.judgements.save(assessment_id, STATEMENT, content)


@pytest.fixture
def in_conflict(qtbot, inprocess_sqlite_service: Service, make_device) -> Iterator[tuple[MainWindow, AppState, str]]:  # noqa: ANN001
    assessment_id, mine, theirs, _record = colleagues(inprocess_sqlite_service, make_device)
    _score(theirs, assessment_id, 3, "Daily multi-agency meetings.")
    theirs.sync()
    _score(mine, assessment_id, 2, "Referrals wait a week.")
    mine.sync()
    assert mine.vault.judgements.get(assessment_id, STATEMENT).conflict
    with window_on(qtbot, mine.vault) as (window, state):
        window.show_judgements()
        view = window.judgements
        qtbot.waitUntil(lambda: view.form.statement_id is not None and state.tasks.pending == 0, timeout=10_000)
        view.select_statement(STATEMENT)
        qtbot.waitUntil(lambda: view.form.statement_id == STATEMENT and state.tasks.pending == 0, timeout=10_000)
        yield window, state, assessment_id


def test_a_snapshot_is_refused_in_the_cores_words_while_a_judgement_is_in_conflict(qtbot, in_conflict) -> None:  # noqa: ANN001
    window, state, assessment_id = in_conflict
    view = window.judgements
    assert view.form.conflict.isVisible() and view.form.conflict_button.isVisible()
    assert view.model.line(view.model.row_of(STATEMENT)).state == "⚠ In conflict"
    window.actions_by_name["publish_snapshot"].trigger()
    dialog = view.dialog
    assert isinstance(dialog, SnapshotDialog)
    qtbot.waitUntil(dialog.isVisible)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setFocus()
    qtbot.keyClick(ok, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Not saved"), timeout=10_000)
    assert "Safeguarding" in dialog.message.text() and dialog.isVisible()
    assert state.vault.judgements.snapshots(assessment_id) == ()
    dialog.reject()


def test_both_versions_are_shown_side_by_side_and_keeping_one_ends_the_conflict(qtbot, in_conflict) -> None:  # noqa: ANN001
    window, state, assessment_id = in_conflict
    view = window.judgements
    view.form.conflict_button.setFocus()
    qtbot.keyClick(view.form.conflict_button, Qt.Key.Key_Space)
    dialog = view.dialog
    assert isinstance(dialog, JudgementConflictDialog)
    qtbot.waitUntil(lambda: dialog.versions[1].toPlainText() != "", timeout=10_000)
    sides = [v.toPlainText() for v in dialog.versions]
    assert {"Daily multi-agency meetings." in side for side in sides} == {True, False}
    assert any("3 (good standard)" in side for side in sides) and any("2 (some shortfalls)" in side for side in sides)
    assert "Score for Observation" in dialog.status.text()
    kept = 0 if "3 (good standard)" in sides[0] else 1
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.keyClick(dialog.keep_buttons[kept], Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: state.tasks.pending == 0 and not view.form.conflict.isVisible(), timeout=10_000)
    stored = state.vault.judgements.get(assessment_id, STATEMENT)
    assert not stored.conflict and stored.content.scores["observation"].score == 3
    assert view.form.score_rows()[3].score.currentData() == 3  # the form shows the version kept
    assert view.model.line(view.model.row_of(STATEMENT)).state == "Draft"


def test_a_colleagues_score_arrives_by_sync_into_the_open_view_and_the_roll_up(qtbot, sqlite_service: Service, make_device) -> None:  # noqa: ANN001
    assessment_id, mine, theirs, _record = colleagues(sqlite_service, make_device)
    with window_on(qtbot, mine.vault) as (window, state):
        window.show_judgements()
        view = window.judgements
        qtbot.waitUntil(lambda: view.form.statement_id is not None and state.tasks.pending == 0, timeout=10_000)
        _score(theirs, assessment_id, 4, "Outstanding partnership work.")
        theirs.sync()
        window.sync.sync_now()  # the app's own sync thread, by URL
        qtbot.waitUntil(lambda: view.model.line(view.model.row_of(STATEMENT)).state == "Draft", timeout=15_000)
        assert "Provisional: 1 of 17" in view.rollup.scored.text()
        assert view.model.line(view.model.row_of(STATEMENT)).score == "4 · 100%"


def test_sync_records_in_conflict_shows_the_judgement_side_by_side_too_and_keeps_one(qtbot, in_conflict) -> None:  # noqa: ANN001
    window, state, assessment_id = in_conflict
    qtbot.keyClick(window.search_box, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window._conflicts
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.records.count() == 1 and dialog.versions[1].toPlainText() != "", timeout=10_000)
    assert dialog.records.item(0).text() == "Judgement: Safeguarding"
    sides = [v.toPlainText() for v in dialog.versions]
    assert all("cannot be read" not in side for side in sides)
    assert any("3 (good standard)" in side for side in sides) and any("2 (some shortfalls)" in side for side in sides)
    assert not dialog.edit_button.isEnabled() and not dialog.merged_button.isEnabled()
    kept = 0 if "2 (some shortfalls)" in sides[0] else 1
    qtbot.keyClick(dialog.keep_buttons[kept], Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.records.count() == 0 and state.tasks.pending == 0, timeout=10_000)
    stored = state.vault.judgements.get(assessment_id, STATEMENT)
    assert not stored.conflict and stored.content.scores["observation"].score == 2
    dialog.close()
