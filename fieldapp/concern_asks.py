"""Whether the app already asked "does this describe poor experience of care?" about a tag (issue 15):
it asks once per link, so the answer is kept in the vault (encrypted with it), by link id only."""

from __future__ import annotations

from fieldapp.context import VaultContext
from fieldapp.storage.models import Meta

_PREFIX = "concern_asked."  # + a link id: the ask about that tag was shown


class ConcernAsks:
    def __init__(self, context: VaultContext) -> None:
        self._context = context

    def asked(self, link_id: str) -> bool:
        with self._context.transaction("reading whether a tag was asked about") as session:
            return session.get(Meta, _PREFIX + link_id) is not None

    def ask_once(self, link_id: str) -> bool:
        """True the first time for a link (the app asks now, and never again about it); False after."""
        with self._context.transaction("keeping that a tag was asked about") as session:
            if session.get(Meta, _PREFIX + link_id) is not None:
                return False
            session.add(Meta(key=_PREFIX + link_id, value=b"1"))
            return True
