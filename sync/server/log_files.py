"""Where each process of the service logs: one rotating file per process, or standard error.

A RotatingFileHandler is safe only while one process writes its file (two would rotate it under
each other), so under `serve --workers N` each worker takes a numbered file of its own, held by an
flock for its life (a worker that restarts takes the slot its predecessor left): at most N + 1
files, each rotated by its one writer. `--log-to stderr` sends every process's lines to standard
error instead, for systemd's journal to keep and rotate."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from fieldapp import logs

APP = "fieldapp-server"
LOG_TO_ENV = "FIELDAPP_SERVER_LOG_TO"  # how `serve` tells its workers where they log
CHOICES = ("file", "stderr")
_held: list[int] = []  # the slot's lock, open for the life of the process


def configure(data_dir: Path, log_to: str, *, worker: bool = False) -> Path | None:
    """Log as chosen; returns the file this process writes, or None for standard error."""
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
