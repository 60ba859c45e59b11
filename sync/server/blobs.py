"""Attachment bytes on the service: uploaded in chunks, resumable, checked against their SHA-256.

Each device uploads into its own staging folder (so no other device can spoil its upload), within
a quota of bytes part-sent; when the last chunk arrives the whole file is hashed, and only a match
becomes the stored blob, which every device allowed to see a revision naming it may download chunk
by chunk. Part-uploads left untouched long enough are swept away. A device may send or fetch only
bytes that a revision of one of its assessments names.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.ids import iso, utcnow
from fieldapp.sizes import size_text
from sync import protocol
from sync.server import db, errors
from sync.server.identity import Caller
from sync.server.models import Blob, BlobRef

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

Transaction = Callable[[], AbstractContextManager[Session]]


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

    def device_staging(self, device_id: str) -> Path:
        return self.root / "staging" / device_id

    def staging_dir(self, device_id: str, sha256: str, chunk_size: int) -> Path:
        return self.device_staging(device_id) / f"{sha256}-{chunk_size}"

    def staged(self, device_id: str, sha256: str, chunk_size: int) -> set[int]:
        folder = self.staging_dir(device_id, sha256, chunk_size)
        try:
            return {int(p.name) for p in folder.iterdir() if p.name.isdigit()}
        except FileNotFoundError:  # nothing yet, or finished (or swept) meanwhile
            return set()

    def staged_bytes(self, device_id: str, *, besides: Path) -> int:
        """Bytes of chunks this device holds part-sent, leaving out the folder `besides` (the upload
        asking). What requests have in hand beside the folders (a write, a folder being checked or
        discarded: the dot-names) is not counted: it is gone when they end, or if a crash cut them
        short, at the sweep."""
        total = 0
        for entry in _entries(self.device_staging(device_id)):
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") and entry.path != str(besides):
                total += sum(_size(chunk) for chunk in _entries(Path(entry.path)))
        return total

    def add_chunk(self, folder: Path, index: int, data: bytes) -> None:
        """Stage one chunk, once. A chunk already there stays as it is (a repeat, or the same chunk
        sent twice at once): so the chunks a finishing upload has hashed cannot change under it
        before they become the blob, though that hashing runs outside any lock."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Written beside the folder, not in it, so that a write cut short (a kill) leaves no
            # stray file to travel into the stored blob; the sweep removes it in time.
            tmp = folder.parent / f".tmp-{secrets.token_hex(8)}"
            try:
                with open(tmp, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                for _attempt in range(3):
                    try:
                        os.link(tmp, folder / str(index))  # unlike a rename, never replaces a chunk there
                    except FileExistsError:
                        return
                    except FileNotFoundError:  # the folder was finished or discarded meanwhile: begin it again
                        folder.mkdir(exist_ok=True)
                        continue
                    try:
                        _fsync_dir(folder)
                    except FileNotFoundError:
                        pass  # claimed whole (its claimer syncs it) or discarded just after the link: the caller's count tells
                    return
                raise FileNotFoundError(errno.ENOENT, "staging folder keeps vanishing", str(folder))
            finally:
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise _unavailable(exc) from exc

    def sweep(self, *, max_age_s: float, now: float | None = None) -> int:
        """Remove part-uploads, and writes cut short, untouched for max_age_s; returns how many went.

        Nothing in the database describes a part-upload, so the files are all there is to remove.
        A device resuming one just then at worst finds a chunk gone (a 503, or a chunk missing
        from the next status) and sends it again."""
        cutoff = (time.time() if now is None else now) - max_age_s
        removed = 0
        for entry, touched in self._part_uploads():
            if touched >= cutoff:
                continue
            if entry.is_dir(follow_symlinks=False):
                self.discard(Path(entry.path))
            else:
                Path(entry.path).unlink(missing_ok=True)
            removed += 1
        return removed

    def part_uploads(self, *, max_age_s: float) -> tuple[int, int]:
        """How many part-uploads (and writes cut short) are staged, and how many of them the next
        sweep would remove: the queue that /metrics shows."""
        cutoff = time.time() - max_age_s
        touched = [when for _entry, when in self._part_uploads()]
        return len(touched), sum(when < cutoff for when in touched)

    def _part_uploads(self) -> Iterator[tuple[os.DirEntry[str], float]]:
        for device in _entries(self.root / "staging"):
            if device.is_dir(follow_symlinks=False):
                for entry in _entries(Path(device.path)):
                    yield entry, _last_touched(entry)

    def check(self) -> None:
        """Raise OSError unless a file can be written in the folder and removed (for /readyz)."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".check-{secrets.token_hex(8)}"
        try:
            probe.write_bytes(b"ok")
        finally:
            probe.unlink(missing_ok=True)

    @contextmanager
    def opened(self, folder: Path) -> Iterator[int]:
        """A handle on a staging folder, held while it is checked and claimed: it pins the folder
        itself, whatever is renamed meanwhile, and keeps its identity from being reused."""
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            yield fd
        finally:
            os.close(fd)

    def hash_of(self, folder_fd: int, count: int) -> tuple[str, int]:
        sha, size = hashlib.sha256(), 0
        for index in range(count):
            with open(os.open(str(index), os.O_RDONLY, dir_fd=folder_fd), "rb") as chunk:
                while piece := chunk.read(1 << 20):
                    sha.update(piece)
                    size += len(piece)
        return sha.hexdigest(), size

    def claim(self, staging: Path, folder_fd: int) -> Path | None:
        """Move a checked staging folder out of its device's reach, provided the folder under that
        name is still the one hashed (not one discarded and begun again meanwhile); else None."""
        claimed = staging.with_name(f".claim-{secrets.token_hex(8)}")
        try:
            os.rename(staging, claimed)
        except FileNotFoundError:
            return None  # another request of this device claimed or discarded it first
        except OSError as exc:
            raise _unavailable(exc) from exc
        hashed, moved = os.fstat(folder_fd), os.stat(claimed)
        if (hashed.st_dev, hashed.st_ino) != (moved.st_dev, moved.st_ino):
            self.discard(claimed)
            return None
        try:
            os.fsync(folder_fd)  # every chunk's name in it is durable, whoever linked it last
        except OSError as exc:
            self.discard(claimed)
            raise _unavailable(exc) from exc
        return claimed

    def promote(self, claimed: Path, staging: Path, sha256: str) -> None:
        """Make a claimed folder the stored blob; another request (this device's, or another
        device's) may have done it first, in which case this copy is not needed."""
        target = self.object_dir(sha256)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(claimed, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            if target.is_dir():
                self.discard(claimed)
                return
            with suppress(OSError):  # back where the device's next try finds every chunk
                os.rename(claimed, staging)
            self.discard(claimed)
            raise _unavailable(exc) from exc

    def discard(self, folder: Path) -> None:
        """Remove a staging folder whole. It is renamed away first, so no request can find it
        half-emptied and, refilled by its device, promote it."""
        doomed = folder.with_name(f".discard-{secrets.token_hex(8)}")
        try:
            os.rename(folder, doomed)
        except OSError:
            return  # gone already
        shutil.rmtree(doomed, ignore_errors=True)

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
    *, reading: Transaction, writing: Transaction, caller: Caller, folder: BlobFolder, sha256: str, index: int, data: bytes,
    declared_sha256: str | None, chunk_size: int, staging_quota: int,
) -> protocol.ChunkReceipt:  # fmt: skip
    """Stage one chunk; the last one makes the whole file checked and stored.

    The bytes are written, fsynced and hashed outside `writing` (on SQLite a turn every writer of
    the process waits for): only recording a finished blob takes a turn. Chunks are write-once,
    staging is per device, and only the very folder hashed becomes the blob (see _finish): that is
    what makes doing it without a lock safe."""
    with reading() as session:
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
    if not (staging / str(index)).is_file():  # a chunk sent again adds nothing, and always resumes
        _within_quota(folder, caller.device_id, staging, size, staging_quota)
        folder.add_chunk(staging, index, data)
    received = folder.staged(caller.device_id, sha256, chunk_size)
    if not received >= set(range(count)):
        if folder.object_dir(sha256).is_dir() and _held(reading, caller, folder, sha256):
            # This request raced another of this device's that finished the file meanwhile: the
            # chunk it just staged began a new part-upload nobody needs.
            folder.discard(staging)
            return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=True)
        return protocol.ChunkReceipt(sha256=sha256, index=index, received=len(received), complete=False)
    return _finish(reading, writing, caller, folder, staging, sha256, index, size, chunk_size)


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


def _held(reading: Transaction, caller: Caller, folder: BlobFolder, sha256: str) -> bool:
    with reading() as session:
        return _proven(session, caller, sha256) and _complete_blob(session, folder, sha256) is not None


def _within_quota(folder: BlobFolder, device_id: str, staging: Path, size: int, quota: int) -> None:
    """Refuse a chunk if this file, whole, with the device's other part-uploads would pass the quota.

    Counting this file at its full size refuses it at its first chunk rather than half-way; not
    counting what it has staged already lets an upload that started within the quota resume. Two
    chunks of one device racing each other may both pass, so the true bound is the quota plus one
    chunk per request of that device in flight, which its request rate keeps small."""
    if size > quota:
        raise errors.TooLarge(FILE_OVER_QUOTA.format(size=size_text(size), limit=size_text(quota)), limit=quota)
    staged = folder.staged_bytes(device_id, besides=staging)
    if staged + size > quota:
        raise errors.TooLarge(QUOTA_FULL.format(staged=size_text(staged), size=size_text(size), limit=size_text(quota)), limit=quota)


def _finish(
    reading: Transaction, writing: Transaction, caller: Caller, folder: BlobFolder, staging: Path, sha256: str, index: int,
    size: int, chunk_size: int,
) -> protocol.ChunkReceipt:  # fmt: skip
    """Check every staged chunk against the file's SHA-256 and make a match the stored blob.

    Other requests of the same device may be finishing, or discarding, the same folder at the
    same time; one handle on it, held throughout, makes sure what becomes the blob is exactly
    what was hashed. Whether another request finished it is the database's word, never the
    files': a mismatch leaves the chunks gone just the same."""
    count = chunk_count(size, chunk_size)
    done = protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=True)
    try:
        with folder.opened(staging) as folder_fd:
            digest, actual = folder.hash_of(folder_fd, count)
            if digest != sha256 or actual != size:
                folder.discard(staging)
                raise errors.Invalid(
                    "The uploaded file does not match its SHA-256; its chunks were discarded. Send it again.", code=protocol.E_BLOB_MISMATCH
                )
            # Recorded before the folder moves: a crash in between leaves every chunk staged, and
            # the next sync's last chunk finishes it (a row alone serves nobody: see _complete_blob).
            with writing() as session:
                _record_whole(session, caller, sha256, size, chunk_size)
            claimed = folder.claim(staging, folder_fd)
    except OSError:  # the folder, or a chunk, went while it was being read
        claimed = None
    if claimed is None:
        return _settled_elsewhere(reading, caller, folder, sha256, index, count)
    folder.promote(claimed, staging, sha256)
    return done


