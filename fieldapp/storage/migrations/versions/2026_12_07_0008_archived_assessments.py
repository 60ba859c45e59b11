"""An assessment can be archived on this laptop: hidden from its list, kept in full.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A view choice of this laptop's: never in a revision, never sent, so a plain column.
    op.add_column("assessments", sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
