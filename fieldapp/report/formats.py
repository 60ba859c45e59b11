"""Which writer makes which format of a report. HTML and Word are made here in the core; PDF is
made by Qt's own printing, which the core must not import, so a layer above plugs its writer in
through the `fieldapp.report.formats` entry point group (pyproject.toml names ui.report.pdf)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from fieldapp.errors import ValidationError
from fieldapp.report.model import Report

Writer = Callable[[Report, Path], Path]  # writes the report atomically; returns the path written
ENTRY_POINTS = "fieldapp.report.formats"
FORMATS = {"pdf": "PDF", "docx": "Word (.docx)", "html": "HTML"}  # in the order offered
_CORE = {"html": "fieldapp.report.html:write_html", "docx": "fieldapp.report.docx:write_docx"}


def writer_for(fmt: str) -> Writer:
    """The writer of one format, imported only when asked for (Word's and Qt's libraries are slow to load)."""
    target = _CORE.get(fmt)
    if target is None:
        found = [ep for ep in entry_points(group=ENTRY_POINTS) if ep.name == fmt]
        if not found:
            known = ", ".join(FORMATS)
            raise ValidationError(f"A report cannot be made as ‘{fmt}’ here: the formats are {known}.")
        writer: Writer = found[0].load()
        return writer
    module, name = target.split(":")
    loaded: Writer = getattr(importlib.import_module(module), name)
    return loaded


__all__ = ["FORMATS", "Writer", "writer_for"]
