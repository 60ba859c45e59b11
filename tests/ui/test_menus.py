"""The menu bar and right-click menus: every command can be found with its key, Alt+letters do not
clash, Help answers, and the window comes back the size it was left."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import PySide6
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMenu, QWidget
from window_fixtures import settle, state, window  # noqa: F401 - fixtures
from vault_fixtures import sample_contents

from fieldapp.framework import available_frameworks
from fieldapp.storage import migrate

from ui.help import ShortcutsDialog, about_text, app_version
from ui.main_window import MainWindow
from ui.menus import KEYS_IN_PLACE, MENUS, mnemonic, plain
from ui.state import AppState

ROOT = Path(__file__).resolve().parents[2]


def in_menu_bar(window: MainWindow) -> set[QAction]:
    return {action for menu in window.menus.values() for action in menu.actions()}


def test_every_action_with_a_shortcut_is_in_the_menu_bar_or_the_right_click_menu_where_it_works(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    case = state.vault.records.create(window._assessment_id, sample_contents()[2]).value  # a record with a table of contacts
    window.open_record(case.id)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.record_id == case.id)
    menu_bar = in_menu_bar(window)
    keyed = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(keyed) >= 20
    for action in keyed:
        if action in menu_bar:
            continue
        # Not in the menu bar: then its key works in one place only, whose right-click menu offers it.
        assert action.shortcutContext() != Qt.ShortcutContext.WindowShortcut, f"{plain(action.text())} is in no menu"
        places = [w for w in action.associatedObjects() if isinstance(w, QWidget) and w.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu]
        assert places, f"{plain(action.text())} ({action.shortcut().toString()}) is in no menu"
    names = {plain(a.text()): a.shortcut().toString() for a in menu_bar}
    assert {k: names[k] for k in ("Quit", "Lock", "Undo", "Find evidence", "Preferences…", "Sync now", "Keyboard shortcuts")} == {
        "Quit": "Ctrl+Q", "Lock": "Ctrl+L", "Undo": "Ctrl+Z", "Find evidence": "Ctrl+F", "Preferences…": "Ctrl+,", "Sync now": "F5",
        "Keyboard shortcuts": "F1",
    }  # fmt: skip
    assert [plain(title) for title, _ in MENUS] == ["File", "Edit", "Record", "View", "Sync", "Help"]


def test_alt_letters_are_unique_in_each_menu_and_the_menu_bar_shares_none_with_the_window(window: MainWindow) -> None:
    for title, menu in window.menus.items():
        letters = [mnemonic(a.text()) for a in menu.actions() if not a.isSeparator()]
        assert None not in letters, f"{title} has an entry without an Alt letter"
        assert len(letters) == len(set(letters)), f"{title}: {letters}"
    bar = [mnemonic(a.text()) for a in window.menuBar().actions()]
    assert len(bar) == len(set(bar)) == 6
    # Alt+F then A, reaching for an Assessment… entry, hid the assessment at once: archiving takes a letter no slip finds.
    assert mnemonic(window.actions_by_name["archive_assessment"].text()) not in ("a", None)
    # Labels and buttons in the window answer Alt+letter too: none may take a menu's.
    in_window = [mnemonic(w.text()) for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton)]
    assert not set(bar) & {letter for letter in in_window if letter}


def test_about_names_our_version_the_frameworks_and_the_vault_format(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    assert app_version() == metadata.version("fieldapp")
    window.actions_by_name["about"].trigger()
    box = window.findChild(QWidget, "about")
    qtbot.waitUntil(box.isVisible)
    assert about_text() == box.text()
    shipped = available_frameworks()[-1]
    assert shipped.key == "cqc-ics@2024.1"
    for part in (f"fieldapp {app_version()}", f"{shipped.version} (cqc-ics@2024.1)", f"schema {migrate.HEAD}", f"PySide6 {PySide6.__version__}"):
        assert part in box.text()
    box.close()


def test_keyboard_shortcuts_lists_every_key_from_the_menus(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    qtbot.keyClick(window.search_box, Qt.Key.Key_F1)
    dialog = window.findChild(ShortcutsDialog)
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    rows = dialog.rows()
    assert ("File", "Quit", "Ctrl+Q") in rows and ("Record", "New observation", "Ctrl+1") in rows
    assert ("Record", "Delete record", "Del (Evidence list)") in rows
    keyed = {plain(a.text()).rstrip("…") for a in in_menu_bar(window) if not a.shortcut().isEmpty()}
    in_place = {where for where, _what, _keys in KEYS_IN_PLACE}
    assert keyed == {what for where, what, _keys in rows if where not in in_place}
    dialog.close()


def right_click(qtbot, widget: QWidget, at: QPoint, choose: str) -> list[str]:  # noqa: ANN001
    """Right-click as a person does (the press selects, the menu opens there), choose an entry by
    its words; returns the menu's entries."""
    seen: list[str] = []

    def choose_entry() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        seen.extend(plain(a.text()) for a in menu.actions() if a.isEnabled())
        chosen = next(a for a in menu.actions() if plain(a.text()) == choose)
        menu.close()
        chosen.trigger()

    qtbot.mouseClick(widget, Qt.MouseButton.RightButton, pos=at)
    QTimer.singleShot(50, choose_entry)
    QApplication.sendEvent(widget, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, widget.mapToGlobal(at)))
    return seen


