"""The judgement view's dialogs: the final rating by professional judgement (a reason whenever it
differs from the computed one), publishing a snapshot or recording a review, and the rating history.

Each dialog asks; the view does the work and tells the dialog how it went (refused: the core's
words in the dialog, which stays open; done: it closes).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fieldapp import ratings

from ui.message_lines import message_line
from ui.dates import when_text

REASON_NEEDED = "Write the reason for a final rating that differs from the computed one: it is kept with the rating and shown in the report."
KIND_WORDS = {"published": "Published", "review": "Review, unchanged"}


class FinalRatingDialog(QDialog):
    chosen = Signal(object, str)  # (final score 1–4, or None to follow the computed rating; the reason)

    def __init__(self, rating_row: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Final rating")
        self._computed = rating_row.computed_score
        layout = QVBoxLayout(self)
        computed = f"{rating_row.computed_rating} ({rating_row.computed_score})" if rating_row.computed_score is not None else "none yet"
        intro = QLabel(f"The computed rating is {computed}. The team may set a different final rating by professional "
                       "judgement, with its reason; both are kept.")  # fmt: skip
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.score = QComboBox()
        self.score.setAccessibleName("Final rating")
        self.score.addItem("Follow the computed rating", None)
        for value, words in ratings.RATINGS.items():
            self.score.addItem(f"{value} {words}", value)
        self.score.setCurrentIndex(max(self.score.findData(rating_row.final_score), 0))
        label = QLabel("Final ra&ting")
        label.setBuddy(self.score)
        layout.addWidget(label)
        layout.addWidget(self.score)
        reason_label = QLabel("Re&ason (professional judgement)")
        self.reason = QPlainTextEdit(rating_row.reason or "")
        self.reason.setAccessibleName("Reason for the final rating")
        self.reason.setTabChangesFocus(True)
        self.reason.textChanged.connect(self._on_reason_changed)
        reason_label.setBuddy(self.reason)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        notice = message_line("About the scoring rules", selectable=False)
        notice.setText(rating_row.rules.notice)
        notice.setStyleSheet("color: palette(placeholder-text)")
        layout.addWidget(notice)
        self.message = message_line("Why the final rating was not set", selectable=False)
        layout.addWidget(self.message)
        buttons = self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(480, 320)

    def on_buttons_accepted(self) -> None:
        score, reason = self.score.currentData(), self.reason.toPlainText().strip()
        if score is not None and score != self._computed and not reason:
            self.message.setText(REASON_NEEDED)
            self.reason.setFocus()
            return
        self.message.setText("Saving…")
        self.chosen.emit(score, reason)

    def _on_reason_changed(self) -> None:
        # The request for a reason goes once one is written: left up, it read as still refused.
        if self.message.text() == REASON_NEEDED and self.reason.toPlainText().strip():
            self.message.setText("")

    def refused(self, message: str) -> None:
        self.message.setText(f"Not set: {message}")


class SnapshotDialog(QDialog):
    """Publish a rating snapshot, or record a review without a change; both signed and immutable."""

    confirmed = Signal(str, str)  # (kind "published" | "review", note)

    def __init__(self, kind: str, rating_words: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("Record rating review" if kind == "review" else "Publish rating snapshot")
        layout = QVBoxLayout(self)
        self.words = QLabel()
        self.words.setWordWrap(True)
        layout.addWidget(self.words)
        self.show_rating(rating_words)
        label = QLabel("&Note")
        self.note = QPlainTextEdit("Reviewed, score unchanged." if kind == "review" else "")
        self.note.setAccessibleName("Note")
        self.note.setTabChangesFocus(True)
        label.setBuddy(self.note)
        layout.addWidget(label)
        layout.addWidget(self.note)
        self.message = message_line("Why it was not saved", selectable=False)
        layout.addWidget(self.message)
        buttons = self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Record review" if kind == "review" else "Publish")
        buttons.accepted.connect(self.on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(480, 280)

    def show_rating(self, rating_words: str) -> None:
        """Say which rating is kept: the view's own may not be read yet (File menu, Judgements never
        opened) or be a moment old, so the view reads it again and says it here once read."""
        today = when_text(date.today().isoformat())
        if self.kind == "review":
            self.words.setText(f"Record that the scores and the rating were reviewed on {today} and are unchanged ({rating_words}). "
                               "The review is signed, kept in the history, and never changes afterwards.")  # fmt: skip
        else:
            self.words.setText(f"Publish every score, the theme scores and the rating ({rating_words}) as they stand on {today}. "
                               "The snapshot is signed, shared with the team, and never changes afterwards.")  # fmt: skip

    def on_buttons_accepted(self) -> None:
        self.message.setText("Saving…")
        self.confirmed.emit(self.kind, self.note.toPlainText().strip())

    def refused(self, message: str) -> None:
        self.message.setText(f"Not saved: {message}")


class RatingHistoryDialog(QDialog):
    """Snapshots over time, newest last: the overall score and rating, reviews marked, and every
    change of level (overall, a theme or a statement moving to another rating) flagged."""

    HEADERS = ("Date", "What", "Overall", "Rating", "Changes of level")

    def __init__(self, notice: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rating history")
        self.resize(900, 500)
        layout = QVBoxLayout(self)
        self.summary = message_line("Rating history summary", selectable=False)
        layout.addWidget(self.summary)
        self.notice = message_line("About the scoring rules", selectable=False)
        self.notice.setText(notice)
        self.notice.setStyleSheet("color: palette(placeholder-text)")
        layout.addWidget(self.notice)
        table = self.table = QTableWidget(0, len(self.HEADERS))
        table.setAccessibleName("Rating snapshots over time")
        table.setHorizontalHeaderLabels(list(self.HEADERS))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(self.HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        table.currentCellChanged.connect(lambda row, _c, _r, _p: self._show_details(row))
        layout.addWidget(table, 3)
        self.details = QTextBrowser()
        self.details.setAccessibleName("The chosen snapshot in full")
        layout.addWidget(self.details, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._points: tuple[Any, ...] = ()
        self._names: dict[str, str] = {}

    def show_history(self, points: tuple[Any, ...], names: dict[str, str] | None = None) -> None:
        """Show the history points (oldest first); names: theme and statement names by id, for the details."""
        self._names = names or {}
        self._points = tuple(points)
        table = self.table
        table.setRowCount(len(self._points))
        changed = 0
        for row, point in enumerate(self._points):
            changes = tuple(point.changes)
            changed += bool(changes)
            cells = (
                when_text(point.taken_on),
                KIND_WORDS.get(point.kind, point.kind),
                _overall_words(point),
                _rating_words(point),
                ("⚠ " + "; ".join(change_words(c) for c in changes)) if changes else "No change of level",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(row, column, item)
        table.resizeRowsToContents()
        reviews = sum(1 for p in self._points if p.kind == "review")
        self.summary.setText(
            f"{len(self._points)} snapshot{'s' if len(self._points) != 1 else ''} ({reviews} review{'s' if reviews != 1 else ''}); "
            f"{changed} with a change of level, where the published rating must change." if self._points
            else "No snapshots yet: File → Publish rating snapshot makes the first."
        )  # fmt: skip
        if self._points:
            table.setCurrentCell(len(self._points) - 1, 0)
            table.setFocus()

    def _show_details(self, row: int) -> None:
        if not 0 <= row < len(self._points):
            self.details.clear()
            return
        point = self._points[row]
        lines = [f"{KIND_WORDS.get(point.kind, point.kind)} on {when_text(point.taken_on)}: {_rating_words(point)}, overall {_overall_words(point)}."]
        if _by_judgement(point):
            lines.append(f"Final rating by professional judgement: {point.rating}; computed from the scores: {point.computed_rating}.")
            if getattr(point, "reason", ""):
                lines.append(f"Reason: {point.reason}")
        if getattr(point, "note", ""):
            lines.append(f"Note: {point.note}")
        lines += [f"⚠ {change_words(c)}" for c in point.changes]
        themes = getattr(point, "themes", {}) or {}
        statements = getattr(point, "statements", {}) or {}
        if themes:
            lines.append("")
            # Each theme, then its statements scored then (indented): what each one stood at on the day.
            for item_id in [i for i in self._names if i in themes or statements.get(i)] + [t for t in themes if t not in self._names]:
                if item_id in themes:
                    lines.append(f"{self._names.get(item_id, item_id)}: {_result_words(themes[item_id])}")
                else:
                    lines.append(f"    {self._names[item_id]}: {_result_words(statements[item_id])}")
        self.details.setPlainText("\n".join(lines))


def change_words(change: Any) -> str:
    """'Safeguarding (statement): Good → Requires improvement'."""
    what = {"overall": "overall", "theme": "theme", "statement": "statement"}.get(change.what, change.what)
    name = "Overall rating" if change.what == "overall" else f"{change.name} ({what})"
    return f"{name}: {change.before or 'not scored'} → {change.after or 'not scored'}"


def _result_words(result: Any) -> str:
    if not result:
        return "not scored"
    return f"{result.get('rating', '')} ({result.get('score', '')}), {result.get('shown', '')}%"


def _overall_words(point: Any) -> str:
    overall = getattr(point, "overall", None)
    if overall is None:
        return "–"
    shown = overall.get("shown") if isinstance(overall, dict) else getattr(overall, "shown", None)
    return f"{shown}%" if shown is not None else "–"


def _by_judgement(point: Any) -> bool:
    """A final rating set by professional judgement that differs from the one the scores gave."""
    computed = getattr(point, "computed_rating", "")
    return bool(computed) and bool(getattr(point, "rating", "")) and point.rating != computed


def _rating_words(point: Any) -> str:
    """The rating that stood; a final one set by judgement says so, beside the computed one (the
    overall percentage beside it is the computed one's, and would read as a contradiction)."""
    rating = getattr(point, "rating", None) or getattr(point, "final_rating", None)
    if rating and _by_judgement(point):
        return f"{rating} (final; computed {point.computed_rating})"
    if rating:
        return str(rating)
    overall = getattr(point, "overall", None)
    found = overall.get("rating") if isinstance(overall, dict) else getattr(overall, "rating", None)
    return str(found) if found else "–"
