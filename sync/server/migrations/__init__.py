"""The service's schema migrations (Alembic, date-prefixed files in versions/): applied by
`fieldapp-server migrate`, and at start only by the embedded default (see `ready`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sync.server import db, errors

HERE = Path(__file__).resolve().parent
_LOCK_ID = 0x6669656C64  # "field": one PostgreSQL advisory lock, so workers starting together migrate once
BEHIND = "The service's database is at schema {at}, behind this release's {head}: run `fieldapp-server migrate` first."


def _config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def head() -> str:
    """The newest schema this release knows."""
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(_config()).get_current_head()
    assert newest is not None  # there is always a first migration
    return newest


def current(engine: Engine) -> str | None:
    """The schema the database is at; None for an empty database."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> list[str]:
    """Apply the migrations up to target; returns the revisions applied, oldest first (none: up to date)."""
    from alembic import command

    config = _config()
    applied: list[str] = []
    config.attributes["applied"] = applied
    with db.writer(engine).begin() as connection:
        if db.is_postgres(connection):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    return applied


def ready(engine: Engine, *, embedded: bool) -> None:
    """Make sure the schema is this release's before serving or administering. The embedded default
    (SQLite in the data folder: one user's laptop, whose only administrator is the app or dev.sh)
    migrates itself; any other database is migrated only by `fieldapp-server migrate`, when its
    administrator chooses (after a backup, with every worker of the old release stopped)."""
    if embedded:
        upgrade(engine)
        return
    at, newest = current(engine), head()
    if at != newest:
        raise errors.SchemaBehind(BEHIND.format(at=at or "none (an empty database)", head=newest))
