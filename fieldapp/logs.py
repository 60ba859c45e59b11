"""Where the app and the service write their logs, and how a failure is logged without its words.

Lines carry ids, counts, kinds and timings only, never evidence: an exception is logged as its type,
its code and its stack (file, line, function), never its message or the values of its locals.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import traceback
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import cast

import platformdirs

ENV_FOLDER = "FIELDAPP_LOG_DIR"  # overrides every other folder (tests, support)
MAX_BYTES, BACKUPS = 1_000_000, 5  # about 6 MB at most per program
_CODE = re.compile(r"[a-z0-9_.-]{1,40}")


class _PrivateFile(RotatingFileHandler):
    """A rotating file that only its owner can read, rotated copies too."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return cast(io.TextIOWrapper, os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors))


class _IsoFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def log_folder(app_name: str, folder: Path | None = None) -> Path:
    """FIELDAPP_LOG_DIR if set, else the folder given, else the platform's user log folder for app_name."""
    override = os.environ.get(ENV_FOLDER)
    if override:
        return Path(override)
    return folder if folder is not None else Path(platformdirs.user_log_dir(app_name, appauthor=False))


def configure(app_name: str, folder: Path | None = None, level: int = logging.INFO) -> Path:
    """Send the `fieldapp` loggers to `<folder>/<app_name>.log` (rotating); again with the same file does
    nothing. Returns the file's path."""
    path = log_folder(app_name, folder) / f"{app_name}.log"
    root = logging.getLogger("fieldapp")
    for handler in list(root.handlers):
        if isinstance(handler, _PrivateFile):
            if Path(handler.baseFilename) == path.absolute():
                return path
            root.removeHandler(handler)  # a new folder (tests): the old file is closed
            handler.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _PrivateFile(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(_IsoFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return path


def to_stderr(level: int = logging.INFO) -> None:
    """Send the `fieldapp` loggers to standard error instead, each line naming its process (for a
    service under systemd, whose journal keeps and rotates what several processes write); again does nothing."""
    root = logging.getLogger("fieldapp")
    if any(getattr(handler, "_fieldapp_stderr", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_IsoFormatter("%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"))
    handler._fieldapp_stderr = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def kind_of(exc: BaseException) -> str:
    """An exception as words safe to log: its type, our code or an OS errno, and the types of its causes."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        words = type(current).__qualname__
        for attribute in ("code", "sqlstate"):  # our errors' codes; a database's SQLSTATE
            code = getattr(current, attribute, None)
            if isinstance(code, str) and _CODE.fullmatch(code.lower()):
                words += f" [{code}]"
        if isinstance(current, OSError) and current.errno is not None:
            words += f" [errno {current.errno}]"  # never the file name: it may be an attachment's
        parts.append(words)
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def stack_of(exc: BaseException) -> str:
    """Where it was raised: file, line and function of each frame, without the values of any local."""
    frames = traceback.extract_tb(exc.__traceback__)
    return "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n' for f in frames).rstrip()


def log_failure(logger: logging.Logger, what: str, exc: BaseException, level: int = logging.ERROR) -> None:
    """One line for a failure (what failed and kind_of), then its stack; never str(exc)."""
    logger.log(level, "%s failed: %s\n%s", what, kind_of(exc), stack_of(exc))
