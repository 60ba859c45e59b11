"""The service's instance id: a random id kept in its database (`service_instance`), which the status
and pull answers carry. Laptops that see it change send again what they had sent, since a restored
service lacks what came after its backup: so every host and worker on one database tells the same id,
and only `admin restore` renews it."""

from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa

from fieldapp.ids import iso, utcnow
from sync.server import db
from sync.server.models import ServiceInstance

# Where a service from before schema 0010 kept its id, in its data folder. Read only while the
# database holds no id, so an upgraded service keeps the id its laptops know; never read after.
INSTANCE_FILE = "instance-id"
_SLOT = 1  # the one row
_HELD = sa.select(ServiceInstance.instance_id).where(ServiceInstance.slot == _SLOT)


def read(connection: sa.Connection) -> str | None:
    """The id the database holds; None before the first service on it started."""
    return connection.execute(_HELD).scalar_one_or_none()


def made(connection: sa.Connection, data_dir: Path) -> str:
    """The id the database holds, made if it holds none: the data folder's old `instance-id` if it has
    one, else a new random id. Two processes starting at once each offer theirs; the first stored wins,
    and both read it back."""
    found = read(connection)
    if found is not None:
        return found
    offered = _from_file(data_dir) or _new_id()
    db.insert_ignore(connection, ServiceInstance.__table__, [{"slot": _SLOT, "instance_id": offered, "made_at": iso(utcnow())}], ["slot"])
    return connection.execute(_HELD).scalar_one()  # ours, or the one a racing process committed first


def renewed(connection: sa.Connection) -> str:
    """A new random id in place of any held: laptops take it as the sign of a restored service."""
    fresh = _new_id()
    connection.execute(sa.delete(ServiceInstance))
    connection.execute(sa.insert(ServiceInstance).values(slot=_SLOT, instance_id=fresh, made_at=iso(utcnow())))
    return fresh


def _new_id() -> str:
    return secrets.token_hex(16)


def _from_file(data_dir: Path) -> str | None:
    try:
        text = (data_dir / INSTANCE_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if 0 < len(text) <= 64 else None
