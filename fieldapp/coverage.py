"""Coverage: how much evidence each quality statement has, by category, and which have none yet."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fieldapp.context import VaultContext
from fieldapp.domain import EVIDENCE_KINDS
from fieldapp.assessments import Assessments
from fieldapp.framework import framework_by_key



@dataclass(frozen=True)
class Coverage:
    assessment_id: str
    framework_key: str
    statement_ids: tuple[str, ...]  # in the framework's order, grouped by theme
    category_ids: tuple[str, ...]
    cells: dict[tuple[str, str], int]  # (statement, category) -> evidence links; absent means 0
    records: dict[tuple[str, str], int]  # (statement, category) -> distinct records

    def count(self, statement_id: str, category_id: str) -> int:
        return self.cells.get((statement_id, category_id), 0)

    def statement_total(self, statement_id: str) -> int:
        return sum(n for (s, _), n in self.cells.items() if s == statement_id)

    @property
    def missing(self) -> tuple[str, ...]:
        """Statements with no evidence yet, in framework order: what to look for before leaving site."""
        return tuple(s for s in self.statement_ids if self.statement_total(s) == 0)


def compute(context: VaultContext, assessment_id: str) -> Coverage:
    assessment = Assessments(context).get(assessment_id)
    framework = framework_by_key(assessment.framework_key)
    sql = sa.text(
        f"""SELECT l.statement_id, l.category_id, count(*), count(DISTINCT l.record_id)
           FROM links l JOIN records r ON r.id = l.record_id
           WHERE r.assessment_id = :a AND r.deleted = 0 AND r.kind IN ({", ".join(f"'{k}'" for k in EVIDENCE_KINDS)})
           GROUP BY l.statement_id, l.category_id"""
    )
    with context.transaction("counting coverage") as session:
        rows = session.execute(sql, {"a": assessment_id}).all()
    statements = tuple(s.id for theme in framework.themes for s in framework.statements_in(theme.id))
    return Coverage(
        assessment_id=assessment_id,
        framework_key=framework.key,
        statement_ids=statements,
        category_ids=tuple(c.id for c in framework.categories),
        cells={(s, c): n for s, c, n, _ in rows},
        records={(s, c): n for s, c, _, n in rows},
    )
