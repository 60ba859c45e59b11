"""Evidence sealed at rest: revision bodies and concerns' words are encrypted with AES-GCM under a
data key per assessment, attachment chunks under the attachments' data key (one file serves every
assessment naming it), all kept in `data_keys` wrapped by the service key. The service key sits behind `KeyWrapper`, so a KMS
could stand in for the key file; rotating it re-wraps data keys and never touches what they sealed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine

from fieldapp.ids import iso, utcnow
from sync.server import db
from sync.server.models import Concern, DataKey, Revision
from sync.server.settings import Settings

KEY_ENV = "FIELDAPP_SERVICE_KEY"  # base64 of 32 bytes: the service key, instead of a key file
KEY_FILE = "service.key"  # in the data folder, made on first start when neither is given
_VERSION = b"\x01"  # the first byte of every sealed value; plaintext JSON starts with "{"
_NONCE = 12
_TEXT_MARK = "sealed:1:"  # a sealed text column (a concern's words): this, then base64


class ServiceKeyError(Exception):
    """The service key is missing, malformed, or not the one the data keys were wrapped with."""


class SealError(Exception):
    """A sealed value does not open under its data key and place: moved, altered, or another key."""


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys: the service key in a file or the environment, or a KMS."""

    @property
    def key_id(self) -> str: ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


class ServiceKey:
    """A 256-bit AES key held by this process: from a key file or FIELDAPP_SERVICE_KEY."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ServiceKeyError("The service key must be 32 bytes (base64 of 32 random bytes).")
        self._aead = AESGCM(key)
        # Names the key without revealing it: a hash under a fixed label, cut short.
        self._id = hashlib.sha256(b"fieldapp service key id\0" + key).hexdigest()[:16]

    @property
    def key_id(self) -> str:
        return self._id

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead.encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], context)
        except InvalidTag:
            raise ServiceKeyError("A data key does not open under this service key: it was wrapped with another one.") from None


def read_key_file(path: Path) -> ServiceKey:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceKeyError(f"The service key file {path} cannot be read ({exc.__class__.__name__}).") from None
    return ServiceKey(_decoded(text, f"The service key file {path}"))


def _decoded(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceKeyError(f"{what} is not base64 of 32 bytes.") from None


def make_key_file(path: Path) -> None:
    """A new random service key, readable by this user only; never overwrites one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")


def service_key(data_dir: Path, key_file: Path | None) -> ServiceKey:
    """The key the settings name: --key-file, else FIELDAPP_SERVICE_KEY, else the data folder's
    service.key (made on first start; an embedded service has no administrator to make one)."""
    if key_file is not None:
        return read_key_file(key_file)
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return ServiceKey(_decoded(env, KEY_ENV))
    path = data_dir / KEY_FILE
    try:
        make_key_file(path)
    except FileExistsError:
        pass
    return read_key_file(path)


@dataclass(frozen=True)
class _Place:
    """What a sealed value belongs to, bound into its associated data."""

    scope: str  # the data key's owner: "a:<assessment id>"
    where: bytes

    @property
    def aad(self) -> bytes:
        return self.scope.encode() + b"\0" + self.where


class Sealer:
    """Opens data keys kept in `data_keys` with `wrapper`; `of(connection)` seals and opens with them."""

    def __init__(self, wrapper: KeyWrapper) -> None:
        self.wrapper = wrapper
        # Unwrapped keys by their wrapped bytes: a row is still read in each transaction, so a key
        # made in one that rolled back (and made again by another writer) is never used.
        self._unwrapped: dict[bytes, AESGCM] = {}
        self._lock = threading.Lock()

    def check(self, connection: sa.Connection) -> None:
        """At start: the newest data key opens under this service key (else a clear error, not a 500 later)."""
        row = connection.execute(sa.select(DataKey.scope, DataKey.key_id, DataKey.wrapped).order_by(DataKey.created_at.desc()).limit(1)).first()
        if row is not None:
            self.unwrapped(row.scope, row.key_id, row.wrapped)

    def unwrapped(self, scope: str, key_id: str, wrapped: bytes) -> AESGCM:
        with self._lock:
            known = self._unwrapped.get(wrapped)
        if known is not None:
            return known
        if key_id != self.wrapper.key_id:
            raise ServiceKeyError(
                f"The data keys are wrapped with service key {key_id}, but this key is {self.wrapper.key_id}: "
                "start the service with the key file it was given (or finish `admin keys rotate`)."
            )
        key = AESGCM(self.wrapper.unwrap(wrapped, scope.encode()))
        with self._lock:
            self._unwrapped[wrapped] = key
        return key

    def new_row(self, scope: str) -> dict:
        wrapped = self.wrapper.wrap(AESGCM.generate_key(bit_length=256), scope.encode())
        return {"scope": scope, "key_id": self.wrapper.key_id, "wrapped": wrapped, "created_at": iso(utcnow())}


