"""Attachment bytes on the service: uploaded in chunks, resumable, checked against their SHA-256.

Each device uploads into its own staging area (so no other device can spoil its upload), within
a quota of bytes part-sent; when the last chunk arrives the whole file is hashed, and only a match
becomes the stored blob, which every device allowed to see a revision naming it may download chunk
by chunk. Part-uploads left untouched long enough are swept away. A device may send or fetch only
bytes that a revision of one of its assessments names.
"""

from __future__ import annotations

import errno
import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.ids import iso, utcnow
from fieldapp.sizes import size_text
from sync import protocol
from sync.server import db, errors
from sync.server.sealing import ChunkSeal, SealError
from sync.server.identity import Caller
from sync.server.models import Blob, BlobRef

log = logging.getLogger("fieldapp.server")

NOT_NAMED = "No attachment with that SHA-256 is named by a revision this device may see. Push the revision first."
FILE_OVER_QUOTA = (
    "This attachment is {size}, more than the {limit} of unfinished uploads the service holds for one device, "
    "so it cannot be sent. Ask the service's administrator to raise that limit."
)
QUOTA_FULL = (
    "This device already has {staged} of other attachments part-sent, and this one ({size}) would take it past the "
    "{limit} of unfinished uploads the service holds for one device. Let those finish first (they resume where they "
    "stopped at the next sync), or ask the service's administrator to raise the limit."
)

DAMAGED_COPY = "The service's copy of this attachment is damaged; its administrator can restore it from a backup. Try again later."

Transaction = Callable[[], AbstractContextManager[Session]]


