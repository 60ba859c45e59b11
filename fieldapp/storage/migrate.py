"""The vault's schema version: read it, refuse a newer one untouched, and upgrade an older one."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from fieldapp.errors import VaultTooNew

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# In step with migrations/versions (a test checks it), so that unlocking need not load Alembic.
KNOWN = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0013", "0014", "0015")  # 0011, 0013: issue 15; 0014, 0015: issue 16
HEAD = KNOWN[-1]


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Leave the FTS5 index and its shadow tables out of schema comparisons: SQLite owns them."""
    return not (type_ == "table" and (name or "").startswith("record_fts"))


def current_revision(connection: sa.Connection) -> str | None:
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).first()
    if exists is None:
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def check_known(revision: str | None) -> None:
    if revision is not None and revision not in KNOWN:
        raise VaultTooNew(
            f"This vault was written by a newer version of fieldapp (schema {revision}). "
            "Update fieldapp to open it; the vault has not been changed."
        )


def upgrade(connection: sa.Connection, target: str = "head") -> None:
    """Apply migrations on this (already keyed) connection."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, target)
