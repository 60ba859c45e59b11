"""A concern in words: its state ("Raised, not sent yet", "Sent to the office", "Acknowledged by Sam
Office on 07/12/2026 at 11:05: note"), when it was raised, and the reminders' counts."""

from __future__ import annotations

from datetime import datetime

from fieldapp.concerns import ConcernRow

from ui.dates import day_first

RAISED = "Raised, not sent yet"
SENT = "Sent to the office, not yet acknowledged"


def on_at(instant: str) -> str:
    """A stamped instant (UTC, ISO 8601) as this laptop's clock read it: "07/12/2026 at 10:42"."""
    try:
        moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return instant
    here = moment.astimezone() if moment.tzinfo is not None else moment
    return here.strftime(f"{'%d/%m/%Y' if day_first() else '%m/%d/%Y'} at %H:%M")


def state_words(row: ConcernRow, sent_at: str = "") -> str:
    """sent_at: when the service last stored it (vault.concern_notes), if this laptop noted it."""
    if row.state == "acknowledged":
        said = f"Acknowledged by {row.acknowledged_by or 'the office'} on {on_at(row.acknowledged_at)}"
        return f"{said}: {row.acknowledgement_note}" if row.acknowledgement_note else said
    if row.state == "sent":
        return f"Sent to the office on {on_at(sent_at)}, not yet acknowledged" if sent_at else SENT
    return RAISED


def raised_words(row: ConcernRow) -> str:
    by = f" by {row.content.raised_by}" if row.content.raised_by else ""
    return f"{on_at(row.content.raised_at)}{by}"


def reminder(open_rows: tuple[ConcernRow, ...]) -> str:
    """The status bar's line: "2 concerns not yet acknowledged by the office"; "" when none."""
    count = len(open_rows)
    if not count:
        return ""
    return f"{count} concern{'s' if count != 1 else ''} not yet acknowledged by the office"


def unsent_count(open_rows: tuple[ConcernRow, ...]) -> int:
    return sum(1 for row in open_rows if row.state == "raised")


def lock_words(count: int, unsent: int) -> str:
    """What the lock and quit reminders say: how many, and whether they have been sent."""
    head = f"{count} concern{'s' if count != 1 else ''} not yet acknowledged by the office."
    if not unsent:
        return f"{head} {'It has' if count == 1 else 'They have all'} been sent; the office has not answered yet."
    if unsent == count:
        return f"{head} It has not been sent yet." if count == 1 else f"{head} None of them has been sent yet."
    return f"{head} {unsent} of them {'has' if unsent == 1 else 'have'} not been sent yet."
