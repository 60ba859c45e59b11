"""The context of a piece of evidence in the record editor (issue 15): where it came from, on or off
site, how it was held and why face to face, who from the team took part, the places and
organisations it concerns, and a case's sample and stage.

A compact group under one toggle ("Context"), closed by default with a line saying what is set, so
the notes stay in view at 1366×768; open or closed is remembered for the session. Like every field
of the editor it only reads and writes the domain dataclass (`apply`, `show`); the team, the
assessment's places and organisations and its sample names are read on the vault worker, and a
new place is added there through `vault.places.add`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QPoint, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp import domain
from fieldapp.places import PlaceRow
from fieldapp.places_content import PLACE_TYPES
from fieldapp.team import TeamMember

from ui.errors import message_for
from ui.message_lines import message_line
from ui.operations import QueryOp, VaultOp
from ui.state import AppState
from ui.wheel_safe import WheelSafeComboBox

KEY_ROLE = Qt.ItemDataRole.UserRole  # a team member's name, or a place's id
FIELD_ROLE = Qt.ItemDataRole.UserRole + 1  # "places" or "organisations": where a checked place goes
_LIST_ROWS = 4  # a list shows this many rows before it scrolls: the group stays compact
ADD_PLACE = "Add a place or organisation…"


@dataclasses.dataclass(frozen=True)
class AssessmentLists:
    """What the pickers offer: the team with roles, every place and organisation (retired ones too,
    as a record may name one), and the names of the case samples already used."""

    members: tuple[TeamMember, ...]
    places: tuple[PlaceRow, ...]
    samples: tuple[str, ...]


def load_lists(state: AppState, assessment_id: str, *, with_samples: bool) -> QueryOp[AssessmentLists]:
    def read(vault: Any) -> AssessmentLists:
        members = vault.assessments.get(assessment_id).members
        places = vault.places.list(assessment_id, include_retired=True)
        samples = tuple(s.sample for s in vault.case_samples(assessment_id)) if with_samples else ()
        return AssessmentLists(members, places, samples)

    return QueryOp(state, read)


class ReasonsBox(QWidget):
    """How a conversation was held, and why face to face: the reasons show only when face to face is chosen."""

    edited = Signal()

    def __init__(self, label: str, mode: str, reasons: Iterable[str]) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.mode = WheelSafeComboBox()
        self.mode.setAccessibleName(label)
        for key, text in domain.MODES.items():
            self.mode.addItem(text, key)
        layout.addWidget(self.mode)
        self.reasons_area = QWidget()
        inner = QVBoxLayout(self.reasons_area)
        inner.setContentsMargins(12, 0, 0, 0)
        inner.addWidget(QLabel("Why face to face:"))
        self.reasons: dict[str, QCheckBox] = {}
        for key, text in domain.FACE_TO_FACE_REASONS.items():
            box = QCheckBox(text)
            box.setAccessibleName(f"Why face to face: {text}")
            box.toggled.connect(lambda _on: self.edited.emit())
            inner.addWidget(box)
            self.reasons[key] = box
        layout.addWidget(self.reasons_area)
        self.show_value(mode, reasons)
        self.mode.currentIndexChanged.connect(self._mode_changed)

    def _mode_changed(self, _index: int) -> None:
        self.reasons_area.setVisible(self.value()[0] == "face_to_face")
        self.edited.emit()

    def value(self) -> tuple[str, tuple[str, ...]]:
        """The mode and, when face to face, the reasons ticked (the core refuses reasons otherwise;
        the ticks stay on screen, so choosing face to face again brings them back)."""
        mode = str(self.mode.currentData() or "")
        if mode != "face_to_face":
            return mode, ()
        return mode, tuple(key for key, box in self.reasons.items() if box.isChecked())

    def show_value(self, mode: str, reasons: Iterable[str], *, clear_hidden: bool = False) -> None:
        """Show a mode and its reasons; ticks hidden under another mode stay unless clear_hidden."""
        wanted = set(reasons)
        with QSignalBlocker(self.mode):
            self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))
        for key, box in self.reasons.items():
            if mode == "face_to_face" or wanted or clear_hidden:
                with QSignalBlocker(box):
                    box.setChecked(key in wanted)
        self.reasons_area.setVisible(mode == "face_to_face")


class ContextFields(QWidget):
    """The Context group of one record's form."""

    edited = Signal()  # () something changed: the editor's autosave clock starts
    left = Signal()  # () a text field was left: the editor saves at once
    message = Signal(str)  # words for the editor's status line (a place not added, and why)
    opened_in_session = False  # open or closed, as last left, for every record until the app closes

    def __init__(self, state: AppState, content: domain.Content, assessment_id: str) -> None:
        super().__init__()
        self._state = state
        self._kind = content.kind
        self._assessment_id = assessment_id
        self._content = content  # what the pickers stand in for until the lists arrive
        self._lists: AssessmentLists | None = None
        self._organisation_line: QLineEdit | None = None  # a document's "Organisation it came from"
        self.setAccessibleName("Context of the evidence")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.toggle = QToolButton()
        self.toggle.setText("Conte&xt")
        self.toggle.setAccessibleName("Show or hide the context")
        self.toggle.setToolTip("Where the evidence came from, how it was held, who took part, places and organisations")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        top.addWidget(self.toggle)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Context in short")
        top.addWidget(self.summary, 1)
        top.addStretch(0)  # the toggle stays at the left while the summary is hidden (the group open)
        outer.addLayout(top)
        self.body = QWidget()
        outer.addWidget(self.body)
        self._build_body(content)
        self.toggle.toggled.connect(self._toggled)
        self.toggle.setChecked(ContextFields.opened_in_session)
        self._toggled(ContextFields.opened_in_session)
        # Opened by hand (Alt+X, a click), it is shown: at 1366×768 it opens below the editor's edge.
        self.toggle.toggled.connect(lambda opened: opened and QTimer.singleShot(0, self._bring_into_view))
        self.show_content(content)
        state.signals.operation_did_execute.connect(self._on_vault_changed)
        self.reload()

    # -- building -----------------------------------------------------------------------------

    def _build_body(self, content: domain.Content) -> None:
        form = QFormLayout(self.body)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setContentsMargins(12, 0, 0, 0)
        pair = QGridLayout()
        pair.setContentsMargins(0, 0, 0, 0)
        self.source: QComboBox | None = None
        if not isinstance(content, domain.Document):  # a document's form asks held or requested itself
            self.source = self._combo("Where it came from", domain.SOURCES)
            pair.addWidget(QLabel("Where it came from"), 0, 0)
            pair.addWidget(self.source, 1, 0)
        self.site = self._combo("On or off site", domain.SITES)
        column = 1 if self.source is not None else 0  # alone, at the left: no gap where the source would be
        pair.addWidget(QLabel("On or off site"), 0, column)
        pair.addWidget(self.site, 1, column)
        pair.setColumnStretch(0, 1)
        pair.setColumnStretch(1, 1)
        form.addRow(pair)
        self.how: ReasonsBox | None = None
        if isinstance(content, (domain.Interview, domain.FocusGroup)):
            self.how = ReasonsBox("How it was held", content.mode, content.face_to_face_reasons)
            self.how.edited.connect(self._changed)
            form.addRow("How it was held", self.how)
        self.sample: QLineEdit | None = None
        self.stage: QComboBox | None = None
        if isinstance(content, domain.CaseTracking):
            self.sample = QLineEdit(content.sample)
            self.sample.setAccessibleName("Sample")
            self.sample.setPlaceholderText("The case-tracking sample's name")
            self.sample.textEdited.connect(lambda _t: self._changed())
            self.sample.editingFinished.connect(self.left.emit)
            self.stage = self._combo("Stage in the sample", domain.SAMPLE_STAGES)
            row = QGridLayout()
            row.addWidget(QLabel("Sample"), 0, 0)
            row.addWidget(self.sample, 1, 0)
            row.addWidget(QLabel("Stage in the sample"), 0, 1)
            row.addWidget(self.stage, 1, 1)
            row.setColumnStretch(0, 1)
            row.setColumnStretch(1, 1)
            form.addRow(row)
        self.team = self._checklist("Team members who took part")
        form.addRow("Who from the team took part", self.team)
        self.places = self._checklist("Places and organisations")
        form.addRow("Places and organisations", self.places)
        self.add_place = QPushButton(ADD_PLACE)
        self.add_place.setAccessibleName("Add a place or organisation to the assessment's list")
        self.add_place.clicked.connect(self.ask_new_place)
        form.addRow(self.add_place)

    def _combo(self, label: str, options: dict[str, str]) -> QComboBox:
        combo = WheelSafeComboBox()
        combo.setAccessibleName(label)
        for key, text in options.items():
            combo.addItem(text, key)
        combo.currentIndexChanged.connect(lambda _i: self._changed())
        return combo

    def _checklist(self, label: str) -> QListWidget:
        """A list of names to tick (Space ticks the highlighted one), a few rows high."""
        widget = QListWidget()
        widget.setAccessibleName(label)
        widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget.setTextElideMode(Qt.TextElideMode.ElideRight)
        widget.itemChanged.connect(lambda _item: self._changed())
        return widget

    def _toggled(self, opened: bool) -> None:
        ContextFields.opened_in_session = opened
        self.body.setVisible(opened)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        self.summary.setVisible(not opened)

    def open(self) -> None:
        self.toggle.setChecked(True)

    def _bring_into_view(self) -> None:
        """Scroll the editor so the opened group shows from its heading down, as much as fits."""
        if not isValid(self):
            return
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is None or area.widget() is None:
            return
        top = self.mapTo(area.widget(), QPoint(0, 0)).y()
        bar = area.verticalScrollBar()
        visible = area.viewport().height()
        if top < bar.value() or top + self.height() > bar.value() + visible:
            bar.setValue(min(top, top + self.height() - visible))

    # -- the assessment's lists ----------------------------------------------------------------

    def reload(self) -> None:
        """Read the team, places and sample names again (at first, and after they change)."""
        load_lists(self._state, self._assessment_id, with_samples=self.sample is not None).success(self._on_lists).failure(
            lambda _exc: None  # a locked vault: the form goes with it; the content's own values stay
        ).run_in_background()

    def _on_vault_changed(self, changes: Any, _initiator: object) -> None:
        if not isValid(self):
            return
        if self._assessment_id in changes.judgements or self._assessment_id in changes.assessments:
            self.reload()

    def _on_lists(self, lists: AssessmentLists) -> None:
        if not isValid(self):
            return  # another record's form by now
        current = self.apply(self._content)  # what is ticked now, kept through the new lists
        self._lists = lists
        if self.sample is not None:
            completer = QCompleter(list(lists.samples), self.sample)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.sample.setCompleter(completer)
        self._fill(current)
        self._complete_organisations()

    def complete_organisations(self, line: QLineEdit) -> None:
        """Offer the assessment's organisations as one types where a document came from (free text all the same)."""
        self._organisation_line = line
        self._complete_organisations()

    def _complete_organisations(self) -> None:
        if self._organisation_line is None or self._lists is None:
            return
        names = sorted({p.name for p in self._lists.places if p.is_organisation and not p.retired}, key=str.casefold)
        completer = QCompleter(names, self._organisation_line)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._organisation_line.setCompleter(completer)

    def _fill(self, content: domain.Content) -> None:
        lists = self._lists or AssessmentLists((), (), ())
        with QSignalBlocker(self.team):
            self.team.clear()
            known = {m.name for m in lists.members}
            for member in lists.members:
                self._tick_item(self.team, f"{member.name} ({member.role_label})", member.name, "team", member.name in content.team)
            for name in content.team:
                if name not in known:  # left the team since, or not synced here: still named
                    self._tick_item(self.team, f"{name} (not in the team now)", name, "team", True)
        with QSignalBlocker(self.places):
            self.places.clear()
            chosen = {*content.places, *content.organisations}
            by_id = {p.id: p for p in lists.places}
            for place in lists.places:
                if place.retired and place.id not in chosen:
                    continue  # retired: not offered for new evidence
                field = "places" if place.is_place else "organisations"
                words = f"{place.name} ({place.type_label}{', retired' if place.retired else ''})"
                self._tick_item(self.places, words, place.id, field, place.id in chosen)
            for field in ("places", "organisations"):
                for place_id in getattr(content, field):
                    if place_id not in by_id:
                        self._tick_item(self.places, "One not on this laptop's list yet (it arrives with a sync)", place_id, field, True)
        if not lists.members and not content.team:
            self._note_item(self.team, "The assessment has no team yet (File → Assessment details)")
        if not self.places.count():
            self._note_item(self.places, "None listed yet: add one below")
        for widget in (self.team, self.places):
            rows = max(1, min(widget.count(), _LIST_ROWS))
            widget.setFixedHeight(widget.sizeHintForRow(0) * rows + 2 * widget.frameWidth() + 2)
        self._summarise(content)

    @staticmethod
    def _note_item(widget: QListWidget, words: str) -> None:
        """A line in an empty list saying why it is empty (not a choice: nothing to tick)."""
        with QSignalBlocker(widget):
            item = QListWidgetItem(words)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            widget.addItem(item)

    @staticmethod
    def _tick_item(widget: QListWidget, words: str, key: str, field: str, checked: bool) -> None:
        item = QListWidgetItem(words)
        item.setData(KEY_ROLE, key)
        item.setData(FIELD_ROLE, field)
        item.setToolTip(words)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        widget.addItem(item)

    # -- adding a place ------------------------------------------------------------------------

    def ask_new_place(self) -> None:
        dialog = NewPlaceDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_new_place(dialog.name.text(), str(dialog.type.currentData()))

    def add_new_place(self, name: str, type_key: str) -> None:
        """Add it to the assessment's list (on the vault worker) and tick it for this record."""
        assessment_id = self._assessment_id
        VaultOp(self._state, lambda vault: vault.places.add(assessment_id, name, type_key), initiator=self).success(
            lambda done: self._on_place_added(done.value)
        ).failure(lambda exc: self.message.emit(f"Not added: {message_for(exc)}")).run_in_background()

    def _on_place_added(self, place: PlaceRow) -> None:
        if not isValid(self):
            return
        current = self.apply(self._content)
        field = "places" if place.is_place else "organisations"
        current = dataclasses.replace(current, **{field: (*getattr(current, field), place.id)})  # type: ignore[misc]
        lists = self._lists or AssessmentLists((), (), ())
        self._lists = dataclasses.replace(lists, places=(*lists.places, place))
        self._fill(current)
        self._complete_organisations()
        self._changed()
        self.message.emit(f"Added to the assessment's list, and ticked for this record: {place.type_label}.")

    # -- to and from the record ----------------------------------------------------------------

    def _changed(self) -> None:
        self._summarise(self.apply(self._content))
        self.edited.emit()

    def apply(self, content: domain.Content) -> domain.Content:
        """content with the context as the group shows it (until the lists arrive, content's own)."""
        changes: dict[str, Any] = {"site": self.site.currentData()}
        if self.source is not None:
            changes["source"] = self.source.currentData()
        if self._lists is not None:
            changes["team"] = _ticked(self.team, "team")
            changes["places"] = _ticked(self.places, "places")
            changes["organisations"] = _ticked(self.places, "organisations")
        if self.how is not None:
            changes["mode"], changes["face_to_face_reasons"] = self.how.value()
        if self.sample is not None and self.stage is not None:
            changes["sample"] = self.sample.text()
            changes["sample_stage"] = self.stage.currentData()
        return dataclasses.replace(content, **changes)  # type: ignore[type-var]

    def show_content(self, content: domain.Content) -> None:
        """Show content's context (a record opened, or its draft changed by a sync)."""
        self._content = content
        for combo, value in ((self.source, content.source), (self.site, content.site)):
            if combo is not None:
                with QSignalBlocker(combo):
                    combo.setCurrentIndex(max(0, combo.findData(value)))
        if self.how is not None and isinstance(content, (domain.Interview, domain.FocusGroup)):
            with QSignalBlocker(self.how):
                self.how.show_value(content.mode, content.face_to_face_reasons)
        if self.sample is not None and self.stage is not None and isinstance(content, domain.CaseTracking):
            if self.sample.text() != content.sample:
                with QSignalBlocker(self.sample):
                    self.sample.setText(content.sample)
            with QSignalBlocker(self.stage):
                self.stage.setCurrentIndex(max(0, self.stage.findData(content.sample_stage)))
        self._fill(content)

    def _summarise(self, content: domain.Content) -> None:
        """The closed group's line: what is set, in a few words."""
        parts = [domain.SOURCES[content.source]] if self.source is not None else []
        if content.site:
            parts.append(domain.SITES[content.site])
        mode = getattr(content, "mode", "")
        if mode:
            parts.append(domain.MODES[mode])
        if isinstance(content, domain.CaseTracking) and content.sample.strip():
            stage = f", {domain.SAMPLE_STAGES[content.sample_stage].lower()}" if content.sample_stage else ""
            parts.append(f"sample {content.sample.strip()}{stage}")
        if content.team:
            parts.append(_count(len(content.team), "team member"))
        chosen = len(content.places) + len(content.organisations)
        if chosen:
            parts.append(_count(chosen, "place or organisation", "places or organisations"))
        self.summary.setText(" · ".join(parts) if parts else "Nothing said yet")


