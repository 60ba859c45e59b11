"""What a laptop does once the service has said its access was revoked: wipe the vault, then tell the
service once that it did, with the token still held in memory. The service's record is the wipe's
audit: the vault's own went with it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests.adapters

from fieldapp.errors import VaultLocked
from fieldapp.replication.exchange import ServiceLink
from fieldapp.storage.wipe import Progress
from fieldapp.vault import Vault
from sync.client.api import ServiceApi
from sync.client.errors import SyncError
from sync.client.transport import HttpTransport, RetryPolicy

log = logging.getLogger("fieldapp.sync")  # ids and counts only


@dataclass(frozen=True)
class WipeOutcome:
    files: int  # files removed from the disk
    unsynced: int | None  # changes that were not on the service yet, so are gone (None: not known, the vault was locked)
    confirmed_at: str | None  # when the service recorded the wipe; None: it could not be told


def wipe_after_revocation(
    vault: Vault, progress: Progress | None = None, *, adapter: requests.adapters.BaseAdapter | None = None
) -> WipeOutcome:
    """Wipe the vault (keys first), then confirm it to the service it was linked to. Call only on
    DeviceRevoked, which only the service's own answer to an authenticated request raises."""
    link, unsynced = _last_words(vault)
    files = vault.wipe(progress)
    confirmed = _confirm(link, adapter) if link is not None else None
    log.info("vault wiped after revocation: %d files removed; wipe confirmed to the service: %s", files, confirmed is not None)
    return WipeOutcome(files, unsynced, confirmed)


def _last_words(vault: Vault) -> tuple[ServiceLink | None, int | None]:
    """The link (with its token) and the count of changes not yet synced, read while the keys are
    still there; a vault locked already gives neither, and is wiped all the same."""
    try:
        status = vault.replication.status()
        return vault.replication.link(), status.waiting + status.unsaved
    except VaultLocked:
        return None, None


def _confirm(link: ServiceLink, adapter: requests.adapters.BaseAdapter | None) -> str | None:
    transport = HttpTransport(link.url, ca_bundle=link.ca_bundle or None, adapter=adapter, retry=RetryPolicy(attempts=3))
    try:
        return ServiceApi(transport, link.token).confirm_wiped().wiped_at
    except SyncError as exc:
        log.warning("the service could not be told of the wipe: %s", type(exc).__name__)
        return None
    finally:
        transport.close()
