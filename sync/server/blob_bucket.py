"""Attachment bytes in an S3-compatible bucket: each arriving chunk its own object under
staging/<device>/<sha>-<chunk size>/<index>, each whole file one object objects/<sha[:2]>/<sha>,
read chunk by chunk as byte ranges of it. Chunks are sealed (sealing.ChunkSeal) in staging and in
the whole file alike: the whole file is its sealed chunks end to end, so a range names one.

S3 takes a multipart upload's parts at 5 MiB or more (but the last), and a transfer chunk is
smaller (protocol.CHUNK_SIZE, 4 MiB), so chunks cannot be parts one for one. Instead, finishing a
file reads its staged chunks in order, hashes them, and sends the very bytes it hashed on as parts
of at least PART_BYTES (a small file as one plain object): what becomes the blob is exactly what
was checked, whatever the device stages meanwhile. A multipart upload lives only while one request
finishes a file (or seals one stored before sealing began, in place: its sealed copy is written over
the same key, which an object store replaces whole); one a crash left behind is aborted by the sweep."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sync.server import errors
from sync.server.blobs import BlobStore, Upload, chunk_count, stored_sealed
from sync.server.sealing import ChunkSeal
from sync.server.s3 import S3Client, S3Error, S3Settings

log = logging.getLogger("fieldapp.server")

PART_BYTES = 8 << 20  # at least S3's 5 MiB, and two 4 MiB chunks make one part

UNREACHABLE = "The service cannot reach its object store just now; nothing was lost. Try again later."


@contextmanager
def _reaching() -> Iterator[None]:
    """An object store's refusal as the service's 503, logged by its status and S3 code (an
    S3Error holds nothing else: no key, no header, no URL)."""
    try:
        yield
    except S3Error as exc:
        log.warning("%s", exc)
        raise errors.Unavailable(UNREACHABLE, retry_after_s=30) from exc


class BlobBucket(BlobStore):
    """Every attachment's objects in one bucket, under the settings' prefix."""

    def __init__(self, settings: S3Settings, seal: ChunkSeal) -> None:
        super().__init__(seal)
        self.client = S3Client(settings)
        self.prefix = settings.prefix

    def object_key(self, sha256: str) -> str:
        return f"{self.prefix}objects/{sha256[:2]}/{sha256}"

    def device_staging(self, device_id: str) -> str:
        return f"{self.prefix}staging/{device_id}/"

    def staging_prefix(self, upload: Upload) -> str:
        return f"{self.device_staging(upload.device_id)}{upload.sha256}-{upload.chunk_size}/"

    def staged(self, upload: Upload) -> set[int]:
        prefix = self.staging_prefix(upload)
        with _reaching():
            return {int(name) for o in self.client.listing(prefix) if (name := o.key[len(prefix) :]).isdigit()}

    def has_chunk(self, upload: Upload, index: int) -> bool:
        with _reaching():
            return self.client.exists(f"{self.staging_prefix(upload)}{index}")

    def staged_bytes(self, device_id: str, *, besides: Upload) -> int:
        asking = self.staging_prefix(besides)
        with _reaching():
            found = self.client.listing(self.device_staging(device_id))
            return sum(max(0, o.size - ChunkSeal.OVERHEAD) for o in found if not o.key.startswith(asking))  # the device's bytes, not the seals

    def _stage(self, upload: Upload, index: int, sealed: bytes) -> None:
        """An object PUT is whole or absent, so a kill leaves nothing half-written; If-None-Match
        keeps a chunk there as it is, where the store honours it (where it does not, a chunk
        replaced meanwhile is still never one the blob was made of: see the module's docstring)."""
        with _reaching():
            self.client.put(f"{self.staging_prefix(upload)}{index}", sealed, only_new=True)

    def sweep(self, *, max_age_s: float, now: float | None = None) -> int:
        """Part-uploads whose newest chunk is older than max_age_s, and multipart uploads begun
        that long ago (a finish a crash cut short) go; returns how many."""
        cutoff = (time.time() if now is None else now) - max_age_s
        with _reaching():
            uploads, newest = self._staged_uploads()
            stale = [upload for upload, when in newest.items() if when < cutoff]
            for upload in stale:
                for key in uploads[upload]:
                    self.client.delete(key)
            abandoned = [p for p in self.client.pending_multiparts(f"{self.prefix}objects/") if p.initiated < cutoff]
            for pending in abandoned:
                self.client.abort_multipart(pending.key, pending.upload_id)
        return len(stale) + len(abandoned)

    def part_uploads(self, *, max_age_s: float) -> tuple[int, int]:
        cutoff = time.time() - max_age_s
        with _reaching():
            newest = self._staged_uploads()[1]
        return len(newest), sum(when < cutoff for when in newest.values())

    def _staged_uploads(self) -> tuple[dict[str, list[str]], dict[str, float]]:
        """Each part-upload's chunk keys, and when its newest chunk was written."""
        uploads: dict[str, list[str]] = {}
        newest: dict[str, float] = {}
        for found in self.client.listing(f"{self.prefix}staging/"):
            upload = found.key.rsplit("/", 1)[0]
            uploads.setdefault(upload, []).append(found.key)
            newest[upload] = max(newest.get(upload, found.modified), found.modified)
        return uploads, newest

    @contextmanager
    def finishing(self, upload: Upload, count: int) -> Iterator[_BucketFinishing]:
        finishing = _BucketFinishing(self, upload, count)
        try:
            with _reaching():
                yield finishing
        finally:
            finishing.abandon()

    def discard(self, upload: Upload) -> None:
        with _reaching():
            for found in self.client.listing(self.staging_prefix(upload)):
                self.client.delete(found.key)

    def holds(self, sha256: str) -> bool:
        with _reaching():
            return self.client.exists(self.object_key(sha256))

    def _read(self, sha256: str, index: int, *, size: int, chunk_size: int, overhead: int) -> bytes:
        stored = size + overhead * chunk_count(size, chunk_size)
        if stored == 0:
            return b""  # an empty file stored before sealing is one empty chunk, and no range of it exists
        first = index * (chunk_size + overhead)
        with _reaching():
            return self.client.get(self.object_key(sha256), first=first, last=min(stored, first + chunk_size + overhead) - 1)

    def _read_old(self, sha256: str, index: int, *, size: int, chunk_size: int) -> tuple[bytes, bool]:
        """Read as plaintext first: the range is within the object sealed or not, and the answer
        says the object's size, so which it was; a sealed one is read again at its seal's offsets."""
        if size == 0:
            return b"", False  # an empty file is empty, sealed or not
        first = index * chunk_size
        with _reaching():
            stored, total = self.client.get_with_size(self.object_key(sha256), first=first, last=min(size, first + chunk_size) - 1)
        if not stored_sealed(total, size, chunk_count(size, chunk_size)):
            return stored, False
        return self._read(sha256, index, size=size, chunk_size=chunk_size, overhead=ChunkSeal.OVERHEAD), True

    def seal_in_place(self, sha256: str, *, size: int, chunk_size: int) -> int:
        """The file's chunks are read as ranges, sealed, and sent on as a new object over the same
        key, which replaces the old one whole once complete. Each range's answer says the object is
        still the plaintext one; if a device's upload of the same file wrote its sealed copy
        meanwhile, this one is abandoned (0)."""
        key, count = self.object_key(sha256), chunk_count(size, chunk_size)
        with _reaching():
            stored = self.client.size(key)
            if stored is None or stored_sealed(stored, size, count):
                return 0  # gone, or sealed by a run before this one
            parts = _Parts(self.client, key)
            try:
                for index in range(count):
                    plain, total = self._plain_chunk(key, index, size=size, chunk_size=chunk_size)
                    if total != size:
                        return 0
                    parts.add(self.seal.seal(sha256, index, plain))
                parts.complete()
            finally:
                parts.abandon()
        return count

    def _plain_chunk(self, key: str, index: int, *, size: int, chunk_size: int) -> tuple[bytes, int]:
        if size == 0:
            return b"", 0  # no range of an empty object exists
        first = index * chunk_size
        return self.client.get_with_size(key, first=first, last=min(size, first + chunk_size) - 1)

    def check(self) -> None:
        with _reaching():
            self.client.check()


class _Parts:
    """Bytes sent on to one object as they come: parts of at least PART_BYTES of a multipart upload,
    or one plain PUT if they never reach that; the object appears, whole, only at `complete`."""

    def __init__(self, client: S3Client, key: str) -> None:
        self.client, self.key = client, key
        self.upload_id: str | None = None
        self.etags: list[str] = []
        self.buffer = bytearray()
        self.completed = False

    def add(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= PART_BYTES:
            self._send_part(bytes(self.buffer))
            self.buffer.clear()

    def complete(self) -> None:
        if self.upload_id is None:
            self.client.put(self.key, bytes(self.buffer))
        else:
            if self.buffer:
                self._send_part(bytes(self.buffer))
            self.client.complete_multipart(self.key, self.upload_id, self.etags)
        self.completed = True

    def abandon(self) -> None:
        """A multipart upload not completed (a mismatch, or a failure) is aborted at once; if even
        that fails, the sweep aborts it later."""
        if self.upload_id is not None and not self.completed:
            try:
                self.client.abort_multipart(self.key, self.upload_id)
            except S3Error:
                pass

    def _send_part(self, data: bytes) -> None:
        if self.upload_id is None:
            self.upload_id = self.client.begin_multipart(self.key)
        self.etags.append(self.client.put_part(self.key, self.upload_id, len(self.etags) + 1, data))


class _BucketFinishing:
    """One part-upload being hashed while its bytes go on as the blob's parts."""

    def __init__(self, bucket: BlobBucket, upload: Upload, count: int) -> None:
        self.bucket, self.upload, self.count = bucket, upload, count
        self.parts = _Parts(bucket.client, bucket.object_key(upload.sha256))

    def hash(self) -> tuple[str, int]:
        client, sha, size = self.bucket.client, hashlib.sha256(), 0
        for index in range(self.count):
            try:
                data = client.get(f"{self.bucket.staging_prefix(self.upload)}{index}")
            except S3Error as exc:
                if exc.status == 404:  # finished, discarded or swept meanwhile
                    raise FileNotFoundError(index) from None
                raise
            plain = self.bucket.seal.open(self.upload.sha256, index, data)
            sha.update(plain)
            size += len(plain)
            self.parts.add(data)  # the blob keeps the chunks as sealed
        return sha.hexdigest(), size

    def claim(self) -> bool:
        """The hashed bytes become the blob's object. Another request finishing the same file at
        once writes the same bytes (both were checked against one SHA-256), so both may."""
        self.parts.complete()
        return True

    def promote(self) -> None:
        self.bucket.discard(self.upload)

    def abandon(self) -> None:
        self.parts.abandon()
