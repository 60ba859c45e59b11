"""The report view (View → Report, Ctrl+R), in three pages: Texts (the summary, each theme's
narratives, the progress commentary), Quotations (chosen from the suggested passages, in the order
quoted) and the Factual accuracy check (drafts shared, responses and decisions); at its foot, File's
Preview report, Export report and Publish report.

What is typed is saved half a second later, as in the judgement view, and only the fields typed in
are saved, onto the newest stored texts: a colleague's words in another field are never overwritten,
and words being typed are never replaced by a refresh.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from fieldapp.framework import Framework, framework_by_key

from ui.dates import when_text
from ui.errors import message_for
from ui.held_dialogs import HeldDialog, alive
from ui.judgements.conflict import JudgementConflictDialog
from ui.menus import plain
from ui.message_lines import message_line
from ui.operations import report_texts as ops
from ui.operations.report_texts import FieldKey, ReportState
from ui.report.accuracy import AccuracyPanel, ShareDraftDialog
from ui.report.quotations import QuotationsPanel
from ui.report.response_dialog import ResponseDialog
from ui.report.texts import TextsForm
from ui.state import AppState

SAVE_DELAY_MS = 500  # as the record editor and the judgement view


class ReportView(QWidget):
    open_record = Signal(str)  # a record id: open it in the editor
    message = Signal(str)  # words for the status bar

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._assessment_id: str | None = None
        self._framework: Framework | None = None
        self._dirty: set[FieldKey] = set()  # typed, not yet sent to the vault
        self._sending: Counter[FieldKey] = Counter()  # sent, not yet saved (a save on its way)
        self._choosing = 0  # choices of quotations on their way: the list shows the inspector's, not an older read
        self.texts_row: Any = None  # the ReportTextRow shown
        self._timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        self.dialog: QWidget | None = None
        self._pick: str | None = None  # a response just recorded: chosen in the table once it is read
        self._focus_wanted = False  # View → Report asked for the keys before the report was read
        self._dialog_held = HeldDialog()  # a dialog open when the vault locked (ui/held_dialogs.py)

        self.texts = TextsForm()
        self.texts.edited.connect(self.on_texts_edited)
        self.texts.conflict_requested.connect(self.open_conflict)
        texts_area = self.texts_area = QScrollArea()
        texts_area.setAccessibleName("The report's texts")
        texts_area.setWidgetResizable(True)
        texts_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        texts_area.setWidget(self.texts)
        self.quotations = QuotationsPanel()
        self.quotations.chosen_changed.connect(self.choose_quotations)
        self.quotations.open_record.connect(self.open_record)
        self.accuracy = AccuracyPanel()
        self.accuracy.share_requested.connect(self.open_share)
        self.accuracy.add_requested.connect(lambda: self.open_response(None))
        self.accuracy.edit_requested.connect(self.open_response)
        pages = self.pages = QTabWidget()
        pages.setAccessibleName("The report: texts, quotations and the factual accuracy check")
        pages.addTab(texts_area, "&Texts")
        pages.addTab(self.quotations, "&Quotations")
        pages.addTab(self.accuracy, "Factual a&ccuracy check")
        self.save_status = message_line("Save status")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(pages, 1)
        foot = self._foot = QHBoxLayout()
        foot.addWidget(self.save_status, 1)
        layout.addLayout(foot)
        self.action_buttons: list[QPushButton] = []

    def offer_actions(self, actions: list[QAction]) -> None:
        """Buttons at the foot for window commands that act on the report (File → Preview, Export, Publish):
        each triggers its action, enabled as it is. Without their Alt letters: File's menu has them."""
        for action in actions:
            button = QPushButton(plain(action.text()))
            button.setToolTip(action.toolTip())
            button.setEnabled(action.isEnabled())
            button.clicked.connect(lambda _checked=False, a=action: self._trigger(a))
            action.changed.connect(lambda a=action, b=button: (b.setEnabled(a.isEnabled()), b.setToolTip(a.toolTip())))
            self._foot.addWidget(button)
            self.action_buttons.append(button)

    def _trigger(self, action: QAction) -> None:
        self.save_now()  # the report is made from what is stored: the words just typed go in first
        action.trigger()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(300, 240)  # modest, as the judgement view's (see there): the tabs take what the window gives

    # -- what is shown ------------------------------------------------------------------------

    @property
    def assessment_id(self) -> str | None:
        return self._assessment_id

    def set_assessment(self, assessment_id: str | None, framework_key: str | None) -> None:
        """Show another assessment's report, or nothing; the same one again is read again."""
        if assessment_id == self._assessment_id:
            self.refresh()
            return
        self.save_now()
        self._assessment_id = assessment_id
        self._dialog_held.bring_back(assessment_id)
        self._framework = framework_by_key(framework_key) if framework_key else None
        self._dirty.clear()
        self._sending.clear()  # the other assessment's saves carry on; they hold none of this one's fields
        self.texts_row = None
        self.texts.clear()
        self.quotations.clear()
        self.accuracy.clear()
        self.save_status.setText("")
        if self._framework is not None:
            self.texts.set_themes([(t.id, t.name) for t in self._framework.themes])
        self.refresh()

    def set_lead(self, lead: str | None, i_lead: bool) -> None:
        """Only the lead inspector shares a draft, where the service names one (AssessmentRow.lead, .i_lead)."""
        self.accuracy.set_lead(lead, i_lead)

    def forget(self) -> None:
        """Show nothing (the vault is locking): no words left in the widgets. Saving comes first (save_now)."""
        self._timer.stop()
        self._dialog_held.hold(self._assessment_id, self.dialog)
        self._assessment_id, self._framework, self.texts_row = None, None, None
        self._dirty.clear()
        self._sending.clear()
        self._choosing = 0
        self.texts.clear()
        self.quotations.clear()
        self.accuracy.clear()
        self.save_status.setText("")

    def refresh(self) -> None:
        assessment_id = self._assessment_id
        if assessment_id is None:
            return
        ops.read(self._state, assessment_id).success(lambda found: self._show(assessment_id, found)).run_in_background()

    def _show(self, assessment_id: str, found: ReportState) -> None:
        if not alive(self) or assessment_id != self._assessment_id:
            return  # the window closed meanwhile (quitting), or another assessment is shown
        self.texts_row = found.texts
        self.texts.show_texts(found.texts, self._held())
        if not self._choosing:
            self.quotations.show_suggestions(found.suggestions)
        self.accuracy.show_check(found.drafts, found.responses, pick=self._pick)
        self._pick = None
        if self._focus_wanted:
            self._focus_wanted = False
            self.focus_first()

    def _held(self) -> set[FieldKey]:
        """The fields whose words are the inspector's, not yet in the vault: a read never replaces them."""
        return self._dirty | {key for key, count in self._sending.items() if count > 0}

    def focus_first(self) -> None:
        """The keys to the page shown: its first field or list."""
        page = self.pages.currentWidget()
        target = {self.texts_area: self.texts.summary, self.quotations: self.quotations.list, self.accuracy: self.accuracy.table}.get(page)
        if target is None:
            return
        if target.isEnabled() and self.texts.isEnabled():
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._focus_wanted = True  # once the report is read (the form is disabled until then)

    # -- the texts ----------------------------------------------------------------------------

    def on_texts_edited(self, key: FieldKey) -> None:
        self._dirty.add(key)
        self.save_status.setText("Editing…")
        # As the judgement view: the first unsaved edit starts the clock and later ones do not push
        # it back, so words typed without a pause are still saved every half second.
        if not self._timer.isActive():
            self._timer.start()

    def save_now(self) -> bool:
        """Send the fields typed in to the vault now (each onto the newest stored texts)."""
        self._timer.stop()
        if not self._dirty or self._assessment_id is None:
            return True
        typed = {key: self.texts.text(key) for key in self._dirty}
        self._dirty.clear()
        self._sending.update(typed.keys())
        assessment_id = self._assessment_id
        self.save_status.setText("Saving…")
        ops.save_fields(self._state, assessment_id, typed, initiator=self).success(
            lambda done: self._saved(assessment_id, typed, done.value)
        ).failure(lambda exc: self._not_saved(assessment_id, typed, exc)).run_in_background()
        return True

    def _sent(self, typed: dict[FieldKey, str]) -> None:
        self._sending.subtract(typed.keys())
        self._sending = +self._sending  # drop the counts at zero

    def _saved(self, assessment_id: str, typed: dict[FieldKey, str], row: Any) -> None:
        if not alive(self):
            return  # the window closed while the save ran (quitting): it is saved, there is nothing to show
        self._sent(typed)
        if assessment_id != self._assessment_id:
            return
        self.texts_row = row
        self.texts.show_texts(row, self._held())
        if not self._held():
            self.save_status.setText("Saved")

    def _not_saved(self, assessment_id: str, typed: dict[FieldKey, str], exc: BaseException) -> None:
        if not alive(self) or assessment_id != self._assessment_id:
            self._state.signals.error.emit(f"The report's texts were not saved: {message_for(exc)}")
            return
        self._sent(typed)
        self._dirty.update(typed.keys())  # still to save: the next edit or leaving tries again, the words stay
        self.save_status.setText(f"Not saved: {message_for(exc)}")

    def open_conflict(self) -> None:
        """Both versions of the texts side by side; keeping one ends the conflict."""
        assessment_id = self._assessment_id
        if assessment_id is None:
            return
        self.save_now()
        dialog = JudgementConflictDialog("Summary, narratives, progress and quotations", self, what="report's texts")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ops.conflict(self._state, assessment_id).success(dialog.show_conflict).run_in_background()

        def kept(_done: Any) -> None:
            dialog.accept()
            self.refresh()

        def keep(take: str) -> None:
            ops.resolve(self._state, assessment_id, take=take, initiator=self).success(kept).failure(
                lambda exc: dialog.refused(message_for(exc))
            ).run_in_background()

        dialog.keep.connect(keep)
        self.dialog = dialog
        dialog.open()

    # -- the quotations -----------------------------------------------------------------------

    def choose_quotations(self, refs: list[tuple[str, str]]) -> None:
        assessment_id = self._assessment_id
        if assessment_id is None:
            return
        self._choosing += 1
        ops.choose(self._state, assessment_id, refs, initiator=self).success(
            lambda done: self._chosen(assessment_id, done.value)
        ).failure(lambda exc: self._not_chosen(assessment_id, exc)).run_in_background()

    def _chosen(self, assessment_id: str, suggestions: tuple[Any, ...]) -> None:
        if not alive(self):
            return
        self._choosing = max(self._choosing - 1, 0)
        if assessment_id == self._assessment_id and not self._choosing:
            self.quotations.show_suggestions(suggestions)
            self.save_status.setText("Quotations saved")

    def _not_chosen(self, assessment_id: str, exc: BaseException) -> None:
        self._state.signals.error.emit(f"The quotations were not saved: {message_for(exc)}")
        if not alive(self):
            return
        self._choosing = max(self._choosing - 1, 0)
        if assessment_id == self._assessment_id:
            self.save_status.setText(f"Quotations not saved: {message_for(exc)}")
            self.refresh()  # the list shows what is stored

    # -- the factual accuracy check -----------------------------------------------------------

    def open_share(self) -> None:
        assessment_id = self._assessment_id
        if assessment_id is None:
            self.message.emit("Choose an assessment first (left).")
            return
        self.save_now()  # the draft is made from what is stored: the words just typed go in first
        dialog = ShareDraftDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def shared(done: Any) -> None:
            dialog.accept()
            self.message.emit(f"Draft shared on {when_text(done.value.shared_on)}: {len(done.value.paragraphs)} numbered paragraphs kept.")
            self.refresh()

        def chosen(day: date) -> None:
            ops.share_draft(self._state, assessment_id, day, initiator=self).success(shared).failure(
                lambda exc: dialog.refused(message_for(exc))
            ).run_in_background()

        dialog.chosen.connect(chosen)
        self.dialog = dialog
        dialog.open()

    def open_response(self, row: Any) -> None:
        """Add a response (row None) or edit one, in a dialog that stays open until it is recorded."""
        assessment_id = self._assessment_id
        drafts = self.accuracy.drafts_shared()
        if assessment_id is None or (row is None and not drafts):
            return
        dialog = ResponseDialog(drafts, row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def recorded(done: Any) -> None:
            dialog.accept()
            self._pick = done.value.id
            self.message.emit(f"Response on paragraph {done.value.content.paragraph} recorded.")
            self.refresh()

        def submitted(content: Any, response_id: str | None) -> None:
            ops.record_response(self._state, assessment_id, content, response_id, initiator=self).success(recorded).failure(
                dialog.refused
            ).run_in_background()

        dialog.submitted.connect(submitted)
        self.dialog = dialog
        dialog.open()

    # -- the vault changed --------------------------------------------------------------------

    def on_vault_changed(self, changes: Any, initiator: object) -> None:
        """A sync or another view changed the texts, responses or the passages suggested: read again
        (the fields being typed keep their words)."""
        if initiator is self or self._assessment_id is None:
            return
        if self._assessment_id in changes.judgements or changes.links or changes.records:
            self.refresh()
