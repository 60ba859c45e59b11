"""The record editor: the fields of each kind of record, autosaved half a second after an edit.

There is no Save button to forget. An edit is saved at most half a second later, even while typing
goes on; leaving the record (or the window) saves at once and cuts a revision. What is typed is
always saved: a date that does not read is kept as typed beside the draft (and said so next to
its field) while every other field saves; a draft that changed meanwhile (a sync, a quick note)
has the edit moved onto it by the core, never refused; a save that cannot land (a full disk)
leaves the words on screen and is sent again until one does. The widgets only read and write a domain
dataclass; every save is an op (ui/operations/records.py) on the vault worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFocusEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp import domain, records
from fieldapp import dates as core_dates
from fieldapp.dates import is_iso
from fieldapp.errors import KeptOnService, NotFound, StorageError, UnreadableDate, ValidationError
from fieldapp.links import passage_of
from fieldapp.pseudonyms import real_name_warning
from fieldapp.rows import EditSaved, LinkRow, Passage, RecordRow

from ui.concerns.ask import AskLine
from ui.icons import icon
from ui.message_lines import message_line
from ui.attachments_panel import AttachmentsPanel
from ui.context_fields import ContactHow, ContextFields
from ui.dates import read_when, when_text
from ui.history_panel import HistoryPanel
from ui.errors import message_for
from ui.operations import concerns as concern_ops
from ui.operations import records as record_ops
from ui.prompts_panel import PromptsPanel
from ui.record_tables import attendees_table, attendees_to_save, contacts_table, contacts_to_save, groups_table, groups_to_save
from ui.row_table import RowTable
from ui.state import AppState
from ui.tagging import TagPanel
from ui.theme import colors
from ui.wheel_safe import WheelSafeComboBox
from ui.when_edit import WhenEdit

# Half a second: what a crash or a kill can take of someone typing. A save costs the vault worker
# about a millisecond (bench vault: save_p95_ms), so saving this often never slows typing.
AUTOSAVE_MS = 500
# A save that did not land for want of disk is tried again this often, whether or not more is typed.
RETRY_MS = 3000
# The form's date fields and where each sits in the record (the paths of domain.when_paths).
_WHEN_PATHS = {"held_at": "held_at", "consent_when": "consent.recorded_at", "dated": "dated"}

@dataclass
class FormReading:
    """The form as the vault will keep it: content of readable values only, the text of date
    fields that do not read (by path), and what is wrong with which field, in words."""

    content: domain.Content
    as_typed: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # form field name → message


class RecordEditor(QWidget):
    saved = Signal(object)  # the RecordRow as saved
    concern_requested = Signal(object)  # raise a concern from this record: a LinkRow asked about, or None (the selection, if any)

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._record: RecordRow | None = None
        # What the vault was last told the form holds (or what the form was loaded with): the
        # base a save's edit is measured from, so the core can move it onto a newer draft.
        self._sent: domain.Content | None = None
        self._sent_typed: dict[str, str] = {}
        self._chain = record_ops.SaveChain()  # this record's saves as they land (see SaveChain)
        # The last save did not land: the form is sent again even if unchanged since, until one does.
        self._failed = False
        self._fields: dict[str, Any] = {}
        self._marks: list[_Mark] = []  # tagged passages of the notes, as shown
        self._field_notes: dict[str, QLabel] = {}  # what is wrong with a field, shown under it
        self._shown_typed: Mapping[str, str] = {}  # date text as typed, while the form is built
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        self._retry = QTimer(self, singleShot=True, interval=RETRY_MS)
        self._retry.timeout.connect(self.save_now)
        self._start_when_idle = _StartWhenIdle(self)
        self._layout = QVBoxLayout(self)
        self._heading = QLabel("Select or create a record.")
        self._heading.setAccessibleName("Record heading")
        top = QHBoxLayout()
        top.addWidget(self._heading, 1)
        # Issue 15: from any record, and from the words selected in its notes (the passage is linked).
        self.concern_button = QPushButton(icon("flag"), "Raise a concern…")
        self.concern_button.setAccessibleName("Raise a concern from this record or the selected text")
        self.concern_button.setToolTip("Safeguarding, risk of harm, poor experience of care: sent to the office first (Ctrl+Shift+R)")
        self.concern_button.clicked.connect(lambda: self.concern_requested.emit(None))
        self.concern_button.hide()
        top.addWidget(self.concern_button)
        self._layout.addLayout(top)
        self._form_host = QWidget()
        self._layout.addWidget(self._form_host)
        self.status = message_line("Save status")
        self._layout.addWidget(self.status)
        self.ask = AskLine()
        self.ask.raise_requested.connect(self.concern_requested.emit)
        self._layout.addWidget(self.ask)
        self.tag_panel = TagPanel(state, self.selected_passage)
        self.tag_panel.tagged.connect(self._on_tagged)
        self.tag_panel.set_record(None)
        self._layout.addWidget(self.tag_panel)
        self.attachments = AttachmentsPanel(state)
        self.attachments.changed.connect(self._on_tagged)
        self.attachments.set_record(None)
        self._layout.addWidget(self.attachments)
        self.history = HistoryPanel(state)
        self.history.restored.connect(self._on_restored)
        self.history.set_record(None)
        self._layout.addWidget(self.history)
        self.quick_note: QLineEdit | None = None
        self.context: ContextFields | None = None  # the form's Context group (ui/context_fields.py)
        self.prompts: PromptsPanel | None = None  # an interview's or focus group's prompts
        state.signals.operation_did_execute.connect(self.on_vault_changed)

    @property
    def record_id(self) -> str | None:
        return self._record.id if self._record else None

    @property
    def record(self) -> RecordRow | None:
        """The record open, as last saved (its tags as saved)."""
        return self._record

    def show_kept(self, words: str) -> None:
        """A record kept on the service (retention, issue 16): no form to type into, only words
        saying that it is being fetched, or why it cannot be now."""
        self.show_record(None)
        self._heading.setText(words)

    def show_record(self, record: RecordRow | None, *, scroll_to_top: bool = True) -> None:
        """Show another record, from its top; the one being edited is saved and a revision cut first.
        The record already open keeps its form and its scroll position: a second request to open it
        (two clicks, a list refreshed under the cursor, a sync) must not build the form again under
        someone typing into it."""
        if record is not None and self._record is not None and record.id == self._record.id:
            for panel in (self.tag_panel, self.attachments, self.history):
                panel.set_record(record)  # its tags, files and history as they are now; the form stays
            if self.prompts is not None:
                self.prompts.set_record(record)
            return
        self.leave_record()
        self._record = record
        self._sent = record.content if record else None
        self._sent_typed = dict(record.as_typed) if record else {}
        self._chain, self._failed = record_ops.SaveChain(), False
        self._retry.stop()
        self._rebuild(self._sent, self._sent_typed)
        self.status.setText("")  # messages about the record left behind go with it
        self.ask.clear()
        self.concern_button.setVisible(record is not None)
        self.tag_panel.set_record(record)
        self.attachments.set_record(record)
        self.history.set_record(record)
        if record is not None:
            self._show_problems(self.read_form().problems)
            self._mark_passages(record)
        if scroll_to_top:
            self._scroll_to_top()

    def _scroll_to_top(self) -> None:
        """Another record opens at its heading and first field, not at the place the last one was
        scrolled to (a click meant for its notes then landed on another field); with no record, the
        top says what to do, not an empty panel's middle."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None:
            area.verticalScrollBar().setValue(0)

    def open_new(self, record: RecordRow) -> None:
        """A record just made: every statement in view, the cursor in its first field."""
        self.show_record(record)
        self.tag_panel.clear_filter()
        self.focus_first_field()

    def _mark_passages(self, record: RecordRow, hints: Mapping[str, int] | None = None) -> None:
        """Tagged passages of the notes shown with a background, so one sees what was tagged.
        Each passage is looked for where its mark is now (marks are cursors into the document,
        so they move as the text is edited), else where `hints` or the tag says it was, else
        wherever its words are nearest that place; a passage whose words were edited away has no
        mark (the tag keeps its words in the tag list)."""
        notes = self._fields.get("notes")
        if not isinstance(notes, QPlainTextEdit):
            return
        text = notes.toPlainText()
        hints = dict(hints) if hints is not None else self._mark_places(text)
        marks = []
        for link in record.links:
            passage = link.passage
            if passage is None or passage.field != "notes" or not passage.text:
                continue
            start = _find_near(text, passage.text, hints.get(link.id, passage.start))
            if start is not None:
                marks.append(_Mark(link.id, passage.text, _selection(notes, text, start, len(passage.text))))
        self._marks = marks
        self._show_marks(notes)

    def _mark_places(self, text: str) -> dict[str, int]:
        """Where each mark starts now (in code points), by link id."""
        return {mark.link_id: _code_points(text, mark.cursor.selectionStart()) for mark in self._marks}

    def _follow_marks(self) -> None:
        """While typing: a mark whose words no longer match (typing at its end widens a cursor's
        selection; an edit inside it changes its words) is found again nearest where it was."""
        notes = self._fields.get("notes")
        if not isinstance(notes, QPlainTextEdit) or not self._marks:
            return
        text, kept = notes.toPlainText(), []
        for mark in self._marks:
            if _selected(mark.cursor) != mark.text:
                start = _find_near(text, mark.text, _code_points(text, mark.cursor.selectionStart()))
                if start is None:
                    continue  # edited away; a save marks it again if its words come back
                mark = _Mark(mark.link_id, mark.text, _selection(notes, text, start, len(mark.text)))
            kept.append(mark)
        self._marks = kept
        self._show_marks(notes)

    def _show_marks(self, notes: QPlainTextEdit) -> None:
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(colors().passage))
        selections = []
        for mark in self._marks:
            selection = QTextEdit.ExtraSelection()
            selection.cursor, selection.format = mark.cursor, fmt
            selections.append(selection)
        notes.setExtraSelections(selections)

    def focus_first_field(self) -> None:
        """Put the cursor in the form's first field (the title), ready to type."""
        first = next((w for w in self._fields.values() if isinstance(w, QLineEdit)), None)
        if first is not None:
            first.setFocus()

    def leave_record(self) -> None:
        if self._record is None:
            return
        record_id = self._record.id
        self.save_now()
        record_ops.cut_revision(self._state, record_id, initiator=self).run_in_background()

    # -- building the form ------------------------------------------------------------------------

    def _rebuild(self, content: domain.Content | None, as_typed: Mapping[str, str]) -> None:
        """The form for content, its date fields showing as_typed where a date did not read."""
        # Hidden at once, not only deleted later: until Qt deletes it, Tab could reach a field of the
        # form being replaced and the words typed there would go with it (seen on a loaded machine).
        self._form_host.hide()
        self._form_host.deleteLater()
        self._form_host = QWidget()
        self._layout.insertWidget(1, self._form_host)
        self._fields, self._field_notes = {}, {}
        self._marks = []  # the old form's marks point into a document that goes with it
        self._shown_typed = as_typed
        self.quick_note = None
        self.context, self.prompts = None, None
        if content is None:
            self._heading.setText("Select or create a record.")
            return
        self._heading.setText(domain.KIND_LABELS[content.kind])
        form = QFormLayout(self._form_host)
        # Labels above their fields: the editor column stays readable at 1366×768.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        builders: dict[str, Callable[[QFormLayout, Any], None]] = {
            "observation": self._observation_form,
            "interview": self._interview_form,
            "case_tracking": self._case_form,
            "focus_group": self._focus_group_form,
            "document": self._document_form,
        }
        builders[content.kind](form, content)
        # Shown now, not at the layout's next turn: Tab from the first field must find the rest.
        self._form_host.show()

    def _line(self, form: QFormLayout, name: str, label: str, value: str) -> QLineEdit:
        widget = QLineEdit(value)
        widget.setAccessibleName(label)
        return self._add(form, name, label, widget)

    def _when(self, form: QFormLayout, name: str, label: str, value: str | None) -> WhenEdit:
        typed = self._shown_typed.get(_WHEN_PATHS[name])
        widget = WhenEdit(typed if typed is not None else when_text(value), label)
        return self._add(form, name, label, widget)

    def _add(self, form: QFormLayout, name: str, label: str, widget: QLineEdit) -> Any:
        # A line loaded with text has its cursor at the end, so a long value shows its last
        # words; a field one is not typing in reads from its start (see _StartWhenIdle).
        widget.setCursorPosition(0)
        widget.installEventFilter(self._start_when_idle)
        widget.textEdited.connect(self._edited)
        widget.editingFinished.connect(self._left_field)
        form.addRow(label, widget)
        self._fields[name] = widget
        self._note_row(form, name, label)
        return widget

    def _note_row(self, form: QFormLayout, name: str, label: str) -> None:
        """A line under a field that says, in words, what needs attention there (hidden until then)."""
        note = message_line(f"{label}: needs attention")
        note.setStyleSheet(f"color: {colors().flag};")
        note.hide()
        form.addRow(note)
        self._field_notes[name] = note

    def _text(self, form: QFormLayout, name: str, label: str, value: str) -> QPlainTextEdit:
        widget = QPlainTextEdit(value)
        widget.setAccessibleName(label)
        widget.setTabChangesFocus(True)
        widget.textChanged.connect(self._edited)
        if name == "notes":
            widget.textChanged.connect(self._follow_marks)
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            widget.customContextMenuRequested.connect(lambda at, w=widget: self._notes_menu(w, at))
        form.addRow(label, widget)
        self._fields[name] = widget
        self._note_row(form, name, label)
        return widget

    def _table(self, form: QFormLayout, name: str, label: str, table: RowTable) -> RowTable:
        table.edited.connect(self._edited)
        table.left_cell.connect(self._left_field)
        # Its note names rows by the numbers the table shows: it follows them as rows go, come
        # back or move, rather than waiting for the next save.
        model = table.model
        for signal in (model.rowsInserted, model.rowsRemoved, model.rowsMoved, model.dataChanged):
            signal.connect(lambda *_args, name=name: self._refresh_note(name))
        form.addRow(label, table)
        self._fields[name] = table
        self._note_row(form, name, label)
        return table

    def _choice(self, form: QFormLayout, name: str, label: str, options: dict[str, str], value: str | None) -> QComboBox:
        widget = WheelSafeComboBox()
        widget.setAccessibleName(label)
        for key, text in options.items():
            widget.addItem(text, key)
        widget.setCurrentIndex(max(0, widget.findData(value)))
        widget.currentIndexChanged.connect(self._edited)
        form.addRow(label, widget)
        self._fields[name] = widget
        return widget

    def _observation_form(self, form: QFormLayout, c: domain.Observation) -> None:
        self._line(form, "title", "Title", c.title)
        self._choice(form, "meeting_type", "Meeting type", domain.MEETING_TYPES, c.meeting_type)
        self._when(form, "held_at", "When", c.held_at)
        self._line(form, "location", "Where", c.location)
        self._table(form, "attendees", "Attendees by role", attendees_table(c.attendees))
        self._text(form, "notes", "Notes", c.notes)
        self._quick_note_row(form)
        self._context_row(form, c)

    def _quick_note_row(self, form: QFormLayout) -> None:
        """A line under the notes: Enter adds it with the time; until then it is kept as typed."""
        self.quick_note = QLineEdit(self._shown_typed.get(domain.QUICK_NOTE, ""))
        self.quick_note.setPlaceholderText("Quick note: type and press Enter to add it with the time")
        self.quick_note.setAccessibleName("Quick note")
        self.quick_note.returnPressed.connect(self._add_quick_note)
        self.quick_note.textEdited.connect(self._edited)
        form.addRow("Quick note", self.quick_note)

    def _interview_form(self, form: QFormLayout, c: domain.Interview) -> None:
        self._line(form, "title", "Title", c.title)
        self._choice(form, "role", "Interviewee", domain.INTERVIEWEE_ROLES, c.role)
        self._line(form, "pseudonym", "Pseudonym (never a real name)", c.pseudonym)
        given = QCheckBox("Consent given")
        given.setAccessibleName("Consent given")
        given.setChecked(c.consent.given)
        given.toggled.connect(self._edited)
        form.addRow("Consent", given)
        self._fields["consent_given"] = given
        self._choice(form, "consent_method", "Consent: how", {"": "—", **domain.CONSENT_METHODS}, c.consent.method)
        self._when(form, "consent_when", "Consent: when", c.consent.recorded_at)
        self._when(form, "held_at", "When", c.held_at)
        self._line(form, "location", "Where", c.location)
        self._prompts_row(form)
        self._text(form, "notes", "Notes", c.notes)
        self._quick_note_row(form)
        self._context_row(form, c)

    def _case_form(self, form: QFormLayout, c: domain.CaseTracking) -> None:
        self._line(form, "title", "Title", c.title)
        self._line(form, "pseudonym", "Person (pseudonym)", c.pseudonym)
        self._text(form, "summary", "Summary", c.summary)
        typed = self._shown_typed
        contacts = [dataclasses.replace(x, date=typed.get(f"contacts.{x.id}.date", x.date)) for x in c.contacts]
        table = self._table(form, "contacts", "Timeline of contacts (Alt+Up / Alt+Down to reorder)", contacts_table(contacts))
        how = ContactHow(table)
        form.addRow(how)
        self._text(form, "notes", "Notes", c.notes)
        self._quick_note_row(form)
        # Shown under its timeline, but reached by Tab after the quick note: Tab from the timeline
        # goes on to the notes, as inspectors type.
        assert self.quick_note is not None
        after: QWidget = self.quick_note
        for widget in (how.how.mode, *how.how.reasons.values()):
            QWidget.setTabOrder(after, widget)
            after = widget
        self._context_row(form, c)

    def _focus_group_form(self, form: QFormLayout, c: domain.FocusGroup) -> None:
        self._line(form, "title", "Title", c.title)
        self._when(form, "held_at", "When", c.held_at)
        self._table(form, "groups_represented", "Groups represented", groups_table(c.groups_represented))
        self._choice(form, "role", "Mainly", {"": "—", **domain.INTERVIEWEE_ROLES}, c.role or "")
        spin = QSpinBox()
        spin.setRange(0, 10_000)
        spin.setValue(c.participants)
        spin.setAccessibleName("Number taking part")
        spin.valueChanged.connect(self._edited)
        form.addRow("Number taking part", spin)
        self._fields["participants"] = spin
        self._line(form, "facilitator", "Facilitator", c.facilitator)
        self._line(form, "location", "Where", c.location)
        self._prompts_row(form)
        self._text(form, "notes", "Notes", c.notes)
        self._quick_note_row(form)
        self._context_row(form, c)

    def _document_form(self, form: QFormLayout, c: domain.Document) -> None:
        self._line(form, "title", "Title", c.title)
        self._choice(form, "document_type", "Type of document or data", domain.DOCUMENT_TYPES, c.document_type)
        self._choice(form, "source", "Held or requested", {k: domain.SOURCES[k] for k in ("held", "requested", "collected")}, c.source)
        organisation = self._line(form, "source_organisation", "Organisation it came from", c.source_organisation)
        organisation.setPlaceholderText("As written on it (the assessment's organisations are offered as you type)")
        dated = self._when(form, "dated", "Dated (the document's own date)", c.dated)
        dated.setPlaceholderText("e.g. 01/09/2026 or 1 Sep 2026")
        dated.editingFinished.connect(lambda: _show_day_only(dated))  # after WhenEdit's own tidying
        self._line(form, "reference", "Where to find it (a link, a file reference)", c.reference)
        summary = self._text(form, "summary", "Summary", c.summary)
        summary.setMaximumHeight(summary.fontMetrics().lineSpacing() * 4 + 12)  # a few lines: the notes stay in view
        self._text(form, "notes", "Notes", c.notes)
        self._quick_note_row(form)
        self._context_row(form, c)
        assert self.context is not None
        self.context.complete_organisations(organisation)

    def _context_row(self, form: QFormLayout, content: domain.Content) -> None:
        """The Context group, under the quick note: closed to one line by default, so the notes stay in view,
        and after them in the Tab order, so Tab from the fields above still goes on to the notes."""
        assert self._record is not None
        self.context = ContextFields(self._state, content, self._record.assessment_id)
        self.context.edited.connect(self._edited)
        self.context.left.connect(self._left_field)
        self.context.message.connect(self.status.setText)
        form.addRow(self.context)

    def _prompts_row(self, form: QFormLayout) -> None:
        """Just above the notes, closed to one line by default."""
        assert self._record is not None
        self.prompts = PromptsPanel(self._record)
        form.addRow(self.prompts)

    def toggle_prompts(self) -> bool:
        """Open or close the prompts (View → Prompts); False when this record has none to show."""
        if self.prompts is None:
            return False
        self.prompts.flip()
        return True

    # -- reading the form back, saving ------------------------------------------------------------

    def _edited(self, *_args: object) -> None:
        # The first unsaved edit starts the clock and later ones do not push it back: someone
        # typing without a pause is still saved every half second.
        if not self._timer.isActive():
            self._timer.start()
        self.status.setText("Editing…")

    def _left_field(self) -> None:
        if self._timer.isActive():
            self.save_now()

    def read_form(self) -> FormReading:
        """The form as the vault will keep it. Never refuses: a field that cannot be kept as it
        is holds the vault's value in content, with its typed text (dates) and what is wrong."""
        assert self._sent is not None
        held = self._sent  # stands in for a field that cannot be kept as typed
        values: dict[str, Any] = {}
        reading = FormReading(held)
        for name, widget in self._fields.items():
            if isinstance(widget, WhenEdit):
                values[name] = self._read_when(name, widget.text(), reading)
            elif isinstance(widget, (QLineEdit, QPlainTextEdit)):
                text = widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
                values[name] = self._read_text(name, text, held, reading)
            elif isinstance(widget, QComboBox):
                values[name] = widget.currentData()
            elif isinstance(widget, QCheckBox):
                values[name] = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                values[name] = widget.value()
            elif isinstance(widget, RowTable):
                values[name] = widget.model.rows()
        reading.content = _content(held, values)
        if self.context is not None:
            reading.content = self.context.apply(reading.content)
        if self.quick_note is not None and self.quick_note.text().strip():
            reading.as_typed[domain.QUICK_NOTE] = self.quick_note.text()  # not added yet: kept as typed
        if isinstance(reading.content, domain.CaseTracking):
            reading.content = self._contacts_as_typed(reading.content, reading)
        return reading

    def _read_when(self, name: str, text: str, reading: FormReading) -> str | None:
        try:
            kept = read_when(text)
        except UnreadableDate as exc:
            reading.as_typed[_WHEN_PATHS[name]] = text
            reading.problems[name] = f"{exc} {_KEPT_AS_TYPED}"
            return None  # not the date it replaced: colleagues see no date rather than a stale one
        if name == "dated" and kept:
            kept = kept[:10]  # a document's date is a day: "today 2pm" keeps the day
        if (warning := _far_future(kept)) is not None:
            reading.problems[name] = warning  # saved all the same: the inspector may mean it
        return kept

    def _read_text(self, name: str, text: str, held: domain.Content, reading: FormReading) -> str:
        problem = domain.text_problem(text, f"{held.kind}.{name}")  # the core's words for it
        if problem is None:
            if name == "pseudonym" and (warning := real_name_warning(text)):
                reading.problems[name] = warning  # said before it syncs; saved all the same
            return text
        reading.problems[name] = problem
        return str(getattr(held, name, ""))

    def _contacts_as_typed(self, content: domain.CaseTracking, reading: FormReading) -> domain.CaseTracking:
        """A contact's date that does not read is kept as typed; the contact itself has no date until then."""
        contacts, unread = [], []
        table = self._fields.get("contacts")
        # Numbered as the table numbers its rows: blank rows are not saved, but they are shown.
        shown = {c.id: n for n, c in enumerate(table.model.rows(), start=1)} if isinstance(table, RowTable) else {}
        for place, contact in enumerate(content.contacts, start=1):
            number = shown.get(contact.id, place)
            if not is_iso(contact.date):
                reading.as_typed[f"contacts.{contact.id}.date"] = contact.date or ""
                # The core's own words, as the When field says them: "February 2026 has no day 31"
                # tells more than how to type a date that was typed that way already.
                unread.append(f"Contact {number}: {_unread_reason(contact.date or '')}")
                contact = dataclasses.replace(contact, date=None)
            contacts.append(contact)
        if unread:
            reading.problems["contacts"] = f"{' '.join(unread)} {_KEPT_AS_TYPED}"
        return dataclasses.replace(content, contacts=tuple(contacts))

    def _show_problems(self, problems: Mapping[str, str]) -> None:
        for name, note in self._field_notes.items():
            text = problems.get(name, "")
            note.setText(text)
            note.setVisible(bool(text))

    def _refresh_note(self, name: str) -> None:
        note = self._field_notes.get(name)
        if note is None or self._record is None or self._sent is None:
            return
        text = self.read_form().problems.get(name, "")
        note.setText(text)
        note.setVisible(bool(text))

    def save_now(self, *, force: bool = False) -> bool:
        """Save what the form holds (queued on the vault worker). Always saves what can be kept;
        False when part of it is kept only as typed (a date that does not read yet).

        force: save even if the form did not change, so the core moves it onto a draft that
        changed meanwhile (a sync arrived) and the form shows the result.
        """
        # What is typed into an open table cell counts as typed: commit it before reading the form.
        for widget in self._fields.values():
            if isinstance(widget, RowTable):
                widget.commit_open_editor()
        self._timer.stop()
        self._retry.stop()
        if self._record is None or self._sent is None:
            return True
        reading = self.read_form()
        self._show_problems(reading.problems)
        complete = not reading.as_typed
        unchanged = reading.content == self._sent and reading.as_typed == self._sent_typed
        if not force and not self._failed and unchanged:
            self.status.setText("Saved" if complete else "Saved, with a date to check")
            return complete
        record_id, base, content, typed = self._record.id, self._sent, reading.content, reading.as_typed
        self._sent, self._sent_typed = content, dict(typed)
        self.status.setText("Saving…")
        record_ops.save_edit(self._state, record_id, content, base=base, as_typed=typed, chain=self._chain, initiator=self).success(
            lambda done: self._on_saved(content, done.value, arrived=force)
        ).failure(lambda exc: self._on_save_failed(record_id, exc)).run_in_background()
        return complete

    def _on_save_failed(self, record_id: str, exc: BaseException) -> None:
        if not isValid(self) or self._record is None or record_id != self._record.id:
            self._state.signals.error.emit(f"A record you left was not saved: {message_for(exc)}")
            return
        if isinstance(exc, NotFound) and not isinstance(exc, KeptOnService):  # kept on the service: the words stay on screen
            self._record = None
            self.show_record(None)
            self.status.setText("That record was deleted on another device; its earlier versions are in its history.")
            return
        # Nothing of it landed: what is on screen is sent again at the next edit or on leaving, and
        # after a storage fault (a full disk) every few seconds too, typed more or not.
        self._failed = True
        if isinstance(exc, StorageError):
            self._retry.start()
            self.status.setText(f"Not saved yet: {message_for(exc)} What you typed stays here and is saved as soon as it can be.")
        else:
            self.status.setText(f"Not saved: {message_for(exc)}")

    def _on_saved(self, sent: domain.Content, saved: EditSaved, *, arrived: bool = False) -> None:
        """arrived: the save was made because a sync changed this record (tags and files too)."""
        if not isValid(self):
            return  # the window closed while the save ran (quitting): it is saved, there is nothing to show
        record = saved.record
        if self._record is None or record.id != self._record.id:
            return  # the inspector moved on; what was typed is saved all the same
        default_changed = _sets_default_category(self._record.content) != _sets_default_category(record.content)
        self._record = record
        self._failed = False
        self._retry.stop()
        if record.content != sent:
            self._adopt_draft(sent, record)
            self._announce(saved.kept_mine)
        elif not self._timer.isActive():
            # Edits made while this save ran are not in it: say so until their own save.
            self.status.setText("Saved" if not record.as_typed else "Saved, with a date to check")
        if arrived or record.content != sent:
            for panel in (self.tag_panel, self.attachments, self.history):
                panel.set_record(record)
        elif default_changed:
            self.tag_panel.set_record(record)  # "Default: Outcomes" now a metric was chosen, say
        self._mark_passages(record)  # the tags as saved, where their words are now
        self.saved.emit(record)

    def _adopt_draft(self, sent: domain.Content, record: RecordRow) -> None:
        """The vault's draft holds more than the form sent (another device's words, a quick note):
        show it, with anything typed since the save went out moved onto it."""
        now = self.read_form()
        if now.content == sent:
            shown = record.content
        else:
            shown, _kept = records.rebase(sent, now.content, record.content)
        self._sent, self._sent_typed = record.content, dict(record.as_typed)
        self._refresh_form(shown, now.as_typed)
        if shown != record.content or now.as_typed != record.as_typed:
            self._edited()  # what was typed meanwhile is saved at the next tick, onto this draft

    def _announce(self, kept: tuple[str, ...]) -> None:
        if kept:
            self.status.setText(
                f"Also changed on another device: {', '.join(domain.field_label(k) for k in kept)}. "
                "Your words were kept; theirs are in the history."
            )
        else:
            self.status.setText("Updated with changes from another device.")

    def selected_passage(self) -> Passage | None:
        """The text selected in the notes, as a passage of the content being saved."""
        notes = self._fields.get("notes")
        if not isinstance(notes, QPlainTextEdit) or not notes.textCursor().hasSelection():
            return None
        self.save_now()  # the passage must match what the vault holds; the save runs first
        cursor, text = notes.textCursor(), notes.toPlainText()
        start, end = (_code_points(text, p) for p in (cursor.selectionStart(), cursor.selectionEnd()))
        try:
            return passage_of(self.read_form().content, "notes", start, end)
        except ValidationError:
            return None

    def _on_restored(self, record: RecordRow) -> None:
        """Show the restored content without saving over it first (the form holds the old one); the
        same record, so the column stays where Restore was pressed."""
        self._record = None
        self.show_record(record, scroll_to_top=False)
        self.saved.emit(record)

    def _on_tagged(self, record: RecordRow) -> None:
        before = {link.id for link in self._record.links} if self._record is not None and self._record.id == record.id else set()
        self._record = record
        if self.prompts is not None:
            self.prompts.set_record(record)  # the prompts of the statements tagged now
        self._mark_passages(record)
        self.saved.emit(record)
        made = tuple(link for link in record.links if link.id not in before)
        if made:
            concern_ops.ask_about(self._state, record.id, made).success(lambda link: self._ask(record.id, link)).run_in_background()

    def _ask(self, record_id: str, link: LinkRow | None) -> None:
        """A People's experience tag just saved: ask, quietly, whether it tells of poor experience of care."""
        if link is not None and isValid(self) and self._record is not None and self._record.id == record_id:
            self.ask.ask(link)

    def _notes_menu(self, notes: QPlainTextEdit, at: Any) -> None:
        """The notes' right-click menu: the usual editing commands, and Raise a concern about the words selected."""
        menu = notes.createStandardContextMenu()
        menu.addSeparator()
        selected = notes.textCursor().hasSelection()
        action = menu.addAction(icon("flag"), "Raise a concern about the selected text…" if selected else "Raise a concern…")
        action.triggered.connect(lambda: self.concern_requested.emit(None))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(notes.mapToGlobal(at))

    def _add_quick_note(self) -> None:
        assert self.quick_note is not None and self._record is not None
        text = self.quick_note.text().strip()
        if not text:
            return
        record_id, moment = self._record.id, datetime.now()
        self.quick_note.clear()
        self.save_now()  # the note goes after what was typed above it (and is no longer kept as typed)
        sent = self._sent
        record_ops.add_note(self._state, record_id, text, at=moment, initiator=self).success(
            lambda done: self._on_note_added(sent, done.value)
        ).failure(lambda exc: self._on_note_not_added(record_id, text, exc)).run_in_background()

    def _on_note_not_added(self, record_id: str, text: str, exc: BaseException) -> None:
        """The note did not land (a full disk): it goes back into the quick note box, ahead of
        anything typed there since, kept as typed like any note not added yet."""
        if self.quick_note is None or self._record is None or record_id != self._record.id:
            self._state.signals.error.emit(f"A quick note was not added ('{text}'): {message_for(exc)}")
            return
        self.quick_note.setText(f"{text} {self.quick_note.text()}".strip())
        self._edited()
        self.status.setText(f"Note not added: {message_for(exc)} It is back in the quick note box; press Enter to add it.")

    def _on_note_added(self, sent: domain.Content | None, record: RecordRow) -> None:
        if self._record is None or record.id != self._record.id or sent is None:
            return
        self._record = record
        self._adopt_draft(sent, record)
        self.status.setText("Note added")
        self.saved.emit(record)

    # -- changes that arrive by sync ------------------------------------------------------------

    def on_vault_changed(self, changes: Any, initiator: object) -> None:
        if changes.from_sync and self._record is not None and self._record.id in changes.records:
            self.save_now(force=True)  # the core moves the form onto the new draft; _on_saved shows it

    def _refresh_form(self, content: domain.Content, as_typed: Mapping[str, str]) -> None:
        """Show new content in the fields as they stand (dates still as typed stay so): only the
        fields that differ change, the cursor stays where the inspector was typing, and the
        tagged passages stay marked."""
        notes = self._fields.get("notes")
        hints = self._mark_places(notes.toPlainText()) if isinstance(notes, QPlainTextEdit) else {}
        for name, widget in self._fields.items():
            value = _form_value(content, as_typed, name)
            widget.blockSignals(True)
            if isinstance(widget, QLineEdit) and widget.text() != value:
                position = widget.cursorPosition()
                widget.setText(value)
                widget.setCursorPosition(min(position, len(value)))
            elif isinstance(widget, QPlainTextEdit) and widget.toPlainText() != value:
                position = widget.textCursor().position()
                widget.setPlainText(value)
                cursor = widget.textCursor()
                cursor.setPosition(min(position, len(value)))
                widget.setTextCursor(cursor)
            elif isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value)))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, RowTable) and widget.model.rows() != tuple(value):
                widget.model.set_rows(value)
            widget.blockSignals(False)
        if self.context is not None:
            self.context.show_content(content)
        if self._record is not None:
            self._mark_passages(self._record, hints)  # setPlainText took the marks with the old text
        self._show_problems(self.read_form().problems)


