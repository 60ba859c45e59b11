"""The sync engine: push, then pull, then attachments; resumable at every step.

Each step leaves the vault consistent on its own (acknowledged revisions are marked as the
answers come; a pulled page and its cursor commit together; attachment bytes resume from what
already arrived), so a sync cut off anywhere just carries on next time. The engine holds the
vault's lock only inside each short vault call: the inspector keeps typing while it runs.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
import time
from collections.abc import Callable, Collection, Iterator
from collections import deque
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from fieldapp.concerns import Acknowledgement
from fieldapp.replication import arrivals
from fieldapp.revisions import revision
from fieldapp.errors import Cancelled, FieldappError, IntegrityError, NotFound
from fieldapp.ids import iso, utcnow
from fieldapp.logs import log_failure
from fieldapp.replication.exchange import Ack, BlobToMove, PendingPage, PulledAssessment, PulledDevice, PulledPage
from fieldapp.replication.retention import Purged
from fieldapp.rows import Changes, RecordRow
from fieldapp.sizes import progress_text, size_text
from fieldapp.vault import Vault
from fieldapp.version import app_version, is_newer
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.errors import DamagedOnTheWay, ServiceFault, ServiceRefused, ServiceUnreachable, SyncError, TooLarge
from sync.client.transport import HttpTransport

log = logging.getLogger("fieldapp.sync")  # counts and timings only (fieldapp/logs.py)

DAMAGED_DOWNLOAD = (
    "An attachment of {size} received from the service is not the file its record names, and was not kept; "
    "it will be fetched again at the next sync. If this keeps happening, tell the service's administrator: "
    "the service's copy of it may be damaged."
)
FORBIDDEN_NEXT = (
    "Your work is safe on this laptop. Ask the service's administrator to add you to that assessment's team; "
    "the next sync then sends it."
)
# A pull's last page may say revisions wait behind a transaction open on the service's database
# (protocol.F_HELD_BACK): ask again this often, at most this many times (two seconds), then sync ends.
HELD_BACK_WAIT_S = 0.25
HELD_BACK_WAITS = 8
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DAMAGED_CHUNK = (
    "Part of an attachment of {size} arrived damaged on the way; what had arrived whole is kept, "
    "and the rest is fetched at the next sync."
)



def team_not_kept(assessment: str, names: tuple[str, ...]) -> str:
    """Said once, when an assessment made on this laptop goes to the service: the names typed in its
    team that the service's team (set by its administrator) does not hold."""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    stays = "their name stays" if len(names) == 1 else "their names stay"
    return (
        f"{assessment}: the service's team does not include {listed}; {stays} on the records that mention them. "
        "Ask your administrator to add them."
    )


@dataclass(frozen=True)
class Progress:
    stage: str  # "saving", "assessments", "push", "pull", "upload", "download", "done"
    done: int = 0  # revisions for "push", bytes for "upload" and "download"
    total: int | None = None  # None where it is not known (a pull: the service does not say how much remains)
    message: str = ""


@dataclass
class SyncReport:
    pushed: int = 0
    refused: list[str] = field(default_factory=list)  # changes the service refused for good: which record, and why
    pulled: int = 0
    updated: int = 0  # records that changed here because of the pull
    merged: int = 0
    conflicts: int = 0
    uploaded_bytes: int = 0
    downloaded_bytes: int = 0
    problems: list[str] = field(default_factory=list)  # things the inspector should know about
    # Said by this sync only, never again, so the window keeps them until the inspector dismisses them
    # (a team name the service did not keep): the status's details are rewritten at every refresh.
    notices: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)  # what changed in the vault, for views to reload
    newer_client: str | None = None  # a later fieldapp than this one, as the service's administrator named it
    purged: Purged = field(default_factory=Purged)  # what retention removed from this laptop after the round (issue 16)

    def summary(self) -> str:
        parts = [f"{self.pushed} sent", f"{self.pulled} received"]
        if self.merged:
            parts.append(f"{self.merged} merged")
        if self.conflicts:
            parts.append(f"{self.conflicts} in conflict")
        return ", ".join(parts)