def chunk_count(size: int, chunk_size: int) -> int:
    return max(1, -(-size // chunk_size))  # an empty file is one empty chunk


def chunk_length(size: int, chunk_size: int, index: int) -> int:
    return chunk_size if index < chunk_count(size, chunk_size) - 1 else size - chunk_size * (chunk_count(size, chunk_size) - 1)


@dataclass(frozen=True)
class Upload:
    """One device's part-upload of one file at one chunk size: its chunks are staged apart from
    every other device's, so no other device can spoil it."""

    device_id: str
    sha256: str
    chunk_size: int


class Finishing(Protocol):
    """A whole part-upload being checked and made the stored blob (see `_finish`)."""

    def hash(self) -> tuple[str, int]:
        """The SHA-256 and size of the staged chunks in order; OSError if one went meanwhile."""

    def claim(self) -> bool:
        """Make exactly the bytes hashed the blob's, unless another request took them first (False)."""

    def promote(self) -> None:
        """Tidy away the claimed part-upload once the blob is recorded."""


class BlobStore(ABC):
    """Where attachment bytes live: a folder (`blob_folder.BlobFolder`, the embedded default) or an
    S3-compatible bucket (`blob_bucket.BlobBucket`). They only store, read, list and delete bytes;
    what may be sent, by whom, and when a file is whole is decided here, once for both. Every chunk
    is sealed (sealing.ChunkSeal) before it reaches either, and opened as it is read back."""

    def __init__(self, seal: ChunkSeal) -> None:
        self.seal = seal

    @abstractmethod
    def staged(self, upload: Upload) -> set[int]:
        """Indexes of the chunks staged for this upload."""

    @abstractmethod
    def has_chunk(self, upload: Upload, index: int) -> bool: ...

    @abstractmethod
    def staged_bytes(self, device_id: str, *, besides: Upload) -> int:
        """Bytes of chunks this device holds part-sent, leaving out those of `besides` (the upload asking)."""

    def add_chunk(self, upload: Upload, index: int, data: bytes) -> None:
        """Stage one chunk, sealed, once: a chunk already there stays as it is."""
        self._stage(upload, index, self.seal.seal(upload.sha256, index, data))

    @abstractmethod
    def _stage(self, upload: Upload, index: int, sealed: bytes) -> None: ...

    @abstractmethod
    def finishing(self, upload: Upload, count: int) -> AbstractContextManager[Finishing]: ...

    @abstractmethod
    def discard(self, upload: Upload) -> None:
        """Remove a part-upload whole."""

    @abstractmethod
    def holds(self, sha256: str) -> bool:
        """Whether the whole file is stored."""

    def read_chunk(self, sha256: str, index: int, *, size: int, chunk_size: int, sealed: bool) -> bytes:
        """A chunk of a whole file, opened. A file stored before sealing began (`sealed` False) may
        have been sealed in place since, wholly or in part (`seal_in_place`): its stored length says."""
        if sealed:
            stored = self._read(sha256, index, size=size, chunk_size=chunk_size, overhead=ChunkSeal.OVERHEAD)
        else:
            stored, sealed = self._read_old(sha256, index, size=size, chunk_size=chunk_size)
        return self.seal.open(sha256, index, stored) if sealed else stored

    @abstractmethod
    def _read(self, sha256: str, index: int, *, size: int, chunk_size: int, overhead: int) -> bytes:
        """Chunk `index` as stored; each is `overhead` bytes longer than the file's own bytes in it."""

    @abstractmethod
    def _read_old(self, sha256: str, index: int, *, size: int, chunk_size: int) -> tuple[bytes, bool]:
        """Chunk `index` of a file stored before sealing began, as stored, and whether it is sealed now."""

    @abstractmethod
    def seal_in_place(self, sha256: str, *, size: int, chunk_size: int) -> int:
        """Seal the chunks of a whole file stored before sealing began that are still plaintext, each
        sealed copy stored safely before its plaintext goes, so a chunk is never lost and reads on
        meanwhile; how many it sealed (chunks found sealed are left as they are). SealError if a
        chunk's length is neither its plaintext's nor its seal's: damaged where it is stored."""

    @abstractmethod
    def sweep(self, *, max_age_s: float, now: float | None = None) -> int:
        """Remove part-uploads (and writes cut short) untouched for max_age_s; returns how many went."""

    @abstractmethod
    def part_uploads(self, *, max_age_s: float) -> tuple[int, int]:
        """How many part-uploads are staged, and how many of them the next sweep would remove (for /metrics)."""

    @abstractmethod
    def check(self) -> None:
        """Cheap proof the store is reachable and ours to write (for /readyz); else errors.Unavailable."""


def status(*, session: Session, caller: Caller, store: BlobStore, sha256: str, chunk_size: int) -> protocol.BlobStatus:
    size = _named_size(session, caller, sha256)
    blob = _complete_blob(session, store, sha256) if _proven(session, caller, sha256) else None
    if blob is not None:
        return protocol.BlobStatus(
            sha256=sha256, size=blob.size, chunk_size=blob.chunk_size,
            received=list(range(chunk_count(blob.size, blob.chunk_size))), complete=True,
        )  # fmt: skip
    received = store.staged(Upload(caller.device_id, sha256, chunk_size))
    return protocol.BlobStatus(sha256=sha256, size=size, chunk_size=chunk_size, received=sorted(received), complete=False)


def put_chunk(
    *, reading: Transaction, writing: Transaction, caller: Caller, store: BlobStore, sha256: str, index: int, data: bytes,
    declared_sha256: str | None, chunk_size: int, staging_quota: int,
) -> protocol.ChunkReceipt:  # fmt: skip
    """Stage one chunk; the last one makes the whole file checked and stored.

    The bytes are written, fsynced and hashed outside `writing` (on SQLite a turn every writer of
    the process waits for): only recording a finished blob takes a turn. Chunks are write-once,
    staging is per device, and only the very bytes hashed become the blob (see _finish): that is
    what makes doing it without a lock safe."""
    with reading() as session:
        size = _named_size(session, caller, sha256)
        count = chunk_count(size, chunk_size)
        # A chunk no file of this size has is refused the same way whether the file is whole yet or not.
        _check_chunk(index, data, declared_sha256, size, chunk_size)
        if _proven(session, caller, sha256) and _complete_blob(session, store, sha256) is not None:
            return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=True)
    upload = Upload(caller.device_id, sha256, chunk_size)
    if not store.has_chunk(upload, index):  # a chunk sent again adds nothing, and always resumes
        _within_quota(store, upload, size, staging_quota)
        store.add_chunk(upload, index, data)
    received = store.staged(upload)
    if not received >= set(range(count)):
        if store.holds(sha256) and _held(reading, caller, store, sha256):
            # This request raced another of this device's that finished the file meanwhile: the
            # chunk it just staged began a new part-upload nobody needs.
            store.discard(upload)
            return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=True)
        return protocol.ChunkReceipt(sha256=sha256, index=index, received=len(received), complete=False)
    return _finish(reading, writing, caller, store, upload, index, size)


