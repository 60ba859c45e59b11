"""Sync: assessments known to the service, blobs not downloaded yet or not uploaded yet, revisions
the service refused, and framework versions that arrived by sync.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds columns in place; only loosening NOT NULL needs batch mode's copy of the table.
    op.add_column("assessments", sa.Column("on_service", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("assessments", sa.Column("service_note", sa.String(), nullable=False, server_default=""))
    op.add_column("blobs", sa.Column("uploaded", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("revisions", sa.Column("rejected", sa.String(), nullable=True))
    with op.batch_alter_table("blobs") as batch:
        batch.alter_column("name", existing_type=sa.String(), nullable=True)
        batch.alter_column("blob_id", existing_type=sa.LargeBinary(), nullable=True)
    op.create_table(
        "frameworks",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_frameworks"),
    )