def _settled_elsewhere(reading: Transaction, caller: Caller, folder: BlobFolder, sha256: str, index: int, count: int) -> protocol.ChunkReceipt:
    """The answer when another request of this device took the chunks first: if it found them
    right it recorded so before moving them, and the file is whole, or is about to be."""
    with reading() as session:
        if _proven(session, caller, sha256):
            complete = _complete_blob(session, folder, sha256) is not None
            return protocol.ChunkReceipt(sha256=sha256, index=index, received=count, complete=complete)
    raise errors.Unavailable("This attachment's chunks changed while they were being checked; send the last one again.", retry_after_s=1)


def _record_whole(session: Session, caller: Caller, sha256: str, size: int, chunk_size: int) -> None:
    db.insert_ignore(
        session.connection(), Blob.__table__,
        [{"sha256": sha256, "size": size, "chunk_size": chunk_size, "complete": True, "completed_at": iso(utcnow())}], ["sha256"],
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


def _complete_blob(session: Session, folder: BlobFolder, sha256: str) -> Blob | None:
    blob = session.get(Blob, sha256)
    if blob is not None and blob.complete and folder.object_dir(sha256).is_dir():
        return blob
    return None


def _entries(path: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as found:
            return list(found)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_size
    except FileNotFoundError:  # finished or swept while counted
        return 0


def _last_touched(entry: os.DirEntry[str]) -> float:
    """When a staged file, or a staging folder or any chunk in it, last changed."""
    try:
        latest = entry.stat(follow_symlinks=False).st_mtime
        if entry.is_dir(follow_symlinks=False):
            latest = max([latest, *(child.stat(follow_symlinks=False).st_mtime for child in _entries(Path(entry.path)))])
        return latest
    except FileNotFoundError:
        return time.time()  # it changed just now: not stale


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
