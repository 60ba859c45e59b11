"""The one place where errors become words for the inspector (never a traceback dialog)."""

from __future__ import annotations

import logging

from fieldapp.errors import FieldappError
from fieldapp.logs import log_failure

log = logging.getLogger("fieldapp.ui")

# How every message that asks for a report says to make one (ui/diagnostics.py copies the text).
HOW_TO_REPORT = "please report this: choose Help → Copy diagnostics and paste it into an email to your support desk."


def message_for(exc: BaseException) -> str:
    # Logged as its type and stack only: our messages may quote what the inspector typed.
    log_failure(log, "an operation", exc, logging.WARNING if isinstance(exc, FieldappError) else logging.ERROR)
    if isinstance(exc, FieldappError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory. Close other programs and try again; nothing was lost."
    if isinstance(exc, OSError):
        return f"The computer refused a file operation ({exc.strerror or exc}). Nothing was lost; try again."
    return f"Something unexpected went wrong. Your work up to the last save is safe; {HOW_TO_REPORT}"


class SmokeTestFailed(Exception):
    """A step of `fieldapp --smoke-test` (ui/smoke.py) did not do what it should; the message says which."""
