"""The service's schema migrations (Alembic, date-prefixed files in versions/), applied at start."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from sync.server import db

HERE = Path(__file__).resolve().parent
_LOCK_ID = 0x6669656C64  # "field": one PostgreSQL advisory lock, so workers starting together migrate once


def upgrade(engine: Engine, target: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    with db.writer(engine).begin() as connection:
        if db.is_postgres(connection):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        config.attributes["connection"] = connection
        command.upgrade(config, target)
