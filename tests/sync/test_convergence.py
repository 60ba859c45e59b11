"""Three inspectors' laptops and an outsider sync 200 rounds through a fault-injecting proxy while
editing at random; after clean syncs every side holds exactly the same revisions and conflicts.

Reproduce a failure with the seed it prints: FIELDAPP_CONVERGENCE_SEED=<seed> pytest ...
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from faultproxy import FAULTS, Fault, FaultProxy
from sync_fixtures import BACKENDS, Device, Service, service_on
from vault_fixtures import sample_contents

from fieldapp import domain
from fieldapp.errors import Cancelled
from fieldapp.ids import uuid7
from fieldapp.storage.models import Blob as VaultBlob
from fieldapp.storage.models import Record as VaultRecord
from fieldapp.storage.models import Revision as VaultRevision
from fieldapp.replication.settle import heads_of
from fieldapp.vault import Vault
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine, SyncReport
from sync.client.errors import SyncError
from sync.client.transport import HttpTransport, RetryPolicy
from sync.server import models as server
from sync.server import sealing

ROUNDS = int(os.environ.get("FIELDAPP_CONVERGENCE_ROUNDS", "200"))
SEED = int(os.environ.get("FIELDAPP_CONVERGENCE_SEED", "20261120"))
CHUNK = 16 << 10  # small transfer chunks, so even small attachments move in several
READ_TIMEOUT_S = 0.5
STALL_S = READ_TIMEOUT_S + 0.3
FAULTY_RETRY = RetryPolicy(attempts=3, base_s=0.005, cap_s=0.02)
STATEMENTS = ("learning-culture", "safeguarding", "equity-in-access", "freedom-to-speak-up", "partnerships-communities")
TEXT_FIELDS = {
    "observation": ("title", "location", "notes"),
    "interview": ("title", "pseudonym", "location", "notes"),
    "case_tracking": ("title", "pseudonym", "summary", "notes"),
    "focus_group": ("title", "facilitator", "location", "notes"),
}

pytestmark = pytest.mark.slow


@dataclass
class Fleet:
    """The devices, the proxy between them and the service, and what the test put in."""

    service: Service
    proxy: FaultProxy
    team: list[Device]
    outsider: Device
    assessment_id: str
    other_assessment_id: str
    rng: random.Random
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sha256 -> (assessment, the bytes attached)
    syncs: int = 0
    failed_syncs: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # why syncs stopped, for the log

    @property
    def devices(self) -> list[Device]:
        return [*self.team, self.outsider]

    def assessment_of(self, device: Device) -> str:
        return self.other_assessment_id if device is self.outsider else self.assessment_id

    def sync(self, device: Device, *, clean: bool = False) -> SyncReport | None:
        """One sync through the proxy; a fault may stop it (nothing lost), which is expected."""
        link = device.vault.replication.link()
        assert link is not None
        retry = RetryPolicy(attempts=5, base_s=0.01, cap_s=0.1) if clean else FAULTY_RETRY
        transport = HttpTransport(self.proxy.url, connect_timeout_s=2.0, read_timeout_s=30.0 if clean else READ_TIMEOUT_S, retry=retry)
        self.syncs += 1
        try:
            return SyncEngine(device.vault, ServiceApi(transport, link.token)).run()
        except (SyncError, Cancelled) as exc:
            if clean:
                raise
            self.failed_syncs += 1
            self.errors[f"{type(exc).__name__}: {str(exc)[:60]}"] += 1
            return None
        finally:
            transport.close()


@pytest.fixture(params=BACKENDS)
def fleet(request: pytest.FixtureRequest, tmp_path: Path, make_device: Callable[..., Device]) -> Iterator[Fleet]:
    print(f"\nconvergence seed {SEED} ({ROUNDS} rounds, {request.param}); FIELDAPP_CONVERGENCE_SEED={SEED} reproduces it")
    with service_on(request.param, tmp_path / "service", chunk_size=CHUNK, sockets=True) as service:
        assessment_id, inspectors = service.team("Northshire ICS", inspectors=3)
        other_id, (outsider_id,) = service.team("Southvale ICS", inspectors=1)
        team = [make_device(service, inspector, name) for inspector, name in zip(inspectors, ("amal", "bea", "cai"))]
        outsider = make_device(service, outsider_id, "dev")
        with FaultProxy(service.url, seed=SEED, stall_s=STALL_S) as proxy:
            fleet = Fleet(service, proxy, team, outsider, assessment_id, other_id, random.Random(SEED))
            for device in fleet.devices:
                with proxy.clean():
                    fleet.sync(device, clean=True)  # each learns of its assessment
            yield fleet


def test_devices_and_the_service_converge_on_the_same_revisions_through_two_hundred_faulty_rounds(fleet: Fleet) -> None:
    started = time.monotonic()
    for round_no in range(ROUNDS):
        for device in fleet.rng.sample(fleet.devices, len(fleet.devices)):
            if device is fleet.outsider and fleet.rng.random() < 0.5:
                continue  # the outsider only has to keep its own work apart; half the rounds do
            for _ in range(fleet.rng.choice((0, 0, 1, 1, 2, 3))):
                _random_operation(fleet, device)
            if fleet.rng.random() < 0.08:
                _same_record_on_two_devices(fleet)
            fleet.sync(device)
        if round_no % 50 == 49:
            print(f"round {round_no + 1}: {time.monotonic() - started:.0f} s, {fleet.failed_syncs}/{fleet.syncs} syncs cut; {fleet.proxy.summary()}")
    print(f"faults: {fleet.proxy.summary()}; {fleet.failed_syncs}/{fleet.syncs} syncs cut short: {dict(fleet.errors)}")

    _settle_cleanly(fleet)

    _assert_every_fault_struck_where_it_matters(fleet.proxy)
    # A broken network says so; never "the service refused" or "a damaged file" (which it was not).
    assert all(reason.startswith("ServiceUnreachable") for reason in fleet.errors), dict(fleet.errors)
    _assert_service_holds_each_revision_once(fleet)
    _assert_every_device_holds_exactly_the_service_revisions(fleet)
    _assert_drafts_match_heads_and_conflicts_agree(fleet)
    _assert_attachments_arrived_whole(fleet)
    for device in fleet.devices:
        assert device.vault.verify().ok, device.vault.verify().problems
    merges, resolutions = _merges_and_resolutions(fleet)
    print(_what_happened(fleet))
    if ROUNDS >= 100:  # the run really had colliding edits to surface and merge, not only clean ones
        assert merges > 0 and resolutions > 0, _what_happened(fleet)


# -- random work between rounds ---------------------------------------------------------------------


def _random_operation(fleet: Fleet, device: Device) -> None:
    rng, vault = fleet.rng, device.vault
    live = [r.id for r in vault.records.list(fleet.assessment_of(device))]
    roll = rng.random()
    if not live or roll < 0.15:
        content = rng.choice(sample_contents())
        vault.records.create(fleet.assessment_of(device), dataclasses.replace(content, title=f"{content.title} #{rng.randrange(10**6)}"))
        return
    record_id = rng.choice(live)
    rec = vault.records.get(record_id)
    if roll < 0.45:
        _edit_field(vault, record_id, rng.choice(TEXT_FIELDS[rec.kind]), f"{device.name} {rng.randrange(10**6)}")
    elif roll < 0.55:
        vault.records.add_note(record_id, f"{device.name} noted {rng.randrange(1000)}")
    elif roll < 0.65 and rec.kind == "case_tracking":
        contact = domain.Contact(uuid7(), rng.choice(("GP surgery", "Day centre", "Pharmacy")), "2026-11-02", f"seen by {device.name}")
        vault.records.append_contact(record_id, contact)
    elif roll < 0.75:
        vault.links.tag(record_id, rng.choice(STATEMENTS), comment=f"{device.name} {rng.randrange(100)}")
    elif roll < 0.80 and rec.links:
        vault.links.untag(rng.choice(rec.links).id)
    elif roll < 0.88:
        data = rng.randbytes(rng.randrange(1, 60_000))
        att = vault.attachments.add(record_id, io.BytesIO(data), name=f"scan-{rng.randrange(1000)}.bin").value
        fleet.files[att.sha256] = (fleet.assessment_of(device), data)
        if rng.random() < 0.2:
            vault.attachments.remove(att.id)  # the wrong file: taken off before any revision held it
    elif roll < 0.90 and rec.attachments:
        vault.attachments.remove(rng.choice(rec.attachments).id)
    elif roll < 0.93:
        vault.records.delete(record_id)
    else:
        _resolve_some_conflict(fleet, device)


def _edit_field(vault: Vault, record_id: str, name: str, value: str) -> None:
    content = vault.records.get(record_id).content
    vault.records.save(record_id, dataclasses.replace(content, **{name: value}))


def _same_record_on_two_devices(fleet: Fleet) -> None:
    """Two teammates edit one record before syncing: the same field (a true conflict) or two (a merge)."""
    first, second = fleet.rng.sample(fleet.team, 2)
    shared = sorted({r.id for r in first.vault.records.list()} & {r.id for r in second.vault.records.list()})
    if not shared:
        return
    record_id = fleet.rng.choice(shared)
    names = TEXT_FIELDS[first.vault.records.get(record_id).kind]
    same = fleet.rng.random() < 0.5
    one, other = (names[1], names[1]) if same else fleet.rng.sample(names, 2)
    _edit_field(first.vault, record_id, one, f"{first.name} says {fleet.rng.randrange(10**6)}")
    _edit_field(second.vault, record_id, other, f"{second.name} says {fleet.rng.randrange(10**6)}")


def _resolve_some_conflict(fleet: Fleet, device: Device) -> None:
    conflicts = device.vault.replication.conflicts()
    if not conflicts:
        return
    conflict = fleet.rng.choice(conflicts)
    rec = device.vault.records.get(conflict.record_id, include_deleted=True)
    if rec.deleted or fleet.rng.random() < 0.5:
        device.vault.replication.resolve(conflict.record_id, take=fleet.rng.choice(conflict.heads).id)
        return
    # By hand: the draft takes each colliding field from one side or the other, then resolves.
    content = rec.content
    for collision in conflict.collisions:
        name = collision.path.split(".")[1] if collision.path.startswith("content.") else None
        side = fleet.rng.choice((collision.left, collision.right))
        if name in TEXT_FIELDS[rec.kind] and isinstance(side, str):
            content = dataclasses.replace(content, **{name: side})
    device.vault.records.save(conflict.record_id, content)
    device.vault.replication.resolve(conflict.record_id, take=None)


# -- the end state ----------------------------------------------------------------------------------


def _settle_cleanly(fleet: Fleet) -> None:
    """Clean syncs until a whole round moves nothing (merges made late need a round to travel)."""
    fleet.proxy.quiet()  # requests stalled past their timeout reach the service first
    with fleet.proxy.clean():
        for _ in range(8):
            reports = [fleet.sync(device, clean=True) for device in fleet.devices]
            if all(r is not None and r.pushed == 0 and r.pulled == 0 and not r.uploaded_bytes and not r.downloaded_bytes for r in reports):
                return
    pytest.fail("clean syncs never stopped moving revisions")


def _assert_every_fault_struck_where_it_matters(proxy: FaultProxy) -> None:
    assert set(proxy.faults()) == set(FAULTS), proxy.summary()
    struck = {(h.fault, h.method, h.path.rsplit("/", 1)[-1] if "/chunks/" not in h.path else "chunk") for h in proxy.hits}
    assert (Fault.CUT_BEFORE_RESPONSE, "POST", "push") in struck, "no push was stored without its answer reaching the client"
    assert (Fault.CUT_BEFORE_RESPONSE, "POST", "pull") in struck
    for method in ("PUT", "GET"):  # attachment bytes up and down
        assert {f for f, m, p in struck if (m, p) == (method, "chunk")} >= {Fault.CUT_REQUEST, Fault.CUT_BEFORE_RESPONSE, Fault.TRUNCATE_BODY} - (
            {Fault.TRUNCATE_BODY} if method == "PUT" else set()
        ), f"too few faults on {method} of attachment chunks"
    failures = [(h.method, h.path, h.status) for h in proxy.hits if h.status >= 500 and h.status != 503]
    assert not failures, f"the service failed: {failures[:5]}"


def _merges_and_resolutions(fleet: Fleet) -> tuple[int, int]:
    """Auto-merges, and conflicts an inspector resolved (revisions of several parents by a device)."""
    bodies = [json.loads(body) for _i, body, _a in _service_revisions(fleet)]
    merges = sum(b["device_id"].startswith("auto-merge") for b in bodies)
    return merges, sum(len(b["parents"]) >= 2 and not b["device_id"].startswith("auto-merge") for b in bodies)


def _what_happened(fleet: Fleet) -> str:
    rows = _service_revisions(fleet)
    merges, resolutions = _merges_and_resolutions(fleet)
    open_conflicts = len(fleet.team[0].vault.replication.conflicts())
    statuses = sorted({h.status for h in fleet.proxy.hits})
    return (
        f"{len(rows)} revisions on the service: {merges} auto-merges, {resolutions} conflicts resolved, "
        f"{open_conflicts} left open; {len(fleet.files)} attachments; statuses seen {statuses}"
    )


def _service_revisions(fleet: Fleet) -> list[tuple[str, bytes, str]]:
    with fleet.service.engine.begin() as connection:  # sealed at rest: opened as the service opens them
        seals = sealing.of(connection)
        rows = connection.execute(sa.select(server.Revision.id, server.Revision.body, server.Revision.assessment_id))
        return [(r.id, seals.open_body(r.assessment_id, r.id, bytes(r.body)), r.assessment_id) for r in rows]


def _device_revisions(device: Device) -> dict[str, bytes]:
    with device.vault.transaction("reading revisions for the test") as session:
        rows = session.execute(sa.select(VaultRevision.id, VaultRevision.body, VaultRevision.pushed, VaultRevision.rejected)).all()
    assert all(r.pushed and r.rejected is None for r in rows), [(r.id[:12], r.rejected) for r in rows if not r.pushed or r.rejected]
    return {r.id: bytes(r.body) for r in rows}


def _assert_service_holds_each_revision_once(fleet: Fleet) -> None:
    rows = _service_revisions(fleet)
    ids = [rev_id for rev_id, _body, _a in rows]
    assert len(ids) == len(set(ids)), "a revision is stored twice on the service"
    with fleet.service.engine.connect() as connection:
        rows_, distinct = connection.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(server.Revision.id)))).one()
    assert rows_ == distinct == len(ids)


def _assert_every_device_holds_exactly_the_service_revisions(fleet: Fleet) -> None:
    rows = _service_revisions(fleet)
    for device in fleet.devices:
        expected = {rev_id: body for rev_id, body, a in rows if a == fleet.assessment_of(device)}
        held = _device_revisions(device)
        assert expected, f"{device.name} has nothing on the service"
        assert held.keys() == expected.keys(), (
            f"{device.name}: {len(held.keys() - expected.keys())} only on the device, {len(expected.keys() - held.keys())} only on the service"
        )
        assert held == expected
        status = device.vault.replication.status()
        assert (status.waiting, status.refused, status.uploads, status.downloads) == (0, 0, 0, 0), status
    assert not {a for _i, _b, a in rows} - {fleet.assessment_id, fleet.other_assessment_id}
    outsider_names = {a.name for a in fleet.outsider.vault.assessments.list()}
    assert outsider_names == {"Southvale ICS"}
    for device in fleet.team:
        assert {a.name for a in device.vault.assessments.list()} == {"Northshire ICS"}


def _assert_drafts_match_heads_and_conflicts_agree(fleet: Fleet) -> None:
    for devices in (fleet.team, [fleet.outsider]):
        views = [_conflict_view(d) for d in devices]
        for device, view in zip(devices, views):
            assert view == views[0], f"{device.name} sees other conflicts than {devices[0].name}"
    for device in fleet.devices:
        vault = device.vault
        with vault.transaction("reading records for the test") as session:
            records = session.scalars(sa.select(VaultRecord.id)).all()
            heads = {rid: heads_of(session, rid) for rid in records}
        conflicted = {c.record_id for c in vault.replication.conflicts()}
        assert conflicted == {rid for rid, h in heads.items() if len(h) > 1}, f"{device.name}: conflicts not surfaced as such"
        for record_id in records:
            rec = vault.records.get(record_id, include_deleted=True)
            assert not rec.draft_dirty
            if record_id in conflicted:
                assert rec.head_revision_id in heads[record_id]
                continue
            assert [rec.head_revision_id] == heads[record_id], f"{device.name}: {record_id} is not at its head"
            held = vault.history.snapshot(rec.head_revision_id)
            assert rec.deleted == held.revision.deleted
            if not rec.deleted:
                assert rec.content == held.content
                assert sorted(rec.links, key=lambda link: link.id) == sorted(held.links, key=lambda link: link.id)
                atts = [{"id": a.id, "name": a.name, "media_type": a.media_type, "size": a.size, "sha256": a.sha256} for a in rec.attachments]
                assert sorted(atts, key=lambda a: a["id"]) == sorted(held.attachments, key=lambda a: a["id"])
            assert rec.sync_state == "synced"


def _conflict_view(device: Device) -> dict[str, frozenset[str]]:
    return {c.record_id: frozenset(h.id for h in c.heads) for c in device.vault.replication.conflicts()}


def _assert_attachments_arrived_whole(fleet: Fleet) -> None:
    with fleet.service.engine.connect() as connection:
        complete = set(connection.scalars(sa.select(server.Blob.sha256).where(server.Blob.complete.is_(True))))
    for device in fleet.devices:
        vault = device.vault
        with vault.transaction("reading attachment bytes for the test") as session:
            blobs = session.execute(sa.select(VaultBlob.sha256, VaultBlob.name)).all()
        assert all(b.name is not None for b in blobs), f"{device.name} lacks the bytes of {sum(b.name is None for b in blobs)} attachments"
        held = {att["sha256"] for body in _device_revisions(device).values() for att in json.loads(body)["attachments"]}
        assert held <= complete, f"{device.name}: files its revisions hold never reached the service whole"
        assert {fleet.files[b.sha256][0] for b in blobs} <= {fleet.assessment_of(device)}, f"{device.name} holds another team's files"
        for rec in vault.records.list(include_deleted=True):
            for att in vault.records.get(rec.id, include_deleted=True).attachments:
                assert vault.attachments.read_bytes(att.id) == fleet.files[att.sha256][1]
