"""Office tokens (issue 15): the office's identity on the network, separate from devices' tokens, for
the concern routes under /v1/office. Each keeps a name, the SHA-256 of its token, and when it was made,
last used and revoked.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("last_used_at", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_office_tokens_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("office_tokens")
