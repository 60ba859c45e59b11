"""The record editor: the fields of each kind of record, autosaved 2 seconds after the last edit.

There is no Save button to forget. An edit is saved at most 2 seconds later, even while typing
goes on; leaving the record (or the window) saves at once and cuts a revision. The widgets only read and write a domain dataclass;
every save is a VaultOp on the vault worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldapp import domain
from fieldapp.errors import DraftChanged, ValidationError
from fieldapp.links import passage_of
from fieldapp.merge import rebase_edit
from fieldapp.rows import Passage, RecordRow

from ui.attachments_panel import AttachmentsPanel
from ui.dates import WHEN_HINT, when, when_text
from ui.history_panel import HistoryPanel
from ui.errors import message_for
from ui.operations import QueryOp, VaultOp
from ui.record_tables import attendees_table, attendees_to_save, contacts_table, contacts_to_save, groups_table, groups_to_save
from ui.row_table import RowTable
from ui.state import AppState
from ui.tagging import TagPanel

AUTOSAVE_MS = 2000


class RecordEditor(QWidget):
    saved = Signal(object)  # the RecordRow as saved

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._record: RecordRow | None = None
        self._content: domain.Content | None = None
        self._base: domain.Content | None = None  # the draft as the vault last told us (load or save)
        self._version = _DraftVersion(None)
        self._fields: dict[str, Any] = {}
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        self._layout = QVBoxLayout(self)
        self._heading = QLabel("Select or create a record.")
        self._heading.setAccessibleName("Record heading")
        self._layout.addWidget(self._heading)
        self._form_host = QWidget()
        self._layout.addWidget(self._form_host)
        self.status = QLabel("")
        self.status.setAccessibleName("Save status")
        self._layout.addWidget(self.status)
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
        state.signals.operation_did_execute.connect(self.on_vault_changed)

    @property
    def record_id(self) -> str | None:
        return self._record.id if self._record else None

    def show_record(self, record: RecordRow | None) -> None:
        """Show another record; the one being edited is saved and a revision cut first."""
        self.leave_record()
        self._record, self._content = record, record.content if record else None
        self._base = self._content
        self._version = _DraftVersion(record.updated_at if record else None)
        self._rebuild()
        self.tag_panel.set_record(record)
        self.attachments.set_record(record)
        self.history.set_record(record)

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
        VaultOp(self._state, lambda vault: vault.records.cut_revision(record_id), initiator=self).run_in_background()

    # -- building the form ------------------------------------------------------------------------

    def _rebuild(self) -> None:
        self._form_host.deleteLater()
        self._form_host = QWidget()
        self._layout.insertWidget(1, self._form_host)
        self._fields = {}
        self.quick_note = None
        if self._content is None:
            self._heading.setText("Select or create a record.")
            return
        self._heading.setText(domain.KIND_LABELS[self._content.kind])
        form = QFormLayout(self._form_host)
        # Labels above their fields: the editor column stays readable at 1366×768.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        builders: dict[str, Callable[[QFormLayout, domain.Content], None]] = {
            "observation": self._observation_form,
            "interview": self._interview_form,
            "case_tracking": self._case_form,
            "focus_group": self._focus_group_form,
        }
        builders[self._content.kind](form, self._content)
        self.status.setText("")

    def _line(self, form: QFormLayout, name: str, label: str, value: str, hint: str = "") -> QLineEdit:
        widget = QLineEdit(value)
        widget.setPlaceholderText(hint)
        widget.setAccessibleName(label)
        widget.textEdited.connect(self._edited)
        widget.editingFinished.connect(self._left_field)
        form.addRow(label, widget)
        self._fields[name] = widget
        return widget

    def _text(self, form: QFormLayout, name: str, label: str, value: str) -> QPlainTextEdit:
        widget = QPlainTextEdit(value)
        widget.setAccessibleName(label)
        widget.setTabChangesFocus(True)
        widget.textChanged.connect(self._edited)
        form.addRow(label, widget)
        self._fields[name] = widget
        return widget

    def _table(self, form: QFormLayout, name: str, label: str, table: RowTable) -> RowTable:
        table.edited.connect(self._edited)
        table.left_cell.connect(self._left_field)
        form.addRow(label, table)
        self._fields[name] = table
        return table

    def _choice(self, form: QFormLayout, name: str, label: str, options: dict[str, str], value: str | None) -> QComboBox:
        widget = QComboBox()
        widget.setAccessibleName(label)
        for key, text in options.items():
            widget.addItem(text, key)
        widget.setCurrentIndex(max(0, widget.findData(value)))
        widget.currentIndexChanged.connect(self._edited)
        form.addRow(label, widget)
        self._fields[name] = widget
        return widget

    def _observation_form(self, form: QFormLayout, c: Any) -> None:
        self._line(form, "title", "Title", c.title)
        self._choice(form, "meeting_type", "Meeting type", domain.MEETING_TYPES, c.meeting_type)
        self._line(form, "held_at", "When", when_text(c.held_at), WHEN_HINT)
        self._line(form, "location", "Where", c.location)
        self._table(form, "attendees", "Attendees by role", attendees_table(c.attendees))
        self._text(form, "notes", "Notes", c.notes)
        self.quick_note = QLineEdit()
        self.quick_note.setPlaceholderText("Quick note: type and press Enter to add it with the time")
        self.quick_note.setAccessibleName("Quick note")
        self.quick_note.returnPressed.connect(self._add_quick_note)
        form.addRow("Quick note", self.quick_note)

    def _interview_form(self, form: QFormLayout, c: Any) -> None:
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
        self._line(form, "consent_when", "Consent: when", when_text(c.consent.recorded_at), WHEN_HINT)
        self._line(form, "held_at", "When", when_text(c.held_at), WHEN_HINT)
        self._line(form, "location", "Where", c.location)
        self._text(form, "notes", "Notes", c.notes)

    def _case_form(self, form: QFormLayout, c: Any) -> None:
        self._line(form, "title", "Title", c.title)
        self._line(form, "pseudonym", "Person (pseudonym)", c.pseudonym)
        self._text(form, "summary", "Summary", c.summary)
        self._table(form, "contacts", "Timeline of contacts (Alt+Up / Alt+Down to reorder)", contacts_table(c.contacts))
        self._text(form, "notes", "Notes", c.notes)

    def _focus_group_form(self, form: QFormLayout, c: Any) -> None:
        self._line(form, "title", "Title", c.title)
        self._line(form, "held_at", "When", when_text(c.held_at), WHEN_HINT)
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
        self._text(form, "notes", "Notes", c.notes)

    # -- reading the form back, saving ------------------------------------------------------------

    def _edited(self, *_args: object) -> None:
        # The first unsaved edit starts the clock and later ones do not push it back: someone
        # typing without a pause is still saved every 2 seconds.
        if not self._timer.isActive():
            self._timer.start()
        self.status.setText("Editing…")

    def _left_field(self) -> None:
        if self._timer.isActive():
            self.save_now()

    def content_from_form(self) -> domain.Content:
        """The form as a domain value; raises ValidationError naming a field it cannot read."""
        assert self._content is not None
        values: dict[str, Any] = {}
        for name, widget in self._fields.items():
            if isinstance(widget, QLineEdit):
                values[name] = widget.text()
            elif isinstance(widget, QPlainTextEdit):
                values[name] = widget.toPlainText()
            elif isinstance(widget, QComboBox):
                values[name] = widget.currentData()
            elif isinstance(widget, QCheckBox):
                values[name] = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                values[name] = widget.value()
            elif isinstance(widget, RowTable):
                values[name] = widget.model.rows()
        return _content(self._content, values)

    def save_now(self) -> bool:
        """Save what the form holds (queued on the vault worker); False if it cannot be saved as it is."""
        # What is typed into an open table cell counts as typed: commit it before reading the form.
        for widget in self._fields.values():
            if isinstance(widget, RowTable):
                widget.commit_open_editor()
        self._timer.stop()
        if self._record is None or self._content is None:
            return True
        try:
            content = self.content_from_form()
        except ValidationError as exc:
            self.status.setText(f"Not saved yet: {exc}")
            return False
        if content == self._content:
            self.status.setText("Saved")
            return True
        self._content = content
        record_id, version = self._record.id, self._version
        self.status.setText("Saving…")

        def save(vault: Any) -> Any:
            # Read and moved on here, on the worker, where saves run in order: each queued save
            # expects the draft the one before it left, and any other change is a sync's.
            done = vault.records.save(record_id, content, expected_version=version.value)
            version.value = done.value.updated_at
            return done

        VaultOp(self._state, save, initiator=self).success(self._on_saved).failure(self._on_save_failed).run_in_background()
        return True

    def _on_save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, DraftChanged):
            self.status.setText("This record changed on another device; merging your words in…")
            self.reconcile()
        else:
            self.status.setText(f"Not saved: {message_for(exc)}")

    def _on_saved(self, done: Any) -> None:
        if self._record is not None and done.value.id == self._record.id:
            self._record = done.value
            self._base = done.value.content
        # Edits made while this save ran are not in it: say so until their own save.
        self.status.setText("Editing…" if self._timer.isActive() else "Saved")
        self.saved.emit(done.value)

    def selected_passage(self) -> Passage | None:
        """The text selected in the notes, as a passage of the content being saved."""
        notes = self._fields.get("notes")
        if not isinstance(notes, QPlainTextEdit) or not notes.textCursor().hasSelection():
            return None
        self.save_now()  # the passage must match what the vault holds; the save runs first
        cursor, text = notes.textCursor(), notes.toPlainText()
        start, end = (_code_points(text, p) for p in (cursor.selectionStart(), cursor.selectionEnd()))
        try:
            return passage_of(self.content_from_form(), "notes", start, end)
        except ValidationError:
            return None

    def _on_restored(self, record: RecordRow) -> None:
        """Show the restored content without saving over it first (the form holds the old one)."""
        self._record = None
        self.show_record(record)
        self.saved.emit(record)

    def _on_tagged(self, record: RecordRow) -> None:
        self._record = record
        self.saved.emit(record)

    def _add_quick_note(self) -> None:
        assert self.quick_note is not None and self._record is not None
        text = self.quick_note.text().strip()
        if not text:
            return
        self.save_now()  # the note goes after what was typed above it
        record_id, moment = self._record.id, datetime.now()
        self.quick_note.clear()
        version = self._version

        def note(vault: Any) -> Any:
            done = vault.records.add_note(record_id, text, at=moment)
            version.value = done.value.updated_at
            return done

        VaultOp(self._state, note, initiator=self).success(self._on_note_added).run_in_background()

    # -- changes that arrive by sync ------------------------------------------------------------

    def on_vault_changed(self, changes: Any, initiator: object) -> None:
        if getattr(initiator, "changes_from_elsewhere", False) and self._record is not None and self._record.id in changes.records:
            self.reconcile()

    def reconcile(self) -> None:
        """The record changed under the editor (a colleague's edit arrived): merge the unsaved
        words in the form onto the new draft, show the result, and save it."""
        if self._record is None:
            return
        record_id = self._record.id
        QueryOp(self._state, lambda vault: vault.records.get(record_id, include_deleted=True)).success(
            self._on_reconciled
        ).run_in_background()

    def _on_reconciled(self, current: RecordRow) -> None:
        if self._record is None or current.id != self._record.id or self._base is None:
            return  # the inspector moved on meanwhile
        if current.deleted:
            self._record = None
            self.show_record(None)
            self.status.setText("That record was deleted on another device; its earlier versions are in its history.")
            return
        try:
            mine = self.content_from_form()
        except ValidationError:
            mine = self._content or current.content
        theirs = current.content
        if domain.to_dict(theirs) == domain.to_dict(self._base):
            # No words arrived (a sync that only acknowledged this laptop's own revisions, or
            # changed its tags or files): nothing to merge, and nothing to announce.
            self._record = current
            self._version.value = current.updated_at
            for panel in (self.tag_panel, self.attachments, self.history):
                panel.set_record(current)
            return
        if domain.to_dict(mine) == domain.to_dict(self._base):
            merged, kept = theirs, ()
        else:
            merged_dict, kept = rebase_edit(domain.to_dict(self._base), domain.to_dict(mine), domain.to_dict(theirs))
            merged = domain.from_dict(current.kind, merged_dict)
        self._record, self._base = current, theirs
        self._version.value = current.updated_at
        if merged != mine:
            self._refresh_form(merged)
        self._content = merged
        for panel in (self.tag_panel, self.attachments, self.history):
            panel.set_record(current)
        if kept:
            self.status.setText(
                f"Also changed on another device: {', '.join(k.replace('_', ' ') for k in kept)}. "
                "Your words were kept; theirs are in the history."
            )
        else:
            self.status.setText("Updated with changes from another device.")
        if merged != theirs:
            self._content = theirs  # so save_now sees the form differs from the vault, and saves
            self.save_now()

    def _refresh_form(self, content: domain.Content) -> None:
        """Show new content, keeping the cursor where the inspector was typing."""
        focus = QApplication.focusWidget()
        name = next((n for n, w in self._fields.items() if w is focus or (focus is not None and w.isAncestorOf(focus))), None)
        position = focus.cursorPosition() if isinstance(focus, QLineEdit) else focus.textCursor().position() if isinstance(focus, QPlainTextEdit) else None
        self._content = content
        self._rebuild()
        widget = self._fields.get(name) if name else None
        if widget is None:
            return
        widget.setFocus()
        if isinstance(widget, QLineEdit) and position is not None:
            widget.setCursorPosition(min(position, len(widget.text())))
        elif isinstance(widget, QPlainTextEdit) and position is not None:
            cursor = widget.textCursor()
            cursor.setPosition(min(position, len(widget.toPlainText())))
            widget.setTextCursor(cursor)

    def _on_note_added(self, done: Any) -> None:
        notes = self._fields.get("notes")
        if isinstance(notes, QPlainTextEdit) and self._record is not None and done.value.id == self._record.id:
            self._content = done.value.content
            self._version.value = done.value.updated_at
            notes.blockSignals(True)
            notes.setPlainText(done.value.content.notes)
            notes.blockSignals(False)
        self._on_saved(done)


class _DraftVersion:
    """The draft version (its updated_at) the editor's next save expects; shared with the worker."""

    def __init__(self, value: str | None) -> None:
        self.value = value


def _code_points(text: str, utf16_position: int) -> int:
    """Qt counts UTF-16 units; Python counts code points (they differ after an emoji)."""
    return len(text.encode("utf-16-le")[: 2 * utf16_position].decode("utf-16-le", errors="ignore"))


def _content(current: domain.Content, v: dict[str, Any]) -> domain.Content:
    changes: dict[str, Any] = {k: v[k] for k in ("title", "notes", "location", "pseudonym", "summary", "facilitator") if k in v}
    if "held_at" in v:
        changes["held_at"] = when(v["held_at"], "When")
    if isinstance(current, domain.Observation):
        changes["meeting_type"] = v["meeting_type"]
        changes["attendees"] = attendees_to_save(v["attendees"])
    if isinstance(current, domain.Interview):
        changes["role"] = v["role"]
        changes["consent"] = domain.Consent(v["consent_given"], v["consent_method"] or "", when(v["consent_when"], "Consent: when"))
    if isinstance(current, domain.CaseTracking):
        changes["contacts"] = contacts_to_save(v["contacts"])
    if isinstance(current, domain.FocusGroup):
        changes["groups_represented"] = groups_to_save(v["groups_represented"])
        changes["role"] = v["role"] or None
        changes["participants"] = v["participants"]
    return dataclasses.replace(current, **changes)  # type: ignore[type-var]
