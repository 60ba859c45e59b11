"""Retention (issue 16): evidence the service holds, older than its assessment's retention period, leaves
this laptop (`vault.retention`), and comes back when the inspector opens it and the service sends it again.

A purged record keeps its list entry (kind, title, date, flags, tags and its revision graph: ids,
parents, signers, signatures) and loses what it says: its draft, its revisions' bodies, its search
words, its tags' comments and quoted passages, its attachments' files. Only evidence records are
purged; judgements, the rating, report texts and concerns stay (they are the team's, not a record's).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import item_kinds
from fieldapp.audit import Audit
from fieldapp.context import VaultContext
from fieldapp.errors import IntegrityError, NotFound, StorageError, VaultDamaged
from fieldapp.ids import iso
from fieldapp.records import RECORD_BY_ID, to_row
from fieldapp.search import EVIDENCE_IN
from fieldapp.replication.settle import readopt, settle
from fieldapp.revisions import revision
from fieldapp.rows import Changes, Done, RecordRow
from fieldapp.storage import backup, migrate, sqlcipher
from fieldapp.storage.models import Assessment, Device, Revision

log = logging.getLogger("fieldapp.retention")  # moments and counts only
_CHUNK = 500  # ids per IN (...) list, under SQLite's parameter limit


@dataclass(frozen=True)
class Purged:
    """What one purge removed from this laptop (counts only: fit for the log and the audit)."""

    records: int = 0
    revisions: int = 0  # revision bodies removed (the graph stays)
    files: int = 0  # attachment files removed
    file_bytes: int = 0  # their plaintext size

    def __add__(self, other: Purged) -> Purged:
        return Purged(self.records + other.records, self.revisions + other.revisions, self.files + other.files,
                      self.file_bytes + other.file_bytes)  # fmt: skip

    def audit_fields(self) -> dict[str, int]:
        """The counts as the vault's audit log records a purge (fieldapp.audit, kind "purge")."""
        return {"records": self.records, "revisions": self.revisions, "files": self.files, "file_bytes": self.file_bytes}


class Retention:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def purge(self, *, keep: Callable[[], Collection[str]] = tuple) -> Done[Purged]:
        """Remove from this laptop every evidence record of an assessment with a retention period
        that the service holds whole and that has not changed for longer than the period; returns counts.
        `keep` names records to leave whatever their age (the one open in the editor, or being opened:
        what is on screen must stay something the inspector can type into and save). It is asked
        inside the purge's transaction, so a record opened after it answered is read after the purge
        (and fetched back), never shown from before it."""
        now = self._context.clock()
        with self._context.transaction("removing evidence the service keeps") as session:
            # SQLCipher builds with secure_delete on (tests/test_retention.py checks it): freed pages
            # are zeroed before they are encrypted, so purged words are not left in the file's free pages.
            cursor = sqlcipher.cursor_of(session)
            ids: list[tuple[int, str]] = []
            kept_open = set(keep())
            for assessment_id, days in session.execute(_PERIODS).tuples():
                cutoff = iso(now - timedelta(days=days or 0))  # never 0: _PERIODS holds those with a period
                found = cursor.execute(_ELIGIBLE, {"assessment_id": assessment_id, "cutoff": cutoff}).fetchall()
                ids += [(num, record_id) for num, record_id in found if record_id not in kept_open]
            counts, files = _purge_all(session, ids, iso(now))
            if ids:  # the purge and its audit entry commit together
                Audit(self._context).record_in(session, "purge", **counts.audit_fields())
        if ids:
            # Earlier versions of the pages stay in the write-ahead log until a checkpoint writes them
            # back: write them now and empty the log, so no old copy of the words is left beside the file.
            with self._context.transaction("removing evidence the service keeps") as session:
                sqlcipher.cursor_of(session).execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._purge_backups([record_id for _num, record_id in ids], iso(now))  # under the vault's lock: no backup is made meanwhile
        for name in files:  # after the commit: a crash in between leaves files no row names, removed at the next unlock
            self._context.blobs.remove(name)
        return Done(counts, Changes(records=frozenset(record_id for _num, record_id in ids)))

    def _purge_backups(self, record_ids: list[str], now: str) -> None:
        """The same removal in every backup that still holds any of these records' content, or, where it
        cannot be applied, the backup removed: otherwise the words would stay on the laptop until it rotates."""
        key = self._context.database_key()
        for info in backup.list_backups(self._context.path):
            try:
                with backup.changing(info, key, doing="removing evidence the service keeps from a backup") as session:
                    applied = _purge_backup(session, record_ids, now)
            except (VaultDamaged, StorageError) as exc:  # unreadable, or the disk refused the change: the words are still in it
                log.warning("backup %s unchanged by retention (%s)", info.created_at, type(exc).__name__)
                applied = False
            if not applied:
                backup.remove(info)
                log.warning("backup %s removed: retention could not be applied to it", info.created_at)

    def restore(self, record_id: str, fetched: Iterable[revision.SignedRevision]) -> Done[RecordRow]:
        """Put back a purged record's content from its revisions as the service sent them again:
        each must be the very revision this laptop held (its id the hash of the body, its signature
        holding), or nothing changes. Revisions pulled meanwhile are then settled as any pull's."""
        by_id = {rev.id: rev for rev in fetched}
        with self._context.transaction("restoring a record from the service") as session:
            rec = session.scalar(RECORD_BY_ID, {"record_id": record_id})
            if rec is None:
                raise NotFound(f"No record with id {record_id}.")
            if rec.purged_at is None:
                return Done(to_row(session, rec), Changes())
            keys = dict(session.execute(sa.select(Device.id, Device.public_key)).tuples().all())
            for rev_id, device_id, signature in session.execute(_BODILESS, {"record_id": record_id}).tuples():
                body = _checked_body(by_id.get(rev_id), rev_id, record_id, device_id, signature, keys)
                session.execute(_SET_BODY, {"rev_id": rev_id, "fetched": body})
            rec.purged_at = None
            head = session.scalar(_BODY, {"rev_id": rec.head_revision_id})
            if head and rec.head_revision_id:  # its content as it was when it left, then whatever was pulled for it meanwhile
                readopt(session, self._context, rec, rec.head_revision_id, revision.parse_body(head))
            settle(session, self._context, record_id)
            return Done(to_row(session, rec), Changes(records=frozenset({record_id}), from_sync=True))


