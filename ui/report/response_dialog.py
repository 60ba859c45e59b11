"""A response to the factual accuracy check, added or edited: the draft it is about (when several
were shared), the paragraph (its words as shared shown beside the number, so the inspector sees what
the response refers to), the organisation, what it said, and the team's decision with the change
made or the reason it was not accepted.

The dialog asks; the view records (ui/operations/report_texts.py) and tells the dialog how it went:
refused, the core's words go beside the field at fault and everything typed stays; done, it closes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import FieldappError, ValidationError
from fieldapp.item_kinds import FacResponseContent

from ui.dates import when_text
from ui.errors import message_for
from ui.message_lines import message_line
from ui.theme import colors

ORGANISATION_CHOICES = (("icb", "Integrated Care Board (ICB)"), ("icp", "Integrated Care Partnership (ICP)"), ("other", "Another organisation, named below"))
DECISION_CHOICES = (("", "Awaiting a decision"), ("accepted", "Accepted: the report is changed"), ("not_accepted", "Not accepted: say why"))
# The core names the field at fault for most refusals; for the rest, its words name it.
_FIELD_BY_WORDS = (
    ("What the organisation said", "said"), ("The organisation's name", "organisation_name"),
    ("The change made", "change"), ("The reason", "reason"), ("The shared draft", "draft_id"),
)  # fmt: skip


class ResponseDialog(QDialog):
    submitted = Signal(object, object)  # (FacResponseContent, the response's id or None for a new one)

    def __init__(self, drafts: tuple[Any, ...], row: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = row
        self._drafts = {d.id: d for d in drafts}
        self.setWindowTitle("Edit response" if row is not None else "Add response")
        content: FacResponseContent | None = row.content if row is not None else None
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        # Each label on one line: wrapped, "Paragraph number" read as two things.
        grid.setColumnMinimumWidth(0, self.fontMetrics().horizontalAdvance("Reason it was not accepted") + 12)
        layout.addLayout(grid)
        self.errors: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}

        self.draft = QComboBox()
        self.draft.setAccessibleName("Shared draft")
        for draft in drafts:
            self.draft.addItem(f"Shared on {when_text(draft.shared_on)} ({len(draft.paragraphs)} paragraphs)", draft.id)
        if content is not None and content.draft_id not in self._drafts:
            self.draft.addItem("A draft not on this laptop yet (a sync brings it)", content.draft_id)
        if content is not None:
            self.draft.setCurrentIndex(max(self.draft.findData(content.draft_id), 0))
        else:
            self.draft.setCurrentIndex(self.draft.count() - 1)  # the latest shared
        self.draft.currentIndexChanged.connect(lambda _i: self._show_paragraph())
        several = self.draft.count() > 1
        self._row_in(grid, "draft_id", "&Draft", self.draft, visible=several)

        self.paragraph = QSpinBox()
        self.paragraph.setAccessibleName("Paragraph number")
        self.paragraph.setMinimum(1)
        self.paragraph.setMaximum(99_999)
        self.paragraph.valueChanged.connect(lambda _v: self._show_paragraph())
        self._row_in(grid, "paragraph", "&Paragraph number", self.paragraph)
        self.paragraph_text = QPlainTextEdit()
        self.paragraph_text.setReadOnly(True)
        self.paragraph_text.setTabChangesFocus(True)
        self.paragraph_text.setAccessibleName("The paragraph as shared")
        spacing = self.paragraph_text.fontMetrics().lineSpacing()
        self.paragraph_text.setFixedHeight(spacing * 4 + 12)
        shared_label = QLabel("As shared")
        line = grid.rowCount()
        grid.addWidget(shared_label, line, 0)
        grid.addWidget(self.paragraph_text, line, 1)

        self.organisation = QComboBox()
        self.organisation.setAccessibleName("Organisation")
        for key, words in ORGANISATION_CHOICES:
            self.organisation.addItem(words, key)
        self.organisation.currentIndexChanged.connect(lambda _i: self._show_name())
        self._row_in(grid, "organisation", "&Organisation", self.organisation)
        self.organisation_name = QLineEdit()
        self.organisation_name.setAccessibleName("Name of the organisation")
        self._row_in(grid, "organisation_name", "&Name of the organisation", self.organisation_name)

        self.said = QPlainTextEdit()
        self.said.setAccessibleName("What was said")
        self.said.setTabChangesFocus(True)
        self.said.setMinimumHeight(spacing * 4 + 12)
        self._row_in(grid, "said", "&What was said", self.said)

        self.decision = QComboBox()
        self.decision.setAccessibleName("Decision")
        for key, words in DECISION_CHOICES:
            self.decision.addItem(words, key)
        self.decision.currentIndexChanged.connect(lambda _i: self._show_outcome())
        self._row_in(grid, "decision", "De&cision", self.decision)
        self.change = QPlainTextEdit()
        self.change.setAccessibleName("Change made")
        self.change.setTabChangesFocus(True)
        self.change.setMinimumHeight(spacing * 3 + 12)
        self._row_in(grid, "change", "C&hange made to the report", self.change)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason it was not accepted")
        self.reason.setTabChangesFocus(True)
        self.reason.setMinimumHeight(spacing * 3 + 12)
        self._row_in(grid, "reason", "&Reason it was not accepted", self.reason)

        self.message = message_line("Why the response was not recorded", selectable=False)
        self.message.setStyleSheet(f"color: {colors().flag};")
        layout.addWidget(self.message)
        buttons = self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        if content is not None:
            self.paragraph.setValue(content.paragraph)
            self.organisation.setCurrentIndex(max(self.organisation.findData(content.organisation), 0))
            self.organisation_name.setText(content.organisation_name)
            self.said.setPlainText(content.said)
            self.decision.setCurrentIndex(max(self.decision.findData(content.decision), 0))
            self.change.setPlainText(content.change)
            self.reason.setPlainText(content.reason)
        self._show_paragraph()
        self._show_name()
        self._show_outcome()
        self.resize(680, 600)

    def _row_in(self, grid: QGridLayout, field: str, label_text: str, widget: QWidget, *, visible: bool = True) -> None:
        """A field with its label on the left and, under it, the words of a refusal that name it."""
        line = grid.rowCount()
        label = QLabel(label_text)
        label.setBuddy(widget)
        label.setWordWrap(True)
        error = message_line(f"Problem with {widget.accessibleName().lower()}", selectable=False)
        error.setStyleSheet(f"color: {colors().flag};")
        error.hide()
        grid.addWidget(label, line, 0)
        grid.addWidget(widget, line, 1)
        grid.addWidget(error, line + 1, 1)
        for shown in (label, widget):
            shown.setVisible(visible)
        self.errors[field] = error
        self._fields[field] = widget
        setattr(self, f"_{field}_label", label)

    # -- showing ------------------------------------------------------------------------------

    def _show_paragraph(self) -> None:
        draft = self._drafts.get(self.draft.currentData())
        if draft is None:
            self.paragraph_text.setPlainText("This draft is not on this laptop yet; the next sync brings it.")
            return
        numbers = [p.number for p in draft.paragraphs]
        if numbers:
            self.paragraph.setMaximum(max(numbers))
        found = next((p for p in draft.paragraphs if p.number == self.paragraph.value()), None)
        self.paragraph_text.setPlainText(found.text if found is not None else f"The draft has no paragraph {self.paragraph.value()}.")

    def _show_name(self) -> None:
        other = self.organisation.currentData() == "other"
        self.organisation_name.setEnabled(other)
        self.organisation_name.setPlaceholderText("" if other else "Only for another organisation")

    def _show_outcome(self) -> None:
        decision = self.decision.currentData()
        for field, shown in (("change", decision == "accepted"), ("reason", decision == "not_accepted")):
            self._fields[field].setVisible(shown)
            getattr(self, f"_{field}_label").setVisible(shown)
            if not shown:
                self.errors[field].hide()

    # -- reading ------------------------------------------------------------------------------

    def content(self) -> FacResponseContent:
        """The response as typed (the change only when accepted, the reason only when not)."""
        decision = str(self.decision.currentData())
        other = self.organisation.currentData() == "other"
        return FacResponseContent(
            draft_id=str(self.draft.currentData() or ""),
            paragraph=self.paragraph.value(),
            organisation=str(self.organisation.currentData()),
            said=self.said.toPlainText(),
            organisation_name=self.organisation_name.text() if other else "",
            decision=decision,
            change=self.change.toPlainText() if decision == "accepted" else "",
            reason=self.reason.toPlainText() if decision == "not_accepted" else "",
        )

    def on_buttons_accepted(self) -> None:
        for error in self.errors.values():
            error.hide()
        self.message.setText("Saving…")
        self.submitted.emit(self.content(), self._row.id if self._row is not None else None)

    def refused(self, exc: BaseException) -> None:
        """Not recorded: the words go beside the field at fault, which takes the keys; all typed stays."""
        words = message_for(exc)
        field = getattr(exc, "field", None) if isinstance(exc, ValidationError) else None
        if field is None and isinstance(exc, FieldappError):
            field = next((f for start, f in _FIELD_BY_WORDS if words.startswith(start)), None)
        error = self.errors.get(field or "")
        if error is None or not self._fields[field or ""].isVisible():
            self.message.setText(f"Not recorded: {words}")
            return
        self.message.setText("Not recorded: see the note beside the field.")
        error.setText(words)
        error.show()
        self._fields[field or ""].setFocus()
