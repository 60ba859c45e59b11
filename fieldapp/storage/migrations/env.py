"""Alembic environment: always run on the vault's own keyed connection, never from a URL."""

from __future__ import annotations

from alembic import context

from fieldapp.storage.migrate import include_name
from fieldapp.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name
)
with context.begin_transaction():
    context.run_migrations()
