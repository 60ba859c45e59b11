"""The assessments column: the list (archived ones hidden unless asked for), a new one started by
its name and period, and the commands on the chosen one (details, archive). Who may change an assessment is the
core's rule (fieldapp.assessments); this column and its dialog only show it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from fieldapp.rows import AssessmentRow, Done

from ui.icons import icon
from ui.operations import assessments as assessment_ops
from ui.state import AppState
from ui.sync_controller import SyncController
from ui.theme import colors

ID_ROLE = Qt.ItemDataRole.UserRole
NAME_PLACEHOLDER = "New assessment…"
NAME_HOW = "Type the integrated care system's name, then press Enter to give its period and start its assessment"


class AssessmentsPanel(QWidget):
    chosen = Signal(object)  # the chosen assessment's id (or None), after every fill: the same id again after a refill
    filled = Signal(int, int)  # (assessments shown, assessments in the vault)
    message = Signal(str)  # words for the status bar
    places_requested = Signal()  # the chosen assessment's places and organisations (the window opens them)

    def __init__(self, state: AppState, sync: SyncController) -> None:
        super().__init__()
        self._state, self._sync = state, sync
        self.rows: tuple[AssessmentRow, ...] = ()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Assessments"))
        self.list = QListWidget()
        self.list.setAccessibleName("Assessments")
        self.list.currentItemChanged.connect(self.on_list_current_changed)
        layout.addWidget(self.list)
        self.name = QLineEdit()
        # Short enough to read whole in the column's width at 1366×768; how, in the tooltip.
        self.name.setPlaceholderText(NAME_PLACEHOLDER)
        self.name.setToolTip(NAME_HOW)
        self.name.setAccessibleName("New assessment name")
        self.name.setAccessibleDescription(NAME_HOW)
        margins = self.name.textMargins()
        self.name.setMinimumWidth(self.name.fontMetrics().horizontalAdvance(NAME_PLACEHOLDER) + margins.left() + margins.right() + 16)
        self.name.returnPressed.connect(self.on_name_return)
        layout.addWidget(self.name)
        self.new_action = QAction("&New assessment…", self)
        self.new_action.setToolTip("Start an assessment: the integrated care system's name and the period")
        self.new_action.triggered.connect(lambda _checked=False: self.start_new())
        self.details_action = QAction("Assessment &details…", self)
        self.details_action.setToolTip("Name, period and team of the assessment")
        self.details_action.triggered.connect(self.open_details)
        self.archive_action = QAction("Arc&hive assessment", self)  # not A: Alt+F then A, a slip for Assessment details, hid it at once
        self.archive_action.setToolTip("Hide it from the list on this laptop; its records stay and still sync")
        self.archive_action.triggered.connect(self.toggle_archived)
        self.show_archived_action = QAction("Show &archived assessments", self)
        self.show_archived_action.setCheckable(True)
        self.show_archived_action.toggled.connect(lambda _on: self.show_rows(self.rows, self.current_id()))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.list.addActions([self.details_action, self.archive_action])
        self._enable_actions()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    def current(self) -> AssessmentRow | None:
        chosen = self.current_id()
        return next((row for row in self.rows if row.id == chosen), None)

    def load(self, select_id: str | None = None) -> None:
        """List the vault's assessments (again), keeping the chosen one if it is still shown."""
        keep = select_id or self.current_id()
        assessment_ops.list_assessments(self._state).success(lambda rows: self.show_rows(rows, keep)).run_in_background()

    def show_rows(self, rows: tuple[AssessmentRow, ...], select_id: str | None = None) -> None:
        # Filled with signals held back, then the choice is announced once: a refill that keeps
        # the same assessment (after a sync, say) must not close the record being edited.
        self.rows = tuple(rows)
        show_archived = self.show_archived_action.isChecked()
        self.list.blockSignals(True)
        self.list.clear()
        for row in rows:
            if row.archived and not show_archived:
                continue
            item = QListWidgetItem(f"{row.name} (archived)" if row.archived else row.name)
            item.setData(ID_ROLE, row.id)
            if row.archived:
                item.setForeground(QBrush(QColor(colors().placeholder)))  # greyed, still readable
            if not row.on_service and self._sync.view.state != "not-enrolled":
                item.setIcon(icon("sync-offline"))
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, "on this laptop only")
                period = "".join(f" {flag} {day}" for flag, day in (("--from", row.period_start), ("--to", row.period_end)) if day)
                item.setToolTip(
                    f"{row.service_note or 'Not on the central service yet.'}\nTo sync it, the service's administrator "
                    f"can adopt it: fieldapp-server admin assessment add {row.name!r} --id {row.id}{period}"
                )
            self.list.addItem(item)
            if row.id == select_id:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self._enable_actions()
        self.filled.emit(self.list.count(), len(self.rows))
        self.chosen.emit(self.current_id())

    def on_list_current_changed(self, *_args: object) -> None:
        self._enable_actions()
        self.chosen.emit(self.current_id())

    def select(self, assessment_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(ID_ROLE) == assessment_id:
                self.list.setCurrentRow(i)
                return

    def _enable_actions(self) -> None:
        row = self.current()
        self.details_action.setEnabled(row is not None)
        self.archive_action.setEnabled(row is not None)
        self.archive_action.setText("Unarc&hive assessment" if row is not None and row.archived else "Arc&hive assessment")

    # -- commands ---------------------------------------------------------------------------------

    def start_new(self, name: str = "") -> None:
        """Ask for a new assessment's name and period together: once it syncs, its period is the
        service administrator's to change, so it is asked for while it is still this laptop's."""
        from ui.assessment_dialog import AssessmentDialog

        dialog = AssessmentDialog(self._state, None, self, name=name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda row: self.load(select_id=row.id))
        dialog.open()

    def on_name_return(self) -> None:
        name = self.name.text().strip()
        if not name:
            return
        self.name.clear()
        self.start_new(name)

    def open_details(self) -> None:
        from ui.assessment_dialog import AssessmentDialog

        row = self.current()
        if row is None:
            return
        dialog = AssessmentDialog(self._state, row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.places_requested.connect(self.places_requested.emit)
        dialog.open()  # saving broadcasts the change; the window lists the assessments again

    def toggle_archived(self) -> None:
        """Archive the chosen assessment on this laptop, or bring an archived one back."""
        row = self.current()
        if row is None:
            return
        archived = not row.archived
        assessment_ops.set_archived(self._state, row.id, archived, initiator=self).success(
            self._after_archive
        ).run_in_background()

    def _after_archive(self, done: Done[AssessmentRow]) -> None:
        row = done.value
        self.load(select_id=row.id)
        if row.archived:
            self.message.emit(f"“{row.name}” archived: hidden on this laptop (View → Show archived assessments). Its records stay and still sync.")
        else:
            self.message.emit(f"“{row.name}” is back in the list.")
