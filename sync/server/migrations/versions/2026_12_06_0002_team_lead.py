"""A team member's role: the assessment's lead inspector ("lead", one per assessment) or a
"member"; every member the first schema knew stays a member.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), server_default="member", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_column("role")
