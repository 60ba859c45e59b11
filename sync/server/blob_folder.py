"""Attachment bytes in a folder, the embedded default: objects/<sha[:2]>/<sha>/<index> when whole,
staging/<device>/<sha>-<chunk size>/<index> while arriving. Chunks are written aside and linked in
(write-once), folders are renamed whole, and a handle on a staging folder pins what was hashed. A
file stored before sealing began is sealed in place, each chunk's sealed copy renamed over it."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sync.server import errors
from sync.server.blobs import BlobStore, Upload, chunk_count, chunk_length, stored_sealed, unavailable
from sync.server.sealing import ChunkSeal


_SEALING = ".sealing-"  # a chunk's sealed copy being written beside it (`seal_in_place`)


class BlobFolder(BlobStore):
    """The files of every attachment under one root folder."""

    def __init__(self, root: Path, seal: ChunkSeal) -> None:
        super().__init__(seal)
        self.root = root

    def object_dir(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def device_staging(self, device_id: str) -> Path:
        return self.root / "staging" / device_id

    def staging_dir(self, upload: Upload) -> Path:
        return self.device_staging(upload.device_id) / f"{upload.sha256}-{upload.chunk_size}"

    def staged(self, upload: Upload) -> set[int]:
        try:
            return {int(p.name) for p in self.staging_dir(upload).iterdir() if p.name.isdigit()}
        except FileNotFoundError:  # nothing yet, or finished (or swept) meanwhile
            return set()

    def has_chunk(self, upload: Upload, index: int) -> bool:
        return (self.staging_dir(upload) / str(index)).is_file()

    def staged_bytes(self, device_id: str, *, besides: Upload) -> int:
        """What requests have in hand beside the folders (a write, a folder being checked or
        discarded: the dot-names) is not counted: it is gone when they end, or if a crash cut them
        short, at the sweep."""
        total, asking = 0, str(self.staging_dir(besides))
        for entry in _entries(self.device_staging(device_id)):
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") and entry.path != asking:
                total += sum(max(0, _size(chunk) - ChunkSeal.OVERHEAD) for chunk in _entries(Path(entry.path)))  # the device's bytes, not the seals
        return total

    def _stage(self, upload: Upload, index: int, sealed: bytes) -> None:
        """A chunk already there stays as it is (a repeat, or the same chunk sent twice at once):
        so the chunks a finishing upload has hashed cannot change under it before they become the
        blob, though that hashing runs outside any lock."""
        folder = self.staging_dir(upload)
        try:
            _private_dirs(folder)
            # Written beside the folder, not in it, so that a write cut short (a kill) leaves no
            # stray file to travel into the stored blob; the sweep removes it in time.
            tmp = folder.parent / f".tmp-{secrets.token_hex(8)}"
            try:
                _write_synced(tmp, sealed)
                for _attempt in range(3):
                    try:
                        os.link(tmp, folder / str(index))  # unlike a rename, never replaces a chunk there
                    except FileExistsError:
                        return
                    except FileNotFoundError:  # the folder was finished or discarded meanwhile: begin it again
                        _private_dirs(folder)
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
            raise unavailable(exc) from exc

    def sweep(self, *, max_age_s: float, now: float | None = None) -> int:
        """Nothing in the database describes a part-upload, so the files are all there is to remove.
        A device resuming one just then at worst finds a chunk gone (a 503, or a chunk missing
        from the next status) and sends it again."""
        cutoff = (time.time() if now is None else now) - max_age_s
        removed = 0
        for entry, touched in self._staged_entries():
            if touched >= cutoff:
                continue
            if entry.is_dir(follow_symlinks=False):
                self._discard(Path(entry.path))
            else:
                Path(entry.path).unlink(missing_ok=True)
            removed += 1
        return removed

    def part_uploads(self, *, max_age_s: float) -> tuple[int, int]:
        cutoff = time.time() - max_age_s
        touched = [when for _entry, when in self._staged_entries()]
        return len(touched), sum(when < cutoff for when in touched)

    def _staged_entries(self) -> Iterator[tuple[os.DirEntry[str], float]]:
        """Each part-upload (and write cut short) in every device's staging, with when it was last touched."""
        for device in _entries(self.root / "staging"):
            if device.is_dir(follow_symlinks=False):
                for entry in _entries(Path(device.path)):
                    yield entry, _last_touched(entry)

    @contextmanager
    def finishing(self, upload: Upload, count: int) -> Iterator[_FolderFinishing]:
        """A handle on the staging folder, held while it is checked and claimed: it pins the folder
        itself, whatever is renamed meanwhile, and keeps its identity from being reused."""
        staging = self.staging_dir(upload)
        fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
        try:
            yield _FolderFinishing(self, staging, fd, upload.sha256, count)
        finally:
            os.close(fd)

    def discard(self, upload: Upload) -> None:
        self._discard(self.staging_dir(upload))

    def holds(self, sha256: str) -> bool:
        return self.object_dir(sha256).is_dir()

    def _read(self, sha256: str, index: int, *, size: int, chunk_size: int, overhead: int) -> bytes:
        return (self.object_dir(sha256) / str(index)).read_bytes()

    def _read_old(self, sha256: str, index: int, *, size: int, chunk_size: int) -> tuple[bytes, bool]:
        stored = (self.object_dir(sha256) / str(index)).read_bytes()  # one file, whole: the old one or its sealed copy
        return stored, stored_sealed(len(stored), chunk_length(size, chunk_size, index), 1)

    def seal_in_place(self, sha256: str, *, size: int, chunk_size: int) -> int:
        """Each plaintext chunk file is replaced by its sealed copy: written and fsynced beside it,
        then renamed over it (a reader has the one or the other, whole); the folder is fsynced
        before this returns, so the renames last before the file's row says it is sealed."""
        folder = self.object_dir(sha256)
        try:
            for leftover in folder.glob(f"{_SEALING}*"):  # a copy a run cut short left: the chunk beside it is whole
                leftover.unlink(missing_ok=True)
            count = chunk_count(size, chunk_size)
            for index in range(count):  # a chunk altered here (SealError) leaves the file as it is, whole
                stored_sealed((folder / str(index)).stat().st_size, chunk_length(size, chunk_size, index), 1)
            sealed = 0
            for index in range(count):
                path = folder / str(index)
                stored = path.read_bytes()
                if stored_sealed(len(stored), chunk_length(size, chunk_size, index), 1):
                    continue  # sealed by a run before this one
                tmp = folder / f"{_SEALING}{secrets.token_hex(8)}"
                _write_synced(tmp, self.seal.seal(sha256, index, stored))
                os.replace(tmp, path)
                sealed += 1
            _fsync_dir(folder)
        except OSError as exc:
            raise unavailable(exc) from exc
        return sealed

    def check(self) -> None:
        if not (self.root.parent.is_dir() and (self.root.is_dir() or not self.root.exists()) and os.access(self.root if self.root.exists() else self.root.parent, os.W_OK)):
            raise errors.Unavailable("The service cannot write its attachment folder; tell its administrator.")

    def _discard(self, folder: Path) -> None:
        """Remove a staging folder whole. It is renamed away first, so no request can find it
        half-emptied and, refilled by its device, promote it."""
        doomed = folder.with_name(f".discard-{secrets.token_hex(8)}")
        try:
            os.rename(folder, doomed)
        except OSError:
            return  # gone already
        shutil.rmtree(doomed, ignore_errors=True)


