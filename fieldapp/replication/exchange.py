"""The vault's side of sync (`vault.replication`): its link to the service, what waits to be pushed,
applying what was pulled, conflicts and their resolution, and which attachment bytes must move.

No network here: `sync.client` talks to the service and calls these, each one short transaction,
so the app keeps saving while a sync runs. Pulled revisions are checked (hash, signature or
recomputed auto-merge) before they are stored; a page and the cursor after it commit together.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fieldapp import framework as frameworks
from fieldapp import sync_state
from fieldapp.team import INSPECTOR, LEAD, TeamMember, members_json
from fieldapp.replication import arrivals, enrolment_proof
from fieldapp.revisions import graph, revision
from fieldapp.storage import sqlcipher
from fieldapp.audit import Audit
from fieldapp.context import VaultContext
from fieldapp.concerns import Acknowledgement, store_acknowledgements
from fieldapp.concern_notes import note_sent
from fieldapp import domain
from fieldapp.domain import CONCERN, ITEM_KINDS
from fieldapp.errors import FieldappError, FrameworkError, IntegrityError, NotFound, ValidationError
from fieldapp.ids import iso, utcnow
from fieldapp.storage.models import Assessment, Attachment, Blob, Device, Framework, Meta, Record, Revision
from fieldapp.records import cut_dirty, load, to_row
from fieldapp.rows import Changes, Done, RecordRow
from fieldapp.replication.settle import Conflict, Outcome, conflict_of, settle
from fieldapp.replication.settle import resolve as resolve_conflict


_LINK_KEYS = ("url", "token", "inspector_id", "inspector_name", "ca_bundle")
_PREFIX = sync_state.META_PREFIX
# Refusals that a later push may cure: the parent goes first; the inspector is added to the team again.
TRANSIENT = {"unknown_parent", "not_in_team"}


@dataclass(frozen=True)
class ServiceLink:
    """Where this vault syncs to, and its credentials there (kept only inside the encrypted vault)."""

    url: str
    token: str = field(repr=False)
    inspector_id: str = ""
    inspector_name: str = ""
    ca_bundle: str = ""  # a PEM file for a private service's certificate authority


@dataclass(frozen=True)
class PulledAssessment:
    id: str
    name: str
    period_start: str | None
    period_end: str | None
    framework: str
    team: tuple[str, ...]
    lead_id: str | None = None  # the lead inspector, when the service names one
    lead_name: str | None = None
    # Each member's (name, role), when the service says (issue 15); None: an older service, whose
    # names are read as inspectors and its lead as the lead.
    members: tuple[tuple[str, str], ...] | None = None
    retention_days: int | None = None  # synced evidence leaves this laptop that long after its last change (issue 16)


class PendingPage(NamedTuple):
    """Revisions waiting to be pushed, oldest first, and the sequence number of the last one."""

    revisions: list[revision.SignedRevision]
    last_seq: int


class PulledDevice(NamedTuple):
    """A signer of pulled revisions, as the service introduces it."""

    id: str
    public_key: bytes  # Ed25519, raw
    label: str  # the laptop's (from a service that sends no inspector: "Inspector – laptop")
    inspector: str = ""  # the inspector it is enrolled for, when the service says


@dataclass(frozen=True)
class PulledPage:
    revisions: tuple[revision.SignedRevision, ...]
    devices: tuple[PulledDevice | tuple[str, bytes, str], ...]
    assessments: tuple[PulledAssessment, ...]
    cursor: str
    prechecked: arrivals.Prechecked = field(default_factory=dict)  # from arrivals.precheck, off this thread
    acknowledgements: tuple[Acknowledgement, ...] = ()  # the office's, of the team's concerns (kept once each)


@dataclass(frozen=True)
class PullReport:
    stored: int = 0  # new revisions kept
    refused: tuple[str, ...] = ()  # why some revisions were not taken as evidence
    outcomes: dict[str, int] = field(default_factory=dict)  # Outcome value -> records
    made_here: int = 0  # revisions settling made on this laptop (merges, an unsaved draft cut): to push
    assessments_changed: bool = False  # one may have come onto the service: its records may go now

    @property
    def conflicts(self) -> int:
        return self.outcomes.get(Outcome.CONFLICT.value, 0)


@dataclass(frozen=True)
class Ack:
    id: str
    accepted: bool
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Refusal:
    """A change the service refused for good: the record's title, and the service's reason."""

    record_id: str
    title: str
    reason: str

    def words(self) -> str:
        title = f"“{self.title}”" if self.title else "an untitled record"
        return f"The service refused {title}: {self.reason.rstrip('.')}."


@dataclass(frozen=True)
class BlobToMove:
    sha256: str
    size: int


@dataclass(frozen=True)
class SyncStart:
    to_offer: list[PulledAssessment]  # assessments made here that the service has not got
    cursor: str | None
    keys: dict[str, bytes]  # every signer this vault trusts, by device id
    changes: Changes  # the drafts cut into revisions
    pending: PendingPage = PendingPage([], 0)  # the first batch to push, and where it ends
    pull_own: bool = False  # pull this laptop's own revisions too (it was restored from a backup)
    waiting: int | None = None  # revisions to push, counted for the progress bar; None: not counted (assessments to offer first)
    concerns: list[revision.SignedRevision] = field(default_factory=list)  # concern revisions to push first, in a batch of their own


@dataclass(frozen=True)
class SyncStatus:
    waiting: int  # revisions not yet on the service (and not refused)
    unsaved: int  # records with edits not yet cut into a revision (the next sync cuts and sends them)
    refused: int  # revisions the service refused for good
    conflicts: int  # records with heads that need the inspector
    local_only: int  # assessments the service does not have
    uploads: int
    downloads: int
    last_synced_at: str | None
    refusals: tuple[Refusal, ...] = ()  # the first few refused changes, with their records' titles


class Replication:
    def __init__(self, context: VaultContext) -> None:
        self._context = context
        self._last_marked: str | None = None

    # -- the link to the service -----------------------------------------------------------------

    def link(self) -> ServiceLink | None:
        values = self._meta_values(_LINK_KEYS)
        if not values.get("url") or not values.get("token"):
            return None
        return ServiceLink(**{k: values.get(k, "") for k in _LINK_KEYS})

    def set_link(self, link: ServiceLink) -> None:
        """Remember the service and this device's token there (after enrolling). Linking to a
        different service starts afresh: it holds none of this vault's work yet."""
        previous = self.link()
        with self._context.transaction("saving the sync settings") as session:
            for key in _LINK_KEYS:
                _put_meta(session, key, getattr(link, key))
            if previous is None or previous.url != link.url:
                _put_meta(session, "cursor", "")
                session.execute(sa.update(Revision).values(pushed=False, rejected=None))
                # Nothing is on the new service yet: no record may say "Synced" until it is.
                session.execute(sa.update(Record).where(Record.sync_state == "synced").values(sync_state="local"))
                session.execute(sa.update(Assessment).values(on_service=False, service_note=""))
                session.execute(sa.update(Blob).where(Blob.name.is_not(None)).values(uploaded=False))
            # Where it syncs is a security fact; the address itself stays out of the log (it may name a place).
            Audit(self._context).record_in(
                session, "device_enrolled", inspector_id=link.inspector_id or None, new_service=previous is None or previous.url != link.url,
                private_ca=bool(link.ca_bundle),
            )  # fmt: skip

    def enrolment(self, code: str) -> tuple[str, bytes, bytes]:
        """This device's id and Ed25519 public key, as the service registers them, with the proof
        that this vault holds the private key, for this one-time code alone."""
        with self._context.transaction("reading the device identity") as session:
            key = session.scalar(sa.select(Device.public_key).where(Device.id == self._context.device_id))
            if key is None:
                raise NotFound("This vault's own device key is missing; restore a backup.")
            device_id = self._context.device_id
            return device_id, key, enrolment_proof.sign(self._context.signing_key, code, device_id, key)

    def cursor(self) -> str | None:
        return self._meta_values(("cursor",)).get("cursor") or None

    def _meta_values(self, keys: tuple[str, ...]) -> dict[str, str]:
        with self._context.transaction("reading the sync settings") as session:
            rows = session.execute(_META_VALUES, {"keys": [_PREFIX + k for k in keys]})
            return {k[len(_PREFIX) :]: v.decode("utf-8") for k, v in rows}

    # -- assessments ------------------------------------------------------------------------------

    def begin_sync(self, batch: int) -> SyncStart:
        """What a sync starts from, in one transaction: open drafts cut into revisions (so nothing
        typed is left out), the assessments to offer, the first batch to push, the cursor, and the
        signers' keys."""
        with self._context.transaction("starting a sync") as session:
            cuts = cut_dirty(session, self._context)
            to_offer = [PulledAssessment(a.id, a.name, a.period_start, a.period_end, a.framework_key, tuple(json.loads(a.team))) for a in session.scalars(_TO_OFFER)]
            meta = dict(session.execute(_META_VALUES, {"keys": [_PREFIX + "cursor", _PREFIX + "pull_own"]}).tuples().all())
            cursor = meta.get(_PREFIX + "cursor", b"").decode() or None
            keys = dict(session.execute(_DEVICE_KEYS).tuples().all())
            changes = Changes(records=frozenset(c.record_id for c in cuts), revisions=frozenset(c.id for c in cuts))
            pending = _pending_page(session, batch, 0) if not to_offer else PendingPage([], 0)  # offers change what may go
            concerns = _pending_concerns(session, batch) if not to_offer else []
            # For the progress bar: a short first batch is all there is; only a full one needs counting.
            waiting: int | None = None if to_offer else len(pending[0])
            if waiting == batch:
                waiting = session.scalar(_PENDING_COUNT) or 0
            return SyncStart(to_offer, cursor, keys, changes, pending, pull_own=_PREFIX + "pull_own" in meta, waiting=waiting, concerns=concerns)

    def assessments_to_offer(self) -> list[PulledAssessment]:
        """Assessments made on this laptop that the service has not got (nor refused)."""
        with self._context.transaction("listing assessments to offer") as session:
            rows = session.scalars(_TO_OFFER)
            return [PulledAssessment(a.id, a.name, a.period_start, a.period_end, a.framework_key, tuple(json.loads(a.team))) for a in rows]

    def assessment_offered(self, assessment_id: str, *, accepted: PulledAssessment | None, refusal: str = "") -> Done[tuple[str, ...]]:
        """Note the service's answer to an offered assessment. Accepted, it takes the service's team
        (its administrator sets it): returns the names typed on this laptop that team lacks, for the
        inspector to hear of (records that name them keep their names)."""
        with self._context.transaction("noting the service's answer") as session:
            row = session.get(Assessment, assessment_id)
            if row is None:
                raise NotFound(f"No assessment with id {assessment_id}.")
            dropped: tuple[str, ...] = ()
            if accepted is not None:
                kept = set(accepted.team)
                dropped = tuple(name for name in json.loads(row.team or "[]") if name not in kept)
                _update_assessment(row, accepted)
            row.service_note = "" if accepted is not None else (refusal or "The service refused it.")
            return Done(dropped, Changes(assessments=frozenset({assessment_id})))

    # -- push -------------------------------------------------------------------------------------

    def pending(self, limit: int, *, after_seq: int = 0) -> list[revision.SignedRevision]:
        """Revisions the service has not acknowledged, of records whose assessment is on the service:
        concerns first (from the start), then the rest oldest first (parents before children)."""
        concerns = self.pending_concerns(limit) if after_seq == 0 else []
        if len(concerns) == limit:
            return concerns
        return concerns + self.pending_page(limit - len(concerns), after_seq=after_seq)[0]

    def pending_page(self, limit: int, *, after_seq: int = 0) -> PendingPage:
        """Revisions to push other than concerns', past a position, with the position of the last one:
        so the next batch can be read while the previous one is still on its way (none is
        acknowledged yet). Concerns go before them, by pending_concerns."""
        with self._context.transaction("reading revisions to push") as session:
            return _pending_page(session, limit, after_seq)

    def pending_concerns(self, limit: int) -> list[revision.SignedRevision]:
        """Concern revisions the service has not acknowledged, oldest first: a sync pushes them in a
        batch of their own before any other revision or attachment byte (docs/items.md)."""
        with self._context.transaction("reading concerns to push") as session:
            return _pending_concerns(session, limit)

    def acknowledge(self, acks: list[Ack]) -> Done[tuple[Refusal, ...]]:
        """Note what the service stored (and what it refused, and why); returns the refusals for
        good, each with its record's title."""
        with self._context.transaction("noting what the service stored") as session:
            accepted = [a.id for a in acks if a.accepted]
            sent = frozenset[str]()
            if accepted:
                session.execute(_MARK_PUSHED, {"ids": accepted})
                sent = note_sent(session, self._context, accepted)  # "Sent to the office on …"
            refused = [{"rev_id": a.id, "why": f"{a.code}: {a.reason}"[:2000]} for a in acks if not a.accepted and a.code not in TRANSIENT]
            if refused:
                session.execute(_MARK_REFUSED, refused)
            touched = set(session.scalars(_RECORDS_OF_REVISIONS, {"ids": [a.id for a in acks]}))
            _refresh_states(session, self._context, touched)
            refusals = tuple(_refusals(session, [r["rev_id"] for r in refused])) if refused else ()
            return Done(refusals, Changes(records=frozenset(touched), concerns=sent))

    # -- pull -------------------------------------------------------------------------------------

    def apply_pull(self, page: PulledPage) -> Done[PullReport]:
        """Store a checked page of pulled revisions, settle each record it touches, move the cursor.

        A record whose revisions cannot be stored here is refused alone (reported in `refused`):
        the rest of the page is kept and the cursor moves, so one bad record never stops a pull.
        """
        context = self._context
        with context.transaction("storing pulled changes") as session:
            assessments = _upsert_assessments(session, page.assessments)
            if not page.revisions:  # the common answer: nothing new, the cursor moved past our own
                if _meta_of(session, "cursor") != page.cursor:  # unmoved, nothing is written: no fsync for a sync with nothing to do
                    _put_meta(session, "cursor", page.cursor)
                acknowledged = store_acknowledgements(session, page.acknowledgements)
                return Done(PullReport(assessments_changed=bool(assessments)), Changes(assessments=frozenset(assessments), from_sync=True) | acknowledged)
            tally = _Tally(refused=_upsert_devices(session, page.devices))
            arrived, refused = arrivals.store(session, page.revisions, page.prechecked)
            tally.refused += refused
            chains, others = arrivals.plain_chains(session, arrived)
            if chains and not _create_in_bulk(session, context, arrived, chains):
                chains, others = {}, others | set(chains)  # one of them cannot be stored: settling each alone finds it
            if chains:
                tally.outcomes[Outcome.CREATED.value] = len(chains)
                tally.changed |= set(chains)
            for record_id in sorted(others):
                _settle_alone(session, context, record_id, arrived, tally)
            _put_meta(session, "cursor", page.cursor)
            report = PullReport(
                stored=len(arrived) - tally.dropped, refused=tuple(tally.refused), outcomes=tally.outcomes,
                made_here=tally.made_here, assessments_changed=bool(assessments),
            )  # fmt: skip
            items = _items_among(session, tally.changed)  # judgements, ratings, snapshots: not records to list
            concerns = _items_among(session, tally.changed, _CONCERNS_AMONG)
            changes = Changes(assessments=frozenset(assessments), records=frozenset(tally.changed - set(items)), from_sync=True,
                              judgements=frozenset(items.values()), concerns=frozenset(concerns.values()))  # fmt: skip
            # After the revisions: an acknowledgement may be of a concern this very page brought.
            return Done(report, changes | store_acknowledgements(session, page.acknowledgements))

    def mark_synced(self, moment: str) -> None:
        """Remember when the last whole sync ended (to the minute, which is what the app shows):
        a write, and its fsync, at most once a minute however often syncs run."""
        if self._last_marked is not None and moment[:16] == self._last_marked[:16]:
            return
        with self._context.transaction("noting the sync") as session:
            _put_meta(session, "last_synced_at", moment)
        self._last_marked = moment

    def start_over(self) -> None:
        """After a restore from a backup: the next pull takes this laptop's own revisions too (it
        may lack some it pushed after the backup). The backup's cursor is before all of them: they
        were stored on the service after it was written."""
        with self._context.transaction("noting a restored vault") as session:
            _put_meta(session, "pull_own", "1")

    def note_instance(self, instance: str) -> bool:
        """Remember the id of the service's data; True if it differs from the one noted before: the
        service was restored from a backup and may lack what this laptop sent since. Then every
        revision this laptop made (not refused) and every attachment is to be sent again (the service
        keeps what it already holds once), and the next pull starts over, this laptop's own included:
        a cursor from before the restore may point past what the restored service holds."""
        with self._context.transaction("noting the service's data") as session:
            known = session.scalar(sa.select(Meta.value).where(Meta.key == _PREFIX + "instance"))
            if known is not None and known.decode("utf-8") == instance:
                return False
            _put_meta(session, "instance", instance)
            if known is None:
                return False
            own = (Revision.device_id == self._context.device_id) & Revision.rejected.is_(None)
            session.execute(sa.update(Revision).where(own).values(pushed=False))
            session.execute(sa.update(Blob).where(Blob.name.is_not(None)).values(uploaded=False))
            _put_meta(session, "cursor", "")
            _put_meta(session, "pull_own", "1")
            return True

    def caught_up(self) -> None:
        """A pull with this laptop's own revisions reached the end: later ones leave them out."""
        with self._context.transaction("noting a whole pull") as session:
            session.execute(sa.delete(Meta).where(Meta.key == _PREFIX + "pull_own"))

    def reset_cursor(self) -> None:
        """Pull everything again from the start (the service no longer knows the cursor)."""
        with self._context.transaction("resetting the sync cursor") as session:
            _put_meta(session, "cursor", "")

    # -- conflicts --------------------------------------------------------------------------------

    def conflicts(self) -> list[Conflict]:
        """Records whose versions collide, each with every head and what collides."""
        with self._context.transaction("reading conflicts") as session:
            rows = session.scalars(sa.select(Record).where(Record.sync_state == "conflict").order_by(Record.num))
            return [conflict_of(session, rec) for rec in rows]

    def conflict(self, record_id: str) -> Conflict:
        with self._context.transaction("reading a conflict") as session:
            return conflict_of(session, load(session, record_id, include_deleted=True))

    def resolve(self, record_id: str, *, take: str | None = None) -> Done[RecordRow]:
        """End a conflict with a revision whose parents are every head: the version `take`, or
        (take=None) the draft as the inspector merged it by hand."""
        with self._context.transaction("resolving a conflict") as session:
            rec = load(session, record_id, include_deleted=True)
            if domain.is_item(rec.kind):
                raise ValidationError("This is a judgement or rating, not a record: resolve it with resolve_item().")
            made = resolve_conflict(session, self._context, rec, take)
            return Done(to_row(session, rec), Changes(records=frozenset({rec.id}), revisions=frozenset({made.id}), from_sync=True))

    def resolve_item(self, item_id: str, *, take: str | None = None) -> Done[str]:
        """End an item's conflict (a judgement's, the rating's, a concern's…; vault.judgements.versions shows them side by side):
        keep the version `take`, or (None) the item as last saved here, merged by hand. Returns its id."""
        with self._context.transaction("resolving a conflict") as session:
            rec = load(session, item_id, include_deleted=True)
            if not domain.is_item(rec.kind):
                raise ValidationError("This is an evidence record: resolve it with resolve().")
            made = resolve_conflict(session, self._context, rec, take)
            concern = frozenset({rec.assessment_id}) if rec.kind == CONCERN else frozenset()
            changes = Changes(revisions=frozenset({made.id}), from_sync=True, judgements=frozenset({rec.assessment_id}), concerns=concern)
            return Done(rec.id, changes)

    # -- frameworks -------------------------------------------------------------------------------

    def frameworks_missing(self, keys: list[str]) -> list[str]:
        known = {f.key for f in frameworks.known_frameworks()}
        return [k for k in keys if k not in known]

    def store_framework(self, text: str) -> str:
        """Check a framework document that came by sync strictly, keep it, and make it usable."""
        try:
            parsed = frameworks.parse_framework(json.loads(text))
        except (ValueError, FieldappError) as exc:
            raise ValidationError(f"The service sent a framework that is not usable: {exc}") from None
        with self._context.transaction("storing a framework") as session:
            if session.get(Framework, parsed.key) is None:
                session.add(Framework(key=parsed.key, document=text))
        frameworks.register(parsed)
        return parsed.key

    def load_frameworks(self) -> None:
        """Register the framework versions stored in this vault (on unlock)."""
        with self._context.transaction("reading frameworks") as session:
            documents = list(session.scalars(sa.select(Framework.document)))
        for text in documents:
            try:
                frameworks.register(frameworks.parse_framework(json.loads(text)))
            except (ValueError, FieldappError):
                continue  # a damaged row: records tagged against it say so when opened

    # -- attachments -------------------------------------------------------------------------------

    def uploads_pending(self) -> list[BlobToMove]:
        """Attachment bytes in this vault that the service does not hold whole yet (current and
        past attachments alike: history restored elsewhere needs them too). The service takes
        only bytes a pushed revision names; the rest wait for their revision."""
        with self._context.transaction("listing attachments to send") as session:
            rows = session.execute(_UPLOADS)
            return [BlobToMove(r.sha256, r.size) for r in rows]

    def mark_uploaded(self, sha256: str) -> Done[None]:
        """The service holds these bytes whole; the records they belong to may read "Synced" now."""
        with self._context.transaction("noting an uploaded attachment") as session:
            session.execute(sa.update(Blob).where(Blob.sha256 == sha256).values(uploaded=True))
            records = set(session.scalars(_RECORDS_OF_BLOB, {"sha256": sha256}))
            return Done(None, Changes(records=frozenset(records)))

    def transfers_pending(self) -> tuple[list[BlobToMove], list[BlobToMove]]:
        """Attachment bytes to send and to fetch, read together (one transaction, not two)."""
        with self._context.transaction("listing attachments to move") as session:
            up = session.execute(_UPLOADS)
            down = session.execute(_DOWNLOADS)
            return [BlobToMove(r.sha256, r.size) for r in up], [BlobToMove(r.sha256, r.size) for r in down]

    def open_upload(self, sha256: str):  # noqa: ANN201 - a fieldapp.storage.blobstore reader
        """A reader of the attachment's plaintext, by range (decrypted chunk by chunk, in memory)."""
        with self._context.transaction("opening an attachment") as session:
            blob = session.get(Blob, sha256)
            if blob is None or blob.name is None or blob.blob_id is None:
                raise NotFound("That attachment's bytes are not in this vault.")
            name, blob_id = blob.name, blob.blob_id
        return self._context.blobs.open_reader(name, blob_id=blob_id)

    def begin_download(self, sha256: str, size: int):  # noqa: ANN201 - a fieldapp.storage.blobstore partial
        """A resumable, encrypted partial file for bytes arriving from the service."""
        return self._context.blobs.begin_partial(sha256, blob_id=_download_blob_id(self._context, sha256), size=size)

    def finish_download(self, sha256: str, partial) -> Done[None]:  # noqa: ANN001
        """Check the arrived bytes against their SHA-256 and make them the attachment's bytes."""
        info = partial.finish()
        if info.sha256 != sha256.lower():
            self._context.blobs.remove(info.name)
            raise IntegrityError("The downloaded attachment does not match its SHA-256; it was discarded.")
        with self._context.transaction("storing a downloaded attachment") as session:
            blob = session.get(Blob, sha256)
            if blob is None or blob.name is not None:  # not wanted any more, or arrived twice
                self._context.blobs.remove(info.name)
                return Done(None, Changes())
            blob.name, blob.blob_id, blob.uploaded = info.name, _download_blob_id(self._context, sha256), True
            records = set(session.scalars(_RECORDS_OF_BLOB, {"sha256": sha256}))
            return Done(None, Changes(records=frozenset(records)))

    # -- status -----------------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        with self._context.transaction("reading the sync status") as session:
            count = lambda query: session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0  # noqa: E731
            waiting = session.scalar(COUNT_WAITING) or 0
            unsaved = count(_DIRTY_IDS)
            refused = session.scalar(COUNT_REFUSED) or 0
            conflicts = count(sa.select(Record.id).where(Record.sync_state == "conflict"))
            local_only = count(sa.select(Assessment.id).where(Assessment.on_service.is_(False)))
            uploads = count(sa.select(Blob.sha256).where(_TO_UPLOAD))
            downloads = count(sa.select(Blob.sha256).where(Blob.name.is_(None)))
            last = session.get(Meta, _PREFIX + "last_synced_at")
            refusals = tuple(_refusals(session, list(session.scalars(_REFUSED_FIRST)))) if refused else ()
            return SyncStatus(waiting, unsaved, refused, conflicts, local_only, uploads, downloads, last.value.decode() if last else None, refusals)


