"""The vault's tables as typed SQLAlchemy models. ORM objects never leave the core.

Migrations in fieldapp/storage/migrations/ create these tables; a test checks that both agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Meta(Base):
    """Small facts about the vault: its id, this device's id and signing key."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class Device(Base):
    """Devices whose revisions this vault holds, with the public key that checks their signatures."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    label: Mapped[str] = mapped_column(String, default="")  # the laptop's, as the service names it
    inspector: Mapped[str] = mapped_column(String, default="")  # who it is enrolled for, when the service says


class Assessment(Base):
    __tablename__ = "assessments"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    period_start: Mapped[str | None] = mapped_column(String)
    period_end: Mapped[str | None] = mapped_column(String)
    team: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    framework_key: Mapped[str] = mapped_column(String)
    created_at: Mapped[str] = mapped_column(String)
    # Known to the central service (pulled from it, or offered and accepted); else it stays local.
    on_service: Mapped[bool] = mapped_column(default=False)
    service_note: Mapped[str] = mapped_column(String, default="")  # why the service refused it, if it did
    # Hidden from this laptop's list: a view choice kept here, never sent (the service has no such idea).
    archived: Mapped[bool] = mapped_column(default=False)
    # The lead inspector as the service names them (who alone agrees judgements); None: no lead known.
    lead_id: Mapped[str | None] = mapped_column(String)
    lead_name: Mapped[str | None] = mapped_column(String)
    # The team with each member's role (issue 15), a JSON list of {name, role}; `team` keeps the names.
    members: Mapped[str] = mapped_column(Text, default="[]")
    # Days after its last change that synced evidence leaves this laptop, as the service says (issue 16); None: never.
    retention_days: Mapped[int | None] = mapped_column(Integer)


class Record(Base):
    """A record's working state and head revision; its draft content is in RecordContent.

    Kept narrow on purpose: lists and filters scan this table, and large notes here would make
    every scan decrypt every page of text.
    """

    __tablename__ = "records"
    # An integer key so the FTS5 index can share rowids with this table.
    num: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String, unique=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"))
    kind: Mapped[str] = mapped_column(String)
    framework_key: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(String, default="")
    occurred_on: Mapped[str | None] = mapped_column(String)  # ISO date, for date filters
    flags: Mapped[str] = mapped_column(String, default="")  # space-separated, e.g. "consent-missing"
    head_revision_id: Mapped[str | None] = mapped_column(String)
    draft_dirty: Mapped[bool] = mapped_column(default=True)
    indexed: Mapped[bool] = mapped_column(default=False)  # the search index holds the current draft
    dirty_since: Mapped[str | None] = mapped_column(String)
    deleted: Mapped[bool] = mapped_column(default=False)
    sync_state: Mapped[str] = mapped_column(String, default="local")
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)
    # When retention removed its content from this laptop (the service keeps it; issue 16): the list
    # entry stays, and opening it fetches it again. None: its content is here.
    purged_at: Mapped[str | None] = mapped_column(String)

    __table_args__ = (
        # Entries sort by num within an assessment, so "newest first" needs no sort.
        Index("ix_records_assessment", "assessment_id", "deleted"),
        # Only the few records autosaved since the last search: found without a scan.
        Index("ix_records_unindexed", "num", sqlite_where=sa.text("indexed = 0")),
        # Only the few drafts with words not yet in a revision: each sync starts by cutting them.
        Index("ix_records_dirty", "num", sqlite_where=sa.text("draft_dirty = 1")),
    )


class RecordContent(Base):
    """The working draft of a record: canonical JSON of its kind's fields, rewritten by autosave."""

    __tablename__ = "record_content"
    num: Mapped[int] = mapped_column(ForeignKey("records.num", ondelete="CASCADE"), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    # {field path: text} for date fields whose typed text does not read as a date yet (JSON);
    # the draft keeps it, revisions never do.
    as_typed: Mapped[str | None] = mapped_column(Text)


class Link(Base):
    """An evidence link: a record, or a passage of one of its text fields, to a statement and category.

    Keyed by (record_id, id): ids arrive in other devices' revisions, and only the record they
    belong to can keep them apart (one record reusing another's id must not collide with it).
    """

    __tablename__ = "links"
    id: Mapped[str] = mapped_column(String)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String, index=True)
    category_id: Mapped[str] = mapped_column(String)
    comment: Mapped[str] = mapped_column(Text, default="")
    passage_field: Mapped[str | None] = mapped_column(String)
    passage_start: Mapped[int | None] = mapped_column(Integer)
    passage_end: Mapped[int | None] = mapped_column(Integer)
    passage_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String)

    __table_args__ = (
        sa.PrimaryKeyConstraint("record_id", "id"),
        # Covering: a list row's tags come from the index alone.
        Index("ix_links_record_tags", "record_id", "statement_id", "category_id"),
    )


