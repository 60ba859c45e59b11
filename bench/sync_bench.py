"""The sync benchmark: the real service in its own process, real vaults as clients, on this machine.

    python -m bench sync [--records 10000] [--attachment-mb 300] [--devices 20] [--peer DIR]

Prints JSON. Ratios compare two things measured in this same run: `push_vs_raw` is the real push
over POSTing the same bytes in the same batches to a bare endpoint of the same service process;
`incremental_push_vs_peer` is one edited record pushed over the peer's one edited document pushed
(PouchDB to pouchdb-server, ../shared/peers/pouchdb, run from DIR set up as its README says).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import requests
from fastapi import Request, Response  # module level: FastAPI resolves the route's annotations here
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fieldapp import domain
from fieldapp.replication import enrolment_proof
from fieldapp.revisions import revision
from fieldapp.ids import iso, utcnow, uuid7
from fieldapp.replication.exchange import Ack
from fieldapp.storage.keys import KdfParams
from fieldapp.vault import Vault
from sync import protocol
from sync.client.api import ServiceApi
from sync.client.engine import SyncEngine
from sync.client.enrolment import enrol
from sync.client.transport import HttpTransport

PASSPHRASE = "benchmark passphrase, not a secret"
BARE = "/bench/raw"  # the bare endpoint the bench adds to its own service process


PEER_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "peers" / "pouchdb"


def run(*, records: int, attachment_mb: int, devices: int, where: str | None = None, peer: str | None = None) -> dict:
    base = Path(where) if where else Path(tempfile.mkdtemp(prefix="fieldapp-sync-bench-"))
    try:
        result: dict = {"records": records}
        result.update(_records_phase(base / "records", records))
        result.update(_peer_phase(Path(peer) if peer else None, records, result["incremental_push_median_ms"]))
        # Many devices at once: the service as deployed on this machine's cores (a worker per
        # core), and a single worker beside it for comparison.
        result.update(_devices_phase(base / "devices", devices, workers=os.cpu_count() or 1))
        single = _devices_phase(base / "devices-1", devices, workers=1)
        result["devices_20_revs_s_1_worker"] = single["devices_20_revs_s"]
        result["devices_20_p95_ms_1_worker"] = single["devices_20_p95_ms"]
        result.update(_attachment_phase(base / "attach", attachment_mb))
        return result
    finally:
        if where is None:
            shutil.rmtree(base, ignore_errors=True)


# -- the service, in its own process ----------------------------------------------------------------


class ServiceProcess:
    def __init__(self, data: Path, workers: int = 1) -> None:
        self.data = data
        self.workers = workers
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        code = f"from bench.sync_bench import serve; serve({str(self.data)!r}, {self.port}, {self.workers})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/v1/status", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("the service did not start")

    def peak_rss_mb(self) -> float:
        """The service's peak resident memory (with several workers, the largest worker's)."""
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        pids = [self.proc.pid, *map(int, children.read_text().split())] if children.exists() else [self.proc.pid]
        return max(_vm_hwm_mb(pid) for pid in pids)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def admin(self, *args: str) -> dict:
        import json

        out = subprocess.run(
            [sys.executable, "-m", "sync.server", "--data", str(self.data), "admin", "--json", *args],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(out.stdout)


def serve(data: str, port: int, workers: int = 1) -> None:
    """The service as shipped (one worker process, or several, as deployed on more cores), plus
    one bare endpoint that reads a body and does nothing with it."""
    import uvicorn

    os.environ["FIELDAPP_BENCH_DATA"] = data
    Path(data).mkdir(parents=True, exist_ok=True)
    from sync.server import db, migrations
    from sync.server.settings import Settings

    migrations.upgrade(db.create_engine(Settings(data_dir=Path(data)).url))  # once, before the service (its workers) start
    if workers > 1:
        uvicorn.run("bench.sync_bench:bench_app", factory=True, workers=workers, host="127.0.0.1", port=port, log_level="error")
    else:
        uvicorn.run(bench_app(), host="127.0.0.1", port=port, log_level="error")


def bench_app():  # noqa: ANN201 - a FastAPI app
    from sync.server.app import create_app
    from sync.server.limits import large_body
    from sync.server.settings import Limits, Settings

    limits = Limits(requests_per_s=100_000, burst=100_000, enrol_per_minute=100_000)  # the bench's own devices, all from here
    settings = Settings(data_dir=Path(os.environ["FIELDAPP_BENCH_DATA"]), limits=limits)
    app = create_app(settings, migrate=False)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)

    @app.post(BARE, include_in_schema=False)
    @large_body  # a push's body, as the real route takes it
    async def bare(request: Request) -> Response:
        await request.body()
        return Response(status_code=204)

    return app


# -- 10k records: push, the same bytes raw, pull, incremental ---------------------------------------


def _records_phase(base: Path, n: int) -> dict:
    service = ServiceProcess(base / "service").start()
    try:
        assessment = service.admin("assessment", "add", "Northshire ICS", "--from", "2026-11-01", "--to", "2026-11-30")["id"]
        a = service.admin("inspector", "add", "Inspector A")["id"]
        b = service.admin("inspector", "add", "Inspector B")["id"]
        for inspector in (a, b):
            service.admin("team", "add", assessment, inspector)
        first = _device(base / "first", service, a)
        _sync(first, service)
        contents = _contents(n, random.Random(20261123))
        for content in contents:
            rec = first.records.create(assessment, content).value
            first.records.cut_revision(rec.id)
        pending = first.replication.pending(n + 10)
        canonical = sum(len(r.body) for r in pending)
        batches = [pending[i : i + protocol.MAX_BATCH] for i in range(0, len(pending), protocol.MAX_BATCH)]

        raw_s = _post_raw(service, first, batches)
        t0 = time.perf_counter()
        transport = _sync(first, service)
        push_s = time.perf_counter() - t0
        second = _device(base / "second", service, b)
        t0 = time.perf_counter()
        report_b = _sync(second, service, report=True)
        pull_s = time.perf_counter() - t0
        assert report_b.pulled == n, report_b  # type: ignore[attr-defined]

        incremental = _incremental(first, second, service, assessment, 60)
        everyday = _everyday(first, service, assessment, 40)
        first.lock()
        second.lock()
        return {
            "push_10k_s": round(push_s, 2),
            "raw_post_s": round(raw_s, 2),
            "push_vs_raw": round(push_s / raw_s, 2),
            "pull_10k_s": round(pull_s, 2),
            "incremental_p95_ms": round(_p95(incremental), 1),
            "incremental_median_ms": round(statistics.median(incremental), 1),
            **everyday,
            "wire_ratio": round(transport.bytes_sent / canonical, 3),  # type: ignore[attr-defined]
            "canonical_mb": round(canonical / 1e6, 2),
            "content_gzip_ratio": round(len(gzip.compress(b"".join(r.body for r in pending[:500]))) / sum(len(r.body) for r in pending[:500]), 3),
            "service_peak_rss_mb_records": round(service.peak_rss_mb(), 1),
        }
    finally:
        service.stop()


def _device(path: Path, service: ServiceProcess, inspector: str) -> Vault:
    vault = Vault.create(path, PASSPHRASE, kdf=KdfParams()).vault  # the KDF is not what is measured here
    code = service.admin("code", inspector)["code"]
    enrol(vault, service.url, code, label=path.name)
    return vault


def _sync(vault: Vault, service: ServiceProcess, *, report: bool = False, **kwargs: object) -> object:
    link = vault.replication.link()
    assert link is not None
    transport = HttpTransport(link.url)
    try:
        done = SyncEngine(vault, ServiceApi(transport, link.token), **kwargs).run()  # type: ignore[arg-type]
    finally:
        transport.close()
    return done if report else transport


def _post_raw(service: ServiceProcess, vault: Vault, batches: list[list[revision.SignedRevision]]) -> float:
    """The same request bodies (JSON, gzip) in the same batches, to an endpoint that only reads them."""
    link = vault.replication.link()
    assert link is not None
    session = requests.Session()
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "Authorization": f"Bearer {link.token}"}
    t0 = time.perf_counter()
    for batch in batches:
        body = protocol.PushRequest.model_construct(
            revisions=[protocol.Revision.model_construct(id=r.id, body=r.body.decode(), signature=base64.b64encode(r.signature).decode()) for r in batch]
        ).model_dump_json().encode()
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        answer = session.post(service.url + BARE, data=compressor.compress(body) + compressor.flush(), headers=headers, timeout=60)
        answer.raise_for_status()
    return time.perf_counter() - t0


def _incremental(first: Vault, second: Vault, service: ServiceProcess, assessment: str, rounds: int) -> list[float]:
    """One record edited on one laptop: its push, then the colleague's pull, in milliseconds."""
    record = first.records.create(assessment, domain.Observation(title="incremental", notes="start")).value
    _sync(first, service)
    _sync(second, service)
    link_a, link_b = first.replication.link(), second.replication.link()
    assert link_a and link_b
    ta, tb = HttpTransport(link_a.url), HttpTransport(link_b.url)
    engine_a, engine_b = SyncEngine(first, ServiceApi(ta, link_a.token)), SyncEngine(second, ServiceApi(tb, link_b.token))
    times = []
    for i in range(rounds):
        first.records.add_note(record.id, f"note {i}")
        t0 = time.perf_counter()
        engine_a.run()
        report = engine_b.run()
        times.append((time.perf_counter() - t0) * 1000)
        assert report.pulled >= 1
    ta.close()
    tb.close()
    return times[5:]  # the first rounds warm the connections


