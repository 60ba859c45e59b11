"""A team member's role (issue 15): "lead" (the lead inspector, one per assessment), "inspector",
"specialist_adviser" or "expert_by_experience". Every member 0002 made a "member" is an inspector.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE team_members SET role = 'inspector' WHERE role = 'member'"))
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=20), existing_nullable=False, server_default="inspector")


def downgrade() -> None:
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=20), existing_nullable=False, server_default="member")
    op.execute(sa.text("UPDATE team_members SET role = 'member' WHERE role <> 'lead'"))
