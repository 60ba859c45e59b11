"""The judgement view (View → Judgements, Ctrl+J): the 17 quality statements by theme with their
scores on the left and the roll-up under them; the chosen statement's judgement in the middle; its
evidence, by category, on the right. What is typed is saved half a second later, as in the editor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QScrollArea, QSplitter, QTableView, QVBoxLayout, QWidget
from shiboken6 import isValid

from fieldapp.framework import Framework, framework_by_key

from ui.errors import message_for
from ui.held_dialogs import HeldDialog
from ui.judgements.conflict import JudgementConflictDialog
from ui.judgements.dialogs import FinalRatingDialog, RatingHistoryDialog, SnapshotDialog
from ui.judgements.evidence import EvidencePanel
from ui.judgements.form import JudgementForm
from ui.judgements.rollup import RollupPanel
from ui.judgements.statements import STATEMENT_ID_ROLE, StatementsModel, lines
from ui.operations import judgements as ops
from ui.state import AppState

SAVE_DELAY_MS = 500  # as the record editor: saved half a second after typing stops


class StatementsTable(QTableView):
    """The statements list: Up and Down choose; Tab goes on to the chosen statement's scores."""

    def __init__(self, form: JudgementForm) -> None:
        super().__init__()
        self._form = form

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002,N802 - Qt override
        if next and self._form.isEnabled() and self._form.focus_first():
            return True
        return super().focusNextPrevChild(next)


