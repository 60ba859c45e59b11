"""Regenerate docs/screenshots/*.png from a demo vault: `python -m ui.screenshots [OUT_DIR]`.

Renders the real windows offscreen (QWidget.grab), so it needs no display, only fonts. The main
window is shot at 1366×768, a small laptop's screen, in the light theme whatever the desktop's, and
again in the dark theme with its evidence, coverage and judgements; dialogs at their own size, and a
draft report's first pages as the PDF paints them.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QRectF, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from fieldapp import domain  # noqa: E402
from fieldapp.errors import WrongPassphrase  # noqa: E402
from fieldapp.storage.keys import KdfParams  # noqa: E402
from fieldapp.links import passage_of  # noqa: E402
from fieldapp.report.build import build_report  # noqa: E402
from fieldapp.report.model import Report  # noqa: E402
from fieldapp.vault import Vault  # noqa: E402

from ui import theme  # noqa: E402
from ui.first_run import FirstRunWizard  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.report.pdf import ReportPages  # noqa: E402
from ui.state import AppState  # noqa: E402
from ui.unlock import UnlockWindow  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSPHRASE = "demo vault passphrase"


def demo_vault(path: Path) -> Vault:
    vault = Vault.create(path, PASSPHRASE, kdf=KdfParams()).vault
    team = (("Asha Lead", "lead"), ("Ben Inspector", "inspector"), ("Cara Adviser", "specialist_adviser"), ("Dev Expert", "expert_by_experience"))
    ics = vault.assessments.create("Northshire ICS", period_start="2026-11-16", period_end="2026-11-27", team=team).value.id
    east = vault.places.add(ics, "East locality", "locality").value.id
    icb = vault.places.add(ics, "Northshire ICB", "icb").value.id
    vault.places.add(ics, "Northshire County Council", "local_authority")
    board = vault.records.create(ics, domain.Observation(
        title="ICB board, November", meeting_type="icb", held_at="2026-11-20T10:00", location="County Hall",
        attendees=(domain.Attendee("ICB chair", "Northshire ICB"), domain.Attendee("Director of nursing", "Northshire ICB")),
        notes="10:02  Chair opens; quorum confirmed\n10:42  Chair asks for the winter plan to come back in December\n"
              "10:51  Finance director: deficit plan depends on discharge flow",
    )).value  # fmt: skip
    notes = board.content
    start = notes.notes.index("winter plan")
    vault.links.tag(board.id, "governance-management-sustainability", passage=passage_of(notes, "notes", start, start + 11))
    carer = vault.records.create(ics, domain.Interview(
        title="Carer of a person living with dementia", role="carer", pseudonym="Carer C4",
        consent=domain.Consent(True, "verbal", "2026-11-20T14:00"), held_at="2026-11-20T14:00",
        notes="Describes a delayed discharge and no respite care for six weeks.",
        site="off_site", mode="face_to_face", face_to_face_reasons=("communication_needs", "sensitive_inquiry"),
        team=("Ben Inspector", "Dev Expert"), places=(east,),
    )).value  # fmt: skip
    vault.links.tag(carer.id, "safe-systems-pathways-transitions")
    person = vault.records.create(ics, domain.Interview(
        title="Person using services", pseudonym="P3", consent=domain.Consent(True, "verbal", "2026-11-21T11:00"),
        notes="Waited three weeks for a care package after leaving hospital; the GP was not told.",
    )).value  # fmt: skip
    # When was typed in words: kept as typed beside the draft, said so under the field, flagged in the list.
    vault.records.save_edit(person.id, person.content, base=person.content, as_typed={"held_at": "Friday, after the carers' forum"})
    vault.records.create(ics, domain.CaseTracking(
        title="Hospital to home", pseudonym="Person P17",
        contacts=(domain.Contact("c1", "Emergency department", "2026-10-01", "Admitted after a fall", "", "Waited 9 hours"),
                  domain.Contact("c2", "Reablement team", "2026-10-09", "Home visits", "Hospital → Reablement", "Felt listened to")),
    ))  # fmt: skip
    vault.records.create(ics, domain.FocusGroup(
        title="Frontline staff, east locality", held_at="2026-11-21T09:30", groups_represented=("District nurses", "Social workers"),
        role="staff", participants=9, facilitator="Inspector A", notes="Shared care records work across services.",
    ))  # fmt: skip
    plan = vault.records.create(ics, domain.Document(
        title="Discharge to assess policy", document_type="policy", source="requested", source_organisation="Northshire ICB",
        dated="2026-09-01", reference="Evidence request 14, item 3", organisations=(icb,), team=("Asha Lead",),
        summary="How people leave hospital with support at home within a day of being ready.",
        notes="Sets a 24-hour target; the carers we met describe waits of weeks.",
    )).value  # fmt: skip
    vault.links.tag(plan.id, "safe-systems-pathways-transitions")
    _demo_judgements(vault, ics, carer.id)
    _demo_report(vault, ics, (carer.id, person.id))
    _demo_context(vault, ics)
    _demo_concerns(vault, ics, carer.id, person.id)
    _demo_security_events(vault)
    return vault


def _demo_security_events(vault: Vault) -> None:
    """A morning's security log: a mistyped passphrase, then the unlock (both written by the vault itself)."""
    vault.lock()
    try:
        vault.unlock(passphrase=PASSPHRASE + " typo")
    except WrongPassphrase:
        pass
    vault.unlock(passphrase=PASSPHRASE)


