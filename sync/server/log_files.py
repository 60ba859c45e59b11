"""Where each process of the service logs: one rotating file per process, or standard error.

A RotatingFileHandler is safe only while one process writes its file (two would rotate it under
each other), so under `serve --workers N` each worker takes a numbered file of its own, held by an
flock for its life (a worker that restarts takes the slot its predecessor left): at most N + 1
files, each rotated by its one writer. `--log-to stderr` sends every process's lines to standard
error instead, for systemd's journal to keep and rotate.

uvicorn's access log (standard error) names each request's path, and an attachment's path carries
its SHA-256: a digest of evidence, which tells anyone holding a copy of a file that it was sent.
Every process hides those digests from its access lines."""

from __future__ import annotations

import fcntl
import logging
import os
import re
from pathlib import Path

from fieldapp import logs

APP = "fieldapp-server"
LOG_TO_ENV = "FIELDAPP_SERVER_LOG_TO"  # how `serve` tells its workers where they log
CHOICES = ("file", "stderr")
_held: list[int] = []  # the slot's lock, open for the life of the process


def configure(data_dir: Path, log_to: str, *, worker: bool = False) -> Path | None:
    """Log as chosen; returns the file this process writes, or None for standard error."""
    hide_digests()
    if log_to == "stderr":
        logs.to_stderr()
        return None
    # Beside the data it serves (one folder to back up and to guard); FIELDAPP_LOG_DIR overrides it.
    folder = logs.log_folder(APP, data_dir / "logs")
    if not worker:
        return logs.configure(APP, folder)
    folder.mkdir(parents=True, exist_ok=True)
    return logs.configure(f"{APP}.worker-{_take_slot(folder)}", folder)


def _take_slot(folder: Path) -> int:
    slot = 0
    while True:
        slot += 1
        fd = os.open(folder / f"{APP}.worker-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # another live worker writes that one
            continue
        _held.append(fd)
        return slot


_SHA256 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


class _NoDigests(logging.Filter):
    """Replaces a SHA-256 in an access line's arguments (client, method, path, version, status) by
    `{sha256}`, as the route is written: the line still says what was asked, not of which file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_SHA256.sub("{sha256}", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def hide_digests() -> None:
    """Filter uvicorn's access logger in this process (once). uvicorn's own logging set-up, which
    comes after, replaces the logger's handlers but keeps its filters."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NoDigests) for f in access.filters):
        access.addFilter(_NoDigests())
