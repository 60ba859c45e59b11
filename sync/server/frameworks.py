"""Framework versions the service can send: those shipped with fieldapp, and any an admin published."""

from __future__ import annotations

import functools
import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.errors import FrameworkError
from fieldapp.framework import RESOURCES_DIR, available_frameworks, parse_framework
from fieldapp.ids import iso, utcnow
from sync.server import errors
from sync.server.models import Framework


def shipped_documents() -> dict[str, str]:
    """key -> JSON text of every framework file shipped in resources/framework."""
    found = {}
    for path in sorted((RESOURCES_DIR / "framework").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        found[parse_framework(json.loads(text)).key] = text
    return found


# Built once: every pull lists the keys, and every pushed revision names one.
_PUBLISHED_KEYS = sa.select(Framework.key).order_by(Framework.key)
_PUBLISHED_KEY = sa.select(Framework.key).where(Framework.key == sa.bindparam("key"))


def keys(connection: sa.Connection) -> list[str]:
    shipped = [f.key for f in available_frameworks()]
    published = connection.scalars(_PUBLISHED_KEYS).all()
    return shipped + [k for k in published if k not in shipped]


def known_framework(reader: Session | sa.Connection, key: str) -> bool:
    return key in _shipped_keys() or reader.scalar(_PUBLISHED_KEY, {"key": key}) is not None


@functools.cache
def _shipped_keys() -> frozenset[str]:
    return frozenset(f.key for f in available_frameworks())  # asked for every pushed revision


def document(*, session: Session, key: str) -> str:
    row = session.get(Framework, key)
    if row is not None:
        return row.document
    shipped = shipped_documents()
    if key in shipped:
        return shipped[key]
    raise errors.NotFoundError(f"The service has no framework {key!r}.")


def publish(session: Session, text: str) -> str:
    """Check a framework document strictly, then offer it to every device; returns its key."""
    try:
        framework = parse_framework(json.loads(text))
    except (ValueError, FrameworkError) as exc:
        raise errors.Invalid(f"That is not a usable framework file: {exc}") from None
    if known_framework(session, framework.key):
        raise errors.ConflictError(f"Framework {framework.key} is already published; give a new version a new number.")
    session.add(Framework(key=framework.key, document=text, published_at=iso(utcnow())))
    return framework.key
