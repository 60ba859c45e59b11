"""The device token and signing key live only inside the encrypted vault: after enrolling, syncing
and a backup, neither appears in any file of the laptop's vault folder (database, WAL, backups,
header) nor of the service's data (which keeps only a hash of the token), unlocked or locked."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from sync_fixtures import Device, Service

from fieldapp import domain
from fieldapp.storage.models import Meta


def _forms(secret: bytes) -> list[bytes]:
    """The secret as it could be written down: raw, hex, base64 and URL-safe base64 at every alignment."""
    found = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * pad + secret)
            found.append(encoded[4 if pad else 0 : -4])
    return found


def _files_holding(secret: bytes, *folders: Path) -> list[str]:
    forms = _forms(secret)
    return [str(p) for folder in folders for p in folder.rglob("*") if p.is_file() and any(f in p.read_bytes() for f in forms)]


def test_the_token_and_signing_key_are_never_in_a_file_in_plaintext(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment, (inspector,) = inprocess_sqlite_service.team()
    laptop = make_device(inprocess_sqlite_service, inspector)
    link = laptop.vault.replication.link()
    assert link is not None
    token = link.token.encode()
    with laptop.vault.transaction("reading the signing key") as session:
        signing_key = session.get(Meta, "device_signing_key").value  # type: ignore[union-attr]
    assert len(signing_key) == 32
    laptop.sync()
    laptop.vault.records.create(assessment, domain.Observation(title="ICB board", notes="Chair opens"))
    laptop.sync()
    laptop.vault.backup("after enrolling")
    service_data = inprocess_sqlite_service.settings.data_dir

    for moment in ("unlocked", "locked"):
        if moment == "locked":
            laptop.vault.lock()
        assert _files_holding(token, laptop.vault.path, service_data) == [], moment
        assert _files_holding(signing_key, laptop.vault.path, service_data) == [], moment


def test_the_scan_finds_a_secret_written_in_any_of_its_forms(tmp_path: Path) -> None:
    secret = b"fa1_" + bytes(range(40))
    for n, form in enumerate(_forms(secret)):
        (tmp_path / f"{n}.bin").write_bytes(b"padding " + form + b" padding")
    assert len(_files_holding(secret, tmp_path)) == len(_forms(secret))
