"""The menu bar, built from the main window's actions by name, so that every action (and its
shortcut, which a menu shows beside it) can be found by looking; and the list of keys that
Help → Keyboard shortcuts shows, read from the same menus so it cannot drift from them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

# None is a separator. Each name is a key of MainWindow.actions.
MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    (
        "&File",
        ("new_assessment", "assessment_details", "places", "archive_assessment", None, "publish_snapshot", "record_review", None,
         "export_report", "preview_report", "publish_report", "verify_report", None, "change_passphrase", None, "lock", "quit"),
    ),  # fmt: skip
    ("&Edit", ("undo", None, "find", None, "preferences")),
    (
        "&Record",
        (
            "new_observation", "new_interview", "new_case_tracking", "new_focus_group", "new_document", None,
            "quick_note", "tag", "tag_passage", None,
            "raise_concern", None,
            "delete_record", "deleted_records", None,
            "add_attachment", "open_attachment", "export_attachment", "remove_attachment",
        ),
    ),  # fmt: skip
    ("&View", ("show_evidence", "show_coverage", "show_judgements", "show_report", "show_concerns", "rating_history", None, "filter_kind", "filters", "context_filters", "clear_filters", None, "prompts", "history", None, "show_archived")),
    ("&Sync", ("sync_now", "sync_settings", "conflicts")),
    ("&Help", ("shortcuts", "security_log", "copy_diagnostics", None, "about")),
)

# Keys that work where the focus is rather than anywhere in the window (their actions are in the
# right-click menu of the place they work in); Help → Keyboard shortcuts lists them too.
KEYS_IN_PLACE: tuple[tuple[str, str, str], ...] = (
    ("Tags", "Remove the selected tag", "Del, Backspace"),
    ("Record editor", "Open or close the context (where from, how held, team, places)", "Alt+X"),
    ("Record editor", "Tick a team member, place or organisation in the context", "Space"),
    ("Tables", "Edit a cell (attendees, contacts, groups)", "F2, or type"),
    ("Tables", "Next cell while editing", "Tab"),
    ("Tables", "Move the row up / down", "Alt+Up / Alt+Down"),
    ("Tables", "A calendar for a contact's date (in its cell)", "F4"),
    ("Any list or table", "Its right-click menu", "Menu key"),
    ("Judgements", "Score (in a score's box)", "1, 2, 3, 4; Del clears"),
    ("Judgements", "Choose key evidence", "Space"),
    ("Judgements", "Open the record of a piece of evidence", "Enter"),
    ("Report view", "Choose a suggested quotation", "Space"),
    ("Report view", "Move a chosen quotation up / down", "Alt+Up / Alt+Down, or Ctrl+Up / Ctrl+Down"),
    ("Report view", "Open a quotation's record", "Enter"),
    ("Report view", "Edit a factual accuracy response", "Enter"),
    ("Report view", "Next / previous page (Texts, Quotations, Factual accuracy check)", "Ctrl+Tab / Ctrl+Shift+Tab"),
    ("Places and organisations", "Rename the one chosen in the list", "F2"),
    ("Places and organisations", "Retire the one chosen, or restore a retired one", "Del"),
    ("Places and organisations", "To a new one's name (Enter adds it)", "Insert, Ctrl+N"),
    ("Evidence list", "From the search box to the list (its first record if none is chosen)", "Down"),
    ("Evidence list", "More filters: place, organisation, team member, source, site, mode, sample stage", "Alt+M"),
)


def build(menu_bar: QMenuBar, actions: Mapping[str, QAction]) -> dict[str, QMenu]:
    """Fill the menu bar from MENUS; returns the menus by their title without the '&'."""
    menus: dict[str, QMenu] = {}
    for title, names in MENUS:
        menu = menu_bar.addMenu(title)
        menu.setObjectName(f"menu-{plain(title).lower()}")
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(actions[name])
        menus[plain(title)] = menu
    return menus


def plain(text: str) -> str:
    """A menu text as read aloud: without the mnemonic's '&' (a doubled '&&' is a real one)."""
    return re.sub(r"&(.)", r"\1", text)


def mnemonic(text: str) -> str | None:
    """The letter after a single '&' (Alt+letter opens or triggers it), lower case; None if none."""
    found = re.search(r"(?<!&)&([^&\s])", text)
    return found.group(1).lower() if found else None


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action in the menu bar that has a shortcut, in menu order."""
    rows = []
    for menu_action in menu_bar.actions():
        menu = menu_action.menu()
        if not isinstance(menu, QMenu):
            continue
        for action in menu.actions():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            if keys and action.shortcutContext() != Qt.ShortcutContext.WindowShortcut:
                keys += f" ({_where(action)})"  # Del works in one list only
            if keys:
                rows.append((plain(menu.title()), plain(action.text()).rstrip("…"), keys))
    return rows


def _where(action: QAction) -> str:
    """Where a widget-scoped shortcut works: the accessible name of the widget that holds it."""
    places = [w.accessibleName() for w in action.associatedObjects() if isinstance(w, QWidget) and not isinstance(w, QMenu)]
    return next((name for name in places if name), "where it is shown")
