"""The one place where errors become words for the inspector (never a traceback dialog)."""

from __future__ import annotations

from fieldapp.errors import FieldappError


def message_for(exc: BaseException) -> str:
    if isinstance(exc, FieldappError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory. Close other programs and try again; nothing was lost."
    if isinstance(exc, OSError):
        return f"The computer refused a file operation ({exc.strerror or exc}). Nothing was lost; try again."
    return "Something unexpected went wrong. Your work up to the last save is safe; please report this."
