"""Attachments in the app: add with progress, preview images in memory, export a copy, cancel."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QColor, QImage

from fieldapp import domain
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