def _check_chunk(index: int, data: bytes, declared_sha256: str | None, size: int, chunk_size: int) -> None:
    """422 for a chunk that cannot be part of a file of this size, or that was damaged on the way."""
    count = chunk_count(size, chunk_size)
    if not 0 <= index < count:
        raise errors.Invalid(f"Chunk {index} is out of range: this file has chunks 0 to {count - 1}.")
    if len(data) != chunk_length(size, chunk_size, index):
        raise errors.Invalid(f"Chunk {index} should be {chunk_length(size, chunk_size, index)} bytes, not {len(data)}.")
    if declared_sha256 is not None and hashlib.sha256(data).hexdigest() != declared_sha256.lower():
        raise errors.Invalid(f"Chunk {index} was damaged on the way (its SHA-256 does not match); send it again.", code=protocol.E_BLOB_MISMATCH)


def get_chunk(*, session: Session, caller: Caller, store: BlobStore, sha256: str, index: int) -> bytes:
    _named_size(session, caller, sha256)
    blob = _complete_blob(session, store, sha256) if _proven(session, caller, sha256) else None
    if blob is None:
        raise errors.NotFoundError("The service does not hold that whole attachment yet; try again after the next sync.", code=protocol.E_NOT_READY)
    if not 0 <= index < chunk_count(blob.size, blob.chunk_size):
        raise errors.NotFoundError(f"No chunk {index} in that attachment.")
    try:
        return store.read_chunk(sha256, index, size=blob.size, chunk_size=blob.chunk_size, sealed=blob.sealed)
    except OSError as exc:
        raise unavailable(exc) from exc
    except SealError:
        # Altered where it is stored (a failing disk, a hand in the store): never served, and the
        # laptop keeps wanting it, so it arrives once the administrator restores the copy.
        log.warning("attachment chunk %d of %s does not open under its seal: restore it from a backup", index, sha256)
        raise errors.NotFoundError(DAMAGED_COPY, code=protocol.E_NOT_READY) from None


def _held(reading: Transaction, caller: Caller, store: BlobStore, sha256: str) -> bool:
    with reading() as session:
        return _proven(session, caller, sha256) and _complete_blob(session, store, sha256) is not None


def _within_quota(store: BlobStore, upload: Upload, size: int, quota: int) -> None:
    """Refuse a chunk if this file, whole, with the device's other part-uploads would pass the quota.

    Counting this file at its full size refuses it at its first chunk rather than half-way; not
    counting what it has staged already lets an upload that started within the quota resume. Two
    chunks of one device racing each other may both pass, so the true bound is the quota plus one
    chunk per request of that device in flight, which its request rate keeps small."""
    if size > quota:
        raise errors.TooLarge(FILE_OVER_QUOTA.format(size=size_text(size), limit=size_text(quota)), limit=quota)
    staged = store.staged_bytes(upload.device_id, besides=upload)
    if staged + size > quota:
        raise errors.TooLarge(QUOTA_FULL.format(staged=size_text(staged), size=size_text(size), limit=size_text(quota)), limit=quota)


def _finish(
    reading: Transaction, writing: Transaction, caller: Caller, store: BlobStore, upload: Upload, index: int, size: int
) -> protocol.ChunkReceipt:  # fmt: skip
    """Check every staged chunk against the file's SHA-256 and make a match the stored blob.

    Other requests of the same device may be finishing, or discarding, the same upload at the
    same time; the store makes sure what becomes the blob is exactly what was hashed. Whether
    another request finished it is the database's word, never the store's: a mismatch leaves the
    chunks gone just the same."""
    sha256 = upload.sha256
    count = chunk_count(size, upload.chunk_size)
    try:
        with store.finishing(upload, count) as finishing:
            try:
                digest, actual = finishing.hash()
            except SealError:  # a chunk staged before sealing began, or altered on disk: sent again, as for a mismatch
                digest, actual = "", -1
            if digest != sha256 or actual != size:
                store.discard(upload)
                raise errors.Invalid(
                    "The uploaded file does not match its SHA-256; its chunks were discarded. Send it again.", code=protocol.E_BLOB_MISMATCH
                )
            # Recorded before the blob is claimed: a crash in between leaves every chunk staged,
            # and the next sync's last chunk finishes it (a row alone serves nobody: see _complete_blob).
            with writing() as session:
                _record_whole(session, caller, sha256, size, upload.chunk_size)
            claimed = finishing.claim()
            if claimed:
                finishing.promote()
    except OSError:  # the upload, or a chunk, went while it was being read
        claimed = False
    if not claimed:
        return _settled_elsewhere(reading, caller, store, sha256, index, count)
    return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=True)


