"""Attachment chunks stored before sealing began, sealed in place by `admin keys encrypt-existing`:
each such file's plaintext chunks are sealed where they are stored (blobs.BlobStore.seal_in_place),
then its row says so. Stopped half-way, run again it goes on where it stopped: the store tells a
sealed chunk from a plaintext one by its length, so none is sealed twice, and downloads read either."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine

from sync.server import db, sealing
from sync.server.blobs import BlobStore
from sync.server.models import Blob
from sync.server.sealing import ChunkSeal, SealError

log = logging.getLogger("fieldapp.server")


@dataclass(frozen=True)
class OldChunks:
    """What a run did: chunks it sealed, and files it left as they were because a chunk of theirs
    was altered where it is stored (to be restored from a backup, then the command run again)."""

    sealed: int
    damaged: tuple[str, ...]  # their SHA-256s


def engine_seal(engine: Engine) -> ChunkSeal:
    """The attachments' seal, its data key from this engine's database (made there if missing)."""

    def fetch() -> AESGCM:
        with db.writer(engine).begin() as connection:
            return sealing.of(connection).attachments_key()

    return ChunkSeal(fetch)


def seal_old_chunks(engine: Engine, store: BlobStore, *, batch: int = 500) -> OldChunks:
    """Seal the chunks of every whole file stored before sealing began, file by file; a file's row
    is marked sealed only once the store holds every chunk of it sealed."""
    sealed, damaged = 0, []
    after = ""
    while True:
        with engine.connect() as connection:
            rows = connection.execute(_OLD_AFTER, {"after": after, "batch": batch}).all()
        for row in rows:
            if not store.holds(row.sha256):
                continue  # a row alone serves nobody: the file, sent again, is stored sealed
            try:
                sealed += store.seal_in_place(row.sha256, size=row.size, chunk_size=row.chunk_size)
            except SealError:
                log.warning("attachment %s is altered where it is stored, so it was not sealed: restore it from a backup", row.sha256)
                damaged.append(row.sha256)
                continue
            with db.writer(engine).begin() as connection:
                connection.execute(sa.update(Blob).where(Blob.sha256 == row.sha256).values(sealed=True))
        if len(rows) < batch:
            return OldChunks(sealed, tuple(damaged))
        after = rows[-1].sha256


_OLD_AFTER = (
    sa.select(Blob.sha256, Blob.size, Blob.chunk_size)
    .where(Blob.sealed.is_(False), Blob.complete.is_(True), Blob.sha256 > sa.bindparam("after"))
    .order_by(Blob.sha256)
    .limit(sa.bindparam("batch"))
)
