"""Alembic environment: always run on a connection the service hands over, never from a URL."""

from __future__ import annotations

from alembic import context

from sync.server.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
