"""The Raise a concern dialog (issue 15): its kind, how urgent, what was heard (required), the passage
it was raised from (shown read-only; linked, never copied), the quality statements it touches and who
else should know. The same dialog changes a concern not yet acknowledged. Keyboard-only: every label
has its letter, Enter in a one-line field raises, Esc cancels and nothing is made."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp.concerns import ConcernRow
from fieldapp.framework import framework_by_key
from fieldapp.item_kinds import CONCERN_KINDS, URGENCIES, ConcernContent
from fieldapp.rows import Done, Passage

from ui.message_lines import message_line
from ui.operations import concerns as concern_ops
from ui.state import AppState

STATEMENT_ROLE = Qt.ItemDataRole.UserRole
SAFEGUARDING = "safeguarding"  # the framework's Safeguarding statement: a safeguarding concern touches it unless chosen otherwise
HEARD_NEEDED = "Say what was heard or seen: the office acts on these words."


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a concern is raised from: a record (its title, its tagged statements) and, when raised
    from a selection, the passage."""

    assessment_id: str
    framework_key: str
    record_id: str = ""
    record_title: str = ""
    tagged: tuple[str, ...] = ()  # the record's tagged statements: the default statements
    passage: Passage | None = None


class ConcernDialog(QDialog):
    raised = Signal(object)  # the ConcernRow as the vault now holds it (raised or changed)

    def __init__(self, state: AppState, source: Source, parent: QWidget | None = None, *, editing: ConcernRow | None = None, kind: str = "") -> None:
        super().__init__(parent)
        self._state, self._source, self._editing = state, source, editing
        self._statements_touched = editing is not None  # the inspector's choice stands; until then it follows the kind
        self.setWindowTitle("Change a concern" if editing else "Raise a concern")
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        intro = message_line("About this concern", selectable=False)
        where = f"from “{source.record_title}”" if source.record_title else "on its own"
        intro.setText(
            f"Raised {where}. It is sent to the office first at the next sync, ahead of everything else, "
            "and the app reminds you until the office acknowledges it."
        )
        layout.addWidget(intro)
        form = QFormLayout()
        self.kind = self._combo(CONCERN_KINDS, "Kind of concern")
        form.addRow(self._label("&Kind", self.kind), self.kind)
        self.urgency = self._combo(URGENCIES, "How urgent")
        form.addRow(self._label("&Urgency", self.urgency), self.urgency)
        self.heard = QPlainTextEdit()
        self.heard.setAccessibleName("What was heard or seen")
        self.heard.setPlaceholderText("In your words: what you heard or saw, and from whom (a pseudonym)")
        self.heard.setTabChangesFocus(True)
        self.heard.setFixedHeight(self.heard.fontMetrics().lineSpacing() * 5 + 12)
        form.addRow(self._label("What was &heard", self.heard), self.heard)
        self.passage = QPlainTextEdit()
        self.passage.setReadOnly(True)
        self.passage.setAccessibleName("The passage it was raised from (linked to the record, not copied)")
        self.passage.setTabChangesFocus(True)
        self.passage.setFixedHeight(self.passage.fontMetrics().lineSpacing() * 3 + 12)
        passage_text = source.passage.text if source.passage else (editing.passage if editing else "")
        self.passage.setPlainText(passage_text)
        passage_label = self._label("&Passage", self.passage)
        form.addRow(passage_label, self.passage)
        self.passage.setVisible(bool(passage_text))
        passage_label.setVisible(bool(passage_text))
        self.statements = QListWidget()
        self.statements.setAccessibleName("Quality statements it touches (Space ticks one)")
        self.statements.setFixedHeight(self.statements.fontMetrics().lineSpacing() * 8 + 12)
        self._fill_statements(framework_key=source.framework_key)
        self.statements.itemChanged.connect(self._on_statement_ticked)
        form.addRow(self._label("&Statements", self.statements), self.statements)
        self.tell = QLineEdit()
        self.tell.setAccessibleName("Who else should know")
        self.tell.setPlaceholderText("e.g. Local authority safeguarding team")
        form.addRow(self._label("&Who else should know", self.tell), self.tell)
        layout.addLayout(form)
        self.status = message_line("Concern status")
        layout.addWidget(self.status)
        buttons = self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("&Raise concern" if editing is None else "Sa&ve changes", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok.setDefault(True)  # once in the dialog: Enter in a one-line field raises, not cancels
        self.kind.currentIndexChanged.connect(lambda _i: self._default_statements())
        if editing is not None:
            self._show(editing.content)
        else:
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))  # from the quiet ask: poor experience of care
            self._default_statements()
        self.heard.setFocus()
        self.resize(560, self.sizeHint().height())

    # -- building -------------------------------------------------------------------------------

    @staticmethod
    def _combo(options: dict[str, str], name: str) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        for key, words in options.items():
            combo.addItem(words, key)
        return combo

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def _fill_statements(self, *, framework_key: str) -> None:
        framework = framework_by_key(framework_key)
        self.statements.blockSignals(True)
        for theme in framework.themes:
            for statement in framework.statements_in(theme.id):
                item = QListWidgetItem(statement.name)
                item.setData(STATEMENT_ROLE, statement.id)
                item.setToolTip(f"{theme.name}: {statement.description}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.statements.addItem(item)
        self.statements.blockSignals(False)
        self.statements.setCurrentRow(0)

    def _show(self, content: ConcernContent) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(content.concern_kind)))
        self.urgency.setCurrentIndex(max(0, self.urgency.findData(content.urgency)))
        self.heard.setPlainText(content.heard)
        self.tell.setText(content.tell)
        self._tick(set(content.statements))
        self._statements_touched = True

    def _default_statements(self) -> None:
        """The record's tagged statements; a safeguarding concern touches Safeguarding too. Once the
        inspector ticks or unticks one, their choice stands."""
        if self._statements_touched:
            return
        chosen = set(self._source.tagged)
        if self.kind.currentData() == "safeguarding":
            chosen.add(SAFEGUARDING)
        self._tick(chosen)

    def _tick(self, chosen: set[str]) -> None:
        """Tick these; the first ticked is the current row, in view (the list opens where the choice is)."""
        self.statements.blockSignals(True)
        first = None
        for row in range(self.statements.count()):
            item = self.statements.item(row)
            ticked = item.data(STATEMENT_ROLE) in chosen
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            first = row if ticked and first is None else first
        self.statements.blockSignals(False)
        self.statements.setCurrentRow(first or 0)
        self.statements.scrollToItem(self.statements.currentItem())

    def _on_statement_ticked(self, _item: QListWidgetItem) -> None:
        self._statements_touched = True

    def chosen_statements(self) -> tuple[str, ...]:
        items = (self.statements.item(row) for row in range(self.statements.count()))
        return tuple(item.data(STATEMENT_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked)

    # -- raising --------------------------------------------------------------------------------

    def content(self) -> ConcernContent:
        source, passage = self._source, self._source.passage
        if self._editing is not None:
            base = self._editing.content
        else:
            base = ConcernContent(
                self.kind.currentData(), self.urgency.currentData(), "", record_id=source.record_id,
                passage_field=passage.field if passage else "", passage_start=passage.start if passage else None,
                passage_end=passage.end if passage else None,
            )  # fmt: skip
        return dataclasses.replace(
            base, concern_kind=self.kind.currentData(), urgency=self.urgency.currentData(), heard=self.heard.toPlainText().strip(),
            statements=self.chosen_statements(), tell=self.tell.text().strip(),
        )  # fmt: skip

    def submit(self) -> None:
        content = self.content()
        if not content.heard:
            self.status.setText(HEARD_NEEDED)
            self.heard.setFocus()
            return
        self.ok.setEnabled(False)
        self.status.setText("Raising…" if self._editing is None else "Saving…")
        if self._editing is None:
            op = concern_ops.raise_concern(self._state, self._source.assessment_id, content, initiator=self)
        else:
            op = concern_ops.update(self._state, self._editing.id, content, initiator=self)
        op.success(self._done).failure(self._failed).run_in_background()

    def _done(self, done: Done[ConcernRow]) -> None:
        self.raised.emit(done.value)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from ui.errors import message_for

        self.ok.setEnabled(True)
        self.status.setText(message_for(exc))
