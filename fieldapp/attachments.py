"""Attachments: files of any size streamed into the encrypted blob store, addressed by SHA-256.

The slow part (reading, hashing, encrypting) runs outside the vault's lock; only the short
database transaction that makes the attachment visible runs under it.
"""

from __future__ import annotations

import builtins
import hashlib
import mimetypes
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NamedTuple

import sqlalchemy as sa

from fieldapp.audit import Audit
from fieldapp.context import VaultContext
from fieldapp.errors import IntegrityError, NotFound, StorageError, ValidationError, VaultLocked
from fieldapp.ids import uuid7
from fieldapp.storage.models import Attachment, Blob
from fieldapp.records import Records, attachment_row, find_owned, load, mark_dirty
from fieldapp.rows import AttachmentRow, Changes, Done


Progress = Callable[[int, "int | None"], None]
MAX_NAME = 255


class Attachments:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def add(
        self,
        record_id: str,
        source: Path | str | BinaryIO,
        *,
        name: str | None = None,
        media_type: str | None = None,
        progress: Progress | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Done[AttachmentRow]:
        """Stream a file in (encrypt, hash, write); never a plaintext copy on disk."""
        Records(self._context).get(record_id)  # fail fast, before reading gigabytes
        if isinstance(source, (str, Path)):
            path = Path(source)
            try:
                with open(path, "rb") as fh:
                    return self._add_stream(record_id, fh, name or path.name, media_type, progress, cancel, os.fstat(fh.fileno()).st_size)
            except FileNotFoundError:
                raise NotFound(f"The file {path} does not exist.") from None
            except PermissionError as exc:
                raise StorageError(f"The file {path} cannot be read: permission denied.", exc.errno) from exc
        if not name:
            raise ValidationError("Give the attachment a file name.")
        return self._add_stream(record_id, source, name, media_type, progress, cancel, None)

    def _add_stream(
        self,
        record_id: str,
        stream: BinaryIO,
        name: str,
        media_type: str | None,
        progress: Progress | None,
        cancel: Callable[[], bool] | None,
        total: int | None,
    ) -> Done[AttachmentRow]:
        name = _clean_name(name)
        media_type = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        blob_id = os.urandom(16)
        generation = self._context.generation
        info = self._context.blobs.write(stream, blob_id=blob_id, progress=progress, cancel=cancel, total=total)
        duplicate = False
        try:
            with self._context.transaction("adding an attachment") as session:
                if self._context.generation != generation:
                    # Locked and unlocked while the file streamed in: unlocking may have tidied the
                    # new blob away as an orphan. Refuse rather than point at a missing file.
                    raise VaultLocked("The vault was locked while the file was being added; add it again.")
                rec = load(session, record_id)
                duplicate = session.get(Blob, info.sha256) is not None
                if not duplicate:
                    session.add(Blob(sha256=info.sha256, name=info.name, blob_id=blob_id, size=info.size))
                    session.flush()  # no ORM relationship orders these inserts for us
                att = Attachment(
                    id=uuid7(),
                    record_id=rec.id,
                    name=name,
                    media_type=media_type,
                    size=info.size,
                    sha256=info.sha256,
                    created_at=self._context.now(),
                )
                session.add(att)
                mark_dirty(self._context, rec)
                result = Done(attachment_row(att), Changes(records=frozenset({rec.id}), attachments=frozenset({att.id})))
        except BaseException:
            self._context.blobs.remove(info.name)
            raise
        if duplicate:  # the same bytes are already stored once; keep that copy
            self._context.blobs.remove(info.name)
        return result

    def list(self, record_id: str) -> tuple[AttachmentRow, ...]:
        return Records(self._context).get(record_id).attachments

    def read_into(
        self,
        attachment_id: str,
        dest: BinaryIO,
        *,
        record_id: str | None = None,
        progress: Progress | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> int:
        """Decrypt into dest (an explicit export, or memory for a preview), checking every chunk and the SHA-256."""
        blob = self._blob_of(attachment_id, record_id)
        return self._context.blobs.read_into(
            blob.name, dest, blob_id=blob.blob_id, expected_sha256=blob.sha256, progress=progress, cancel=cancel
        )

    def export(
        self, attachment_id: str, target: Path, *, record_id: str | None = None, cancel: Callable[[], bool] | None = None
    ) -> Path:
        """Decrypt a copy to a file the inspector chose: an explicit act, written to the audit log. A
        failed check or a cancel leaves no partial file."""
        blob = self._blob_of(attachment_id, record_id)
        partial = target.with_name(target.name + ".part")
        try:
            with open(partial, "wb") as out:
                size = self._context.blobs.read_into(blob.name, out, blob_id=blob.blob_id, expected_sha256=blob.sha256, cancel=cancel)
            partial.replace(target)
        except StorageError:
            raise
        except OSError as exc:
            raise StorageError(f"Could not save the copy to {target}: {exc.strerror or exc}.", exc.errno) from exc
        finally:
            partial.unlink(missing_ok=True)
        Audit(self._context).record_if_possible("attachment_exported", attachment_id=attachment_id, record_id=blob.record_id, bytes=size)
        return target

    def read_bytes(self, attachment_id: str, *, record_id: str | None = None) -> bytes:
        blob = self._blob_of(attachment_id, record_id)
        return self._context.blobs.read_bytes(blob.name, blob_id=blob.blob_id, expected_sha256=blob.sha256)

    def verify(self, attachment_id: str, *, record_id: str | None = None) -> None:
        """Raise IntegrityError unless every chunk decrypts and the bytes hash to the recorded SHA-256."""
        blob = self._blob_of(attachment_id, record_id)
        self._context.blobs.verify(blob.name, blob_id=blob.blob_id, expected_sha256=blob.sha256)

    def remove(self, attachment_id: str, *, record_id: str | None = None) -> Done[None]:
        """Take the attachment off its record; earlier revisions still refer to its bytes.

        Give its record_id: attachment ids are unique only within a record (as for each method here).
        """
        with self._context.transaction("removing an attachment") as session:
            att = find_owned(session, Attachment, attachment_id, record_id, "attachment")
            rec = load(session, att.record_id)
            session.delete(att)
            mark_dirty(self._context, rec)
            return Done(None, Changes(records=frozenset({rec.id}), attachments=frozenset({attachment_id})))

    def adopt_orphans(self) -> int:
        """After a restore from a backup: stored files no row refers to are attachments added
        after that backup. Each that decrypts whole is taken back by its SHA-256, so a record of
        it pulled again shows it, and one whose upload had not finished is sent; the rest go."""
        adopted = 0
        for name in self._orphans():
            try:
                blob_id = self._context.blobs.blob_id_of(name)
                sha, size = hashlib.sha256(), 0
                for plain in self._context.blobs.read_chunks(name, blob_id=blob_id):
                    sha.update(plain)
                    size += len(plain)
            except IntegrityError:
                self._context.blobs.remove(name)  # damaged, or cut short by a crash: nothing to take back
                continue
            with self._context.transaction("taking back an attachment") as session:
                blob = session.get(Blob, sha.hexdigest())
                if blob is not None and blob.name is not None:
                    self._context.blobs.remove(name)  # the same bytes are here already
                    continue
                if blob is None:
                    session.add(Blob(sha256=sha.hexdigest(), name=name, blob_id=blob_id, size=size))
                else:
                    blob.name, blob.blob_id, blob.size = name, blob_id, size
            adopted += 1
        return adopted

    def collect_orphans(self) -> int:
        """Remove stored blobs no row refers to (left by a crash between writing and committing)."""
        orphans = self._orphans()
        for name in orphans:
            self._context.blobs.remove(name)
        return len(orphans)

    def _orphans(self) -> builtins.list[str]:  # the method `list` above hides the type here
        """Names of stored files that no row refers to."""
        with self._context.transaction("reading the attachment store") as session:
            known = set(session.scalars(sa.select(Blob.name).where(Blob.name.is_not(None))))
        return sorted(self._context.blobs.names() - known)

    def _blob_of(self, attachment_id: str, record_id: str | None) -> _StoredBlob:
        with self._context.transaction("reading an attachment") as session:
            att = find_owned(session, Attachment, attachment_id, record_id, "attachment")
            blob = session.get(Blob, att.sha256)
            if blob is None:
                raise NotFound(f"The bytes of attachment {att.name!r} are not in this vault.")
            if blob.name is None or blob.blob_id is None:
                raise NotFound(f"{att.name!r} has not been downloaded yet; it arrives with the next sync.")
            return _StoredBlob(blob.name, blob.blob_id, blob.sha256, att.record_id)


class _StoredBlob(NamedTuple):
    """Where an attachment's bytes are in the store, and what they must hash to."""

    name: str
    blob_id: bytes
    sha256: str
    record_id: str


def _clean_name(name: str) -> str:
    # Keep only the final path component: a name is a label, never a place to write to.
    cleaned = name.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    if not cleaned or cleaned in (".", ".."):
        raise ValidationError("Give the attachment a file name.")
    return cleaned[:MAX_NAME]