# -- statements, built once ------------------------------------------------------------------------
# Building a statement costs more than running a small one here (SQLAlchemy coerces every clause
# and computes its cache key on each build), and one sync runs dozens: so they are built once,
# with bound parameters. Core statements on the tables: these change rows that no object in the
# session holds (or that are read again after), so there is no identity map to keep in step.

_IDS: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
_revisions, _records, _meta, _devices = (cast(sa.Table, model.__table__) for model in (Revision, Record, Meta, Device))
_META_VALUES = sa.select(Meta.key, Meta.value).where(Meta.key.in_(sa.bindparam("keys", expanding=True)))
_INSERT_META = sqlite_insert(_meta).values(key=sa.bindparam("key"), value=sa.bindparam("value"))
_PUT_META = _INSERT_META.on_conflict_do_update(index_elements=[_meta.c.key], set_={"value": _INSERT_META.excluded.value})
_TO_OFFER = sa.select(Assessment).where(Assessment.on_service.is_(False), Assessment.service_note == "")
_ASSESSMENT_FIELDS = sa.select(
    Assessment.id, Assessment.name, Assessment.period_start, Assessment.period_end, Assessment.framework_key,
    Assessment.team, Assessment.on_service, Assessment.lead_id, Assessment.lead_name, Assessment.members, Assessment.retention_days,
)  # fmt: skip
_DEVICE_KEYS = sa.select(Device.id, Device.public_key)
# Read after every change (the status bar): counted from ix_revisions_sent_state alone, never the
# revisions' pages (a test reads their query plans).
COUNT_WAITING = sa.select(sa.func.count()).select_from(Revision).where(Revision.pushed == sa.false(), Revision.rejected.is_(None))
COUNT_REFUSED = sa.select(sa.func.count()).select_from(Revision).where(Revision.rejected.is_not(None))
_DIRTY_IDS = sa.select(Record.id).where(Record.draft_dirty == sa.true())  # "= 1", as ix_records_dirty holds them
_DEVICES_BY_ID = sa.select(Device.id, Device.public_key, Device.label, Device.inspector).where(Device.id.in_(_IDS))
_SET_DEVICE_NAMES = (
    sa.update(_devices)
    .where(_devices.c.id == sa.bindparam("device_id"))
    .values(label=sa.bindparam("label"), inspector=sa.bindparam("inspector"))
)
_TO_PUSH = (  # revisions the service has not acknowledged, of records whose assessment it has
    sa.select(Revision.seq)
    .join(Record, Record.id == Revision.record_id)
    .join(Assessment, Assessment.id == Record.assessment_id)
    .where(Revision.pushed == sa.false(), Revision.rejected.is_(None), Assessment.on_service.is_(True))
)
_PENDING = (
    _TO_PUSH.with_only_columns(Revision.seq, Revision.id, Revision.body, Revision.signature)
    .where(Revision.seq > sa.bindparam("after_seq"), Record.kind != CONCERN)
    .order_by(Revision.seq)
    .limit(sa.bindparam("limit"))
)
_PENDING_CONCERNS = (
    _TO_PUSH.with_only_columns(Revision.seq, Revision.id, Revision.body, Revision.signature)
    .where(Record.kind == CONCERN)
    .order_by(Revision.seq)
    .limit(sa.bindparam("limit"))
)
_PENDING_COUNT = _TO_PUSH.with_only_columns(sa.func.count())  # how many _PENDING gives in all
_MARK_PUSHED = sa.update(_revisions).where(_revisions.c.id.in_(_IDS)).values(pushed=True)
_MARK_REFUSED = sa.update(_revisions).where(_revisions.c.id == sa.bindparam("rev_id")).values(rejected=sa.bindparam("why"))
_RECORDS_OF_REVISIONS = sa.select(Revision.record_id).where(Revision.id.in_(_IDS))
_ITEMS_AMONG = sa.select(Record.id, Record.assessment_id).where(Record.id.in_(_IDS), Record.kind.in_(ITEM_KINDS))
_CONCERNS_AMONG = sa.select(Record.id, Record.assessment_id).where(Record.id.in_(_IDS), Record.kind == CONCERN)
_RECORDS_OF_BLOB = sa.select(Attachment.record_id).where(Attachment.sha256 == sa.bindparam("sha256")).distinct()
_REFUSED_FIRST = sa.select(Revision.id).where(Revision.rejected.is_not(None)).order_by(Revision.seq).limit(3)
_REFUSALS = (
    sa.select(Revision.record_id, Record.title, Revision.rejected)
    .join(Record, Record.id == Revision.record_id, isouter=True)
    .where(Revision.id.in_(_IDS))
    .order_by(Revision.seq)
)
_GRAPHS_OF_RECORDS = sa.select(Revision.record_id, Revision.id, Revision.parents, Revision.pushed).where(Revision.record_id.in_(_IDS))
_STATES_OF_RECORDS = sa.select(Record.id, Record.sync_state, Record.draft_dirty).where(Record.id.in_(_IDS))
_SET_SYNC_STATE = sa.update(_records).where(_records.c.id.in_(_IDS)).values(sync_state=sa.bindparam("state"))
# Bytes here that the service lacks and that an attachment or a revision names. A file attached
# and taken off again before any revision held it is no evidence: the service would never take
# it (no revision names it), and it would wait to be sent for ever.
_TO_UPLOAD = sa.and_(
    Blob.uploaded.is_(False),
    Blob.name.is_not(None),
    sa.or_(
        sa.exists().where(Attachment.sha256 == Blob.sha256),
        sa.exists().where(sa.func.instr(sa.cast(Revision.body, sa.Text), Blob.sha256) > 0),
    ),
)
_UPLOADS = sa.select(Blob.sha256, Blob.size).where(_TO_UPLOAD).order_by(Blob.size)
_DOWNLOADS = sa.select(Blob.sha256, Blob.size).where(Blob.name.is_(None)).order_by(Blob.size)


