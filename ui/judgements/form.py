"""The judgement of one quality statement as a form: its scores (one per evidence category that
applies, or one for the statement, as the assessment's rules say), each existing or updated with
the date of its evidence; the strengths and areas requiring improvement; the key evidence, chosen
from the statement's evidence (suggested first); and its status, draft or agreed.

The form only shows and reads: the view saves what it reads (ui/operations/judgements.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fieldapp import dates as core_dates
from fieldapp import ratings
from fieldapp.domain import EvidenceRef, JudgementContent, ScoreEntry
from fieldapp.errors import FieldappError, UnreadableDate
from fieldapp.judgements import evidence_date_path

from ui.message_lines import conflict_line, message_line
from ui.dates import day_first, read_when, when_text
from ui.theme import colors
from ui.wheel_safe import WheelSafeComboBox
from ui.when_edit import WhenEdit

STATEMENT_KEY = ratings.STATEMENT  # the one score of a statement scored by judgement
REF_ROLE = Qt.ItemDataRole.UserRole
BASES = (("updated", "Updated"), ("existing", "Existing"))
STATUSES = (("draft", "Draft"), ("agreed", "Agreed by the lead inspector"))


class ScoreBox(WheelSafeComboBox):
    """A score's box: the keys 1 to 4 choose that score at once (not Qt's search by the text typed
    in the last moment, which took "3" then "2" for "32"); Delete or Backspace clears it."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        text = event.text()
        if text in ("1", "2", "3", "4"):
            self.setCurrentIndex(self.findData(int(text)))
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.setCurrentIndex(0)
            return
        super().keyPressEvent(event)


class ScoreRow:
    """The widgets of one score: what is scored, the score, existing or updated, the evidence date."""

    def __init__(self, key: str, name: str, labels: dict[int, str], parent: QWidget) -> None:
        self.key = key
        self.name = QLabel(name, parent)
        self.name.setWordWrap(True)
        font = self.name.font()
        font.setItalic(True)
        self.name.setFont(font)
        self.score = ScoreBox(parent)
        self.score.setAccessibleName(f"Score for {name}")
        self.score.setToolTip("Type 1 to 4 to score; Delete clears")
        self.score.addItem("– not scored", None)
        for score in (1, 2, 3, 4):
            self.score.addItem(f"{score} {labels.get(score, '')}".strip(), score)
        self.basis = WheelSafeComboBox(parent)
        self.basis.setAccessibleName(f"Existing or updated, {name}")
        self.basis.setToolTip("Updated: scored on this assessment's evidence. Existing: carried over from an earlier assessment.")
        for value, words in BASES:
            self.basis.addItem(words, value)
        self.date = WhenEdit("", f"Date of the evidence, {name}", parent)
        self.date.setToolTip("The date of the evidence this score rests on, day first")
        # A day, not a time: the when fields' long hint ("e.g. 21/11/2026 14:30, …") was cut to
        # "e.g. 21/11/…" in this narrow column (which has no room for a longer one at 1366×768).
        self.date.setPlaceholderText("dd/mm/yyyy" if day_first() else "mm/dd/yyyy")
        metrics = self.date.fontMetrics()
        # No wider than the day itself needs: at 1366×768 the form has not a pixel more (it was cut on the right).
        self.date.setMinimumWidth(metrics.horizontalAdvance("21/11/2026") + metrics.height() * 2 + 16)  # the day whole, and its calendar button
        # Under the row, where the eyes are: a date that does not read is said here, not only at
        # the foot of a form that is scrolled out of sight at 1366×768.
        self.note = QLabel("", parent)
        self.note.setAccessibleName(f"Problem with the evidence date, {name}")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {colors().flag};")
        self.date.editingFinished.connect(self.check_date)

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.name, self.score, self.basis, self.date, self.note)

    def date_problem(self) -> str:
        """Why the evidence date as typed does not read, in the core's words ("" when it reads, or is empty)."""
        text = self.date.text().strip()
        if not text:
            return ""
        try:
            read_when(text)
        except UnreadableDate as exc:
            return _day_unreadable(text, exc)
        return ""

    def check_date(self) -> None:
        """Show or hide the note under the row as the date now reads."""
        problem = self.date_problem()
        self.note.setText(f"⚠ A date to check: {problem}" if problem else "")
        self.note.setVisible(bool(problem))

    def show(self, entry: ScoreEntry | None, typed: str = "") -> None:
        """Show a score as stored; typed is its evidence date kept as typed (it does not read yet)."""
        self.score.setCurrentIndex(max(self.score.findData(entry.score), 0) if entry else 0)
        self.basis.setCurrentIndex(max(self.basis.findData(entry.basis), 0) if entry else 0)
        self.date.setText(typed if entry and typed else when_text(entry.evidence_date) if entry and entry.evidence_date else "")
        self.check_date()

    def entry(self, problems: list[str], as_typed: dict[str, str]) -> ScoreEntry | None:
        """The score as typed; None when not scored. A date that does not read is kept as typed in
        as_typed (the score's date left empty, as a record's is) and problems say why."""
        value = self.score.currentData()
        if value is None:
            return None
        text = self.date.text().strip()
        try:
            day = core_dates.day_of(read_when(text)) if text else None
            kept = day.isoformat() if day else ""
        except UnreadableDate as exc:
            problems.append(f"the evidence date for {self.name.text()}: {_day_unreadable(text, exc)}")
            as_typed[evidence_date_path(self.key)] = text
            kept = ""
            if not self.date.hasFocus():  # while it is being typed, leaving the field says it
                self.check_date()
        return ScoreEntry(score=int(value), basis=str(self.basis.currentData()), evidence_date=kept)


