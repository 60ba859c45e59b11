"""Record → Deleted records by keyboard and mouse: Enter on a selected record restores it (Close is
never the default), a double-click restores too, and Escape closes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from window_fixtures import settle, state, window  # noqa: F401 - fixtures
from vault_fixtures import sample_contents

from fieldapp.errors import NotFound
from fieldapp.vault import Vault

from ui.deleted_records import DeletedRecordsDialog
from ui.main_window import MainWindow
from ui.state import AppState


def _deleted(vault: Vault, assessment_id: str, *contents: int) -> list[str]:
    ids = []
    for index in contents:
        rec = vault.records.create(assessment_id, sample_contents()[index]).value
        vault.records.delete(rec.id)
        ids.append(rec.id)
    return ids


def _open_dialog(qtbot, window: MainWindow, state: AppState, count: int) -> DeletedRecordsDialog:  # noqa: ANN001
    window.actions_by_name["deleted_records"].trigger()
    dialog = window.findChild(DeletedRecordsDialog)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: dialog.records.count() == count)
    return dialog


def _restored(vault: Vault, record_id: str) -> bool:
    try:
        vault.records.get(record_id)
    except NotFound:
        return False
    return True


def test_enter_on_a_selected_deleted_record_restores_it_and_leaves_the_dialog_open(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    first, second = _deleted(state.vault, window._assessment_id, 0, 1)
    dialog = _open_dialog(qtbot, window, state, 2)
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    assert dialog.restore.isDefault() and not close.isDefault() and not close.autoDefault()

    dialog.records.setFocus()
    qtbot.keyClick(dialog.records, Qt.Key.Key_Down)  # the older deletion
    qtbot.keyClick(dialog.records, Qt.Key.Key_Return)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: dialog.records.count() == 1)
    assert dialog.isVisible() and "Restored" in dialog.status.text()
    assert _restored(state.vault, first) and not _restored(state.vault, second)
    close.setFocus()  # tabbing to Close does not make Enter close
    assert dialog.restore.isDefault() and not close.isDefault()
    dialog.close()


def test_double_clicking_a_deleted_record_restores_it_once(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    (record_id,) = _deleted(state.vault, window._assessment_id, 2)
    dialog = _open_dialog(qtbot, window, state, 1)
    revisions_before = len(state.vault.history.revisions(record_id))
    item = dialog.records.item(0)
    where = dialog.records.visualItemRect(item).center()
    qtbot.mouseClick(dialog.records.viewport(), Qt.MouseButton.LeftButton, pos=where)  # a double-click's first press
    qtbot.mouseDClick(dialog.records.viewport(), Qt.MouseButton.LeftButton, pos=where)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: dialog.records.count() == 0)
    assert _restored(state.vault, record_id)
    assert len(state.vault.history.revisions(record_id)) == revisions_before + 1  # one restore, not two
    assert not dialog.restore.isEnabled() and not dialog.restore.isDefault()  # nothing left to restore
    dialog.close()


def test_escape_closes_deleted_records_without_restoring(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    (record_id,) = _deleted(state.vault, window._assessment_id, 0)
    dialog = _open_dialog(qtbot, window, state, 1)
    dialog.records.setFocus()
    qtbot.keyClick(dialog.records, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    settle(qtbot, state)
    assert not _restored(state.vault, record_id)