class Seals:
    """The sealer within one transaction: each data key read from it once, made if missing."""

    def __init__(self, sealer: Sealer, connection: sa.Connection) -> None:
        self.sealer, self.connection = sealer, connection
        self._keys: dict[str, AESGCM] = {}

    def _key(self, scope: str) -> AESGCM:
        key = self._keys.get(scope)
        if key is None:
            row = self.connection.execute(_DATA_KEY, {"scope": scope}).first()
            if row is None:
                self._make_key(scope)
                row = self.connection.execute(_DATA_KEY, {"scope": scope}).one()  # ours, or one a racing writer committed first
            key = self._keys[scope] = self.sealer.unwrapped(scope, row.key_id, row.wrapped)
        return key

    def _make_key(self, scope: str) -> None:
        """Store a new data key for `scope`. On PostgreSQL it commits in a transaction of its own
        at once: made inside a push, its unique row would make every other push to the assessment
        wait for that push to end, and a pull could then no longer tell commit order from
        transaction ids (see pull.py). SQLite has one writer at a time, so there it is made within
        the transaction that holds the write lock (a second writer would wait on this one)."""
        row = [self.sealer.new_row(scope)]
        if not db.is_postgres(self.connection):
            db.insert_ignore(self.connection, DataKey.__table__, row, ["scope"])
            return
        with self.connection.engine.connect() as own, own.begin():
            db.insert_ignore(own, DataKey.__table__, row, ["scope"])

    def _seal(self, place: _Place, plain: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return _VERSION + nonce + self._key(place.scope).encrypt(nonce, plain, place.aad)

    def _open(self, place: _Place, sealed: bytes) -> bytes:
        if sealed[:1] != _VERSION:
            return sealed  # stored before sealing began: `admin keys encrypt-existing` seals it
        try:
            return self._key(place.scope).decrypt(sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :], place.aad)
        except InvalidTag:
            raise SealError("Stored evidence does not open where it is: it was moved or altered.") from None

    # -- what is sealed, each bound to its place ---------------------------------------------------

    def seal_body(self, assessment_id: str, rev_id: str, body: bytes) -> bytes:
        return self._seal(_body_place(assessment_id, rev_id), body)

    def open_body(self, assessment_id: str, rev_id: str, stored: bytes) -> bytes:
        return self._open(_body_place(assessment_id, rev_id), stored)

    def seal_text(self, assessment_id: str, row_id: str, column: str, text: str) -> str:
        return _TEXT_MARK + base64.b64encode(self._seal(_text_place(assessment_id, row_id, column), text.encode("utf-8"))).decode()

    def attachments_key(self) -> AESGCM:
        return self._key(BLOBS_SCOPE)

    def prepare_assessment(self, assessment_id: str) -> None:
        """Make an assessment's data key as the assessment is made, so its first push finds it
        rather than making it (on PostgreSQL with a second connection, see _make_key)."""
        self._key(_assessment_scope(assessment_id))

    def open_text(self, assessment_id: str, row_id: str, column: str, stored: str) -> str:
        if not stored.startswith(_TEXT_MARK):
            return stored
        sealed = base64.b64decode(stored[len(_TEXT_MARK) :])
        return self._open(_text_place(assessment_id, row_id, column), sealed).decode("utf-8")


BLOBS_SCOPE = "blobs"  # the attachments' data key: a file is stored once, whichever teams name it


class ChunkSeal:
    """Seals attachment chunks, each bound to its file's SHA-256 and its index (a chunk moved to
    another place, or another file, does not open). A sealed chunk is OVERHEAD bytes longer.

    The key is fetched at the first chunk, not before: a service starts, and says on /readyz what
    does not answer, even while its database (which keeps the key) does not."""

    OVERHEAD = len(_VERSION) + _NONCE + 16  # version, nonce, GCM tag

    def __init__(self, fetch_key: Callable[[], AESGCM]) -> None:
        self._fetch_key = fetch_key
        self._key: AESGCM | None = None

    def key(self) -> AESGCM:
        if self._key is None:  # two threads racing here fetch the same key: the data key is made once
            self._key = self._fetch_key()
        return self._key

    def seal(self, sha256: str, index: int, data: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return _VERSION + nonce + self.key().encrypt(nonce, data, _chunk_aad(sha256, index))

    def open(self, sha256: str, index: int, sealed: bytes) -> bytes:
        try:
            return self.key().decrypt(sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :], _chunk_aad(sha256, index))
        except InvalidTag:
            raise SealError("A stored attachment chunk does not open where it is: it was moved or altered.") from None


