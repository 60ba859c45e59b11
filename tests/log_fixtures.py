"""Logs written to a test's own folder (FIELDAPP_LOG_DIR), and the handler removed afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp import logs


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
