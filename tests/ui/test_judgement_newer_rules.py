"""A colleague's newer app chose scoring rules this one does not know: the judgement view still
opens, lists the statements and their judgements, and says in place of the roll-up to update."""

from __future__ import annotations

from collections.abc import Callable

from sync_fixtures import Device, Service, colleagues, raw_device
from window_fixtures import window_on

from fieldapp.judgements import judgement_id, rating_id
from fieldapp.replication.exchange import PulledDevice, PulledPage

SAFEGUARDING = "safeguarding"


def test_the_judgement_view_opens_under_rules_from_a_newer_app_and_says_to_update(
    qtbot, inprocess_sqlite_service: Service, make_device: Callable[..., Device]  # noqa: ANN001
) -> None:
    service = inprocess_sqlite_service
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    colleague = raw_device(service, service.team()[1][0], "newer laptop")
    newer_rules = colleague.revision(assessment_id, record_id=rating_id(assessment_id), kind="rating",
                                     content={"rules": "cqc-ics-from-the-future@9", "final_score": None, "reason": ""})  # fmt: skip
    scored = colleague.revision(assessment_id, record_id=judgement_id(assessment_id, SAFEGUARDING), kind="judgement",
                                content={"statement_id": SAFEGUARDING, "scores": {"observation": {"score": 3, "basis": "updated", "evidence_date": ""}},
                                         "strengths": "Same-day referrals.", "improvements": "", "key_evidence": [], "status": "draft",
                                         "scored_by": "Ben", "agreed_by": ""})  # fmt: skip
    public = colleague.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    page = PulledPage((newer_rules, scored), (PulledDevice(colleague.device_id, public, "newer laptop"),), (), amara.vault.replication.cursor() or "")
    assert amara.vault.replication.apply_pull(page).value.stored == 2

    with window_on(qtbot, amara.vault) as (window, state):
        window.show_judgements()
        view = window.judgements
        qtbot.waitUntil(lambda: "update fieldapp" in view.rollup.overall.text(), timeout=10_000)
        assert view.model.rowCount() == 3 + 17  # the themes and every statement, listed as ever
        assert not view.rollup.final_button.isEnabled()
        view.select_statement(SAFEGUARDING)
        qtbot.waitUntil(lambda: view.form.statement_id == SAFEGUARDING and state.tasks.pending == 0, timeout=10_000)
        assert view.form.strengths.toPlainText() == "Same-day referrals."  # the colleague's words read here
