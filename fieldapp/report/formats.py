"""Which writer makes which format of a report. HTML and Word are made here in the core; PDF is
made by Qt's own printing, which the core must not import, so a layer above plugs its writer in
through the `fieldapp.report.formats` entry point group (pyproject.toml names ui.report.pdf)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from fieldapp.audit import Audit
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


def export(audit: Audit, report: Report, target: Path, fmt: str, *, assessment_id: str, write: Writer | None = None) -> Path:
    """Write the report out of the vault as fmt (plaintext: an explicit act) and note that in the
    audit log, by the assessment's id, the format and which report; write: a writer with its own
    progress, else the format's own."""
    written = (write or writer_for(fmt))(report, target)
    which = "published" if report.seal is not None else "draft" if report.draft else "working"
    published = report.seal.report_id if report.seal is not None else None
    audit.record_if_possible("report_exported", assessment_id=assessment_id, format=fmt, which=which, report_id=published)
    return written


__all__ = ["FORMATS", "Writer", "export", "writer_for"]