def test_right_click_on_the_evidence_list_deletes_the_row_clicked_not_the_record_open_before(qtbot, window: MainWindow, state: AppState) -> None:  # noqa: ANN001
    ids = [state.vault.records.create(window._assessment_id, c).value.id for c in sample_contents()[:2]]
    window.refresh_list()
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.table.selectRow(0)  # the newest, ids[1], opens
    settle(qtbot, state)
    qtbot.waitUntil(lambda: window.editor.record_id == ids[1])
    older = window.table.visualRect(window.proxy.index(1, 1)).center()
    entries = right_click(qtbot, window.table.viewport(), older, "Delete record")
    assert entries == ["Open", "Tag…", "History", "Raise a concern…", "Delete record"]
    settle(qtbot, state)
    assert [r.id for r in state.vault.records.list()] == [ids[1]]
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)


def test_the_attachments_and_tags_lists_offer_their_actions_on_right_click(qtbot, window: MainWindow, state: AppState, tmp_path: Path) -> None:  # noqa: ANN001
    rec = state.vault.records.create(window._assessment_id, sample_contents()[0]).value
    state.vault.links.tag(rec.id, "learning-culture")
    (tmp_path / "notes.txt").write_text("typed up after the meeting")
    state.vault.attachments.add(rec.id, tmp_path / "notes.txt")
    window.open_record(rec.id)
    settle(qtbot, state)
    panel, tags = window.editor.attachments, window.editor.tag_panel
    qtbot.waitUntil(lambda: panel.files.count() == 1 and tags.tags.count() == 1)
    entries = right_click(qtbot, panel.files.viewport(), panel.files.visualItemRect(panel.files.item(0)).center(), "Remove attachment…")
    assert entries == ["Export a copy…", "Remove attachment…"]  # Open is for images only
    qtbot.waitUntil(lambda: panel.confirm.isVisible())  # it asks first (tests/ui/test_managing_in_the_app.py answers it)
    panel.confirm.reject()
    assert panel.files.actions() == [panel.open_action, panel.export_action, panel.remove_action]
    assert window.actions_by_name["remove_attachment"] is panel.remove_action  # the same action as the Record menu's
    entries = right_click(qtbot, tags.tags.viewport(), tags.tags.visualItemRect(tags.tags.item(0)).center(), "Remove tag")
    assert entries == ["Remove tag"]
    settle(qtbot, state)
    assert state.vault.records.get(rec.id).links == ()


_LAYOUT_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtWidgets import QApplication
    from ui.main_window import MainWindow
    from ui.state import AppState

    app = QApplication([])
    settings, vault, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    window = MainWindow(AppState(vault_path=vault, settings_file=settings))
    window.show()
    if mode == "leave":
        window.resize(1100, 680)
        window.move(120, 40)
        window.splitter.setSizes([300, 420, 360])
    for _ in range(10):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    facts = {"size": [window.width(), window.height()], "pos": [window.x(), window.y()], "splitter": window.splitter.sizes()}
    window.close()
    window._state.tasks.shutdown()
    print(json.dumps(facts))
    """
)


def test_the_window_size_place_and_splitter_come_back_at_the_next_start(tmp_path: Path) -> None:
    """Two runs of the app, each its own process, on a 1366×768 laptop screen (the offscreen
    default of 800×800 is smaller than the window may be, and Qt fits a restored window to it)."""
    screens = tmp_path / "screens.json"
    screens.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    settings = tmp_path / "config" / "fieldapp.conf"
    env = {"QT_QPA_PLATFORM": f"offscreen:configfile={screens}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def run(mode: str) -> dict:
        done = subprocess.run([sys.executable, "-c", _LAYOUT_CHILD, str(settings), str(tmp_path / "vault"), mode],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    left = run("leave")
    assert left["size"] == [1100, 680] and settings.exists()
    again = run("look")
    assert again == left


def test_ui_tests_keep_window_layouts_out_of_the_users_own_preferences(tmp_path: Path) -> None:
    from ui.preferences import user_settings

    assert user_settings(None).fileName().startswith(str(tmp_path))  # tests/conftest.py: own_settings_folder
