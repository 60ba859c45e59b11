"""The report view, driven by keyboard in the real main window on a real vault (the report tests'
demo assessment: 17 statements scored, a People's-experience passage each): the texts saved as
typed and kept across a lock, quotations chosen and ordered, a draft shared by the lead inspector,
responses with their decisions, a colleague's words arriving while another field is typed, and the
texts in conflict."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialogButtonBox, QLabel, QWidget
from report_fixtures import Demo, demo  # noqa: F401 - the demo fixture
from sync_fixtures import Service, colleagues
from window_fixtures import settle, state, window, window_on  # noqa: F401 - fixtures

from fieldapp.framework import default_framework
from fieldapp.item_kinds import FacResponseContent, ReportTextContent
from fieldapp.rows import Changes
from fieldapp.vault import Vault

from test_layout import problems
from test_lead_inspector_ui import AMARA, name_lead
from test_nothing_typed_is_lost import app, unlock  # noqa: F401 - the app fixture

from ui.app import AppController
from ui.judgements.conflict import JudgementConflictDialog
from ui.main_window import MainWindow
from ui.report.accuracy import ResponsesModel, ShareDraftDialog
from ui.report.response_dialog import ResponseDialog
from ui.report.texts import FALLBACK_HINT
from ui.state import AppState

CTRL, ALT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
THEMES = [t.id for t in default_framework().themes]


@pytest.fixture
def shown(qtbot, vault: Vault, demo: Demo) -> Iterator[tuple[MainWindow, AppState, str]]:  # noqa: ANN001, F811
    """The app's window on the demo assessment, at 1366×740, the report view open by Ctrl+R."""
    with window_on(qtbot, vault) as (window, state):
        open_report(qtbot, window, state)
        yield window, state, demo.assessment_id


