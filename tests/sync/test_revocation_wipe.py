"""Revocation reaches the laptop: the administrator revokes it with the real admin CLI, its next sync
hears so from the service, the vault and its backups are wiped and the service records the wipe.
Only the service's own answer to an authenticated request wipes: never a network error, a 5xx, an
unknown token or a proxy's page. And the wipe route opens to a revoked device's token alone."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from listener import listening, send_answer
from sync_fixtures import Device, RawDevice, Service, admin_cli, free_port, raw_device, refused
from vault_fixtures import every_file, secrets_of

from fieldapp import domain
from fieldapp.errors import FieldappError
from fieldapp.replication.exchange import ServiceLink
from fieldapp.vault import Vault
from sync import protocol
from sync.server import errors
from sync.client.enrolment import enrol
from sync.client.errors import DeviceRevoked, NotEnrolled, ServiceFault, ServiceRefused, ServiceUnreachable
from sync.client.revocation import wipe_after_revocation

WIPE = {protocol.FEATURES_HEADER: protocol.F_WIPE}


def revoked_laptop(service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]) -> tuple[str, Device]:
    """A laptop that synced a record, then made one more the service never got, then was revoked."""
    assessment_id, (inspector_id,) = service.team()
    laptop = make_device(service, inspector_id)
    laptop.sync()
    laptop.vault.records.create(assessment_id, domain.Observation(title="Synced", notes="Seen at the board"))
    laptop.sync()
    laptop.vault.records.create(assessment_id, domain.Observation(title="Never synced"))
    code, _out, err = admin_cli(service, capsys, "device", "revoke", laptop.vault.device_id)
    assert code == 0, err
    return assessment_id, laptop


def test_a_revoked_laptop_wipes_its_vault_at_the_next_sync_and_the_service_lists_it_as_wiped(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _assessment_id, laptop = revoked_laptop(service, make_device, capsys)
    laptop.vault.backup("before the revocation")
    path, device_id = laptop.vault.path, laptop.vault.device_id
    held = secrets_of(path)
    with pytest.raises(DeviceRevoked):
        laptop.sync()
    outcome = wipe_after_revocation(laptop.vault, adapter=service.adapter)
    assert outcome.unsynced == 1 and outcome.confirmed_at is not None
    assert not path.exists()
    for folder, _dirs, _files in os.walk(tmp_path):  # nothing left on this machine opens as a vault
        with pytest.raises(FieldappError):
            Vault(folder)
    for left in every_file(tmp_path):  # nor holds what would unlock it: a salt, a wrapped key, the database's salt
        assert not any(secret in left.read_bytes() for secret in held), left
    code, out, _err = admin_cli(service, capsys, "device", "list")
    assert code == 0
    assert re.search(rf"^{device_id} .*REVOKED .*  wiped on \d\d/\d\d/\d{{4}} at \d\d:\d\d \(UTC\)$", out, re.M), out
    code, out, _err = admin_cli(service, capsys, "--json", "device", "list")
    (listed,) = [d for d in json.loads(out) if d["id"] == device_id]
    assert listed["wiped_at"] == outcome.confirmed_at


def test_a_wipe_the_service_cannot_hear_of_still_wipes(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    _assessment_id, laptop = revoked_laptop(service, make_device, capsys)
    path = laptop.vault.path
    with pytest.raises(DeviceRevoked):
        laptop.sync()
    outcome = wipe_after_revocation(laptop.vault)  # no adapter: the in-process service's address answers nothing
    assert not path.exists() and outcome.confirmed_at is None


def linked_to(laptop: Device, url: str, token: str | None = None) -> None:
    link = laptop.vault.replication.link()
    assert link is not None
    laptop.vault.replication.set_link(ServiceLink(url=url, token=token or link.token, inspector_id=link.inspector_id, inspector_name=link.inspector_name))
    laptop.url, laptop.adapter = url, None


def revoked_json(handler: object) -> None:
    """What the service answers a revoked device, as a page any proxy could send: the same JSON
    body, without the service's protocol stamp."""
    body = json.dumps({"detail": "revoked", "code": protocol.E_REVOKED}).encode()
    send_answer(handler, 401, body)  # type: ignore[arg-type]


def captive_portal(handler: object) -> None:
    send_answer(handler, 401, b"<html>Sign in to the hotel Wi-Fi</html>", Content_Type="text/html")  # type: ignore[arg-type]