def _demo_context(vault: Vault, assessment_id: str) -> None:
    """The places and organisations dialog's shot and the coverage's case samples (issue 15): the rest of
    the system's places and organisations (one retired) beside demo_vault's, records naming them, and a
    discharge sample of three cases at each stage."""
    added = {p.name: p.id for p in vault.places.list(assessment_id)}  # demo_vault's own, named by its records
    for name, kind in (("North locality", "locality"), ("East locality", "locality"), ("Northshire ICB", "icb"),
                       ("Northshire Health and Care Partnership", "icp"), ("Northshire County Council", "local_authority"),
                       ("Riverside City Council", "local_authority"), ("Riverside University Hospitals NHS Trust", "provider"),
                       ("Northshire Community Care", "provider"), ("Old Town Care Home", "provider")):  # fmt: skip
        if name not in added:
            added[name] = vault.places.add(assessment_id, name, kind).value.id
    vault.places.retire(assessment_id, added["Old Town Care Home"])
    places = {"ICB board, November": (("North locality",), ("Northshire ICB",)),
              "Hospital to home": (("East locality",), ("Riverside University Hospitals NHS Trust", "Riverside City Council"))}
    for summary in vault.search(assessment_id=assessment_id).items:
        if summary.title in places:
            content = vault.records.get(summary.id).content
            where, who = places[summary.title]
            sample = {"sample": "Discharge sample", "sample_stage": "engaged"} if summary.kind == "case_tracking" else {}
            vault.records.save(summary.id, dataclasses.replace(
                content, places=tuple(added[n] for n in where), organisations=tuple(added[n] for n in who), team=("Asha Lead",), **sample,
            ))  # fmt: skip
    for title, stage in (("Discharge case P21", "short_listed"), ("Discharge case P30", "put_forward")):
        vault.records.create(assessment_id, domain.CaseTracking(
            title=title, sample="Discharge sample", sample_stage=stage, places=(added["North locality"],), team=("Ben Inspector",),
        ))  # fmt: skip


