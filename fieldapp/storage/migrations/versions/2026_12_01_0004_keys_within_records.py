"""Links and attachments keyed within their record; pulled auto-merges that wait for their check.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Link and attachment ids come from every device's revisions: unique within a record only.
    # Keyed across the vault, one record reusing another's id stopped every pull for good.
    for table in ("links", "attachments"):
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", ["record_id", "id"])
    # The new key's own index leads with record_id, so this one only slowed writes.
    op.drop_index("ix_attachments_record_id", table_name="attachments")
    # Auto-merges stored before now count as checked; a vault check (verify) recomputes every one.
    op.add_column("revisions", sa.Column("awaiting_check", sa.Boolean(), nullable=False, server_default=sa.false()))
