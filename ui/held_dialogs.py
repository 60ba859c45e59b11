"""A view's dialog that is open when the vault locks: hidden while locked, so nothing of the
assessment is in sight, with its words kept in it; shown again when the view shows the same
assessment after the unlock, and closed if it shows another. The judgement view and the report
view each hold one (their dialogs open with open(), never exec(), so hiding one ends nothing)."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QWidget


def alive(widget: QWidget | None) -> bool:
    """Not deleted yet (a dialog deletes itself when it closes)."""
    return widget is not None and shiboken6.isValid(widget)


def showing(widget: QWidget | None) -> bool:
    return widget is not None and alive(widget) and widget.isVisible()


class HeldDialog:
    def __init__(self) -> None:
        self._held: tuple[str, QWidget] | None = None

    def hold(self, assessment_id: str | None, dialog: QWidget | None) -> None:
        """The vault is locking: hide the dialog if one is open on this assessment."""
        if assessment_id is not None and dialog is not None and showing(dialog):
            self._held = (assessment_id, dialog)
            dialog.hide()

    def bring_back(self, assessment_id: str | None) -> None:
        """The view shows an assessment again: the held dialog comes back if it is of that one."""
        held, self._held = self._held, None
        if held is None or not alive(held[1]):
            return
        of, dialog = held
        if of == assessment_id:
            dialog.show()
            dialog.raise_()
        else:
            dialog.close()
