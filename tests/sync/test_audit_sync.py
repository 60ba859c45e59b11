"""The audit log reaches the service (issue 16), on SQLite and PostgreSQL: a sync sends the laptop's
entries after its evidence, each stored once as it was signed; a forged, altered or another device's
entry, one of an unknown kind or carrying words, and an oversized batch are refused; the administrator
lists them by device and day, day first, with what a device wrote shown only as visible escapes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session
from faultproxy import Fault, FaultProxy
from sync_fixtures import Device, RawDevice, Service, admin_cli, raw_device, refused

from fieldapp import audit
from fieldapp.ids import uuid7
from fieldapp.revisions.canonical import canonical_json
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine
from sync.client.transport import HttpTransport, RetryPolicy
from sync.server.models import AuditEntry

AT = "2026-12-01T09:30:00.000000Z"


def entry(device: RawDevice, kind: str = "unlock", *, at: str = AT, key: object | None = None, device_id: str | None = None,
          **detail: object) -> dict:  # fmt: skip
    """An entry as the push carries it, signed by the device's own key unless another is given."""
    signed = audit.build(kind, detail or {"method": "passphrase"}, entry_id=uuid7(), at=at, device_id=device_id or device.device_id,
                         key=key or device.key)  # type: ignore[arg-type]  # fmt: skip
    return wire(signed)


def wire(signed: audit.SignedEntry) -> dict:
    return {"id": signed.id, "body": signed.body.decode(), "signature": base64.b64encode(signed.signature).decode()}


def resigned(device: RawDevice, fields: dict) -> dict:
    """An entry of any fields, in canonical form and truly signed by the device (what a hostile laptop can make)."""
    body = canonical_json(fields)
    return {"id": fields["id"], "body": body.decode(), "signature": base64.b64encode(audit.sign(device.key, body)).decode()}  # type: ignore[arg-type]


def push(device: RawDevice, *entries: dict):  # noqa: ANN201
    return device.request("POST", "/audit", json={"entries": list(entries)})


def held(service: Service) -> list[AuditEntry]:
    with Session(service.engine) as session:
        return list(session.scalars(sa.select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)))


def acks(answer) -> list[tuple[str, str | None]]:  # noqa: ANN001
    assert answer.status_code == 200, answer.text
    return [(a["status"], a["code"]) for a in answer.json()["acks"]]


def a_device(service: Service, label: str = "raw") -> RawDevice:
    _assessment, (inspector_id,) = service.team()
    return raw_device(service, inspector_id, label)


def test_a_sync_sends_the_laptops_audit_entries_once_and_the_service_keeps_them_as_signed(
    service: Service, make_device: Callable[..., Device]
) -> None:
    _assessment, (inspector_id,) = service.team()
    laptop = make_device(service, inspector_id)
    laptop.vault.audit.record("purge", records=2, attachments=1)
    # The laptop's copy of the template vault keeps one entry of the template's own device: refused, not ours.
    mine = [e.id for e in laptop.vault.audit.entries() if e.device_id == laptop.vault.device_id]
    laptop.sync()
    assert laptop.vault.audit.unsent() == () and all(e.sent for e in laptop.vault.audit.entries())
    stored = {row.id: row for row in held(service)}
    assert set(mine) <= set(stored)
    purge = stored[mine[0]]
    assert (purge.kind, purge.device_id, json.loads(purge.detail)) == ("purge", laptop.vault.device_id, {"attachments": 1, "records": 2})
    public = laptop.vault.signing_key.public_key().public_bytes_raw()
    audit.check_signature(audit.SignedEntry(purge.id, purge.body, purge.signature), public)
    laptop.sync()
    assert len(held(service)) == len(stored)  # nothing new but nothing twice


def test_a_resent_entry_is_stored_once_and_the_same_id_with_another_body_is_refused(service: Service) -> None:
    device = a_device(service)
    first = entry(device)
    assert acks(push(device, first)) == [("stored", None)]
    assert acks(push(device, first, first)) == [("stored", None), ("stored", None)]
    other = resigned(device, {**json.loads(first["body"]), "kind": "purge", "detail": {"records": 1}})
    assert acks(push(device, other)) == [("refused", protocol.R_ID_TAKEN)]
    assert [row.kind for row in held(service)] == ["unlock"]


