"""The conflicts view against the real service: it names the colleague and their laptop, shows
values as people read them, highlights the words that differ, and leaves the editor in sight."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QTextBrowser
from sync_fixtures import Device, Service, colleagues

from fieldapp import domain
from fieldapp.vault import Vault

from ui.conflicts_view import ConflictsDialog
from ui.main_window import MainWindow
from ui.state import AppState
from ui.theme import colors

INTERVIEW = domain.Interview(
    title="Carer of a person living with dementia", role="carer", pseudonym="Carer C4",
    consent=domain.Consent(True, "verbal", "2026-11-20T14:00"), held_at="2026-11-20T14:00",
    notes="Describes a delayed discharge and no respite care for six weeks.",
)  # fmt: skip


@pytest.fixture
def opened(qtbot) -> Iterator[list[tuple[MainWindow, AppState]]]:  # noqa: ANN001
    windows: list[tuple[MainWindow, AppState]] = []
    yield windows
    for window, state in windows:
        window.close()
        qtbot.waitUntil(lambda s=state: s.tasks.pending == 0, timeout=10_000)
        assert state.sync is not None
        state.sync.shutdown()
        state.tasks.shutdown()


def _open(qtbot, opened: list, vault: Vault) -> MainWindow:  # noqa: ANN001
    state = AppState(vault_path=vault.path, vault=vault)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.setGeometry(0, 0, 1366, 740)  # a 1366×768 laptop screen, less a panel
    window.show()
    window.load()
    opened.append((window, state))
    return window


def _in_conflict(qtbot, opened: list, service: Service, make_device) -> tuple[MainWindow, ConflictsDialog, Device, Device, str]:  # noqa: ANN001
    """Notes and time edited both ways on two laptops; this laptop (the first) opens the conflicts."""
    _assessment_id, mine, theirs, record_id = colleagues(service, make_device, INTERVIEW)
    base = theirs.vault.records.get(record_id).content
    theirs.vault.records.save(record_id, dataclasses.replace(base, notes=base.notes.replace("six", "eight"), held_at="2026-11-21T09:30"))
    theirs.sync()
    mine.vault.records.save(record_id, dataclasses.replace(base, notes=base.notes.replace("six", "three"), held_at="2026-11-20T15:00"))
    window = _open(qtbot, opened, mine.vault)
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.sync.view.state == "conflicts", timeout=15_000)
    window.open_conflicts()
    dialog = window._conflicts
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.records.count() == 1 and dialog.versions[1].toPlainText() != "", timeout=10_000)
    return window, dialog, mine, theirs, record_id


def _column(dialog: ConflictsDialog, device: Device, record_id: str) -> int:
    heads = device.vault.replication.conflict(record_id).heads
    mine = {h.id for h in heads if h.fields()["device_id"] == device.vault.device_id}
    return 0 if dialog._shown[0].versions[0].revision_id in mine else 1


def highlighted(view: QTextBrowser) -> list[str]:
    """The words shown on the highlight colour, as a person sees them marked."""
    wanted, found = QColor(colors().changed), []
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().background().color() == wanted and fragment.charFormat().background().style() != Qt.BrushStyle.NoBrush:
                found.append(fragment.text())
            it += 1
        block = block.next()
    return found


def test_the_versions_are_headed_by_the_colleague_and_their_laptop_and_by_you(qtbot, sqlite_service: Service, make_device, opened: list) -> None:  # noqa: ANN001
    _window, dialog, mine, _theirs, record_id = _in_conflict(qtbot, opened, sqlite_service, make_device)
    ours = _column(dialog, mine, record_id)
    headings = [h.text() for h in dialog.headings]
    assert headings[ours].startswith(f"Version {ours + 1}: You, on this laptop")
    assert headings[1 - ours].startswith(f"Version {2 - ours}: Inspector B, on ‘second’")
    for heading in headings:
        assert re.search(r"\nsaved (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d$", heading), heading
        assert "UTC" not in heading and not re.search(r"\d{4}-\d\d-\d\d", heading)


def test_values_read_as_people_read_them_not_as_stored(qtbot, sqlite_service: Service, make_device, opened: list) -> None:  # noqa: ANN001
    _window, dialog, mine, _theirs, record_id = _in_conflict(qtbot, opened, sqlite_service, make_device)
    ours, theirs = (dialog.versions[_column(dialog, mine, record_id)].toPlainText(), dialog.versions[1 - _column(dialog, mine, record_id)].toPlainText())
    assert "20/11/2026 15:00" in ours and "21/11/2026 09:30" in theirs
    for text in (ours, theirs):
        assert "Consent given: yes" in text and "How: Verbal" in text and "When: 20/11/2026 14:00" in text
        assert "Carer, family member or advocate" in text
        assert "2026-11-2" not in text and "True" not in text and "verbal" not in text and "{" not in text
    assert "When" in dialog.status.text() and "Notes" in dialog.status.text()
    assert "held_at" not in dialog.status.text() and "notes" not in dialog.status.text()


def test_the_words_that_differ_are_highlighted_and_the_rest_are_not(qtbot, sqlite_service: Service, make_device, opened: list) -> None:  # noqa: ANN001
    _window, dialog, mine, _theirs, record_id = _in_conflict(qtbot, opened, sqlite_service, make_device)
    ours = _column(dialog, mine, record_id)
    mine_marked, theirs_marked = highlighted(dialog.versions[ours]), highlighted(dialog.versions[1 - ours])
    assert "three" in mine_marked and "eight" in theirs_marked
    assert "20/11/2026 15:00" in mine_marked and "21/11/2026 09:30" in theirs_marked
    everything = " ".join(mine_marked + theirs_marked)
    for same in ("Describes", "respite", "weeks", "Carer C4", "Consent"):
        assert same not in everything


def test_it_opens_beside_the_editor_not_over_it_and_the_editor_takes_typing(qtbot, sqlite_service: Service, make_device, opened: list) -> None:  # noqa: ANN001
    window, dialog, _mine, _theirs, record_id = _in_conflict(qtbot, opened, sqlite_service, make_device)
    assert dialog.isVisible() and not dialog.isModal() and QApplication.activeModalWidget() is None
    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.editor.record_id == record_id and "notes" in window.editor._fields)
    editor = window.editor
    editor_rect = QRect(editor.mapToGlobal(QPoint(0, 0)), editor.size())
    assert not dialog.frameGeometry().intersects(editor_rect), (dialog.frameGeometry(), editor_rect)
    assert dialog.width() >= 760  # still two readable columns
    title = editor._fields["title"]
    title.setFocus()
    qtbot.keyClick(title, Qt.Key.Key_End)  # a field not being typed in shows its start
    qtbot.keyClicks(title, " (merged)")
    assert title.text().endswith("(merged)")
