"""Destroying a vault for good, after this laptop's access was revoked: the keys first, then the files.

A marker written before anything is destroyed lets a wipe cut short finish at the next start, and
tells a vault being wiped apart from a damaged one (which would ask for a backup to be restored).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from fieldapp.errors import StorageError
from fieldapp.storage.fsutil import atomic_write, fsync_dir

log = logging.getLogger("fieldapp.wipe")  # counts only

WIPE_MARKER = "wipe.pending"
KEY_FILES = "*.header"  # vault.header, each backup's header, and a header write cut short (.tmp-…-vault.header)
_CHUNK = 1 << 16
# What a vault writes at the top of its folder (fieldapp.vault, storage.backup, storage.fsutil's
# temporary files, fieldapp.audit's failed-unlock count, this module's marker): a wipe takes these only.
_OURS = re.compile(
    r"vault\.header|vault\.db(-wal|-shm|-journal)?|attachments|backups|replaced-\d{8}T\d{12}Z|\.tmp-.+"
    r"|restored\.pending|unlock-failures\.json|wipe\.pending"
)

Progress = Callable[[int, int], None]  # (files destroyed so far, files in all)


def is_pending(vault_path: Path) -> bool:
    """Whether a wipe of this vault began and has not finished."""
    return (vault_path / WIPE_MARKER).exists()


def wipe(vault_path: Path, progress: Progress | None = None) -> int:
    """Destroy the vault at vault_path (resuming a wipe cut short); returns how many files went.

    Every key file is overwritten with random bytes and synced before it is unlinked, and before any
    other file goes: once that is done nothing left can be unlocked. A folder already gone is done.
    """
    if not vault_path.is_dir():
        return 0
    report = progress or (lambda _done, _total: None)
    try:
        if not is_pending(vault_path):
            atomic_write(vault_path / WIPE_MARKER, b"This vault is being destroyed; fieldapp finishes it at its next start.\n")
        ours = _ours(vault_path)
        keys = sorted(p for p in _files_of(ours) if p.match(KEY_FILES))
        marker, shredded = vault_path / WIPE_MARKER, set(keys)
        rest = [p for p in _files_of(ours) if p not in shredded and p != marker]
        total, done = len(keys) + len(rest), 0
        report(done, total)
        for key_file in keys:
            _shred(key_file)
            done += 1
            report(done, total)
        for folder in {k.parent for k in keys}:
            fsync_dir(folder)
        for path in rest:
            path.unlink(missing_ok=True)
            done += 1
            report(done, total)
        for folder in ours:
            if folder.is_dir() and not folder.is_symlink():
                _remove_folders(folder)
                folder.rmdir()
        (vault_path / WIPE_MARKER).unlink()
        if not any(vault_path.iterdir()):  # else it holds the inspector's own files, which stay
            vault_path.rmdir()
            fsync_dir(vault_path.parent)
        else:
            fsync_dir(vault_path)
    except OSError as exc:
        raise StorageError(
            f"Could not finish removing the vault at {vault_path}: {exc.strerror or exc}. "
            "Its keys are destroyed first, so what is left cannot be opened; the app tries again at its next start.",
            exc.errno,
        ) from exc
    log.info("vault wiped: %d key files destroyed, %d files removed", len(keys), len(rest))
    return total


def _ours(vault_path: Path) -> list[Path]:
    """The vault's own entries at the top of its folder: the folder may be one the inspector keeps
    other files in (`--vault ~/Documents`), and a wipe takes the vault, never those."""
    return sorted(p for p in vault_path.iterdir() if _OURS.fullmatch(p.name))


def _files_of(entries: list[Path]) -> list[Path]:
    """Every file (and link) of these entries, deepest first; links are never followed."""
    found: list[Path] = []
    for entry in entries:
        if entry.is_symlink() or not entry.is_dir():
            found.append(entry)
            continue
        for folder, dirs, names in os.walk(entry, topdown=False):
            found.extend(Path(folder) / name for name in names)
            found.extend(Path(folder) / name for name in dirs if (Path(folder) / name).is_symlink())
    return found


def _remove_folders(vault_path: Path) -> None:
    for folder, dirs, _names in os.walk(vault_path, topdown=False):
        for name in dirs:
            (Path(folder) / name).rmdir()


def _shred(path: Path) -> None:
    """Overwrite a key file in place with random bytes, sync it, then unlink it. A link is only
    unlinked: what it points at is not the vault's."""
    if not path.is_symlink():
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            remaining = os.fstat(fd).st_size
            while remaining > 0:
                remaining -= os.write(fd, os.urandom(min(_CHUNK, remaining)))
            os.fsync(fd)
        finally:
            os.close(fd)
    path.unlink()
