"""Alembic migrations of the vault schema, applied on unlock after an encrypted backup."""
