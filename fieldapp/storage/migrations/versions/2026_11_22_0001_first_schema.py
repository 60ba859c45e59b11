"""The first vault schema: assessments, records and their drafts, links, attachments, blobs, revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("period_start", sa.String(), nullable=True),
        sa.Column("period_end", sa.String(), nullable=True),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("framework_key", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
    )
    op.create_table(
        "records",
        sa.Column("num", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("assessment_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("framework_key", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("occurred_on", sa.String(), nullable=True),
        sa.Column("flags", sa.String(), nullable=False),
        sa.Column("head_revision_id", sa.String(), nullable=True),
        sa.Column("draft_dirty", sa.Boolean(), nullable=False),
        sa.Column("indexed", sa.Boolean(), nullable=False),
        sa.Column("dirty_since", sa.String(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("sync_state", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], name="fk_records_assessment_id_assessments"),
        sa.PrimaryKeyConstraint("num", name="pk_records"),
        sa.UniqueConstraint("id", name="uq_records_id"),
    )
    op.create_index("ix_records_assessment", "records", ["assessment_id", "deleted"])
    op.create_index("ix_records_unindexed", "records", ["num"], sqlite_where=sa.text("indexed = 0"))
    op.create_table(
        "record_content",
        sa.Column("num", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["num"], ["records.num"], name="fk_record_content_num_records", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("num", name="pk_record_content"),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("blob_id", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
        sa.UniqueConstraint("name", name="uq_blobs_name"),
    )
    op.create_table(
        "links",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("statement_id", sa.String(), nullable=False),
        sa.Column("category_id", sa.String(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("passage_field", sa.String(), nullable=True),
        sa.Column("passage_start", sa.Integer(), nullable=True),
        sa.Column("passage_end", sa.Integer(), nullable=True),
        sa.Column("passage_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_links_record_id_records", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_links"),
    )
    op.create_index("ix_links_record_tags", "links", ["record_id", "statement_id", "category_id"])
    op.create_index("ix_links_statement_id", "links", ["statement_id"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name="fk_attachments_record_id_records", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name="fk_attachments_sha256_blobs"),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
    )
    op.create_index("ix_attachments_record_id", "attachments", ["record_id"])
    op.create_index("ix_attachments_sha256", "attachments", ["sha256"])
    op.create_table(
        "revisions",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("pushed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_revisions"),
        sa.UniqueConstraint("id", name="uq_revisions_id"),
    )
    op.create_index("ix_revisions_record_id", "revisions", ["record_id"])
    op.create_index("ix_revisions_pushed", "revisions", ["pushed"])
