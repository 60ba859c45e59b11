"""The office on the network (issue 15): office tokens, which the administrator makes, lists and
revokes and every office request is checked against; and the office's list of concerns on the wire,
built from the same functions the admin CLI calls, so that both say the same thing."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.ids import iso, utcnow, uuid7
from sync import protocol
from sync.server import admin, errors, identity, sealing
from sync.server.models import OfficeToken

TOKEN_PREFIX = "fao1_"  # an office token says so: a device's starts "fa1_"
PATH_PREFIX = f"{protocol.API}/office/"  # the routes an office token opens, and the only ones
_LAST_USED_EVERY = timedelta(minutes=1)  # "last used" is written at most this often: a read is no write


@dataclass(frozen=True)
class OfficeCaller:
    """A signed-in office token: who holds it (its name) and when it was last used."""

    token_id: str
    name: str
    last_used_at: str | None


@dataclass(frozen=True)
class OfficeTokenInfo:
    """An office token as the administrator sees it: never the token, which is kept nowhere."""

    id: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


def create_token(session: Session, name: str) -> tuple[OfficeTokenInfo, str]:
    """A new office token for `name` (who holds it); returns it with the token, which is shown this once."""
    name = " ".join(name.split())
    if not name or len(name) > 300:
        raise errors.Invalid("Name the office token for who holds it, e.g. --name \"Safeguarding desk\" (at most 300 characters).")
    token = identity.new_token(TOKEN_PREFIX)
    row = OfficeToken(id=uuid7(), name=name, token_hash=identity.token_hash(token), created_at=iso(utcnow()))
    session.add(row)
    session.flush()
    return _info(row), token


def list_tokens(session: Session) -> list[OfficeTokenInfo]:
    return [_info(row) for row in session.scalars(sa.select(OfficeToken).order_by(OfficeToken.created_at, OfficeToken.id))]


def revoke_token(session: Session, token_id: str) -> OfficeTokenInfo:
    """The token stops working at once (every request reads it afresh); what it acknowledged stays."""
    row = session.get(OfficeToken, token_id)
    if row is None:
        raise errors.NotFoundError(f"No office token with id {token_id[:80]}: `fieldapp-server admin office-token list` lists them.")
    if row.revoked_at is None:
        row.revoked_at = iso(utcnow())
    session.flush()
    return _info(row)


def _info(row: OfficeToken) -> OfficeTokenInfo:
    return OfficeTokenInfo(row.id, row.name, row.created_at, row.last_used_at, row.revoked_at)


_TOKEN_ROW = sa.select(OfficeToken.id, OfficeToken.name, OfficeToken.token_hash, OfficeToken.last_used_at, OfficeToken.revoked_at).where(
    OfficeToken.token_hash == sa.bindparam("token_hash")
)


def authenticate(connection: sa.Connection, authorization: str | None) -> OfficeCaller:
    """The office token a bearer header names, read afresh every time (a revocation holds at once).
    Only office tokens are looked at: a device's token is as unknown here as a made-up one."""
    presented = identity.token_hash(identity.bearer(authorization, missing=errors.NO_OFFICE_TOKEN))
    row = connection.execute(_TOKEN_ROW, {"token_hash": presented}).first()
    # Found by its hash's unique index, as a device's token is (the hash of a 256-bit random token
    # tells a timer nothing); the stored hash is then compared in constant time, so no comparison
    # of ours stops early on a secret's bytes.
    if row is None or not hmac.compare_digest(bytes(row.token_hash), presented):
        raise errors.Unauthenticated(errors.BAD_OFFICE_TOKEN)
    if row.revoked_at is not None:
        raise errors.Unauthenticated(errors.OFFICE_REVOKED, code=protocol.E_OFFICE_REVOKED)
    return OfficeCaller(row.id, row.name, row.last_used_at)


def last_used_is_due(caller: OfficeCaller, now: datetime) -> bool:
    """Whether to write the token's "last used" now: once a minute at most."""
    return caller.last_used_at is None or caller.last_used_at < iso(now - _LAST_USED_EVERY)


def mark_used(connection: sa.Connection, caller: OfficeCaller, now: datetime) -> None:
    connection.execute(sa.update(OfficeToken).where(OfficeToken.id == caller.token_id).values(last_used_at=iso(now)))


# -- the office's concerns, as the wire carries them ----------------------------------------------------


# One answer of the list is a page: a few hundred concerns, and at most so many characters of what was
# heard, who else should know and the office's notes together. Any device of any team may raise as many
# concerns as it likes, each as long as a concern may be; unpaged, one such device would make the
# office's whole list a 500 (past MAX_OFFICE_CONCERNS) or an answer of gigabytes, for every team.
PAGE_CONCERNS = 500
PAGE_CHARS = 8_000_000


def concerns(session: Session, *, include_acknowledged: bool = False, after: str | None = None) -> protocol.OfficeConcerns:
    """A page of the open concerns across every team (all with include_acknowledged), most urgent
    first, then oldest; `after` a concern's id, the page after it. `next` names where the next page
    starts (None: this was the last)."""
    place = admin.place_of(session, after) if after is not None else None
    query = admin.concerns_in_order(include_acknowledged, after=place).limit(PAGE_CONCERNS + 1)
    page: list[protocol.OfficeConcern] = []
    chars = 0
    seals = sealing.of(session.connection())
    for row, name in session.execute(query.execution_options(yield_per=20)):
        info = admin.concern_info(seals, row, name)
        chars += len(info.heard) + len(info.tell) + len(info.acknowledgement_note or "")
        if len(page) == PAGE_CONCERNS or (page and chars > PAGE_CHARS):
            return protocol.OfficeConcerns(concerns=page, next=page[-1].id)
        page.append(_wire(info))
        session.expunge(row)  # read once: a page's text is not held twice
    return protocol.OfficeConcerns(concerns=page)


def concern(session: Session, concern_id: str) -> protocol.OfficeConcern:
    return _wire(admin.get_concern(session, concern_id))


def acknowledge(session: Session, caller: OfficeCaller, concern_id: str, body: protocol.Acknowledgement) -> protocol.OfficeConcern:
    """The office acknowledges a concern, as `admin concern acknowledge` does: by the name given, else
    the token's. The team's laptops learn it at their next pull."""
    return _wire(admin.acknowledge_concern(session, concern_id, body.note, by=body.by or caller.name))


def _wire(info: admin.ConcernInfo) -> protocol.OfficeConcern:
    return protocol.OfficeConcern(**admin.as_dict(info))