def _everyday(vault: Vault, service: ServiceProcess, assessment: str, rounds: int) -> dict:
    """The peer's case: one record edited, then only its push (what a sync starts with, the request,
    the acknowledgement stored); and a whole sync with nothing to do, with its round trips."""
    record = vault.records.create(assessment, domain.Observation(title="everyday", notes="start")).value
    _sync(vault, service)
    link = vault.replication.link()
    assert link is not None
    transport = HttpTransport(link.url)
    api = ServiceApi(transport, link.token)
    pushes, noops, trips = [], [], []
    try:
        for i in range(rounds):
            vault.records.add_note(record.id, f"everyday note {i}")
            t0 = time.perf_counter()
            pending = vault.replication.begin_sync(protocol.MAX_BATCH).pending.revisions
            answer = api.push(pending)
            vault.replication.acknowledge([Ack(a.id, a.status == "accepted", a.code or "", a.reason or "") for a in answer.acks])
            pushes.append((time.perf_counter() - t0) * 1000)
            assert [a.status for a in answer.acks] == ["accepted"], answer
            before = transport.requests_answered
            t0 = time.perf_counter()
            SyncEngine(vault, api).run()  # a new engine each time, as the app makes one for each sync
            noops.append((time.perf_counter() - t0) * 1000)
            trips.append(transport.requests_answered - before)
    finally:
        transport.close()
    return {
        "incremental_push_median_ms": round(statistics.median(pushes[5:]), 1),  # the first rounds warm the connection
        "noop_sync_ms": round(statistics.median(noops[5:]), 1),
        "noop_sync_round_trips": max(trips),
    }