class _StartWhenIdle(QObject):
    """One-line fields show the start of their text while not being typed in, and take typing at
    the end when focus is put there (a shortcut, opening a record); a click puts the cursor where
    it lands and Tab selects the whole text, as Qt does anyway."""

    _KEEP = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason, Qt.FocusReason.MenuBarFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not isinstance(watched, QLineEdit) or not isinstance(event, QFocusEvent):
            return False
        if event.type() == QEvent.Type.FocusOut and event.reason() not in self._KEEP:
            watched.setCursorPosition(0)  # not when the window is only left for a moment: the cursor stays put
        elif event.type() == QEvent.Type.FocusIn and event.reason() in (Qt.FocusReason.OtherFocusReason, Qt.FocusReason.ShortcutFocusReason):
            if watched.cursorPosition() == 0 and not watched.hasSelectedText():
                watched.end(False)
        return False


def _show_day_only(widget: WhenEdit) -> None:
    """A document's date is a day: a time typed with it ("today 2pm") is not kept, so it is not shown."""
    try:
        kept = read_when(widget.text())
    except UnreadableDate:
        return
    if kept and len(kept) > 10:
        widget.setText(when_text(kept[:10]))


def _sets_default_category(content: domain.Content) -> tuple[str | None, str | None]:
    """What a new tag's default category follows besides the kind: the person's role, a document's type."""
    return getattr(content, "role", None), getattr(content, "document_type", None)


