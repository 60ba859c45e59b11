"""Coverage: how much evidence each quality statement has, by category, which have none yet, and
which categories a statement needs evidence in (the framework's required categories) still have none."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # statement -> the categories it needs evidence in (Framework.required_categories)
    required: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def count(self, statement_id: str, category_id: str) -> int:
        return self.cells.get((statement_id, category_id), 0)

    def statement_total(self, statement_id: str) -> int:
        return sum(n for (s, _), n in self.cells.items() if s == statement_id)

    def missing_required(self, statement_id: str) -> tuple[str, ...]:
        """The categories this statement needs evidence in that have none yet, in framework order."""
        return tuple(c for c in self.required.get(statement_id, ()) if self.count(statement_id, c) == 0)

    @property
    def gaps(self) -> dict[str, tuple[str, ...]]:
        """Every statement still missing a required category -> those categories, in framework order."""
        return {s: missing for s in self.statement_ids if (missing := self.missing_required(s))}

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
        required={s: framework.required_categories(s) for s in statements},
    )
