"""Attachments in the app: add with progress, preview images in memory, export a copy, cancel."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QColor, QImage
from sync_fixtures import colleagues

from fieldapp import domain
from fieldapp.errors import Cancelled
from fieldapp.vault import Vault

from ui.editor import RecordEditor
from ui.state import AppState


@pytest.fixture
def editor(qtbot, vault: Vault, assessment_id: str) -> Iterator[RecordEditor]:  # noqa: ANN001
    state = AppState(vault_path=vault.path, vault=vault)
    widget = RecordEditor(state)
    qtbot.addWidget(widget)
    widget.show()
    widget.show_record(vault.records.create(assessment_id, domain.Observation(title="Board")).value)
    yield widget
    widget.show_record(None)
    state.tasks.shutdown()


def settle(qtbot, editor: RecordEditor) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: editor._state.tasks.pending == 0, timeout=20_000)


def _png(path: Path) -> bytes:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    path.write_bytes(bytes(buffer.data()))
    return path.read_bytes()


def test_files_are_added_previewed_and_exported_as_an_explicit_copy(qtbot, editor: RecordEditor, vault: Vault, tmp_path: Path) -> None:  # noqa: ANN001
    photo, doc = tmp_path / "flipchart.png", tmp_path / "agenda.pdf"
    photo_bytes = _png(photo)
    doc.write_bytes(b"%PDF-1.4 " + os.urandom(3_000_000))
    panel = editor.attachments
    panel.add_paths([photo, doc])
    settle(qtbot, editor)
    assert panel.files.count() == 2 and panel.status.text() == "Added and encrypted."
    assert [a.name for a in vault.records.get(editor.record_id).attachments] == ["flipchart.png", "agenda.pdf"]
    panel.files.setCurrentRow(0)
    settle(qtbot, editor)
    qtbot.waitUntil(lambda: panel.preview.pixmap() is not None and not panel.preview.pixmap().isNull())
    target = tmp_path / "out" / "copy.png"
    target.parent.mkdir()
    panel.export_to(panel.files.item(0).data(Qt.ItemDataRole.UserRole), target)
    settle(qtbot, editor)
    assert target.read_bytes() == photo_bytes and "Exported a copy" in panel.status.text()


def test_a_files_size_reads_in_the_apps_one_unit(qtbot, editor: RecordEditor, tmp_path: Path) -> None:  # noqa: ANN001
    doc = tmp_path / "agenda.pdf"
    doc.write_bytes(b"%PDF-1.4 " + os.urandom(3_000_000))  # 3,000,009 bytes: 2.9 in binary "MB"
    editor.attachments.add_paths([doc])
    settle(qtbot, editor)
    assert editor.attachments.files.item(0).text() == "agenda.pdf  (3.0 MB)"


def test_cancelling_an_import_keeps_nothing(qtbot, editor: RecordEditor, vault: Vault, tmp_path: Path) -> None:  # noqa: ANN001
    big = tmp_path / "recording.wav"
    with open(big, "wb") as fh:
        for _ in range(200):
            fh.write(os.urandom(1 << 20))
    panel = editor.attachments
    panel.add_paths([big])
    panel.on_cancel_clicked()
    settle(qtbot, editor)
    assert "cancel" in panel.status.text().lower()
    assert vault.records.get(editor.record_id).attachments == ()
    assert [p for p in (vault.path / "attachments").iterdir()] == []


# -- Open attachment says why, when it cannot ----------------------------------------------------------


def test_open_attachment_is_greyed_out_only_with_its_reason_and_enter_says_it(qtbot, editor: RecordEditor, tmp_path: Path) -> None:  # noqa: ANN001
    photo, doc = tmp_path / "flipchart.png", tmp_path / "agenda.pdf"
    _png(photo)
    doc.write_bytes(b"%PDF-1.4 minutes")
    panel = editor.attachments
    assert not panel.open_action.isEnabled()
    assert panel.open_action.text() == "O&pen attachment (choose one first)"
    assert panel.open_action.toolTip() == "Choose an attachment in the list first."
    panel.add_paths([photo, doc])
    settle(qtbot, editor)
    panel.files.setFocus()
    panel.files.setCurrentRow(1)
    assert not panel.open_action.isEnabled() and panel.open_action.text().endswith("(not an image)")
    qtbot.keyClick(panel.files, Qt.Key.Key_Return)  # Enter on it: the reason, not silence
    assert panel.status.text().startswith("Only images open inside fieldapp; use Export a copy…")
    panel.files.setCurrentRow(0)
    settle(qtbot, editor)
    assert panel.open_action.isEnabled() and panel.open_action.text() == "O&pen attachment"
    assert panel.open_action.toolTip() == "Show the image in fieldapp (decrypted into memory only)"


def test_a_file_still_to_download_says_so_and_opens_once_it_has_arrived(qtbot, sqlite_service, make_device, tmp_path: Path) -> None:  # noqa: ANN001
    assessment_id, first, second, record_id = colleagues(sqlite_service, make_device, domain.Observation(title="Walk round"))
    photo = tmp_path / "ward.png"
    _png(photo)
    first.vault.attachments.add(record_id, photo)
    first.sync()
    with pytest.raises(Cancelled):  # the laptop closed while the file was on its way
        second.sync(cancel=lambda: bool(second.vault.replication.transfers_pending()[1]))
    state = AppState(vault_path=second.vault.path, vault=second.vault)
    editor = RecordEditor(state)
    qtbot.addWidget(editor)
    editor.show()
    try:
        editor.show_record(second.vault.records.get(record_id))
        panel = editor.attachments
        assert panel.files.item(0).text().endswith("— still downloading")
        panel.files.setCurrentRow(0)
        assert not panel.open_action.isEnabled() and panel.open_action.text().endswith("(still downloading)")
        assert panel.status.text() == "Still downloading: this file arrives with the next sync (its record is here already)."
        second.sync()
        editor.show_record(second.vault.records.get(record_id))  # the record already open: its files as they are now
        panel.files.setCurrentRow(0)
        assert panel.open_action.isEnabled() and "downloading" not in panel.files.item(0).text()
    finally:
        editor.show_record(None)
        qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)
        state.tasks.shutdown()
