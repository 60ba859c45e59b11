"""Engines for SQLite (the embedded default) and PostgreSQL, and the few places their SQL differs."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Rows of transactions at or above this id may still be committing; SQLite has one writer at a
# time, so its rows commit in seq order and every committed row is below the horizon.
SQLITE_HORIZON = 1 << 62


def create_engine(url: str) -> Engine:
    """An engine with durable writes: SQLite in WAL with synchronous=FULL; PostgreSQL as configured."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it otherwise).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
    finally:
        cursor.close()


def _begin_immediate(connection: sa.Connection) -> None:
    # Writers take the write lock at BEGIN: a deferred transaction that reads and then writes can
    # fail with "database is locked" at once when another writer got in between, busy_timeout or
    # not. Readers begin deferred, so under WAL they never wait for a writer.
    writing = connection.get_execution_options().get("writer", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


class WriteTurn:
    """SQLite's writers, one at a time and in turn: threads of this process queue on a lock, and
    processes (serve --workers N) on an flock of a file beside the database. SQLite would make
    them wait in its busy handler, which sleeps in coarse, unfair steps (1, 2, 5 … 100 ms) and
    left some pushes waiting over a second while others went first."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}-writer.lock" if database and database != ":memory:" else None

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._path is None:
            return
        try:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            self._threads.release()
            raise
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # waits in the kernel, without the GIL
        except OSError:
            os.close(self._fd)
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._path is not None:
                os.close(self._fd)  # closing drops the flock
        finally:
            self._threads.release()


def write_turn(engine: Engine) -> WriteTurn | contextlib.nullcontext[None]:
    """What a writer holds around its transaction: PostgreSQL needs nothing."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return WriteTurn(engine.url.database)


def writer(engine: Engine) -> Engine:
    """The same engine, for transactions that write (BEGIN IMMEDIATE on SQLite)."""
    return engine.execution_options(writer=True)


def is_postgres(connection: sa.Connection) -> bool:
    return connection.dialect.name == "postgresql"


def current_xid(connection: sa.Connection) -> int:
    """This transaction's id (PostgreSQL) or 0 (SQLite): stored with every row the feed serves."""
    if is_postgres(connection):
        return int(connection.exec_driver_sql("SELECT pg_current_xact_id()::text::bigint").scalar_one())
    return 0


_NAMED_LOCKS = 0x6669656C  # the first of PostgreSQL's two advisory lock keys: "fiel", locks on named things


def lock_names(connection: sa.Connection, names: Iterable[str]) -> None:
    """Hold a lock on each name until this transaction ends (PostgreSQL; SQLite's writers take turns
    anyway), taken in one order so two transactions never wait on each other. Two pushes that would
    each make the same thing first (a rating snapshot's one revision) then check it in turn."""
    if not is_postgres(connection):
        return
    for name in sorted(set(names)):
        connection.execute(_LOCK_NAME, {"space": _NAMED_LOCKS, "name": name})


_LOCK_NAME = sa.text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:name))")


def visibility_horizon(connection: sa.Connection) -> int:
    """Rows with xid below this are all committed (or rolled back) and no new one can appear there."""
    if is_postgres(connection):
        return int(connection.exec_driver_sql("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").scalar_one())
    return SQLITE_HORIZON


def insert_ignore(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert rows, skipping any whose key is already there (stores each thing once, race or not)."""
    connection.execute(_insert_ignoring(is_postgres(connection), table, tuple(keys)), rows)


@functools.cache
def _insert_ignoring(postgres: bool, table: sa.Table, keys: tuple[str, ...]) -> sa.Insert:
    # One statement per table and dialect, built once: SQLAlchemy keeps a statement's cache key on
    # the object, so a push only binds its rows.
    if postgres:
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=list(keys))