# -- helpers: take a session, never commit ---------------------------------------------------------


# Bulk UPDATEs here change rows that no object in the session holds (or that are read again
# after): SQLAlchemy's default would walk the identity map to evaluate the WHERE per object.
_BULK = {"synchronize_session": False}


def _pending_page(session: Session, limit: int, after_seq: int) -> PendingPage:
    rows = session.execute(_PENDING, {"after_seq": after_seq, "limit": limit}).all()
    last = rows[-1].seq if rows else after_seq
    return PendingPage([revision.SignedRevision(r.id, r.body, r.signature) for r in rows], last)


def _pending_concerns(session: Session, limit: int) -> list[revision.SignedRevision]:
    rows = session.execute(_PENDING_CONCERNS, {"limit": limit}).all()
    return [revision.SignedRevision(r.id, r.body, r.signature) for r in rows]


@dataclass
class _Tally:
    """What applying one pulled page did, gathered record by record."""

    refused: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)  # Outcome value -> records
    changed: set[str] = field(default_factory=set)
    made_here: int = 0  # revisions made on this laptop while settling
    dropped: int = 0  # revisions stored, then taken out again with their refused record


# What a record's own revisions can cause while it is stored: content this vault does not accept,
# a forged or unknown reference, a row the schema refuses. Anything else (a full disk, a damaged
# page) is the vault's own fault: it fails the whole page, which the next sync pulls again.
_REFUSABLE: tuple[type[BaseException], ...] = (
    ValidationError, NotFound, IntegrityError, FrameworkError, sa.exc.IntegrityError, sqlcipher.ConstraintError,
)


