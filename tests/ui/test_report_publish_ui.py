"""Publishing and verifying a report in the app (issue 14): File → Publish report… (the lead
inspector's; a colleague sees it disabled and why) freezes the report on the vault worker and offers
to export it; the Export dialog offers each published report, written with its seal; File → Verify a
report file… says Verified for that file and NOT verified, naming what failed, once its seal is
altered; a conflict refuses publishing in words."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox
from report_fixtures import Demo, demo  # noqa: F401
from sqlalchemy import text
from test_lead_inspector_ui import AMARA, name_lead
from window_fixtures import window_on

from fieldapp.framework import default_framework
from fieldapp.judgements import judgement_id
from fieldapp.report.seal import read_seal
from fieldapp.vault import Vault

from ui.main_window import MainWindow
from ui.report.dialog import ReportDialog
from ui.report.publish import PublishDialog
from ui.report.verify import FAILED, PASSED, VerifyDialog


def _publish_by_the_menu(qtbot, window: MainWindow, on: str) -> PublishDialog:  # noqa: ANN001
    action = window.actions_by_name["publish_report"]
    assert action in window.menus["File"].actions() and action.isEnabled()
    action.trigger()
    dialog: PublishDialog = window.publish_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert "frozen and signed: it cannot be changed afterwards" in dialog.warning.text()
    assert dialog.published_on.text() == date.today().strftime("%d/%m/%Y")  # day first, today unless changed
    dialog.published_on.setText(on)
    dialog.go.click()
    return dialog


def _export_published_html(qtbot, window: MainWindow, publish: PublishDialog, target: Path) -> ReportDialog:  # noqa: ANN001
    """Publish's "Export it now…": the Export dialog with the published report chosen, written as HTML to target."""
    publish.export_now.click()
    qtbot.waitUntil(lambda: isinstance(getattr(window, "report_dialog", None), ReportDialog) and window.report_dialog.isVisible())
    dialog: ReportDialog = window.report_dialog
    qtbot.waitUntil(lambda: dialog.published_id() == publish.published_id, timeout=10_000)
    assert dialog.which.currentText() == "Published report of 08/12/2026" and not dialog.shared_on.isEnabled()
    assert dialog.sizeHint().width() <= 1366 and dialog.sizeHint().height() <= 740  # fits a 1366×768 screen
    dialog.format.setCurrentIndex(dialog.format.findData("html"))
    asked: list[Path] = []
    dialog.choose_path = lambda _parent, suggested, _fmt: asked.append(suggested) or target
    dialog.go.click()
    qtbot.waitUntil(lambda: dialog.written_path is not None, timeout=30_000)
    assert asked[0].name == "Northshire & Coast ICS report published 2026-12-08.html"
    return dialog


def _verify_in_the_app(qtbot, window: MainWindow, path: Path) -> VerifyDialog:  # noqa: ANN001
    action = window.actions_by_name["verify_report"]
    assert action in window.menus["File"].actions()
    action.trigger()
    dialog: VerifyDialog = window.verify_dialog
    dialog.choose_file = lambda _parent: path
    dialog.go.click()
    qtbot.waitUntil(lambda: dialog.result.text().startswith(("Verified", "NOT verified")), timeout=30_000)
    return dialog


def _lines(dialog: VerifyDialog) -> list[str]:
    return [dialog.checks.item(i).text() for i in range(dialog.checks.count())]


def test_the_lead_publishes_by_the_menu_exports_it_with_its_seal_and_the_app_verifies_it(
    qtbot, vault: Vault, demo: Demo, tmp_path: Path  # noqa: ANN001
) -> None:
    target = tmp_path / "published.html"
    with window_on(qtbot, vault) as (window, state):
        publish = _publish_by_the_menu(qtbot, window, "08/12/2026")
        qtbot.waitUntil(lambda: publish.published_id is not None, timeout=30_000)
        (row,) = vault.published.list(demo.assessment_id)
        assert row.id == publish.published_id and row.published_on == "2026-12-08" and row.verified
        assert publish.message.text().startswith("Published the report of 08/12/2026") and publish.export_now.isVisible()
        assert not publish.go.isVisible()
        export = _export_published_html(qtbot, window, publish, target)
        assert export.message.text().startswith(f"Wrote the report to {target}.")
        assert read_seal(target).report_id == row.id
        export.close()

        verify = _verify_in_the_app(qtbot, window, target)
        lines = _lines(verify)
        assert lines and all(line.startswith(PASSED) for line in lines), lines
        assert any("cited revisions are in this vault, unchanged" in line for line in lines)
        assert verify.result.text().startswith(f"Verified: published.html is published report {row.id[:12]}… of 08/12/2026")

        html = target.read_text(encoding="utf-8")
        seal_json = re.search(r'<script type="application/json" id="fieldapp-seal">(.*?)</script>', html)
        assert seal_json is not None
        altered = seal_json.group(1).replace(f'"digest":"{row.digest}"', '"digest":"' + "0" * 64 + '"')
        assert altered != seal_json.group(1)
        target.write_text(html.replace(seal_json.group(1), altered), encoding="utf-8")
        verify.go.click()
        qtbot.waitUntil(lambda: verify.result.text().startswith(("Verified", "NOT verified")), timeout=30_000)
        assert verify.result.text().startswith("NOT verified: The file's seal differs from what is signed in this vault")
        assert "the file's digest is not the signed one" in verify.result.text()
        assert any(line.startswith(FAILED) and "digest" in line for line in _lines(verify))
        verify.close()
        qtbot.waitUntil(lambda: state.tasks.pending == 0)