class Attachment(Base):
    """A file belonging to a record; its bytes are the blob with the same SHA-256.

    Keyed by (record_id, id), as links are; the key's index also finds a record's attachments.
    """

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String)
    media_type: Mapped[str] = mapped_column(String, default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    created_at: Mapped[str] = mapped_column(String)

    __table_args__ = (sa.PrimaryKeyConstraint("record_id", "id"),)


class Blob(Base):
    """One encrypted file in the store, shared by every attachment with the same SHA-256.

    A blob named by a pulled revision but not downloaded yet has no name and no blob id.
    """

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str | None] = mapped_column(String, unique=True)
    blob_id: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    uploaded: Mapped[bool] = mapped_column(default=False)  # the service holds it whole


class Revision(Base):
    """An immutable, signed snapshot of a record; id = SHA-256 of its canonical body."""

    __tablename__ = "revisions"
    __table_args__ = (
        # Covering: the sync status counts what waits and what was refused from the index alone.
        Index("ix_revisions_sent_state", "pushed", "rejected"),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String, unique=True)
    record_id: Mapped[str] = mapped_column(String, index=True)
    parents: Mapped[str] = mapped_column(Text)  # JSON list, as in the body
    body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    device_id: Mapped[str] = mapped_column(String)
    created_at: Mapped[str] = mapped_column(String)
    deleted: Mapped[bool] = mapped_column(default=False)
    pushed: Mapped[bool] = mapped_column(default=False)  # the service holds it (indexed with rejected, below)
    rejected: Mapped[str | None] = mapped_column(String)  # "code: reason" when the service refused it
    # A pulled auto-merge not yet recomputed from its parents (they may come in a later page):
    # settle() checks it once the record's graph is whole, and it is never adopted before.
    awaiting_check: Mapped[bool] = mapped_column(default=False)


class Framework(Base):
    """A framework version that arrived by sync (those shipped with the app are files)."""

    __tablename__ = "frameworks"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    document: Mapped[str] = mapped_column(Text)


class ConcernState(Base):
    """The office's acknowledgement of a concern, as the service sent it with a pull (issue 15).

    Not a revision: the service signs nothing and is no author of evidence. Absent until the office
    acknowledges; the app reminds the inspector about every concern without a row here.
    """

    __tablename__ = "concern_states"
    concern_id: Mapped[str] = mapped_column(String, primary_key=True)
    acknowledged_by: Mapped[str] = mapped_column(String)
    acknowledged_at: Mapped[str] = mapped_column(String)  # ISO 8601, UTC, as the service says
    note: Mapped[str] = mapped_column(Text, default="")


class AuditEntryRow(Base):
    """One signed entry of the audit log (fieldapp.audit): append-only, as triggers made by its migration insist."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        # Only the few entries not yet pushed: found without a scan.
        Index("ix_audit_entries_unsent", "seq", sqlite_where=sa.text("sent = 0")),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String, unique=True)
    kind: Mapped[str] = mapped_column(String)
    at: Mapped[str] = mapped_column(String)  # ISO 8601, UTC
    device_id: Mapped[str] = mapped_column(String)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # canonical JSON, with the detail
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    sent: Mapped[bool] = mapped_column(default=False)  # the service holds it