class _FolderFinishing:
    """One staging folder, pinned by its handle, being hashed, claimed and promoted."""

    def __init__(self, folder: BlobFolder, staging: Path, fd: int, sha256: str, count: int) -> None:
        self.folder, self.staging, self.fd, self.sha256, self.count = folder, staging, fd, sha256, count
        self.claimed: Path | None = None

    def hash(self) -> tuple[str, int]:
        sha, size = hashlib.sha256(), 0
        for index in range(self.count):
            with open(os.open(str(index), os.O_RDONLY, dir_fd=self.fd), "rb") as chunk:
                piece = self.folder.seal.open(self.sha256, index, chunk.read())  # a chunk is at most a few MiB
            sha.update(piece)
            size += len(piece)
        return sha.hexdigest(), size

    def claim(self) -> bool:
        """Move the checked folder out of its device's reach, provided the folder under that name
        is still the one hashed (not one discarded and begun again meanwhile)."""
        claimed = self.staging.with_name(f".claim-{secrets.token_hex(8)}")
        try:
            os.rename(self.staging, claimed)
        except FileNotFoundError:
            return False  # another request of this device claimed or discarded it first
        except OSError as exc:
            raise unavailable(exc) from exc
        hashed, moved = os.fstat(self.fd), os.stat(claimed)
        if (hashed.st_dev, hashed.st_ino) != (moved.st_dev, moved.st_ino):
            self.folder._discard(claimed)
            return False
        try:
            os.fsync(self.fd)  # every chunk's name in it is durable, whoever linked it last
        except OSError as exc:
            self.folder._discard(claimed)
            raise unavailable(exc) from exc
        self.claimed = claimed
        return True

    def promote(self) -> None:
        """Make the claimed folder the stored blob; another request (this device's, or another
        device's) may have done it first, in which case this copy is not needed."""
        assert self.claimed is not None
        target = self.folder.object_dir(self.sha256)
        try:
            _private_dirs(target.parent)
            os.rename(self.claimed, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            if target.is_dir():
                self.folder._discard(self.claimed)
                return
            with suppress(OSError):  # back where the device's next try finds every chunk
                os.rename(self.claimed, self.staging)
            self.folder._discard(self.claimed)
            raise unavailable(exc) from exc


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


def _private_dirs(path: Path) -> None:
    """The folder and any missing above it, each 0700 (mkdir's parents=True gives those the umask's mode)."""
    missing = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        with suppress(FileExistsError):  # another request made it meanwhile
            folder.mkdir(mode=0o700)


def _write_synced(path: Path, data: bytes) -> None:
    """A new file (never one there), this user's alone, on disk before this returns."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


