"""Case-tracking samples: how many cases of each sample the system put forward, the team short-listed
and the team engaged, counted from the case records' sample and stage (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fieldapp import domain
from fieldapp.assessments import Assessments
from fieldapp.context import VaultContext

_STAGES = tuple(s for s in domain.SAMPLE_STAGES if s)  # in the order a case moves through them


@dataclass(frozen=True)
class SampleCount:
    """One sample's cases by stage, cumulative: an engaged case was also put forward and short-listed."""

    sample: str
    put_forward: int
    short_listed: int
    engaged: int
    unstaged: int  # cases named in the sample whose stage is not said yet (counted in no stage)

    def words(self) -> str:
        """'50 put forward, 10 short-listed, 6 engaged', as a team says it."""
        return f"{self.put_forward} put forward, {self.short_listed} short-listed, {self.engaged} engaged"


_COUNTS = sa.text(
    "SELECT json_extract(c.content, '$.sample'), coalesce(json_extract(c.content, '$.sample_stage'), ''), count(*) "
    "FROM records r JOIN record_content c ON c.num = r.num "
    "WHERE r.assessment_id = :a AND r.deleted = 0 AND r.kind = 'case_tracking' "
    "AND coalesce(json_extract(c.content, '$.sample'), '') != '' "
    "GROUP BY 1, 2"
)


def counts(context: VaultContext, assessment_id: str) -> tuple[SampleCount, ...]:
    """Each sample of an assessment's (non-deleted) case records, by name, with its cases per stage.

    Stages are cumulative because a case moves through them in order: a case short-listed was put
    forward, and one engaged was put forward and short-listed, so it counts in each stage it passed.
    Sample names are matched exactly as typed, after trimming spaces at either end.
    """
    Assessments(context).get(assessment_id)  # NotFound for an unknown assessment
    with context.transaction("counting case samples") as session:
        rows = session.execute(_COUNTS, {"a": assessment_id}).all()
    by_sample: dict[str, dict[str, int]] = {}
    for name, stage, n in rows:
        stages = by_sample.setdefault(str(name).strip(), {})
        stages[stage] = stages.get(stage, 0) + n
    return tuple(_count(name, stages) for name, stages in sorted(by_sample.items(), key=lambda item: item[0].casefold()))


def _count(name: str, stages: dict[str, int]) -> SampleCount:
    put_forward, short_listed, engaged = (sum(stages.get(later, 0) for later in _STAGES[i:]) for i in range(len(_STAGES)))
    return SampleCount(name, put_forward, short_listed, engaged, unstaged=stages.get("", 0))
