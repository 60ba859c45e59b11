"""The vault benchmark: builds a vault of realistic records, then times what an inspector feels.

Every ratio compares two things measured in this same run, so a noisy machine moves both.
"""

from __future__ import annotations

import dataclasses
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fieldapp import domain
from fieldapp.framework import framework_by_key
from fieldapp.storage import keys
from fieldapp.search import Query
from fieldapp.vault import Vault

PASSPHRASE = "benchmark passphrase, not a secret"
WORDS = (
    "discharge delayed respite carer chair winter plan deficit safeguarding referral waiting list "
    "reablement district nurse social worker board governance partnership equity access outcomes "
    "learning culture staffing pathway transition hospital home housing mental health children "
    "voluntary sector estates workforce inclusion sustainability budget risk register assurance"
).split()


def run(*, records: int, attachment_mb: int, where: str | None) -> dict:
    rng = random.Random(20261122)
    base = Path(where) if where else Path(tempfile.mkdtemp(prefix="fieldapp-bench-"))
    try:
        return _run(base / "vault", records, attachment_mb, rng)
    finally:
        if where is None:
            shutil.rmtree(base, ignore_errors=True)


def _run(path: Path, n_records: int, attachment_mb: int, rng: random.Random) -> dict:
    result: dict = {"records": n_records}
    start = time.perf_counter()
    created = Vault.create(path, PASSPHRASE)  # calibrated Argon2id, as an inspector gets
    vault = created.vault
    result["kdf_params"] = dataclasses.asdict(vault.header.kdf)
    ids = _build(vault, n_records, rng)
    vault.lock()
    result["build_s"] = round(time.perf_counter() - start, 2)

    vault = Vault(path)
    t0 = time.perf_counter()
    data_key = keys.unwrap_with_passphrase(vault.header, PASSPHRASE)
    result["kdf_s"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    vault._open_with(data_key)  # the rest of unlock, less the KDF
    vault.search("discharge", limit=50)  # search answers: ready
    result["open_s"] = round(time.perf_counter() - t0, 3)

    save_ms = _time_saves(vault, ids, rng)
    sqlite_ms = _time_plain_sqlite(path.parent / "plain.sqlite", vault, ids, rng)
    result["save_p95_ms"] = round(_p95(save_ms), 2)
    result["plain_sqlite_p95_ms"] = round(_p95(sqlite_ms), 2)
    result["save_vs_sqlite"] = round(_p95(save_ms) / _p95(sqlite_ms), 2)

    assessment = vault.assessments.list()[0].id
    search_ms = []
    for _ in range(200):
        q = Query(text=rng.choice(WORDS)[:5], assessment_id=assessment, theme_id=rng.choice(("quality-and-safety", "integration", "leadership")))
        t0 = time.perf_counter()
        vault.search(q)
        search_ms.append((time.perf_counter() - t0) * 1000)
    result["search_p95_ms"] = round(_p95(search_ms), 2)
    result["rollup_ms"] = round(_p95(_time_rollups(vault, assessment, rng)), 2)

    result["rss_10k_open_mb"] = round(_rss_now_mb(), 1)
    result.update(_attachments(vault, ids[0], path.parent, attachment_mb))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    vault.lock()
    result["vault_mb"] = round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)
    return result


def _notes(rng: random.Random) -> str:
    size = 50_000 if rng.random() < 0.01 else int(rng.expovariate(1 / 2000))
    lines, length = [], 0
    while length < size:
        line = f"{rng.randint(9, 17):02d}:{rng.randint(0, 59):02d}  " + " ".join(rng.choices(WORDS, k=rng.randint(6, 20)))
        lines.append(line)
        length += len(line) + 1
    return "\n".join(lines)


