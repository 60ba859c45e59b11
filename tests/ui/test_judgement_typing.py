"""Found by using the judgement view as an inspector would: a rationale typed without a pause is
saved as it is typed (not only once the typing stops); an evidence date that does not read is
marked where it was typed, not only at the foot of a form scrolled out of sight; a score changed
after it was agreed is a draft again; Tab goes on from the last score to the words, not out of the
view; Enter on a piece of evidence opens its record chosen in the list; a mouse wheel scrolls past
the scoring rules and the scores instead of changing them; the rating history says when a rating
was set by professional judgement, beside the percentage the scores gave, and each statement's
score that day; a lock and unlock comes back to the statement being scored; a score with no
evidence tagged to it is flagged."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from window_fixtures import settle, state, window  # noqa: F401 - fixtures

from ui.app import AppController
from ui.judgements.dialogs import FinalRatingDialog, RatingHistoryDialog, SnapshotDialog
from ui.main_window import MainWindow
from ui.state import AppState

from test_judgement_view import go_to, open_judgements, tagged_evidence
from test_nothing_typed_is_lost import app, lock_and_unlock  # noqa: F401 - the app fixture

TYPED = "Weekly safeguarding review with the local authority is embedded"


def test_a_rationale_typed_without_a_pause_is_saved_while_the_inspector_is_still_typing(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    view.form.strengths.setFocus()
    for letter in TYPED[:20]:  # a key every tenth of a second for two seconds: never a half-second pause
        qtbot.keyClick(view.form.strengths, letter)
        qtbot.wait(100)
    settle(qtbot, state)  # the save already started, if any: not the one after the typing stops
    saved = state.vault.judgements.get(window._assessment_id, "safeguarding").content.strengths
    assert saved and TYPED.startswith(saved) and len(saved) >= 10  # at most the last half second is unsaved
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    assert state.vault.judgements.get(window._assessment_id, "safeguarding").content.strengths == TYPED[:20]
    assert view.form.strengths.toPlainText() == TYPED[:20]  # the saves on the way did not disturb the words


def _judgements_by_keyboard(qtbot, app: AppController):  # noqa: ANN001, ANN202
    """The unlocked app's Judgements tab, opened with Ctrl+J, its first statement read."""
    main = app.main
    assert main is not None
    qtbot.keyClick(main, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    view = main.judgements
    qtbot.waitUntil(lambda: view.form.statement_id is not None and app.state.tasks.pending == 0, timeout=10_000)
    return main, view


def test_an_impossible_evidence_date_is_kept_as_typed_through_a_lock_and_says_why_in_the_cores_words(
    qtbot, app: AppController  # noqa: ANN001, F811
) -> None:
    main, view = _judgements_by_keyboard(qtbot, app)
    statement_id, assessment_id = view.form.statement_id, view.assessment_id
    first = view.form.score_rows()[0]
    qtbot.keyClick(first.score, "3")
    first.date.setFocus()
    qtbot.keyClicks(first.date, "31/02/2026")
    qtbot.keyClick(first.date, Qt.Key.Key_Tab)
    assert "February 2026 has no day 31" in first.note.text()
    view.statements.setFocus()
    qtbot.keyClick(view.statements, Qt.Key.Key_Down)  # moved on: what was typed is saved as typed
    qtbot.waitUntil(lambda: view.form.statement_id != statement_id and app.state.tasks.pending == 0, timeout=10_000)
    stored = app.state.vault.judgements.get(assessment_id, statement_id)
    key = first.key
    assert stored.as_typed == {f"scores.{key}.evidence_date": "31/02/2026"}
    assert stored.content.scores[key].evidence_date == ""  # no date in the signed content until it reads
    qtbot.keyClick(view.statements, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: view.form.statement_id == statement_id and app.state.tasks.pending == 0, timeout=10_000)
    main = lock_and_unlock(qtbot, app)
    view = main.judgements
    qtbot.waitUntil(lambda: view.form.statement_id == statement_id and view.form.isEnabled() and app.state.tasks.pending == 0, timeout=10_000)
    row = view.form.score_rows()[0]
    assert row.date.text() == "31/02/2026" and row.score.currentData() == 3
    assert not row.note.isHidden() and "⚠ A date to check: '31/02/2026' is not a date: February 2026 has no day 31." in row.note.text()


def test_a_statement_only_passed_through_after_a_date_that_did_not_read_stays_unscored(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    first = view.form.score_rows()[0]
    qtbot.keyClick(first.score, "3")
    first.date.setFocus()
    qtbot.keyClicks(first.date, "last friday")
    qtbot.keyClick(first.date, Qt.Key.Key_Tab)
    settle(qtbot, state)
    go_to(qtbot, window, state, "learning-culture")  # looked at, nothing typed…
    go_to(qtbot, window, state, "safe-effective-staffing")  # …and left
    settle(qtbot, state)
    assert not state.vault.judgements.get(window._assessment_id, "learning-culture").exists
    assert view.model.line(view.model.row_of("learning-culture")).state == "Not scored"
    assert state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content.scores["peoples-experience"].score == 3


def test_a_score_changed_after_the_lead_agreed_it_shows_and_saves_as_a_draft_to_agree_again(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    first = view.form.score_rows()[0]
    qtbot.keyClick(first.score, "3")
    qtbot.keyClick(view.form.status, Qt.Key.Key_A)  # Agreed by the lead inspector
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    assert state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content.status == "agreed"
    first.score.setFocus()
    qtbot.keyClick(first.score, "1")  # a colleague, or the lead, changes the score afterwards
    assert view.form.status.currentData() == "draft"  # at once, not only after the save
    assert "agree it again" in view.form.who.text().lower()
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content
    assert (stored.status, stored.agreed_by, stored.scores["peoples-experience"].score) == ("draft", "", 1)
    assert view.model.line(view.model.row_of("supporting-healthier-lives")).state == "Draft"
    qtbot.keyClick(view.form.status, Qt.Key.Key_A)  # agreed again, with the new score
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    assert state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content.status == "agreed"


def test_an_evidence_date_that_does_not_read_is_marked_under_its_row_kept_as_typed_and_shown_again_on_return(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    first, second = view.form.score_rows()[:2]
    qtbot.keyClick(first.score, "3")
    first.date.setFocus()
    qtbot.keyClicks(first.date, "last friday")
    qtbot.wait(700)  # a save while the date is still being typed: no note yet, the inspector is mid-word
    assert first.note.isHidden()
    qtbot.keyClick(first.date, Qt.Key.Key_Tab)  # leaving the field
    assert first.note.isVisible() and first.note.text().startswith("⚠ A date to check: 'last friday' is not a date")
    assert "Kept as you typed it on this laptop" in first.note.text()
    assert "Type it like 21/11/2026, 21 Nov or yesterday" in first.note.text() and "14:30" not in first.note.text()  # a day, not a time
    assert first.date.placeholderText() == "dd/mm/yyyy"  # whole in its narrow column, not "e.g. 21/11/…"
    assert second.note.isHidden()
    settle(qtbot, state)
    messages: list[str] = []
    view.message.connect(messages.append)
    go_to(qtbot, window, state, "learning-culture")
    assert messages and messages[0].startswith("Supporting people to live healthier lives (Quality and safety): saved, with a date to check")
    assert "the evidence date for People's experience" in messages[0]
    assert window.statusBar().currentMessage() == messages[0]
    assert view.form.score_rows()[0].note.isHidden()  # the next statement's rows start clean
    view.statements.setFocus()
    qtbot.keyClick(view.statements, Qt.Key.Key_Up)  # back to the first statement
    settle(qtbot, state)
    qtbot.waitUntil(lambda: view.form.statement_id == "supporting-healthier-lives")
    assert view.form.score_rows()[0].date.text() == "last friday"  # what was typed, never emptied
    assert view.model.line(view.model.row_of("supporting-healthier-lives")).state == "Draft · ⚠ date to check"
    assert view.form.score_rows()[0].note.text().startswith("⚠ A date to check: 'last friday' is not a date")
    assert not view.form.score_rows()[0].note.isHidden()
    view.form.score_rows()[0].date.selectAll()
    view.form.score_rows()[0].date.setFocus()
    qtbot.keyClicks(view.form.score_rows()[0].date, "20/11/2026")
    qtbot.keyClick(view.form.score_rows()[0].date, Qt.Key.Key_Tab)
    assert view.form.score_rows()[0].note.isHidden()
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives")
    assert (stored.content.scores["peoples-experience"].score, stored.content.scores["peoples-experience"].evidence_date) == (3, "2026-11-20")
    assert stored.as_typed == {}  # a readable date saves as a date, and the text kept as typed goes
    assert view.model.line(view.model.row_of("supporting-healthier-lives")).state == "Draft"


def test_the_history_says_a_published_rating_was_set_by_professional_judgement_with_its_reason_beside_the_computed_one(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    qtbot.keyClick(view.form.score_rows()[0].score, "3")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    reason = "Discharge delays put people at risk across the system."
    state.vault.judgements.set_final(window._assessment_id, 2, reason)
    window.actions_by_name["publish_snapshot"].trigger()
    dialog = view.dialog
    assert isinstance(dialog, SnapshotDialog)
    qtbot.waitUntil(dialog.isVisible)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setFocus()
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.keyClick(ok, Qt.Key.Key_Space)
    settle(qtbot, state)
    window.actions_by_name["rating_history"].trigger()
    history = view.dialog
    assert isinstance(history, RatingHistoryDialog)
    qtbot.waitUntil(lambda: history.table.rowCount() == 1, timeout=10_000)
    assert history.table.item(0, 2).text() == "75%"  # the scores' percentage: Good's band
    assert history.table.item(0, 3).text() == "Requires improvement (final; computed Good)"
    details = history.details.toPlainText()
    assert "Final rating by professional judgement: Requires improvement; computed from the scores: Good." in details
    assert f"Reason: {reason}" in details
    # every theme, and under it each statement scored that day with its own score
    assert "Quality and safety: Good (3), 75%\n    Supporting people to live healthier lives: Good (3), 75%\nIntegration: not scored" in details
    history.reject()


def test_tab_goes_from_the_last_evidence_date_to_the_strengths_and_on_and_shift_tab_from_the_first_score_back_to_the_list(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    rows = view.form.score_rows()
    qtbot.keyClick(view.statements, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is rows[0].score
    qtbot.keyClick(rows[0].score, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is view.statements
    qtbot.keyClick(view.statements, Qt.Key.Key_Tab)
    for _ in range(3 * len(rows)):  # score, basis and date of every row
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.form.strengths
    qtbot.keyClicks(view.form.strengths, "Prevention is shared")
    qtbot.keyClick(view.form.strengths, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.form.improvements
    visited = []
    for _ in range(5):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    assert visited == [view.form.key_evidence, view.form.status, view.evidence.tree, view.evidence.passage, view.rollup.rules]
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    assert state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content.strengths == "Prevention is shared"
    view.statements.setFocus()
    qtbot.keyClick(view.statements, Qt.Key.Key_Down)  # another statement: its rows are in the same order
    settle(qtbot, state)
    qtbot.waitUntil(lambda: view.form.statement_id == "learning-culture")
    last = view.form.score_rows()[-1].date
    last.setFocus()
    qtbot.keyClick(last, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.form.strengths


def test_enter_on_a_piece_of_evidence_opens_its_record_chosen_in_the_list_which_takes_the_keys_and_ctrl_j_comes_back(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    ids = tagged_evidence(state, window._assessment_id)
    window.load()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2 and state.tasks.pending == 0, timeout=10_000)
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    tree = view.evidence.tree
    board = next(tree.topLevelItem(i).child(0) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == "Observation (1)")
    tree.setFocus()
    tree.setCurrentItem(board)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.editor.record_id == ids["board"], timeout=10_000)
    assert QApplication.focusWidget() is window.table
    chosen = window.proxy.mapToSource(window.table.currentIndex()).row()
    assert chosen == window.model.row_of(ids["board"])
    qtbot.keyClick(window.table, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is view and view.form.statement_id == "safeguarding", timeout=10_000)


def _wheel(widget, notches: int) -> None:  # noqa: ANN001
    """A mouse wheel turned over the widget, as when scrolling the pane it sits in."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre, QPointF(widget.mapToGlobal(widget.rect().center())), QPoint(0, 0), QPoint(0, -120 * notches),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_a_mouse_wheel_over_the_scoring_rules_or_a_score_scrolls_past_them_and_changes_nothing(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    first = view.form.score_rows()[0]
    qtbot.keyClick(first.score, "3")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    rules_before = state.vault.judgements.rules(window._assessment_id).key
    for widget in (view.rollup.rules, first.score, first.basis, view.form.status):
        _wheel(widget, 1)
    settle(qtbot, state)
    qtbot.wait(700)  # a save, had anything changed
    assert state.vault.judgements.rules(window._assessment_id).key == rules_before
    assert view.rollup.rules.currentData() == rules_before
    assert view.rollup.rules.toolTip() == view.rollup.rules.currentText()  # the name whole, where the box cuts it
    assert (first.score.currentData(), first.basis.currentData(), view.form.status.currentData()) == (3, "updated", "draft")
    stored = state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content
    assert (stored.scores["peoples-experience"].score, stored.status) == (3, "draft")
    assert "Provisional: 1 of 17" in view.rollup.scored.text()


def test_a_final_rating_set_while_nothing_is_computed_says_so_with_its_reason_not_the_same_as_computed(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    state.vault.judgements.set_final(window._assessment_id, 2, "Discharge delays across the system")
    open_judgements(qtbot, window, state)
    view = window.judgements
    words = view.rollup.rating.text()
    assert "same as computed" not in words
    assert words == "Final rating: Requires improvement (2), by professional judgement; none computed yet. Reason: Discharge delays across the system"


def test_the_request_for_a_reason_goes_once_a_reason_is_written(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_judgements(qtbot, window, state)
    view = window.judgements
    qtbot.keyClick(view.form.score_rows()[0].score, "3")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    view.rollup.final_button.setFocus()
    qtbot.keyClick(view.rollup.final_button, Qt.Key.Key_Space)
    dialog = view.dialog
    assert isinstance(dialog, FinalRatingDialog)
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClick(dialog.score, "2")
    qtbot.keyClick(dialog.score, Qt.Key.Key_Return)  # OK without a reason
    assert dialog.isVisible() and dialog.message.text().startswith("Write the reason")
    assert dialog.focusWidget() is dialog.reason  # where the reason is to be written
    qtbot.keyClicks(dialog.reason, "Leadership gaps")
    assert dialog.message.text() == ""
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.keyClick(dialog.score, Qt.Key.Key_Return)


def test_after_a_lock_and_unlock_the_judgement_view_comes_back_on_the_statement_the_inspector_was_scoring(
    qtbot, app: AppController  # noqa: ANN001, F811
) -> None:
    main, view = _judgements_by_keyboard(qtbot, app)
    for _ in range(5):  # to Safeguarding, the sixth statement
        qtbot.keyClick(view.statements, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: view.form.statement_id == "safeguarding" and app.state.tasks.pending == 0, timeout=10_000)
    main = lock_and_unlock(qtbot, app)
    view = main.judgements
    qtbot.waitUntil(lambda: view.form.statement_id == "safeguarding" and app.state.tasks.pending == 0, timeout=10_000)
    assert view.current_statement_id() == "safeguarding"
    assert "Safeguarding" in view.form.heading.text()


def test_a_score_for_a_category_with_no_evidence_tagged_is_flagged_beside_the_statement_score(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    tagged_evidence(state, window._assessment_id)  # Safeguarding: a carer's passage (people's experience), a board observation
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    rows = {r.key: r for r in view.form.score_rows()}
    qtbot.keyClick(rows["peoples-experience"].score, "3")
    qtbot.keyClick(rows["observation"].score, "3")
    assert "⚠" not in view.form.result.text()  # both rest on evidence
    qtbot.keyClick(rows["partners-feedback"].score, "2")
    qtbot.keyClick(rows["outcomes"].score, "2")
    words = view.form.result.text()
    assert "Statement score: 3 (Good standard), from 4 categories: 62.5%" in words
    assert "⚠ No evidence is tagged for Feedback from partners and Outcomes: tag some, or say why in the rationale." in words
    qtbot.keyClick(rows["outcomes"].score, Qt.Key.Key_Delete)
    assert "tagged for Feedback from partners:" in view.form.result.text()
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)  # a warning, not a refusal
    stored = state.vault.judgements.get(window._assessment_id, "safeguarding").content
    assert stored.scores["partners-feedback"].score == 2