def service_down(handler: object) -> None:
    send_answer(handler, 503, b'{"detail": "down for maintenance", "code": "device_revoked"}')  # type: ignore[arg-type]


@pytest.mark.parametrize("answer", [revoked_json, captive_portal, service_down], ids=["unstamped-revoked", "portal", "5xx"])
def test_no_answer_but_the_services_own_revocation_wipes(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device], answer: Callable[[object], None]
) -> None:
    _assessment_id, (inspector_id,) = inprocess_sqlite_service.team()
    laptop = make_device(inprocess_sqlite_service, inspector_id)
    with listening(answer) as proxy:
        linked_to(laptop, proxy.url)
        with pytest.raises((NotEnrolled, ServiceFault)) as raised:
            laptop.sync()
    assert not isinstance(raised.value, DeviceRevoked)
    assert not laptop.vault.is_locked and laptop.vault.header_path.exists()


def test_a_network_error_or_an_unknown_token_never_reads_as_revoked(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    _assessment_id, (inspector_id,) = inprocess_sqlite_service.team()
    laptop = make_device(inprocess_sqlite_service, inspector_id)
    service_url = laptop.url
    linked_to(laptop, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ServiceUnreachable):
        laptop.sync()
    linked_to(laptop, service_url, token="fa1_" + "A" * 43)
    laptop.adapter = inprocess_sqlite_service.adapter
    with pytest.raises(NotEnrolled) as raised:
        laptop.sync()
    assert not isinstance(raised.value, DeviceRevoked)
    assert laptop.vault.header_path.exists()


# -- the route -------------------------------------------------------------------------------------------


def wiped_at(service: Service, device_id: str) -> str | None:
    with service.admin() as session:
        from sync.server.models import Device as DeviceRow

        row = session.get(DeviceRow, device_id)
        assert row is not None
        return row.wiped_at


def revoke(device: RawDevice) -> None:
    with device.service.admin() as session:
        from sync.server import admin

        admin.revoke_device(session, device.device_id)


def test_only_a_revoked_device_confirms_a_wipe_and_only_its_own(service: Service) -> None:
    _assessment_id, (inspector_id,) = service.team()
    working, gone, other_gone = (raw_device(service, inspector_id, label) for label in ("working", "gone", "other"))
    refused(working.request("POST", "/device/wiped", headers=WIPE), 403, protocol.E_NOT_REVOKED)
    assert wiped_at(service, working.device_id) is None
    revoke(gone)
    revoke(other_gone)
    refused(gone.request("POST", "/device/wiped"), 400, protocol.E_INVALID)  # a client that does not name the feature
    answer = gone.request("POST", "/device/wiped", headers=WIPE)
    assert answer.status_code == 200, answer.text
    confirmation = protocol.WipeConfirmation.model_validate(answer.json())
    assert confirmation.device_id == gone.device_id and wiped_at(service, gone.device_id) == confirmation.wiped_at
    assert wiped_at(service, other_gone.device_id) is None and wiped_at(service, working.device_id) is None
    again = gone.request("POST", "/device/wiped", headers=WIPE)
    assert again.json()["wiped_at"] == confirmation.wiped_at  # the first confirmation stands
    refused(gone.pull(), 401, protocol.E_REVOKED)  # the route opens nothing else
    stranger = RawDevice(service, gone.device_id, inspector_id, "fa1_" + "B" * 43, gone.key)
    refused(stranger.request("POST", "/device/wiped", headers=WIPE), 401, protocol.E_UNAUTHENTICATED)


def test_a_revoked_laptop_enrolling_again_with_a_fresh_code_is_told_to_set_up_a_new_device(
    service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    """The app's own enrolment proves it holds its key, and still a revoked device id never comes back."""
    _assessment_id, laptop = revoked_laptop(service, make_device, capsys)
    inspector_id = laptop.vault.replication.link().inspector_id  # type: ignore[union-attr]
    with pytest.raises(ServiceRefused) as refusal:
        enrol(laptop.vault, service.url, service.code(inspector_id), adapter=service.adapter)
    assert str(refusal.value) == errors.REVOKED_FOR_GOOD and refusal.value.code == protocol.E_DEVICE_GONE
    with pytest.raises(DeviceRevoked):  # still revoked: its next sync wipes it, as before
        laptop.sync()
