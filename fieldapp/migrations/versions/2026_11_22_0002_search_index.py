"""Full-text search: an FTS5 index over every record's text, sharing rowids with records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE record_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT r.num, r.title, c.content FROM records r JOIN record_content c ON c.num = r.num")
    ).fetchall()
    for num, title, content in rows:
        connection.execute(
            sa.text("INSERT INTO record_fts(rowid, title, body) VALUES (:num, :title, :body)"),
            {"num": num, "title": title, "body": "\n".join(_strings(json.loads(content)))},
        )


def _strings(value: object) -> list[str]:
    # Frozen copy of the indexing rule at the time of this migration; search.py owns the live one.
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
