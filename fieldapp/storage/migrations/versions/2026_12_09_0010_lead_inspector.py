"""An assessment knows its lead inspector, as the service names it (who alone agrees judgements,
sets the final rating and publishes); None where the service names none or is too old to say.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assessments", sa.Column("lead_id", sa.String(), nullable=True))
    op.add_column("assessments", sa.Column("lead_name", sa.String(), nullable=True))
