"""Plain frozen rows the core returns, and the Changes value every mutation reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from fieldapp.team import TeamMember
from fieldapp.domain import Content

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    """What a mutation touched, by id, so views reload only that (and skip their own echo)."""

    assessments: frozenset[str] = frozenset()
    records: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    attachments: frozenset[str] = frozenset()
    revisions: frozenset[str] = frozenset()
    # Made elsewhere and arrived here (a pull, or a colleague's version kept in a conflict): an
    # editor showing one of these records takes the new draft in, rather than skip its own echo.
    from_sync: bool = False
    # Assessments whose judgements, rating or rating snapshots changed (saved here, or pulled).
    judgements: frozenset[str] = frozenset()
    # Assessments whose concerns changed: raised or changed here, pulled, or acknowledged by the office.
    concerns: frozenset[str] = frozenset()

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.assessments | other.assessments,
            self.records | other.records,
            self.links | other.links,
            self.attachments | other.attachments,
            self.revisions | other.revisions,
            from_sync=self.from_sync or other.from_sync,
            judgements=self.judgements | other.judgements,
            concerns=self.concerns | other.concerns,
        )

    def __bool__(self) -> bool:
        return bool(self.assessments or self.records or self.links or self.attachments or self.revisions or self.judgements or self.concerns)


@dataclass(frozen=True)
class Done(Generic[T]):
    """A mutation's result: the new state of what it made or changed, and what changed."""

    value: T
    changes: Changes


@dataclass(frozen=True)
class AssessmentRow:
    id: str
    name: str
    period_start: str | None
    period_end: str | None
    team: tuple[str, ...]
    framework_key: str
    created_at: str
    on_service: bool = False  # the central service has it (else it exists on this laptop only)
    service_note: str = ""  # why the service refused it, if it did
    archived: bool = False  # hidden from this laptop's list unless archived ones are shown
    lead: str | None = None  # the lead inspector's name, as the service says (None: no lead known, anyone agrees)
    lead_id: str | None = None
    i_lead: bool = True  # this laptop's inspector may agree judgements (the lead, or no lead is known)
    members: tuple[TeamMember, ...] = ()  # the team with roles (issue 15); `team` is their names, in this order
    retention_days: int | None = None  # synced evidence leaves this laptop that long after its last change (issue 16)


@dataclass(frozen=True)
class Passage:
    """A span of one text field of a record (see domain.text_fields for the field paths)."""

    field: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class LinkRow:
    id: str
    record_id: str
    statement_id: str
    category_id: str
    comment: str = ""
    passage: Passage | None = None


@dataclass(frozen=True)
class AttachmentRow:
    id: str
    record_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    created_at: str
    here: bool = True  # its bytes are on this laptop (else a pulled revision named it and it is still to download)


@dataclass(frozen=True)
class RecordRow:
    """A record as it stands now: its draft content, tags and attachments."""

    id: str
    assessment_id: str
    kind: str
    framework_key: str
    title: str
    occurred_on: str | None
    content: Content
    links: tuple[LinkRow, ...]
    attachments: tuple[AttachmentRow, ...]
    head_revision_id: str | None
    draft_dirty: bool
    deleted: bool
    sync_state: str
    flags: tuple[str, ...]
    created_at: str
    updated_at: str
    # Date fields whose typed text does not read as a date yet, by field path (see
    # domain.when_paths): the text as typed, kept with the draft until it is fixed.
    as_typed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EditSaved:
    """An editor's autosave: the record as saved, and whether the draft had changed under it."""

    record: RecordRow
    rebased: bool = False  # the edit was moved onto a draft that changed since the editor's base
    kept_mine: tuple[str, ...] = ()  # fields changed both ways, where the editor's words were kept


@dataclass(frozen=True)
class RecordSummary:
    """What a list row shows, without decoding the whole record."""

    id: str
    assessment_id: str
    kind: str
    title: str
    occurred_on: str | None
    statement_ids: tuple[str, ...]
    category_ids: tuple[str, ...]
    sync_state: str
    flags: tuple[str, ...]
    updated_at: str


@dataclass(frozen=True)
class RevisionRow:
    id: str
    record_id: str
    parents: tuple[str, ...]
    device_id: str
    created_at: str
    deleted: bool
    pushed: bool


@dataclass(frozen=True)
class Problem:
    """One thing verify() found wrong, named by record (and revision or file where known)."""

    what: str
    message: str
    record_id: str | None = None
    revision_id: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    revisions_checked: int
    attachments_checked: int
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems
