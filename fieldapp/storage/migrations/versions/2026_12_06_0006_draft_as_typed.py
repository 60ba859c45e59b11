"""Words typed into a date field that do not read as a date, kept with the draft until fixed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # JSON: {field path: the text as typed}. Beside the draft, never in a revision: a revision
    # holds only values every device can read, and the typed text waits here until it is fixed.
    op.add_column("record_content", sa.Column("as_typed", sa.Text(), nullable=True))