def test_a_forged_or_altered_entry_is_refused_and_not_stored(service: Service) -> None:
    device = a_device(service)
    forged = entry(device, key=Ed25519PrivateKey.generate())
    altered = entry(device, "purge", records=5)
    altered["body"] = altered["body"].replace('"records":5', '"records":0')
    assert acks(push(device, forged, altered)) == [("refused", protocol.R_SIGNATURE), ("refused", protocol.R_SIGNATURE)]
    assert held(service) == []


def test_another_devices_entry_is_refused_whether_relayed_or_claimed(service: Service) -> None:
    device, other = a_device(service, "one"), a_device(service, "two")
    relayed = entry(other)
    claimed = entry(device, device_id=other.device_id)
    assert acks(push(device, relayed, claimed)) == [("refused", protocol.R_DEVICE), ("refused", protocol.R_DEVICE)]
    assert held(service) == []


@pytest.mark.parametrize("change", [
    {"kind": "tea_made"}, {"kind": ""}, {"detail": {"title": "Winter plan"}}, {"detail": {"path": "/home/x/notes.txt"}},
    {"at": "yesterday"}, {"format": 2}, {"extra": 1},
])  # fmt: skip
def test_an_entry_of_an_unknown_kind_or_carrying_words_is_refused_even_when_truly_signed(service: Service, change: dict) -> None:
    device = a_device(service)
    fields = {**json.loads(entry(device)["body"]), **change}
    assert acks(push(device, resigned(device, fields))) == [("refused", protocol.R_BODY)]
    assert held(service) == []


def test_a_body_not_in_canonical_form_is_refused(service: Service) -> None:
    device = a_device(service)
    fields = json.loads(entry(device)["body"])
    body = json.dumps(fields, indent=1).encode()
    loose = {"id": fields["id"], "body": body.decode(), "signature": base64.b64encode(audit.sign(device.key, body)).decode()}  # type: ignore[arg-type]
    assert acks(push(device, loose)) == [("refused", protocol.R_BODY)]


def test_an_oversized_batch_is_refused_whole_and_nothing_is_stored(service: Service) -> None:
    device = a_device(service)
    answer = push(device, *(entry(device) for _ in range(protocol.MAX_AUDIT_BATCH + 1)))
    assert refused(answer, 413, protocol.E_TOO_LARGE).limit == protocol.MAX_AUDIT_BATCH
    assert held(service) == []
    too_long = entry(device)
    too_long["body"] = "x" * (protocol.MAX_AUDIT_ENTRY_BYTES + 1)
    assert push(device, too_long).status_code == 422


def test_only_an_enrolled_device_pushes_audit_entries(service: Service) -> None:
    device = a_device(service)
    answer = service.http("POST", f"{service.url}{protocol.API}/audit", json={"entries": [entry(device)]},
                          headers={protocol.PROTOCOL_HEADER: str(protocol.PROTOCOL_VERSION)}, timeout=30)  # fmt: skip
    refused(answer, 401, protocol.E_UNAUTHENTICATED)


def test_the_status_says_the_service_keeps_audit_logs_only_to_a_client_naming_the_feature(service: Service) -> None:
    url = f"{service.url}{protocol.API}/status"
    assert "audit" not in service.http("GET", url, timeout=30).json()
    assert service.http("GET", url, headers={protocol.FEATURES_HEADER: protocol.F_AUDIT}, timeout=30).json()["audit"] is True


