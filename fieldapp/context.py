"""What an area of the vault works with: one transaction at a time, the clock, this device's identity
and signing key, and the attachment store. The `Vault` provides it; the areas never import the Vault,
so each can be read, and tested, knowing only this."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from fieldapp.storage.blobstore import BlobStore


class VaultContext(Protocol):
    @property
    def device_id(self) -> str: ...  # this laptop's id, the author of every revision it cuts

    @property
    def generation(self) -> int: ...  # grows at every unlock, so work that spans a lock can tell

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def signing_key(self) -> Ed25519PrivateKey: ...  # raises VaultLocked when locked

    @property
    def blobs(self) -> BlobStore: ...  # raises VaultLocked when locked

    @property
    def path(self) -> Path: ...  # the vault's folder (its backups are in backups/, fieldapp.storage.backup)

    @property
    def db_path(self) -> Path: ...  # for checks of the file itself (pages, length)

    def database_key(self) -> bytes:
        """The database's key, which its backups share; raises VaultLocked when locked."""
        ...

    def now(self) -> str:
        """The clock's moment as stored: ISO 8601 in UTC."""
        ...

    def transaction(self, doing: str) -> AbstractContextManager[Session]:
        """One transaction; `doing` names the work in any error ("saving the record")."""
        ...
