"""Attachment bytes on the service: uploaded in chunks, resumable, checked against their SHA-256.

Each device uploads into its own staging folder (so no other device can spoil its upload); when
the last chunk arrives the whole file is hashed, and only a match becomes the stored blob, which
every device allowed to see a revision naming it may download chunk by chunk. A device may send
or fetch only bytes that a revision of one of its assessments names.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import secrets
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.ids import iso, utcnow
from sync import protocol
from sync.server import db, errors
from sync.server.identity import Caller
from sync.server.models import Blob, BlobRef

NOT_NAMED = "No attachment with that SHA-256 is named by a revision this device may see. Push the revision first."


def chunk_count(size: int, chunk_size: int) -> int:
    return max(1, -(-size // chunk_size))  # an empty file is one empty chunk


def chunk_length(size: int, chunk_size: int, index: int) -> int:
    return chunk_size if index < chunk_count(size, chunk_size) - 1 else size - chunk_size * (chunk_count(size, chunk_size) - 1)


class BlobFolder:
    """The files: objects/<sha[:2]>/<sha>/<index> when whole, staging/<device>/<sha>-<chunk size>/ while arriving."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def object_dir(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def staging_dir(self, device_id: str, sha256: str, chunk_size: int) -> Path:
        return self.root / "staging" / device_id / f"{sha256}-{chunk_size}"

    def staged(self, device_id: str, sha256: str, chunk_size: int) -> set[int]:
        folder = self.staging_dir(device_id, sha256, chunk_size)
        if not folder.is_dir():
            return set()
        return {int(p.name) for p in folder.iterdir() if p.name.isdigit()}

    def write_chunk(self, folder: Path, index: int, data: bytes) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".tmp-{secrets.token_hex(8)}"
            with open(tmp, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, folder / str(index))
            _fsync_dir(folder)
        except OSError as exc:
            raise _unavailable(exc) from exc

    def hash_of(self, folder: Path, count: int) -> tuple[str, int]:
        sha, size = hashlib.sha256(), 0
        for index in range(count):
            with open(folder / str(index), "rb") as chunk:
                while piece := chunk.read(1 << 20):
                    sha.update(piece)
                    size += len(piece)
        return sha.hexdigest(), size

    def promote(self, staging: Path, sha256: str) -> None:
        """Make a checked staging folder the stored blob; another device may have done it first."""
        target = self.object_dir(sha256)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not target.is_dir():
                raise _unavailable(exc) from exc
            shutil.rmtree(staging, ignore_errors=True)

    def read_chunk(self, sha256: str, index: int) -> bytes:
        return (self.object_dir(sha256) / str(index)).read_bytes()


def status(*, session: Session, caller: Caller, folder: BlobFolder, sha256: str, chunk_size: int) -> protocol.BlobStatus:
    size = _named_size(session, caller, sha256)
    blob = _complete_blob(session, folder, sha256) if _proven(session, caller, sha256) else None
    if blob is not None:
        return protocol.BlobStatus(
            sha256=sha256, size=blob.size, chunk_size=blob.chunk_size,
            received=list(range(chunk_count(blob.size, blob.chunk_size))), complete=True,
        )  # fmt: skip
    received = folder.staged(caller.device_id, sha256, chunk_size)
    return protocol.BlobStatus(sha256=sha256, size=size, chunk_size=chunk_size, received=sorted(received), complete=False)


def put_chunk(
    *, session: Session, caller: Caller, folder: BlobFolder, sha256: str, index: int, data: bytes,
    declared_sha256: str | None, chunk_size: int,
) -> protocol.ChunkReceipt:  # fmt: skip
    size = _named_size(session, caller, sha256)
    count = chunk_count(size, chunk_size)
    if _proven(session, caller, sha256) and _complete_blob(session, folder, sha256) is not None:
        return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=True)
    if not 0 <= index < count:
        raise errors.Invalid(f"Chunk {index} is out of range: this file has chunks 0 to {count - 1}.")
    if len(data) != chunk_length(size, chunk_size, index):
        raise errors.Invalid(f"Chunk {index} should be {chunk_length(size, chunk_size, index)} bytes, not {len(data)}.")
    if declared_sha256 is not None and hashlib.sha256(data).hexdigest() != declared_sha256.lower():
        raise errors.Invalid(f"Chunk {index} was damaged on the way (its SHA-256 does not match); send it again.", code=protocol.E_BLOB_MISMATCH)
    staging = folder.staging_dir(caller.device_id, sha256, chunk_size)
    folder.write_chunk(staging, index, data)
    received = folder.staged(caller.device_id, sha256, chunk_size)
    if len(received) < count:
        return protocol.ChunkReceipt(sha256=sha256, index=index, received=len(received), complete=False)
    _finish(session, folder, staging, sha256, size, chunk_size, count)
    _prove(session, caller, sha256)
    return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=True)


def get_chunk(*, session: Session, caller: Caller, folder: BlobFolder, sha256: str, index: int) -> bytes:
    _named_size(session, caller, sha256)
    blob = _complete_blob(session, folder, sha256) if _proven(session, caller, sha256) else None
    if blob is None:
        raise errors.NotFoundError("The service does not hold that whole attachment yet; try again after the next sync.", code=protocol.E_NOT_READY)
    if not 0 <= index < chunk_count(blob.size, blob.chunk_size):
        raise errors.NotFoundError(f"No chunk {index} in that attachment.")
    try:
        return folder.read_chunk(sha256, index)
    except OSError as exc:
        raise _unavailable(exc) from exc


def _finish(session: Session, folder: BlobFolder, staging: Path, sha256: str, size: int, chunk_size: int, count: int) -> None:
    digest, actual = folder.hash_of(staging, count)
    if digest != sha256 or actual != size:
        shutil.rmtree(staging, ignore_errors=True)
        raise errors.Invalid(
            "The uploaded file does not match its SHA-256; its chunks were discarded. Send it again.", code=protocol.E_BLOB_MISMATCH
        )
    folder.promote(staging, sha256)
    db.insert_ignore(
        session.connection(), Blob.__table__,
        [{"sha256": sha256, "size": size, "chunk_size": chunk_size, "complete": True, "completed_at": iso(utcnow())}], ["sha256"],
    )  # fmt: skip


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


def proven_elsewhere(session: Session, caller: Caller, sha256s: set[str]) -> set[str]:
    """Of these SHA-256s, those the caller can already fetch through one of its teams: naming them
    in another of its assessments shares what it holds (push marks such new references proven)."""
    if not sha256s or not caller.assessment_ids:
        return set()
    query = sa.select(BlobRef.sha256).where(
        BlobRef.sha256.in_(sha256s), BlobRef.assessment_id.in_(caller.assessment_ids), BlobRef.proven.is_(True)
    )
    return set(session.scalars(query))


def _complete_blob(session: Session, folder: BlobFolder, sha256: str) -> Blob | None:
    blob = session.get(Blob, sha256)
    if blob is not None and blob.complete and folder.object_dir(sha256).is_dir():
        return blob
    return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unavailable(exc: OSError) -> errors.Unavailable:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return errors.Unavailable("The service is out of disk space; nothing was lost. Try again later.", retry_after_s=300)
    return errors.Unavailable("The service could not store the file just now; nothing was lost. Try again later.")
