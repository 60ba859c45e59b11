"""Data keys for evidence sealed at rest (issue 17): each wrapped by the service key, named by the
key that wraps it; whether an attachment's chunks are sealed. Revisions and concerns stored before stay
plaintext until `admin keys encrypt-existing` seals them; attachments stored before stay as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_data_keys")),
    )
    op.create_index(op.f("ix_data_keys_key_id"), "data_keys", ["key_id"], unique=False)
    with op.batch_alter_table("blobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("blobs", schema=None) as batch_op:
        batch_op.drop_column("sealed")
    op.drop_index(op.f("ix_data_keys_key_id"), table_name="data_keys")
    op.drop_table("data_keys")
