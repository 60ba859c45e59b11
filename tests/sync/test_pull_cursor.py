"""The pull cursor never skips a revision whose transaction commits late (DESIGN.md section 6).

The trap: on PostgreSQL a row's sequence number is taken at insert but the row becomes visible at
commit, so a transaction that inserts first and commits last puts a low number behind a cursor
that already moved past it. The service orders by (transaction id, seq) and serves only rows
below the oldest running transaction; these tests hold a real push's transaction open to show it.
"""

from __future__ import annotations

import random
import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sync_fixtures import Device, Service
from vault_fixtures import sample_contents

from fieldapp.revision import SignedRevision
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.transport import HttpTransport
from sync.server import db
from sync.server.identity import Caller
from sync.server.models import Revision
from sync.server.push import accept_push


def _one_pending(device: Device, assessment_id: str, title: str) -> SignedRevision:
    rec = device.vault.records.create(assessment_id, sample_contents()[0].__class__(title=title)).value
    device.vault.records.cut_revision(rec.id)
    (pending,) = device.vault.replication.pending(10)
    return pending


def _wire(rev: SignedRevision) -> protocol.PushRequest:
    import base64

    return protocol.PushRequest(revisions=[protocol.Revision(id=rev.id, body=rev.body.decode(), signature=base64.b64encode(rev.signature).decode())])


def _api(device: Device) -> ServiceApi:
    link = device.vault.replication.link()
    assert link is not None
    return ServiceApi(HttpTransport(link.url), link.token)


def _pull_all(api: ServiceApi, cursor: str | None) -> tuple[list[str], str | None]:
    got: list[str] = []
    while True:
        page = api.pull(cursor, 50)
        got += [r.id for r in page.revisions]
        cursor = page.cursor
        if not page.more:
            return got, cursor


def test_a_revision_committed_after_a_later_one_is_still_pulled(service: Service, make_device) -> None:  # noqa: ANN001
    assessment_id, (a, b, c) = service.team(inspectors=3)
    first, second, reader = make_device(service, a, "first"), make_device(service, b, "second"), make_device(service, c, "reader")
    for device in (first, second, reader):
        device.sync()
    early = _one_pending(first, assessment_id, "inserted first, committed last")
    late = _one_pending(second, assessment_id, "inserted second, committed first")
    reader_api = _api(reader)
    _, cursor = _pull_all(reader_api, reader.vault.replication.cursor())

    # The first push inserts its row, then its transaction stays open.
    held = Session(db.writer(service.engine))
    held.begin()
    who = Caller(first.vault.device_id, a, frozenset({assessment_id}))
    assert accept_push(session=held, caller=who, batch=_wire(early)).acks[0].status == "accepted"
    held.flush()

    # The second push, over HTTP, in a thread: on PostgreSQL it commits at once; on SQLite it waits
    # for the write lock (one writer at a time, which is why seq order is commit order there).
    pushed = threading.Event()
    threading.Thread(target=lambda: (_api(second).push([late]), pushed.set()), daemon=True).start()
    committed_first = pushed.wait(timeout=3)
    assert committed_first == (service.engine.dialect.name == "postgresql")

    seen, cursor = _pull_all(reader_api, cursor)
    assert seen == []  # nothing is served past a transaction still open, even what committed

    held.commit()
    held.close()
    assert pushed.wait(timeout=30)
    seen, cursor = _pull_all(reader_api, cursor)
    assert sorted(seen) == sorted([early.id, late.id])
    with Session(service.engine) as session:
        seqs = dict(session.execute(sa.select(Revision.id, Revision.seq)).tuples().all())
    if committed_first:
        # the trap was real: the late-committing row has the lower number
        assert seqs[early.id] < seqs[late.id]
    assert _pull_all(reader_api, cursor)[0] == []  # and nothing comes twice


def test_a_reader_pulling_throughout_concurrent_pushes_receives_every_revision_once(service: Service, make_device) -> None:  # noqa: ANN001
    assessment_id, inspectors = service.team(inspectors=4)
    writers = [make_device(service, i, f"writer{n}") for n, i in enumerate(inspectors[:3])]
    reader = make_device(service, inspectors[3], "reader")
    for device in (*writers, reader):
        device.sync()
    batches: list[list[SignedRevision]] = []
    for n, device in enumerate(writers):
        for k in range(40):
            rec = device.vault.records.create(assessment_id, sample_contents()[0].__class__(title=f"w{n} r{k}")).value
            device.vault.records.cut_revision(rec.id)
        pending = device.vault.replication.pending(1000)
        batches.append(pending)
    expected = {r.id for batch in batches for r in batch}

    stop = threading.Event()
    received: list[str] = []

    def read() -> None:
        api, cursor = _api(reader), None
        while not stop.is_set():
            got, cursor = _pull_all(api, cursor)
            received.extend(got)
        got, cursor = _pull_all(api, cursor)
        received.extend(got)

    def write(device: Device, revisions: list[SignedRevision], seed: int) -> None:
        rng, api = random.Random(seed), _api(device)
        for start in range(0, len(revisions), 5):  # many small transactions, interleaved
            api.push(revisions[start : start + 5])
            time.sleep(rng.random() / 100)

    reader_thread = threading.Thread(target=read, daemon=True)
    reader_thread.start()
    writer_threads = [threading.Thread(target=write, args=(d, b, n), daemon=True) for n, (d, b) in enumerate(zip(writers, batches))]
    for thread in writer_threads:
        thread.start()
    for thread in writer_threads:
        thread.join(timeout=120)
    stop.set()
    reader_thread.join(timeout=60)
    assert sorted(received) == sorted(expected)  # every revision, none twice
