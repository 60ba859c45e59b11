"""Retention (issue 16): an assessment's retention period as the service sends it, and when a record's
content left this laptop for being synced and older than it (its list entry stays; opening it fetches
it again from the service).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assessments", sa.Column("retention_days", sa.Integer(), nullable=True))
    op.add_column("records", sa.Column("purged_at", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch_op:
        batch_op.drop_column("purged_at")
    with op.batch_alter_table("assessments") as batch_op:
        batch_op.drop_column("retention_days")