def _form_value(content: Any, as_typed: Mapping[str, str], name: str) -> Any:
    """What the form field `name` shows for content (a date still as typed shows its text)."""
    if name in _WHEN_PATHS:
        path = _WHEN_PATHS[name]
        return as_typed[path] if path in as_typed else when_text(_value_at(content, path))
    if name == "contacts":
        return [dataclasses.replace(c, date=as_typed.get(f"contacts.{c.id}.date", c.date)) for c in content.contacts]
    if name in ("consent_given", "consent_method"):
        return content.consent.given if name == "consent_given" else content.consent.method
    if name == "role":
        return content.role or ""
    return getattr(content, name)


def _unread_reason(text: str) -> str:
    """Why a contact's date text does not read as a date, in the core's words (it names the text)."""
    try:
        read_when(text)
    except UnreadableDate as exc:
        return str(exc)
    return f"'{text}' is not a date yet."  # reads now: the next save keeps it as a date


_KEPT_AS_TYPED = (
    "Kept as you typed it on this laptop, and everything else saved; colleagues see no date here until it reads as one."
)


def _far_future(kept: str | None) -> str | None:
    """A date more than a day ahead is more often a mistyped year than evidence from the future."""
    day = core_dates.day_of(kept)
    if day is None or day <= date.today() + timedelta(days=1):
        return None
    return f"{when_text(kept)} is in the future: check the year. It is saved as typed."