def open_report(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    qtbot.keyClick(window.search_box, Qt.Key.Key_R, CTRL)
    view = window.report
    qtbot.waitUntil(lambda: view.texts_row is not None and state.tasks.pending == 0, timeout=10_000)


def page(qtbot, window: MainWindow, index: int) -> None:  # noqa: ANN001
    """To a page of the report view by its Alt key, as a person does (Alt+T, Alt+Q, Alt+C)."""
    qtbot.keyClick(window.report.pages.currentWidget(), "tqc"[index], ALT)
    assert window.report.pages.currentIndex() == index


def test_ctrl_r_shows_the_report_and_a_summary_typed_is_saved_half_a_second_later(qtbot, shown) -> None:  # noqa: ANN001
    window, state, aid = shown
    view = window.report
    assert window.tabs.currentWidget() is view and not window.editor_area.isVisible()
    assert QApplication.focusWidget() is view.texts.summary
    themes = [k[1] for k in view.texts.keys() if isinstance(k, tuple) and k[0] == "strengths"]
    assert themes == THEMES  # the framework's themes, in its order
    hints = [w.text() for w in view.texts.findChildren(QLabel) if w.text() == FALLBACK_HINT]
    assert len(hints) == len(THEMES)
    qtbot.keyClicks(view.texts.summary, "Northshire serves 1.2 million people.")
    qtbot.keyClick(view.texts.summary, Qt.Key.Key_Tab)  # the progress commentary beside it, then the first theme's strengths
    qtbot.keyClick(view.texts.progress, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.texts.editor(("strengths", THEMES[0]))
    qtbot.keyClicks(QApplication.focusWidget(), "Health checks reach more people.")
    qtbot.waitUntil(lambda: view.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.report_texts.texts(aid).content
    assert stored.summary == "Northshire serves 1.2 million people."
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, CTRL)  # the next page, Quotations
    assert view.pages.currentWidget() is view.quotations and window.tabs.currentWidget() is view
    assert stored.strengths == {THEMES[0]: "Health checks reach more people."}


def test_a_summary_typed_just_before_a_lock_is_saved_and_shown_again_after_unlock(qtbot, app: AppController) -> None:  # noqa: ANN001, F811
    main = app.main
    assert main is not None
    qtbot.keyClick(main, Qt.Key.Key_R, CTRL)
    view = main.report
    qtbot.waitUntil(lambda: view.texts_row is not None and app.state.tasks.pending == 0, timeout=10_000)
    qtbot.keyClicks(view.texts.summary, "Two acute trusts, one mental health trust.")
    view.accuracy.share_button.click()  # a dialog open, a day typed in it, when the vault locks
    dialog = view.dialog
    assert isinstance(dialog, ShareDraftDialog)
    qtbot.waitUntil(dialog.isVisible)
    dialog.day.selectAll()
    qtbot.keyClicks(dialog.day, "5/12/2026")
    app.lock()  # as the idle timer or the screen lock does (the dialog holds the keys), at once: no wait for the half-second save
    qtbot.waitUntil(lambda: app.state.vault is not None and app.state.vault.is_locked, timeout=15_000)
    assert view.texts.summary.toPlainText() == "" and not view.texts.isEnabled()
    assert not dialog.isVisible()  # nothing in sight while locked
    main = unlock(qtbot, app)
    aid = main.assessment_panel.current().id
    assert app.state.vault.report_texts.texts(aid).content.summary == "Two acute trusts, one mental health trust."
    qtbot.waitUntil(lambda: main.report.texts.summary.toPlainText() == "Two acute trusts, one mental health trust.", timeout=10_000)
    qtbot.waitUntil(dialog.isVisible)  # back, with the day as typed
    assert dialog.day.text() == "05/12/2026"  # as typed, tidied to the app's own style when the field was left
    dialog.reject()


def test_two_quotations_chosen_by_space_and_moved_by_keys_are_stored_in_that_order(qtbot, vault: Vault, demo: Demo) -> None:  # noqa: ANN001, F811
    aid = demo.assessment_id
    vault.report_texts.choose_quotations(aid, [])  # the demo chose them all: start from none
    suggestions = vault.report_texts.suggestions(aid)
    with window_on(qtbot, vault) as (window, state):
        open_report(qtbot, window, state)
        page(qtbot, window, 1)
        panel = window.report.quotations
        items = panel.list
        assert panel.count.text() == f"0 of {len(suggestions)} suggestions chosen"
        items.setFocus()
        qtbot.keyClick(items, Qt.Key.Key_Down)  # the second suggestion
        qtbot.keyClick(items, Qt.Key.Key_Space)
        assert panel.chosen() == [(suggestions[1].record_id, suggestions[1].link_id)]  # taken at once, shown a moment later
        qtbot.waitUntil(lambda: items.item(0).text().startswith("1. ") and items.currentRow() == 0)
        qtbot.keyClick(items, Qt.Key.Key_Down)  # the list now reads: the chosen one, then the first, the third…
        qtbot.keyClick(items, Qt.Key.Key_Space)  # the first suggestion, quoted second
        assert len(panel.chosen()) == 2
        qtbot.waitUntil(lambda: items.currentItem().text().startswith("2. "))
        qtbot.keyClick(items, Qt.Key.Key_Up, ALT)  # quoted first now
        assert items.currentRow() == 0 and items.currentItem().text().startswith("1. ")
        settle(qtbot, state)
        assert panel.count.text() == f"2 of {len(suggestions)} suggestions chosen"
        stored = [(q.record_id, q.link_id) for q in vault.report_texts.quotations(aid)]
        assert stored == [(s.record_id, s.link_id) for s in (suggestions[0], suggestions[1])]
        qtbot.keyClick(items, Qt.Key.Key_Down, CTRL)  # Ctrl+Down moves it back
        settle(qtbot, state)
        assert [q.record_id for q in vault.report_texts.quotations(aid)] == [suggestions[1].record_id, suggestions[0].record_id]
        qtbot.keyClick(items, Qt.Key.Key_Return)  # its record in the editor
        qtbot.waitUntil(lambda: window.editor.record_id == suggestions[0].record_id, timeout=10_000)
        assert window.tabs.currentIndex() == 0


def gone(dialog: QWidget) -> bool:
    """Closed (a dialog deletes itself on close)."""
    try:
        return not dialog.isVisible()
    except RuntimeError:
        return True


def share(qtbot, window: MainWindow, state: AppState, day: str | None = None) -> ShareDraftDialog:  # noqa: ANN001
    """Share a draft from the factual accuracy check's page by keyboard; day typed, or today's."""
    page(qtbot, window, 2)
    panel = window.report.accuracy
    panel.share_button.setFocus()
    qtbot.keyClick(panel.share_button, Qt.Key.Key_Space)
    dialog = window.report.dialog
    assert isinstance(dialog, ShareDraftDialog)
    qtbot.waitUntil(dialog.isVisible)
    if day is not None:
        dialog.day.selectAll()
        qtbot.keyClicks(dialog.day, day)
    qtbot.keyClick(dialog.day, Qt.Key.Key_Return)
    return dialog


def test_the_lead_shares_a_draft_on_the_day_typed_and_it_is_listed(qtbot, shown) -> None:  # noqa: ANN001
    window, state, aid = shown
    panel = window.report.accuracy
    assert panel.share_button.isEnabled() and panel.why_not_share.text() == ""
    assert not panel.add_button.isEnabled() and "Share a draft first" in panel.why_not_add.text()
    dialog = share(qtbot, window, state, "4/12/2026")
    qtbot.waitUntil(lambda: gone(dialog) and state.tasks.pending == 0, timeout=20_000)
    drafts = state.vault.report_texts.drafts(aid)
    assert [d.shared_on for d in drafts] == ["2026-12-04"] and len(drafts[0].paragraphs) > 17
    qtbot.waitUntil(lambda: "04/12/2026" in panel.drafts.text())
    assert f"{len(drafts[0].paragraphs)} paragraphs" in panel.drafts.text() and panel.add_button.isEnabled()


def test_a_day_that_does_not_read_is_refused_in_the_share_dialog_which_stays_open(qtbot, shown) -> None:  # noqa: ANN001
    window, state, aid = shown
    dialog = share(qtbot, window, state, "the thirty-third")
    assert dialog.isVisible() and dialog.message.text().startswith("Not shared:") and dialog.day.text() == "the thirty-third"
    assert state.vault.report_texts.drafts(aid) == ()
    dialog.reject()


def test_a_response_not_accepted_without_a_reason_is_refused_beside_the_reason_and_kept_until_the_reason_is_written(qtbot, shown) -> None:  # noqa: ANN001
    window, state, aid = shown
    share(qtbot, window, state)
    settle(qtbot, state)
    panel = window.report.accuracy
    qtbot.waitUntil(panel.add_button.isEnabled)
    draft = state.vault.report_texts.drafts(aid)[0]
    qtbot.keyClick(panel.add_button, Qt.Key.Key_Space)
    dialog = window.report.dialog
    assert isinstance(dialog, ResponseDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.draft.isVisible()  # one draft: nothing to choose
    dialog.paragraph.setFocus()
    dialog.paragraph.selectAll()
    qtbot.keyClicks(dialog.paragraph, "3")
    assert dialog.paragraph_text.toPlainText() == next(p.text for p in draft.paragraphs if p.number == 3)
    qtbot.keyClick(dialog.organisation, Qt.Key.Key_Down)  # the ICP
    dialog.said.setFocus()
    qtbot.keyClicks(dialog.said, "The partnership met monthly, not quarterly.")
    dialog.decision.setFocus()
    qtbot.keyClick(dialog.decision, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.decision, Qt.Key.Key_Down)  # not accepted
    assert dialog.reason.isVisible() and not dialog.change.isVisible()
    qtbot.keyClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.errors["reason"].isVisible(), timeout=10_000)
    assert dialog.errors["reason"].text() == "A response not accepted says why: write the reason."
    assert dialog.isVisible() and dialog.reason.hasFocus()
    assert dialog.said.toPlainText() == "The partnership met monthly, not quarterly." and dialog.paragraph.value() == 3
    assert state.vault.report_texts.responses(aid) == ()
    qtbot.keyClicks(dialog.reason, "The minutes show quarterly meetings.")
    qtbot.keyClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: gone(dialog) and state.tasks.pending == 0, timeout=10_000)
    (stored,) = state.vault.report_texts.responses(aid)
    assert (stored.content.paragraph, stored.content.organisation, stored.content.decision, stored.content.reason) == (
        3, "icp", "not_accepted", "The minutes show quarterly meetings.",
    )  # fmt: skip
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    cells = [panel.model.index(0, c).data() for c in range(5)]
    assert cells == ["3", "The Integrated Care Partnership", "The partnership met monthly, not quarterly.", "Not accepted",
                     "The minutes show quarterly meetings."]  # fmt: skip
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)  # Enter edits it
    again = window.report.dialog
    assert isinstance(again, ResponseDialog) and again is not dialog
    qtbot.waitUntil(again.isVisible)
    assert again.windowTitle() == "Edit response" and again.reason.toPlainText() == "The minutes show quarterly meetings."
    again.decision.setCurrentIndex(again.decision.findData("accepted"))
    qtbot.keyClicks(again.change, "Paragraph 3 now says monthly.")
    qtbot.keyClick(again.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: gone(again) and state.tasks.pending == 0, timeout=10_000)
    (changed,) = state.vault.report_texts.responses(aid)
    assert changed.id == stored.id and (changed.content.decision, changed.content.change) == ("accepted", "Paragraph 3 now says monthly.")


