"""The service's tables as typed SQLAlchemy models; Alembic migrations in migrations/ create them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fieldapp.storage.models import NAMING  # one naming convention for constraints, vault and service alike

# SQLite only numbers an INTEGER PRIMARY KEY by itself; PostgreSQL wants a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Inspector(Base):
    __tablename__ = "inspectors"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(300))
    # May offer assessments made on a laptop (the embedded local service allows it).
    may_create_assessments: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(32))


class Assessment(Base):
    __tablename__ = "assessments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[str | None] = mapped_column(String(10))
    period_end: Mapped[str | None] = mapped_column(String(10))
    framework_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(36))  # an inspector, when offered from a laptop
    # Days after its last change that synced evidence leaves the team's laptops (kept here); None: never (issue 16).
    retention_days: Mapped[int | None] = mapped_column(Integer)


ROLE_LEAD = "lead"  # a team member's role: the assessment's lead inspector (at most one) ...
ROLE_MEMBER = "inspector"  # ... or an inspector, a specialist adviser or an Expert by Experience (issue 15)
ROLES = (ROLE_LEAD, ROLE_MEMBER, "specialist_adviser", "expert_by_experience")  # as fieldapp.team.ROLE_LABELS


class TeamMember(Base):
    __tablename__ = "team_members"
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    inspector_id: Mapped[str] = mapped_column(ForeignKey("inspectors.id", ondelete="CASCADE"), primary_key=True, index=True)
    # "lead" (the lead inspector, who agrees judgements and publishes ratings; one per assessment), "inspector",
    # "specialist_adviser" or "expert_by_experience" (migration 0004 made every earlier "member" an inspector)
    role: Mapped[str] = mapped_column(String(20), default=ROLE_MEMBER, server_default=ROLE_MEMBER)  # "expert_by_experience" is 20


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the vault's device id, as in its signatures
    inspector_id: Mapped[str] = mapped_column(ForeignKey("inspectors.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)  # SHA-256 of the bearer token
    enrolled_at: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32))
    last_seen_at: Mapped[str | None] = mapped_column(String(32))
    wiped_at: Mapped[str | None] = mapped_column(String(32))  # when, once revoked, it confirmed its vault was wiped


class EnrolmentCode(Base):
    __tablename__ = "enrolment_codes"
    code_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)  # SHA-256 of the normalised code
    inspector_id: Mapped[str] = mapped_column(ForeignKey("inspectors.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[str | None] = mapped_column(String(32))
    device_id: Mapped[str | None] = mapped_column(String(36))


class Record(Base):
    """A record's fixed facts, taken from its first revision: it never changes assessment or kind."""

    __tablename__ = "records"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))


class Revision(Base):
    """A stored revision. `xid` is the writing transaction's id on PostgreSQL (0 on SQLite): the
    pull cursor orders by (xid, seq) and stops below the oldest transaction still running, so a
    row committed late is never skipped (DESIGN.md section 6)."""

    __tablename__ = "revisions"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    xid: Mapped[int] = mapped_column(BigInteger, default=0)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    assessment_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36))  # the signer (or "auto-merge-N")
    pushed_by: Mapped[str] = mapped_column(String(36))  # the device that sent it
    parents: Mapped[str] = mapped_column(Text)  # JSON list, as in the body
    body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[str] = mapped_column(String(32))

    __table_args__ = (Index("ix_revisions_feed", "assessment_id", "xid", "seq"),)


class BlobRef(Base):
    """An attachment's bytes named by a revision of an assessment: who may send and fetch them."""

    __tablename__ = "blob_refs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # A device of this assessment's team has shown it holds the bytes (uploaded them whole, or
    # named them while it could already fetch them): only then may the team download them.
    # Knowing a SHA-256 is not holding the file.
    proven: Mapped[bool] = mapped_column(Boolean, default=False)


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunk_size: Mapped[int] = mapped_column(Integer)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[str | None] = mapped_column(String(32))
    # Its chunks are sealed (sync.server.sealing.ChunkSeal); False only for files stored before sealing began.
    sealed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa.false())


class Framework(Base):
    __tablename__ = "frameworks"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    published_at: Mapped[str] = mapped_column(String(32))


class Concern(Base):
    """A concern raised on a laptop, as the office sees it (issue 15): filled from its accepted
    revisions (the newest received is its head), acknowledged here by the office. The acknowledgement is
    a fact the service keeps and sends with every pull, never a revision: the service signs nothing."""

    __tablename__ = "concerns"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the concern item's id
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    concern_kind: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(32))
    heard: Mapped[str] = mapped_column(Text)
    tell: Mapped[str] = mapped_column(Text, default="")
    raised_by: Mapped[str] = mapped_column(String(300))  # the inspector the pushing device is enrolled for
    raised_at: Mapped[str] = mapped_column(String(40))  # when the laptop says it was raised
    device_id: Mapped[str] = mapped_column(String(36))  # the device that first sent it
    received_at: Mapped[str] = mapped_column(String(32))  # when its first revision arrived here
    updated_at: Mapped[str] = mapped_column(String(32))  # when its newest revision arrived here
    acknowledged_by: Mapped[str | None] = mapped_column(String(300))
    acknowledged_at: Mapped[str | None] = mapped_column(String(32))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)


class OfficeToken(Base):
    """A bearer token for the office (issue 15): it reads every team's concerns and acknowledges them
    over HTTP, and opens no device route. Only its SHA-256 is kept; the token is shown once, when made."""

    __tablename__ = "office_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))  # who holds it ("Safeguarding desk"); acknowledges as this by default
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)  # SHA-256 of the bearer token
    created_at: Mapped[str] = mapped_column(String(32))
    last_used_at: Mapped[str | None] = mapped_column(String(32))  # to the minute: written at most once a minute
    revoked_at: Mapped[str | None] = mapped_column(String(32))


class AuditEntry(Base):
    """One entry of a laptop's audit log (issue 16), kept as the device signed it once its signature
    held under the device's key; the administrator lists them (`fieldapp-server admin audit list`).
    Its detail is ids, counts and format names only, never evidence (fieldapp.audit)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_device_at", "device_id", "at"), Index("ix_audit_entries_at", "at"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the laptop's UUIDv7
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[str] = mapped_column(String(32))  # when the laptop says it happened (ISO 8601, UTC)
    detail: Mapped[str] = mapped_column(Text)  # JSON, as in the body
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the canonical body the signature covers
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[str] = mapped_column(String(32))


class DataKey(Base):
    """A data key, wrapped by the service key (sync.server.sealing): one per assessment for its revisions
    and concerns. Only the wrapped key is kept; `key_id` names the
    service key that wraps it, so a rotation stopped halfway goes on where it stopped."""

    __tablename__ = "data_keys"
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)  # "a:<assessment id>"; room for other owners later
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(32))


class ServiceInstance(Base):
    """The service's instance id (sync.server.instance): one row, made by the first process to start
    on the database, renewed by `admin restore`; every host and worker on the database tells laptops it."""

    __tablename__ = "service_instance"
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1: a second maker's row meets the first's
    instance_id: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[str] = mapped_column(String(32))