def _create_in_bulk(session: Session, context: VaultContext, arrived: arrivals.Arrived, chains: dict[str, list[str]]) -> bool:
    """Make the page's new plain-chain records all at once; False (and nothing made) if one of them cannot be."""
    try:
        with sqlcipher.savepoint(session):
            arrivals.create_records(session, arrived, chains, context.now())
    except _REFUSABLE:
        return False
    return True


def _settle_alone(session: Session, context: VaultContext, record_id: str, arrived: arrivals.Arrived, tally: _Tally) -> None:
    """Settle one record; if what arrived for it cannot be stored, refuse that alone and carry on."""
    try:
        with sqlcipher.savepoint(session):
            outcome, refusals, made_here = settle(session, context, record_id, arrived)
        tally.made_here += made_here
    except _REFUSABLE as exc:
        dropped = _drop_arrivals(session, record_id, arrived)
        tally.dropped += dropped
        outcome, refusals = Outcome.REFUSED, [_refusal(record_id, dropped, exc)]
    tally.refused += refusals
    tally.outcomes[outcome.value] = tally.outcomes.get(outcome.value, 0) + 1
    if outcome not in (Outcome.UNCHANGED, Outcome.WAITING, Outcome.REFUSED, Outcome.KEPT):
        tally.changed.add(record_id)


