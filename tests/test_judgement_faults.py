"""A process killed while it publishes rating snapshots: each snapshot exists whole (its content, its
one signed revision) or not at all, and every one acknowledged is there."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from vault_fixtures import PASSPHRASE

from fieldapp.vault import Vault

_CHILD = textwrap.dedent(
    """
    import json, random, sys
    from fieldapp import domain
    from fieldapp.vault import Vault

    def say(**event):
        print(json.dumps(event), flush=True)

    path, passphrase, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    v = Vault.open(path, passphrase=passphrase)
    aid = v.assessments.list()[0].id
    statements = [row.statement_id for row in v.judgements.list(aid)]
    say(phase="ready")
    for i in range(100000):
        statement = rng.choice(statements)
        score = rng.randint(1, 4)
        content = domain.JudgementContent(statement, {"outcomes": domain.ScoreEntry(score)}, strengths="s" * rng.randint(0, 50000))
        v.judgements.save(aid, statement, content)
        note = f"snapshot {i}"
        say(phase="try", note=note)
        made = v.judgements.snapshot(aid, kind=rng.choice(["published", "review"]), note=note).value
        say(phase="done", note=note, id=made.id)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_a_process_killed_mid_snapshot_leaves_each_snapshot_whole_or_absent(vault_path: Path, tmp_path: Path, seed: int) -> None:
    v = Vault.open(vault_path, passphrase=PASSPHRASE)
    assessment_id = v.assessments.create("Killed ICS").value.id
    v.lock()
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(vault_path), PASSPHRASE, str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert child.stdout is not None
    ready = child.stdout.readline()
    assert ready.strip() == '{"phase": "ready"}', f"the child did not open the vault: {ready!r} {child.stderr.read() if child.stderr else ''}"
    time.sleep(random.Random(seed).uniform(0.5, 2.0))
    child.send_signal(signal.SIGKILL)
    out, err = child.communicate()
    lines = out.splitlines()
    if lines and not lines[-1].endswith("}"):
        lines.pop()  # the kill came mid-print
    events = [json.loads(line) for line in lines if line.strip()]
    done = {e["note"]: e["id"] for e in events if e["phase"] == "done"}
    assert done, f"the child made no snapshot before it was killed: {err[-2000:]}"

    reopened = Vault.open(vault_path, passphrase=PASSPHRASE)
    try:
        snapshots = reopened.judgements.snapshots(assessment_id)
        by_note = {s.note: s for s in snapshots}
        assert set(done) <= set(by_note)  # every acknowledged snapshot is there
        assert len(set(by_note) - set(done)) <= 1  # at most the one in flight when the kill came
        assert all(s.verified for s in snapshots)  # each whole: content and its signed revision agree
        with reopened.transaction("counting snapshots and their revisions") as session:
            made = session.execute(text("SELECT count(*) FROM records WHERE kind = 'rating_snapshot'")).scalar_one()
            revised = session.execute(text(
                "SELECT count(*) FROM records r JOIN revisions v ON v.record_id = r.id WHERE r.kind = 'rating_snapshot'"
            )).scalar_one()  # fmt: skip
        assert made == revised == len(snapshots)  # none without its revision, none with two
        assert reopened.verify(attachments=False).ok
    finally:
        reopened.lock()
