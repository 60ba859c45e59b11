"""The main window: assessments on the left, the evidence list in the middle, the editor on the right."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
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

from fieldapp import domain
from fieldapp.rows import Changes, RecordRow
from fieldapp.search import Query

from ui.conflicts_view import ConflictsDialog
from ui.coverage_view import CoverageView
from ui.editor import RecordEditor
from ui.icons import KIND_ICONS, icon
from ui.list_filters import ListFilters
from ui.operations import QueryOp, VaultOp
from ui.record_list import RECORD_ID_ROLE, SORT_ROLE, RecordListModel
from ui.state import AppState
from ui.sync_controller import SyncController
from ui.sync_panel import SyncSettings, SyncStatus

SEARCH_DELAY_MS = 120  # results as you type, without a query per keystroke
FIRST_ASSESSMENT_HINT = "Start by typing the integrated care system's name at the bottom left, then Enter."
NEW_RECORD = {
    "observation": ("New observation", "Ctrl+1", domain.Observation),
    "interview": ("New interview", "Ctrl+2", domain.Interview),
    "case_tracking": ("New case tracking", "Ctrl+3", domain.CaseTracking),
    "focus_group": ("New focus group", "Ctrl+4", domain.FocusGroup),
}


class MainWindow(QMainWindow):
    lock_requested = Signal()  # ()

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._assessment_id: str | None = None
        self._cell: tuple[str, str] = ("", "")  # the coverage cell the list is filtered to
        self._query_generation = 0
        self.setWindowTitle("fieldapp")
        self.setWindowIcon(icon("app"))
        self.resize(1280, 720)
        self.setMinimumSize(960, 600)
        if state.sync is None:
            state.sync = SyncController(state)
        self.sync = state.sync
        self._build()
        self._build_actions()
        self._build_sync()
        state.signals.operation_did_execute.connect(self.on_vault_changed)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh_list)

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel("Assessments"))
        self.assessments = QListWidget()
        self.assessments.setAccessibleName("Assessments")
        self.assessments.currentItemChanged.connect(self.on_assessments_current_changed)
        left_layout.addWidget(self.assessments)
        self.new_assessment_name = QLineEdit()
        self.new_assessment_name.setPlaceholderText("New assessment: ICS name, then Enter")
        self.new_assessment_name.setAccessibleName("New assessment name")
        self.new_assessment_name.returnPressed.connect(self.on_new_assessment_name_return)
        left_layout.addWidget(self.new_assessment_name)

        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        filters = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search evidence (Ctrl+F)")
        self.search_box.setAccessibleName("Search evidence")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        filters.addWidget(self.search_box, 3)
        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName("Filter by kind")
        self.kind_filter.addItem("All kinds", None)
        for kind, label in domain.KIND_LABELS.items():
            self.kind_filter.addItem(label, kind)
        self.kind_filter.currentIndexChanged.connect(lambda _i: self.refresh_list())
        filters.addWidget(self.kind_filter, 1)
        middle_layout.addLayout(filters)
        self.list_filters = ListFilters(middle)
        self.list_filters.changed.connect(self.refresh_list)
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
        self.table.verticalHeader().setVisible(False)
        self.table.selectionModel().currentRowChanged.connect(self.on_table_current_changed)
        middle_layout.addWidget(self.table)
        self.count_label = QLabel("")
        self.count_label.setAccessibleName("Number of records shown")
        middle_layout.addWidget(self.count_label)

        self.editor = RecordEditor(self._state)
        self.editor.saved.connect(self.on_editor_saved)
        scroll = self.editor_area = QScrollArea()
        scroll.setAccessibleName("Record editor")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)

        self.coverage = CoverageView()
        self.coverage.cell_chosen.connect(self.filter_by_cell)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Evidence and coverage")
        self.tabs.addTab(middle, "Evidence")
        self.tabs.addTab(self.coverage, "Coverage")
        self.tabs.currentChanged.connect(self.on_tabs_current_changed)

        splitter = QSplitter()
        for widget, stretch in ((left, 1), (self.tabs, 3), (scroll, 3)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        self.setCentralWidget(splitter)
        self.statusBar().showMessage("Unlocked")
        self._state.signals.error.connect(lambda message: self.statusBar().showMessage(message, 10_000))

    def _build_actions(self) -> None:
        toolbar = self.addToolBar("Record")
        toolbar.setObjectName("record-toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_actions: dict[str, QAction] = {}
        for kind, (label, shortcut, _cls) in NEW_RECORD.items():
            action = QAction(icon(KIND_ICONS[kind]), label, self)
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{label} ({shortcut})")
            action.triggered.connect(lambda _checked=False, k=kind: self.new_record(k))
            toolbar.addAction(action)
            self.new_actions[kind] = action
        search = QAction(icon("search"), "Search", self)
        search.setShortcut(QKeySequence.StandardKey.Find)
        search.triggered.connect(lambda: (self.search_box.setFocus(), self.search_box.selectAll()))
        self.addAction(search)
        quick = QAction("Quick note", self)
        quick.setShortcut(QKeySequence("Ctrl+Shift+N"))
        quick.triggered.connect(lambda: self.editor.quick_note.setFocus() if self.editor.quick_note else None)
        self.addAction(quick)
        self.lock_action = QAction(icon("lock"), "Lock", self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setToolTip("Lock the vault (Ctrl+L)")
        self.lock_action.triggered.connect(self.lock_requested.emit)
        toolbar.addAction(self.lock_action)

    def _build_sync(self) -> None:
        self.sync_status = SyncStatus(self.sync)
        self.sync_status.conflicts_requested.connect(self.open_conflicts)
        self.sync_status.settings_requested.connect(self.open_sync_settings)
        self.statusBar().addPermanentWidget(self.sync_status)
        for label, shortcut, slot in (
            ("Sync now", "F5", self.sync.sync_now),
            ("Sync settings…", "Ctrl+Shift+S", self.open_sync_settings),
            ("Records in conflict…", "Ctrl+Shift+C", self.open_conflicts),
        ):
            action = QAction(label, self)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            self.addAction(action)
        preferences = QAction("Preferences…", self)
        preferences.setShortcut(QKeySequence("Ctrl+,"))
        preferences.triggered.connect(self.open_preferences)
        preferences.setToolTip("Idle lock time and colours (Ctrl+,)")
        self.addAction(preferences)
        settings = QAction(icon("sync"), "Sync settings", self)
        settings.setToolTip("Enrol this laptop with the central service (Ctrl+Shift+S)")
        settings.triggered.connect(self.open_sync_settings)
        self.findChild(QToolBar, "record-toolbar").addAction(settings)
        self.findChild(QToolBar, "record-toolbar").addAction(preferences)
        self._conflicts: ConflictsDialog | None = None

    def open_sync_settings(self) -> None:
        SyncSettings(self._state, self.sync, self, url=self._state.service_url or "").exec()

    def open_preferences(self) -> None:
        from ui.preferences import PreferencesDialog, user_settings

        PreferencesDialog(self._state, user_settings(self._state.settings_file), self).exec()

    def open_conflicts(self) -> None:
        if self._conflicts is None:
            self._conflicts = ConflictsDialog(self._state, self)
            self._conflicts.open_record.connect(self.open_record)
            self._conflicts.save_editor = self.editor.save_now
        self._conflicts.load()
        self._conflicts.show()
        self._conflicts.raise_()

    def open_record(self, record_id: str) -> None:
        """Show a record in the editor (from the conflicts view), whichever assessment it is in."""
        QueryOp(self._state, lambda vault: vault.records.get(record_id)).success(self.editor.show_record).run_in_background()

    # -- loading ----------------------------------------------------------------------------------

    def load(self) -> None:
        """After unlock: list assessments (the list follows)."""
        QueryOp(self._state, lambda vault: vault.assessments.list()).success(self._show_assessments).run_in_background()

    def _show_assessments(self, rows: Any, select_id: str | None = None) -> None:
        # Filled with signals held back, then the choice is announced once: a refill that keeps
        # the same assessment (after a sync, say) must not close the record being edited.
        self.assessments.blockSignals(True)
        self.assessments.clear()
        for row in rows:
            item = QListWidgetItem(row.name)
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            if not row.on_service and self.sync.view.state != "not-enrolled":
                item.setIcon(icon("sync-offline"))
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, "on this laptop only")
                item.setToolTip(
                    f"{row.service_note or 'Not on the central service yet.'}\nTo sync it, the service's administrator "
                    f"can adopt it: fieldapp-server admin assessment add {row.name!r} --id {row.id}"
                )
            self.assessments.addItem(item)
            if row.id == (select_id or self._assessment_id):
                self.assessments.setCurrentItem(item)
        if self.assessments.currentItem() is None and self.assessments.count():
            self.assessments.setCurrentRow(0)
        self.assessments.blockSignals(False)
        self.on_assessments_current_changed(self.assessments.currentItem(), None)
        for action in self.new_actions.values():
            action.setEnabled(self.assessments.count() > 0)
        if self.assessments.count() == 0:
            self.statusBar().showMessage(FIRST_ASSESSMENT_HINT)
            self.new_assessment_name.setFocus()
        elif self.statusBar().currentMessage() == FIRST_ASSESSMENT_HINT:
            self.statusBar().clearMessage()  # done (typed here, or arrived by sync): the hint would mislead

    def refresh_list(self) -> None:
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
            count=True,
        )
        QueryOp(self._state, lambda vault: vault.search(query)).success(
            lambda results: self._show_results(generation, results)
        ).run_in_background()

    def _kinds(self) -> tuple[str, ...]:
        kind = self.kind_filter.currentData()
        return (kind,) if kind else ()

    def _show_results(self, generation: int, results: Any) -> None:
        if generation != self._query_generation:
            return  # an older query answered after a newer one was asked
        self.model.set_rows(results.items)
        total = results.total if results.total is not None else f"{len(results.items)}+"
        self.count_label.setText(f"{total} record{'s' if total != 1 else ''}")
        if self.editor.record_id is not None:
            self._select(self.editor.record_id)

    def on_tabs_current_changed(self, _index: int) -> None:
        # The grid needs the editor's room; the editor comes back with the evidence list.
        self.editor_area.setVisible(self.tabs.currentWidget() is not self.coverage)
        self.refresh_coverage()

    def refresh_coverage(self) -> None:
        if self.tabs.currentWidget() is not self.coverage or self._assessment_id is None:
            return
        assessment_id = self._assessment_id
        QueryOp(self._state, lambda vault: vault.coverage(assessment_id)).success(self.coverage.show_coverage).run_in_background()

    def filter_by_cell(self, statement_id: str, category_id: str) -> None:
        """Show the evidence behind a coverage cell (or, with empty ids, all evidence again)."""
        self._cell = (statement_id, category_id)
        if statement_id:
            words = self.coverage.cell_name(statement_id, category_id)
            self.cell_filter.setText(f"{words}  ✕")
            self.cell_filter.setToolTip(f"Showing only the evidence for {words}; click to show all evidence again")
        self.cell_filter.setVisible(bool(statement_id))
        self.tabs.setCurrentIndex(0)
        self.refresh_list()

    # -- slots ------------------------------------------------------------------------------------

    def on_assessments_current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        chosen = current.data(Qt.ItemDataRole.UserRole) if current else None
        if chosen == self._assessment_id:
            # The list was filled again (a sync, a new assessment) with the same one chosen: the
            # record being edited stays open; only the evidence list catches up.
            self.refresh_list()
            self.refresh_coverage()
            return
        self._assessment_id = chosen
        self.editor.show_record(None)
        self._cell = ("", "")
        self.cell_filter.hide()
        self.refresh_list()
        self.refresh_coverage()

    def on_new_assessment_name_return(self) -> None:
        name = self.new_assessment_name.text().strip()
        if not name:
            return
        self.new_assessment_name.clear()
        VaultOp(self._state, lambda vault: vault.assessments.create(name), initiator=self).success(
            lambda done: self._after_new_assessment(done.value.id)
        ).run_in_background()

    def _after_new_assessment(self, assessment_id: str) -> None:
        QueryOp(self._state, lambda vault: vault.assessments.list()).success(
            lambda rows: self._show_assessments(rows, select_id=assessment_id)
        ).run_in_background()

    def new_record(self, kind: str) -> None:
        if self._assessment_id is None:
            self.statusBar().showMessage("Create an assessment first (left).", 5000)
            return
        assessment_id, content = self._assessment_id, NEW_RECORD[kind][2]()
        VaultOp(self._state, lambda vault: vault.records.create(assessment_id, content), initiator=self).success(
            lambda done: self._open_new(done.value)
        ).run_in_background()

    def _open_new(self, record: RecordRow) -> None:
        self.editor.open_new(record)
        self.editor_area.verticalScrollBar().setValue(0)  # its first field in view, not the last one's place
        self.refresh_list()

    def on_table_current_changed(self, current: Any, _previous: Any) -> None:
        if not current.isValid():
            return
        record_id = self.proxy.data(current, RECORD_ID_ROLE)
        if record_id == self.editor.record_id:
            return
        QueryOp(self._state, lambda vault: vault.records.get(record_id)).success(self.editor.show_record).run_in_background()

    def on_editor_saved(self, record: RecordRow) -> None:
        self._search_timer.start()  # the list shows the new title, tags and sync state

    def on_vault_changed(self, changes: Changes, initiator: object) -> None:
        if initiator is self or initiator is self.editor:
            return  # our own echo: already shown
        if changes.records or changes.assessments:
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
        self.editor.leave_record()
        super().closeEvent(event)
