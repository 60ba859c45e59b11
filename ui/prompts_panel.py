"""Prompts beside the notes of an interview or focus group (issue 15): for each quality statement the
record is tagged with, the framework's few questions to explore, in our own words; untagged, a
statement chooser. Closed by default behind a toggle (View → Prompts, Ctrl+Shift+P), which never
takes the cursor from the notes; open or closed is remembered for the session."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from fieldapp.framework import Framework, framework_by_key
from fieldapp.rows import RecordRow

from ui.message_lines import message_line
from ui.wheel_safe import WheelSafeComboBox

PROMPTS_KEY = "Ctrl+Shift+P"


class PromptsPanel(QWidget):
    opened_in_session = False  # as last left, for every record until the app closes

    def __init__(self, record: RecordRow) -> None:
        super().__init__()
        self.setAccessibleName("Prompts")
        self._framework: Framework = framework_by_key(record.framework_key)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.toggle = QToolButton()
        self.toggle.setText("Prompts")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName("Show or hide the prompts")
        self.toggle.setToolTip(f"Questions to explore for the statements this record is tagged with ({PROMPTS_KEY})")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # A click must not take the cursor out of the notes: the key (a window action) opens it too.
        self.toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        top.addWidget(self.toggle)
        hint = QLabel(f"({PROMPTS_KEY})")
        hint.setEnabled(False)
        top.addWidget(hint)
        top.addStretch(1)
        layout.addLayout(top)
        self.body = QWidget()
        inner = QVBoxLayout(self.body)
        inner.setContentsMargins(12, 0, 0, 0)
        self.chooser = WheelSafeComboBox()
        self.chooser.setAccessibleName("Prompts for the statement")
        self.chooser.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # clicked, it leaves the notes' cursor alone
        self.chooser.addItem("Choose a statement to see its prompts", None)
        for statement in self._framework.statements:
            self.chooser.addItem(statement.name, statement.id)
        self.chooser.currentIndexChanged.connect(lambda _i: self._show_chosen())
        inner.addWidget(self.chooser)
        self.text = message_line("Prompts to explore")
        self.text.setTextFormat(Qt.TextFormat.RichText)  # bold names over lists; the words are escaped
        inner.addWidget(self.text)
        layout.addWidget(self.body)
        self._tagged: tuple[str, ...] = ()
        self.toggle.toggled.connect(self._toggled)
        self.toggle.setChecked(PromptsPanel.opened_in_session)
        self._toggled(PromptsPanel.opened_in_session)
        self.set_record(record)

    def _toggled(self, opened: bool) -> None:
        PromptsPanel.opened_in_session = opened
        self.body.setVisible(opened)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)

    def flip(self) -> None:
        self.toggle.setChecked(not self.toggle.isChecked())

    def set_record(self, record: RecordRow) -> None:
        """The prompts of the statements the record is tagged with, in the framework's order."""
        tagged = {link.statement_id for link in record.links}
        self._tagged = tuple(s.id for s in self._framework.statements if s.id in tagged)
        self.chooser.setVisible(not self._tagged)
        if self._tagged:
            self.text.setText(_words(self._framework, self._tagged))
        else:
            self._show_chosen()

    def _show_chosen(self) -> None:
        if self._tagged:
            return
        chosen = self.chooser.currentData()
        self.text.setText(_words(self._framework, (chosen,)) if chosen else "Tag the record with a statement, or choose one above.")


def _words(framework: Framework, statement_ids: tuple[str, ...]) -> str:
    """Each statement's name in bold over its questions (framework text, escaped: never markup)."""
    blocks = []
    for statement_id in statement_ids:
        prompts = framework.prompts(statement_id)
        items = "".join(f"<li>{escape(p, quote=False)}</li>" for p in prompts) or "<li>No prompts written for this statement yet.</li>"
        blocks.append(f"<b>{escape(framework.statement(statement_id).name, quote=False)}</b><ul style='margin-left: -24px'>{items}</ul>")
    return "".join(blocks)