def _chunk_aad(sha256: str, index: int) -> bytes:
    return f"{BLOBS_SCOPE}\0chunk\0{sha256}\0{index}".encode()


def _assessment_scope(assessment_id: str) -> str:
    return f"a:{assessment_id}"


def _body_place(assessment_id: str, rev_id: str) -> _Place:
    return _Place(_assessment_scope(assessment_id), b"revision\0" + rev_id.encode())


def _text_place(assessment_id: str, row_id: str, column: str) -> _Place:
    return _Place(_assessment_scope(assessment_id), f"text\0{row_id}\0{column}".encode())


_DATA_KEY = sa.select(DataKey.key_id, DataKey.wrapped).where(DataKey.scope == sa.bindparam("scope"))


def engine_for(settings: Settings) -> Engine:
    """The settings' database, its connections carrying a sealer with their service key: push, pull
    and the admin find it there (`of`)."""
    sealer = Sealer(service_key(settings.data_dir, settings.key_file))
    return db.create_engine(settings.url).execution_options(sealer=sealer)


def of_engine(engine: Engine) -> Sealer:
    return engine.get_execution_options()["sealer"]


def of(connection: sa.Connection) -> Seals:
    """The seals of this connection's transaction (its engine came from with_sealer)."""
    return Seals(connection.get_execution_options()["sealer"], connection)


def rotate(engine: Engine, old: KeyWrapper, new: KeyWrapper, *, batch: int = 500) -> int:
    """Re-wrap every data key wrapped by `old` under `new`, a batch per transaction: stopped
    halfway, it goes on where it stopped (each row says which key wraps it). Returns how many."""
    done = 0
    while True:
        with db.writer(engine).begin() as connection:
            rows = connection.execute(sa.select(DataKey.scope, DataKey.wrapped).where(DataKey.key_id == old.key_id).limit(batch)).all()
            for scope, wrapped in rows:
                data_key = old.unwrap(wrapped, scope.encode())
                values = {"key_id": new.key_id, "wrapped": new.wrap(data_key, scope.encode())}
                connection.execute(sa.update(DataKey).where(DataKey.scope == scope).values(**values))
        done += len(rows)
        if len(rows) < batch:
            return done


_CONCERN_WORDS = ("heard", "tell", "acknowledgement_note")


def seal_existing(engine: Engine, *, batch: int = 500) -> dict[str, int]:
    """Seal what was stored in plaintext before sealing began, a batch per transaction: stopped
    halfway, run again it skips what is sealed. On SQLite the file is then rewritten (VACUUM), so
    no page of the old plaintext is left in it or its WAL."""
    counts = {"revisions": 0, "concerns": 0}
    after = -1
    while True:
        with db.writer(engine).begin() as connection:
            seals = of(connection)
            rows = connection.execute(_REVISIONS_AFTER, {"after": after, "batch": batch}).all()
            for row in rows:
                if row.body[:1] != _VERSION:
                    connection.execute(_SEAL_REVISION, {"v_seq": row.seq, "v_body": seals.seal_body(row.assessment_id, row.id, row.body)})
                    counts["revisions"] += 1
        if len(rows) < batch:
            break
        after = rows[-1].seq
    with db.writer(engine).begin() as connection:
        seals = of(connection)
        for row in connection.execute(sa.select(Concern.id, Concern.assessment_id, *(getattr(Concern, c) for c in _CONCERN_WORDS))).all():
            plain = {c: getattr(row, c) for c in _CONCERN_WORDS if getattr(row, c) is not None and not getattr(row, c).startswith(_TEXT_MARK)}
            if plain:
                values = {c: seals.seal_text(row.assessment_id, row.id, c, text) for c, text in plain.items()}
                connection.execute(sa.update(Concern).where(Concern.id == row.id).values(**values))
                counts["concerns"] += 1
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # in autocommit (db._configure_sqlite): VACUUM runs outside a transaction
        try:
            raw.driver_connection.execute("VACUUM")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return counts


_REVISIONS_AFTER = (
    sa.select(Revision.seq, Revision.id, Revision.assessment_id, Revision.body)
    .where(Revision.seq > sa.bindparam("after"))
    .order_by(Revision.seq)
    .limit(sa.bindparam("batch"))
)
_SEAL_REVISION = sa.update(Revision).where(Revision.seq == sa.bindparam("v_seq")).values(body=sa.bindparam("v_body"))
