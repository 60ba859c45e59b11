"""Logs written to a test's own folder (FIELDAPP_LOG_DIR), and the handler removed afterwards; canary
words; and a child Python process that logs (and reports its crashes) into a folder of the test's."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp import logs

ROOT = Path(__file__).resolve().parents[1]


def canary(label: str) -> str:
    """Words that must never reach a log, a crash report or the diagnostics: unique to one test."""
    return f"CANARY{label}{os.urandom(6).hex()}"


def read_all(*folders: Path) -> str:
    """Every file under the folders, as text: where a canary must not be."""
    return "\n".join(p.read_text(errors="replace") for folder in folders for p in sorted(folder.rglob("*")) if p.is_file())


def run_child(script: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """script in a child Python from the source tree, its logs and crash reports in folder, Qt offscreen."""
    env = {**os.environ, logs.ENV_FOLDER: str(folder), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def app_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The app's log folder, as FIELDAPP_LOG_DIR names it, configured as the app configures it."""
    folder = tmp_path / "app-logs"
    monkeypatch.setenv(logs.ENV_FOLDER, str(folder))
    logs.configure("fieldapp")
    yield folder
    forget_handlers()


def forget_handlers() -> None:
    root = logging.getLogger("fieldapp")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
