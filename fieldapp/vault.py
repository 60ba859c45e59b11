"""The Vault: one object the app and the sync client hold to reach everything an inspector records.

It owns the keys, the encrypted database and the attachment store; areas (assessments, records,
links, attachments, history) live in their own modules and reach the database through
`Vault.transaction`. A vault is a folder: vault.header, vault.db (SQLCipher), attachments/, backups/.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fieldapp import audit, coverage, salvage, samples, search, verify
from fieldapp.storage import backup, keys, migrate, sqlcipher
from fieldapp.storage import wipe as wiping
from fieldapp.assessments import Assessments
from fieldapp.audit import Audit  # security events, signed and synced (issue 16)
from fieldapp.attachments import Attachments
from fieldapp.storage.blobstore import BlobStore
from fieldapp.errors import (
    NotAVault,
    StorageError,
    VaultDamaged,
    VaultExists,
    VaultLocked,
    VaultNotFound,
    VaultWiped,
    WrongPassphrase,
)
from fieldapp.ids import iso, utcnow, uuid7
from fieldapp.logs import log_failure
from fieldapp.concerns import Concerns  # information of concern, pushed first (issue 15)
from fieldapp.concern_notes import ConcernNotes
from fieldapp.history import History
from fieldapp.judgements import Judgements
from fieldapp.report_texts import ReportTexts  # the report's texts and the factual accuracy check (issue 14)
from fieldapp.links import Links
from fieldapp.places import Places  # the assessment's places and organisations (issue 15)
from fieldapp.published_reports import PublishedReports
from fieldapp.storage.models import Device, Meta
from fieldapp.records import Records
from fieldapp.replication.exchange import Replication
from fieldapp.replication.retention import Retention
from fieldapp.rows import VerifyReport

log = logging.getLogger("fieldapp.vault")  # ids and counts only (fieldapp/logs.py)

HEADER_NAME = "vault.header"
DB_NAME = "vault.db"
ATTACHMENTS_DIR = "attachments"
BACKUPS_DIR = "backups"
_FREE_ATTEMPTS = 3  # wrong passphrases before unlocking starts to slow down
_MAX_DELAY_S = 30.0
PARTIAL_DOWNLOADS_KEPT_S = 14 * 24 * 3600  # an attachment download cut off this long ago starts over


@dataclass(frozen=True)
class CreatedVault:
    vault: Vault
    recovery_key: str  # shown once to the inspector; never stored


class Vault:
    """An encrypted evidence vault at a folder; starts locked (see `unlock`)."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.RLock()
        self._data_key: bytearray | None = None
        self._engine: Engine | None = None
        self._blobs: BlobStore | None = None
        self._signing_key: Ed25519PrivateKey | None = None
        self.device_id = ""
        self._failures = 0
        self._next_attempt = 0.0
        self.generation = 0  # grows at every unlock: work that spans a lock can tell
        if wiping.is_pending(self.path):  # its header may be random bytes by now: never "damaged, restore a backup"
            raise VaultWiped()
        if not self.header_path.exists():
            if not self.path.exists():
                raise VaultNotFound(f"There is no vault at {self.path}.")
            raise NotAVault(f"{self.path} is not a fieldapp vault (it has no {HEADER_NAME}).")
        self.header = keys.read_header(self.header_path)
        if not self.db_path.exists():
            raise VaultDamaged(f"The vault database {DB_NAME} is missing; restore a backup.", affected=(DB_NAME,))
        self.assessments = Assessments(self)
        self.records = Records(self)
        self.links = Links(self)
        self.attachments = Attachments(self)
        self.history = History(self)
        self.judgements = Judgements(self)
        self.published = PublishedReports(self)  # issue 14: published reports, frozen and signed
        self.report_texts = ReportTexts(self)  # the report's texts and the factual accuracy check (issue 14)
        self.concerns = Concerns(self)  # information of concern, pushed first and acknowledged by the office (issue 15)
        self.concern_notes = ConcernNotes(self)  # when each concern was sent; the tags already asked about (issue 15)
        self.places = Places(self)  # the assessment's places and organisations (issue 15)
        self.replication = Replication(self)
        self.audit = Audit(self)  # security events: unlocks, exports, restores, purges (issue 16)
        self.retention = Retention(self)  # synced evidence older than its assessment's period leaves this laptop (issue 16)

    # -- paths ---------------------------------------------------------------------------------

    @property
    def header_path(self) -> Path:
        return self.path / HEADER_NAME

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def backups_path(self) -> Path:
        return self.path / BACKUPS_DIR

    # -- creating, unlocking, locking ------------------------------------------------------------

    @classmethod
    def create(
        cls, path: Path | str, passphrase: str, *, kdf: keys.KdfParams | None = None, device_label: str = ""
    ) -> CreatedVault:
        """Make a new vault; returns it unlocked, with the recovery key to show once."""
        path = Path(path)
        keys.check_new_passphrase(passphrase)
        if kdf is not None:
            kdf.validate()
        if (path / HEADER_NAME).exists() and not wiping.is_pending(path):
            raise VaultExists(f"There is already a vault at {path}.")
        if wiping.is_pending(path):
            wiping.wipe(path)  # a wipe cut short finishes before anything new is made there
        try:
            path.mkdir(parents=True, exist_ok=True)
            (path / ATTACHMENTS_DIR).mkdir(exist_ok=True)
            for leftover in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
                (path / leftover).unlink(missing_ok=True)  # from a creation cut short
        except OSError as exc:
            raise StorageError(f"Could not create the vault folder {path}: {exc.strerror}.", exc.errno) from exc
        data_key = bytearray(os.urandom(keys.KEY_BYTES))
        recovery_key = keys.new_recovery_key()
        header = keys.new_header(data_key, passphrase, recovery_key, kdf or keys.calibrate())
        cls._initialise_database(path / DB_NAME, data_key, device_label)
        # The header goes last: until it exists, the folder is not a vault and can be made again.
        keys.write_header(path / HEADER_NAME, header)
        vault = cls(path)
        vault._open_with(data_key)
        vault.audit.record("vault_created")  # the log starts where the vault does (dogfood: it began at enrolment)
        return CreatedVault(vault=vault, recovery_key=recovery_key)

    @staticmethod
    def _initialise_database(db_path: Path, data_key: bytearray, device_label: str) -> None:
        engine = sqlcipher.create_engine(db_path, keys.subkey(data_key, "database"))
        try:
            with engine.begin() as connection:
                migrate.upgrade(connection)
            signing_key = Ed25519PrivateKey.generate()
            device_id = uuid7()
            with Session(engine) as session, session.begin():
                raw = signing_key.private_bytes(
                    serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
                )
                session.add(Meta(key="device_id", value=device_id.encode()))
                session.add(Meta(key="device_signing_key", value=raw))
                public = signing_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                session.add(Device(id=device_id, public_key=public, label=device_label or "this device"))
        except sa.exc.DBAPIError as exc:
            raise sqlcipher.translate(exc, doing="creating the vault") from None
        finally:
            engine.dispose()

    @classmethod
    def open(cls, path: Path | str, *, passphrase: str | None = None, recovery_key: str | None = None) -> Vault:
        vault = cls(path)
        vault.unlock(passphrase=passphrase, recovery_key=recovery_key)
        return vault

    @property
    def is_locked(self) -> bool:
        return self._engine is None

    def unlock_delay(self) -> float:
        """Seconds until the next unlock attempt is allowed (after repeated wrong passphrases)."""
        return max(0.0, self._next_attempt - time.monotonic())

    def unlock(self, *, passphrase: str | None = None, recovery_key: str | None = None) -> None:
        """Derive the key (slow on purpose, ~0.5 s), then open the database and migrate it if needed."""
        if (passphrase is None) == (recovery_key is None):
            raise ValueError("Give either a passphrase or a recovery key.")
        with self._lock:
            if not self.is_locked:
                return
            if wiping.is_pending(self.path):  # a handle made before the wipe began
                raise VaultWiped()
            self.header = keys.read_header(self.header_path)
            if passphrase is not None:
                data_key = self._attempt(lambda: keys.unwrap_with_passphrase(self.header, passphrase))
            else:
                data_key = self._attempt(lambda: keys.unwrap_with_recovery_key(self.header, recovery_key or ""))
            self._open_with(data_key)
            method = "passphrase" if passphrase is not None else "recovery_key"
            log.info("vault unlocked with its %s", method.replace("_", " "))
            self._audit_unlock(method)

    def _audit_unlock(self, method: str) -> None:
        """Log the unlock, folding in the wrong guesses counted beside the locked vault, then clear that count."""
        failures = audit.failed_unlocks(self.path)
        try:
            with self.transaction("writing the audit log") as session:
                if failures is not None:
                    self.audit.record_in(session, "unlock_failed", **failures)
                self.audit.record_in(session, "unlock", method=method)
            if failures is not None:
                audit.clear_failed_unlocks(self.path)
        except (StorageError, VaultDamaged) as exc:  # a full disk or a damaged page must not keep the inspector out
            log_failure(log, "writing the unlock to the audit log (the count beside it stays)", exc, logging.WARNING)

    def _attempt(self, unwrap: Callable[[], bytearray]) -> bytearray:
        """Unwrap the data key, once any wait earned by earlier wrong guesses is over; count a wrong one."""
        time.sleep(self.unlock_delay())
        try:
            data_key = unwrap()
        except WrongPassphrase:
            self._failures += 1
            if self.is_locked:  # a locked vault cannot be written: count it beside, folded in at the next unlock
                audit.note_failed_unlock(self.path, self.now())
            else:
                self.audit.record_if_possible("passphrase_check_failed")
            # Never the secret typed, nor any part of it: only that it was wrong, and how many times.
            log.warning("unlock refused: wrong passphrase or recovery key (attempt %d in a row)", self._failures)
            if self._failures >= _FREE_ATTEMPTS:
                self._next_attempt = time.monotonic() + min(_MAX_DELAY_S, 2.0 ** (self._failures - _FREE_ATTEMPTS))
            raise
        self._failures = 0
        return data_key

    def _open_with(self, data_key: bytearray) -> None:
        sqlcipher.check_whole_pages(self.db_path)
        engine = sqlcipher.create_engine(self.db_path, keys.subkey(data_key, "database"))
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
                current = migrate.current_revision(connection)
            migrate.check_known(current)
            if current != migrate.HEAD:
                self._migrate(engine, data_key, current)
            with Session(engine) as session:
                meta = {m.key: m.value for m in session.scalars(sa.select(Meta))}
            if not {"device_id", "device_signing_key"} <= meta.keys():
                raise VaultDamaged("The vault's device identity is missing from its database; restore a backup.")
        except BaseException as exc:
            engine.dispose()
            data_key[:] = bytes(len(data_key))  # this attempt failed: do not leave the key behind
            if isinstance(exc, sa.exc.DBAPIError):
                raise sqlcipher.translate(exc, doing="opening the vault") from None
            raise
        self._engine = engine
        self._data_key = data_key
        self.generation += 1
        self.device_id = meta["device_id"].decode()
        self._signing_key = Ed25519PrivateKey.from_private_bytes(meta["device_signing_key"])
        self._blobs = BlobStore(self.path / ATTACHMENTS_DIR, keys.subkey(data_key, "attachments"))
        self._blobs.remove_temp_files()
        self._blobs.remove_partials(older_than_s=PARTIAL_DOWNLOADS_KEPT_S)
        marker = self.path / backup.RESTORED_MARKER
        restored = marker.exists()
        if restored:  # a backup was put back: files added since are attachments to take back
            self.attachments.adopt_orphans()
        else:
            self.attachments.collect_orphans()
        self.replication.load_frameworks()
        if restored:
            self.replication.start_over()
            made, reason = backup.restored_from(self.path)
            self.audit.record_if_possible("backup_restored", backup_made_at=made, reason=reason)
            marker.unlink()

    def _migrate(self, engine: Engine, data_key: bytearray, current: str | None) -> None:
        with engine.connect() as connection:
            backup.make(self.path, connection, keys.subkey(data_key, "database"), reason=f"before-migration-{current}")
        with engine.begin() as connection:
            migrate.upgrade(connection)

    def lock(self) -> None:
        """Cut revisions of open drafts, then forget every key; further calls raise VaultLocked."""
        with self._lock:
            if self.is_locked:
                return
            try:
                self.records.cut_all(reason="lock")
                with self.transaction("updating the search index") as session:
                    search.index_pending(session)  # so the next unlock is ready to search at once
            except VaultDamaged:
                pass  # the drafts stay saved as drafts; verify() reports the damage. Locking must not fail.
            finally:
                self._forget_keys()
                log.info("vault locked")

    def _forget_keys(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._blobs is not None:
            self._blobs.close()
        if self._data_key is not None:
            self._data_key[:] = bytes(len(self._data_key))  # best effort: Python may hold copies
        self._engine = self._blobs = self._signing_key = self._data_key = None

    def close(self) -> None:
        self.lock()

    def wipe(self, progress: wiping.Progress | None = None) -> int:
        """Forget the keys at once (open drafts are not cut: nothing is kept), then destroy the vault
        and its backups on disk, keys first (see `fieldapp.storage.wipe`); returns the files removed."""
        with self._lock:
            self._forget_keys()
            return wiping.wipe(self.path, progress)

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def change_passphrase(self, new_passphrase: str, *, current: str | None = None) -> None:
        """Re-wrap the data key under a new passphrase; no record is re-encrypted.

        current: the passphrase in use, checked first (WrongPassphrase if it is not), so that
        someone at an unlocked laptop cannot take the vault over; wrong guesses slow down as at unlock.
        """
        keys.check_new_passphrase(new_passphrase)
        with self._lock:
            data_key = self._require_key()
            if current is not None:
                self._check_passphrase(current)
            header = keys.with_new_passphrase(self.header, data_key, new_passphrase)
            keys.write_header(self.header_path, header)
            # Backups share the data key: their headers must not keep opening with the old passphrase.
            for old in self.backups_path.glob("*.header"):
                keys.write_header(old, header)
            self.header = header
            self.audit.record_if_possible("passphrase_changed", checked=current is not None)

    def _check_passphrase(self, passphrase: str) -> None:
        """Raise WrongPassphrase unless it opens this vault's header; counted as an unlock attempt."""
        opened = self._attempt(lambda: keys.unwrap_with_passphrase(self.header, passphrase))
        opened[:] = bytes(len(opened))  # only the check was wanted; the key in use is the one already open

    # -- what the areas use ----------------------------------------------------------------------

    def _require_key(self) -> bytearray:
        if self._data_key is None:
            raise VaultLocked()
        return self._data_key

    def database_key(self) -> bytes:
        return keys.subkey(self._require_key(), "database")

    @property
    def blobs(self) -> BlobStore:
        if self._blobs is None:
            raise VaultLocked()
        return self._blobs

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        if self._signing_key is None:
            raise VaultLocked()
        return self._signing_key

    def now(self) -> str:
        return iso(self.clock())

    @contextmanager
    def transaction(self, doing: str) -> Iterator[Session]:
        """One transaction under the vault's lock; database faults become our own errors."""
        with self._lock:
            if self._engine is None:
                raise VaultLocked()
            session = Session(self._engine, expire_on_commit=False, autoflush=True)
            try:
                yield session
                session.commit()
            except (sa.exc.DBAPIError, sqlcipher.DatabaseError) as exc:
                # DatabaseError: the hot paths' raw DB-API cursor raises the driver's own errors.
                session.rollback()
                raise sqlcipher.translate(exc, doing=doing) from None
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    # -- whole-vault operations ------------------------------------------------------------------

    def search(self, query: search.Query | str = "", **filters: object) -> search.Results:
        """Words in any text field plus filters (see `fieldapp.search.Query`)."""
        if isinstance(query, str):
            query = search.Query(text=query, **filters)  # type: ignore[arg-type]
        return search.run(self, query)

    def snippets(self, text: str, record_ids: list[str]) -> dict[str, str]:
        """Matched words in context, for the records on screen (see `fieldapp.search.snippets`)."""
        return search.snippets(self, text, record_ids)

    def coverage(self, assessment_id: str) -> coverage.Coverage:
        """Evidence counts per quality statement × category, and statements with none yet."""
        return coverage.compute(self, assessment_id)

    def case_samples(self, assessment_id: str) -> tuple[samples.SampleCount, ...]:
        """Each case-tracking sample's cases by stage, cumulative ('50 put forward, 10 short-listed, 6 engaged')."""
        return samples.counts(self, assessment_id)

    def verify(self, *, attachments: bool = True) -> VerifyReport:
        """Check every page, revision (hash, chain, signature) and attachment; report by record."""
        return verify.run(self, attachments=attachments)

    def export(self, dest: Path | str) -> salvage.ExportReport:
        """Write every readable record to a JSON file the inspector chose (plaintext: an explicit act).

        Works on a damaged vault too: unreadable records are listed, the rest exported.
        """
        report = salvage.export(self, Path(dest))
        self.audit.record_if_possible("vault_exported", records=report.records, unreadable=len(report.unreadable))
        return report

    def backup(self, reason: str = "manual") -> backup.BackupInfo:
        """An encrypted copy of the database in backups/, keeping the newest few."""
        with self.transaction("making a backup") as session:
            return backup.make(self.path, session.connection(), self.database_key(), reason=reason)
