"""Alembic environment: always run on a connection the service hands over, never from a URL."""

from __future__ import annotations

from typing import Any

from alembic import context

from sync.server.models import Base

connection = context.config.attributes["connection"]
applied = context.config.attributes.get("applied", [])  # upgrade() returns what it did, to say so


def _record(*, step: Any, **_other: Any) -> None:
    applied.append(step.up_revision_id)


context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True, on_version_apply=_record
)
with context.begin_transaction():
    context.run_migrations()
