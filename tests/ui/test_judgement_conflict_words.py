"""Found by using two laptops as two inspectors: a judgement's or a rating's conflict, side by side,
reads in the app's own words (the status as the form says it, the scoring rules by name), not the
stored values ('agreed', 'cqc-ics-by-statement@1')."""

from __future__ import annotations

from PySide6.QtCore import Qt
from window_fixtures import window_on
from sync_fixtures import Service, colleagues

from fieldapp import domain


STATEMENT = "safeguarding"


def test_a_status_and_a_rules_conflict_are_shown_in_the_apps_words(qtbot, inprocess_sqlite_service: Service, make_device) -> None:  # noqa: ANN001
    assessment_id, mine, theirs, _record = colleagues(inprocess_sqlite_service, make_device)
    theirs.vault.judgements.save(assessment_id, STATEMENT, domain.JudgementContent(STATEMENT, {"observation": domain.ScoreEntry(3)}, status="agreed"))
    theirs.vault.judgements.set_rules(assessment_id, "cqc-ics-by-statement@1")
    theirs.sync()
    mine.vault.judgements.save(assessment_id, STATEMENT, domain.JudgementContent(STATEMENT, {"observation": domain.ScoreEntry(2)}))
    mine.vault.judgements.set_rules(assessment_id, "cqc-ics-judgement-only@1")
    mine.sync()
    assert mine.vault.judgements.get(assessment_id, STATEMENT).conflict
    with window_on(qtbot, mine.vault) as (window, _state):
        qtbot.keyClick(window.search_box, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        dialog = window._conflicts
        assert dialog is not None
        qtbot.waitUntil(lambda: dialog.records.count() == 2 and dialog.versions[1].toPlainText() != "", timeout=10_000)
        shown: dict[str, list[str]] = {}  # the item's name in the list: its two sides
        for row in range(dialog.records.count()):
            dialog.records.setCurrentRow(row)
            qtbot.waitUntil(lambda: dialog.versions[0].toPlainText() != "" and dialog.versions[1].toPlainText() != "", timeout=10_000)
            shown[dialog.records.item(row).text()] = [v.toPlainText() for v in dialog.versions]
        judgement = next(sides for name, sides in shown.items() if STATEMENT.capitalize() in name)
        rating = next(sides for name, sides in shown.items() if STATEMENT.capitalize() not in name)
        assert any("Agreed by the lead inspector" in side for side in judgement)
        assert any("Draft" in side for side in judgement)
        assert not any("agreed\n" in side or side.endswith("agreed") for side in judgement)
        assert any("By quality statement" in side for side in rating)
        assert not any("@1" in side for side in rating)
        dialog.close()