class JudgementForm(QWidget):
    edited = Signal()  # () the inspector changed something: the view saves it shortly
    conflict_requested = Signal()  # () see both versions of a judgement in conflict

    def __init__(self) -> None:
        super().__init__()
        self._loading = False
        self._rows: list[ScoreRow] = []
        self._rules: Any = None
        self._row: Any = None
        self._evidence: Any = None  # the statement's StatementEvidence, to say which scores rest on none
        layout = self._layout = QVBoxLayout(self)
        self.heading = QLabel("Choose a quality statement on the left.")
        self.heading.setAccessibleName("Quality statement")
        self.heading.setWordWrap(True)
        font = QFont(self.heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.description = message_line("Statement description")
        layout.addWidget(self.description)
        self.conflict, self.conflict_button = conflict_line(layout, "the judgement")
        self.conflict_button.clicked.connect(self.conflict_requested)
        self.scores_box = QWidget()
        self.scores = QGridLayout(self.scores_box)
        self.scores.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scores_box)
        self.result = message_line("Statement score")
        layout.addWidget(self.result)
        self.strengths = self._text("Stren&gths", "Strengths: what the evidence shows is working")
        self.improvements = self._text("Areas requiring &improvement", "Areas requiring improvement")
        key_label = QLabel("&Key evidence (Space chooses; suggested first)")
        key_label.setWordWrap(True)
        self.key_evidence = QListWidget()
        self.key_evidence.setAccessibleName("Key evidence")
        self.key_evidence.setMinimumHeight(90)
        self.key_evidence.itemChanged.connect(lambda _item: self._changed())
        key_label.setBuddy(self.key_evidence)
        layout.addWidget(key_label)
        layout.addWidget(self.key_evidence, 1)
        status = QHBoxLayout()
        status_label = QLabel("Stat&us")
        self.status = WheelSafeComboBox()
        self.status.setAccessibleName("Status")
        for value, words in STATUSES:
            self.status.addItem(words, value)
        self.status.currentIndexChanged.connect(lambda _i: self._changed())
        status_label.setBuddy(self.status)
        status.addWidget(status_label)
        status.addWidget(self.status, 1)
        layout.addLayout(status)
        self.who = message_line("Who scored and agreed")
        layout.addWidget(self.who)
        self.save_status = message_line("Save status")
        layout.addWidget(self.save_status)
        self.setEnabled(False)

    def _text(self, label_text: str, accessible: str) -> QPlainTextEdit:
        label = QLabel(label_text)
        edit = QPlainTextEdit()
        edit.setAccessibleName(accessible)
        edit.setTabChangesFocus(True)  # Tab moves on; the text is a rationale, not a table
        lines = edit.fontMetrics().lineSpacing()
        edit.setMinimumHeight(lines * 3 + 12)
        edit.setMaximumHeight(lines * 6 + 12)  # longer words scroll inside; the key evidence keeps its room
        edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        edit.textChanged.connect(self._changed)
        label.setBuddy(edit)
        self._layout.addWidget(label)
        self._layout.addWidget(edit)
        return edit

    # -- showing ------------------------------------------------------------------------------

    @property
    def statement_id(self) -> str | None:
        return self._row.statement_id if self._row is not None else None

    def show_judgement(self, row: Any, evidence: Any, rules: Any, framework: Any) -> None:
        """Show a statement's judgement (row.exists False: not scored yet) with the score inputs its rules ask for."""
        self._loading = True
        try:
            self._row, self._rules, self._evidence = row, rules, evidence
            statement = framework.statement(row.statement_id)
            self.heading.setText(f"{statement.name} ({framework.theme_of(row.statement_id).name})")
            self.description.setText(statement.description)
            self._build_scores(_score_keys(rules, framework, row), rules)
            content = row.content
            typed = getattr(row, "as_typed", {})
            for score_row in self._rows:
                score_row.show(content.scores.get(score_row.key), typed.get(evidence_date_path(score_row.key), ""))
            if self.strengths.toPlainText() != content.strengths:
                self.strengths.setPlainText(content.strengths)
            if self.improvements.toPlainText() != content.improvements:
                self.improvements.setPlainText(content.improvements)
            self._fill_key_evidence(evidence, content.key_evidence)
            self.status.setCurrentIndex(max(self.status.findData(content.status), 0))
            self.show_state(row)
            self.save_status.setText("" if row.exists else "Not scored yet.")
            self._show_result()
            self.setEnabled(True)
        finally:
            self._loading = False

    def show_state(self, row: Any) -> None:
        """Who scored and agreed, and the conflict banner, from the judgement as stored."""
        self._row = row
        content = row.content
        who = [f"Scored by {content.scored_by}" if content.scored_by else "", f"agreed by {content.agreed_by}" if content.agreed_by else ""]
        self.who.setText("; ".join(w for w in who if w))
        self.conflict.setText(
            "⚠ This judgement was changed in different ways on two laptops; both versions are kept. "
            "See them side by side and keep one." if row.conflict else ""
        )  # fmt: skip
        self.conflict.setVisible(bool(row.conflict))
        self.conflict_button.setVisible(bool(row.conflict))

    def _build_scores(self, keys: list[tuple[str, str]], rules: Any) -> None:
        """One block per score: what is scored on a line of its own, then score, basis and date
        side by side (the names are long and the pane is narrow at 1366×768)."""
        if [r.key for r in self._rows] == [k for k, _n in keys]:
            return
        for score_row in self._rows:
            for widget in score_row.widgets():
                self.scores.removeWidget(widget)
                widget.deleteLater()
        self._rows = []
        labels = dict(getattr(rules, "labels", {}) or {})
        if self.scores.itemAtPosition(0, 0) is None:
            for column, words in enumerate(("Score", "Existing or updated", "Evidence date")):
                self.scores.addWidget(QLabel(words), 0, column)
        self.scores_box.setVisible(bool(keys))
        for index, (key, name) in enumerate(keys):
            score_row = ScoreRow(key, name, labels, self.scores_box)
            line = 1 + 3 * index
            self.scores.addWidget(score_row.name, line, 0, 1, 3)
            for column, widget in enumerate((score_row.score, score_row.basis, score_row.date)):
                self.scores.addWidget(widget, line + 1, column)
            self.scores.addWidget(score_row.note, line + 2, 0, 1, 3)
            for widget in score_row.widgets():
                # Shown now: Qt shows a child added to a visible box only on a later turn of the
                # event loop, and a Tab or a keystroke may come first (seen after an unlock).
                widget.show()
            score_row.note.hide()
            score_row.score.currentIndexChanged.connect(lambda _i: self._score_changed())
            score_row.basis.currentIndexChanged.connect(lambda _i: self._changed())
            score_row.date.textEdited.connect(lambda _t: self._changed())
            self._rows.append(score_row)
        for column, stretch in enumerate((3, 2, 0)):
            self.scores.setColumnStretch(column, stretch)

    def _fill_key_evidence(self, evidence: Any, chosen: tuple[EvidenceRef, ...]) -> None:
        """Chosen first, then the rest as the core suggests them (passages before whole records)."""
        self.key_evidence.blockSignals(True)
        self.key_evidence.clear()
        picked = {(ref.record_id, ref.link_id) for ref in chosen}
        items = [item for _cid, _name, group in evidence.by_category for item in group]
        seen: set[tuple[str, str]] = set()
        ordered = sorted(items, key=lambda e: ((e.record_id, e.link_id) not in picked, not e.passage_text))
        for item in ordered:
            ref = (item.record_id, item.link_id)
            if ref in seen:
                continue
            seen.add(ref)
            words = f"{item.title or 'Untitled record'}" + (f": “{_short(item.passage_text)}”" if item.passage_text else " (whole record)")
            if item.removed:
                words += " (removed)"
            entry = QListWidgetItem(words)
            entry.setToolTip(item.passage_text or words)
            entry.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if ref in picked else Qt.CheckState.Unchecked)
            entry.setData(REF_ROLE, ref)
            self.key_evidence.addItem(entry)
        for kept in chosen:  # chosen once, its record since gone from the statement's evidence: kept
            if (kept.record_id, kept.link_id) not in seen:
                entry = QListWidgetItem("A record no longer tagged to this statement (removed)")
                entry.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
                entry.setCheckState(Qt.CheckState.Checked)
                entry.setData(REF_ROLE, (kept.record_id, kept.link_id))
                self.key_evidence.addItem(entry)
        if self.key_evidence.count():
            self.key_evidence.setCurrentRow(0)
        self.key_evidence.blockSignals(False)

    # -- reading ------------------------------------------------------------------------------

    def content(self, problems: list[str] | None = None, as_typed: dict[str, str] | None = None) -> JudgementContent:
        """What the form holds, as a judgement's content; a date that does not read is kept in
        as_typed (by path, as the vault keeps it) and said in problems."""
        assert self._row is not None
        problems = problems if problems is not None else []
        as_typed = as_typed if as_typed is not None else {}
        shown = {r.key for r in self._rows}
        # Scores the form does not show (made under other rules) are kept as they are.
        scores = {key: entry for key, entry in self._row.content.scores.items() if key not in shown}
        for score_row in self._rows:
            entry = score_row.entry(problems, as_typed)
            if entry is not None:
                scores[score_row.key] = entry
        refs = []
        for index in range(self.key_evidence.count()):
            item = self.key_evidence.item(index)
            if item.checkState() == Qt.CheckState.Checked:
                record_id, link_id = item.data(REF_ROLE)
                refs.append(EvidenceRef(record_id, link_id))
        base = self._row.content
        return JudgementContent(
            statement_id=self._row.statement_id,
            scores=scores,
            strengths=self.strengths.toPlainText(),
            improvements=self.improvements.toPlainText(),
            key_evidence=tuple(refs),
            status=str(self.status.currentData()),
            scored_by=base.scored_by,
            agreed_by=base.agreed_by,
        )

    def set_lead(self, lead: str | None, i_lead: bool) -> None:
        """Where the service names a lead inspector and it is not this laptop's, "Agreed" is not
        offered (a judgement already agreed still shows so); the tooltip says who agrees."""
        agreed = self.status.model().item(self.status.findData("agreed"))  # type: ignore[attr-defined]
        agreed.setEnabled(i_lead)
        self.status.setToolTip("" if i_lead or not lead else f"Only the lead inspector, {lead}, agrees judgements.")

    def clear(self) -> None:
        """Show no judgement (the vault is locking): no words or evidence left in the widgets."""
        self._loading = True
        try:
            self._row = self._evidence = None
            for score_row in self._rows:
                score_row.show(None)
            self.strengths.clear()
            self.improvements.clear()
            self.key_evidence.clear()
            self.heading.setText("Choose a quality statement on the left.")
            for label in (self.description, self.result, self.who, self.save_status, self.conflict):
                label.setText("")
            self.setEnabled(False)
        finally:
            self._loading = False

    def focus_first(self) -> bool:
        """Put the keys in the first score (or, with none to give, the strengths); False if nothing can take them."""
        first = self._rows[0].score if self._rows else self.strengths
        if not first.isEnabled():
            return False
        first.setFocus(Qt.FocusReason.TabFocusReason)
        return True

    def dates_to_check(self) -> list[str]:
        """Each scored row's evidence date that does not read, with why (kept as typed, to correct)."""
        return [
            f"the evidence date for {r.name.text()}: {problem}"
            for r in self._rows
            if r.score.currentData() is not None and (problem := r.date_problem())
        ]

    def score_rows(self) -> list[ScoreRow]:
        return list(self._rows)

    def focus_chain(self) -> list[QWidget]:
        """What Tab visits, in reading order: each score, its basis and date, then the words, the
        key evidence and the status. (The score rows are made after the rest of the form, so Qt's
        own order, by creation, put them last and went from the last date out of the view.)"""
        rows: list[QWidget] = [w for r in self._rows for w in (r.score, r.basis, r.date)]
        return [self.conflict_button, *rows, self.strengths, self.improvements, self.key_evidence, self.status]  # as they stand

    def _score_changed(self) -> None:
        """A score changed: an agreed judgement shows as a draft at once, as the vault will keep it
        (what was agreed is not what it says now), for the lead inspector to agree it again."""
        if not self._loading and self._row is not None and self.status.currentData() == "agreed":
            self.status.setCurrentIndex(self.status.findData("draft"))
            self.who.setText("Back to draft: a score changed after it was agreed. Agree it again under Status.")
        self._changed()

    def _changed(self) -> None:
        if self._loading or self._row is None:
            return
        self._show_result()
        self.save_status.setText("Editing…")
        self.edited.emit()

    def _show_result(self) -> None:
        """The statement's score as the form stands, computed here at once (the roll-up follows the save)."""
        values = {r.key: int(r.score.currentData()) for r in self._rows if r.score.currentData() is not None}
        if self._rules is None or getattr(self._rules, "mode", "") == "judgement_only":
            self.result.setText("")
            return
        try:
            result = ratings.statement_score(values, self._rules) if values else None
        except (FieldappError, UnreadableDate) as exc:
            self.result.setText(str(exc))
            return
        if result is None:
            words = "Statement score: not scored yet."
        elif len(values) == 1:
            words = f"Statement score: {result.score} ({_label(self._rules, result.score)})."
        else:
            other = "down" if getattr(self._rules, "rounding", "half_up") == "half_up" else "up"
            words = (
                f"Statement score: {result.score} ({_label(self._rules, result.score)}), from {len(values)} categories: "
                f"{result.percent_text()}%, shown as {result.shown}%."
                + (f" ⚠ Rounding half {other} would give another score." if result.rounding_sensitive else "")
            )
        unsupported = self._unsupported()
        if unsupported:
            words += f" ⚠ No evidence is tagged for {_and_list(unsupported)}: tag some, or say why in the rationale."
        self.result.setText(words)

    def _unsupported(self) -> list[str]:
        """What is scored with no evidence tagged to it (removed records not counted): a score the
        evidence list cannot show the grounds for, as the coverage grid's gaps say too."""
        evidence, scored = self._evidence, [r for r in self._rows if r.score.currentData() is not None]
        if evidence is None or not scored:
            return []
        if any(r.key == STATEMENT_KEY for r in scored):
            return ["the statement"] if evidence.total == 0 else []
        live = {cid: sum(1 for item in items if not item.removed) for cid, _name, items in evidence.by_category}
        return [r.name.text() for r in scored if live.get(r.key, 0) == 0]


