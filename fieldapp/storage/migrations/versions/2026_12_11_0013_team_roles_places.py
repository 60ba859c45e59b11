"""An assessment's team with each member's role (issue 15): lead inspector, inspector, specialist
adviser, Expert by Experience. Every vault's teams were names only: each becomes an inspector, and
the lead the service named (0010) the lead. Places and organisations need no schema: they are an
item of kind `places` in the records table, as judgements are.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-11
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assessments", sa.Column("members", sa.Text(), nullable=False, server_default="[]"))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, team, lead_name FROM assessments")).all()
    for assessment_id, team, lead_name in rows:
        try:
            names = json.loads(team or "[]")
        except ValueError:
            names = []
        members = [{"name": n, "role": "lead" if lead_name and n == lead_name else "inspector"} for n in names if isinstance(n, str)]
        connection.execute(
            sa.text("UPDATE assessments SET members = :members WHERE id = :id"),
            {"members": json.dumps(members, ensure_ascii=False), "id": assessment_id},
        )
