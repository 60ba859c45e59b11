"""`fieldapp --smoke-test`, as CI runs it on the bundle, here from the source tree in a child process
with no display and no QT_QPA_PLATFORM set (the app must choose offscreen by itself), its local
service run by this Python from beside the app's own code (never from the current folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_smoke_test_records_finds_syncs_and_paints_then_leaves_nothing_behind(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "ui", "--smoke-test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(": ok")[0] for line in lines[:4]] == [
        "smoke test: a new vault in a temporary folder",
        "smoke test: a record saved and found by search",
        "smoke test: the record synced to a local service",
        "smoke test: the main window painted (offscreen)",
    ]
    assert lines[-1].startswith("smoke test passed in ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # the temporary vault is gone


def test_the_smoke_tests_local_service_never_runs_a_sync_package_from_the_folder_it_was_started_in(tmp_path: Path) -> None:
    from ui.smoke import service_command

    planted = tmp_path / "sync" / "server"
    planted.mkdir(parents=True)
    for init in (tmp_path / "sync" / "__init__.py", planted / "__init__.py"):
        init.write_text("")
    (planted / "__main__.py").write_text("import pathlib; pathlib.Path('PLANTED-RAN').write_text('yes')\n")
    done = subprocess.run([*service_command(), "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert not (tmp_path / "PLANTED-RAN").exists()
    assert done.returncode == 0 and done.stdout.startswith("fieldapp-server "), done.stdout + done.stderr
