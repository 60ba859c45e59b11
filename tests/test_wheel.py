"""The wheel docs/deployment.md installs on a service host: it carries what the service and the
app read at run time from beside their code (the framework, the scoring rules, names, icons, both
sets of migrations), laid out as in the source tree. A wheel once lacked resources/, and the
deployed service's first `admin assessment add` failed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_every_resource_file_and_both_sets_of_migrations(tmp_path: Path) -> None:
    # Built from a copy: setuptools keeps a build/ folder in the tree, and a stale one would put
    # in the wheel what the project's settings no longer would.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "node_modules", ".hypothesis", ".schemathesis", "bench-out"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("fieldapp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = {str(p.relative_to(ROOT)) for p in (ROOT / "resources").rglob("*") if p.is_file()}
    assert resources and resources <= names, sorted(resources - names)
    for migrations in ("fieldapp/storage/migrations/versions", "sync/server/migrations/versions"):
        shipped = {str(p.relative_to(ROOT)) for p in (ROOT / migrations).glob("*.py")}
        assert shipped and shipped <= names, sorted(shipped - names)
    assert "sync/server/migrations/script.py.mako" in names