# -- the peer: PouchDB replicating to pouchdb-server, measured in this same run ---------------------


def _peer_phase(where: Path | None, records: int, ours_ms: float) -> dict:
    """The peer's one edited document pushed (median of 20), beside ours; `peer` is null, with the
    reason, when the peer cannot be run here."""
    where = where or Path(os.environ.get("FIELDAPP_PEER_DIR", PEER_SOURCE))
    reason = _peer_missing(where)
    if reason:
        return {"peer": None, "peer_reason": reason, "incremental_push_vs_peer": None}
    out = where / "results-fieldapp-bench.json"
    env = {**os.environ, "PEER_DIR": str(where), "PORT": str(_free_port()), "ONLY": "inc", "RUNS": "1", "N": str(records), "OUT": str(out)}
    done = subprocess.run(["bash", str(where / "run.sh")], env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0 or not out.exists():
        return {"peer": None, "peer_reason": f"run.sh failed: {done.stderr.strip()[-300:]}", "incremental_push_vs_peer": None}
    figures = json.loads(out.read_text())["figures"]
    peer = {"incremental_push_median_ms": figures["incremental_ms"], "noop_push_ms": figures["noop_push_ms"], "docs": records}
    return {"peer": peer, "incremental_push_vs_peer": round(ours_ms / figures["incremental_ms"], 2)}


def _peer_missing(where: Path) -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (where / "run.sh").exists():
        return f"no peer at {where} (pass --peer DIR or set FIELDAPP_PEER_DIR)"
    if not (where / "node_modules" / "pouchdb-server").is_dir():
        return f"the peer at {where} is not set up: run `npm install` there (its README says how)"
    return None


# -- many devices at once ---------------------------------------------------------------------------


def _devices_phase(base: Path, n_devices: int, *, workers: int, per_device: int = 500, batch: int = 50) -> dict:
    service = ServiceProcess(base / "service", workers).start()
    try:
        assessment = service.admin("assessment", "add", "Eastshire ICS")["id"]
        senders = []
        for d in range(n_devices):
            inspector = service.admin("inspector", "add", f"Inspector {d}")["id"]
            service.admin("team", "add", assessment, inspector)
            senders.append(_bare_device(service, inspector, assessment, per_device))
        latencies: list[float] = []
        lock = threading.Lock()

        def push(api: ServiceApi, revisions: list[revision.SignedRevision]) -> None:
            for start in range(0, len(revisions), batch):
                t0 = time.perf_counter()
                answer = api.push(revisions[start : start + batch])
                took = (time.perf_counter() - t0) * 1000
                assert all(a.status == "accepted" for a in answer.acks)
                with lock:
                    latencies.append(took)

        threads = [threading.Thread(target=push, args=s) for s in senders]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - t0
        return {
            "devices": n_devices,
            "devices_20_revs_s": round(n_devices * per_device / wall),
            "devices_20_p95_ms": round(_p95(latencies), 1),
            "devices_batch": batch,
            "service_workers": workers,
        }
    finally:
        service.stop()


def _bare_device(service: ServiceProcess, inspector: str, assessment: str, count: int) -> tuple[ServiceApi, list[revision.SignedRevision]]:
    """A device without a vault: a key, a token, and revisions signed ahead (the client's own work is not timed)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    device_id = uuid7()
    api = ServiceApi(HttpTransport(service.url))
    code = service.admin("code", inspector)["code"]
    token = api.enrol(code, device_id, public, enrolment_proof.sign(key, code, device_id, public), "bench").token
    api = ServiceApi(HttpTransport(service.url), token)
    return api, signed_revisions(key, device_id, assessment, count)


def signed_revisions(
    key: Ed25519PrivateKey, device_id: str, assessment: str, count: int, *, first_attachments: tuple[dict, ...] = (),
) -> list[revision.SignedRevision]:  # fmt: skip
    """`count` new records' first revisions, signed by the device's key as a laptop signs them; the
    first record names `first_attachments`."""
    revisions = []
    for n, content in enumerate(_contents(count, random.Random(device_id))):
        attachments = first_attachments if n == 0 else ()
        snap = revision.Snapshot(uuid7(), assessment, content.kind, "cqc-ics@2024.1", False, domain.to_dict(content), (), attachments)
        revisions.append(revision.create(snap, parents=(), device_id=device_id, created_at=iso(utcnow()), private_key=key))
    return revisions


# -- a 300 MB attachment, in a fresh process each side ----------------------------------------------


def _attachment_phase(base: Path, size_mb: int) -> dict:
    service = ServiceProcess(base / "service").start()
    try:
        assessment = service.admin("assessment", "add", "Westshire ICS")["id"]
        a = service.admin("inspector", "add", "Inspector A")["id"]
        b = service.admin("inspector", "add", "Inspector B")["id"]
        for inspector in (a, b):
            service.admin("team", "add", assessment, inspector)
        codes = [service.admin("code", a)["code"], service.admin("code", b)["code"]]
        code = f"from bench.sync_bench import attachment_client; attachment_client({str(base)!r}, {service.url!r}, {codes!r}, {size_mb})"
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        import json

        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["attach_peak_rss_mb"] = round(max(result.pop("client_peak_rss_mb"), service.peak_rss_mb()), 1)
        return result
    finally:
        service.stop()


def attachment_client(base: str, url: str, codes: list[str], size_mb: int) -> None:
    """Runs in its own process, so its peak memory is the attachment's alone."""
    import json

    root = Path(base)
    source = root / "video.bin"
    _write_random(source, size_mb << 20)
    size = source.stat().st_size
    up = Vault.create(root / "up", PASSPHRASE, kdf=KdfParams()).vault
    enrol(up, url, codes[0], label="up")
    _sync_url(up)
    assessment = up.assessments.list()[0].id
    record = up.records.create(assessment, domain.Observation(title="recorded meeting")).value
    up.attachments.add(record.id, source)
    up.records.cut_revision(record.id)
    t0 = time.perf_counter()
    report_up = _sync_url(up)
    up_s = time.perf_counter() - t0
    assert report_up.uploaded_bytes == size

    down = Vault.create(root / "down", PASSPHRASE, kdf=KdfParams()).vault
    enrol(down, url, codes[1], label="down")
    t0 = time.perf_counter()
    report_down = _sync_url(down)
    down_s = time.perf_counter() - t0
    assert report_down.downloaded_bytes == size
    peak = _vm_hwm_mb(os.getpid())

    # An upload cut at 60 % (the service killed mid-transfer), then resumed by the next sync.
    resume = _resume(root, size_mb)
    print(json.dumps({
        "attachment_mb": size_mb,
        "attach_up_mb_s": round(size / 1e6 / up_s, 1),
        "attach_down_mb_s": round(size / 1e6 / down_s, 1),
        "attach_mb_s": round(2 * size / 1e6 / (up_s + down_s), 1),
        "client_peak_rss_mb": peak,
        **resume,
    }))  # fmt: skip


def _resume(root: Path, size_mb: int) -> dict:
    """Kill the service while a chunk is on the wire at 60 % of an upload, start it again, sync
    again: every byte put on the wire (retries and the cut chunk included) over the file's size."""
    service = ServiceProcess(root / "resume-service").start()
    try:
        assessment = service.admin("assessment", "add", "Southshire ICS")["id"]
        inspector = service.admin("inspector", "add", "Inspector R")["id"]
        service.admin("team", "add", assessment, inspector)
        source = root / "scan.bin"
        _write_random(source, size_mb << 20)
        size = source.stat().st_size
        vault = _device(root / "resume", service, inspector)
        _sync_url(vault)
        record = vault.records.create(assessment, domain.Observation(title="scanned papers")).value
        vault.attachments.add(record.id, source)
        vault.records.cut_revision(record.id)
        killed = threading.Event()

        def progress(p: object) -> None:
            if getattr(p, "stage", "") == "upload" and getattr(p, "done", 0) >= 0.6 * size and not killed.is_set():
                killed.set()  # the next chunk is about to go: kill the service while it travels
                threading.Timer(0.02, service.kill).start()

        from sync.client.errors import SyncError

        attempted = 0
        try:
            _sync_url(vault, progress=progress)
        except SyncError:
            pass
        attempted += _LAST_TRANSPORT[0].bytes_attempted
        cut_at = _LAST_TRANSPORT[0].bytes_attempted / size
        port = service.port
        service = ServiceProcess(root / "resume-service")
        service.port, service.url = port, f"http://127.0.0.1:{port}"
        service.start()
        report = _sync_url(vault)
        attempted += _LAST_TRANSPORT[0].bytes_attempted
        assert report.uploaded_bytes > 0
        vault.lock()
        return {"resume_overhead": round(attempted / size, 3), "resume_cut_at": round(cut_at, 2)}
    finally:
        service.stop()


_LAST_TRANSPORT: list[HttpTransport] = []


def _sync_url(vault: Vault, **kwargs: object):  # noqa: ANN202
    link = vault.replication.link()
    assert link is not None
    transport = HttpTransport(link.url)
    _LAST_TRANSPORT[:] = [transport]
    try:
        return SyncEngine(vault, ServiceApi(transport, link.token), **kwargs).run()  # type: ignore[arg-type]
    finally:
        transport.close()


# -- helpers ----------------------------------------------------------------------------------------


def _contents(n: int, rng: random.Random) -> list[domain.Content]:
    """Records of ~2 KB of notes in words drawn as in prose (a Zipf law over a real vocabulary)."""
    vocabulary = _vocabulary()
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    made: list[domain.Content] = []
    for i in range(n):
        words = rng.choices(vocabulary, weights, k=300)
        notes = " ".join(words)
        kind = i % 4
        if kind == 0:
            made.append(domain.Observation(title=f"Board meeting {i}", meeting_type="icb", location="County Hall", notes=notes))
        elif kind == 1:
            made.append(domain.Interview(title=f"Interview {i}", role="carer", pseudonym=f"Carer C{i}", consent=domain.Consent(True, "verbal", "2026-11-20"), notes=notes))
        elif kind == 2:
            made.append(domain.CaseTracking(title=f"Case {i}", pseudonym=f"Person P{i}", contacts=(domain.Contact(f"c{i}", "Emergency department", "2026-10-01", notes[:400]),), notes=notes[400:]))
        else:
            made.append(domain.FocusGroup(title=f"Focus group {i}", groups_represented=("District nurses",), participants=8, facilitator="Inspector A", notes=notes))
    return made


def _vocabulary() -> list[str]:
    import re

    root = Path(__file__).resolve().parent.parent
    text = " ".join(p.read_text(encoding="utf-8") for p in [root / "README.md", root / "docs" / "security.md", *sorted((root / "resources" / "framework").glob("*.json"))])
    seen: dict[str, int] = {}
    for word in re.findall(r"[A-Za-z][a-z]{1,14}", text):
        seen[word.lower()] = seen.get(word.lower(), 0) + 1
    return sorted(seen, key=lambda w: -seen[w])


def _write_random(path: Path, size: int) -> None:
    # Incompressible, as photos and recordings are.
    with open(path, "wb") as out:
        left = size
        while left:
            piece = os.urandom(min(left, 8 << 20))
            out.write(piece)
            left -= len(piece)


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
