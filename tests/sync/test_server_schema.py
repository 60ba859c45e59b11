"""The service's schema: its migrations build exactly the models, on SQLite and on PostgreSQL,
and the service starts on a database migrated before (no second migration, nothing lost)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session
from sync_fixtures import postgres_schema

from fieldapp.framework import default_framework
from sync.server import admin, audit_log, db, migrations, office, sealing
from sync.server.models import Base
from sync.server.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
    else:
        with postgres_schema() as url:
            yield url


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = db.create_engine(database_url)
    migrations.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrating_again_changes_nothing_and_keeps_what_is_stored(database_url: str) -> None:
    engine = db.create_engine(database_url)
    migrations.upgrade(engine)
    with Session(db.writer(engine)) as session, session.begin():
        admin.create_inspector(session, "Inspector A")
    migrations.upgrade(engine)
    with Session(engine) as session:
        assert [i.name for i in admin.list_inspectors(session)] == ["Inspector A"]
        assert session.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0010"
    engine.dispose()


def test_a_service_made_before_concerns_upgrades_keeping_its_assessments_and_lists_no_concern(database_url: str, tmp_path: Path) -> None:
    engine = sealing.engine_for(Settings(data_dir=tmp_path, database_url=database_url))  # concerns' words open with its key
    migrations.upgrade(engine, "0002")
    made = "0190a5f0-0000-7000-8000-000000000001"
    with Session(db.writer(engine)) as session, session.begin():  # as 0002 knew assessments: no retention period yet
        session.execute(
            sa.text("INSERT INTO assessments (id, name, framework_key, created_at) VALUES (:id, 'Northshire ICS', :framework, '2026-12-01T00:00:00Z')"),
            {"id": made, "framework": default_framework().key},
        )
    migrations.upgrade(engine)
    with Session(db.writer(engine)) as session, session.begin():
        assert [a.id for a in admin.list_assessments(session)] == [made]
        assert admin.list_concerns(session, include_acknowledged=True) == []
        assert session.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0010"
    engine.dispose()


def test_a_service_made_before_office_tokens_upgrades_keeping_its_inspectors_with_no_office_token(database_url: str) -> None:
    engine = db.create_engine(database_url)
    migrations.upgrade(engine, "0004")
    with Session(db.writer(engine)) as session, session.begin():
        admin.create_inspector(session, "Inspector A")
    migrations.upgrade(engine)
    with Session(db.writer(engine)) as session, session.begin():
        assert [i.name for i in admin.list_inspectors(session)] == ["Inspector A"]
        assert office.list_tokens(session) == []
        made = office.create_token(session, "Safeguarding desk")[0]
        assert [t.id for t in office.list_tokens(session)] == [made.id]
    engine.dispose()


def test_a_service_made_before_audit_logs_upgrades_keeping_its_devices_and_lists_no_entry(database_url: str) -> None:
    engine = db.create_engine(database_url)
    migrations.upgrade(engine, "0006")
    with Session(db.writer(engine)) as session, session.begin():
        inspector = admin.create_inspector(session, "Inspector A")
    migrations.upgrade(engine)
    with Session(db.writer(engine)) as session, session.begin():
        assert [i.id for i in admin.list_inspectors(session)] == [inspector.id]
        assert audit_log.list_entries(session) == []
    engine.dispose()
