"""The audit log inside the vault (issue 16): one signed entry per security event, append-only. Triggers
refuse deleting an entry or changing anything of one but whether the service holds it, so the log can
only grow; an older vault starts with an empty log.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entries"),
        sa.UniqueConstraint("id", name="uq_audit_entries_id"),
    )
    op.create_index("ix_audit_entries_unsent", "audit_entries", ["seq"], sqlite_where=sa.text("sent = 0"))
    op.execute(
        "CREATE TRIGGER audit_entries_append_only_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_entries_append_only_update BEFORE UPDATE OF seq, id, kind, at, device_id, body, signature "
        "ON audit_entries BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
