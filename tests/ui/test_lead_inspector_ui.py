"""Where the service names a lead inspector who is not this laptop's, the judgement view does not
offer "Agreed", the final rating button and File → Publish / Record review are disabled, each with a
tooltip naming the lead; on the lead's laptop (or with no lead known) all are offered as before."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from window_fixtures import settle, state, window  # noqa: F401 - fixtures

from fieldapp.storage.models import Assessment, Meta
from fieldapp.sync_state import META_PREFIX
from test_judgement_view import open_judgements
from ui.main_window import MainWindow
from ui.state import AppState

AMARA = "0190b2c4-0000-7000-8000-00000000000a"


def name_lead(qtbot, window: MainWindow, state: AppState, *, me: str) -> None:  # noqa: ANN001
    """What a pull leaves in the vault: Amara Okafor leads the assessment; this laptop is `me`'s."""
    with state.vault.transaction("naming the lead as a pull does") as session:
        row = session.get(Assessment, window._assessment_id)
        row.lead_id, row.lead_name = AMARA, "Amara Okafor"
        session.merge(Meta(key=META_PREFIX + "inspector_id", value=me.encode()))
    window.assessment_panel.load()
    qtbot.waitUntil(lambda: window.assessment_panel.current() is not None and window.assessment_panel.current().lead == "Amara Okafor")
    settle(qtbot, state)


def agreed_offered(window: MainWindow) -> bool:
    status = window.judgements.form.status
    model = status.model()
    assert isinstance(model, QStandardItemModel)
    return bool(model.item(status.findData("agreed")).flags() & Qt.ItemFlag.ItemIsEnabled)


def test_a_colleagues_laptop_is_not_offered_agreed_the_final_rating_or_publish_and_says_who_is(
    qtbot, window: MainWindow, state: AppState  # noqa: ANN001
) -> None:
    name_lead(qtbot, window, state, me="0190b2c4-0000-7000-8000-00000000000b")
    open_judgements(qtbot, window, state)
    view = window.judgements
    assert not agreed_offered(window)
    assert view.form.status.toolTip() == "Only the lead inspector, Amara Okafor, agrees judgements."
    view.form.status.setFocus()
    qtbot.keyClick(view.form.status, Qt.Key.Key_A)  # typing to the disabled "Agreed" does not choose it
    assert view.form.status.currentData() == "draft"
    assert not view.rollup.final_button.isEnabled()
    assert view.rollup.final_button.toolTip() == "Only the lead inspector, Amara Okafor, sets the final rating."
    publish, review = window.actions_by_name["publish_snapshot"], window.actions_by_name["record_review"]
    assert not publish.isEnabled() and publish.toolTip() == "Only the lead inspector, Amara Okafor, publishes the rating."
    assert not review.isEnabled() and review.toolTip() == "Only the lead inspector, Amara Okafor, records reviews."


def test_the_leads_own_laptop_is_offered_everything(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    name_lead(qtbot, window, state, me=AMARA)
    open_judgements(qtbot, window, state)
    view = window.judgements
    assert agreed_offered(window) and view.form.status.toolTip() == ""
    assert view.rollup.final_button.isEnabled()
    assert window.actions_by_name["publish_snapshot"].isEnabled() and window.actions_by_name["record_review"].isEnabled()
