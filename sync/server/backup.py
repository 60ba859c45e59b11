"""A backup of the service's data to a folder, and its restore: the database (SQLite's online backup,
or pg_dump's custom format for PostgreSQL), then the whole attachments of the blob folder. The
database is copied first so every attachment it names is already whole in the folder when the
folder is copied after it. A restored database gets a new instance id: laptops that see it send
again what they had sent since the backup."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from fieldapp.version import app_version
from sync.server import db, errors, instance, migrations
from sync.server.models import ServiceInstance
from sync.server.settings import Settings

MANIFEST = "fieldapp-backup.json"
_SQLITE_FILE, _PG_FILE, _BLOBS = "service.db", "service.pgdump", "objects"


@dataclass(frozen=True)
class BackupInfo:
    folder: str
    database: str  # "sqlite" or "postgresql"
    attachments: int  # whole attachments copied (none when they live in an object store)
    made_at: str


def backup(settings: Settings, to: Path) -> BackupInfo:
    """Copy the service's data into `to`, a new or empty folder, while the service runs."""
    if to.exists() and any(to.iterdir()):
        raise errors.Invalid(f"{to} is not empty: back up into a new folder, so no older backup is mixed in.")
    to.mkdir(mode=0o700, parents=True, exist_ok=True)
    kind = _database_kind(settings)
    if kind == "sqlite":
        _sqlite_copy(_sqlite_path(settings), to / _SQLITE_FILE)
    else:
        _pg_tool(settings, "pg_dump", "--format=custom", "--no-owner", f"--schema={_pg_schema(settings)}", f"--file={to / _PG_FILE}")
    # After the database: whatever it names was whole before it was copied, so it is in the folder now.
    count = 0 if settings.s3 else _copy_objects(settings.blobs_dir / _BLOBS, to / _BLOBS)
    info = BackupInfo(str(to), kind, count, datetime.now(UTC).isoformat(timespec="seconds"))
    (to / MANIFEST).write_text(json.dumps({**info.__dict__, "version": app_version()}, indent=2) + "\n", encoding="utf-8")
    return info


def restore(settings: Settings, source: Path) -> BackupInfo:
    """Put a backup from `source` in place of the service's data; the service must be stopped."""
    try:
        made = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise errors.Invalid(f"{source} is not a fieldapp-server backup: it has no readable {MANIFEST}.") from None
    kind = _database_kind(settings)
    if made.get("database") != kind:
        raise errors.Invalid(f"{source} holds a {made.get('database')} database; this service uses {kind}.")
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if kind == "sqlite":
        target = _sqlite_path(settings)
        for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)  # a WAL of the database replaced would be replayed onto the restored one
        _sqlite_copy(source / _SQLITE_FILE, target)
    else:
        _pg_tool(settings, "pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error", str(source / _PG_FILE))
    count = 0 if settings.s3 else _copy_objects(source / _BLOBS, settings.blobs_dir / _BLOBS)
    _renew_instance(settings)
    return BackupInfo(str(source), kind, count, made.get("made_at", ""))


def _renew_instance(settings: Settings) -> None:
    """A new instance id in the restored database: the laptops' sign that the service lacks what came
    after the backup. A backup from before the database kept the id (schema 0010) is first brought up
    to this release's schema, as `migrate` would do next: left without an id, it would take the first
    starting host's old `instance-id` file, the very id its laptops knew before."""
    engine = db.create_engine(settings.url)
    try:
        if not sa.inspect(engine).has_table(ServiceInstance.__tablename__):
            migrations.upgrade(engine)
        with db.writer(engine).begin() as connection:
            instance.renewed(connection)
    finally:
        engine.dispose()


def _database_kind(settings: Settings) -> str:
    backend = make_url(settings.url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise errors.Invalid(f"Backups know SQLite and PostgreSQL, not {backend}.")
    return backend


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.url).database or "")


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the service writes, WAL included."""
    if not source.exists():
        raise errors.Invalid(f"There is no database at {source} to copy.")
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reading.backup(writing)
    finally:
        reading.close()
        writing.close()
    target.chmod(0o600)


def _copy_objects(source: Path, target: Path) -> int:
    """The whole attachments (never part-uploads, which laptops send again); each folder is complete
    once it exists, since the service renames it into place whole. Returns how many."""
    if not source.is_dir():
        return 0
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=shutil.copy2)
    return sum(1 for prefix in target.iterdir() for _ in prefix.iterdir())


def _pg_schema(settings: Settings) -> str:
    engine = sa.create_engine(settings.url)
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SELECT current_schema()").scalar_one())
    finally:
        engine.dispose()


def _pg_tool(settings: Settings, tool: str, *args: str) -> None:
    """pg_dump or pg_restore against the service's database; its password goes in the environment,
    never on a command line that other users can list."""
    url = make_url(settings.url)
    password = url.password
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    target = ["--dbname", plain]
    try:
        done = subprocess.run([tool, *target, *args], env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise errors.Invalid(f"{tool} is not installed: on Debian, apt install postgresql-client.") from None
    if done.returncode != 0:
        raise errors.Invalid(f"{tool} failed: {done.stderr.strip()[-500:]}")