def _value_at(content: domain.Content, path: str) -> str | None:
    """A date field's value by path (held_at, consent.recorded_at)."""
    value: Any = content
    for part in path.split("."):
        value = getattr(value, part, None)
    return value


@dataclass(frozen=True)
class _Mark:
    """A tagged passage as marked in the notes: its tag, its words, and a cursor selecting them."""

    link_id: str
    text: str
    cursor: QTextCursor


def _find_near(text: str, words: str, near: int) -> int | None:
    """Where `words` are in text (code points): at `near` if they are still there, else the
    occurrence nearest it, else None."""
    if text[near : near + len(words)] == words:
        return near
    found, at = [], text.find(words)
    while at >= 0:
        found.append(at)
        at = text.find(words, at + 1)
    return min(found, key=lambda start: abs(start - near)) if found else None


def _selection(edit: QPlainTextEdit, text: str, start: int, length: int) -> QTextCursor:
    """A cursor into the edit's document selecting `length` code points from `start`."""
    cursor = QTextCursor(edit.document())
    cursor.setPosition(_utf16(text, start))
    cursor.setPosition(_utf16(text, start + length), QTextCursor.MoveMode.KeepAnchor)
    return cursor


def _selected(cursor: QTextCursor) -> str:
    """A cursor's selected text with its line breaks as typed (Qt gives U+2029 between paragraphs)."""
    return cursor.selectedText().replace("\u2029", "\n")