def _score_keys(rules: Any, framework: Any, row: Any) -> list[tuple[str, str]]:
    """What is scored: each category that applies to the statement, or the statement as a whole."""
    mode = getattr(rules, "mode", "by_category")
    if mode == "judgement_only":
        return []  # the rating is chosen directly: a statement carries its rationale, no score
    if mode == "by_statement":
        return [(STATEMENT_KEY, "The statement as a whole")]
    applies = getattr(framework, "categories_for", None)
    categories = applies(row.statement_id) if callable(applies) else framework.categories
    return [(c.id, c.name) for c in categories]


_EXAMPLE_DAY, _EXAMPLE_DAY_MONTH_FIRST = "21/11/2026", "11/21/2026"


def _day_unreadable(text: str, exc: UnreadableDate) -> str:
    """Why an evidence date does not read: the core's own words where it names a reason ("February
    2026 has no day 31"), else a day's example (its general words speak of a date and time)."""
    example = _EXAMPLE_DAY if day_first() else _EXAMPLE_DAY_MONTH_FIRST
    reason = str(exc) if "is not a date and time I can read" not in str(exc) else f"'{text}' is not a date I can read. Type it like {example}, 21 Nov or yesterday."
    return f"{reason} {KEPT_AS_TYPED}"


KEPT_AS_TYPED = "Kept as you typed it on this laptop; colleagues see no date here until it reads as one."


def _and_list(names: list[str]) -> str:
    """'People's experience, Outcomes and Processes'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _label(rules: Any, score: int) -> str:
    return str((getattr(rules, "labels", {}) or {}).get(score, ""))


def _short(text: str, limit: int = 90) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[:limit].rstrip() + "…"


