"""The roll-up as the team watches it grow: each theme's score, the overall score, the computed and
the final rating with where in its band it sits, how many statements are scored, the rules' notice
(interim guidance, since paused) and a flag when the band would differ under the other rounding."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp import ratings
from fieldapp.item_kinds import ROUNDINGS

from ui.message_lines import message_line
from ui.wheel_safe import WheelSafeComboBox


def result_words(result: Any) -> str:
    """'Good (3), 69% (68.75): lower part of the band, 19 points to Outstanding'."""
    if result is None:
        return "not scored yet"
    words = f"{result.rating} ({result.score}), {result.shown}%"
    if result.percent_text() != str(result.shown):
        words += f" ({result.percent_text()})"
    place = f"{result.position} part of the band"
    nxt = ratings.RATINGS.get(result.score + 1)
    if result.points_to_next is not None and nxt:
        place += f", {result.points_to_next} point{'s' if result.points_to_next != 1 else ''} to {nxt}"
    return f"{words}: {place}"


class RollupPanel(QWidget):
    final_requested = Signal()  # () set the final rating by professional judgement
    rules_chosen = Signal(str)  # a rules key
    rounding_chosen = Signal(str)  # "half_up", "half_down", or "" for the rules' own

    def __init__(self) -> None:
        super().__init__()
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        rules_line = QHBoxLayout()
        rules_label = QLabel("Scoring ru&les")
        self.rules = WheelSafeComboBox()
        self.rules.setAccessibleName("Scoring rules")
        self.rules.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.rules.setMinimumContentsLength(16)
        for rules in ratings.available_rules():
            self.rules.addItem(rules.name, rules.key)
        self.rules.activated.connect(lambda _i: self.rules_chosen.emit(str(self.rules.currentData())))
        rules_label.setBuddy(self.rules)
        rules_line.addWidget(rules_label)
        rules_line.addWidget(self.rules, 1)
        layout.addLayout(rules_line)
        rounding_line = QHBoxLayout()
        rounding_label = QLabel("Roun&ding of halves")
        self.rounding_choice = WheelSafeComboBox()
        self.rounding_choice.setAccessibleName("How an exact half (62.5%) is shown")
        self.rounding_choice.setToolTip("CQC does not say how an exact half such as 62.5% rounds: the team chooses.")
        for value, words in ROUNDINGS.items():
            self.rounding_choice.addItem(words, value)
        self.rounding_choice.activated.connect(lambda _i: self.rounding_chosen.emit(str(self.rounding_choice.currentData())))
        rounding_label.setBuddy(self.rounding_choice)
        rounding_line.addWidget(rounding_label)
        rounding_line.addWidget(self.rounding_choice, 1)
        layout.addLayout(rounding_line)
        self.overall = self._label("Overall score and rating")
        self.rating = self._label("Computed and final rating")
        self.scored = self._label("Statements scored")
        self.themes = self._label("Theme scores")
        self.rounding = self._label("Rounding")
        self.conflict = self._label("Rating in conflict")
        self.conflict.hide()
        self.notice = self._label("About the scoring rules")
        self.notice.setStyleSheet("color: palette(placeholder-text)")
        final = QHBoxLayout()
        self.final_button = QPushButton("Set final ra&ting…")
        self.final_button.setAccessibleName("Set the final rating by professional judgement")
        self.final_button.clicked.connect(self.final_requested)
        final.addWidget(self.final_button)
        final.addStretch(1)
        layout.addLayout(final)
        self.row: Any = None
        self.i_lead = True  # this laptop's inspector may set the final rating (the lead, or none known)

    def _label(self, accessible_name: str) -> QLabel:
        label = message_line(accessible_name)
        self._layout.addWidget(label)
        return label

    def set_lead(self, lead: str | None, i_lead: bool) -> None:
        """Where the service names a lead inspector and it is not this laptop's, the final rating is theirs to set."""
        self.i_lead = i_lead
        self.final_button.setToolTip("" if i_lead or not lead else f"Only the lead inspector, {lead}, sets the final rating.")
        self.final_button.setEnabled(i_lead and self.row is not None)

    def show_problem(self, words: str) -> None:
        """No roll-up to show (the assessment's rules are newer than this app): say why, in place of it.
        The rules can still be chosen, should the team agree to score by rules this app knows."""
        self.row = None
        self.overall.setText(words)
        for label in (self.rating, self.scored, self.themes, self.rounding, self.conflict, self.notice):
            label.setText("")
        self.rounding.hide()
        self.conflict.hide()
        self.rules.setCurrentIndex(-1)
        self.rounding_choice.setEnabled(False)
        self.final_button.setEnabled(False)

    def show_rating(self, row: Any) -> None:
        """Show a RatingRow: its roll-up, computed and final ratings, and the rules' words."""
        self.row = row
        rules, rollup = row.rules, row.rollup
        self.rules.setCurrentIndex(max(self.rules.findData(rules.key), 0))
        self.rules.setToolTip(rules.name)  # whole: the box is too narrow for it at 1366×768
        own = ratings.rules_by_key(rules.key).rounding  # the rules' own, before the team's choice
        self.rounding_choice.setItemText(0, f"Rules' own: {ROUNDINGS[own].lower()}")  # short: the pane is narrow at 1366×768
        self.rounding_choice.setItemData(0, f"{ROUNDINGS['']}: {ROUNDINGS[own].lower()}", Qt.ItemDataRole.ToolTipRole)
        self.rounding_choice.setCurrentIndex(max(self.rounding_choice.findData(row.rounding), 0))
        self.rounding_choice.setEnabled(rules.mode != "judgement_only")
        self.final_button.setEnabled(self.i_lead)
        judgement_only = rules.mode == "judgement_only"
        overall = None if judgement_only else rollup.overall
        self.overall.setText("Overall: chosen by judgement (these rules have no numeric roll-up)." if judgement_only
                             else f"Overall: {result_words(overall)}.")  # fmt: skip
        computed = f"{row.computed_rating} ({row.computed_score})" if row.computed_score is not None else "none yet"
        if row.final_score is not None and row.differs:
            rating = f"Final rating: {row.final_rating} ({row.final_score}), by professional judgement; computed: {computed}. Reason: {row.reason}"
        elif row.final_score is not None and row.computed_score is None:
            # Nothing computed (no score yet, or rules with no roll-up): not "the same as computed".
            how = "chosen by judgement" if judgement_only else "by professional judgement; none computed yet"
            rating = f"Final rating: {row.final_rating} ({row.final_score}), {how}." + (f" Reason: {row.reason}" if row.reason else "")
        elif row.final_score is not None:
            rating = f"Final rating: {row.final_rating} ({row.final_score}), the same as computed."
        else:
            rating = f"Rating: {computed} (computed; no final rating set)."
        self.rating.setText(rating)
        self.scored.setText(
            f"Provisional: {rollup.scored} of {rollup.total} statements scored." if rollup.provisional
            else f"All {rollup.total} statements scored."
        )  # fmt: skip
        if judgement_only:
            self.themes.setText("")
        else:
            self.themes.setText("\n".join(f"{t.name}: {_theme_words(t)}" for t in rollup.themes))
        sensitive = [("overall", overall)] + [(t.name, t.result) for t in rollup.themes if not judgement_only]
        flagged = [name for name, result in sensitive if result is not None and result.rounding_sensitive]
        other = "down" if rules.rounding == "half_up" else "up"
        self.rounding.setText(
            f"⚠ Rounding-sensitive ({', '.join(flagged)}): rounding half {other} would give another band." if flagged else ""
        )  # fmt: skip
        self.rounding.setVisible(bool(flagged))
        self.notice.setText(rules.notice)
        conflict = bool(getattr(row, "conflict", False))
        self.conflict.setText("⚠ The rules or the final rating were changed in different ways on two laptops; "
                              "Sync → Records in conflict shows both." if conflict else "")  # fmt: skip
        self.conflict.setVisible(conflict)


def _theme_words(theme: Any) -> str:
    scored = f" ({theme.scored} of {theme.total} scored)" if theme.scored < theme.total else ""
    if theme.result is None:
        return f"not scored yet{scored}"
    return f"{theme.result.rating} ({theme.result.score}), {theme.result.shown}%{scored}"
