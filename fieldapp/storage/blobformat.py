"""The attachment file format, shared by the store (whole files) and blobio (ranges, resumable
downloads): header, chunk layout, associated data, and the errors a damaged file gives."""

from __future__ import annotations

import errno
import hmac
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from fieldapp.errors import IntegrityError, StorageError
from fieldapp.sizes import size_text

CHUNK_SIZE = 1 << 20
MAX_CHUNK_SIZE = 64 << 20  # a tampered header must not make us allocate gigabytes
MAGIC = b"FABLOB1\n"
VERSION = 1
HEADER = struct.Struct(">8sB16sI")  # magic, format version, blob id, chunk size
NONCE_SIZE = 12
TAG_SIZE = 16
BLOB_ID_SIZE = 16
KEY_INFO = b"fieldapp attachment v1"
AAD_PREFIX = b"fieldapp-att-v1"
Cancel = Callable[[], bool]

# Keyed by errno name, so a code one platform lacks (EDQUOT on Windows) is simply never matched.
_STORAGE_MESSAGES = {
    "ENOSPC": "Not enough disk space to store the attachment. Free some space on the vault's disk and try again.",
    "EDQUOT": "Your disk quota is used up, so the attachment could not be stored. Free some space and try again.",
    "EROFS": "The vault's disk is read-only, so the attachment could not be stored. Move the vault to a writable disk.",
    "EFBIG": f"The attachment is too large for the vault's disk (FAT32 disks hold at most {size_text(2**32 - 1)} per file). "
    "Move the vault to a disk formatted as NTFS, APFS or ext4.",
    "EACCES": "fieldapp is not allowed to write in the vault's attachment folder. Check the folder's permissions.",
    "EPERM": "fieldapp is not allowed to write in the vault's attachment folder. Check the folder's permissions.",
    "EIO": "The disk reported an error while storing the attachment. It may be failing: back up the vault now.",
}


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    sha256: str
    chunks: int


def aad(blob_id: bytes, index: int, last: bool) -> bytes:
    return AAD_PREFIX + blob_id + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def fill(src: BinaryIO, buf: memoryview) -> int:
    """Fill buf from src; fewer bytes than len(buf) only at end of file. Pipes may return short reads."""
    readinto = getattr(src, "readinto", None)
    got = 0
    while got < len(buf):
        if readinto is not None:
            n = readinto(buf[got:])
        else:
            data = src.read(len(buf) - got)
            n = len(data)
            buf[got : got + n] = data
        if not n:  # 0 at end of file; None would mean a non-blocking source with nothing yet
            break
        got += n
    return got


def header_fields(fh: BinaryIO, name: str) -> tuple[bytes, int, bytes, int]:
    raw = memoryview(bytearray(HEADER.size))
    if fill(fh, raw) < HEADER.size:
        raise damaged(name, "is cut off in its header")
    return HEADER.unpack(raw)


def read_header(fh: BinaryIO, name: str, blob_id: bytes) -> int:
    magic, version, stored_id, chunk_size = header_fields(fh, name)
    if magic != MAGIC:
        raise damaged(name, "is not a fieldapp attachment file")
    if version != VERSION:
        raise damaged(name, f"has an unknown format version {version}")
    if not hmac.compare_digest(stored_id, blob_id):
        raise damaged(name, "belongs to another attachment")
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise damaged(name, "has a damaged header")
    return int(chunk_size)


def damaged(name: str, what: str) -> IntegrityError:
    return IntegrityError(
        f"The attachment file {name} {what}; it was not read as evidence. Restore it from a backup.",
        affected=(name,),
    )


def storage_error(exc: OSError, *, doing: str = "store the attachment") -> StorageError:
    code = errno.errorcode.get(exc.errno or 0, "")
    message = _STORAGE_MESSAGES.get(code) if doing == "store the attachment" else None
    err = StorageError(message or f"Could not {doing}: {exc.strerror or exc}.")
    err.errno = exc.errno  # so callers can still tell ENOSPC from EROFS; str() stays the message
    return err
