"""One version, from pyproject.toml: read once, compared as numbers, printed by both programs' --version."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fieldapp.version import app_version, is_newer, release
from sync.server import cli

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_the_one_pyproject_names() -> None:
    assert app_version() == tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_versions_compare_as_numbers_not_as_text() -> None:
    assert is_newer("1.10", than="1.9")
    assert is_newer("0.2.0", than="0.1.9")
    assert not is_newer("1.9", than="1.10")
    assert not is_newer("1.2.0", than="1.2")
    assert not is_newer("1.2", than="1.2")
    assert release("v2.0.1rc1") == (2, 0, 1)


def test_an_unreadable_version_is_never_called_newer() -> None:
    assert not is_newer("latest", than="0.1.0")
    assert not is_newer("9.9.9", than="unknown")


def test_the_app_prints_its_version_without_opening_a_window_or_a_vault(tmp_path: Path) -> None:
    # No display at all: were Qt's GUI started, this would fail; the data folder must stay empty.
    env = {**os.environ, "QT_QPA_PLATFORM": "none-such", "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-m", "ui", "--version"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, f"fieldapp {app_version()}\n")
    assert not (tmp_path / "data").exists() and not (tmp_path / "config").exists()


def test_the_server_prints_its_version_and_exits_cleanly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version", "--data", str(tmp_path / "service")])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"fieldapp-server {app_version()}\n"
    assert not (tmp_path / "service").exists()
