"""An assessment's details: its name, period and team with each member's role, asked for together
when one is started here, and changed here while it is on this laptop only; and the way to its places
and organisations (ui/places_dialog.py), which anyone on the team may change.

An assessment on the central service belongs to its administrator (see fieldapp.assessments):
the dialog shows its details read-only and says whom to ask. The period's days are typed as
England writes them (1/11/2026, 1 Nov 2026) or picked from the calendar beside each, as in the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import UnreadableDate
from fieldapp.rows import AssessmentRow, Changes, Done
from fieldapp.team import INSPECTOR, ROLE_LABELS, TeamMember

from ui.errors import message_for
from ui.operations import VaultOp
from ui.operations import assessments as assessment_ops
from ui.state import AppState
from ui.dates import day_hint, read_when, when_text
from ui.when_edit import WhenEdit

MANAGED_NOTE = (
    "This assessment is managed on the central service; ask its administrator to rename it or change its period. "
    "Its team and their roles are set by the central service's administrator too. "
    "Archiving it (File menu) only hides it on this laptop."
)
TEAM_SET_THERE = "Set by the central service's administrator."
MEMBER_ROLE = Qt.ItemDataRole.UserRole
NEW_NOTE = (
    "Its period and team can be changed here until it is on the central service, which the next sync offers it to; "
    "after that, the service's administrator sets them, and members the service's team lacks are left out (the sync says which)."
)


class AssessmentDialog(QDialog):
    saved = Signal(object)  # the AssessmentRow as now saved
    places_requested = Signal()  # Places and organisations… (the window opens them for the chosen assessment)

    def __init__(self, state: AppState, row: AssessmentRow | None, parent: QWidget | None = None, *, name: str = "") -> None:
        """The details of row; with no row, a new assessment (named `name` so far) to start."""
        super().__init__(parent)
        self._state, self._row = state, row
        self.setWindowTitle("Assessment details" if row else "New assessment")
        self.name = QLineEdit(row.name if row else name)
        self.name.setAccessibleName("Assessment name")
        self.start = self._date("First day", row.period_start if row else None)
        self.end = self._date("Last day", row.period_end if row else None)
        dates = QHBoxLayout()
        for widget in (self.start, QLabel("to"), self.end):
            dates.addWidget(widget)
        period = QLabel("&Period (leave both empty for none)")
        period.setBuddy(self.start)
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow(period, dates)
        editable = row is None or not row.on_service
        self._build_team(form, row.members if row else (), editable)
        if row is None:
            note = NEW_NOTE
        else:
            note = MANAGED_NOTE if row.on_service else "On this laptop only: the next sync offers it as it stands here."
        if row is not None and row.retention_days:
            note += " " + retention_words(row.retention_days)
        self.note = QLabel(note)
        self.note.setAccessibleName("Who may change this assessment")
        self.note.setWordWrap(True)
        self.status = QLabel("")
        self.status.setAccessibleName("Assessment details status")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        if row is not None:  # anyone on the team changes them, on the service's assessments too
            self.places_button = QPushButton("Places and &organisations…")
            self.places_button.setAutoDefault(False)
            self.places_button.setToolTip("The assessment's localities, ICB, ICP, local authorities and providers, which records name")
            self.places_button.clicked.connect(self.places_requested.emit)
            places = QHBoxLayout()
            places.addWidget(self.places_button)
            places.addStretch(1)
            layout.addLayout(places)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        if row is None:
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Start assessment")
            # A name typed already (Enter in the list's box): the period is what is left to type.
            (self.start if name.strip() else self.name).setFocus()
        self.name.setReadOnly(not editable)
        for edit in (self.start, self.end):
            edit.setReadOnly(not editable)
            edit.calendar_action.setEnabled(editable)
        if not editable:  # nothing to save: a Close button says so
            self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    # -- the team -------------------------------------------------------------------------------

    def _build_team(self, form: QFormLayout, members: tuple[TeamMember, ...], editable: bool) -> None:
        """The team, each name with its role; below it, while the assessment is this laptop's, a name and
        a role to add, and buttons to set the chosen member's role or remove them."""
        self.team = QListWidget()
        self.team.setAccessibleName("Team and roles")
        self.team.setMaximumHeight(self.fontMetrics().height() * 7)
        self.team.currentItemChanged.connect(self._on_member_chosen)
        for member in members:
            self._add_member_item(member)
        heading = QLabel("&Team")
        heading.setBuddy(self.team)
        self.team_note = QLabel(TEAM_SET_THERE)
        self.team_note.setAccessibleName("Who sets the team")
        self.team_note.setWordWrap(True)
        self.team_note.setVisible(not editable)
        team_box = QVBoxLayout()
        team_box.addWidget(self.team)
        team_box.addWidget(self.team_note)
        self.member_name = QLineEdit()
        self.member_name.setAccessibleName("Team member's name")
        self.member_name.setPlaceholderText("Name")
        self.member_role = QComboBox()
        self.member_role.setAccessibleName("Team member's role")
        for key, label in ROLE_LABELS.items():
            self.member_role.addItem(label, key)
        self.member_role.setCurrentIndex(self.member_role.findData(INSPECTOR))
        self.add_member = self._button("Add &member", self.on_add_member)
        self.set_role = self._button("Set &role", self.on_set_role)
        self.remove_member = self._button("Remo&ve", self.on_remove_member)
        adding = QHBoxLayout()
        for widget, stretch in ((self.member_name, 3), (self.member_role, 2), (self.add_member, 0), (self.set_role, 0), (self.remove_member, 0)):
            adding.addWidget(widget, stretch)
        self.team_editing = QWidget()
        self.team_editing.setLayout(adding)
        adding.setContentsMargins(0, 0, 0, 0)
        self.team_editing.setVisible(editable)
        team_box.addWidget(self.team_editing)
        form.addRow(heading, team_box)
        self._enable_team()

    def _button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)  # Enter in the dialog saves it, whichever of these had the focus
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _add_member_item(self, member: TeamMember) -> None:
        item = QListWidgetItem(f"{member.name} — {member.role_label}")
        item.setData(MEMBER_ROLE, (member.name, member.role))
        self.team.addItem(item)

    def members(self) -> tuple[TeamMember, ...]:
        """The team as it now stands in the dialog, in its order."""
        return tuple(TeamMember(*self.team.item(i).data(MEMBER_ROLE)) for i in range(self.team.count()))

    def on_add_member(self) -> None:
        name = " ".join(self.member_name.text().split())
        if not name:
            self.status.setText("Type the team member's name, then choose their role.")
            self.member_name.setFocus()
            return
        if any(m.name.casefold() == name.casefold() for m in self.members()):
            self.status.setText("That name is in the team already: choose it in the list to set its role.")
            return
        self._add_member_item(TeamMember(name, self.member_role.currentData()))
        self.member_role.setCurrentIndex(self.member_role.findData(INSPECTOR))  # a team has one lead: the next is an inspector
        self.member_name.clear()
        self.member_name.setFocus()
        self.status.setText("")
        self._enable_team()

    def on_set_role(self) -> None:
        item = self.team.currentItem()
        if item is None:
            return
        name, _role = item.data(MEMBER_ROLE)
        member = TeamMember(name, self.member_role.currentData())
        item.setData(MEMBER_ROLE, (member.name, member.role))
        item.setText(f"{member.name} — {member.role_label}")

    def on_remove_member(self) -> None:
        row = self.team.currentRow()
        if row >= 0:
            self.team.takeItem(row)
        self._enable_team()

    def _on_member_chosen(self, *_args: object) -> None:
        item = self.team.currentItem()
        if item is not None:
            self.member_role.setCurrentIndex(max(0, self.member_role.findData(item.data(MEMBER_ROLE)[1])))
        self._enable_team()

    def _enable_team(self) -> None:
        chosen = self.team.currentItem() is not None
        self.set_role.setEnabled(chosen)
        self.remove_member.setEnabled(chosen)

    def _date(self, name: str, iso: str | None) -> WhenEdit:
        edit = WhenEdit(when_text(iso), name)
        # A period is days: the editor's date-and-time examples were cut off here and offered a time.
        edit.setPlaceholderText(day_hint())
        return edit

    def period(self) -> tuple[str | None, str | None]:
        """The days typed, as the vault keeps them; raises UnreadableDate saying which and how."""
        return _day(self.start.text(), "First day"), _day(self.end.text(), "Last day")

    def accept(self) -> None:
        """Save what changed on the vault worker; the dialog closes once it is saved."""
        if self._row is not None and self._row.on_service:
            super().accept()
            return
        try:
            period = self.period()
        except UnreadableDate as exc:
            self.status.setText(str(exc))
            return
        if self.member_name.text().strip():  # a name typed and not added yet: saving adds it, never drops it
            kept = self.team.count()
            self.on_add_member()
            if self.team.count() == kept:
                return
        row, name, members = self._row, self.name.text().strip(), self.members()

        if not name:
            self.status.setText("Give the assessment a name (the integrated care system's name).")
            return

        def save(vault: Any) -> Done[AssessmentRow]:
            assert row is not None
            # The period first: a period it refuses (ending before it starts) leaves the name alone too.
            changes, saved = Changes(), row
            if period != (row.period_start, row.period_end):
                done = vault.assessments.set_period(row.id, *period)
                changes, saved = changes | done.changes, done.value
            if name != row.name:
                done = vault.assessments.rename(row.id, name)
                changes, saved = changes | done.changes, done.value
            if members != row.members:
                done = vault.assessments.set_team(row.id, members)
                changes, saved = changes | done.changes, done.value
            return Done(saved, changes)

        self.buttons.setEnabled(False)
        op = VaultOp(self._state, save, initiator=self) if row is not None else assessment_ops.create_assessment(self._state, name, period, members, initiator=self)
        op.success(self._on_saved).failure(self._on_failed).run_in_background()

    def _on_saved(self, done: Done[AssessmentRow]) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(done.value)
        super().accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.status.setText(message_for(exc))


def _day(text: str, label: str) -> str | None:
    """A typed day as an ISO date (a time typed with it is not part of a period)."""
    try:
        kept = read_when(text)
    except UnreadableDate as exc:
        raise UnreadableDate(f"{label}: {exc}") from None
    return kept[:10] if kept else None


def retention_words(days: int) -> str:
    """The assessment's retention period (issue 16), set on the service, as its details say it."""
    return (f"Evidence older than {days} day{'s' if days != 1 else ''} is removed from this laptop once the service holds it; "
            "opening it fetches it again.")  # fmt: skip
