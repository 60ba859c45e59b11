"""The service's first schema: inspectors, assessments and teams, devices and enrolment codes,
records and their revisions (with the transaction id the pull cursor needs), attachment bytes,
published frameworks.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('period_start', sa.String(length=10), nullable=True),
    sa.Column('period_end', sa.String(length=10), nullable=True),
    sa.Column('framework_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments'))
    )
    op.create_table('blob_refs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('assessment_id', sa.String(length=36), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('proven', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', 'assessment_id', name=op.f('pk_blob_refs'))
    )
    op.create_table('blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('completed_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blobs'))
    )
    op.create_table('frameworks',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('published_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_frameworks'))
    )
    op.create_table('inspectors',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('email', sa.String(length=300), nullable=True),
    sa.Column('may_create_assessments', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspectors'))
    )
    op.create_table('devices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('inspector_id', sa.String(length=36), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('enrolled_at', sa.String(length=32), nullable=False),
    sa.Column('revoked_at', sa.String(length=32), nullable=True),
    sa.Column('last_seen_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_devices_inspector_id_inspectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_devices_token_hash'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_inspector_id'), ['inspector_id'], unique=False)

    op.create_table('enrolment_codes',
    sa.Column('code_hash', sa.LargeBinary(), nullable=False),
    sa.Column('inspector_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.String(length=32), nullable=False),
    sa.Column('used_at', sa.String(length=32), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_enrolment_codes_inspector_id_inspectors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_enrolment_codes'))
    )
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_codes_inspector_id'), ['inspector_id'], unique=False)

    op.create_table('records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('assessment_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_records_assessment_id_assessments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records'))
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_records_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('team_members',
    sa.Column('assessment_id', sa.String(length=36), nullable=False),
    sa.Column('inspector_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_team_members_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_team_members_inspector_id_inspectors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', 'inspector_id', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_inspector_id'), ['inspector_id'], unique=False)

    op.create_table('revisions',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('xid', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('assessment_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('pushed_by', sa.String(length=36), nullable=False),
    sa.Column('parents', sa.Text(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_revisions_record_id_records')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_revisions')),
    sa.UniqueConstraint('id', name=op.f('uq_revisions_id'))
    )
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.create_index('ix_revisions_feed', ['assessment_id', 'xid', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_revisions_record_id'), ['record_id'], unique=False)

