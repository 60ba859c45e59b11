"""What a report is built from: the areas of an unlocked vault it reads (its assessments, records and
judgements, and what the team wrote for it). A protocol, so the report package never imports the vault, and the vault's own area for
published reports (fieldapp.published_reports) can build a report without an import circle."""

from __future__ import annotations

from typing import Protocol

from fieldapp.assessments import Assessments
from fieldapp.judgements import Judgements
from fieldapp.records import Records
from fieldapp.report_texts import ReportTexts


class ReportSource(Protocol):
    @property
    def assessments(self) -> Assessments: ...

    @property
    def records(self) -> Records: ...

    @property
    def judgements(self) -> Judgements: ...

    @property
    def report_texts(self) -> ReportTexts: ...  # what the team wrote for the report, the factual accuracy check
