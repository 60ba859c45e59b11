"""Random-access reads and resumable downloads of attachment files, for sync's transfer chunks.

Both work on `fieldapp.storage.blobstore`'s file format and are opened from there (`BlobStore.open_reader`,
`BlobStore.begin_partial`): a reader decrypts only the chunks a range covers; a partial file is a
download made durable one whole chunk at a time, which becomes a stored blob by a rename.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fieldapp.errors import Cancelled, IntegrityError, StorageError, VaultLocked
from fieldapp.storage.blobformat import (
    HEADER,
    MAGIC,
    NONCE_SIZE,
    TAG_SIZE,
    VERSION,
    BlobInfo,
    Cancel,
    aad,
    damaged,
    fill,
    read_header,
    storage_error,
)
from fieldapp.storage.fsutil import fsync_dir

RequireKey = Callable[[], object]  # raises VaultLocked once the store is closed
OVERHEAD = NONCE_SIZE + TAG_SIZE


class BlobReader:
    """A stored blob's plaintext by range: each read decrypts and checks only the chunks it covers.

    Opening checks the final chunk, which must carry the last-chunk flag at the index the file's
    length implies; so a file cut short or extended fails at once, and `size` can be trusted without
    a pass over the file. One thread at a time: reads seek a shared file handle.
    """

    def __init__(self, fh: BinaryIO, name: str, blob_id: bytes, aead: AESGCM, require_key: RequireKey) -> None:
        self.name = name
        self._fh: BinaryIO | None = fh
        self._blob_id, self._aead, self._require_key = blob_id, aead, require_key
        try:
            self._chunk_size = read_header(fh, name, blob_id)
            body = os.fstat(fh.fileno()).st_size - HEADER.size
        except OSError as exc:
            raise damaged(name, f"could not be read ({exc.strerror or exc})") from exc
        self._record = OVERHEAD + self._chunk_size
        self._chunks = max(1, -(-body // self._record))
        self._tail = body - (self._chunks - 1) * self._record  # the final record's length
        if self._tail < OVERHEAD:
            raise damaged(name, f"is cut off at chunk {self._chunks - 1}")
        self.size = body - self._chunks * OVERHEAD
        self._buf = memoryview(bytearray(self._record))
        self._cached: tuple[int, bytes] | None = None  # one chunk, so ranges that share a chunk decrypt it once
        self._chunk(self._chunks - 1)

    @property
    def closed(self) -> bool:
        return self._fh is None

    def read_at(self, offset: int, length: int) -> bytes:
        """The plaintext bytes [offset, offset + length); ValueError if that is not inside the blob."""
        if self._fh is None:
            raise ValueError(f"The reader of attachment {self.name} is closed.")
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ValueError(f"Cannot read {length} bytes at offset {offset}: attachment {self.name} holds {self.size} bytes.")
        try:
            self._require_key()  # also for a cached chunk: nothing is handed out once the vault locks
            parts = []
            pos, end = offset, offset + length
            while pos < end:
                index, start = divmod(pos, self._chunk_size)
                plain = self._chunk(index)
                take = min(len(plain) - start, end - pos)
                parts.append(memoryview(plain)[start : start + take])
                pos += take
            return b"".join(parts)
        except VaultLocked:
            self.close()  # the reader must not outlive the key
            raise

    def close(self) -> None:
        """Close the file and drop the key and any decrypted chunk; later reads raise ValueError."""
        if self._fh is not None:
            self._fh.close()
        self._fh = None
        self._cached = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        assert self._fh is not None
        self._require_key()  # locked mid-read: stop before using the key again
        last = index == self._chunks - 1
        want = self._tail if last else self._record
        record = self._buf[:want]
        try:
            self._fh.seek(HEADER.size + index * self._record)
            got = fill(self._fh, record)
        except OSError as exc:  # a failing disk: unreadable evidence, never data
            raise damaged(self.name, f"could not be read ({exc.strerror or exc})") from exc
        if got < want:  # the file shrank after it was opened
            raise damaged(self.name, f"is cut off at chunk {index}")
        try:
            plain = self._aead.decrypt(record[:NONCE_SIZE], record[NONCE_SIZE:], aad(self._blob_id, index, last))
        except InvalidTag:
            raise damaged(self.name, f"failed its check at chunk {index}") from None
        self._cached = (index, plain)
        return plain


class PartialBlob:
    """An attachment being downloaded into the store, resumable after a crash.

    The file is a blob in the making: the finished header, then chunks encrypted one whole chunk
    at a time as the bytes arrive (the last-chunk flag is known because `size` is). `received`
    counts the bytes of whole chunks fsynced to disk: a download interrupted in any way continues
    from there after `BlobStore.begin_partial` reopens the file. Bytes of a chunk not yet full are
    held in memory only, and are asked for again after a crash. After any error the object closes
    itself; begin the partial again to continue from what is durable.
    """

    def __init__(
        self,
        path: Path,
        content_sha256: str,
        *,
        blob_id: bytes,
        size: int,
        chunk_size: int,
        aead: AESGCM,
        require_key: RequireKey,
        cancel: Cancel | None,
        on_close: Callable[[], None],
    ) -> None:
        self.name, self.content_sha256, self.blob_id, self.size = path.name, content_sha256, blob_id, size
        self._path, self._chunk_size, self._aead, self._require_key = path, chunk_size, aead, require_key
        self._chunks = max(1, -(-size // chunk_size))  # an empty content is one empty chunk
        self._sha = hashlib.sha256()
        self._held = 0  # chunks fsynced to disk
        self._next = 0  # the next chunk to write; runs ahead of _held only inside append()
        self._pending = bytearray()  # plaintext of the next chunk, until it is whole
        self._gone = False  # finished or discarded: the path no longer holds our file
        self._fh: BinaryIO | None = None
        self._release = weakref.finalize(self, on_close)  # also when dropped unclosed, as a crash would
        try:
            self._fh = self._open()
            self._recover(cancel)
        except BaseException as exc:
            self.close()
            if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                raise storage_error(exc) from exc
            raise

    @property
    def received(self) -> int:
        """Plaintext bytes durably held: after a reopen, continue the download from this offset."""
        return min(self._held * self._chunk_size, self.size)

    @property
    def appended(self) -> int:
        """Bytes taken so far, with those of a chunk still filling in memory: where the next append
        continues. Loop on this, not on `received`, when a transfer chunk is not whole store chunks."""
        return min(self._next * self._chunk_size, self.size) + len(self._pending)

    @property
    def closed(self) -> bool:
        return self._fh is None

    def append(self, data: bytes | bytearray | memoryview) -> None:
        """Take the next bytes, in pieces of any size; the whole chunks they fill are on disk when it returns."""
        fh = self._require_open()
        view = memoryview(data).cast("B")
        if self.appended + len(view) > self.size:
            raise IntegrityError(
                f"The download sent more than the attachment's {self.size} bytes; the extra bytes were not stored.",
                affected=(self.name,),
            )
        try:
            self._require_key()  # also when the bytes only fill the pending chunk: nothing works once locked
            if self._write_chunks(fh, view):
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException as exc:
            self.close()  # what reached the disk is unknown until the file is reopened and checked
            if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                raise storage_error(exc) from exc
            raise
        self._held = self._next

    def finish(self) -> BlobInfo:
        """Check size and SHA-256 and rename into a stored blob; on a mismatch delete the partial and raise IntegrityError."""
        self.append(b"")  # checks the key; and an empty content's one, empty, chunk is written here
        if self._held < self._chunks or self._pending:
            got = self.appended
            self._discard()
            raise IntegrityError(
                f"The download ended after {got} of the attachment's {self.size} bytes; "
                "the partial file was deleted. Download it again.",
                affected=(self.name,),
            )
        digest = self._sha.hexdigest()
        if not hmac.compare_digest(digest, self.content_sha256):
            self._discard()
            raise IntegrityError(
                "The downloaded bytes do not match the attachment's SHA-256; the partial file was deleted. Download it again.",
                affected=(self.name,),
            )
        self._close_file()  # every chunk was fsynced by append(); Windows cannot rename an open file
        final = self._path.with_name(secrets.token_hex(16))
        try:
            os.replace(self._path, final)
            fsync_dir(self._path.parent)
        except OSError as exc:
            try:  # put it back, so the download need not start again
                os.replace(final, self._path)
            except OSError:
                final.unlink(missing_ok=True)
            raise storage_error(exc) from exc
        finally:
            self.close()  # only now may another download of this content take the name
        self._gone = True
        return BlobInfo(name=final.name, size=self.size, sha256=digest, chunks=self._chunks)

    def close(self) -> None:
        """Stop writing and keep the partial file for a later begin_partial; an unfinished chunk is dropped."""
        self._close_file()
        self._release()

    def abandon(self) -> None:
        """Delete the partial file, open or closed (not after finish); works while the vault is locked, for cleanup."""
        if self._gone:
            self.close()
        else:
            self._discard()

    def __enter__(self) -> PartialBlob:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------------

    def _require_open(self) -> BinaryIO:
        if self._fh is None:
            raise ValueError("This download's partial file is closed; begin it again to continue.")
        return self._fh

    def _chunk_len(self, index: int) -> int:
        return min(self._chunk_size, self.size - index * self._chunk_size)

    def _offset(self, chunks: int) -> int:
        """Where the record of chunk `chunks` starts (for chunks == count, the end of the file)."""
        return HEADER.size + chunks * OVERHEAD + min(chunks * self._chunk_size, self.size)

    def _open(self) -> BinaryIO:
        # O_NOFOLLOW: never write through a link planted under the partial's name.
        flags = os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self._path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return os.fdopen(os.open(self._path, flags), "r+b")
        fh = os.fdopen(fd, "r+b")
        self._start_over(fh)
        fsync_dir(self._path.parent)
        return fh

    def _start_over(self, fh: BinaryIO) -> None:
        fh.seek(0)
        fh.truncate(0)
        fh.write(HEADER.pack(MAGIC, VERSION, self.blob_id, self._chunk_size))
        fh.flush()
        os.fsync(fh.fileno())
        self._sha, self._held, self._next = hashlib.sha256(), 0, 0

    def _recover(self, cancel: Cancel | None) -> None:
        """Keep the chunks that decrypt, in order, under this blob id and size; cut the file after them."""
        fh = self._require_open()
        fh.seek(0)
        try:
            chunk_size = read_header(fh, self.name, self.blob_id)
        except IntegrityError:  # cut off in its header, or begun with another blob id
            chunk_size = 0
        if chunk_size != self._chunk_size:
            self._start_over(fh)
            return
        record = memoryview(bytearray(OVERHEAD + self._chunk_size))
        while self._held < self._chunks:
            if cancel is not None and cancel():
                raise Cancelled("Stopped resuming the download: you cancelled it. What was downloaded is kept.")
            self._require_key()
            index = self._held
            want = OVERHEAD + self._chunk_len(index)
            if fill(fh, record[:want]) < want:
                break
            try:
                associated = aad(self.blob_id, index, index == self._chunks - 1)
                plain = self._aead.decrypt(record[:NONCE_SIZE], record[NONCE_SIZE:want], associated)
            except InvalidTag:  # a torn or damaged tail: cut it off and fetch those bytes again
                break
            self._sha.update(plain)
            self._held += 1
        self._next = self._held
        end = self._offset(self._held)
        if os.fstat(fh.fileno()).st_size != end:
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
        fh.seek(end)

    def _write_chunks(self, fh: BinaryIO, view: memoryview) -> bool:
        """Encrypt and write each chunk that view completes; keep the rest pending. True if any was written."""
        wrote, pos = False, 0
        while self._next < self._chunks:
            need = self._chunk_len(self._next) - len(self._pending)
            if len(view) - pos < need:
                self._pending += view[pos:]
                break
            plain: bytes | bytearray | memoryview
            if self._pending:
                self._pending += view[pos : pos + need]
                plain, self._pending = self._pending, bytearray()
            else:
                plain = view[pos : pos + need]  # straight from the caller's buffer, no copy
            pos += need
            self._require_key()  # locked mid-download: stop before using the key again
            nonce = os.urandom(NONCE_SIZE)
            fh.write(nonce)
            fh.write(self._aead.encrypt(nonce, plain, aad(self.blob_id, self._next, self._next == self._chunks - 1)))
            self._sha.update(plain)
            self._next += 1
            wrote = True
        return wrote

    def _close_file(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fh.close()
            except OSError:  # a failed write's bytes still buffered: recovery cuts them off anyway
                pass
        self._pending = bytearray()

    def _discard(self) -> None:
        self._close_file()
        try:
            self._path.unlink(missing_ok=True)
        except OSError as exc:
            raise storage_error(exc, doing="delete the partial download") from exc
        finally:
            self._release()  # after the unlink: a download begun meanwhile must not lose its new file
        self._gone = True