class SyncEngine:
    def __init__(
        self,
        vault: Vault,
        api: ServiceApi,
        *,
        progress: Callable[[Progress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        keep: Callable[[], Collection[str]] | None = None,  # records retention must leave: the one open in the editor, or being opened
        batch: int = protocol.MAX_BATCH,
        page: int = 1000,  # fewer, larger pages: each is one commit (one fsync) on the laptop
    ) -> None:
        self.vault, self.api = vault, api
        self._progress = progress or (lambda _p: None)
        self._cancel = cancel or (lambda: False)
        self._keep = keep or (lambda: ())
        self.batch, self.page = batch, page
        self.report = SyncReport()
        self._frameworks_offered: list[str] = []  # what the service's last page said it offers
        self._pulled_status: protocol.ServiceStatus | None = None  # the status the last page carried (F_STATUS_IN_PULL)
        self._made_while_pulling = False  # settling made revisions to push (or let more go)
        self._parent_was_late = False  # a pushed revision's parent was still on its way
        self._lanes: list[ServiceApi] | None = None  # the push's two connections, made on first use
        self._generation = vault.generation  # the unlock this run began in
        self._push_done = 0  # revisions of this push the service has answered for good (progress)
        self._push_total: int | None = None  # how many this push has to send, when known

    def run(self) -> SyncReport:
        """One whole sync; raises SyncError (nothing lost) when the service cannot be used."""
        started = time.monotonic()
        log.info("sync round started")
        try:
            report = self._run()
        except BaseException as exc:
            log_failure(log, f"sync round after {_ms_since(started)} ms", exc, logging.WARNING)
            raise
        log.info(
            "sync round done in %d ms: %d pushed, %d refused, %d pulled, %d updated, %d merged, %d in conflict, %d bytes up, %d bytes down, "
            "%d records kept on the service only",
            _ms_since(started), report.pushed, len(report.refused), report.pulled, report.updated, report.merged, report.conflicts,
            report.uploaded_bytes, report.downloaded_bytes, report.purged.records,
        )  # fmt: skip
        return report

    def _run(self) -> SyncReport:
        self.report = SyncReport()  # this run's own (an engine may run again and again)
        self._generation = self.vault.generation
        self._frameworks_offered = []
        self._pulled_status = None
        self._made_while_pulling = False
        self._say("saving", message="Saving open records")
        start = self.vault.replication.begin_sync(self.batch)
        self.report.changes |= start.changes
        self._offer_assessments(start.to_offer)
        with self._forbidden_in_words():
            self._push_concerns(start.concerns if not start.to_offer else None)
            self._push(first=start.pending if not start.to_offer else None, total=start.waiting)
        self._pull(start.cursor, start.keys, own=start.pull_own)
        if self._made_while_pulling:
            with self._forbidden_in_words():
                self._push_concerns()  # a concern of an assessment now on the service
                self._push()  # merges (or an unsaved draft) made while settling what arrived, or records of an assessment now on the service
        self._fetch_frameworks()
        uploads, downloads = self.vault.replication.transfers_pending()
        self._upload_attachments(uploads)
        self._download_attachments(downloads)
        self.vault.replication.mark_synced(iso(utcnow()))
        self._purge()
        status, instance = self._service_status()
        if instance and self.vault.replication.note_instance(instance):
            log.info("the service was restored from a backup: this laptop's revisions are sent again")
            return self._run()  # once: the second round finds the instance it noted
        if status is not None and status.audit:
            self._push_audit()
        self.report.newer_client = _newer_client(status)
        self._say("done", message=self.report.summary())
        return self.report

    # -- steps ------------------------------------------------------------------------------------

    def _purge(self) -> None:
        """After a whole round, evidence the service now holds and older than its assessment's
        retention period leaves this laptop (fieldapp.replication.retention, which writes the purge
        to the vault's audit log); before the audit entries are sent, so this one goes in this round."""
        self._check_cancel()
        done = self.vault.retention.purge(keep=self._keep)
        self.report.purged = done.value
        self.report.changes |= done.changes

    def fetch_again(self, record_id: str) -> RecordRow:
        """A record retention removed from this laptop, fetched whole from the service, checked
        against the revisions this laptop held and put back; its attachment files follow."""
        self._say("pull", message="Fetching the record from the service")
        answer = self.api.fetch_items([record_id])
        self.report.changes |= self.vault.retention.restore(record_id, _signed(answer.revisions)).changes
        wanted = {a.sha256 for a in self.vault.records.get(record_id, include_deleted=True).attachments if not a.here}
        self._download_attachments([blob for blob in self.vault.replication.transfers_pending()[1] if blob.sha256 in wanted])
        return self.vault.records.get(record_id, include_deleted=True)

    def _service_status(self) -> tuple[protocol.ServiceStatus | None, str]:
        """What the service says of itself and the id of its data: from the pull's last page, or asked."""
        if self._pulled_status is not None:
            return self._pulled_status, self._pulled_status.instance or ""
        return self._status()

    def _status(self) -> tuple[protocol.ServiceStatus | None, str]:
        """What the service says of itself (the newest fieldapp, whether it keeps audit logs, the id of
        its data), from an older service that does not send it with the pull's last page; asked after
        the sync's work is done, so a service that cannot say (a dropped line) costs nothing."""
        try:
            return self.api.status_and_instance()
        except SyncError:
            return None, ""

    def _push_audit(self) -> None:
        """The laptop's audit entries, after its evidence, in batches of their own. Each entry the service
        answered for (stored, or refused for good) is not sent again; a line that drops leaves the rest
        for the next sync, which does not fail for it."""
        while entries := self.vault.audit.unsent(limit=protocol.MAX_AUDIT_BATCH):
            self._check_cancel()
            try:
                answer = self.api.push_audit(entries)
            except (ServiceUnreachable, ServiceRefused, ServiceFault) as exc:
                log_failure(log, "audit entries not sent this time", exc, logging.WARNING)
                return
            refused = [a for a in answer.acks if a.status == "refused"]
            if refused:  # never sent again: a refused entry is malformed or not ours, for good
                log.warning("the service refused %d audit entries (%s)", len(refused), refused[0].code)
            answered = {a.id for a in answer.acks} & {e.id for e in entries}
            self.vault.audit.mark_sent(answered)
            if len(entries) < protocol.MAX_AUDIT_BATCH or not answered:
                return

    def _offer_assessments(self, to_offer: list[PulledAssessment]) -> None:
        for item in to_offer:
            self._check_cancel()
            self._say("assessments", message=f"Offering {item.name} to the service")
            offer = protocol.AssessmentProposal(
                name=item.name, period_start=item.period_start, period_end=item.period_end, framework=item.framework
            )
            try:
                accepted = self.api.offer_assessment(item.id, offer)
            except ServiceRefused as exc:
                if exc.status not in (403, 404, 409, 422):
                    raise
                self.report.changes |= self.vault.replication.assessment_offered(item.id, accepted=None, refusal=str(exc)).changes
                self.report.problems.append(f"{item.name} stays on this laptop only: {exc}")
                continue
            done = self.vault.replication.assessment_offered(item.id, accepted=_assessment(accepted))
            self.report.changes |= done.changes
            if done.value:
                self.report.notices.append(team_not_kept(item.name, done.value))

    def _push_concerns(self, first: list[revision.SignedRevision] | None = None) -> None:
        """Concerns jump the queue (issue 15): their revisions go in batches of their own, one after
        another, before any other revision or attachment byte, so a safeguarding concern raised
        mid-interview never waits behind a day's notes or an 800 MB recording."""
        pending = first if first is not None else self.vault.replication.pending_concerns(self.batch)
        sent: set[str] = set()
        while pending and not {r.id for r in pending} <= sent:  # one refused for a while comes back: no second try now
            self._check_cancel()
            self._say("push", message="Sending concerns first")
            self._acknowledge(self.api.push(pending))
            if len(pending) < self.batch:
                return  # a short batch was all there was
            sent |= {r.id for r in pending}
            pending = self.vault.replication.pending_concerns(self.batch)

    def _push(self, first: PendingPage | None = None, total: int | None = None) -> None:
        """Batches in order; a later batch may land first and find a parent missing: such
        refusals are transient, and what they left behind goes again, in turn, at the end."""
        batch = self.batch
        pending, last = first if first is not None else self.vault.replication.pending_page(batch)
        if not pending:
            return
        self._parent_was_late = False
        self._push_done = 0
        if total is None and len(pending) < batch:
            total = len(pending)  # a short first batch is all there is
        self._push_total = total
        self._say_push()
        try:
            if len(pending) < batch:  # all there is fits one batch (an edit or two): no second lane
                self._acknowledge(self.api.push(pending))
            else:
                self._push_pipelined(pending, last)
        except TooLarge:
            self._push_in_turn(max(1, batch // 2))
            return
        if self._parent_was_late:
            self._push_in_turn(batch)

    def _push_pipelined(self, pending: list[revision.SignedRevision], last: int) -> None:
        """Two batches in flight on two connections, so the service checks one while it stores
        the other."""
        batch = self.batch
        if self._lanes is None:
            self._lanes = [self.api, self.api.lane()]
        inflight: deque[Future[protocol.PushResponse]] = deque()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-push-a") as a, ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-push-b") as b:
            senders = [(a, self._lanes[0]), (b, self._lanes[1])]
            sent = 0
            try:
                while pending or inflight:
                    self._check_cancel()
                    while pending and len(inflight) < 2:
                        executor, api = senders[sent % 2]
                        inflight.append(executor.submit(api.push, pending))
                        sent += 1
                        more = len(pending) == batch  # a short batch was the last one
                        pending, last = self.vault.replication.pending_page(batch, after_seq=last) if more else PendingPage([], last)
                    self._acknowledge(inflight.popleft().result())
            except TooLarge:
                for future in inflight:  # let the others land and say what they stored
                    try:
                        self._acknowledge(future.result())
                    except SyncError:
                        pass
                raise

    def _push_in_turn(self, batch: int) -> None:
        """One batch at a time, from the start: what a pipelined pass left (a parent that landed
        late), and what needs smaller batches. Stops where nothing more can pass."""
        after = 0
        while True:
            self._check_cancel()
            pending, last = self.vault.replication.pending_page(batch, after_seq=after)
            if not pending:
                return
            try:
                answer = self.api.push(pending)
            except TooLarge:
                if batch == 1:
                    self._refuse_locally(pending[0])
                    after = last
                else:
                    batch = max(1, batch // 2)
                continue
            self._acknowledge(answer)
            after = last

    def _acknowledge(self, answer: protocol.PushResponse) -> None:
        acks = [Ack(a.id, a.status == "accepted", a.code or "", a.reason or "") for a in answer.acks]
        self._parent_was_late |= any(a.code == protocol.R_PARENT for a in acks)
        # Of a team this inspector is not (or no longer) in: it waits here, and is sent once they are again.
        for words in dict.fromkeys(f"{self._named(a.reason)} {FORBIDDEN_NEXT}" for a in acks if a.code == protocol.R_NOT_IN_TEAM):
            if words not in self.report.problems:
                self.report.problems.append(words)
        done = self.vault.replication.acknowledge(acks)
        self.report.changes |= done.changes
        self.report.pushed += sum(a.accepted for a in acks)
        self.report.refused += [refusal.words() for refusal in done.value]
        # A revision refused for a late parent goes again at the end: it is counted when that answer comes.
        self._push_done += sum(a.code != protocol.R_PARENT for a in acks)
        self._say_push()

    def _refuse_locally(self, rev: revision.SignedRevision) -> None:
        reason = "it is too large for the service even on its own; it stays on this laptop. Ask the service's administrator to raise the limit"
        done = self.vault.replication.acknowledge([Ack(rev.id, False, "too_large", reason)])
        self.report.refused += [refusal.words() for refusal in done.value]
        self._push_done += 1
        self._say_push()

    def _pull(self, cursor: str | None, keys: dict[str, bytes], *, own: bool = False) -> None:
        """Pages in order; the next page is fetched and its signatures checked (on another core)
        while this one is stored. With `own`, this laptop's own revisions come too (after a restore)."""
        restarted, waits = False, 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull") as fetcher:
            fetching = fetcher.submit(self._fetch, cursor, keys, own)
            while fetching is not None:
                self._check_cancel()
                self._say("pull", self.report.pulled, message="Receiving changes")
                try:
                    answer, page = fetching.result()
                except ServiceRefused as exc:
                    if exc.code != protocol.E_BAD_CURSOR or restarted:
                        raise
                    self.vault.replication.reset_cursor()  # e.g. the service was restored from a backup
                    restarted = True
                    fetching = fetcher.submit(self._fetch, None, keys, own)
                    continue
                # Keys the vault already trusts win over what a page says (a changed key is refused).
                keys = {**{d[0]: d[1] for d in page.devices}, **keys}
                if answer.more:
                    fetching = fetcher.submit(self._fetch, answer.cursor, dict(keys), own)
                elif answer.held_back and waits < HELD_BACK_WAITS:
                    # Stored, but behind a transaction still open on the service's database: ready in
                    # a moment, and worth the wait rather than a colleague's words next sync.
                    waits += 1
                    fetching = fetcher.submit(self._fetch_later, answer.cursor, dict(keys), own)
                else:
                    fetching = None
                self._apply(answer, page)
        if own:
            self.vault.replication.caught_up()

    def _fetch_later(self, cursor: str | None, keys: dict[str, bytes], own: bool) -> tuple[protocol.PullResponse, PulledPage]:
        time.sleep(HELD_BACK_WAIT_S)
        self._check_cancel()
        return self._fetch(cursor, keys, own)

    def _fetch(self, cursor: str | None, keys: dict[str, bytes], own: bool) -> tuple[protocol.PullResponse, PulledPage]:
        answer = self.api.pull(cursor, self.page, include_own=own)
        page = _page(answer)
        known = {**{d[0]: d[1] for d in page.devices}, **keys}
        return answer, dataclasses.replace(page, prechecked=arrivals.precheck(page.revisions, known))

    def _apply(self, answer: protocol.PullResponse, page: PulledPage) -> None:
        self._check_cancel()  # the page may have taken long to come: the vault may have been locked meanwhile
        applied = self.vault.replication.apply_pull(page)
        done = applied.value
        self.report.changes |= applied.changes
        self.report.pulled += done.stored
        self.report.updated += sum(done.outcomes.get(k, 0) for k in ("created", "updated"))
        self.report.merged += done.outcomes.get("merged", 0)
        self.report.conflicts += done.conflicts
        self._made_while_pulling |= bool(done.made_here or done.assessments_changed)
        self.report.problems += list(done.refused)
        self._frameworks_offered = answer.frameworks
        self._pulled_status = answer.status

    def _fetch_frameworks(self) -> None:
        for key in self.vault.replication.frameworks_missing(self._frameworks_offered):
            self._check_cancel()
            try:
                self.vault.replication.store_framework(self.api.framework(key))
            except FieldappError as exc:
                if isinstance(exc, SyncError) and not isinstance(exc, ServiceRefused):
                    raise
                self.report.problems.append(f"Framework {key} could not be taken: {exc}")

    # Transfer progress counts the bytes of every file dealt with, sent or not (one the service
    # already holds, or that waits for its revision, counts too): so the bar ends full, and never
    # goes back. What crossed the network is in the report's uploaded/downloaded_bytes.

    def _upload_attachments(self, uploads: list[BlobToMove]) -> None:
        moves = _Moves("upload", sum(blob.size for blob in uploads), self._say)
        for blob in uploads:
            self._check_cancel()
            try:
                status = self.api.blob_status(blob.sha256)
            except ServiceRefused as exc:
                if exc.status != 404:
                    raise
                moves.past(blob)  # no revision on the service names it yet: it goes with that revision
                continue
            try:
                if status.complete or self._send_chunks(blob, status, moves):
                    self.report.changes |= self.vault.replication.mark_uploaded(blob.sha256).changes
            except TooLarge as exc:
                # This file does not fit the service's room for unfinished uploads (now, or ever):
                # the others still go, and it is tried again next time; it stays safe here.
                self.report.problems.append(f"An attachment of {size_text(status.size)} could not be sent yet: {exc}")
            moves.past(blob)

    def _send_chunks(self, blob: BlobToMove, status: protocol.BlobStatus, moves: _Moves) -> bool:
        """Send the chunks the service lacks; returns whether it now holds the whole file."""
        count = _chunks(status.size, status.chunk_size)
        # Every chunk there but no whole file: the service stopped between taking the last chunk
        # and checking the file (killed, disk full). Marking it uploaded then would strand it
        # for good; sending the last chunk again makes the service finish it.
        missing = [i for i in range(count) if i not in set(status.received)] or [count - 1]
        held = status.size - sum(min(status.chunk_size, status.size - i * status.chunk_size) for i in missing)
        complete = False
        with self.vault.replication.open_upload(blob.sha256) as reader:
            for index in missing:
                self._check_cancel()
                start = index * status.chunk_size
                data = reader.read_at(start, min(status.chunk_size, status.size - start))
                complete = self.api.put_chunk(blob.sha256, index, data).complete
                self.report.uploaded_bytes += len(data)
                held += len(data)
                moves.within(blob, held)
        return complete

    def _download_attachments(self, downloads: list[BlobToMove]) -> None:
        moves = _Moves("download", sum(blob.size for blob in downloads), self._say)
        for blob in downloads:
            self._check_cancel()
            try:
                status = self.api.blob_status(blob.sha256)
            except ServiceRefused as exc:
                if exc.status != 404:
                    raise
                status = None  # no revision this device may see names it (any more)
            if status is not None and status.complete:
                self._fetch_chunks(blob, status, moves)
            moves.past(blob)

    def _fetch_chunks(self, blob: BlobToMove, status: protocol.BlobStatus, moves: _Moves) -> None:
        size, chunk = status.size, status.chunk_size
        # The partial keeps whole store chunks on disk; `appended` counts what it has taken, so a
        # transfer chunk that does not end on a store chunk is never fetched or appended twice.
        with self.vault.replication.begin_download(blob.sha256, size) as partial:
            try:
                while partial.appended < size:
                    self._check_cancel()
                    index, skip = divmod(partial.appended, chunk)
                    data, expected = self.api.get_chunk(blob.sha256, index), min(chunk, size - index * chunk)
                    if len(data) != expected:
                        # A chunk cut short would be asked for again and again: no byte of it moves on.
                        raise IntegrityError(f"Chunk {index} of an attachment is {len(data)} bytes, not {expected}.")
                    partial.append(data[skip:])
                    self.report.downloaded_bytes += len(data) - skip
                    moves.within(blob, partial.appended)
                done = self.vault.replication.finish_download(blob.sha256, partial)
            except DamagedOnTheWay:
                # Spoilt in transit (the chunk does not match the hash the service sent with it):
                # the partial keeps every chunk that landed whole, and the next sync resumes there.
                self.report.problems.append(DAMAGED_CHUNK.format(size=size_text(size)))
                return
            except IntegrityError:
                # The bytes are not the file the revision names (the service's copy is damaged):
                # this one file is not kept, and the sync goes on. Nothing of it
                # stays (a whole partial that fails its SHA-256 is already deleted): resuming from
                # spoilt bytes would fail again, so the next sync fetches it from the start.
                partial.abandon()
                self.report.problems.append(DAMAGED_DOWNLOAD.format(size=size_text(size)))
                return
            except NotFound:
                return  # the attachment was removed meanwhile
            except ServiceRefused as exc:
                if exc.code != protocol.E_NOT_READY:
                    raise
                return  # not whole on the service now (its copy failed its seal there): still wanted, fetched at a later sync
            self.report.changes |= done.changes

    # -- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def _forbidden_in_words(self) -> Iterator[None]:
        """A push the service forbids (an assessment whose team this inspector is not, or no longer,
        in) names it by id: say which assessment or record, by the names the inspector knows."""
        try:
            yield
        except ServiceRefused as exc:
            if exc.status != 403:
                raise
            raise ServiceRefused(f"{self._named(str(exc))} {FORBIDDEN_NEXT}", status=exc.status, code=exc.code) from None

    def _named(self, text: str) -> str:
        def name(match: re.Match[str]) -> str:
            found = match.group(0)
            for read in (lambda i: self.vault.assessments.get(i).name, lambda i: self.vault.records.get(i, include_deleted=True).title):
                try:
                    return f"“{read(found)}”"
                except NotFound:
                    continue
            return found

        return _UUID.sub(name, text)

    def _say(self, stage: str, done: int = 0, total: int | None = None, message: str = "") -> None:
        self._progress(Progress(stage, done, total, message))

    def _say_push(self) -> None:
        done, total = self._push_done, self._push_total
        if total is None:
            self._say("push", done, message=f"Sending revisions ({done} so far)")
            return
        total = max(total, done)  # revisions cut meanwhile (a record left while the push runs) go too
        self._say("push", done, total, message=f"Sending revisions ({done} of {total})")

    def _check_cancel(self) -> None:
        # A lock ends a sync too, even when the vault is unlocked again before this run noticed:
        # what it read before (a cursor, say) may no longer be the vault's (a backup restored meanwhile).
        if self._cancel() or self.vault.generation != self._generation:
            raise Cancelled("Sync stopped. Everything done so far is kept; the next sync carries on from here.")


def engine_for(vault: Vault, **kwargs: object) -> tuple[SyncEngine, HttpTransport]:
    """An engine over HTTP to the service this vault is linked to (NotSetUp if none)."""
    from sync.client.errors import NOT_SET_UP, NotSetUp

    link = vault.replication.link()
    if link is None:
        raise NotSetUp(NOT_SET_UP)
    cancel = kwargs.get("cancel")
    transport = HttpTransport(link.url, ca_bundle=link.ca_bundle or None, cancelled=cancel or (lambda: False))  # type: ignore[arg-type]
    return SyncEngine(vault, ServiceApi(transport, link.token), **kwargs), transport  # type: ignore[arg-type]


def _newer_client(status: protocol.ServiceStatus | None) -> str | None:
    """The newest fieldapp the service knows of, if later than this build."""
    newest = status.newest_client if status is not None else None
    return newest if newest is not None and is_newer(newest, than=app_version()) else None


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _page(answer: protocol.PullResponse) -> PulledPage:
    return PulledPage(
        revisions=_signed(answer.revisions),
        devices=tuple(PulledDevice(d.id, base64.b64decode(d.public_key), d.label, d.inspector or "") for d in answer.devices),
        assessments=tuple(_assessment(a) for a in answer.assessments),
        cursor=answer.cursor,
        acknowledgements=tuple(
            Acknowledgement(a.concern_id, a.acknowledged_by, a.acknowledged_at, a.note) for a in answer.acknowledgements or ()
        ),
    )


def _signed(revisions: list[protocol.Revision]) -> tuple[revision.SignedRevision, ...]:
    return tuple(revision.SignedRevision(r.id, r.body.encode("utf-8"), base64.b64decode(r.signature)) for r in revisions)


def _assessment(a: protocol.Assessment) -> PulledAssessment:
    lead = a.lead
    members = None if a.members is None else tuple((m.name, m.role) for m in a.members)
    return PulledAssessment(
        a.id, a.name, a.period_start, a.period_end, a.framework, tuple(a.team), lead.id if lead else None, lead.name if lead else None,
        members, a.retention_days,
    )


class _Moves:
    """Where one direction of attachment transfers has got to, in bytes of the files to move."""

    def __init__(self, stage: str, total: int, say: Callable[..., None]) -> None:
        self.stage, self.total, self._say = stage, total, say
        self.done = 0  # bytes of the files already dealt with
        self._words = "Sending attachments" if stage == "upload" else "Receiving attachments"
        if total:
            self._show(0)

    def within(self, blob: BlobToMove, held: int) -> None:
        """`held` bytes of this file are on the far side now."""
        self._show(self.done + min(max(held, 0), blob.size))

    def past(self, blob: BlobToMove) -> None:
        """This file is dealt with (moved, already there, or left for the next sync)."""
        self.done += blob.size
        self._show(self.done)

    def _show(self, done: int) -> None:
        self._say(self.stage, done, self.total, message=f"{self._words} ({progress_text(done, self.total)})")


def _chunks(size: int, chunk_size: int) -> int:
    return max(1, -(-size // chunk_size))


