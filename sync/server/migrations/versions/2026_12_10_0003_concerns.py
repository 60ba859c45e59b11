"""Concerns (issue 15): the service's list of concerns raised on laptops, filled as their revisions
are accepted, with who in the office acknowledged each, when, and their note.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concerns",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        sa.Column("concern_kind", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=32), nullable=False),
        sa.Column("heard", sa.Text(), nullable=False),
        sa.Column("tell", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=300), nullable=False),
        sa.Column("raised_at", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=300), nullable=True),
        sa.Column("acknowledged_at", sa.String(length=32), nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], name=op.f("fk_concerns_assessment_id_assessments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concerns")),
    )
    op.create_index(op.f("ix_concerns_assessment_id"), "concerns", ["assessment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_concerns_assessment_id"), table_name="concerns")
    op.drop_table("concerns")