def test_a_working_copy_is_not_verified_and_says_it_carries_no_seal(qtbot, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    from fieldapp.report.build import build_report
    from fieldapp.report.html import write_html

    working = write_html(build_report(vault, demo.assessment_id, draft=False, shared_on=None), tmp_path / "working.html")
    with window_on(qtbot, vault) as (window, _state):
        verify = _verify_in_the_app(qtbot, window, working)
        assert verify.result.text().startswith("NOT verified: ") and "seal" in verify.result.text()
        assert _lines(verify)[0].startswith(FAILED)
        verify.close()


def test_a_colleague_sees_publish_report_disabled_and_who_publishes_it(qtbot, vault: Vault, demo: Demo) -> None:  # noqa: ANN001
    with window_on(qtbot, vault) as (window, state):
        name_lead(qtbot, window, state, me="0190b2c4-0000-7000-8000-00000000000b")
        action = window.actions_by_name["publish_report"]
        assert not action.isEnabled()
        assert action.toolTip() == action.statusTip() == "Only the lead inspector, Amara Okafor, publishes the report."
        assert window.actions_by_name["verify_report"].isEnabled()  # anyone may verify a file


def test_the_leads_own_laptop_is_offered_publish_report(qtbot, vault: Vault, demo: Demo) -> None:  # noqa: ANN001
    with window_on(qtbot, vault) as (window, state):
        name_lead(qtbot, window, state, me=AMARA)
        assert window.actions_by_name["publish_report"].isEnabled()


def test_publishing_during_a_conflict_is_refused_in_words_and_publishes_nothing(qtbot, vault: Vault, demo: Demo) -> None:  # noqa: ANN001
    statement = default_framework().statements[2]
    with vault.transaction("marking a conflict, as a sync that found one does") as session:
        session.execute(text("UPDATE records SET sync_state = 'conflict' WHERE id = :id"), {"id": judgement_id(demo.assessment_id, statement.id)})
    with window_on(qtbot, vault) as (window, _state):
        publish = _publish_by_the_menu(qtbot, window, "08/12/2026")
        qtbot.waitUntil(lambda: publish.message.text().startswith("Not published:"), timeout=30_000)
        assert f"‘{statement.name}’" in publish.message.text()
        assert publish.go.isEnabled() and not publish.export_now.isVisible() and publish.published_id is None
        assert vault.published.list(demo.assessment_id) == ()
        publish.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()


def test_a_publication_date_that_does_not_read_is_asked_again(qtbot, vault: Vault, demo: Demo) -> None:  # noqa: ANN001
    with window_on(qtbot, vault) as (window, _state):
        publish = _publish_by_the_menu(qtbot, window, "the thirty-third")
        assert publish.message.text().startswith("Published on: ") and publish.go.isEnabled()
        assert vault.published.list(demo.assessment_id) == ()
        publish.reject()


def test_export_report_offers_each_published_report_and_writes_it_sealed_as_word_and_pdf(
    qtbot, vault: Vault, demo: Demo, tmp_path: Path  # noqa: ANN001
) -> None:
    first = vault.published.publish(demo.assessment_id, date(2026, 12, 8)).value
    second = vault.published.publish(demo.assessment_id, date(2026, 12, 8)).value
    with window_on(qtbot, vault) as (window, _state):
        window.actions_by_name["export_report"].trigger()
        dialog: ReportDialog = window.report_dialog
        qtbot.waitUntil(lambda: dialog.which.count() == 4, timeout=10_000)
        choices = [dialog.which.itemText(i) for i in range(dialog.which.count())]
        assert choices == ["Working copy", "Draft for factual accuracy check", "Published report of 08/12/2026", "Published report of 08/12/2026 (2)"]
        dialog.which.setCurrentIndex(dialog.which.findData(first.id))
        for fmt in ("docx", "pdf"):
            dialog.written_path = None
            dialog.format.setCurrentIndex(dialog.format.findData(fmt))
            dialog.choose_path = lambda _parent, _suggested, f: tmp_path / f"published.{f}"
            dialog.go.click()
            qtbot.waitUntil(lambda: dialog.written_path is not None, timeout=60_000)
            assert read_seal(dialog.written_path).report_id == first.id != second.id
        dialog.close()
        for fmt in ("docx", "pdf"):
            verify = _verify_in_the_app(qtbot, window, tmp_path / f"published.{fmt}")
            assert verify.result.text().startswith(f"Verified: published.{fmt} is published report {first.id[:12]}…")
            assert verify.result.text().endswith("Only its seal was checked, not the text it shows: verify the HTML export to compare that word for word.")
            assert _lines(verify)[-1].startswith("Note: The file is a ") and "only its seal was checked" in _lines(verify)[-1]
            verify.close()