def _ticked(widget: QListWidget, field: str) -> tuple[str, ...]:
    return tuple(
        str(item.data(KEY_ROLE))
        for item in (widget.item(i) for i in range(widget.count()))
        if item.checkState() == Qt.CheckState.Checked and item.data(FIELD_ROLE) == field
    )


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


class NewPlaceDialog(QDialog):
    """A place or organisation's name and what it is, to add to the assessment's list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a place or organisation")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setAccessibleName("Name")
        form.addRow("Name", self.name)
        self.type = QComboBox()
        self.type.setAccessibleName("What it is")
        for key, text in PLACE_TYPES.items():
            self.type.addItem(text, key)
        form.addRow("What it is", self.type)
        form.addRow(message_line("Added for the whole team: it syncs with the assessment."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class ContactHow(QWidget):
    """Under a case's timeline: how the highlighted contact was held and, face to face, why. It writes
    into the table's row, so the contact's mode saves, moves and undoes with the contact."""

    def __init__(self, table: Any) -> None:  # a ui.row_table.RowTable of domain.Contact
        super().__init__()
        self._table = table
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel("")
        self.heading.setAccessibleName("Which contact")
        layout.addWidget(self.heading)
        self.how = ReasonsBox("How the highlighted contact was held", "", ())
        self.how.edited.connect(self._write)
        layout.addWidget(self.how)
        self._row = -1
        table.view.selectionModel().currentChanged.connect(lambda _current, _previous: self.follow())
        for signal in (table.model.dataChanged, table.model.rowsInserted, table.model.rowsRemoved, table.model.rowsMoved, table.model.modelReset):
            signal.connect(lambda *_args: self.follow())
        self.follow()

    def follow(self) -> None:
        """Show the highlighted contact's mode (the first contact's while none is highlighted)."""
        rows = self._table.model.rows()
        current = self._table.view.currentIndex()
        row = current.row() if current.isValid() else (0 if rows else -1)
        switched = row != self._row
        self._row = row
        self.setEnabled(0 <= row < len(rows))
        if not 0 <= row < len(rows):
            self.heading.setText("How each contact was held: add a contact above first")
            return
        contact = rows[row]
        self.heading.setText(f"Contact {row + 1}{f' ({contact.service})' if contact.service else ''}: how it was held")
        self.how.show_value(contact.mode, contact.face_to_face_reasons, clear_hidden=switched)

    def _write(self) -> None:
        rows = self._table.model.rows()
        if not 0 <= self._row < len(rows):
            return
        mode, reasons = self.how.value()
        contact = rows[self._row]
        if (contact.mode, contact.face_to_face_reasons) != (mode, reasons):
            self._table.model.replace_row(self._row, dataclasses.replace(contact, mode=mode, face_to_face_reasons=reasons))
