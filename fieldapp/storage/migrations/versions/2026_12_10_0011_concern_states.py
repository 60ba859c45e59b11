"""Concerns (issue 15): the office's acknowledgement of each concern, as the service sends it with a
pull (who, when, their note). The concerns themselves are items in the records table, as judgements are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concern_states",
        sa.Column("concern_id", sa.String(), nullable=False),
        sa.Column("acknowledged_by", sa.String(), nullable=False),
        sa.Column("acknowledged_at", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("concern_id", name="pk_concern_states"),
    )
