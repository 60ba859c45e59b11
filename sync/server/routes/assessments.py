"""Assessments a device offers: one first made on a laptop, stored for its team."""

from __future__ import annotations

from fastapi import APIRouter

from sync import protocol
from sync.server import admin
from sync.server.deps import ERRORS, AssessmentId, CurrentDevice, ServiceDep

router = APIRouter(prefix=protocol.API, tags=["sync"], responses=ERRORS)


# The lead and the roles are left out: a client names F_LEAD_INSPECTOR and F_TEAM_ROLES only on pulls, which bring them.
@router.put("/assessments/{assessment_id}", response_model=protocol.Assessment, response_model_exclude={"lead", "members"})
def offer_assessment(
    assessment_id: AssessmentId, body: protocol.AssessmentProposal, who: CurrentDevice, service: ServiceDep
) -> protocol.Assessment:
    """Offer an assessment first made on a laptop (only inspectors allowed to create them)."""
    with service.writing() as session:
        return admin.offer_assessment(session=session, caller=who, assessment_id=assessment_id, offer=body)