def _demo_concerns(vault: Vault, assessment_id: str, carer_id: str, person_id: str) -> None:
    """The Concerns view's shot: one raised from a passage and not sent yet, one the service holds, one
    the office acknowledged (a demo has no service: the push's mark and the acknowledgement are set as
    a sync would set them)."""
    from datetime import datetime, timedelta

    import sqlalchemy as sa

    from fieldapp.concern_notes import note_sent
    from fieldapp.concerns import Acknowledgement
    from fieldapp.item_kinds import ConcernContent

    notes = vault.records.get(carer_id).content.notes  # type: ignore[union-attr] # an interview
    start = notes.index("no respite")
    acknowledged = vault.concerns.raise_concern(assessment_id, ConcernContent(
        "poor_experience", "routine", "Carer C4 had no respite care for six weeks and was not offered a carer's assessment.",
        record_id=carer_id, passage_field="notes", passage_start=start, passage_end=len(notes) - 1,
        statements=("safe-systems-pathways-transitions",), tell="Local authority adult social care",
    )).value  # fmt: skip
    sent = vault.concerns.raise_concern(assessment_id, ConcernContent(
        "risk_of_harm", "soon", "P3 waited three weeks for a care package at home alone after leaving hospital.",
        record_id=person_id, statements=("safe-systems-pathways-transitions", "equity-in-access"), tell="ICB quality lead",
    )).value  # fmt: skip
    vault.concerns.raise_concern(assessment_id, ConcernContent(
        "safeguarding", "immediate", "P3 said a carer shouted at them and took their phone away at night.", record_id=person_id,
        statements=("safeguarding",), tell="Local authority safeguarding team",
    ))  # fmt: skip
    with vault.transaction("marking the demo's concerns as a sync would") as session:
        session.execute(sa.text("UPDATE revisions SET pushed = 1 WHERE record_id IN (:a, :b)"), {"a": acknowledged.id, "b": sent.id})
        pushed = list(session.scalars(sa.text("SELECT id FROM revisions WHERE record_id IN (:a, :b)"), {"a": acknowledged.id, "b": sent.id}))
        note_sent(session, vault, pushed)
    raised = datetime.fromisoformat(acknowledged.content.raised_at.replace("Z", "+00:00"))
    answered = (raised + timedelta(minutes=23)).isoformat().replace("+00:00", "Z")
    vault.concerns.acknowledge([Acknowledgement(acknowledged.id, "Sam Office", answered, "Passed to the council's carers' team")])


# Scores by evidence category for some statements (the rest not scored: the roll-up says provisional).
_DEMO_SCORES = {
    "safeguarding": {"peoples-experience": 2, "staff-leaders-feedback": 3, "partners-feedback": 3, "observation": 3},
    "safe-systems-pathways-transitions": {"peoples-experience": 2, "staff-leaders-feedback": 2, "processes": 2},
    "learning-culture": {"staff-leaders-feedback": 3, "observation": 3, "outcomes": 4},
    "governance-management-sustainability": {"observation": 3, "processes": 3},
    "equity-in-access": {"peoples-experience": 3, "partners-feedback": 2},
}


def _demo_judgements(vault: Vault, assessment_id: str, carer_id: str) -> None:
    """Judgements for the judgement view's shots: scores, a rationale, key evidence, then a
    published snapshot, a review and a second snapshot after a score moved a statement's level."""
    for statement_id, scores in _DEMO_SCORES.items():
        vault.judgements.save(assessment_id, statement_id, domain.JudgementContent(
            statement_id, {k: domain.ScoreEntry(v, "updated", "2026-11-21") for k, v in scores.items()},
        ))  # fmt: skip
    vault.judgements.snapshot(assessment_id, kind="published", note="First draft rating for the factual accuracy check.")
    vault.judgements.snapshot(assessment_id, kind="review", note="Reviewed after the carers' forum; scores unchanged.")
    carer_link = next(link.id for link in vault.records.get(carer_id).links if link.statement_id == "safe-systems-pathways-transitions")
    vault.judgements.save(assessment_id, "safe-systems-pathways-transitions", domain.JudgementContent(
        "safe-systems-pathways-transitions",
        {"peoples-experience": domain.ScoreEntry(1, "updated", "2026-11-20"), "staff-leaders-feedback": domain.ScoreEntry(1, "existing", "2026-10-02"),
         "processes": domain.ScoreEntry(2, "updated", "2026-11-21")},
        strengths="Discharge-to-assess beds are used across both acute trusts.",
        improvements="People wait weeks for a care package after leaving hospital; GPs are not told of discharges.\n"
                     "No respite care for carers of people living with dementia.",
        key_evidence=(domain.EvidenceRef(carer_id, carer_link),),
    ))  # fmt: skip
    vault.judgements.snapshot(assessment_id, kind="published", note="After the case tracking: transitions fall to inadequate.")