def test_another_organisation_must_be_named_and_the_words_say_so_beside_its_name(qtbot, shown) -> None:  # noqa: ANN001
    window, state, aid = shown
    share(qtbot, window, state)
    settle(qtbot, state)
    window.report.open_response(None)
    dialog = window.report.dialog
    assert isinstance(dialog, ResponseDialog)
    dialog.organisation.setCurrentIndex(dialog.organisation.findData("other"))
    qtbot.keyClicks(dialog.said, "Our name is spelt wrongly.")
    dialog.on_buttons_accepted()
    qtbot.waitUntil(lambda: dialog.errors["organisation_name"].isVisible(), timeout=10_000)
    assert "organisation's name is missing" in dialog.errors["organisation_name"].text() and dialog.said.toPlainText() == "Our name is spelt wrongly."
    dialog.reject()


def test_a_colleagues_laptop_cannot_share_the_draft_and_says_who_does(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    name_lead(qtbot, window, state, me="0190b2c4-0000-7000-8000-00000000000b")
    open_report(qtbot, window, state)
    panel = window.report.accuracy
    why = "Only the lead inspector, Amara Okafor, shares the draft for the factual accuracy check."
    assert not panel.share_button.isEnabled() and panel.share_button.toolTip() == why
    page(qtbot, window, 2)
    assert panel.why_not_share.isVisible() and panel.why_not_share.text() == why


def test_the_leads_own_laptop_may_share(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    name_lead(qtbot, window, state, me=AMARA)
    open_report(qtbot, window, state)
    assert window.report.accuracy.share_button.isEnabled() and window.report.accuracy.why_not_share.text() == ""


def test_a_colleagues_words_arriving_show_in_their_field_and_the_words_being_typed_in_another_stay(qtbot, shown) -> None:  # noqa: ANN001
    window, state, aid = shown
    view = window.report
    progress = view.texts.progress
    progress.setFocus()
    qtbot.keyClicks(progress, "Since 2024 the ICS has")
    # A colleague's summary arrives (as a sync leaves it) while the progress is being typed, unsaved.
    current = state.vault.report_texts.texts(aid).content
    state.vault.report_texts.save_texts(aid, dataclasses.replace(current, summary="A colleague's summary."))
    state.signals.operation_did_execute.emit(Changes(judgements=frozenset({aid}), from_sync=True), window.sync)
    qtbot.waitUntil(lambda: view.texts.summary.toPlainText() == "A colleague's summary.", timeout=10_000)
    assert progress.toPlainText() == "Since 2024 the ICS has" and progress.hasFocus()
    qtbot.keyClicks(progress, " joined up discharge.")
    qtbot.waitUntil(lambda: view.save_status.text() == "Saved", timeout=10_000)
    stored = state.vault.report_texts.texts(aid).content
    assert (stored.summary, stored.progress) == ("A colleague's summary.", "Since 2024 the ICS has joined up discharge.")


def test_the_report_view_fits_at_1366_by_768_on_each_page(qtbot, vault: Vault, demo: Demo) -> None:  # noqa: ANN001, F811
    with window_on(qtbot, vault) as (window, state):
        window.resize(1366, 768)
        open_report(qtbot, window, state)
        for index in range(3):
            page(qtbot, window, index)
            qtbot.wait(50)
            assert problems(window) == [], window.report.pages.tabText(index)
        assert window.report.texts_area.horizontalScrollBar().maximum() == 0
        assert window.report.texts.summary.width() >= 380  # a readable column, not squeezed


def test_each_alt_key_in_a_page_of_the_report_view_reaches_one_control_and_none_is_a_menus(qtbot, shown) -> None:  # noqa: ANN001
    window, _state, _aid = shown
    view = window.report
    menus = {m.group(1).lower() for action in window.menuBar().actions() if (m := re.search(r"&([^&])", action.text()))}
    tabs = {m.group(1).lower() for i in range(3) if (m := re.search(r"&([^&])", view.pages.tabText(i)))}
    assert len(tabs) == 3
    for index in range(3):
        page(qtbot, window, index)
        texts = [w.text() for w in view.findChildren(QLabel) if w.buddy() is not None and w.isVisible()]
        texts += [w.text() for w in view.findChildren(QAbstractButton) if w.isVisible()]
        keys = [m.group(1).lower() for text in texts if (m := re.search(r"&([^&])", text))]
        assert len(keys) == len(set(keys)) and not set(keys) & (menus | tabs), (index, sorted(keys))


def test_the_responses_model_passes_qts_model_tester(qtmodeltester, vault: Vault, demo: Demo) -> None:  # noqa: ANN001, F811
    from fieldapp.report.build import share_draft
    from datetime import date

    aid = demo.assessment_id
    _report, draft = share_draft(vault, aid, date(2026, 12, 4))
    vault.report_texts.record_response(aid, FacResponseContent(draft.id, 2, "icb", "A date is wrong."))
    vault.report_texts.record_response(aid, FacResponseContent(draft.id, 1, "other", "Name.", organisation_name="Northshire Council"))
    model = ResponsesModel()
    model.set_rows(vault.report_texts.responses(aid), False)
    qtmodeltester.check(model)
    assert [model.index(r, 1).data() for r in range(2)] == ["Northshire Council", "The Integrated Care Board"]


def _write(device, aid: str, summary: str) -> None:  # noqa: ANN001
    device.vault.report_texts.save_texts(aid, ReportTextContent(summary=summary))


def test_the_texts_in_conflict_say_so_and_keeping_one_version_ends_it(qtbot, inprocess_sqlite_service: Service, make_device) -> None:  # noqa: ANN001
    aid, mine, theirs, _record = colleagues(inprocess_sqlite_service, make_device)
    _write(theirs, aid, "A summary of the ICS.")  # both hold it; then each changes its one line
    theirs.sync()
    mine.sync()
    _write(theirs, aid, "Their summary of the ICS.")
    theirs.sync()
    _write(mine, aid, "My summary of the ICS.")
    mine.sync()
    assert mine.vault.report_texts.texts(aid).conflict
    with window_on(qtbot, mine.vault) as (window, state):
        open_report(qtbot, window, state)
        texts = window.report.texts
        assert texts.conflict.isVisible() and "changed in different ways on two laptops" in texts.conflict.text()
        texts.conflict_button.setFocus()
        qtbot.keyClick(texts.conflict_button, Qt.Key.Key_Space)
        dialog = window.report.dialog
        assert isinstance(dialog, JudgementConflictDialog)
        qtbot.waitUntil(lambda: dialog.versions[1].toPlainText() != "", timeout=10_000)
        assert dialog.windowTitle() == "Report's texts in conflict"
        # Said once, and named as on the Texts page (dogfood: "The report's texts (…): the report's texts were…").
        intro = dialog.findChildren(QLabel)[0].text()
        assert intro.startswith("Summary, narratives, progress and quotations: the report's texts were changed") and intro.count("report's texts") == 1
        assert "Progress commentary" in dialog.versions[0].toPlainText() and "Commentary on progress" not in dialog.versions[0].toPlainText()
        sides = [v.toPlainText() for v in dialog.versions]
        kept = next(n for n, side in enumerate(sides) if "Their summary" in side)
        with qtbot.waitSignal(dialog.accepted, timeout=10_000):
            qtbot.keyClick(dialog.keep_buttons[kept], Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: state.tasks.pending == 0 and not texts.conflict.isVisible(), timeout=10_000)
        stored = state.vault.report_texts.texts(aid)
        assert not stored.conflict and stored.content.summary == "Their summary of the ICS."
        assert texts.summary.toPlainText() == "Their summary of the ICS."


def test_with_two_drafts_shared_a_response_names_its_draft_and_shows_that_drafts_paragraph(qtbot, vault: Vault, demo: Demo) -> None:  # noqa: ANN001, F811
    from datetime import date

    from fieldapp.report.build import share_draft

    aid = demo.assessment_id
    share_draft(vault, aid, date(2026, 12, 4))
    vault.report_texts.save_texts(aid, ReportTextContent(summary="A summary written after the first draft."))
    share_draft(vault, aid, date(2026, 12, 11))
    first, second = vault.report_texts.drafts(aid)
    with window_on(qtbot, vault) as (window, state):
        open_report(qtbot, window, state)
        page(qtbot, window, 2)
        panel = window.report.accuracy
        assert "04/12/2026" in panel.drafts.text() and "11/12/2026" in panel.drafts.text()
        qtbot.keyClick(panel.add_button, Qt.Key.Key_Space)
        dialog = window.report.dialog
        assert isinstance(dialog, ResponseDialog)
        qtbot.waitUntil(dialog.isVisible)
        assert dialog.draft.isVisible() and dialog.draft.count() == 2 and dialog.draft.currentData() == second.id  # the latest first
        dialog.paragraph.setValue(2)
        assert dialog.paragraph_text.toPlainText() == next(p.text for p in second.paragraphs if p.number == 2)
        qtbot.keyClick(dialog.draft, Qt.Key.Key_Up)
        assert dialog.draft.currentData() == first.id
        assert dialog.paragraph_text.toPlainText() == next(p.text for p in first.paragraphs if p.number == 2)
        qtbot.keyClicks(dialog.said, "This paragraph was right in the first draft.")
        dialog.on_buttons_accepted()
        qtbot.waitUntil(lambda: gone(dialog) and state.tasks.pending == 0, timeout=10_000)
        (stored,) = vault.report_texts.responses(aid)
        assert (stored.content.draft_id, stored.content.paragraph, stored.content.decision) == (first.id, 2, "")
        qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
        assert panel.model.index(0, 0).data() == "2 (draft of 04/12/2026)" and panel.model.index(0, 3).data() == "Awaiting a decision"


def test_words_typed_then_another_assessment_chosen_are_saved_to_the_first_and_the_second_shows_its_own(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    first = window._assessment_id
    other = state.vault.assessments.create("Southshire ICS").value.id
    state.vault.report_texts.save_texts(other, ReportTextContent(summary="Southshire's own summary."))
    window.load()
    qtbot.waitUntil(lambda: window.assessments.count() == 2 and state.tasks.pending == 0, timeout=10_000)
    window.assessment_panel.select(first)
    settle(qtbot, state)
    open_report(qtbot, window, state)
    view = window.report
    qtbot.keyClicks(view.texts.summary, "Northshire's summary, typed.")
    window.assessment_panel.select(other)  # at once: no wait for the half-second save
    qtbot.waitUntil(lambda: view.assessment_id == other and state.tasks.pending == 0, timeout=10_000)
    assert view.texts.summary.toPlainText() == "Southshire's own summary."
    assert state.vault.report_texts.texts(first).content.summary == "Northshire's summary, typed."


def test_the_views_preview_and_export_buttons_trigger_files_own_actions_after_saving_the_words_typed(qtbot, shown) -> None:  # noqa: ANN001
    window, state, aid = shown
    view = window.report
    preview, export, publish = view.action_buttons
    assert [b.text() for b in (preview, export, publish)] == ["Preview report…", "Export report…", "Publish report…"] and preview.isEnabled()
    qtbot.keyClicks(view.texts.summary, "Words typed just before the preview.")
    preview.setFocus()
    with qtbot.waitSignal(window.actions_by_name["preview_report"].triggered, timeout=5_000):
        qtbot.keyClick(preview, Qt.Key.Key_Space)
    settle(qtbot, state)
    assert state.vault.report_texts.texts(aid).content.summary == "Words typed just before the preview."
    window.report_dialog.reject()
