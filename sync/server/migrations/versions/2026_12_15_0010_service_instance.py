"""The service's instance id kept in its database, so every host serving one database tells laptops
the same id. Empty after this migration: the first service to start fills it, with the id of its data
folder's `instance-id` file where there is one (laptops then see no change), else a new one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_instance",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("instance_id", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_service_instance")),
    )


def downgrade() -> None:
    op.drop_table("service_instance")
