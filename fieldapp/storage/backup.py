"""Rolling encrypted backups of the vault database, and restoring one after damage.

A backup is the database exported under the same key (still SQLCipher ciphertext) beside a copy
of the header; attachments are immutable files and are not copied.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.storage import sqlcipher, wipe
from fieldapp.errors import BackupError, StorageError, VaultWiped
from fieldapp.storage.fsutil import fsync_dir

KEEP = 5
# Left beside the database by restore(), taken away by the next unlock: the restored database may
# lack revisions (and attachment rows) of this laptop's from after the backup, which unlock and the
# next pull take back (Vault._open_with, Replication.start_over).
RESTORED_MARKER = "restored.pending"
_NAME = re.compile(r"^(\d{8}T\d{6}\d{6}Z)-([a-z0-9-]+)\.db$")
_MOMENT, _REASON = re.compile(r"\d{8}T\d{12}Z"), re.compile(r"[a-z0-9][a-z0-9-]{0,99}")  # as _NAME's parts
_MAX_MARKER_BYTES = 256  # a moment and a reason fit many times over


@dataclass(frozen=True)
class BackupInfo:
    name: str
    path: Path
    created_at: str  # UTC, e.g. 20261122T184210123456Z
    reason: str
    size: int


def make(vault_path: Path, connection: sa.Connection, db_key: bytes, *, reason: str) -> BackupInfo:
    """Export an encrypted copy now, then keep only the newest KEEP backups."""
    folder = vault_path / "backups"
    stamp = _stamp()
    slug = re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-") or "manual"
    name = f"{stamp}-{slug}.db"
    tmp = folder / f".tmp-{name}"
    try:
        folder.mkdir(exist_ok=True)
        sqlcipher.export_to(connection, tmp, db_key)
        _fsync(tmp)
        os.replace(tmp, folder / name)
        shutil.copyfile(vault_path / "vault.header", folder / (name[:-3] + ".header"))
        _fsync(folder / (name[:-3] + ".header"))
        fsync_dir(folder)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"Could not write a backup of the vault: {exc.strerror or exc}.", exc.errno) from exc
    except sa.exc.DBAPIError as exc:
        tmp.unlink(missing_ok=True)
        raise sqlcipher.translate(exc, doing="making a backup") from None
    _rotate(folder)
    return _info(folder / name)


def list_backups(vault_path: Path) -> tuple[BackupInfo, ...]:
    """Newest first."""
    folder = vault_path / "backups"
    if not folder.is_dir():
        return ()
    found = [_info(p) for p in folder.iterdir() if _NAME.match(p.name)]
    return tuple(sorted(found, key=lambda b: b.name, reverse=True))


@contextmanager
def changing(info: BackupInfo, db_key: bytes, *, doing: str) -> Iterator[Session]:
    """One transaction on a backup, opened under the vault's database key as make() wrote it; after
    the commit its write-ahead log is written back and emptied, so no earlier copy of a changed page
    stays beside it (and closing removes the log)."""
    engine = sqlcipher.create_engine(info.path, db_key)
    try:
        with Session(engine) as session, session.begin():
            yield session
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except (sa.exc.DBAPIError, sqlcipher.DatabaseError) as exc:
        raise sqlcipher.translate(exc, doing=doing) from None
    finally:
        engine.dispose()


def remove(info: BackupInfo) -> None:
    """Delete a backup and its header."""
    try:
        _remove_files(info.path)
        fsync_dir(info.path.parent)
    except OSError as exc:
        raise StorageError(f"Could not remove a backup of the vault: {exc.strerror or exc}.", exc.errno) from exc


def restore(vault_path: Path, name: str | None = None) -> Path:
    """Put a backup (the newest by default) in place of vault.db; the replaced files are kept aside.

    Returns the folder holding the replaced database. Run while the vault is locked.
    """
    if wipe.is_pending(vault_path):
        raise VaultWiped()
    backups = list_backups(vault_path)
    chosen = next((b for b in backups if b.name == name), None) if name else (backups[0] if backups else None)
    if chosen is None:
        raise BackupError(f"No backup named {name}." if name else "This vault has no backups to restore.")
    aside = vault_path / f"replaced-{_stamp()}"
    try:
        aside.mkdir()
        for suffix in ("", "-wal", "-shm"):
            current = vault_path / f"vault.db{suffix}"
            if current.exists():
                os.replace(current, aside / current.name)
        tmp = vault_path / ".tmp-restore.db"
        shutil.copyfile(chosen.path, tmp)
        _fsync(tmp)
        os.replace(tmp, vault_path / "vault.db")
        if not _header_readable(vault_path):
            shutil.copyfile(chosen.path.with_suffix(".header"), vault_path / "vault.header")
        # Which backup, for the audit log at the next unlock: its moment and reason, never a path.
        (vault_path / RESTORED_MARKER).write_text(f"{chosen.created_at} {chosen.reason}", "utf-8")
        fsync_dir(vault_path)
    except OSError as exc:
        raise StorageError(f"Could not restore the backup: {exc.strerror or exc}.", exc.errno) from exc
    return aside


def restored_from(vault_path: Path) -> tuple[str | None, str | None]:
    """The moment and reason of the backup the restore marker names; None for either that does not
    read as one (the marker is plaintext beside the vault: an older fieldapp's is empty, a damaged or
    planted one says anything, and nothing it says may stop an unlock or reach the audit log)."""
    try:
        with (vault_path / RESTORED_MARKER).open("rb") as file:
            made, _space, reason = file.read(_MAX_MARKER_BYTES).decode("utf-8", "replace").partition(" ")
    except OSError:
        return None, None
    return (made if _MOMENT.fullmatch(made) else None), (reason.strip() if _REASON.fullmatch(reason.strip()) else None)


def _stamp() -> str:
    """UTC to the microsecond from one clock reading, so names sort in the order they were made."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _header_readable(vault_path: Path) -> bool:
    from fieldapp.errors import VaultError
    from fieldapp.storage.keys import read_header

    try:
        read_header(vault_path / "vault.header")
    except VaultError:
        return False
    return True


def _rotate(folder: Path) -> None:
    backups = sorted((p for p in folder.iterdir() if _NAME.match(p.name)), reverse=True)
    for old in backups[KEEP:]:
        _remove_files(old)


def _remove_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.with_suffix(".header").unlink(missing_ok=True)


def _info(path: Path) -> BackupInfo:
    match = _NAME.match(path.name)
    assert match is not None
    return BackupInfo(path.name, path, match.group(1), match.group(2), path.stat().st_size)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