class JudgementView(QWidget):
    open_record = Signal(str)  # a record id: open it in the editor
    message = Signal(str)  # words for the status bar

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self._state = state
        self._assessment_id: str | None = None
        self._framework: Framework | None = None
        self._judgements: dict[str, Any] = {}
        self.rating: Any = None  # the RatingRow shown
        self._dirty = False  # the form holds words not yet sent to the vault
        self._reopen: tuple[str, str | None] | None = None  # (assessment, statement) chosen when the vault locked
        self._timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)
        self.dialog: QWidget | None = None
        self._dialog_held = HeldDialog()  # a dialog open when the vault locked (ui/held_dialogs.py)

        self.form = JudgementForm()
        self.model = StatementsModel()
        table = self.statements = StatementsTable(self.form)
        table.setAccessibleName("Quality statements and their scores")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)
        table.setWordWrap(True)  # a long statement's name on two lines rather than cut
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        table.selectionModel().currentRowChanged.connect(self.on_statements_current_changed)
        self.rollup = RollupPanel()
        self.rollup.final_requested.connect(self.open_final_rating)
        self.rollup.rules_chosen.connect(self.choose_rules)
        self.rollup.rounding_chosen.connect(self.choose_rounding)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(table)
        rollup_scroll = QScrollArea()
        rollup_scroll.setAccessibleName("Roll-up")
        rollup_scroll.setWidgetResizable(True)
        rollup_scroll.setWidget(self.rollup)
        rollup_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left.addWidget(rollup_scroll)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)

        self.form.edited.connect(self.on_form_edited)
        self.form.conflict_requested.connect(self.on_form_conflict_requested)
        form_scroll = self.form_area = QScrollArea()
        form_scroll.setAccessibleName("Judgement")
        form_scroll.setWidgetResizable(True)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        form_scroll.setWidget(self.form)

        self.evidence = EvidencePanel()
        self.evidence.open_record.connect(self.open_record)

        splitter = self.splitter = QSplitter()
        splitter.setObjectName("judgement-splitter")
        for widget, stretch in ((left, 3), (form_scroll, 4), (self.evidence, 3)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        splitter.setSizes([330, 470, 300])  # in proportion, whatever the width: the form needs the most
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Modest, like the evidence list beside it in the tabs: the three panes' own hints add up
        # to more than the tab's share, and the main window's splitter would give the tabs the
        # record editor's room for it (the editor is hidden while this view is shown anyway).
        return QSize(300, 240)

    # -- what is shown ------------------------------------------------------------------------

    @property
    def assessment_id(self) -> str | None:
        return self._assessment_id

    def current_statement_id(self) -> str | None:
        index = self.statements.currentIndex()
        return self.model.line(index.row()).statement_id or None if index.isValid() else None

    def set_assessment(self, assessment_id: str | None, framework_key: str | None) -> None:
        """Show another assessment (its first statement chosen), or nothing."""
        if assessment_id == self._assessment_id:
            self.refresh()  # shown again: what a sync or another laptop changed meanwhile comes in
            chosen = self.current_statement_id()
            if chosen and not self._dirty:
                self._reload_form(chosen)
            return
        self.save_now()
        self._assessment_id = assessment_id
        self._dialog_held.bring_back(assessment_id)
        self._framework = framework_by_key(framework_key) if framework_key else None
        self._judgements = {}
        self.model.set_lines([])
        self.form.setEnabled(False)
        self.evidence.clear()
        self.refresh()

    def set_lead(self, lead: str | None, i_lead: bool) -> None:
        """Who agrees judgements and sets the final rating (AssessmentRow.lead, .i_lead): only the
        lead's laptop is offered them where the service names a lead."""
        self.form.set_lead(lead, i_lead)
        self.rollup.set_lead(lead, i_lead)

    def forget(self) -> None:
        """Show nothing (the vault is locking): the next set_assessment reads everything again, and
        the statement that was chosen is chosen again (an id, not evidence: kept in memory, as the
        editor keeps the record it had open)."""
        self._timer.stop()
        self._dialog_held.hold(self._assessment_id, self.dialog)  # nothing in sight while locked; its words kept
        self._reopen = (self._assessment_id, self.current_statement_id()) if self._assessment_id else None
        self._assessment_id, self._framework, self._judgements, self.rating = None, None, {}, None
        self.model.set_lines([])
        self._dirty = False
        self.form.clear()
        self.evidence.clear()

    def refresh(self) -> None:
        """Read the judgements and the roll-up again (the chosen statement stays chosen)."""
        assessment_id = self._assessment_id
        if assessment_id is None:
            return
        ops.overview(self._state, assessment_id).success(lambda found: self._show_overview(assessment_id, *found)).run_in_background()

    def _show_overview(self, assessment_id: str, judgements: tuple[Any, ...], rating: Any, problem: str = "") -> None:
        if assessment_id != self._assessment_id or self._framework is None:
            return
        self._judgements = {row.statement_id: row for row in judgements}
        if rating is None:  # rules this app does not know: the judgements read, the roll-up says why not
            self.rating = None
            self.rollup.show_problem(problem)
        else:
            self._show_rating(rating)
        chosen = self.current_statement_id()
        if chosen is None and self._reopen is not None and self._reopen[0] == assessment_id:
            chosen = self._reopen[1]  # back after an unlock: where the inspector was
        self._reopen = None
        self.model.set_lines(lines(self._framework, self._judgements, rating.rollup if rating is not None else None))
        row = self.model.row_of(chosen or "")
        if row is None:
            row = next((r for r in range(self.model.rowCount()) if self.model.line(r).statement_id), None)
        if row is not None and self.statements.currentIndex().row() != row:
            self.statements.setCurrentIndex(self.model.index(row, 0))

    def _show_rating(self, rating: Any) -> None:
        self.rating = rating
        self.rollup.show_rating(rating)
        if self._framework is not None:
            self.model.set_lines(lines(self._framework, self._judgements, rating.rollup))

    def on_statements_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        statement_id = current.data(STATEMENT_ID_ROLE)
        if not statement_id or statement_id == self.form.statement_id:
            return
        leaving = self.form.heading.text()
        self.save_now()  # queued ahead of the read below: the worker takes them in order
        to_check = self.form.dates_to_check()
        if to_check:  # the form is about to show another statement: say it while it can be seen
            self.message.emit(f"{leaving}: saved, with a date to check ({'; '.join(to_check)})")
        # What the form held is sent or said: an untouched form shown next must not count as typed in.
        self._dirty = False
        self.load_statement(statement_id)

    def load_statement(self, statement_id: str) -> None:
        assessment_id = self._assessment_id
        if assessment_id is None:
            return
        ops.statement(self._state, assessment_id, statement_id).success(
            lambda found: self._show_statement(assessment_id, *found)
        ).run_in_background()

    def _show_statement(self, assessment_id: str, row: Any, evidence: Any) -> None:
        if assessment_id != self._assessment_id or row.statement_id != self.current_statement_id() or self._framework is None:
            return  # the inspector moved on meanwhile
        if self._dirty and row.statement_id == self.form.statement_id:
            self.form.show_state(row)  # words are being typed here: they stay
            return
        rules = self.rating.rules if self.rating is not None else None
        self.form.show_judgement(row, evidence, rules, self._framework)
        self.evidence.show_evidence(evidence)
        self._order_tabs()

    def _order_tabs(self) -> None:
        """Tab from the statements list through the judgement, then its evidence, then the roll-up's
        rules and final rating; Shift+Tab walks back the same way."""
        chain = [self.statements, *self.form.focus_chain(), self.evidence.tree, self.evidence.passage, self.rollup.rules, self.rollup.rounding_choice, self.rollup.final_button]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    def select_statement(self, statement_id: str) -> None:
        row = self.model.row_of(statement_id)
        if row is not None:
            self.statements.setCurrentIndex(self.model.index(row, 0))

    # -- saving -------------------------------------------------------------------------------

    def on_form_edited(self) -> None:
        self._dirty = True
        # As the record editor: the first unsaved edit starts the clock and later ones do not push
        # it back, so a rationale typed without a pause is still saved every half second (a kill
        # mid-sentence loses half a second, not the whole paragraph).
        if not self._timer.isActive():
            self._timer.start()

    def save_now(self) -> bool:
        """Send what the form holds to the vault now (a date that does not read is kept as typed and
        said in the save status). True once sent or when there was nothing to send."""
        self._timer.stop()
        if not self._dirty or self._assessment_id is None or self.form.statement_id is None:
            return True
        problems: list[str] = []
        as_typed: dict[str, str] = {}
        content = self.form.content(problems, as_typed)
        # A date that does not read is kept as typed beside the judgement, as a record's is: all is sent.
        self._dirty = False
        assessment_id, statement_id = self._assessment_id, self.form.statement_id
        self.form.save_status.setText("Saving…")
        ops.save(self._state, assessment_id, statement_id, content, as_typed=as_typed, initiator=self).success(
            lambda done: self._saved(assessment_id, *done.value, problems=problems)
        ).failure(lambda exc: self._not_saved(statement_id, exc)).run_in_background()
        return True

    def _saved(self, assessment_id: str, row: Any, rating: Any, *, problems: list[str]) -> None:
        if assessment_id != self._assessment_id:
            return
        self._judgements[row.statement_id] = row
        self._show_rating(rating)
        if row.statement_id == self.form.statement_id:
            self.form.show_state(row)
            if problems:
                self.form.save_status.setText(f"Saved, with a date to check: {'; '.join(problems)}")
            elif not self._dirty:
                self.form.save_status.setText("Saved")

    def _not_saved(self, statement_id: str, exc: BaseException) -> None:
        if statement_id == self.form.statement_id:
            self._dirty = True  # still to save: the next edit or leaving tries again
            self.form.save_status.setText(f"Not saved: {message_for(exc)}")
        else:
            self.message.emit(f"A judgement was not saved: {message_for(exc)}")

    # -- the rating ---------------------------------------------------------------------------

    def choose_rules(self, key: str) -> None:
        if self._assessment_id is None or (self.rating is not None and self.rating.rules.key == key):
            return
        self.save_now()
        ops.set_rules(self._state, self._assessment_id, key, initiator=self).success(
            lambda _done: self._after_rules()
        ).failure(lambda exc: self.message.emit(f"The scoring rules were not changed: {message_for(exc)}")).run_in_background()

    def choose_rounding(self, rounding: str) -> None:
        if self._assessment_id is None or (self.rating is not None and self.rating.rounding == rounding):
            return
        self.save_now()
        ops.set_rounding(self._state, self._assessment_id, rounding, initiator=self).success(
            lambda _done: self._after_rules()
        ).failure(lambda exc: self.message.emit(f"The rounding was not changed: {message_for(exc)}")).run_in_background()

    def _after_rules(self) -> None:
        chosen = self.current_statement_id()
        self.form.setEnabled(False)
        self._forget_form()
        self.refresh()
        if chosen:
            self.load_statement(chosen)

    def _forget_form(self) -> None:
        self.form._row = None  # the form is shown again with the new rules' inputs
        self._dirty = False

    def open_final_rating(self) -> None:
        if self.rating is None or self._assessment_id is None:
            return
        dialog = FinalRatingDialog(self.rating, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        assessment_id = self._assessment_id

        def done(_done: Any) -> None:
            dialog.accept()
            self.refresh()

        def chosen(score: int | None, reason: str) -> None:
            ops.set_final(self._state, assessment_id, score, reason, initiator=self).success(done).failure(
                lambda exc: dialog.refused(message_for(exc))
            ).run_in_background()

        dialog.chosen.connect(chosen)
        self.dialog = dialog
        dialog.open()

    def open_snapshot(self, kind: str) -> None:
        """Publish a snapshot ("published") or record a review ("review"); refused, in the core's words, while a conflict is open."""
        if self._assessment_id is None:
            self.message.emit("Choose an assessment first (left).")
            return
        self.save_now()
        # The rating as read now, behind the save just queued: until then the words say it is being read,
        # never "no rating yet" for a rating this view has not read (opened from File, Judgements unseen).
        dialog = SnapshotDialog(kind, self._rating_words() if self.rating is not None else "reading the rating…", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        assessment_id = self._assessment_id

        def read(found: tuple[Any, ...]) -> None:
            self._show_overview(assessment_id, *found)
            if isValid(dialog) and assessment_id == self._assessment_id:
                dialog.show_rating(self._rating_words())

        ops.overview(self._state, assessment_id).success(read).run_in_background()

        def done(_done: Any) -> None:
            dialog.accept()
            self.message.emit("Review recorded." if dialog.kind == "review" else "Rating snapshot published.")

        def confirmed(kind: str, note: str) -> None:
            ops.snapshot(self._state, assessment_id, kind=kind, note=note, initiator=self).success(done).failure(
                lambda exc: dialog.refused(message_for(exc))
            ).run_in_background()

        dialog.confirmed.connect(confirmed)
        self.dialog = dialog
        dialog.open()

    def open_history(self) -> None:
        if self._assessment_id is None:
            self.message.emit("Choose an assessment first (left).")
            return
        dialog = RatingHistoryDialog(self.rating.rules.notice if self.rating is not None else "", self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        framework = self._framework
        names: dict[str, str] = {}  # each theme, then its statements, in the framework's order
        for theme in framework.themes if framework is not None else ():
            names[theme.id] = theme.name
            names.update((statement.id, statement.name) for statement in framework.statements_in(theme.id))
        ops.history(self._state, self._assessment_id).success(lambda points: dialog.show_history(points, names)).failure(
            lambda exc: dialog.summary.setText(message_for(exc))
        ).run_in_background()
        dialog.open()

    def _rating_words(self) -> str:
        row = self.rating
        if row is None or row.score is None:
            return "no rating yet"
        words = f"{row.rating} ({row.score})"
        return f"provisional: {words}, {row.rollup.scored} of {row.rollup.total} scored" if row.rollup.provisional else words

    # -- the vault changed --------------------------------------------------------------------

    def on_vault_changed(self, changes: Any, initiator: object) -> None:
        """Another view or a sync changed judgements, or the evidence behind them: read again."""
        if initiator is self or self._assessment_id is None:
            return
        touched: frozenset[str] = changes.judgements
        if self._assessment_id in touched or changes.links or changes.records:
            self.refresh()
            chosen = self.current_statement_id()
            if chosen and not self._dirty:
                self._reload_form(chosen)

    def _reload_form(self, statement_id: str) -> None:
        self._forget_form()
        self.load_statement(statement_id)

    def on_form_conflict_requested(self) -> None:
        """Both versions of the judgement side by side; keeping one ends the conflict."""
        statement_id, assessment_id, framework = self.form.statement_id, self._assessment_id, self._framework
        if statement_id is None or assessment_id is None or framework is None:
            return
        dialog = JudgementConflictDialog(framework.statement(statement_id).name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ops.conflict(self._state, assessment_id, statement_id).success(dialog.show_conflict).run_in_background()

        def kept(_done: Any) -> None:
            dialog.accept()
            self._reload_form(statement_id)
            self.refresh()

        def keep(take: str) -> None:
            ops.resolve(self._state, assessment_id, statement_id, take=take, initiator=self).success(kept).failure(
                lambda exc: dialog.refused(message_for(exc))
            ).run_in_background()

        dialog.keep.connect(keep)
        self.dialog = dialog
        dialog.open()
