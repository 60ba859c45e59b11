"""`python -m bench service --quick`: simulated devices enrol, push and pull against the service
in its own worker processes, and the bench prints one JSON object. On PostgreSQL when
FIELDAPP_TEST_DATABASE_URL is set (in a database of the bench's own), else SQLite; attachments in
the data folder. Its timings are what the bench is for; here only that it ran cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"devices", "revisions_per_s", "push_p50_ms", "push_p95_ms", "push_p99_ms", "pull_p95_ms", "errors", "workers", "database", "blob_store", "concurrency"}


def test_the_quick_load_test_prints_its_figures_with_no_errors(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench", "service", "--quick", "--blob-store", "folder", "--dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    assert KEYS <= result.keys()
    assert result["errors"] == 0, result["error_kinds"]
    assert result["devices"] == 50
    assert result["pulled_revisions"] > 0
