"""The service object every route shares: settings, database engines, the blob store and the rate
limiters, with the transactions routes run in. `create_app` makes one and keeps it on `app.state`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from fieldapp import logs
from fieldapp.ids import utcnow
from sync.server import db, errors, identity, instance, migrations, office, sealing, shared_state
from sync.server.blob_bucket import BlobBucket
from sync.server.blob_folder import BlobFolder
from sync.server.blobs import BlobStore
from sync.server.sealing import ChunkSeal
from sync.server.settings import Settings, private_file, private_folder
from sync.server.shared_state import RateLimiter

log = logging.getLogger("fieldapp.server")
SWEEP = "sweep"  # the turn of whoever sweeps stale part-uploads


def blob_store(settings: Settings, seal: ChunkSeal) -> BlobStore:
    """Where attachment bytes live: the object store the settings name, else the data folder."""
    return BlobBucket(settings.s3, seal) if settings.s3 is not None else BlobFolder(settings.blobs_dir, seal)


def prepare_data_dir(settings: Settings) -> None:
    """The data folder, its attachment folder and the SQLite database, open to this user only."""
    private_folder(settings.data_dir)
    if settings.s3 is None:
        private_folder(settings.blobs_dir)
    if settings.database_url is None:
        private_file(settings.data_dir / "service.db")


class Service:
    """What routes share: settings, engines, the blob store and the rate limiters."""

    def __init__(self, settings: Settings, *, migrate: bool = False) -> None:
        self.settings = settings
        prepare_data_dir(settings)
        self._instance: str | None = None
        self.engine = sealing.engine_for(settings)
        self.sealer = sealing.of_engine(self.engine)
        self.writer = db.writer(self.engine)
        self._write_turn = db.write_turn(self.engine)
        if migrate:
            migrations.upgrade(self.engine)
        self.blobs = blob_store(settings, ChunkSeal(self._attachments_key))
        if self._database_answers():  # else /readyz says so, and the key is checked at the first request
            with self.reading_rows() as connection:
                self.sealer.check(connection)  # the wrong key file fails here, clearly, not at the first pull
            self.blobs.seal.key()  # now, so that no chunk waits on another writer for it
            self._instance = self._instance_of_database()
        self.shared = shared_state.connect(settings.redis_url, prefix=settings.redis_prefix)
        limits = settings.limits
        self.device_rate = RateLimiter(self.shared, "device", limits.requests_per_s, limits.burst)
        self.office_rate = RateLimiter(self.shared, "office", limits.requests_per_s, limits.burst)  # by office token, as devices' by device
        self.enrol_rate = RateLimiter(self.shared, "enrol", limits.enrol_per_minute / 60, limits.enrol_per_minute)

    @property
    def instance(self) -> str:
        """The service's instance id, read once: at start, or at the first answer that carries it when
        the database did not answer at start. Only a restore renews it, with every process stopped."""
        if self._instance is None:
            self._instance = self._instance_of_database()
        return self._instance

    def _instance_of_database(self) -> str:
        with self.reading_rows() as connection:
            found = instance.read(connection)
        if found is not None:
            return found
        with self.writing_rows() as connection:  # the first start on this database: made once, whoever races
            return instance.made(connection, self.settings.data_dir)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    @contextmanager
    def reading_rows(self) -> Iterator[sa.Connection]:
        """A read transaction on a bare connection, for the routes on every sync's path (sign-in,
        pull): they read rows, not objects, and a Session would only add its own bookkeeping."""
        with self.engine.begin() as connection:
            yield connection

    def sign_in(self, authorization: str | None) -> identity.Caller:
        """The device a token belongs to, within its rate; else 401 or 429."""
        with self.reading_rows() as connection:
            who = identity.authenticate(connection, authorization)
        self._within_device_rate(who.device_id)
        return who

    def sign_in_revoked(self, authorization: str | None) -> identity.RevokedCaller:
        """A revoked device confirming its wipe, within its rate; else 401, 403 or 429."""
        with self.reading_rows() as connection:
            who = identity.authenticate_revoked(connection, authorization)
        self._within_device_rate(who.device_id)
        return who

    def _within_device_rate(self, device_id: str) -> None:
        wait = self.device_rate.take(device_id)
        if wait is not None:
            raise errors.RateLimited(f"Too many requests from this device; wait {wait:g} s.", retry_after_s=wait)

    def sign_in_office(self, authorization: str | None) -> office.OfficeCaller:
        """The office token a bearer header names, within its rate; else 401 or 429. Its "last used"
        is written at most once a minute."""
        with self.reading_rows() as connection:
            who = office.authenticate(connection, authorization)
        wait = self.office_rate.take(who.token_id)
        if wait is not None:
            raise errors.RateLimited(f"Too many requests with this office token; wait {wait:g} s.", retry_after_s=wait)
        now = utcnow()
        if office.last_used_is_due(who, now):
            try:
                with self.writing_rows() as connection:
                    office.mark_used(connection, who, now)
            except sa.exc.OperationalError:
                pass  # a busy database: the stamp waits for the next request; the office's request goes on
        return who

    def sign_in_at(self, path: str, authorization: str | None) -> identity.Caller | office.OfficeCaller | identity.RevokedCaller:
        """Who calls this path: the office's routes take an office token and nothing else; the wipe
        confirmation a revoked device's token and nothing else; every other route a device's token
        that still works."""
        if path.startswith(office.PATH_PREFIX):
            return self.sign_in_office(authorization)
        if path == identity.WIPED_PATH:
            return self.sign_in_revoked(authorization)
        return self.sign_in(authorization)

    def take_enrol_turn(self, client: str) -> None:
        """Counts an enrolment attempt from this client address; 429 beyond its rate."""
        wait = self.enrol_rate.take(client)
        if wait is not None:
            raise errors.RateLimited(f"Too many enrolment attempts from here; wait {wait:g} s.", retry_after_s=wait)

    def unready(self) -> list[str]:
        """Which of what the service needs does not answer: "database", "blob store", "redis"."""
        failing = []
        for name, probe in (("database", self._probe_database), ("blob store", self.blobs.check), ("redis", self.shared.check)):
            try:
                probe()
            except Exception as exc:  # a probe answers "not ready" whatever went wrong, never a 500
                log.warning("readiness: %s does not answer: %s", name, logs.kind_of(exc))
                failing.append(name)
        return failing

    def _probe_database(self) -> None:
        with self.reading_rows() as connection:
            connection.exec_driver_sql("SELECT 1")

    def _database_answers(self) -> bool:
        try:
            self._probe_database()
        except (sa.exc.DBAPIError, OSError) as exc:
            log.warning("the database does not answer at start: %s", logs.kind_of(exc))
            return False
        return True

    def _attachments_key(self) -> AESGCM:
        with self.writing_rows() as connection:  # made on first use: a write
            return sealing.of(connection).attachments_key()

    @property
    def sweeps_in_requests(self) -> bool:
        """Without Redis the service runs alone (the embedded default), and sweeps as chunks arrive;
        with it, `fieldapp-server sweep` does, from a timer."""
        return isinstance(self.shared, shared_state.LocalState)

    def sweep_if_due(self) -> None:
        """In requests: sweep unless this process did within the sweep interval (the first call
        after a start always does); one request at a time, never failing the one that pays for it.
        The turn is not given back: it lapses after the interval, which is what makes it due again."""
        limits = self.settings.limits
        if not self.sweeps_in_requests or self.shared.hold(SWEEP, for_s=limits.staging_sweep_every_s) is None:
            return
        try:
            removed = self.blobs.sweep(max_age_s=limits.staging_max_age_s)
        except (OSError, errors.Unavailable) as exc:
            log.warning("could not sweep stale attachment uploads: %s", logs.kind_of(exc))
            return
        if removed:
            log.info("swept %d attachment part-uploads untouched for %g s", removed, limits.staging_max_age_s)

    def sweep(self) -> int | None:
        """The scheduled sweep (`fieldapp-server sweep`): how many stale part-uploads went, or None
        when another process is sweeping now. The turn lapses by itself if this one is killed."""
        limits = self.settings.limits
        ticket = self.shared.hold(SWEEP, for_s=limits.staging_sweep_every_s)
        if ticket is None:
            return None
        try:
            return self.blobs.sweep(max_age_s=limits.staging_max_age_s)
        finally:
            self.shared.release(SWEEP, ticket)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        # SQLite takes one writer at a time: writers queue on db.WriteTurn instead of its busy handler.
        with self._write_turn, Session(self.writer) as session, session.begin():
            yield session

    @contextmanager
    def writing_rows(self) -> Iterator[sa.Connection]:
        """A write transaction on a bare connection (as writing() takes its turn), for push."""
        with self._write_turn, self.writer.begin() as connection:
            yield connection
