"""The judgement view, driven by keyboard in the real main window against a real vault: statements
by theme, scores saved as typed, the roll-up following, the evidence beside it, the final rating,
snapshots, reviews and the rating history."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from vault_fixtures import sample_contents
from window_fixtures import settle, state, window  # noqa: F401 - fixtures

from fieldapp import domain
from fieldapp.links import passage_of

from test_nothing_typed_is_lost import app, unlock  # noqa: F401 - the app fixture

from ui.app import AppController
from ui.judgements.dialogs import FinalRatingDialog, RatingHistoryDialog, SnapshotDialog
from ui.judgements.statements import StatementsModel, lines
from ui.main_window import MainWindow
from ui.state import AppState

CTRL = Qt.KeyboardModifier.ControlModifier


def open_judgements(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    qtbot.keyClick(window.search_box, Qt.Key.Key_J, CTRL)
    view = window.judgements
    qtbot.waitUntil(lambda: view.model.rowCount() == 20 and view.form.statement_id is not None and state.tasks.pending == 0, timeout=10_000)


def go_to(qtbot, window: MainWindow, state: AppState, statement_id: str) -> None:  # noqa: ANN001
    """Down the statements list by keyboard until statement_id is chosen and shown."""
    view = window.judgements
    view.statements.setFocus()
    for _ in range(20):
        if view.current_statement_id() == statement_id:
            break
        qtbot.keyClick(view.statements, Qt.Key.Key_Down)
    assert view.current_statement_id() == statement_id
    settle(qtbot, state)
    qtbot.waitUntil(lambda: view.form.statement_id == statement_id)


def tagged_evidence(state: AppState, assessment_id: str) -> dict[str, str]:
    """A carer's interview tagged to Safeguarding by a passage, and a board observation by the whole record."""
    vault = state.vault
    board = vault.records.create(assessment_id, sample_contents()[0]).value
    carer = vault.records.create(assessment_id, sample_contents()[1]).value
    notes = carer.content.notes
    start = notes.index("delayed discharge")
    vault.links.tag(carer.id, "safeguarding", passage=passage_of(carer.content, "notes", start, start + len("delayed discharge")))
    vault.links.tag(board.id, "safeguarding", "observation")
    return {"board": board.id, "carer": carer.id}


