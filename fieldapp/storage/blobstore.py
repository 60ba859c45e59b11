"""The attachment store: files of any size, encrypted in AES-256-GCM chunks under opaque names.

Each blob has its own key (HKDF of the store key and the blob id); each chunk's associated data
binds the blob id, the chunk's index and whether it is the last, so a swapped, reordered, moved,
truncated or extended file is detected and never read as evidence. Nothing here touches the database.
Random-access reads and resumable downloads (for sync) are in `fieldapp.storage.blobio`, opened from here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldapp.errors import Cancelled, IntegrityError, StorageError, VaultLocked
from fieldapp.storage.blobformat import (
    BLOB_ID_SIZE,
    CHUNK_SIZE,
    HEADER,
    KEY_INFO,
    MAGIC,
    MAX_CHUNK_SIZE,
    NONCE_SIZE,
    TAG_SIZE,
    VERSION,
    BlobInfo,
    Cancel,
    aad,
    damaged,
    fill,
    header_fields,
    read_header,
    storage_error,
)
from fieldapp.storage.blobio import BlobReader, PartialBlob
from fieldapp.storage.fsutil import fsync_dir

TEMP_PREFIX = ".tmp-"
PARTIAL_PREFIX = ".part-"
PARTIAL_NAME_INFO = b"fieldapp-att-partial-name-v1\n"
_NAME = re.compile(r"[0-9a-f]{32}")
_PARTIAL_NAME = re.compile(r"\.part-[0-9a-f]{32}")  # never a blob name, never a temp file
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

Progress = Callable[[int, "int | None"], None]



@dataclass(frozen=True)
class PartialFile:
    """A partly downloaded attachment on disk; which content it holds is not recorded in the clear."""

    name: str
    disk_size: int  # bytes of ciphertext on disk
    modified: float  # last write, in seconds since the epoch


class BlobStore:
    """Encrypted, chunked, streaming storage for attachment bytes in one folder."""

    def __init__(self, root: Path, master_key: bytes, *, chunk_size: int = CHUNK_SIZE) -> None:
        if len(master_key) != 32:
            raise ValueError("The attachment key must be 32 bytes.")
        if not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE}.")
        self.root = Path(root)
        self.chunk_size = chunk_size
        self._key: bytearray | None = bytearray(master_key)
        # Names of partials open for writing in this process: two writers on one file would interleave chunks.
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()

    def close(self) -> None:
        """Forget the key; every later call raises VaultLocked."""
        if self._key is not None:
            self._key[:] = bytes(len(self._key))  # best effort: Python may hold copies
            self._key = None

    # -- writing -------------------------------------------------------------------------------

    def write(
        self, src: BinaryIO, *, blob_id: bytes, progress: Progress | None = None, cancel: Cancel | None = None, total: int | None = None
    ) -> BlobInfo:
        """Stream src in, encrypting as it goes; the blob appears whole under its name, or not at all."""
        blob_id = bytes(blob_id)
        aead = self._aead(blob_id)
        tmp = self.root / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        name = secrets.token_hex(16)
        try:
            self.root.mkdir(exist_ok=True)
            with _create(tmp) as out:
                out.write(HEADER.pack(MAGIC, VERSION, blob_id, self.chunk_size))
                size, digest, chunks = self._encrypt_stream(src, out, aead, blob_id, progress, cancel, total)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.root / name)
            fsync_dir(self.root)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            (self.root / name).unlink(missing_ok=True)  # if only the folder's fsync failed
            if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                raise storage_error(exc) from exc
            raise
        return BlobInfo(name=name, size=size, sha256=digest, chunks=chunks)

    def _encrypt_stream(
        self, src: BinaryIO, out: BinaryIO, aead: AESGCM, blob_id: bytes, progress: Progress | None, cancel: Cancel | None, total: int | None
    ) -> tuple[int, str, int]:
        # Two buffers: we read one chunk ahead, because only then do we know which chunk is last.
        cur, ahead = memoryview(bytearray(self.chunk_size)), memoryview(bytearray(self.chunk_size))
        sha = hashlib.sha256()
        n = _fill_source(src, cur)
        done = index = 0
        # SHA-256 is the slowest step; hashlib drops the GIL, so hash on a second core meanwhile.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-sha") as hasher:
            hashing: Future[None] | None = None
            while True:
                if cancel is not None and cancel():
                    raise Cancelled("The attachment was not added: you cancelled it, and nothing was kept.")
                if self._key is None:  # locked mid-stream: stop rather than keep using the key
                    raise VaultLocked()
                if hashing is not None:
                    hashing.result()  # `ahead` held the previous chunk; it must be hashed before reuse
                n_ahead = _fill_source(src, ahead) if n == self.chunk_size else 0
                last = n_ahead == 0
                data = cur[:n]
                hashing = hasher.submit(sha.update, data)
                nonce = os.urandom(NONCE_SIZE)
                out.write(nonce)
                out.write(aead.encrypt(nonce, data, aad(blob_id, index, last)))
                done += n
                if progress is not None:
                    progress(done, total)
                if last:
                    hashing.result()
                    return done, sha.hexdigest(), index + 1
                cur, ahead, n = ahead, cur, n_ahead
                index += 1

    # -- reading -------------------------------------------------------------------------------

    def blob_id_of(self, name: str) -> bytes:
        """The blob id a stored file's header names (unauthenticated until its chunks decrypt under it)."""
        with _open_blob(self._path(name), name) as fh:
            return bytes(header_fields(fh, name)[2])

    def read_chunks(self, name: str, *, blob_id: bytes) -> Generator[bytes, None, None]:
        """Yield the blob's plaintext chunk by chunk, each verified before it is yielded."""
        blob_id = bytes(blob_id)
        aead = self._aead(blob_id)  # checked now, not on the first next()
        path = self._path(name)
        return self._while_open(_decrypt_path(path, name, aead, blob_id))

    def _while_open(self, chunks: Generator[bytes, None, None]) -> Generator[bytes, None, None]:
        """Stop decrypting the moment the vault locks: the reader must not outlive the key."""
        with closing(chunks):
            for plain in chunks:
                if self._key is None:
                    raise VaultLocked()
                yield plain

    def read_into(
        self,
        name: str,
        dest: BinaryIO,
        *,
        blob_id: bytes,
        expected_sha256: str | None = None,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> int:
        """Decrypt into dest, checking every chunk and (if given) the SHA-256; return the size."""
        try:
            return self._drain(name, blob_id, dest.write, expected_sha256, progress, cancel)
        except OSError as exc:  # dest refused the bytes: an export to a full USB stick, say
            if isinstance(exc, StorageError):
                raise
            raise storage_error(exc, doing="write out the attachment") from exc

    def read_bytes(self, name: str, *, blob_id: bytes, expected_sha256: str | None = None) -> bytes:
        """The whole plaintext in memory: for small files and previews; the caller judges the size."""
        parts: list[bytes] = []
        self._drain(name, blob_id, parts.append, expected_sha256)
        return b"".join(parts)

    def verify(self, name: str, *, blob_id: bytes, expected_sha256: str) -> None:
        """Raise IntegrityError unless every chunk decrypts and the plaintext hashes to expected_sha256."""
        self._drain(name, blob_id, lambda plain: None, expected_sha256)

    def open_reader(self, name: str, *, blob_id: bytes) -> BlobReader:
        """Random access to a blob's plaintext, for sending it in ranges (see BlobReader); close it after."""

        blob_id = bytes(blob_id)
        aead = self._aead(blob_id)
        fh = _open_blob(self._path(name), name)
        try:
            return BlobReader(fh, name, blob_id, aead, self._require_key)
        except BaseException:
            fh.close()
            raise

    def _drain(
        self,
        name: str,
        blob_id: bytes,
        sink: Callable[[bytes], object],
        expected_sha256: str | None,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> int:
        sha, done = hashlib.sha256(), 0
        chunks = self.read_chunks(name, blob_id=blob_id)
        total = self._plain_size(name) if progress is not None else None
        try:
            for plain in chunks:
                if cancel is not None and cancel():
                    raise Cancelled("Stopped reading the attachment: you cancelled it.")
                sha.update(plain)
                sink(plain)
                done += len(plain)
                if progress is not None:
                    progress(done, total)
        finally:
            chunks.close()  # release the file now, also when the sink or cancel stopped us
        _check_digest(name, sha.hexdigest(), expected_sha256)
        return done

    # -- downloads -----------------------------------------------------------------------------

    def begin_partial(self, content_sha256: str, *, blob_id: bytes, size: int, cancel: Cancel | None = None) -> PartialBlob:
        """Create, or reopen to resume, the partial file of a download of this content (see PartialBlob).

        Reopening decrypts what the file holds, to drop a torn tail and to rebuild the running SHA-256;
        cancel is asked between chunks. A partial begun with another blob id starts over; another
        size names another partial file.
        """

        sha = content_sha256.lower()
        if not _SHA256_HEX.fullmatch(sha):
            raise ValueError("content_sha256 must be 64 hexadecimal digits.")
        if not 0 <= size < 1 << 63:
            raise ValueError("size must be between 0 and 2**63 - 1.")
        blob_id = bytes(blob_id)
        aead = self._aead(blob_id)
        name = self._partial_name(sha, size)
        with self._busy_lock:
            if name in self._busy:
                raise ValueError("This content is already being downloaded into the store; finish or close that download first.")
            self._busy.add(name)
        try:
            self.root.mkdir(exist_ok=True)
            return PartialBlob(
                self.root / name,
                sha,
                blob_id=blob_id,
                size=size,
                chunk_size=self.chunk_size,
                aead=aead,
                require_key=self._require_key,
                cancel=cancel,
                on_close=lambda: self._busy.discard(name),
            )
        except BaseException as exc:
            self._busy.discard(name)
            if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                raise storage_error(exc) from exc
            raise

    def partials(self) -> list[PartialFile]:
        """The partial downloads in the folder, oldest first."""
        self._require_key()
        if not self.root.is_dir():
            return []
        found = []
        for entry in os.scandir(self.root):
            if _PARTIAL_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # finished or removed meanwhile
                    continue
                found.append(PartialFile(name=entry.name, disk_size=st.st_size, modified=st.st_mtime))
        return sorted(found, key=lambda partial: partial.modified)

    def remove_partials(self, *, older_than_s: float = 0.0) -> int:
        """Delete partial downloads not written to for older_than_s seconds, except open ones; return how many."""
        cutoff = time.time() - older_than_s
        removed = 0
        for partial in self.partials():
            with self._busy_lock:  # so a download that begins meanwhile keeps its file
                if partial.modified <= cutoff and partial.name not in self._busy:
                    (self.root / partial.name).unlink(missing_ok=True)
                    removed += 1
        return removed

    def _partial_name(self, sha: str, size: int) -> str:
        # Keyed, so a name says nothing about the content to someone holding the files. The size is
        # bound too: a download begun with another size gets its own file and never touches this one.
        message = PARTIAL_NAME_INFO + sha.encode() + size.to_bytes(8, "big")
        return PARTIAL_PREFIX + hmac.new(bytes(self._require_key()), message, hashlib.sha256).hexdigest()[:32]

    # -- housekeeping --------------------------------------------------------------------------

    def remove(self, name: str) -> None:
        """Delete a stored blob; a missing one is not an error."""
        self._require_key()
        self._path(name).unlink(missing_ok=True)

    def names(self) -> set[str]:
        """Names of the stored blobs (never temp files or anything else in the folder)."""
        self._require_key()
        if not self.root.is_dir():
            return set()
        return {entry.name for entry in os.scandir(self.root) if _NAME.fullmatch(entry.name) and entry.is_file()}

    def remove_temp_files(self) -> int:
        """Delete leftovers of writes cut short by a crash (never partial downloads); return how many there were."""
        self._require_key()
        if not self.root.is_dir():
            return 0
        removed = 0
        for entry in os.scandir(self.root):
            if entry.name.startswith(TEMP_PREFIX) and entry.is_file():
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
        return removed

    # -- helpers -------------------------------------------------------------------------------

    def _require_key(self) -> bytearray:
        if self._key is None:
            raise VaultLocked()
        return self._key

    def _aead(self, blob_id: bytes) -> AESGCM:
        if len(blob_id) != BLOB_ID_SIZE:
            raise ValueError("blob_id must be 16 bytes.")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO + blob_id)
        return AESGCM(hkdf.derive(bytes(self._require_key())))

    def _plain_size(self, name: str) -> int | None:
        """The plaintext size the file's length implies: only for progress, never trusted as data."""
        try:
            body = self._path(name).stat().st_size - HEADER.size
        except OSError:
            return None
        overhead = NONCE_SIZE + TAG_SIZE
        return max(0, body - -(-body // (self.chunk_size + overhead)) * overhead)

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):  # names come from the database; never let one walk out of root
            raise IntegrityError(f"{name!r} is not an attachment file name.", affected=(name,))
        return self.root / name


def _create(path: Path) -> BinaryIO:
    # O_EXCL: never write through a file or link someone planted under our temp name.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(fd, "wb")


def _fill_source(src: BinaryIO, buf: memoryview) -> int:
    try:
        return fill(src, buf)
    except OSError as exc:  # the file being attached, not the vault's disk
        raise storage_error(exc, doing="read the file being attached") from exc


def _open_blob(path: Path, name: str) -> BinaryIO:
    try:
        return open(path, "rb", buffering=0)
    except FileNotFoundError:
        raise damaged(name, "is missing") from None
    except OSError as exc:
        raise damaged(name, f"could not be opened ({exc.strerror or exc})") from exc


def _decrypt_path(path: Path, name: str, aead: AESGCM, blob_id: bytes) -> Generator[bytes, None, None]:
    with _open_blob(path, name) as fh:
        try:
            yield from _decrypt_file(fh, name, aead, blob_id)
        except OSError as exc:  # a failing disk: unreadable evidence, never data
            raise damaged(name, f"could not be read ({exc.strerror or exc})") from exc


def _decrypt_file(fh: BinaryIO, name: str, aead: AESGCM, blob_id: bytes) -> Generator[bytes, None, None]:
    chunk_size = read_header(fh, name, blob_id)
    record = NONCE_SIZE + chunk_size + TAG_SIZE
    cur, ahead = memoryview(bytearray(record)), memoryview(bytearray(record))
    n, index = fill(fh, cur), 0
    while True:
        if n < NONCE_SIZE + TAG_SIZE:
            raise damaged(name, f"is cut off at chunk {index}")
        # A short record can only come from end of file; a full one is last only if nothing follows.
        n_ahead = fill(fh, ahead) if n == record else 0
        last = n_ahead == 0
        try:
            plain = aead.decrypt(cur[:NONCE_SIZE], cur[NONCE_SIZE:n], aad(blob_id, index, last))
        except InvalidTag:
            raise damaged(name, f"failed its check at chunk {index}") from None
        yield plain
        if last:
            return
        cur, ahead, n = ahead, cur, n_ahead
        index += 1


def _check_digest(name: str, actual: str, expected: str | None) -> None:
    if expected is not None and not hmac.compare_digest(actual, expected.lower()):
        raise damaged(name, "does not match its recorded SHA-256")


