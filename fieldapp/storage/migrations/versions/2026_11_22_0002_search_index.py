"""Full-text search: an FTS5 index over every record's text, sharing rowids with records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE record_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    # The index's terms, so a typed prefix can be expanded to exact terms (search.fts_query).
    op.execute("CREATE VIRTUAL TABLE record_fts_vocab USING fts5vocab(record_fts, 'row')")
    # Every existing record is indexed by the first search, with the indexing rule of that day.
    op.execute("UPDATE records SET indexed = 0")