def _checked_body(
    got: revision.SignedRevision | None, rev_id: str, record_id: str, device_id: str, signature: bytes, keys: dict[str, bytes]
) -> bytes:
    if got is None:
        raise IntegrityError("The service did not send the whole of this record's history; nothing was changed. Try again later.")
    if revision.revision_id(got.body) != rev_id:
        raise IntegrityError(f"Revision {rev_id[:12]}… from the service does not match the one this laptop held; it was not taken.")
    if device_id != revision.AUTO_MERGE_DEVICE:  # an auto-merge has no signature: its hash is its proof
        revision.check(revision.SignedRevision(rev_id, got.body, signature), keys.get(device_id, b""))
    fields = revision.parse_body(got.body)
    if fields["record_id"] != record_id:
        raise IntegrityError(f"Revision {rev_id[:12]}… from the service is of another record; it was not taken.")
    return got.body


def _purge_backup(session: Session, record_ids: list[str], now: str) -> bool:
    """Remove these records' content from a backup as from the vault; False when it holds some of it
    under an older schema than this fieldapp's, which the purge cannot be applied to."""
    cursor = sqlcipher.cursor_of(session)
    current = migrate.current_revision(session.connection()) == migrate.HEAD
    rows: list[tuple[int, str]] = []
    for start in range(0, len(record_ids), _CHUNK):
        chunk = record_ids[start : start + _CHUNK]
        held = "purged_at IS NULL AND " if current else ""  # before 0015 no record was purged
        rows += cursor.execute(f"SELECT num, id FROM records WHERE {held}id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
    if rows and not current:
        return False
    _purge_all(session, rows, now)  # its files' names are not used: the vault's own purge removed those no record holds
    return True


def _purge_all(session: Session, ids: list[tuple[int, str]], now: str) -> tuple[Purged, list[str]]:
    """Remove these records' content in chunks, then merge the search index (a session's work)."""
    counts, files = Purged(), list[str]()
    for start in range(0, len(ids), _CHUNK):
        done, names = _purge(session, ids[start : start + _CHUNK], now)
        counts, files = counts + done, files + names
    if ids:
        # FTS5 deletes only mark a row's words as gone; the index's older segments still hold
        # them until merged. Merging all of them now leaves no purged word in the index.
        sqlcipher.cursor_of(session).execute("INSERT INTO record_fts(record_fts) VALUES('optimize')")
    return counts, files


def _purge(session: Session, rows: list[tuple[int, str]], now: str) -> tuple[Purged, list[str]]:
    """Remove these records' content (a session's work; the caller commits, then removes the files)."""
    cursor = sqlcipher.cursor_of(session)
    nums, ids = [num for num, _id in rows], [record_id for _num, record_id in rows]
    marks = ",".join("?" * len(rows))
    revisions = cursor.execute(f"UPDATE revisions SET body = x'' WHERE record_id IN ({marks})", ids).rowcount
    cursor.execute(f"DELETE FROM record_fts WHERE rowid IN ({marks})", nums)
    cursor.execute(f"DELETE FROM record_content WHERE num IN ({marks})", nums)
    cursor.execute(f"UPDATE links SET comment = '', passage_text = NULL WHERE record_id IN ({marks})", ids)
    shas = [sha for (sha,) in cursor.execute(f"SELECT DISTINCT sha256 FROM attachments WHERE record_id IN ({marks})", ids)]
    cursor.execute(f"DELETE FROM attachments WHERE record_id IN ({marks})", ids)
    files: list[tuple[str | None, int]] = []
    for sha in shas:  # a file another record still holds stays
        if cursor.execute("SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1", (sha,)).fetchone() is None:
            files += cursor.execute("SELECT name, size FROM blobs WHERE sha256 = ?", (sha,)).fetchall()
            cursor.execute("DELETE FROM blobs WHERE sha256 = ?", (sha,))
    cursor.execute(f"UPDATE records SET purged_at = ?, indexed = 1 WHERE num IN ({marks})", [now, *nums])
    names = [name for name, _size in files if name]
    return Purged(len(rows), revisions, len(names), sum(size for name, size in files if name)), names


# Built once (see exchange).
_PERIODS = (
    sa.select(Assessment.id, Assessment.retention_days)
    .where(Assessment.retention_days.is_not(None), Assessment.on_service.is_(True))
    .order_by(Assessment.id)
)
# A record goes only when ALL hold: evidence, not deleted, its draft clean and every revision on the
# service (stored state 'synced': pushed, none refused, no conflict), no date typed but unreadable,
# no pulled merge awaiting its check, every attachment's bytes on the service, no concern raised from
# it that the office has not acknowledged, no passage of it chosen as a quotation for the report (the
# report reads the quoted words here), and nothing changed since the cutoff, by any revision's
# time (its author's clock) or by this laptop's last change to it (a pull adopted, an edit saved):
# the later of the two, so a record restored or just pulled stays a whole period more.
_ELIGIBLE = f"""
SELECT r.num, r.id FROM records r
WHERE r.assessment_id = :assessment_id AND r.purged_at IS NULL AND r.deleted = 0 AND r.kind IN {EVIDENCE_IN}
  AND r.sync_state = 'synced' AND r.draft_dirty = 0 AND r.head_revision_id IS NOT NULL AND r.updated_at < :cutoff
  AND NOT EXISTS (SELECT 1 FROM record_content c WHERE c.num = r.num AND c.as_typed IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM revisions v WHERE v.record_id = r.id
                  AND (v.pushed = 0 OR v.rejected IS NOT NULL OR v.awaiting_check = 1 OR v.created_at >= :cutoff))
  AND NOT EXISTS (SELECT 1 FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.record_id = r.id AND b.uploaded = 0)
  AND NOT EXISTS (SELECT 1 FROM records k JOIN record_content kc ON kc.num = k.num
                  WHERE k.kind = '{item_kinds.CONCERN}' AND k.assessment_id = r.assessment_id AND json_extract(kc.content, '$.record_id') = r.id
                  AND NOT EXISTS (SELECT 1 FROM concern_states s WHERE s.concern_id = k.id))
  AND NOT EXISTS (SELECT 1 FROM records t JOIN record_content tc ON tc.num = t.num, json_each(tc.content, '$.quotations') q
                  WHERE t.kind = '{item_kinds.REPORT_TEXT}' AND t.assessment_id = r.assessment_id
                  AND json_extract(q.value, '$.record_id') = r.id)
ORDER BY r.num"""
_BODILESS = sa.select(Revision.id, Revision.device_id, Revision.signature).where(
    Revision.record_id == sa.bindparam("record_id"), sa.func.length(Revision.body) == 0
)
_revisions = cast(sa.Table, Revision.__table__)
_SET_BODY = sa.update(_revisions).where(_revisions.c.id == sa.bindparam("rev_id")).values(body=sa.bindparam("fetched"))
_BODY = sa.select(Revision.body).where(Revision.id == sa.bindparam("rev_id"))