def _demo_report(vault: Vault, assessment_id: str, interviews: tuple[str, ...]) -> None:
    """The report view's shots: passages tagged People's experience (the suggested quotations), the
    team's texts, two quotations chosen, a draft shared and two responses to it."""
    from datetime import date

    from fieldapp.item_kinds import FacResponseContent, ReportTextContent
    from fieldapp.report.build import share_draft

    people = "peoples-experience"
    for record_id, statement_ids in zip(interviews, (("safe-systems-pathways-transitions", "equity-in-access"), ("safeguarding",))):
        content = vault.records.get(record_id).content
        notes = content.notes  # type: ignore[union-attr] # interviews, each with notes
        end = notes.index(";") if ";" in notes else len(notes)
        for statement_id in statement_ids:
            vault.links.tag(record_id, statement_id, people, passage=passage_of(content, "notes", 0, end))
        if end < len(notes):  # the rest of the notes, a third suggestion (left unchosen)
            vault.links.tag(record_id, "safe-systems-pathways-transitions", people, passage=passage_of(content, "notes", end + 2, len(notes)))
    vault.report_texts.save_texts(assessment_id, ReportTextContent(
        summary="Northshire ICS serves 1.2 million people across two acute trusts, one mental health trust and three local authorities.\n"
                "The ICB was formed in July 2022; its joint forward plan puts discharge and carers first.",
        progress="Since the last assessment, discharge-to-assess beds opened in both acute trusts.",
        strengths={"quality-and-safety": "Shared care records work across health and social care."},
        improvements={"quality-and-safety": "People wait weeks for a care package after leaving hospital."},
    ))  # fmt: skip
    suggestions = vault.report_texts.suggestions(assessment_id)
    vault.report_texts.choose_quotations(assessment_id, [(s.record_id, s.link_id) for s in suggestions[:2]])
    _report, draft = share_draft(vault, assessment_id, date(2026, 12, 4))
    vault.report_texts.record_response(assessment_id, FacResponseContent(
        draft.id, 3, "icb", "The ICB was formed on 1 July 2022, not in June.", decision="accepted", change="The date is corrected.",
    ))  # fmt: skip
    vault.report_texts.record_response(assessment_id, FacResponseContent(
        draft.id, 5, "other", "Respite care is offered by the council's carers' hub.", organisation_name="Northshire County Council",
        decision="not_accepted", reason="Carers told us the hub had no places for six weeks; the evidence stands.",
    ))  # fmt: skip


def settle(state: AppState, ms: int = 300) -> None:
    for _ in range(200):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if state.tasks.pending == 0:
            break
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def save(widget: QWidget, name: str, out: Path) -> Path:
    target = out / f"{name}.png"
    widget.grab().save(str(target))
    print(target)
    return target