def test_the_administrator_lists_entries_newest_first_by_device_and_day_first(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    device, other = a_device(service, "Amara's laptop"), a_device(service, "spare")
    acks(push(device, entry(device, at="2026-11-30T23:59:59.000000Z"), entry(device, "report_exported", at=AT, format="docx", which="draft")))
    acks(push(other, entry(other, "purge", at="2026-12-02T08:00:00.000000Z", records=3)))
    code, out, err = admin_cli(service, capsys, "audit", "list")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"02/12/2026 08:00:00 UTC  {other.device_id}")
    assert "Exported a report (as DOCX, the draft)" in lines[1] and "Amara's laptop" in lines[1]
    assert lines[2].startswith("30/11/2026 23:59:59 UTC") and lines[2].endswith("Unlocked the vault")
    code, out, _ = admin_cli(service, capsys, "audit", "list", "--device", device.device_id, "--since", "01/12/2026")
    assert code == 0 and len(out.splitlines()) == 1 and "Exported a report" in out
    code, out, _ = admin_cli(service, capsys, "--json", "audit", "list", "--since", "2/12/2026")
    (only,) = json.loads(out)
    assert (only["kind"], only["detail"], only["device_id"]) == ("purge", {"records": 3}, other.device_id)
    code, _, err = admin_cli(service, capsys, "audit", "list", "--since", "31/02/2026")
    assert code == 1 and "day first" in err
    code, _, err = admin_cli(service, capsys, "audit", "list", "--device", uuid7())
    assert code == 1 and "No device" in err


def test_what_a_device_named_itself_reaches_the_administrators_terminal_only_as_visible_escapes(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    device = a_device(service, "laptop\x9b31m\u202eevil")
    acks(push(device, entry(device)))
    code, out, _ = admin_cli(service, capsys, "audit", "list")
    assert code == 0 and "\x9b" not in out and "\u202e" not in out
    assert "\\u009b31m\\u202eevil" in out



def test_enrolling_is_recorded_by_the_inspectors_id_never_the_services_address(service: Service, make_device: Callable[..., Device]) -> None:
    _assessment, (inspector_id,) = service.team()
    laptop = make_device(service, inspector_id)
    enrolled = laptop.vault.audit.entries(limit=1)[0]
    assert (enrolled.kind, dict(enrolled.detail)) == ("device_enrolled", {"inspector_id": inspector_id, "new_service": True, "private_ca": False})
    assert "127.0.0.1" not in enrolled.words()


def test_more_entries_than_a_batch_go_in_batches_of_their_own_and_all_arrive(service: Service, make_device: Callable[..., Device]) -> None:
    _assessment, (inspector_id,) = service.team()
    laptop = make_device(service, inspector_id)
    for count in range(protocol.MAX_AUDIT_BATCH + 20):
        laptop.vault.audit.record("purge", records=count, attachments=0)
    laptop.sync()
    assert laptop.vault.audit.unsent() == ()
    purges = [row for row in held(service) if row.kind == "purge"]
    assert sorted(json.loads(row.detail)["records"] for row in purges) == list(range(protocol.MAX_AUDIT_BATCH + 20))



def test_a_line_that_drops_during_the_audit_push_fails_no_sync_and_the_next_sends_each_entry_once(
    socket_service: Service, make_device: Callable[..., Device]
) -> None:
    service = socket_service
    _assessment, (inspector_id,) = service.team()
    laptop = make_device(service, inspector_id)
    purge = laptop.vault.audit.record("purge", records=1, attachments=0)
    link = laptop.vault.replication.link()
    assert link is not None
    # First every audit push is dropped; then one is stored by the service but its answer cut, and sent again.
    faults = {"first": [Fault.DROP] * 20, "second": [Fault.CUT_BEFORE_RESPONSE]}
    phase = ["first"]

    def on_audit(_method: str, path: str, _body: bytes) -> Fault | None:
        planned = faults[phase[0]]
        return (planned.pop(0) if planned else Fault.PASS) if path.endswith("/audit") else None

    def sync_through(url: str) -> None:
        transport = HttpTransport(url, retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05))
        try:
            SyncEngine(laptop.vault, ServiceApi(transport, link.token)).run()  # raises nothing
        finally:
            transport.close()

    with FaultProxy(service.url, seed=0, weights={Fault.PASS: 1.0}, decide=on_audit) as proxy:
        sync_through(proxy.url)
        assert any(h.path.endswith("/audit") and h.fault is Fault.DROP for h in proxy.hits)
        assert purge.id in {e.id for e in laptop.vault.audit.unsent()} and held(service) == []
        phase[0] = "second"
        sync_through(proxy.url)
        assert faults["second"] == []
    assert laptop.vault.audit.unsent() == ()
    assert [row.id for row in held(service)].count(purge.id) == 1