def _settled_elsewhere(reading: Transaction, caller: Caller, store: BlobStore, sha256: str, index: int, count: int) -> protocol.ChunkReceipt:
    """The answer when another request of this device took the chunks first: if it found them
    right it recorded so before moving them, and the file is whole, or is about to be."""
    with reading() as session:
        if _proven(session, caller, sha256):
            complete = _complete_blob(session, store, sha256) is not None
            return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=complete)
    raise errors.Unavailable("This attachment's chunks changed while they were being checked; send the last one again.", retry_after_s=1)


def _record_whole(session: Session, caller: Caller, sha256: str, size: int, chunk_size: int) -> None:
    db.insert_ignore(
        session.connection(), Blob.__table__,
        [{"sha256": sha256, "size": size, "chunk_size": chunk_size, "complete": True, "completed_at": iso(utcnow()), "sealed": True}], ["sha256"],
    )  # fmt: skip
    _prove(session, caller, sha256)


def _named_size(session: Session, caller: Caller, sha256: str) -> int:
    if not caller.assessment_ids:
        raise errors.NotFoundError(NOT_NAMED)
    size = session.scalar(
        sa.select(BlobRef.size).where(BlobRef.sha256 == sha256, BlobRef.assessment_id.in_(caller.assessment_ids)).limit(1)
    )
    if size is None:
        raise errors.NotFoundError(NOT_NAMED)
    return size


def _proven(session: Session, caller: Caller, sha256: str) -> bool:
    """Whether one of the caller's teams has shown it holds these bytes."""
    if not caller.assessment_ids:
        return False
    query = sa.select(BlobRef.sha256).where(BlobRef.sha256 == sha256, BlobRef.assessment_id.in_(caller.assessment_ids), BlobRef.proven.is_(True))
    return session.scalar(query.limit(1)) is not None


def _prove(session: Session, caller: Caller, sha256: str) -> None:
    """The caller just uploaded the whole file: every one of its teams naming it may fetch it."""
    session.execute(
        sa.update(BlobRef).where(BlobRef.sha256 == sha256, BlobRef.assessment_id.in_(caller.assessment_ids)).values(proven=True)
    )


# Built once (a push naming attachments asks it): a request only binds its values.
_PROVEN = sa.select(BlobRef.sha256).where(
    BlobRef.sha256.in_(sa.bindparam("sha256s", expanding=True)),
    BlobRef.assessment_id.in_(sa.bindparam("assessment_ids", expanding=True)),
    BlobRef.proven.is_(True),
)


def proven_elsewhere(connection: sa.Connection, caller: Caller, sha256s: set[str]) -> set[str]:
    """Of these SHA-256s, those the caller can already fetch through one of its teams: naming them
    in another of its assessments shares what it holds (push marks such new references proven)."""
    if not sha256s or not caller.assessment_ids:
        return set()
    return set(connection.scalars(_PROVEN, {"sha256s": sorted(sha256s), "assessment_ids": sorted(caller.assessment_ids)}))


def _complete_blob(session: Session, store: BlobStore, sha256: str) -> Blob | None:
    blob = session.get(Blob, sha256)
    if blob is not None and blob.complete and store.holds(sha256):
        return blob
    return None


def stored_sealed(stored: int, plain: int, chunks: int) -> bool:
    """Whether bytes stored for `chunks` chunks holding `plain` bytes of a file are sealed (each
    chunk OVERHEAD longer) or plaintext, by their length alone; SealError if neither."""
    if stored == plain:
        return False
    if stored == plain + chunks * ChunkSeal.OVERHEAD:
        return True
    raise SealError("A stored attachment chunk is neither as long as its plaintext nor as its seal: it was altered.")


def unavailable(exc: OSError) -> errors.Unavailable:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return errors.Unavailable("The service is out of disk space; nothing was lost. Try again later.", retry_after_s=300)
    return errors.Unavailable("The service could not store the file just now; nothing was lost. Try again later.")
