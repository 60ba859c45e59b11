"""The only module that touches SQLCipher: engines keyed with a raw key, integrity checks, export.

Keeping every use of the binding here means it could be replaced without touching the rest.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlcipher3
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from fieldapp.errors import StorageError, VaultDamaged

PAGE_SIZE = 4096  # SQLCipher 4's default, which we never change
DatabaseError = sqlcipher3.DatabaseError
OperationalError = sqlcipher3.OperationalError
ConstraintError = sqlcipher3.IntegrityError  # a UNIQUE, NOT NULL or FOREIGN KEY rule refused a write

# Page-level failures SQLCipher reports when a page's HMAC does not hold or a file is cut short.
_DAMAGE_WORDS = ("file is not a database", "malformed", "hmac", "corrupt", "disk image", "not an error")
_STORAGE_WORDS = {
    "database or disk is full": "The disk is full: free some space, then try again. Nothing was changed.",
    "attempt to write a readonly database": "The vault is read-only here: check the folder's permissions. Nothing was changed.",
    "readonly database": "The vault is read-only here: check the folder's permissions. Nothing was changed.",
    "disk i/o error": "The disk reported an error while saving. Nothing was changed; check the disk and try again.",
    "unable to open database": "The vault file could not be opened: check that the folder exists and is writable.",
}


def create_engine(path: Path, key: bytes) -> Engine:
    """An engine on an encrypted database at path, keyed with a raw 256-bit key (no passphrase KDF)."""
    url = sa.URL.create("sqlite+pysqlcipher", password=f"x'{key.hex()}'", database=str(path))
    # One connection, shared under the vault's lock: the vault serialises every call anyway,
    # and reusing the keyed connection avoids re-keying on every thread hop.
    # hide_parameters: a failed statement's message must never carry record text.
    engine = sa.create_engine(
        url, poolclass=StaticPool, connect_args={"check_same_thread": False}, hide_parameters=True
    )
    event.listen(engine, "connect", _configure)
    return engine


def _configure(dbapi_connection: Any, _record: Any) -> None:
    # The dialect has already issued PRAGMA key on this connection.
    cursor = dbapi_connection.cursor()
    try:
        # Off, on purpose (SQLCipher's own default since 4.5): with it on, SQLCipher locks and
        # wipes every allocation, which made each statement on a long-lived connection slower
        # (bulk inserts 4-7x, autosave 2.2x, measured) while the plaintext it would wipe also
        # lives in Python objects we cannot wipe (docs/security.md, "Limits").
        cursor.execute("PRAGMA cipher_memory_security = OFF")
        cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


def cursor_of(session: Session) -> Any:
    """The DB-API cursor of the session's own connection and transaction, for hot paths."""
    return _driver_connection(session).cursor()


def _driver_connection(session: Session) -> Any:
    raw = session.connection().connection.dbapi_connection
    if raw is None:  # only once the pool has invalidated it, never inside a live transaction
        raise StorageError("The vault's database connection was closed; lock the vault and unlock it again.")
    return raw


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT in the session's transaction: an error inside undoes only what ran inside."""
    raw = _driver_connection(session)
    if not raw.in_transaction:
        # The driver begins its transaction only before a write: a SAVEPOINT first would open a
        # transaction of its own, which RELEASE commits out of reach of the outer rollback.
        raw.execute("BEGIN")
    with session.begin_nested():
        yield


def is_damage(exc: BaseException) -> bool:
    """True when a database error means a page failed its check rather than a bug or a full disk."""
    text = str(getattr(exc, "orig", exc)).lower()
    return any(word in text for word in _DAMAGE_WORDS)


def translate(exc: BaseException, *, doing: str) -> Exception:
    """Turn a low-level database error into one of ours, with a message a person can act on."""
    text = str(getattr(exc, "orig", exc)).lower()
    for words, message in _STORAGE_WORDS.items():
        if words in text:
            return StorageError(f"{message} (while {doing})", errno.EIO)
    if is_damage(exc):
        return VaultDamaged(
            f"Part of the vault failed its integrity check while {doing}. "
            "Run a check of the vault, then restore the newest good backup."
        )
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))


def damaged_pages(connection: sa.Connection) -> list[int]:
    """Page numbers whose HMAC does not hold (PRAGMA cipher_integrity_check)."""
    pages: list[int] = []
    for (line,) in connection.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall():
        pages.extend(_page_numbers(str(line)))
    return pages


def _page_numbers(line: str) -> list[int]:
    words = line.replace(",", " ").split()
    numbers = []
    for previous, word in zip(words, words[1:]):
        if previous.lower() == "page" and word.isdigit():
            numbers.append(int(word))
    return numbers or [0]


def check_whole_pages(path: Path) -> None:
    """Refuse a database cut part-way through a page.

    SQLCipher zero-fills such a short page and reports the failure late, so a read could see
    zeros where evidence was: better to stop here and send the inspector to a backup.
    """
    size = path.stat().st_size
    if size % PAGE_SIZE:
        raise VaultDamaged(
            f"The vault database {path.name} is truncated ({size:,} bytes is not a whole number of pages). "
            "Restore the newest good backup.",
            affected=(path.name,),
        )


def export_to(connection: sa.Connection, target: Path, key: bytes) -> None:
    """Write an encrypted copy of the whole database to target, under the same raw key."""
    # The key is a bound parameter, never SQL text, so no error message can carry it.
    connection.exec_driver_sql("ATTACH DATABASE ? AS backup KEY ?", (str(target), f"x'{key.hex()}'"))
    try:
        connection.exec_driver_sql("SELECT sqlcipher_export('backup')")
    finally:
        connection.exec_driver_sql("DETACH DATABASE backup")

