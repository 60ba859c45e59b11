"""Crash reports beside the logs, and the diagnostics text support asks for.

A report says what crashed and where (the exception's type and code, its stack as file, line and
function; or faulthandler's dump of a hard crash), with the version, the platform and the time.
Never a message or a local's value: even our own messages quote what the inspector typed (a date
read from typed words, an attachment's file name), so a report holds the types and codes only.
"""

from __future__ import annotations

import atexit
import faulthandler
import itertools
import logging
import os
import platform
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from fieldapp.logs import kind_of, log_failure, stack_of
from fieldapp.version import app_version

log = logging.getLogger("fieldapp.crash")

PENDING, SEEN = ".txt", ".txt.seen"  # crash-<time>-<pid>.txt, renamed to crash-<time>-<pid>.txt.seen once offered
_FAULTS = "faults-"  # faults-<time>-<pid>.txt: this run's faulthandler file, removed at a clean exit
_HARD = "Fatal Python error"  # how faulthandler's dump starts
KEEP_SEEN = 20  # reports already offered that stay for Help → Copy diagnostics
SHOWN_IN_DIAGNOSTICS = 3  # the newest reports that go into the diagnostics text
LOG_LINES = 200
KEEP_UNFINISHED = 10  # faulthandler files without a dump: runs still going, or switched off at the wall
MAX_PER_RUN = 10  # an exception at every repaint must not fill the disk: the log (rotating) still has each
_serial = itertools.count()  # this run's reports, in order
_reported = itertools.count()  # this run's uncaught exceptions
_folder: Path | None = None  # where install() sends reports


def _stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%SZ")


def _private_file(path: Path) -> IO[str]:
    """A new file only its owner can read (never an existing one: it might be someone else's link)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8")


def _header(when: datetime, what: str) -> str:
    return (
        f"fieldapp {app_version()}\nPlatform: {platform.platform()}\nPython: {platform.python_version()}\n"
        f"{what}: {when.isoformat(timespec='seconds')}\n"
    )


def write_report(folder: Path, exc: BaseException, where: str) -> Path:
    """A report of an uncaught exception (where: "in thread MainThread"): its type
    and code and its stack, never its message. Returns the file's path."""
    when = datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{_stamp(when)}-{os.getpid()}-{next(_serial):04d}{PENDING}"
    with _private_file(path) as out:
        out.write(f"{_header(when, 'Crashed')}\nUncaught exception {where}: {kind_of(exc)}\n{stack_of(exc)}\n")
    return path


def pending_reports(folder: Path) -> list[Path]:
    """Reports not offered yet, oldest first (hard crashes of earlier runs included, once collected)."""
    return sorted(folder.glob(f"crash-*{PENDING}"))


def mark_seen(reports: Sequence[Path]) -> None:
    """Rename offered reports so the next start does not offer them again; the oldest seen ones go."""
    for report in reports:
        report.replace(report.with_name(report.name.removesuffix(PENDING) + SEEN))
    if reports:
        for old in sorted(reports[0].parent.glob(f"crash-*{SEEN}"))[:-KEEP_SEEN]:
            old.unlink(missing_ok=True)


def collect_hard_crashes(folder: Path) -> list[Path]:
    """Turn the faulthandler files of earlier runs that crashed into pending reports. A file without a
    dump belongs to a run still going (or one switched off at the wall): the newest few stay."""
    found = []
    for faults in sorted(folder.glob(f"{_FAULTS}*.txt")):
        try:
            text = faults.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _HARD not in text:
            continue
        when = datetime.fromtimestamp(faults.stat().st_mtime, UTC)
        with faults.open("a", encoding="utf-8") as out:
            out.write(f"Crashed: {when.isoformat(timespec='seconds')}\n")
        report = folder / f"crash-{_stamp(when)}-{faults.stem.rsplit('-', 1)[-1]}-hard{PENDING}"
        faults.replace(report)
        found.append(report)
    for stale in sorted(folder.glob(f"{_FAULTS}*.txt"))[:-KEEP_UNFINISHED]:
        stale.unlink(missing_ok=True)
    return found


def install(folder: Path) -> None:
    """Report every uncaught exception (main thread, Qt slots, threads) and, through faulthandler, a
    hard crash of this process, into folder; the faulthandler file goes again at a clean exit."""
    folder.mkdir(parents=True, exist_ok=True)
    global _folder
    _folder = folder
    sys.excepthook = _on_uncaught
    threading.excepthook = _on_uncaught_in_thread
    when = datetime.now(UTC)
    path = folder / f"{_FAULTS}{_stamp(when)}-{os.getpid()}.txt"
    faults = _private_file(path)
    faults.write(f"{_header(when, 'Started')}\nHard crash:\n")
    faults.flush()
    faulthandler.enable(faults, all_threads=True)  # it writes stacks only: file, line, function
    atexit.register(_close_faults, faults, path)



def report_uncaught(exc: BaseException, where: str) -> None:
    """Log it, write its report if install() was called, and say so on the terminal."""
    log_failure(log, f"uncaught exception {where}", exc, logging.CRITICAL)
    path = write_report(_folder, exc, where) if _folder is not None and next(_reported) < MAX_PER_RUN else None
    # Instead of Python's own traceback on the terminal, which quotes the message: the same safe words.
    print(f"fieldapp: uncaught exception {where}: {kind_of(exc)}; report: {path}\n{stack_of(exc)}", file=sys.stderr)


def _on_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):  # Ctrl+C in the terminal is no crash
        sys.__excepthook__(kind, exc, tb)
        return
    # Qt slots come here too (PySide6 hands their exceptions to sys.excepthook), usually on the main thread.
    report_uncaught(exc.with_traceback(tb), f"in thread {threading.current_thread().name}")


def _on_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        name = args.thread.name if args.thread is not None else "unknown"  # our threads' names, never evidence
        report_uncaught(args.exc_value.with_traceback(args.exc_traceback), f"in thread {name}")


def _close_faults(faults: IO[str], path: Path) -> None:
    faulthandler.disable()
    faults.close()
    path.unlink(missing_ok=True)


def diagnostics_text(folder: Path, log_file: Path, versions: Mapping[str, str]) -> str:
    """What "Copy diagnostics" copies: versions (ours, and those the caller adds: framework, Qt), the
    platform, the newest crash reports, and the last lines of the log; no evidence, as neither holds any."""
    reports = sorted([*folder.glob(f"crash-*{PENDING}"), *folder.glob(f"crash-*{SEEN}")], key=lambda p: p.name)
    lines = [f"fieldapp {app_version()}", *(f"{name}: {value}" for name, value in versions.items()),
             f"Platform: {platform.platform()}", f"Python: {platform.python_version()}",
             f"Copied: {datetime.now(UTC).isoformat(timespec='seconds')}", ""]  # fmt: skip
    if not reports:
        lines += ["No crash reports.", ""]
    for report in reports[-SHOWN_IN_DIAGNOSTICS:][::-1]:
        lines += [f"== Crash report {report.name} ==", report.read_text(encoding="utf-8", errors="replace").rstrip(), ""]
    lines += [f"== The last {LOG_LINES} lines of {log_file.name} ==", *_last_lines(log_file, LOG_LINES)]
    return "\n".join(lines) + "\n"


def _last_lines(log_file: Path, count: int) -> list[str]:
    """The last count lines of the log, reaching into the newest rotated copy when the current is short."""
    lines: list[str] = []
    for path in (log_file, log_file.with_name(log_file.name + ".1")):
        if len(lines) >= count:
            break
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines() + lines
        except FileNotFoundError:
            continue
    return lines[-count:] if lines else ["(no log yet)"]