def _utf16(text: str, code_points: int) -> int:
    """The other way: Python's position in text as Qt counts it."""
    return len(text[:code_points].encode("utf-16-le")) // 2


def _code_points(text: str, utf16_position: int) -> int:
    """Qt counts UTF-16 units; Python counts code points (they differ after an emoji)."""
    return len(text.encode("utf-16-le")[: 2 * utf16_position].decode("utf-16-le", errors="ignore"))


def _content(current: domain.Content, v: dict[str, Any]) -> domain.Content:
    changes: dict[str, Any] = {k: v[k] for k in ("title", "notes", "location", "pseudonym", "summary", "facilitator") if k in v}
    if "held_at" in v:
        changes["held_at"] = v["held_at"]
    if isinstance(current, domain.Observation):
        changes["meeting_type"] = v["meeting_type"]
        changes["attendees"] = attendees_to_save(v["attendees"])
    if isinstance(current, domain.Interview):
        changes["role"] = v["role"]
        changes["consent"] = domain.Consent(v["consent_given"], v["consent_method"] or "", v["consent_when"])
    if isinstance(current, domain.CaseTracking):
        changes["contacts"] = contacts_to_save(v["contacts"])
    if isinstance(current, domain.Document):
        changes.update({k: v[k] for k in ("document_type", "source", "source_organisation", "reference")})
        changes["dated"] = v["dated"]
    if isinstance(current, domain.FocusGroup):
        changes["groups_represented"] = groups_to_save(v["groups_represented"])
        changes["role"] = v["role"] or None
        changes["participants"] = v["participants"]
    return dataclasses.replace(current, **changes)  # type: ignore[type-var]