def _content(rng: random.Random, i: int) -> domain.Content:
    notes = _notes(rng)
    kind = i % 4
    if kind == 0:
        return domain.Observation(title=f"Board meeting {i}", meeting_type=rng.choice(list(domain.MEETING_TYPES)), held_at=f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00", notes=notes)
    if kind == 1:
        return domain.Interview(title=f"Interview {i}", role=rng.choice(list(domain.INTERVIEWEE_ROLES)), pseudonym=f"P{i}", consent=domain.Consent(True, "verbal", "2026-11-01"), held_at=f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", notes=notes)
    if kind == 2:
        contacts = tuple(domain.Contact(f"c{j}", rng.choice(WORDS), f"2026-0{j + 1}-01", " ".join(rng.choices(WORDS, k=12))) for j in range(3))
        return domain.CaseTracking(title=f"Case {i}", pseudonym=f"C{i}", contacts=contacts, notes=notes)
    return domain.FocusGroup(title=f"Focus group {i}", held_at="2026-11-03", participants=rng.randint(3, 15), role="staff", notes=notes)


def _build(vault: Vault, n: int, rng: random.Random) -> list[str]:
    assessment = vault.assessments.create("Benchmark ICS").value.id
    statements = [
        "supporting-healthier-lives", "learning-culture", "safe-effective-staffing", "equity-in-access",
        "safeguarding", "safe-systems-pathways-transitions", "shared-direction-culture", "freedom-to-speak-up",
        "workforce-edi", "partnerships-communities",
    ]  # fmt: skip
    ids = []
    for i in range(n):
        rec = vault.records.create(assessment, _content(rng, i)).value
        for statement in rng.sample(statements, rng.randint(1, 4)):
            vault.links.tag(rec.id, statement)
        ids.append(rec.id)
        if i % 1000 == 999:
            print(f"built {i + 1} records", file=sys.stderr)
    return ids


def _time_saves(vault: Vault, ids: list[str], rng: random.Random) -> list[float]:
    timings = []
    for _ in range(300):
        rec = vault.records.get(rng.choice(ids))
        edited = type(rec.content)(**{**vars(rec.content), "notes": rec.content.notes + " x"})
        t0 = time.perf_counter()
        # The editor's autosave: its form and the draft it started from (checked, then written).
        vault.records.save_edit(rec.id, edited, base=rec.content, as_typed={})
        timings.append((time.perf_counter() - t0) * 1000)
    return timings


def _time_rollups(vault: Vault, assessment: str, rng: random.Random) -> list[float]:
    """The whole assessment rated again from its 17 judgements (beside the 10k tagged records), as
    the judgement view does after every score: statements, themes, overall, computed and final."""
    categories = _category_ids(vault, assessment)
    for row in vault.judgements.list(assessment):
        scores = {c: domain.ScoreEntry(rng.randint(1, 4)) for c in rng.sample(categories, rng.randint(2, len(categories)))}
        vault.judgements.save(assessment, row.statement_id, domain.JudgementContent(row.statement_id, scores, strengths=_notes(rng)[:2000]))
    timings = []
    for _ in range(100):
        t0 = time.perf_counter()
        rating = vault.judgements.rating(assessment)
        timings.append((time.perf_counter() - t0) * 1000)
    assert rating.rollup.scored == 17, rating.rollup
    return timings


def _category_ids(vault: Vault, assessment: str) -> list[str]:
    return [c.id for c in framework_by_key(vault.assessments.get(assessment).framework_key).categories]


def _time_plain_sqlite(path: Path, vault: Vault, ids: list[str], rng: random.Random) -> list[float]:
    """The same bytes into plain SQLite (WAL, synchronous=FULL): the floor our save is compared to."""
    from fieldapp.revisions.canonical import canonical_json

    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (id TEXT PRIMARY KEY, content TEXT)")
    payloads = [canonical_json(domain.to_dict(vault.records.get(rng.choice(ids)).content)).decode() for _ in range(300)]
    timings = []
    for i, payload in enumerate(payloads):
        t0 = time.perf_counter()
        con.execute("INSERT INTO t VALUES (?, ?)", (str(i), payload))
        con.commit()
        timings.append((time.perf_counter() - t0) * 1000)
    con.close()
    return timings


def _attachments(vault: Vault, record_id: str, folder: Path, size_mb: int) -> dict:
    source = folder / "audio.bin"
    chunk = os.urandom(1 << 20)
    with open(source, "wb") as fh:
        for _ in range(size_mb):
            fh.write(chunk)
    os.sync()
    t0 = time.perf_counter()
    copy = folder / "copy.bin"
    shutil.copyfile(source, copy)
    with open(copy, "rb+") as fh:
        os.fsync(fh.fileno())  # the attachment store fsyncs too: compare like with like
    copy_s = time.perf_counter() - t0
    copy.unlink()
    t0 = time.perf_counter()
    vault.attachments.add(record_id, source)
    attach_s = time.perf_counter() - t0
    source.unlink()
    return {
        "attach_mb_s": round(size_mb / attach_s, 1),
        "copy_mb_s": round(size_mb / copy_s, 1),
        "attach_vs_copy": round(attach_s / copy_s, 2),
    }


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
