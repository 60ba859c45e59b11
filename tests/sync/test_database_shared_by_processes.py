"""The embedded service's SQLite database, open in the service and in another process at once (the
admin command beside a running service): each sees what the other commits.

A service once opened and closed its database file at start while the same process already had
it open (migrated first): that dropped the process's locks, the admin command's exit deleted the
WAL under the service, and from then on neither saw the other's writes (an enrolment code made
by the admin was "not valid" to the service)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from sync.server import db, migrations
from sync.server.models import Inspector
from sync.server.service import Service
from sync.server.settings import Settings

_ADD_INSPECTOR = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("INSERT INTO inspectors (id, name, may_create_assessments, created_at) VALUES ('from-elsewhere', 'Added elsewhere', 0, '2026-12-07T09:00:00Z')")
connection.commit()
connection.close()
"""


def test_a_service_whose_database_was_already_open_in_its_process_sees_another_processs_writes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "service")
    settings.data_dir.mkdir()
    migrating = db.create_engine(settings.url)
    migrations.upgrade(migrating)  # as `serve` does before its workers start: the file is open in this process
    with migrating.connect() as held:
        held.exec_driver_sql("SELECT 1").all()
        service = Service(settings)
        try:
            database = settings.data_dir / "service.db"
            subprocess.run([sys.executable, "-c", _ADD_INSPECTOR, str(database)], check=True)
            assert Path(f"{database}-wal").exists()  # the other process's exit left the WAL this one uses
            with service.reading_rows() as connection:
                names = connection.execute(sa.select(Inspector.name)).scalars().all()
            assert names == ["Added elsewhere"]
        finally:
            service.engine.dispose()
    migrating.dispose()
