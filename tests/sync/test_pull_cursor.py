"""The pull cursor never skips a revision whose transaction commits late (DESIGN.md section 6).

The trap: on PostgreSQL a row's sequence number is taken at insert but the row becomes visible at
commit, so a transaction that inserts first and commits last puts a low number behind a cursor
that already moved past it. The service orders by (transaction id, seq) and serves only rows
below the oldest running transaction; these tests hold a real push's transaction open to show it.
A page also ends at a budget of body bytes; the next page starts exactly where it ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
import random
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sync_fixtures import Device, RawDevice, Service, api_url, colleagues, raw_device, wire
from vault_fixtures import sample_contents

from fieldapp.revisions.revision import SignedRevision
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.transport import HttpTransport
from sync.server import admin, db
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
    return ServiceApi(HttpTransport(link.url, adapter=device.adapter), link.token)


def _past_the_horizon(service: Service) -> None:
    """Wait until every stored revision is below the visibility horizon. On PostgreSQL any open
    transaction in the cluster (another test worker's, on its own database) holds it back, and a
    page then ends early with held_back: right for a sync, not what a test of page sizes counts."""
    deadline = time.monotonic() + 30
    with service.engine.connect() as connection:
        newest = connection.scalar(sa.select(sa.func.max(Revision.xid))) or 0
        while db.visibility_horizon(connection) <= newest and time.monotonic() < deadline:
            connection.rollback()
            time.sleep(0.05)


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

    # The first push inserts its row, then its transaction stays open (closed whatever happens:
    # a transaction left open would make every later test on this database wait for it).
    with Session(db.writer(service.engine)) as held:
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
        _past_the_horizon(service)  # the last pull after the writers: nothing held back by another worker's transaction
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


# -- pages end at a byte budget ---------------------------------------------------------------------


def _push_exactly(device: RawDevice, *revisions: SignedRevision) -> None:
    # Bodies as UTF-8 (requests' json= would write every emoji as a 12-byte escape).
    data = json.dumps({"revisions": [wire(r) for r in revisions]}, ensure_ascii=False).encode()
    answer = device.request("POST", "/push", data=data, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200 and {a["status"] for a in answer.json()["acks"]} == {"accepted"}, answer.text[:300]


def _walk(device: RawDevice) -> list[tuple[list[dict], bool]]:
    """Every page from the start, as (revisions, more)."""
    pages, cursor = [], None
    while True:
        answer = device.pull(cursor, limit=protocol.MAX_PULL_LIMIT)
        assert answer.status_code == 200, answer.text[:300]
        page = answer.json()
        pages.append((page["revisions"], page["more"]))
        cursor = page["cursor"]
        if not page["more"]:
            return pages


def test_revisions_of_megabytes_come_in_pages_of_at_most_the_byte_budget_each_once(service: Service) -> None:
    assessment_id, (a, b) = service.team(inspectors=2)
    author, reader = raw_device(service, a, "author"), raw_device(service, b, "reader")
    big = {"title": "Transcript", "notes": "😀" * 1_000_000, "location": "🏥" * 500_000}  # a body of 6 MB
    pushed = [author.revision(assessment_id, content=big) for _ in range(3)]
    assert all(5_900_000 < len(r.body) <= protocol.MAX_REVISION_BYTES for r in pushed)
    for rev in pushed:
        _push_exactly(author, rev)
    _past_the_horizon(service)

    # The laptop's own client: two revisions fit 16 MiB, the third opens the next page.
    api = ServiceApi(service.transport(), reader.token)
    first = api.pull(None, protocol.MAX_PULL_LIMIT)
    second = api.pull(first.cursor, protocol.MAX_PULL_LIMIT)
    assert [r.id for r in first.revisions] == [r.id for r in pushed[:2]] and first.more
    assert [r.id for r in second.revisions] == [pushed[2].id] and not second.more
    assert api.pull(second.cursor).revisions == []
    api.transport.close()


def test_a_page_ends_where_the_byte_budget_would_be_passed_and_the_next_starts_there(service: Service, make_device, monkeypatch) -> None:  # noqa: ANN001
    budget = 6_000
    monkeypatch.setattr(protocol, "MAX_PULL_PAGE_BYTES", budget)  # the service runs in this process
    first_id, (a, b) = service.team(inspectors=2)
    with service.admin() as session:
        second_id = admin.create_assessment(session, "Westshire ICS", period_start="2026-11-01", period_end="2026-11-30").id
        for inspector_id in (a, b):
            admin.add_member(session, second_id, inspector_id)
    author = raw_device(service, a, "author")
    reader = make_device(service, b, "reader")  # a real laptop whose own rows sit between the author's
    reader.sync()
    link = reader.vault.replication.link()
    assert link is not None
    reader_raw = RawDevice(service, reader.vault.device_id, b, link.token, None)

    # Notes of these lengths; 9,000 and 7,000 are over the budget alone.
    sizes = {first_id: [300, 2_500, 4_000, 1_200, 9_000, 800, 3_000], second_id: [100, 5_800, 2_000, 7_000, 50]}
    pushed: dict[str, list[SignedRevision]] = {first_id: [], second_id: []}
    for n in range(max(len(s) for s in sizes.values())):
        for assessment_id in (first_id, second_id):
            if n < len(sizes[assessment_id]):
                rev = author.revision(assessment_id, content={"title": f"r{n}", "notes": "n" * sizes[assessment_id][n]})
                _push_exactly(author, rev)
                pushed[assessment_id].append(rev)
        if n % 2:
            reader.vault.records.create(first_id, sample_contents()[0].__class__(title=f"own {n}"))
            reader.sync()  # its own revision lands between the author's: it moves the cursor, and is not sent back
    body_size = {r.id: len(r.body) for revs in pushed.values() for r in revs}
    expected = [r.id for assessment_id in sorted(pushed) for r in pushed[assessment_id]]
    _past_the_horizon(service)

    pages = _walk(reader_raw)
    served = [rev["id"] for revisions, _more in pages for rev in revisions]
    assert sorted(served) == sorted(expected) and len(set(served)) == len(served)  # nothing skipped, nothing twice
    # In order within each assessment. Across assessments a page may interleave them: a revision held
    # behind a transaction open elsewhere (autovacuum's, say) while one page was made comes in the
    # next, after the other assessment's revisions that page already carried.
    of = {r.id: assessment_id for assessment_id, revs in pushed.items() for r in revs}
    for assessment_id, revs in pushed.items():
        assert [i for i in served if of[i] == assessment_id] == [r.id for r in revs]
    interleaved = served != expected  # then a page's successor may open with the held revision, not the one that did not fit
    for (revisions, more), following in zip(pages, [*pages[1:], None]):
        total = sum(body_size[rev["id"]] for rev in revisions)
        assert total <= budget or len(revisions) == 1  # a revision over budget travels alone
        if more and following and following[0] and not interleaved:
            # and a page ends only where the next revision would have passed the budget
            assert total + body_size[following[0][0]["id"]] > budget
    assert len(pages) > 5

    newcomer = make_device(service, b, "newcomer")  # the whole history, in those small pages
    newcomer.sync()
    reader.sync()
    held = {r.id for r in newcomer.vault.records.list()}
    reader_records = {r.id for r in reader.vault.records.list()}
    assert held == reader_records and len(held) == len(expected) + 3


def _open_transaction_elsewhere(service: Service) -> sa.Connection:
    """A transaction with an id, open on the service's database as autovacuum's or another
    client's may be: it holds the visibility horizon back for everything committed after it."""
    connection = db.writer(service.engine).connect()
    connection.begin()
    connection.exec_driver_sql("SELECT pg_current_xact_id()")
    return connection


@pytest.fixture
def held_behind(service: Service, make_device) -> Iterator[tuple[str, Device, Device, sa.Connection]]:  # noqa: ANN001
    """Two colleagues, synced, and a transaction open elsewhere on PostgreSQL holding the horizon back."""
    if service.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite one writer at a time: a committed revision is never held back")
    assessment_id, first, second, _ = colleagues(service, make_device)
    blocker = _open_transaction_elsewhere(service)
    try:
        yield assessment_id, first, second, blocker
    finally:
        blocker.close()


def test_a_sync_waits_a_moment_for_a_colleagues_revision_held_behind_another_open_transaction(held_behind) -> None:  # noqa: ANN001
    assessment_id, first, second, blocker = held_behind
    record_id = first.vault.records.create(assessment_id, sample_contents()[0]).value.id
    assert first.sync().pushed == 1
    api = _api(second)
    answer = api.pull(second.vault.replication.cursor(), 50)
    assert (answer.revisions, answer.more, answer.held_back) == ([], False, True)
    releasing = threading.Timer(0.6, blocker.rollback)  # ends while the sync waits
    releasing.start()
    started = time.monotonic()
    assert second.sync().pulled == 1
    releasing.join()
    assert second.vault.records.get(record_id).content == sample_contents()[0]
    assert time.monotonic() - started >= 0.5  # it waited; it did not find it by chance before the release


def test_a_sync_held_back_for_long_ends_and_the_next_one_brings_the_revision(held_behind) -> None:  # noqa: ANN001
    assessment_id, first, second, blocker = held_behind
    record_id = first.vault.records.create(assessment_id, sample_contents()[0]).value.id
    first.sync()
    assert second.sync().pulled == 0  # it gave up waiting; nothing was skipped
    blocker.close()
    assert second.sync().pulled == 1
    assert second.vault.records.get(record_id).content == sample_contents()[0]


def test_a_client_that_does_not_name_the_feature_gets_no_held_back_field(service: Service, make_device) -> None:  # noqa: ANN001
    _assessment_id, first, _second, _ = colleagues(service, make_device)
    link = first.vault.replication.link()
    assert link is not None
    headers = {protocol.PROTOCOL_HEADER: str(protocol.PROTOCOL_VERSION), "Authorization": f"Bearer {link.token}"}
    for features, has_field in (("", False), (protocol.F_DEVICE_INSPECTOR, False), (protocol.F_HELD_BACK, True)):
        answer = service.http("POST", api_url(service, "/pull"), json={}, headers={**headers, protocol.FEATURES_HEADER: features})
        assert answer.status_code == 200, answer.text
        assert ("held_back" in answer.json()) is has_field, features