def _drop_arrivals(session: Session, record_id: str, arrived: arrivals.Arrived) -> int:
    """Take out what this page brought for a refused record: it stays as it was before the pull,
    and nothing later settles on top of revisions that could not be stored."""
    ids = [rev_id for rev_id, (_rev, fields) in arrived.items() if fields["record_id"] == record_id]
    session.execute(sa.delete(Revision).where(Revision.id.in_(ids)), execution_options=_BULK)
    return len(ids)


def _refusal(record_id: str, count: int, exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", exc))  # a driver error's own words, without the statement
    return f"Record {record_id[:12]}…: {count} revision(s) from the service could not be stored here and were not taken ({reason})."


def _refusals(session: Session, revision_ids: list[str]) -> list[Refusal]:
    """Refused revisions as the inspector knows them: by record title, one line per record."""
    found: dict[str, Refusal] = {}
    for record_id, title, rejected in session.execute(_REFUSALS, {"ids": revision_ids}):
        reason = (rejected or "").partition(": ")[2] or rejected or "no reason given"  # stored as "code: reason"
        found.setdefault(record_id, Refusal(record_id, title or "", reason))
    return list(found.values())


def _items_among(session: Session, record_ids: set[str], query: sa.Select[tuple[str, str]] = _ITEMS_AMONG) -> dict[str, str]:
    """Which of these are items (judgement, rating, snapshot…; or by another query, concerns), each with its assessment id."""
    found: dict[str, str] = {}
    ids = sorted(record_ids)
    for start in range(0, len(ids), 500):
        found.update(session.execute(query, {"ids": ids[start : start + 500]}).tuples().all())
    return found


def _meta_of(session: Session, key: str) -> str | None:
    row = session.execute(_META_VALUES, {"keys": [_PREFIX + key]}).one_or_none()
    return None if row is None else row.value.decode("utf-8")


def _put_meta(session: Session, key: str, value: str) -> None:
    session.execute(_PUT_META, {"key": _PREFIX + key, "value": value.encode("utf-8")})


def _update_assessment(row: Assessment, pulled: PulledAssessment) -> None:
    row.name, row.period_start, row.period_end = pulled.name, pulled.period_start, pulled.period_end
    row.framework_key, row.team, row.on_service = pulled.framework, json.dumps(list(pulled.team)), True
    row.lead_id, row.lead_name = pulled.lead_id, pulled.lead_name
    row.members = _members_json(pulled)
    row.retention_days = pulled.retention_days


def _members_json(pulled: PulledAssessment) -> str:
    """The team with roles as the vault keeps it: as the service says, or (an older service) its
    names as inspectors and the lead it names as the lead."""
    if pulled.members is not None:
        return members_json(TeamMember(name, role) for name, role in pulled.members)
    return members_json(TeamMember(n, LEAD if pulled.lead_id and n == pulled.lead_name else INSPECTOR) for n in pulled.team)


def _upsert_assessments(session: Session, pulled: tuple[PulledAssessment, ...]) -> set[str]:
    """Take the service's assessments (every pull names them all): one read, writes only for what changed."""
    rows = {row.id: row for row in session.execute(_ASSESSMENT_FIELDS)}
    changed = set()
    for item in pulled:
        wanted = (item.name, item.period_start, item.period_end, item.framework, json.dumps(list(item.team)), True, item.lead_id, item.lead_name,
                  _members_json(item), item.retention_days)  # fmt: skip
        row = rows.get(item.id)
        if row is not None and tuple(row)[1:] == wanted:
            continue
        target = session.get(Assessment, item.id) if row is not None else Assessment(id=item.id, created_at=iso(utcnow()), service_note="")
        _update_assessment(target, item)  # type: ignore[arg-type]
        if row is None:
            session.add(target)
        changed.add(item.id)
    session.flush()
    return changed


def _upsert_devices(session: Session, devices: tuple[PulledDevice | tuple[str, bytes, str], ...]) -> list[str]:
    """Remember signers' keys and names; a known device's key never changes (a changed one is refused)."""
    refused = []
    known = {row.id: (row.public_key, row.label, row.inspector) for row in session.execute(_DEVICES_BY_ID, {"ids": [d[0] for d in devices]})}
    for device_id, public_key, label, inspector in (PulledDevice(*d) for d in devices):
        label, inspector = label[:200], inspector[:300]
        had = known.get(device_id)
        if had is None:
            session.add(Device(id=device_id, public_key=public_key, label=label, inspector=inspector))
            known[device_id] = (public_key, label, inspector)
        elif had[0] != public_key:
            refused.append(f"The service sent a different key for device {device_id}; its new revisions were not taken.")
        elif (label or inspector) and (label, inspector) != had[1:]:
            # The service's names for it (inspector and laptop) read better in history.
            session.execute(_SET_DEVICE_NAMES, {"device_id": device_id, "label": label, "inspector": inspector})
            known[device_id] = (public_key, label, inspector)
    session.flush()
    return refused


def _refresh_states(session: Session, context: VaultContext, record_ids: set[str]) -> None:
    """A record is 'synced' when its draft is clean and the service has every revision; conflicts stay.

    Set-based (a push acknowledges hundreds of records at once): one read of the records'
    revision graphs and one of the records, however many there are.
    """
    graphs: dict[str, dict[str, list[str]]] = {}
    unpushed: dict[str, int] = {}
    records: dict[str, tuple[str, bool]] = {}  # id -> (sync state, draft dirty)
    ids = sorted(record_ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows = session.execute(_GRAPHS_OF_RECORDS, {"ids": part})
        for record_id, rev_id, parents, pushed in rows:
            graphs.setdefault(record_id, {})[rev_id] = json.loads(parents)
            unpushed[record_id] = unpushed.get(record_id, 0) + (not pushed)
        found = session.execute(_STATES_OF_RECORDS, {"ids": part})
        records.update((record_id, (state, dirty)) for record_id, state, dirty in found)
    states: dict[str, list[str]] = {"synced": [], "local": []}
    for record_id in ids:
        if record_id not in records:
            continue
        sync_state, draft_dirty = records[record_id]
        if len(graph.heads(graphs.get(record_id, {}))) > 1:
            # Editing a record in conflict cuts a revision on this device's head and marks it
            # 'local': settle again, or the conflict would vanish here while every other device
            # still shows it (and heads that the edit made mergeable would stay unmerged).
            settle(session, context, record_id)
            continue
        if sync_state == "conflict":
            continue
        state = "synced" if not unpushed.get(record_id) and not draft_dirty else "local"
        if state != sync_state:
            states[state].append(record_id)
    for state, changed in states.items():  # one UPDATE per state, not one per record
        for start in range(0, len(changed), 500):
            session.execute(_SET_SYNC_STATE, {"ids": changed[start : start + 500], "state": state})


def _download_blob_id(context: VaultContext, sha256: str) -> bytes:
    # A fixed id per content, so an interrupted download resumes into the same partial file.
    return hashlib.sha256(b"fieldapp-download-blob-id\n" + bytes.fromhex(sha256) + context.device_id.encode()).digest()[:16]
