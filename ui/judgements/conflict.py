"""A judgement changed in different ways on two laptops: both versions side by side, as the records'
conflicts view shows records (its layout, its highlight of the words that differ), and the
inspector keeps one. Both versions stay in the judgement's history. The records' conflicts view
(ui/conflicts_view.py) shows judgements and ratings in conflict with item_sides() from here."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from fieldapp import domain, ratings
from fieldapp.compare import word_diff
from fieldapp.errors import FieldappError, NotFound
from fieldapp.framework import Framework, framework_by_key

from ui.theme import colors

MIN_WIDTH = 760  # two versions side by side, each still a readable column (as ui/conflicts_view.py)


def fields_of(content: Any, framework: Framework, labels: dict[int, str]) -> list[tuple[str, str]]:
    """A judgement's content as (label, text) lines, in the form's order."""

    def name(key: str) -> str:
        try:
            return framework.category(key).name
        except NotFound:  # "statement": scored as a whole
            return "The statement as a whole"

    lines = []
    for key, entry in sorted(content.scores.items(), key=lambda kv: name(kv[0])):
        basis = "existing" if entry.basis == "existing" else "updated"
        when = f", evidence of {entry.evidence_date}" if entry.evidence_date else ""
        lines.append((f"Score: {name(key)}", f"{entry.score} {labels.get(entry.score, '')} ({basis}{when})"))
    lines.append(("Strengths", content.strengths))
    lines.append(("Areas requiring improvement", content.improvements))
    lines.append(("Key evidence", f"{len(content.key_evidence)} reference{'s' if len(content.key_evidence) != 1 else ''}"))
    lines.append(("Status", "Agreed" if content.status == "agreed" else "Draft"))
    return lines


def rating_fields_of(content: Any) -> list[tuple[str, str]]:
    """An assessment's rating item as (label, text) lines: its rules and its final rating."""
    try:
        rules = ratings.rules_by_key(content.rules).name
    except FieldappError:
        rules = "Rules this app does not know yet"
    final = f"{content.final_score} {ratings.RATINGS.get(content.final_score, '')}" if content.final_score else "Follows the computed rating"
    return [("Scoring rules", rules), ("Final rating", final), ("Reason", content.reason)]


def item_sides(bodies: list[dict[str, Any]]) -> tuple[str, ...] | None:
    """Each version of a judgement or rating in conflict as HTML, side by side; None for a record
    (or an item this app cannot read: the records' view says so itself)."""
    kind = bodies[0].get("kind", "") if bodies else ""
    if not domain.is_item(kind) or len(bodies) < 2:
        return None
    try:
        contents = [domain.item_from_dict(kind, body["content"]) for body in bodies[:2]]
        if kind == "judgement":
            framework = framework_by_key(bodies[0]["framework"])
            labels = dict(ratings.default_rules().labels)
            fields = [fields_of(content, framework, labels) for content in contents]
        elif kind == "rating":
            fields = [rating_fields_of(content) for content in contents]
        else:
            return None
    except (FieldappError, LookupError, KeyError):
        return None
    return describe(fields[0], fields[1]), describe(fields[1], fields[0])


def describe(mine: list[tuple[str, str]], theirs: list[tuple[str, str]]) -> str:
    """One version as HTML: every field, the words not in the other version highlighted, and the
    fields that differ marked."""
    changed = colors().changed
    other = dict(theirs)
    rows = []
    for label, text in mine:
        other_text = other.get(label)
        if other_text is None or other_text == text:
            words = _html(text)
            mark = "" if other_text is not None else "<br><b>⚠ only in this version</b>"
        else:
            spans = word_diff(text, other_text)[0]
            words = "".join(
                f"<span style='background-color:{changed}'>{_html(s.text)}</span>" if s.changed else _html(s.text) for s in spans
            )
            mark = "<br><b>⚠ changed both ways</b>"
        rows.append(f"<tr><td valign='top'><i>{html.escape(label)}</i>{mark}</td><td>{words or '—'}</td></tr>")
    return f"<table cellpadding='3'>{''.join(rows)}</table>"


class JudgementConflictDialog(QDialog):
    keep = Signal(str)  # the revision id of the version to carry on with

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Judgement in conflict")
        self.setMinimumWidth(MIN_WIDTH)
        self.resize(1000, 560)
        layout = QVBoxLayout(self)
        intro = QLabel(f"{title}: this judgement was changed in different ways on two laptops. Both versions are kept in "
                       "its history; choose the one to carry on with.")  # fmt: skip
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(intro)
        sides = QGridLayout()
        self.headings: list[QLabel] = []
        self.versions: list[QTextBrowser] = []
        self.keep_buttons: list[QPushButton] = []
        for column in range(2):
            heading = QLabel("")
            heading.setTextFormat(Qt.TextFormat.PlainText)
            heading.setWordWrap(True)
            view = QTextBrowser()
            view.setAccessibleName(f"Version {column + 1}")
            button = QPushButton(f"Keep version &{column + 1}")
            button.clicked.connect(lambda _checked=False, c=column: self._keep(c))
            sides.addWidget(heading, 0, column)
            sides.addWidget(view, 1, column)
            sides.addWidget(button, 2, column)
            self.headings.append(heading)
            self.versions.append(view)
            self.keep_buttons.append(button)
        layout.addLayout(sides, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Conflict status")
        layout.addWidget(self.status)
        foot = QHBoxLayout()
        foot.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        foot.addWidget(close)
        layout.addLayout(foot)
        self._ids: list[str] = []

    def show_versions(self, versions: tuple[tuple[str, Any], ...], framework: Framework, labels: dict[int, str]) -> None:
        self._ids = [revision_id for revision_id, _content in versions[:2]]
        if len(self._ids) < 2:
            self.status.setText("This judgement is no longer in conflict.")
            for button in self.keep_buttons:
                button.setEnabled(False)
            return
        fields = [fields_of(content, framework, labels) for _rid, content in versions[:2]]
        for column, (_rid, content) in enumerate(versions[:2]):
            who = f", scored by {content.scored_by}" if content.scored_by else ""
            self.headings[column].setText(f"Version {column + 1}{who}")
            self.versions[column].setHtml(describe(fields[column], fields[1 - column]))
        mine, theirs = dict(fields[0]), dict(fields[1])
        differ = [label for label in dict.fromkeys([*mine, *theirs]) if mine.get(label) != theirs.get(label)]
        self.status.setText(f"Different in the two versions: {', '.join(differ) or 'nothing visible'}.")

    def _keep(self, column: int) -> None:
        if column < len(self._ids):
            self.status.setText("Keeping…")
            self.keep.emit(self._ids[column])

    def refused(self, message: str) -> None:
        self.status.setText(f"Not resolved: {message}")


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
