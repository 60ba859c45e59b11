"""The main window: assessments on the left, the evidence list in the middle, the editor on the right.

Every command is a QAction made here (or by a panel it holds) and found in the menu bar
(ui/menus.py), with its shortcut beside it; right-click menus reuse the same actions. The window's
size and its splitter are kept in the preferences file between runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp import domain
from fieldapp.errors import KeptOnService, NotFound, VaultLocked
from fieldapp.rows import Changes, RecordRow
from fieldapp.search import Query

from ui import menus
from ui.assessments_panel import AssessmentsPanel
from ui.concerns.reminders import ConcernReminder, ask_before
from ui.concerns.view import ConcernsView
from ui.conflicts_view import ConflictsDialog
from ui.coverage_view import CoverageView
from ui.editor import RecordEditor
from ui.errors import message_for
from ui.held_dialogs import HeldDialog, showing
from ui.icons import KIND_ICONS, icon
from ui.prompts_panel import PROMPTS_KEY
from ui.judgements.view import JudgementView
from ui.list_filters import ListFilters
from ui.notice_bar import NoticeBar
from ui.operations import concerns as concern_ops
from ui.operations import history as history_ops
from ui.operations import places as place_ops
from ui.operations import records as record_ops
from ui.record_list import RECORD_ID_ROLE, SORT_ROLE, RecordListModel
from ui.report.view import ReportView
from ui.state import AppState
from ui.sync_controller import SyncController
from ui.sync_panel import SyncSettings, SyncStatus
from ui.undo_bar import UndoBar

SEARCH_DELAY_MS = 120  # results as you type, without a query per keystroke
FIRST_ASSESSMENT_HINT = "Start by typing the integrated care system's name at the bottom left, then Enter."
ALL_ARCHIVED_HINT = "Every assessment is archived: View → Show archived assessments shows them, or type a new one's name at the bottom left."
PUBLISH_TIP = "A signed record of every score and the rating today"
REVIEW_TIP = "Record that the scores were reviewed and are unchanged"
PUBLISH_REPORT_TIP = "Freeze the assessment's report as signed and unchangeable, to export and share"
NEW_RECORD = {
    "observation": ("New &observation", "Ctrl+1", domain.Observation),
    "interview": ("New &interview", "Ctrl+2", domain.Interview),
    "case_tracking": ("New &case tracking", "Ctrl+3", domain.CaseTracking),
    "focus_group": ("New focus &group", "Ctrl+4", domain.FocusGroup),
    "document": ("New doc&ument or data", "Ctrl+5", domain.Document),
}
GEOMETRY_KEY, SPLITTER_KEY = "window/geometry", "window/splitter"
FIRST_SIZE = QSize(1280, 720)  # before any size is remembered: inside a 1366×768 screen with its panel and title bar


class DownLeavesTo(QObject):
    """Down pressed in a line edit calls `go` (to the list below it) instead of doing nothing."""

    def __init__(self, edit: QLineEdit, go: Callable[[], None]) -> None:
        super().__init__(edit)
        self._go = go
        edit.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down and not event.modifiers():
            self._go()
            return True
        return False


class MainWindow(QMainWindow):
    lock_requested = Signal()  # ()
    quit_requested = Signal()  # () File → Quit, Ctrl+Q: the app cuts revisions, locks and exits

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._assessment_id: str | None = None
        self._current_record_id: str | None = None  # chosen in the list or opened; what Delete acts on
        self._cell: tuple[str, str] = ("", "")  # the coverage cell the list is filtered to
        self._query_generation = 0
        self._leaving: Any = None  # the lock or quit reminder while it shows
        self._filter_changed = False  # the next list query answers a change of filters (see _show_results)
        self.setWindowTitle("fieldapp")
        self.setWindowIcon(icon("app"))
        self.resize(FIRST_SIZE)
        self.setMinimumSize(960, 600)
        if state.sync is None:
            state.sync = SyncController(state)
        self.sync = state.sync
        self.actions_by_name: dict[str, QAction] = {}
        self._build()
        self._build_actions()
        self._build_sync()
        self.menus = menus.build(self.menuBar(), self.actions_by_name)
        self._build_context_menus()
        state.signals.operation_did_execute.connect(self.on_vault_changed)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh_list)
        self._restore_layout()
        self._enable_actions()
        self._enable_lead_actions(None)

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        left = self.assessment_panel = AssessmentsPanel(self._state, self.sync)
        left.chosen.connect(self.on_assessment_chosen)
        left.filled.connect(self.on_assessments_filled)
        left.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.assessments, self.new_assessment_name = left.list, left.name

        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        filters = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search evidence (Ctrl+F)")
        self.search_box.setAccessibleName("Search evidence")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search_box.textChanged.connect(lambda _text: self._filters_changed())
        # Down goes on to what was found, as in a browser's search: the list, its first row chosen.
        # (A filter, not a QShortcut: a shortcut on Down, even one bound to the box, kept the list's
        # own Down from moving between rows.)
        DownLeavesTo(self.search_box, self.focus_list)
        filters.addWidget(self.search_box, 3)
        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName("Filter by kind")
        self.kind_filter.addItem("All kinds", None)
        for kind, label in domain.KIND_LABELS.items():
            self.kind_filter.addItem(label, kind)
        self.kind_filter.currentIndexChanged.connect(lambda _i: self._filters_changed(at_once=True))
        filters.addWidget(self.kind_filter, 1)
        middle_layout.addLayout(filters)
        self.list_filters = ListFilters(middle)
        filters.addWidget(self.list_filters.concern)  # only records a concern was raised from (issue 15)
        self.list_filters.changed.connect(lambda: self._filters_changed(at_once=True))
        self.list_filters.message.connect(lambda words: self.statusBar().showMessage(words, 10_000))
        middle_layout.addWidget(self.list_filters)
        self.cell_filter = QPushButton("")
        self.cell_filter.setAccessibleName("Clear the coverage filter")
        self.cell_filter.setToolTip("Showing the evidence behind a coverage cell; click to show all")
        self.cell_filter.clicked.connect(lambda: self.filter_by_cell("", ""))
        self.cell_filter.hide()
        middle_layout.addWidget(self.cell_filter)
        self.model = RecordListModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)  # the When column sorts by date, not by its day-first text
        self.table = QTableView()
        self.table.setAccessibleName("Evidence list")
        self.table.setModel(self.proxy)
        # Newest record first until the inspector clicks a column to sort by it.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the title takes the room
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # arrows move between rows; Tab leaves the list, never a trap
        self.table.verticalHeader().setVisible(False)
        self.table.selectionModel().currentRowChanged.connect(self.on_table_current_changed)
        middle_layout.addWidget(self.table)
        self.count_label = QLabel("")
        self.count_label.setAccessibleName("Number of records shown")
        middle_layout.addWidget(self.count_label)

        self.editor = RecordEditor(self._state)
        self.editor.saved.connect(self.on_editor_saved)
        self.editor.history.restored_from.connect(self.on_history_restored_from)
        scroll = self.editor_area = QScrollArea()
        scroll.setAccessibleName("Record editor")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)

        self.coverage = CoverageView()
        self.coverage.cell_chosen.connect(self.filter_by_cell)
        self.judgements = JudgementView(self._state)
        self.judgements.open_record.connect(self.open_record)
        self.judgements.message.connect(lambda words: self.statusBar().showMessage(words, 10_000))
        self.report = ReportView(self._state)
        self.report.open_record.connect(self.open_record)
        self.report.message.connect(lambda words: self.statusBar().showMessage(words, 10_000))
        self.concerns = ConcernsView(self._state)
        self.concerns.open_record.connect(self.open_record)
        self.concerns.edit_requested.connect(self.change_concern)
        self.concern_dialog: Any = None  # the Raise a concern dialog while open (held while locked)
        self._held_concern = HeldDialog()
        self._out_of_sight: list[QDialog] = []  # other dialogs hidden while the vault is locked
        self.editor.concern_requested.connect(self.raise_concern_from)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Evidence, coverage, judgements, the report and concerns")
        self.tabs.addTab(middle, "Evidence")
        self.tabs.addTab(self.coverage, "Coverage")
        self.tabs.addTab(self.judgements, "Judgements")
        self.tabs.addTab(self.report, "Report")
        self.tabs.addTab(self.concerns, "Concerns")
        self.tabs.currentChanged.connect(self.on_tabs_current_changed)

        splitter = self.splitter = QSplitter()
        splitter.setObjectName("main-splitter")
        for widget, stretch in ((left, 1), (self.tabs, 3), (scroll, 3)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        # Above the panes, where it is read: what a sync says once stays there until dismissed.
        self.notice_bar = NoticeBar()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.addWidget(self.notice_bar)
        central_layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Unlocked", 5000)  # news, not a state: the lock button says the state
        self._state.signals.error.connect(lambda message: self.statusBar().showMessage(message, 10_000))

    def _action(
        self, name: str, text: str, slot: Callable[[], object], shortcut: str | QKeySequence.StandardKey = "", *,
        icon_name: str = "", tip: str = "",
    ) -> QAction:  # fmt: skip
        """A window-wide command, named for the menus (ui/menus.py); its shortcut works anywhere in the window."""
        action = QAction(icon(icon_name), text, self) if icon_name else QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if tip:
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        toolbar = self.addToolBar("Record")
        toolbar.setObjectName("record-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        a = self._action
        # File
        panel = self.assessment_panel
        for name, action in (("new_assessment", panel.new_action), ("assessment_details", panel.details_action),
                             ("archive_assessment", panel.archive_action), ("show_archived", panel.show_archived_action)):  # fmt: skip
            self.actions_by_name[name] = action
        a("places", "Places and &organisations…", self.open_places,
          tip="The assessment's localities, ICB, ICP, local authorities and providers, which records name")  # fmt: skip
        panel.places_requested.connect(self.open_places)
        a("publish_snapshot", "P&ublish rating snapshot…", lambda: self.judgements_for_assessment().open_snapshot("published"),
          tip=PUBLISH_TIP)  # fmt: skip
        a("record_review", "Record rating re&view…", lambda: self.judgements_for_assessment().open_snapshot("review"),
          tip=REVIEW_TIP)  # fmt: skip
        a("export_report", "&Export report…", lambda: self.open_report(preview=False), "Ctrl+E",
          tip="The assessment's report as PDF, Word or HTML, or a draft for the factual accuracy check")  # fmt: skip
        a("preview_report", "P&review report…", lambda: self.open_report(preview=True), "Ctrl+P", tip="The report's pages as they print")
        a("publish_report", "Pu&blish report…", self.open_publish_report, tip=PUBLISH_REPORT_TIP)
        a("verify_report", "Ver&ify a report file…", self.open_verify_report,
          tip="Check that a published report file is unchanged and stands on revisions this vault signed")  # fmt: skip
        a("change_passphrase", "Change &passphrase…", self.open_change_passphrase)
        self.lock_action = a("lock", "&Lock", self.request_lock, "Ctrl+L", icon_name="lock", tip="Lock the vault")
        a("quit", "&Quit", self.request_quit, "Ctrl+Q", tip="Save, lock the vault and close fieldapp")
        # Edit (Undo's text names what it undoes while there is something; ui/undo_bar.py)
        self.undo_bar = UndoBar(a("undo", "&Undo", lambda: None, QKeySequence.StandardKey.Undo))
        a("find", "&Find evidence", self.focus_search, QKeySequence.StandardKey.Find, icon_name="search")
        a("preferences", "&Preferences…", self.open_preferences, "Ctrl+,", tip="Idle lock time and colours")
        # Record
        self.new_actions: dict[str, QAction] = {}
        for kind, (label, shortcut, _cls) in NEW_RECORD.items():
            action = a(f"new_{kind}", label, lambda k=kind: self.new_record(k), shortcut, icon_name=KIND_ICONS[kind], tip=menus.plain(label))  # type: ignore[misc]
            toolbar.addAction(action)
            self.new_actions[kind] = action
        a("quick_note", "&Quick note", self.focus_quick_note, "Ctrl+Shift+N")
        a("tag", "&Tag…", self.focus_tagging, "Ctrl+T", tip="Tag the record with quality statements")
        a("tag_passage", "Tag selected te&xt", self.tag_selected_text, "Ctrl+Shift+T",
          tip="Tag the words selected in the notes with the statement chosen under Quality statements")  # fmt: skip
        a("raise_concern", "Raise a co&ncern…", lambda: self.raise_concern_from(None), "Ctrl+Shift+R", icon_name="flag",
          tip="Safeguarding, risk of harm, poor experience of care: from the record, or the words selected in its notes")  # fmt: skip
        a("open_record", "&Open", self.open_current_record)
        delete = a("delete_record", "&Delete record", self.delete_record, QKeySequence.StandardKey.Delete, icon_name="remove",
                   tip="Delete the record; Undo brings it back")  # fmt: skip
        # Del deletes a record only from the evidence list: in a field it deletes a letter, in
        # the tags or attachments list the thing selected there.
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.removeAction(delete)
        self.table.addAction(delete)
        a("deleted_records", "Deleted &records…", self.open_deleted_records, icon_name="history", tip="Bring back a deleted record")
        files = self.editor.attachments
        for name, action in (("add_attachment", files.add_action), ("open_attachment", files.open_action),
                             ("export_attachment", files.export_action), ("remove_attachment", files.remove_action)):  # fmt: skip
            self.actions_by_name[name] = action
        # View
        a("show_evidence", "&Evidence", lambda: self.tabs.setCurrentIndex(0))
        a("show_coverage", "&Coverage", lambda: self.tabs.setCurrentWidget(self.coverage))
        a("show_judgements", "&Judgements", self.show_judgements, "Ctrl+J", tip="Score the quality statements and see the rating")
        a("show_report", "Re&port", self.show_report, "Ctrl+R", tip="Write the report's texts, choose its quotations, and the factual accuracy check")
        a("show_concerns", "Co&ncerns", self.show_concerns, "Ctrl+Shift+O", tip="The assessment's concerns and whether the office acknowledged them")
        a("rating_history", "&Rating history…", lambda: self.judgements_for_assessment().open_history(),
          tip="Published ratings and reviews over time, with every change of level")  # fmt: skip
        a("filter_kind", "Filter by &kind", lambda: (self.tabs.setCurrentIndex(0), self.kind_filter.setFocus()))
        a("filters", "&Filter by theme, statement, category or date", lambda: (self.tabs.setCurrentIndex(0), self.list_filters.theme.setFocus()))
        a("context_filters", "Filter by place, organi&sation, source or sample stage",
          lambda: (self.tabs.setCurrentIndex(0), self.list_filters.show_more()))  # fmt: skip
        a("clear_filters", "C&lear filters", self.clear_filters)
        a("prompts", "Pro&mpts (interviews and focus groups)", self.toggle_prompts, PROMPTS_KEY,
          tip="Questions to explore for the statements the record is tagged with")  # fmt: skip
        a("history", "&History", self.focus_history, "Ctrl+H", icon_name="history", tip="The record's earlier versions, to read or restore")
        # Help
        a("shortcuts", "&Keyboard shortcuts", self.open_shortcuts, QKeySequence.StandardKey.HelpContents)
        a("security_log", "&Security log…", self.open_security_log,
          tip="Unlocks, wrong passphrases, exports and restores on this laptop, and whether the service holds them")  # fmt: skip
        a("copy_diagnostics", "Copy &diagnostics", self.copy_diagnostics, tip="Versions, crash reports and the log's last lines, for your support desk (no evidence)")
        a("about", "&About fieldapp", self.open_about)
        toolbar.addAction(self.lock_action)
        # The report view offers File's Preview, Export and Publish at its foot, where the report is written.
        self.report.offer_actions([self.actions_by_name[name] for name in ("preview_report", "export_report", "publish_report")])

    def _build_sync(self) -> None:
        self.sync_status = SyncStatus(self.sync)
        self.sync_status.conflicts_requested.connect(self.open_conflicts)
        self.sync_status.settings_requested.connect(self.open_sync_settings)
        self.statusBar().addPermanentWidget(self.sync_status)
        self.statusBar().insertPermanentWidget(0, self.undo_bar)  # a message does not hide it
        self.concern_reminder = ConcernReminder(self._state)
        self.concern_reminder.view_requested.connect(self.show_concerns)
        # A push marks a concern sent without changing anything a view shows otherwise: read them again after each sync.
        self.sync.synced.connect(lambda _report: self._after_sync_for_concerns())
        self.sync.synced.connect(self._tell_of_newer_client)
        self.sync.synced.connect(lambda report: self.notice_bar.add(report.notices))
        self.sync.fetched.connect(self.on_sync_fetched)
        self.sync.fetch_failed.connect(self.on_sync_fetch_failed)
        self.sync.keep_open = self._open_record_ids
        self.statusBar().insertPermanentWidget(1, self.concern_reminder.button)
        a = self._action
        a("sync_now", "Sync &now", self.sync.sync_now, "F5", tip="Send and receive evidence now")
        settings = a("sync_settings", "Sync &settings…", self.open_sync_settings, "Ctrl+Shift+S", icon_name="sync",
                     tip="Enrol this laptop with the central service")  # fmt: skip
        a("conflicts", "Records in &conflict…", self.open_conflicts, "Ctrl+Shift+C")
        toolbar = self.findChild(QToolBar, "record-toolbar")
        toolbar.addAction(settings)
        toolbar.addAction(self.actions_by_name["preferences"])
        self._conflicts: ConflictsDialog | None = None

    def _build_context_menus(self) -> None:
        """Right-click menus: the same actions as the menu bar, where they apply."""
        by_name = self.actions_by_name
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.insertActions(by_name["delete_record"], [by_name["open_record"], by_name["tag"], by_name["history"], by_name["raise_concern"]])
        self.assessments.addAction(by_name["deleted_records"])  # after the panel's own: details, archive

    def open_sync_settings(self) -> None:
        _open_modal(SyncSettings(self._state, self.sync, self, url=self._state.service_url or ""))

    def open_preferences(self) -> None:
        from ui.preferences import PreferencesDialog, user_settings

        _open_modal(PreferencesDialog(self._state, user_settings(self._state.settings_file), self))

    def open_conflicts(self) -> None:
        if self._conflicts is None:
            self._conflicts = ConflictsDialog(self._state, self)
            self._conflicts.open_record.connect(self.open_record)
            self._conflicts.save_editor = self.editor.save_now
        self._conflicts.load()
        self._conflicts.show()
        self._conflicts.raise_()

    def open_record(self, record_id: str) -> None:
        """Show a record in the editor (from the conflicts view or the judgements' evidence), whichever
        assessment it is in; chosen in the list too, which takes the keys (they were left in the
        search box, with no row chosen beside the record shown)."""
        self.tabs.setCurrentIndex(0)  # the editor is hidden while the coverage grid is shown
        self._set_current_record(record_id)
        self._select(record_id)
        self.table.setFocus()
        self._show_in_editor(record_id)

    def _show_in_editor(self, record_id: str) -> None:
        """Read a record into the editor; one kept on the service (retention) is fetched back first."""
        record_ops.get_record(self._state, record_id).success(self.editor.show_record).failure(
            lambda exc: self._on_open_failed(record_id, exc)
        ).run_in_background()

    def _on_open_failed(self, record_id: str, exc: BaseException) -> None:
        if isinstance(exc, VaultLocked):
            return  # the unlock window says so itself
        if not isinstance(exc, KeptOnService):
            self._state.signals.error.emit(message_for(exc))
            return
        self.editor.show_kept("Fetching this record from the service…")
        self.sync.fetch_again(record_id)

    def _open_record_ids(self) -> set[str]:
        """The record open in the editor and the one chosen to open (set at once, before it is read):
        asked on the sync thread inside the purge, retention leaves them where they are."""
        return {r for r in (self.editor.record_id, self._current_record_id) if r}

    def on_sync_fetched(self, record: RecordRow) -> None:
        if self._current_record_id == record.id:
            self.editor.show_record(record)

    def on_sync_fetch_failed(self, record_id: str, words: str) -> None:
        if self._current_record_id == record_id:
            self.editor.show_kept(words)
        self.statusBar().showMessage(words, 15_000)

    def open_places(self) -> None:
        """File → Places and organisations…: the chosen assessment's, to add, rename, retire and restore."""
        from ui.places_dialog import PlacesDialog

        row = self.assessment_panel.current()
        if row is None:
            self.statusBar().showMessage("Choose an assessment first (left).", 5000)
            return
        dialog = self.places_dialog = PlacesDialog(self._state, row.id, row.name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.conflicts_requested.connect(self.open_conflicts)
        dialog.load()
        dialog.open()

    def load_filter_choices(self, assessment_id: str | None) -> None:
        """The evidence list's place, organisation and team filters offer this assessment's."""
        if assessment_id is None:
            return
        place_ops.filter_choices(self._state, assessment_id).success(
            lambda choices: self.list_filters.set_choices(choices) if assessment_id == self._assessment_id else None
        ).run_in_background()

    def open_change_passphrase(self) -> None:
        from ui.passphrase_dialog import ChangePassphraseDialog

        dialog = ChangePassphraseDialog(self._state, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(lambda: self.statusBar().showMessage("Passphrase changed. Unlock with the new one from now on.", 10_000))
        dialog.open()  # window-modal, without blocking the event loop

    def open_shortcuts(self) -> None:
        from ui.help import ShortcutsDialog

        dialog = ShortcutsDialog(self.menuBar(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_security_log(self) -> None:
        from ui.security_log import SecurityLogDialog

        dialog = self.security_log = SecurityLogDialog(self._state, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.load()
        dialog.open()

    def copy_diagnostics(self) -> None:
        from ui.diagnostics import copy_diagnostics

        copy_diagnostics(self._state, lambda words: self.statusBar().showMessage(words, 10_000))

    def open_about(self) -> None:
        from ui.help import show_about

        show_about(self)

    # -- the record in hand: open, tag, delete, undo, restore -------------------------------------

    def _set_current_record(self, record_id: str | None) -> None:
        self._current_record_id = record_id
        self._enable_actions()

    def current_record_id(self) -> str | None:
        """The record the Record menu acts on: the one chosen in the list or opened last."""
        return self._current_record_id or self.editor.record_id

    def open_current_record(self) -> None:
        record_id = self.current_record_id()
        if record_id is not None and record_id != self.editor.record_id:
            self.open_record(record_id)
        self.editor.focus_first_field()

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search_box.setFocus()
        self.search_box.selectAll()

    def focus_list(self) -> None:
        """The evidence list takes the keys; with no row chosen yet, its first (opened beside it)."""
        if not self.table.currentIndex().isValid() and self.proxy.rowCount() > 0:
            self.table.setCurrentIndex(self.proxy.index(0, 0))
        self.table.setFocus()

    def focus_quick_note(self) -> None:
        if self.editor.quick_note is not None:
            self.editor.quick_note.setFocus()

    def focus_tagging(self) -> None:
        """To the statements of the record in hand: type to filter them, Space to tag."""
        if self.current_record_id() is None:
            self.statusBar().showMessage("Select a record to tag.", 5000)
            return
        self.tabs.setCurrentIndex(0)
        self.editor_area.ensureWidgetVisible(self.editor.tag_panel)
        self.editor.tag_panel.filter.setFocus()

    def tag_selected_text(self) -> None:
        """Ctrl+Shift+T from the notes: the words selected there, tagged with the statement chosen
        in the tagging panel; what to do first, if anything, in the status bar."""
        if self.current_record_id() is None:
            self.statusBar().showMessage("Select a record to tag.", 5000)
            return
        why = self.editor.tag_panel.tag_selected_text()
        if why:
            self.statusBar().showMessage(why, 5000)

    # -- concerns (issue 15) ----------------------------------------------------------------------

    def raise_concern_from(self, link: Any) -> None:
        """Record → Raise a concern… (Ctrl+Shift+R), the editor's button, the notes' right-click menu and
        the quiet ask (link: the People's experience tag asked about). From the record in hand and the
        words selected in its notes; with no record, on its own. What is typed is saved first: the
        save is queued on the vault worker ahead of anything the dialog does."""
        row = self.assessment_panel.current()
        if row is None or self._assessment_id is None:
            self.statusBar().showMessage("Choose an assessment first (left).", 5000)
            return
        if showing(self.concern_dialog):
            self.concern_dialog.raise_()
            self.concern_dialog.activateWindow()
            return
        record_id = self.current_record_id()
        if record_id is not None and record_id == self.editor.record_id:
            passage = link.passage if link is not None else self.editor.selected_passage()  # saves what is typed first
            self.editor.save_now()
            self._open_concern_dialog(row.framework_key, self.editor.record, passage, poor_experience=link is not None)
        elif record_id is not None:
            record_ops.get_record(self._state, record_id).success(
                lambda record: self._open_concern_dialog(row.framework_key, record, None)
            ).run_in_background()
        else:
            self._open_concern_dialog(row.framework_key, None, None)

    def _open_concern_dialog(self, framework_key: str, record: RecordRow | None, passage: Any, *, poor_experience: bool = False) -> None:
        from ui.concerns.dialog import ConcernDialog, Source

        assert self._assessment_id is not None
        tagged = tuple(sorted({link.statement_id for link in record.links})) if record is not None else ()
        source = Source(
            self._assessment_id, record.framework_key if record is not None else framework_key,
            record_id=record.id if record is not None else "", record_title=record.title if record is not None else "",
            tagged=tagged, passage=passage,
        )  # fmt: skip
        dialog = self.concern_dialog = ConcernDialog(self._state, source, self, kind="poor_experience" if poor_experience else "")
        self._show_concern_dialog(dialog, "Concern raised.")

    def change_concern(self, concern: Any) -> None:
        """The Concerns view's Change…: the same dialog, filled, until the office acknowledges it."""
        from ui.concerns.dialog import ConcernDialog, Source

        if showing(self.concern_dialog):
            self.concern_dialog.raise_()
            return
        row = self.assessment_panel.current()
        framework_key = row.framework_key if row is not None else ""
        source = Source(concern.assessment_id, framework_key, record_id=concern.content.record_id, record_title=concern.record_title)
        dialog = self.concern_dialog = ConcernDialog(self._state, source, self, editing=concern)
        self._show_concern_dialog(dialog, "Concern changed.")

    def _show_concern_dialog(self, dialog: Any, done: str) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.raised.connect(lambda _row: self._concern_raised(done))
        # The keys come back to the window (its shortcuts too), as they were when the dialog opened.
        dialog.finished.connect(lambda _result: self.activateWindow())
        dialog.open()

    def _concern_raised(self, done: str) -> None:
        self.statusBar().showMessage(f"{done} {self.sync.send_concern()}", 15_000)
        self.refresh_coverage()
        if self.list_filters.with_concern:
            self.refresh_list()

    def _tell_of_newer_client(self, report: Any) -> None:
        from ui.newer_client import newer_client_words, tell_once

        if tell_once(self, self._settings(), report.newer_client) is not None:
            self.statusBar().showMessage(newer_client_words(report.newer_client), 60_000)

    def _after_sync_for_concerns(self) -> None:
        self.concern_reminder.refresh()
        if self.tabs.currentWidget() is self.concerns:
            self.concerns.refresh()

    def _concerns_for_assessment(self) -> None:
        row = self.assessment_panel.current()
        self.concerns.set_assessment(self._assessment_id, row.framework_key if row is not None else None)

    def show_concerns(self) -> None:
        """View → Concerns (Ctrl+Shift+O), and the status bar's reminder: the list takes the keys."""
        self.tabs.setCurrentWidget(self.concerns)
        self._concerns_for_assessment()
        self.concerns.focus_list()

    def request_lock(self) -> None:
        """File → Lock (Ctrl+L): with a concern the office has not acknowledged, a short reminder first
        (it locks by itself after a few seconds); the idle lock and the screen lock never wait for it."""
        self.editor.save_now()
        self._leaving = ask_before(self, self.concern_reminder, self.sync, "lock", self.lock_requested.emit)

    def request_quit(self) -> None:
        """File → Quit (Ctrl+Q): the same reminder first, then the app saves, locks and exits."""
        self.editor.save_now()
        self._leaving = ask_before(self, self.concern_reminder, self.sync, "quit", self.quit_requested.emit)

    def hold_for_lock(self) -> None:
        """The vault locks: the Raise a concern dialog hides with its words kept (shown again after the
        unlock), a lock or quit reminder goes, and no concern stays in the Concerns view."""
        self._held_concern.hold(self._assessment_id, self.concern_dialog if showing(self.concern_dialog) else None)
        if showing(self._leaving):
            self._leaving.reject()
        self.concerns.forget()

    def hide_dialogs_for_lock(self) -> None:
        """Last as the vault locks: any dialog of this window still in sight (an attachment's
        image, the security log, Sync settings…) goes out of sight, so nothing shows over the
        unlock window nor holds its keyboard; the unlock brings back those that were merely shown.
        One run modally from within another's code (a new place's name) ends as cancelled."""
        shown = [d for d in self.findChildren(QDialog) if d.isVisible()]
        self._out_of_sight = [d for d in shown if d.windowModality() != Qt.WindowModality.ApplicationModal]
        for dialog in shown:
            dialog.hide()

    def bring_back_after_unlock(self) -> None:
        self._held_concern.bring_back(self._assessment_id)
        for dialog in self._out_of_sight:
            if isValid(dialog):
                dialog.show()
                dialog.raise_()  # above the window raised at the unlock, with or without a window manager
                dialog.activateWindow()
        self._out_of_sight = []
        if self.tabs.currentWidget() is self.concerns:
            self._concerns_for_assessment()

    def focus_history(self) -> None:
        """To the versions of the record in hand, scrolled into view (the panel sits at the foot
        of the editor): Up and Down read them, Restore is a Tab away."""
        record_id = self.current_record_id()
        if record_id is None:
            self.statusBar().showMessage("Select a record to see its history.", 5000)
            return
        if record_id != self.editor.record_id:
            self.open_record(record_id)
        self.tabs.setCurrentIndex(0)
        revisions = self.editor.history.revisions
        self.editor_area.ensureWidgetVisible(self.editor.history)
        self.editor_area.ensureWidgetVisible(revisions)  # the list at least, when the whole panel is taller than the pane
        revisions.setFocus()
        if revisions.currentItem() is None and revisions.count():
            revisions.setCurrentRow(0)

    def delete_record(self) -> None:
        """Delete at once, saving what is typed first; the status bar offers Undo for a while."""
        record_id = self.current_record_id()
        if record_id is None:
            self.statusBar().showMessage("Select a record to delete.", 5000)
            return
        row = self.model.row_of(record_id)
        title = self.model.summary(row).title if row is not None else "The record"
        if self.editor.record_id == record_id:
            self.editor.show_record(None)  # its words are saved and a revision cut, ahead of the delete
        self._set_current_record(None)
        record_ops.delete_record(self._state, record_id, initiator=self).success(
            lambda _done: self._after_delete(record_id, title)
        ).failure(self._on_delete_failed).run_in_background()

    def _after_delete(self, record_id: str, title: str) -> None:
        self.model.remove_record(record_id)
        self.refresh_list()
        self.refresh_coverage()
        self.undo_bar.offer(f"Deleted “{title}”.", lambda: self.restore_deleted(record_id), label="Delete record")

    def _on_delete_failed(self, exc: BaseException) -> None:
        message = "That record is deleted already." if isinstance(exc, NotFound) else message_for(exc)
        self.statusBar().showMessage(message, 10_000)
        self.refresh_list()

    def restore_deleted(self, record_id: str) -> None:
        """Bring a deleted record back (Undo, or Record → Deleted records) and open it."""
        history_ops.restore_deleted(self._state, record_id, initiator=self).success(
            lambda done: self._show_restored(done.value)
        ).run_in_background()

    def _show_restored(self, record: RecordRow) -> None:
        if record.assessment_id != self._assessment_id:
            self.assessment_panel.select(record.assessment_id)
        self._set_current_record(record.id)
        self.editor.show_record(record)
        self.refresh_list()
        self.refresh_coverage()
        self.statusBar().showMessage(f"Restored “{record.title}”.", 5000)

    def open_report(self, *, preview: bool, published_id: str | None = None) -> None:
        """File → Export report… / Preview report…: the chosen assessment's report (published_id: that one chosen)."""
        from ui.report.dialog import ReportDialog

        row = self.assessment_panel.current()
        if row is None:
            self.statusBar().showMessage("Choose an assessment first (left).", 5000)
            return
        dialog = self.report_dialog = ReportDialog(self._state, row.id, row.name, self, preview=preview, published_id=published_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.written.connect(lambda path: self.statusBar().showMessage(f"Wrote the report to {path} (not encrypted).", 10_000))
        dialog.open()

    def open_publish_report(self) -> None:
        """File → Publish report… (the lead inspector's): freeze the chosen assessment's report, then offer to export it."""
        from ui.report.publish import PublishDialog

        row = self.assessment_panel.current()
        if row is None:
            self.statusBar().showMessage("Choose an assessment first (left).", 5000)
            return
        self.editor.save_now()  # queued on the worker before the publication: what is typed is in it
        self.judgements.save_now()
        dialog = self.publish_dialog = PublishDialog(self._state, row.id, row.name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.published.connect(lambda _row: self.statusBar().showMessage("The report was published.", 10_000))
        dialog.export_asked.connect(lambda item_id: self.open_report(preview=False, published_id=item_id))
        dialog.open()

    def open_verify_report(self) -> None:
        """File → Verify a report file…: check a published report file against this vault."""
        from ui.report.verify import VerifyDialog

        dialog = self.verify_dialog = VerifyDialog(self._state, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_deleted_records(self) -> None:
        from ui.deleted_records import DeletedRecordsDialog

        row = self.assessment_panel.current()
        if row is None:
            self.statusBar().showMessage("Choose an assessment first (left).", 5000)
            return
        dialog = self.deleted_records = DeletedRecordsDialog(self._state, row.id, row.name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restored.connect(self._show_restored)
        dialog.load()
        dialog.open()

    def clear_filters(self) -> None:
        self.search_box.clear()
        self.kind_filter.setCurrentIndex(0)
        self.list_filters.clear()
        if self._cell != ("", ""):
            self.filter_by_cell("", "")

    def _enable_actions(self) -> None:
        by_name = self.actions_by_name
        has_record = self.current_record_id() is not None
        for name in ("delete_record", "tag", "tag_passage", "open_record"):
            by_name[name].setEnabled(has_record)
        for name in ("deleted_records", "export_report", "preview_report", "places", "raise_concern"):
            by_name[name].setEnabled(self._assessment_id is not None)

    # -- the window between runs ----------------------------------------------------------------

    def _settings(self) -> Any:
        from ui.preferences import user_settings

        return user_settings(self._state.settings_file)

    def _restore_layout(self) -> None:
        settings = self._settings()
        geometry, sizes = settings.value(GEOMETRY_KEY), settings.value(SPLITTER_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(sizes, QByteArray):
            self.splitter.restoreState(sizes)

    def remember_layout(self) -> None:
        """The window's size and place and the splitter's positions, for the next run (no evidence in them)."""
        settings = self._settings()
        settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(SPLITTER_KEY, self.splitter.saveState())
        settings.sync()

    # -- loading ----------------------------------------------------------------------------------

    def load(self) -> None:
        """After unlock: list assessments (the list follows), and count the concerns not yet acknowledged."""
        self.assessment_panel.load()
        self.concern_reminder.refresh()

    def on_assessments_filled(self, shown: int, total: int) -> None:
        for action in self.new_actions.values():
            action.setEnabled(shown > 0)
        if shown == 0:
            self.statusBar().showMessage(ALL_ARCHIVED_HINT if total else FIRST_ASSESSMENT_HINT)
            self.new_assessment_name.setFocus()
        elif self.statusBar().currentMessage() in (FIRST_ASSESSMENT_HINT, ALL_ARCHIVED_HINT):
            self.statusBar().clearMessage()  # done (typed here, or arrived by sync): the hint would mislead

    def _filters_changed(self, *, at_once: bool = False) -> None:
        """The inspector narrowed or widened the list: the answer decides whether the open record
        is still among what is shown (see _show_results)."""
        self._filter_changed = True
        if at_once:
            self.refresh_list()
        else:
            self._search_timer.start()

    def refresh_list(self, *, with_sync_status: bool = False) -> None:
        """Ask for the list's rows. with_sync_status: after a sync, read the sync status in the same
        moment and show both together (the status costs a count over the whole vault: not per keystroke)."""
        filtered, self._filter_changed = self._filter_changed, False
        self._query_generation += 1
        generation = self._query_generation
        statement, category = self._cell
        chosen = self.list_filters
        statement = statement or chosen.statement_id or ""
        category = category or chosen.category_id or ""
        date_from, date_to = chosen.date_range
        query = Query(
            text=self.search_box.text(),
            assessment_id=self._assessment_id,
            kinds=self._kinds(),
            theme_id=chosen.theme_id,
            statement_ids=(statement,) if statement else (),
            category_ids=(category,) if category else (),
            date_from=date_from,
            date_to=date_to,
            with_concern=chosen.with_concern,
            count=True,
            **chosen.context_filters(),  # type: ignore[arg-type] # place, organisation, source… (issue 15)
        )
        if with_sync_status:  # the list's sync column and the status bar then say the same thing
            record_ops.search_with_sync_status(self._state, query).success(
                lambda found: self._show_results(generation, found[0], filtered=filtered, sync_status=found[1])
            ).run_in_background()
        else:
            record_ops.search(self._state, query).success(
                lambda results: self._show_results(generation, results, filtered=filtered)
            ).run_in_background()

    def _kinds(self) -> tuple[str, ...]:
        kind = self.kind_filter.currentData()
        return (kind,) if kind else ()

    def _show_results(self, generation: int, results: Any, *, filtered: bool = False, sync_status: Any = None) -> None:
        if generation != self._query_generation:
            return  # an older query answered after a newer one was asked
        if self._assessment_id is None:
            # None chosen (every one archived): none of their records, which the list's hidden ones would show.
            results = dataclasses.replace(results, items=(), total=0)
        self.model.set_rows(results.items)
        if sync_status is not None:
            self.sync.show_status(sync_status)
        total = results.total if results.total is not None else f"{len(results.items)}+"
        self.count_label.setText(f"{total} record{'s' if total != 1 else ''}")
        open_id = self.editor.record_id
        if open_id is None:
            return
        everything_listed = results.total == len(results.items)
        if filtered and everything_listed and self.model.row_of(open_id) is None:
            # The filters now hide the record being edited: it is saved and closed, not left
            # open beside a list that does not show it.
            self.editor.show_record(None)
            self._set_current_record(None)
            self.statusBar().showMessage("The record you had open is not among those shown now; it was saved and closed.", 8000)
            return
        self._select(open_id)

    def on_tabs_current_changed(self, _index: int) -> None:
        # The grid and the judgements need the editor's room; the editor comes back with the evidence list.
        current = self.tabs.currentWidget()
        self.editor_area.setVisible(current not in (self.coverage, self.judgements, self.report, self.concerns))
        self.refresh_coverage()
        if current is self.concerns:
            self._concerns_for_assessment()
        if current is self.judgements:
            self.judgements_for_assessment()
        else:
            self.judgements.save_now()
        if current is self.report:
            self.report_for_assessment()
        else:
            self.report.save_now()

    def show_judgements(self) -> None:
        """View → Judgements: the statements list takes the keys (Up and Down choose, Tab goes to the scores)."""
        self.tabs.setCurrentWidget(self.judgements)
        self.judgements.statements.setFocus()

    def judgements_for_assessment(self) -> JudgementView:
        """The judgement view, showing the chosen assessment (read again if it already does)."""
        row = self.assessment_panel.current()
        self.judgements.set_lead(row.lead if row else None, row.i_lead if row else True)
        self.judgements.set_assessment(row.id if row else None, row.framework_key if row else None)
        return self.judgements

    def show_report(self) -> None:
        """View → Report: the page shown takes the keys (on Texts, the summary)."""
        self.tabs.setCurrentWidget(self.report)
        self.report.focus_first()

    def report_for_assessment(self) -> ReportView:
        """The report view, showing the chosen assessment (read again if it already does)."""
        row = self.assessment_panel.current()
        self.report.set_lead(row.lead if row else None, row.i_lead if row else True)
        self.report.set_assessment(row.id if row else None, row.framework_key if row else None)
        return self.report

    def refresh_coverage(self) -> None:
        if self.tabs.currentWidget() is not self.coverage or self._assessment_id is None:
            return
        assessment_id = self._assessment_id
        concern_ops.coverage_with_concerns(self._state, assessment_id).success(lambda found: self.coverage.show_coverage(*found)).run_in_background()
        place_ops.case_samples(self._state, assessment_id).success(self.coverage.show_samples).run_in_background()

    def filter_by_cell(self, statement_id: str, category_id: str) -> None:
        """Show the evidence behind a coverage cell (or, with empty ids, all evidence again)."""
        self._cell = (statement_id, category_id)
        if statement_id:
            words = self.coverage.cell_name(statement_id, category_id)
            self.cell_filter.setText(f"{words}  ✕")
            self.cell_filter.setToolTip(f"Showing only the evidence for {words}; click to show all evidence again")
        self.cell_filter.setVisible(bool(statement_id))
        self.tabs.setCurrentIndex(0)
        self._filters_changed(at_once=True)

    # -- slots ------------------------------------------------------------------------------------

    def _enable_lead_actions(self, row: Any) -> None:
        """File → Publish rating snapshot, Record review and Publish report are the lead inspector's, where
        the service names one; a colleague sees them disabled with who the lead is (tooltip and status bar)."""
        for name, does, tip in (("publish_snapshot", "publishes the rating", PUBLISH_TIP), ("record_review", "records reviews", REVIEW_TIP),
                                ("publish_report", "publishes the report", PUBLISH_REPORT_TIP)):  # fmt: skip
            action = self.actions_by_name[name]
            mine = row is None or row.i_lead
            action.setEnabled(mine and (row is not None or name != "publish_report"))
            words = tip if mine else f"Only the lead inspector, {row.lead}, {does}."
            action.setToolTip(words)
            action.setStatusTip(words)

    def on_assessment_chosen(self, chosen: str | None) -> None:
        row = self.assessment_panel.current()
        self._enable_lead_actions(row)
        self.list_filters.set_period(row.period_start if row else None, row.period_end if row else None)
        if chosen != self._assessment_id:
            self.list_filters.forget_choices()  # another assessment's places are not this one's
        self.load_filter_choices(chosen)
        if chosen == self._assessment_id:
            # The list was filled again (a sync, a new assessment) with the same one chosen: the
            # record being edited stays open; only the evidence list catches up.
            self.refresh_list()
            self.refresh_coverage()
            if self.tabs.currentWidget() is self.judgements:
                self.judgements_for_assessment()
            if self.tabs.currentWidget() is self.report:
                self.report_for_assessment()
            return
        self._assessment_id = chosen
        if self.tabs.currentWidget() is self.concerns:
            self._concerns_for_assessment()
        self.editor.show_record(None)
        self._set_current_record(None)
        self._cell = ("", "")
        self.cell_filter.hide()
        self.refresh_list()
        self.refresh_coverage()
        if self.tabs.currentWidget() is self.judgements:
            self.judgements_for_assessment()
        if self.tabs.currentWidget() is self.report:
            self.report_for_assessment()

    def toggle_prompts(self) -> None:
        """View → Prompts: open or close them beside the notes; the cursor stays where it is."""
        if not self.editor.toggle_prompts():
            self.statusBar().showMessage("Prompts are shown beside the notes of an interview or a focus group.", 5000)

    def new_record(self, kind: str) -> None:
        if self._assessment_id is None:
            self.statusBar().showMessage("Create an assessment first (left).", 5000)
            return
        assessment_id, content = self._assessment_id, NEW_RECORD[kind][2]()
        record_ops.create_record(self._state, assessment_id, content, initiator=self).success(
            lambda done: self._open_new(done.value)
        ).run_in_background()

    def _open_new(self, record: RecordRow) -> None:
        self.tabs.setCurrentIndex(0)  # made from the coverage or concerns tab too: its form is shown, not typed in blind
        self._set_current_record(record.id)
        self.editor.open_new(record)
        self.editor_area.verticalScrollBar().setValue(0)  # its first field in view, not the last one's place
        self.refresh_list()

    def on_table_current_changed(self, current: Any, _previous: Any) -> None:
        if not current.isValid():
            return
        record_id = self.proxy.data(current, RECORD_ID_ROLE)
        self._set_current_record(record_id)  # at once: a right-click's menu acts on this row
        if record_id == self.editor.record_id:
            return
        self._show_in_editor(record_id)

    def on_history_restored_from(self, record: RecordRow, replaced: str) -> None:
        """A version restored from the history: Undo brings back the one it replaced."""
        self.undo_bar.offer(
            f"Restored an earlier version of “{record.title}”.", lambda: self._undo_restore(record.id, replaced), label="Restore version"
        )

    def _undo_restore(self, record_id: str, replaced: str) -> None:
        if self.editor.record_id != record_id:
            self.editor.show_record(None)  # the record open now is saved first, as when opening another
        self._set_current_record(record_id)
        self.editor.history.restore_version(record_id, replaced, undoable=False)

    def on_editor_saved(self, record: RecordRow) -> None:
        self._search_timer.start()  # the list shows the new title, tags and sync state

    def on_vault_changed(self, changes: Changes, initiator: object) -> None:
        if self.tabs.currentWidget() is self.judgements:
            self.judgements.on_vault_changed(changes, initiator)
        if self.tabs.currentWidget() is self.report:
            self.report.on_vault_changed(changes, initiator)
        if self._assessment_id is not None and self._assessment_id in changes.judgements:
            self.load_filter_choices(self._assessment_id)  # its places and organisations may have changed
            self.refresh_coverage()
        if changes.concerns and self._assessment_id in changes.concerns:
            self.refresh_coverage()  # the flags on the statements concerns touch
        if initiator is self or initiator is self.editor or initiator is self.assessment_panel:
            return  # our own echo: already shown
        if changes.records or changes.assessments:
            # After a sync, the list (with the sync status) is asked for at once, ahead of the status
            # the sync controller reads for itself, so the status bar never runs ahead of the list.
            self.refresh_list(with_sync_status=initiator is self.sync)
            self.load()

    def _select(self, record_id: str) -> None:
        row = self.model.row_of(record_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().blockSignals(True)
        self.table.setCurrentIndex(index)
        self.table.selectionModel().blockSignals(False)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.spontaneous() and self.concern_reminder.open_count and self.isVisible():
            # Closed from the title bar with a concern not acknowledged: as File → Quit, the reminder
            # first (it carries on by itself), then the app saves, locks and exits.
            event.ignore()
            self.request_quit()
            return
        self.remember_layout()
        self.editor.leave_record()
        self.judgements.save_now()
        self.report.save_now()
        super().closeEvent(event)


def _open_modal(dialog: QDialog) -> None:
    """Modal to the window, without a nested event loop: a lock can then take it out of sight and
    bring it back (see MainWindow.hide_dialogs_for_lock); closed, it is deleted."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