def test_ctrl_j_shows_the_seventeen_statements_by_theme_with_the_first_one_open_beside_its_roll_up(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    assert window.tabs.currentWidget() is view and not window.editor_area.isVisible()
    headings = [view.model.line(r).name for r in range(view.model.rowCount()) if not view.model.line(r).statement_id]
    assert headings == ["Quality and safety", "Integration", "Leadership"]
    assert sum(1 for r in range(view.model.rowCount()) if view.model.line(r).statement_id) == 17
    assert view.current_statement_id() == "supporting-healthier-lives"
    assert "Supporting people to live healthier lives" in view.form.heading.text()
    assert {view.model.line(r).state for r in range(view.model.rowCount()) if view.model.line(r).statement_id} == {"Not scored"}
    assert "Provisional: 0 of 17" in view.rollup.scored.text()
    assert "interim guidance" in view.rollup.notice.text() and "paused" in view.rollup.notice.text()
    assert len(view.form.score_rows()) == 6  # by evidence category, the default rules
    assert QApplication.focusWidget() is view.statements


def test_scores_typed_for_a_statement_are_saved_and_the_roll_up_follows(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    rows = view.form.score_rows()
    qtbot.keyClick(view.statements, Qt.Key.Key_Tab)  # from the list to the first score
    assert QApplication.focusWidget() is rows[0].score
    for score_row, key in zip(rows[:4], "3233"):
        assert QApplication.focusWidget() is score_row.score
        qtbot.keyClick(score_row.score, key)  # typing the score's number chooses it
        if score_row is rows[0]:
            qtbot.keyClick(score_row.score, Qt.Key.Key_Tab)
            qtbot.keyClick(score_row.basis, Qt.Key.Key_Tab)
            qtbot.keyClicks(score_row.date, "21/11/2026")
            qtbot.keyClick(score_row.date, Qt.Key.Key_Tab)
        elif score_row is rows[1]:
            qtbot.keyClick(score_row.score, Qt.Key.Key_Tab)
            qtbot.keyClick(score_row.basis, Qt.Key.Key_E)  # Existing
            qtbot.keyClick(score_row.basis, Qt.Key.Key_Tab)
            qtbot.keyClick(score_row.date, Qt.Key.Key_Tab)
        else:
            for _ in range(3):
                qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    view.form.strengths.setFocus()
    qtbot.keyClicks(view.form.strengths, "Multi-agency safeguarding hub meets daily.")
    assert "68.75%, shown as 69%" in view.form.result.text()  # at once, before the save
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.judgements.get(window._assessment_id, "safeguarding")
    assert stored.exists and {k: e.score for k, e in stored.content.scores.items()} == {
        "peoples-experience": 3, "staff-leaders-feedback": 2, "partners-feedback": 3, "observation": 3,
    }  # fmt: skip
    assert stored.content.scores["peoples-experience"].evidence_date == "2026-11-21"
    assert stored.content.scores["staff-leaders-feedback"].basis == "existing"
    assert stored.content.strengths == "Multi-agency safeguarding hub meets daily."
    line = view.model.line(view.model.row_of("safeguarding"))
    assert (line.score, line.state) == ("3 · 69%", "Draft")
    assert "Provisional: 1 of 17" in view.rollup.scored.text()
    assert "Good (3), 75%" in view.rollup.overall.text()  # one statement scored 3: 3/4
    assert "Quality and safety: Good (3), 75% (1 of 6 scored)" in view.rollup.themes.text()
    view.statements.setFocus()
    qtbot.keyClick(view.statements, Qt.Key.Key_Down)  # over the Integration heading, to its first statement
    assert view.current_statement_id() == "safe-systems-pathways-transitions"


def test_an_evidence_date_that_does_not_read_is_kept_as_typed_and_says_how_while_the_score_saves(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_judgements(qtbot, window, state)
    view = window.judgements
    first = view.form.score_rows()[0]
    qtbot.keyClick(first.score, "4")
    first.date.setFocus()
    qtbot.keyClicks(first.date, "the week before last")
    qtbot.waitUntil(lambda: view.form.save_status.text().startswith("Saved, with a date to check: the evidence date for People's experience"), timeout=10_000)
    assert "day" in view.form.save_status.text().lower()
    stored = state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content.scores["peoples-experience"]
    assert (stored.score, stored.evidence_date) == (4, "")
    assert first.date.text() == "the week before last"  # on screen to correct
    typed = state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").as_typed
    assert typed == {"scores.peoples-experience.evidence_date": "the week before last"}  # and in the vault as typed
    first.date.selectAll()
    qtbot.keyClicks(first.date, "20/11/2026")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content.scores["peoples-experience"]
    assert stored.evidence_date == "2026-11-20"


def test_the_statements_evidence_is_grouped_by_category_with_its_passage_and_enter_opens_the_record(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    ids = tagged_evidence(state, window._assessment_id)
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    tree = view.evidence.tree
    groups = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}
    assert len(groups) == 6  # every category, the empty ones too: a gap shows
    assert {name for name, group in groups.items() if group.childCount()} == {"People's experience (1)", "Observation (1)"}
    passage = groups["People's experience (1)"].child(0).text(0)
    assert "Carer of a person with dementia" in passage and "“delayed discharge”" in passage
    assert "(the whole record)" in groups["Observation (1)"].child(0).text(0)
    assert "2 pieces" in view.evidence.heading.text()
    tree.setFocus()
    tree.setCurrentItem(groups["People's experience (1)"].child(0))
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.record_id == ids["carer"])
    assert window.tabs.currentIndex() == 0 and window.editor_area.isVisible()


def test_key_evidence_is_chosen_with_space_from_the_statements_evidence_suggested_first(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    ids = tagged_evidence(state, window._assessment_id)
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    key = view.form.key_evidence
    assert key.count() == 2 and "delayed discharge" in key.item(0).text()  # a passage before a whole record
    key.setFocus()
    key.setCurrentRow(0)
    qtbot.keyClick(key, Qt.Key.Key_Space)
    qtbot.keyClick(view.form.score_rows()[0].score, "2")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.judgements.get(window._assessment_id, "safeguarding").content
    assert [(r.record_id, bool(r.link_id)) for r in stored.key_evidence] == [(ids["carer"], True)]


def test_status_agreed_and_a_second_statement_keep_their_own_words(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_judgements(qtbot, window, state)
    view = window.judgements
    qtbot.keyClick(view.form.score_rows()[0].score, "3")
    view.form.improvements.setFocus()
    qtbot.keyClicks(view.form.improvements, "Prevention plans lack measures.")
    qtbot.keyClick(view.form.status, Qt.Key.Key_A)  # Agreed by the lead inspector
    go_to(qtbot, window, state, "learning-culture")  # leaving saves at once
    assert view.form.improvements.toPlainText() == ""
    stored = state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content
    assert stored.improvements == "Prevention plans lack measures." and stored.status == "agreed"
    assert view.model.line(view.model.row_of("supporting-healthier-lives")).state == "Agreed"


def test_a_final_rating_different_from_the_computed_one_is_refused_without_a_reason_and_kept_with_one(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    open_judgements(qtbot, window, state)
    view = window.judgements
    qtbot.keyClick(view.form.score_rows()[0].score, "3")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    view.rollup.final_button.setFocus()
    qtbot.keyClick(view.rollup.final_button, Qt.Key.Key_Space)
    dialog = view.dialog
    assert isinstance(dialog, FinalRatingDialog)
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClick(dialog.score, "2")  # Requires improvement, against a computed Good
    dialog.buttons.accepted.emit()
    assert "reason" in dialog.message.text().lower() and dialog.isVisible()
    qtbot.keyClicks(dialog.reason, "Leadership gaps outweigh the scores so far.")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.buttons.accepted.emit()
    rating = state.vault.judgements.rating(window._assessment_id)
    assert (rating.computed_score, rating.final_score, rating.differs) == (3, 2, True)
    qtbot.waitUntil(lambda: "by professional judgement" in view.rollup.rating.text(), timeout=10_000)
    assert "Leadership gaps" in view.rollup.rating.text()


def test_publish_then_review_then_the_history_shows_both_with_the_review_marked(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_judgements(qtbot, window, state)
    view = window.judgements
    qtbot.keyClick(view.form.score_rows()[0].score, "3")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    for name, kind in (("publish_snapshot", "published"), ("record_review", "review")):
        window.actions_by_name[name].trigger()
        dialog = view.dialog
        assert isinstance(dialog, SnapshotDialog) and dialog.kind == kind
        qtbot.waitUntil(dialog.isVisible)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setFocus()
        with qtbot.waitSignal(dialog.accepted, timeout=10_000):
            qtbot.keyClick(ok, Qt.Key.Key_Space)
        settle(qtbot, state)
    assert [s.kind for s in state.vault.judgements.snapshots(window._assessment_id)] == ["published", "review"]
    window.actions_by_name["rating_history"].trigger()
    history = view.dialog
    assert isinstance(history, RatingHistoryDialog)
    qtbot.waitUntil(lambda: history.table.rowCount() == 2, timeout=10_000)
    assert [history.table.item(r, 1).text() for r in range(2)] == ["Published", "Review, unchanged"]
    assert "1 review" in history.summary.text()
    history.reject()


def test_the_statements_model_passes_qts_model_tester(qtmodeltester, state: AppState, assessment_id: str) -> None:  # noqa: ANN001
    from fieldapp.framework import default_framework

    rating = state.vault.judgements.rating(assessment_id)
    model = StatementsModel()
    model.set_lines(lines(default_framework(), {}, rating.rollup))
    qtmodeltester.check(model)
    assert model.rowCount() == 20


def choose_rules(qtbot, window: MainWindow, state: AppState, key: str) -> None:  # noqa: ANN001
    combo = window.judgements.rollup.rules
    combo.setFocus()
    while combo.currentData() != key:
        qtbot.keyClick(combo, Qt.Key.Key_Down)  # a closed combo box: Down chooses the next rules at once
    settle(qtbot, state)
    qtbot.waitUntil(lambda: state.vault.judgements.rules(window._assessment_id).key == key and state.tasks.pending == 0, timeout=10_000)


def test_rules_by_statement_ask_one_score_and_a_half_that_rounds_either_way_is_flagged(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_judgements(qtbot, window, state)
    view = window.judgements
    choose_rules(qtbot, window, state, "cqc-ics-by-statement@1")
    qtbot.waitUntil(lambda: len(view.form.score_rows()) == 1 and view.form.isEnabled(), timeout=10_000)
    assert view.form.score_rows()[0].score.accessibleName() == "Score for The statement as a whole"
    qtbot.keyClick(view.form.score_rows()[0].score, "3")
    go_to(qtbot, window, state, "learning-culture")
    qtbot.keyClick(view.form.score_rows()[0].score, "2")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    # 3 and 2: 5/8 = 62.5 %, shown 63 (Good) rounding half up, 62 (Requires improvement) half down.
    assert "Good (3), 63% (62.5)" in view.rollup.overall.text()
    assert view.rollup.rounding.isVisible() and "half down" in view.rollup.rounding.text()
    assert "Provisional: 2 of 17" in view.rollup.scored.text()

    # The team rounds halves down for this assessment: chosen by keyboard, kept in the vault, followed at once.
    rounding = view.rollup.rounding_choice
    assert rounding.currentText() == "Rules' own: half up"
    rounding.setFocus()
    while rounding.currentData() != "half_down":
        qtbot.keyClick(rounding, Qt.Key.Key_Down)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: "Requires improvement (2), 62% (62.5)" in view.rollup.overall.text(), timeout=10_000)
    assert state.vault.judgements.rules(window._assessment_id).rounding == "half_down"
    assert "half up" in view.rollup.rounding.text()  # the flag now names the other way


def test_judgement_only_rules_ask_no_scores_and_the_rating_is_chosen_directly(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    open_judgements(qtbot, window, state)
    view = window.judgements
    choose_rules(qtbot, window, state, "cqc-ics-judgement-only@1")
    qtbot.waitUntil(lambda: view.form.score_rows() == [] and view.form.isEnabled(), timeout=10_000)
    assert not view.form.scores_box.isVisible()
    assert "chosen by judgement" in view.rollup.overall.text()
    view.form.strengths.setFocus()
    qtbot.keyClicks(view.form.strengths, "Partners plan together.")
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    assert state.vault.judgements.get(window._assessment_id, "supporting-healthier-lives").content.strengths == "Partners plan together."


def test_key_evidence_whose_record_was_deleted_is_kept_and_shown_as_removed(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    from fieldapp import domain

    ids = tagged_evidence(state, window._assessment_id)
    link = next(link.id for link in state.vault.records.get(ids["carer"]).links if link.statement_id == "safeguarding")
    content = domain.JudgementContent("safeguarding", {"observation": domain.ScoreEntry(2)}, key_evidence=(domain.EvidenceRef(ids["carer"], link),))
    state.vault.judgements.save(window._assessment_id, "safeguarding", content)
    state.vault.records.delete(ids["carer"])
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    key = view.form.key_evidence
    removed = [key.item(i) for i in range(key.count()) if "(removed)" in key.item(i).text()]
    assert len(removed) == 1 and removed[0].checkState() == Qt.CheckState.Checked
    qtbot.keyClick(view.form.score_rows()[3].score, "3")  # another edit keeps the reference
    qtbot.waitUntil(lambda: view.form.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.judgements.get(window._assessment_id, "safeguarding").content
    assert [r.record_id for r in stored.key_evidence] == [ids["carer"]]


def test_a_judgement_typed_just_before_a_lock_is_saved_and_shown_again_after_unlock(qtbot, app: AppController) -> None:  # noqa: ANN001, F811
    main = app.main
    assert main is not None
    qtbot.keyClick(main, Qt.Key.Key_J, CTRL)
    view = main.judgements
    qtbot.waitUntil(lambda: view.form.statement_id is not None and app.state.tasks.pending == 0, timeout=10_000)
    qtbot.keyClick(view.statements, Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), "3")
    view.form.strengths.setFocus()
    qtbot.keyClicks(view.form.strengths, "Health checks reach people who never came before.")
    qtbot.keyClick(main, Qt.Key.Key_L, CTRL)  # at once: no wait for the half-second save
    qtbot.waitUntil(lambda: app.state.vault is not None and app.state.vault.is_locked, timeout=15_000)
    assert main.judgements.form.strengths.toPlainText() == "" and main.judgements.evidence.tree.topLevelItemCount() == 0
    main = unlock(qtbot, app)
    stored = app.state.vault.judgements.get(main._assessment_id, "supporting-healthier-lives").content
    assert stored.strengths == "Health checks reach people who never came before." and stored.scores["peoples-experience"].score == 3
    qtbot.waitUntil(lambda: main.judgements.form.strengths.toPlainText() == stored.strengths, timeout=10_000)


def test_a_double_click_on_evidence_opens_its_record_and_another_assessment_shows_its_own_judgements(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    ids = tagged_evidence(state, window._assessment_id)
    first = window._assessment_id
    state.vault.judgements.save(first, "safeguarding", domain.JudgementContent("safeguarding", {"observation": domain.ScoreEntry(4)}))
    open_judgements(qtbot, window, state)
    view = window.judgements
    go_to(qtbot, window, state, "safeguarding")
    tree = view.evidence.tree
    board = next(tree.topLevelItem(i).child(0) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == "Observation (1)")
    tree.scrollToItem(board)
    at = tree.visualItemRect(board).center()
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=at)  # Qt's double-click follows a press on the same item
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: window.editor.record_id == ids["board"], timeout=10_000)
    other = state.vault.assessments.create("Southshire ICS").value.id
    window.load()
    qtbot.waitUntil(lambda: window.assessments.count() == 2 and state.tasks.pending == 0, timeout=10_000)
    window.show_judgements()
    window.assessment_panel.select(other)
    qtbot.waitUntil(lambda: view.assessment_id == other and state.tasks.pending == 0, timeout=10_000)
    qtbot.waitUntil(lambda: view.model.rowCount() == 20, timeout=10_000)
    assert view.model.line(view.model.row_of("safeguarding")).state == "Not scored"
    assert "Provisional: 0 of 17" in view.rollup.scored.text()
    window.assessment_panel.select(first)
    qtbot.waitUntil(lambda: view.assessment_id == first and view.model.rowCount() == 20 and state.tasks.pending == 0, timeout=10_000)
    assert view.model.line(view.model.row_of("safeguarding")).state == "Draft"


def test_each_alt_key_in_the_judgement_view_reaches_one_control_and_none_is_a_menus(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    """Alt+U once went to the status box instead of the rounding, where Down then agreed a judgement."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QLabel

    open_judgements(qtbot, window, state)
    view = window.judgements
    texts = [w.text() for w in view.findChildren(QLabel) if w.buddy() is not None and w.isVisible()]
    texts += [w.text() for w in view.findChildren(QAbstractButton) if w.isVisible()]
    keys = [m.group(1).lower() for text in texts if (m := re.search(r"&([^&])", text))]
    assert keys and len(keys) == len(set(keys)), sorted(keys)
    menus = {m.group(1).lower() for action in window.menuBar().actions() if (m := re.search(r"&([^&])", action.text()))}
    assert not set(keys) & menus, set(keys) & menus

    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert view.rollup.rounding_choice.hasFocus()


def test_a_snapshot_dialog_open_when_the_vault_locks_is_out_of_sight_while_locked_and_back_with_its_note(qtbot, app: AppController) -> None:  # noqa: ANN001, F811
    main = app.main
    assert main is not None
    qtbot.keyClick(main, Qt.Key.Key_J, CTRL)
    view = main.judgements
    qtbot.waitUntil(lambda: view.form.statement_id is not None and app.state.tasks.pending == 0, timeout=10_000)
    view.open_snapshot("published")
    dialog = view.dialog
    assert isinstance(dialog, SnapshotDialog)
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.note, "Published after the board meeting; scores agreed.")
    app.lock()  # as the idle timer or the screen lock does, with the dialog open
    qtbot.waitUntil(lambda: app.state.vault is not None and app.state.vault.is_locked, timeout=15_000)
    assert not dialog.isVisible()  # nothing of the assessment in sight while locked
    main = unlock(qtbot, app)
    qtbot.keyClick(main, Qt.Key.Key_J, CTRL)
    qtbot.waitUntil(dialog.isVisible, timeout=10_000)  # back, with the note as typed
    assert dialog.note.toPlainText() == "Published after the board meeting; scores agreed."
    dialog.reject()


def test_publish_from_the_file_menu_with_judgements_never_opened_names_the_rating_not_no_rating_yet(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    # Dogfood: after a restart, File → Record rating review from the Report tab said "(no rating yet)"
    # beside a rating of Requires improvement (2), the view not having read it.
    aid = window._assessment_id
    state.vault.judgements.save(aid, "safeguarding", domain.JudgementContent(
        "safeguarding", {"peoples-experience": domain.ScoreEntry(2, "updated", "2026-11-21")}))  # fmt: skip
    assert window.judgements.rating is None  # the Judgements tab was never shown
    window.actions_by_name["record_review"].trigger()
    dialog = window.judgements.dialog
    assert isinstance(dialog, SnapshotDialog)
    qtbot.waitUntil(lambda: "Requires improvement (2)" in dialog.words.text(), timeout=10_000)
    assert "no rating yet" not in dialog.words.text()
    dialog.reject()
    settle(qtbot, state)
