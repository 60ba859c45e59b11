"""The tables inside record editors: a case's timeline of contacts, an observation's attendees,
a focus group's groups represented. Each is a RowTable over the domain's own values.

A contact keeps its id (`domain.Contact.id`) through edits and moves, so a change stays a change
of that contact (and sync can merge timelines by contact); a new one gets a fresh UUIDv7.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QBrush, QColor

from fieldapp import domain
from fieldapp.ids import uuid7

from ui.dates import problem, when_or_as_typed, when_text
from ui.row_table import Column, RowTable, RowTableModel
from ui.theme import colors


def _flag_brush() -> QBrush:
    return QBrush(QColor(colors().flag))


def _set(field: str) -> Callable[[Any, str], Any]:
    """A column writer that puts the typed text into one field of the row."""
    return lambda row, text: dataclasses.replace(row, **{field: text})


# Five columns share the editor's width (a third of 1366 px): two-word headers go on two lines.
CONTACT_COLUMNS: tuple[Column[domain.Contact], ...] = (
    Column("Date", lambda c: when_text(c.date), lambda c, t: dataclasses.replace(c, date=when_or_as_typed(t)),
           lambda c: problem(c.date), stretch=False, tip="When the contact was, day first: 21/11/2026 or 21/11/2026 14:30 (F4 in the cell: a calendar)",
           calendar=True),
    Column("Service", lambda c: c.service, _set("service"), tip="The service the person was in contact with"),
    Column("What happened", lambda c: c.what_happened, _set("what_happened"), heading="What\nhappened",
           tip="What happened at this contact"),
    Column("Transition", lambda c: c.transition, _set("transition"), tip="A move between services, such as Hospital → Reablement"),
    Column("Their account", lambda c: c.persons_account, _set("persons_account"), heading="Their\naccount",
           tip="The person's own account of this contact, in their words"),
)  # fmt: skip
ATTENDEE_COLUMNS: tuple[Column[domain.Attendee], ...] = (
    Column("Role", lambda a: a.role, _set("role")),
    Column("Organisation", lambda a: a.organisation, _set("organisation")),
)
GROUP_COLUMNS: tuple[Column[str], ...] = (Column("Group represented", lambda g: g, lambda _g, t: t),)


def contacts_table(contacts: Sequence[domain.Contact]) -> RowTable:
    model: RowTableModel[domain.Contact] = RowTableModel(CONTACT_COLUMNS, lambda: domain.Contact(uuid7()), _flag_brush)
    model.set_rows(contacts)
    return RowTable(model, noun="contact", label="Timeline of contacts")


def attendees_table(attendees: Sequence[domain.Attendee]) -> RowTable:
    model: RowTableModel[domain.Attendee] = RowTableModel(ATTENDEE_COLUMNS, lambda: domain.Attendee(""))
    model.set_rows(attendees)
    return RowTable(model, noun="attendee", label="Attendees by role")


def groups_table(groups: Sequence[str]) -> RowTable:
    model: RowTableModel[str] = RowTableModel(GROUP_COLUMNS, lambda: "")
    model.set_rows(groups)
    return RowTable(model, noun="group", label="Groups represented")


# -- from the tables to the record's content: blank rows are not saved --------------------------------


def contacts_to_save(rows: Sequence[domain.Contact]) -> tuple[domain.Contact, ...]:
    """Contacts with something in them. A date that does not read stays as typed (not ISO): the
    editor keeps that text beside the draft (see RecordEditor.read_form)."""
    kept = []
    for contact in rows:
        trimmed = dataclasses.replace(
            contact, **{f: getattr(contact, f).strip() for f in ("service", "what_happened", "transition", "persons_account")}
        )
        if trimmed.date or trimmed.service or trimmed.what_happened or trimmed.transition or trimmed.persons_account:
            kept.append(trimmed)
    return tuple(kept)


def attendees_to_save(rows: Sequence[domain.Attendee]) -> tuple[domain.Attendee, ...]:
    trimmed = (domain.Attendee(a.role.strip(), a.organisation.strip()) for a in rows)
    return tuple(a for a in trimmed if a.role or a.organisation)


def groups_to_save(rows: Sequence[str]) -> tuple[str, ...]:
    return tuple(g.strip() for g in rows if g.strip())
