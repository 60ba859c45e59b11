"""Enrolling a vault with a service: its device key for a token, kept inside the encrypted vault."""

from __future__ import annotations

import platform

import requests.adapters

from fieldapp.replication.exchange import ServiceLink
from fieldapp.vault import Vault
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.errors import ServiceFault
from sync.client.transport import HttpTransport


def enrol(
    vault: Vault, url: str, code: str, *, ca_bundle: str | None = None, label: str = "",
    adapter: requests.adapters.BaseAdapter | None = None,
) -> ServiceLink:  # fmt: skip
    """Spend a one-time code from the service's administrator; the vault remembers the link.
    `adapter` carries the requests instead of a socket (see HttpTransport)."""
    transport = HttpTransport(url, ca_bundle=ca_bundle, adapter=adapter)
    try:
        api = ServiceApi(transport)
        status = api.status()
        if status.protocol != protocol.PROTOCOL_VERSION:
            raise ServiceFault(f"The service speaks sync protocol {status.protocol}; this app speaks {protocol.PROTOCOL_VERSION}. Update the app.")
        device_id, public_key, proof = vault.replication.enrolment(code)
        answer = api.enrol(code, device_id, public_key, proof, label or platform.node() or "laptop")
    finally:
        transport.close()
    link = ServiceLink(
        url=transport.base_url, token=answer.token, inspector_id=answer.inspector.id,
        inspector_name=answer.inspector.name, ca_bundle=ca_bundle or "",
    )  # fmt: skip
    vault.replication.set_link(link)
    return link