def save_report_pages(report: Report, name: str, out: Path, *, count: int = 2, width: int = 760) -> Path:
    """The report's first pages side by side, painted as the PDF paints them (the same ReportPages)."""
    pages = ReportPages(report)  # laid out as for the PDF; painted here, scaled down
    scale = width / pages.sheet.width()
    height, gap = round(pages.sheet.height() * scale), 24
    shown = min(count, pages.count)
    image = QImage(gap + shown * (width + gap), height + 2 * gap, QImage.Format.Format_RGB32)
    image.fill(QColor("#8a8f96"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing | QPainter.RenderHint.SmoothPixmapTransform)
    for index in range(shown):
        painter.save()
        painter.translate(gap + index * (width + gap), gap)
        painter.fillRect(QRectF(0, 0, width, height), QColor("white"))
        painter.scale(scale, scale)
        pages.paint(painter, index)
        painter.restore()
    painter.end()
    target = out / f"{name}.png"
    image.save(str(target))
    print(target)
    return target


def _shoot_context(window: MainWindow, state: AppState, out: Path) -> None:
    """The carer's interview with its context and prompts open, scrolled to each (then closed again)."""
    row = next(i for i in range(window.model.rowCount()) if window.model.summary(i).title.startswith("Carer of"))
    window.table.selectRow(window.proxy.mapFromSource(window.model.index(row, 0)).row())
    settle(state)
    editor = window.editor
    assert editor.context is not None and editor.prompts is not None
    editor.context.open()
    editor.prompts.flip()
    settle(state)
    # Both open: once scrolled to the prompts above the notes, once to the context under the quick note.
    bar, viewport = window.editor_area.verticalScrollBar(), window.editor_area.viewport()
    bar.setValue(editor.prompts.mapTo(editor, editor.prompts.rect().topLeft()).y() - 120)
    settle(state)
    save(window, "main-interview-prompts", out)
    bar.setValue(editor.context.mapTo(editor, editor.context.rect().bottomLeft()).y() + 12 - viewport.height())
    settle(state)
    save(window, "main-interview-context", out)
    editor.context.toggle.setChecked(False)
    editor.prompts.flip()
    window.editor_area.verticalScrollBar().setValue(0)


def _shoot_places(window: MainWindow, state: AppState, out: Path) -> None:
    """Issue 15's shots: the places and organisations dialog, and the evidence list filtered by a place
    with More filters open (the coverage shot before it shows the required gaps and the case sample)."""
    window.actions_by_name["places"].trigger()
    settle(state)
    dialog = window.places_dialog
    dialog.list.setCurrentItem(dialog.list.topLevelItem(0).child(0))
    settle(state)
    save(dialog, "places", out)
    dialog.close()
    window.tabs.setCurrentIndex(0)
    window.editor.show_record(None)  # no record open for the filter to hide (and the status bar to say so)
    window.list_filters.show_more()
    window.list_filters.place.setCurrentIndex(window.list_filters.place.findText("North locality"))
    settle(state)
    save(window, "main-filtered-by-place", out)
    window.clear_filters()
    window.list_filters.more_button.setChecked(False)
    window.tabs.setCurrentWidget(window.coverage)
    settle(state)


def _shoot_concerns(window: MainWindow, state: AppState, out: Path) -> None:
    """Raising a concern from words selected in an interview's notes (the dialog over the window), then
    the Concerns view with every concern, each in its state."""
    from PySide6.QtGui import QTextCursor

    window.tabs.setCurrentIndex(0)
    row = next(i for i in range(window.model.rowCount()) if window.model.summary(i).title == "Person using services")
    window.table.selectRow(window.proxy.mapFromSource(window.model.index(row, 0)).row())
    settle(state)
    notes = window.editor._fields["notes"]
    cursor = notes.textCursor()
    words = "Waited three weeks for a care package after leaving hospital"
    cursor.setPosition(notes.toPlainText().index(words))
    cursor.setPosition(notes.toPlainText().index(words) + len(words), QTextCursor.MoveMode.KeepAnchor)
    notes.setTextCursor(cursor)
    window.raise_concern_from(None)
    settle(state)
    dialog = window.concern_dialog
    dialog.kind.setCurrentIndex(dialog.kind.findData("risk_of_harm"))
    dialog.urgency.setCurrentIndex(dialog.urgency.findData("soon"))
    dialog.heard.setPlainText("P3 was home alone for three weeks without the care package the discharge plan promised.")
    dialog.tell.setText("ICB quality lead")
    settle(state)
    save_over(window, dialog, "concern-raise", out)
    dialog.reject()
    settle(state)
    window.concerns.filter.setCurrentIndex(1)  # every concern, acknowledged or not
    window.show_concerns()
    settle(state)
    save(window, "concerns", out)
    window.concerns.filter.setCurrentIndex(0)


def save_over(window: QWidget, dialog: QWidget, name: str, out: Path) -> Path:
    """A dialog as it shows over the window (centred, with a shadow): offscreen, each is grabbed alone."""
    image = window.grab().toImage()
    shot = dialog.grab()
    painter = QPainter(image)
    x, y = (image.width() - shot.width()) // 2, (image.height() - shot.height()) // 2
    painter.fillRect(image.rect(), QColor(0, 0, 0, 60))
    painter.fillRect(x + 6, y + 8, shot.width(), shot.height(), QColor(0, 0, 0, 70))
    painter.drawPixmap(x, y, shot)
    painter.end()
    target = out / f"{name}.png"
    image.save(str(target))
    print(target)
    return target


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    out = Path(args[0]) if args else OUT
    out.mkdir(parents=True, exist_ok=True)
    owned = QApplication.instance() is None
    app = QApplication.instance() or QApplication([])
    style, palette = app.style().name(), app.palette()  # put back after, for a caller in the same process
    theme.apply(app, "light")
    try:
        _shoot(out)
    finally:
        if app.style().name() != style:
            app.setStyle(style)
        app.setPalette(palette)
    if owned:
        app.quit()
    return 0


def _shoot(out: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="fieldapp-demo-") as tmp:
        vault = demo_vault(Path(tmp) / "vault")
        ics = vault.assessments.list()[0].id
        save_report_pages(build_report(vault, ics, draft=True, shared_on=date(2026, 12, 7)), "report-draft", out)
        # Its own preferences file: the shots never take the window layout the person running this left.
        state = AppState(vault_path=vault.path, vault=vault, settings_file=Path(tmp) / "fieldapp.conf")
        window = MainWindow(state)
        window.resize(1366, 768)
        window.show()
        window.load()
        settle(state)
        for kind in ("observation", "interview", "case_tracking", "focus_group", "document"):
            row = next(i for i in range(window.model.rowCount()) if window.model.summary(i).kind == kind
                       and (kind != "case_tracking" or window.model.summary(i).title == "Hospital to home"))  # fmt: skip
            window.table.selectRow(window.proxy.mapFromSource(window.model.index(row, 0)).row())
            settle(state)
            save(window, f"main-{kind.replace('_', '-')}", out)
        row = next(i for i in range(window.model.rowCount()) if window.model.summary(i).title == "Person using services")
        window.table.selectRow(window.proxy.mapFromSource(window.model.index(row, 0)).row())
        settle(state)
        save(window, "main-date-to-check", out)
        _shoot_context(window, state, out)
        _shoot_concerns(window, state, out)
        window.tabs.setCurrentWidget(window.coverage)
        settle(state)
        save(window, "coverage", out)
        _shoot_places(window, state, out)
        window.open_security_log()
        settle(state)
        save_over(window, window.security_log, "security-log", out)
        window.security_log.close()
        window.show_judgements()
        settle(state)
        window.judgements.select_statement("safe-systems-pathways-transitions")
        settle(state)
        save(window, "judgements", out)
        window.actions_by_name["rating_history"].trigger()
        settle(state)
        history = window.judgements.dialog
        assert history is not None
        save(history, "rating-history", out)
        history.close()
        window.show_report()
        settle(state)
        save(window, "report", out)
        for index, name in ((1, "report-quotations"), (2, "report-accuracy")):
            window.report.pages.setCurrentIndex(index)
            settle(state)
            save(window, name, out)
        window.report.accuracy.table.selectRow(1)
        window.report.open_response(window.report.accuracy.current())
        settle(state)
        response = window.report.dialog
        assert response is not None
        save(response, "report-response", out)
        response.close()
        theme.apply(app, "dark")
        window.tabs.setCurrentIndex(0)
        row = next(i for i in range(window.model.rowCount()) if window.model.summary(i).title == "Hospital to home")
        window.table.selectRow(window.proxy.mapFromSource(window.model.index(row, 0)).row())
        settle(state)
        save(window, "main-dark", out)
        window.tabs.setCurrentWidget(window.coverage)
        settle(state)
        save(window, "coverage-dark", out)
        window.show_judgements()
        settle(state)
        save(window, "judgements-dark", out)
        theme.apply(app, "light")
        window.close()
        settle(state)
        vault.lock()
        unlock = UnlockWindow(state)
        unlock.show()
        settle(state)
        save(unlock, "unlock", out)
        unlock.crash_offer.show()  # as the start after a crash shows it
        settle(state)
        save(unlock, "unlock-after-a-crash", out)
        unlock.close()
        wizard = FirstRunWizard(AppState(vault_path=Path(tmp) / "new-vault", tasks=state.tasks))
        wizard.show()
        wizard.passphrase_page.first.setText("violet ferry lamp")
        settle(state)
        save(wizard, "first-run", out)
        wizard.close()
        state.tasks.shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
