"""The report's texts as a form: the summary of the ICS's key features, each theme's areas of strength
and areas requiring improvement (in the framework's order), and the commentary on progress, each a
plain-text editor. It says which field was typed in; the view saves that field (and only that one)
onto the newest stored texts, so a colleague's words in another field are never overwritten.

The form only shows and reads: the view saves (ui/operations/report_texts.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QLabel, QPlainTextEdit, QSizePolicy, QVBoxLayout, QWidget

from ui.message_lines import conflict_line, message_line
from ui.operations.report_texts import FieldKey

FALLBACK_HINT = "Left empty, the report gives this theme's statements' own lines from their judgements instead."
CONFLICT_WORDS = ("⚠ The report's texts were changed in different ways on two laptops; both versions are kept. "
                  "See them side by side and keep one. Until then the report cannot be made.")  # fmt: skip


class TextsForm(QWidget):
    edited = Signal(object)  # (FieldKey) the inspector typed in this field: the view saves it shortly
    conflict_requested = Signal()  # () see both versions of the texts side by side

    def __init__(self) -> None:
        super().__init__()
        self._loading = False
        self._editors: dict[FieldKey, QPlainTextEdit] = {}
        self._theme_widgets: list[QWidget] = []
        layout = self._layout = QVBoxLayout(self)
        intro = message_line("About the report's texts", selectable=False)
        intro.setText("What the team writes for the report, in its own words. Each line is a numbered paragraph of the report. "
                      "Saved as you type, and shared with the team at the next sync.")  # fmt: skip
        layout.addWidget(intro)
        self.conflict, self.conflict_button = conflict_line(layout, "the report's texts")
        self.conflict_button.clicked.connect(self.conflict_requested)
        # Two columns, so that every text is in view at 1366×768 without scrolling: the summary and
        # the progress commentary side by side, then each theme's two narratives side by side.
        top = QGridLayout()
        layout.addLayout(top, 2)
        self.summary = self._editor("summary", "Su&mmary of the key features of the ICS", "Summary of the key features of the ICS", lines=6)
        self.progress = self._editor("progress", "&Progress commentary (the report gives it above the rating history)", "Progress commentary", lines=6)
        for column, edit in enumerate((self.summary, self.progress)):
            top.addWidget(edit.label, 0, column)  # type: ignore[attr-defined]
            top.addWidget(edit, 1, column)
            top.setColumnStretch(column, 1)
        self._themes_box = QVBoxLayout()
        self._themes_box.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._themes_box, 3)
        self.setEnabled(False)

    def _editor(self, key: FieldKey, label_text: str, accessible: str, *, lines: int) -> QPlainTextEdit:
        """A plain-text editor with its label (edit.label) as tall as `lines` lines, no taller unless
        the window has room to spare (a long text scrolls inside it)."""
        label = QLabel(label_text)
        label.setWordWrap(True)
        edit = _TextEdit(lines)
        edit.setAccessibleName(accessible)
        edit.setTabChangesFocus(True)  # Tab moves on to the next text; Enter starts a new paragraph
        edit.textChanged.connect(lambda: self._changed(key))
        label.setBuddy(edit)
        edit.label = label  # type: ignore[attr-defined]
        self._editors[key] = edit
        return edit

    # -- the themes ---------------------------------------------------------------------------

    def set_themes(self, themes: list[tuple[str, str]]) -> None:
        """One heading and two narratives per theme (id, name), in this order (the framework's)."""
        if [k[1] for k in self._editors if isinstance(k, tuple) and k[0] == "strengths"] == [t for t, _n in themes]:
            return
        for widget in self._theme_widgets:
            self._themes_box.removeWidget(widget)
            widget.deleteLater()
        self._theme_widgets = []
        self._editors = {k: e for k, e in self._editors.items() if not isinstance(k, tuple)}
        for theme_id, name in themes:
            box = QWidget()
            inner = QGridLayout(box)
            inner.setContentsMargins(0, 6, 0, 0)
            heading = QLabel(name)
            heading.setAccessibleName(f"Theme: {name}")
            font = QFont(heading.font())
            font.setBold(True)
            heading.setFont(font)
            inner.addWidget(heading, 0, 0, 1, 2)
            for column, (which, words) in enumerate((("strengths", "Areas of strength"), ("improvements", "Areas requiring improvement"))):
                edit = self._editor((which, theme_id), words, f"{name}: {words.lower()}", lines=3)
                inner.addWidget(edit.label, 1, column)  # type: ignore[attr-defined]
                inner.addWidget(edit, 2, column)
                inner.setColumnStretch(column, 1)
            inner.setRowStretch(2, 1)
            hint = message_line(f"{name}: when left empty", selectable=False)
            hint.setText(FALLBACK_HINT)
            hint.setStyleSheet("color: palette(placeholder-text)")
            inner.addWidget(hint, 3, 0, 1, 2)
            self._themes_box.addWidget(box, 1)
            box.show()  # at once: a Tab may come before the event loop shows it
            self._theme_widgets.append(box)
        self._order_tabs()

    def _order_tabs(self) -> None:
        chain = [self.conflict_button, *self.focus_chain()]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)

    # -- showing and reading ------------------------------------------------------------------

    def editor(self, key: FieldKey) -> QPlainTextEdit:
        return self._editors[key]

    def keys(self) -> list[FieldKey]:
        return list(self._editors)

    def focus_chain(self) -> list[QWidget]:
        """The editors as they are read on screen: the summary, the progress commentary, then each theme's two."""
        themed = [e for k, e in self._editors.items() if isinstance(k, tuple)]
        return [self.summary, self.progress, *themed]

    def text(self, key: FieldKey) -> str:
        return self._editors[key].toPlainText()

    def show_texts(self, row: Any, held: set[FieldKey]) -> None:
        """Show the stored texts, except in the fields held (typed and not yet saved): their words stay."""
        self._loading = True
        try:
            content = row.content
            for key, edit in self._editors.items():
                if key in held:
                    continue
                stored = _stored(content, key)
                if edit.toPlainText().strip() != stored:  # the vault keeps it trimmed: same words, left alone
                    _replace_text(edit, stored)
            self.show_conflict(bool(row.conflict))
            self.setEnabled(True)
        finally:
            self._loading = False

    def show_conflict(self, conflict: bool) -> None:
        self.conflict.setText(CONFLICT_WORDS if conflict else "")
        self.conflict.setVisible(conflict)
        self.conflict_button.setVisible(conflict)

    def clear(self) -> None:
        """No words left in the widgets (the vault is locking)."""
        self._loading = True
        try:
            for edit in self._editors.values():
                edit.clear()
            self.show_conflict(False)
            self.setEnabled(False)
        finally:
            self._loading = False

    def _changed(self, key: FieldKey) -> None:
        if not self._loading:
            self.edited.emit(key)


class _TextEdit(QPlainTextEdit):
    """A plain-text editor that asks for `lines` lines (Qt's own asks for a dozen, which made the
    form taller than the window and put half of it out of sight)."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self._lines = lines
        self.setMinimumHeight(self.sizeHint().height())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().sizeHint().width(), self.fontMetrics().lineSpacing() * self._lines + 12)


def _stored(content: Any, key: FieldKey) -> str:
    if isinstance(key, tuple):
        which, theme_id = key
        return str(getattr(content, which).get(theme_id, ""))
    return str(getattr(content, key))


def _replace_text(edit: QPlainTextEdit, text: str) -> None:
    """New words in, the cursor kept where it was as near as the new text allows (a colleague's words
    arriving in a field the inspector has the cursor in, but did not type in)."""
    position = edit.textCursor().position()
    edit.setPlainText(text)
    cursor = edit.textCursor()
    cursor.setPosition(min(position, len(text)))
    edit.setTextCursor(cursor)

