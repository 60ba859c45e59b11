"""UI tests never read or write the user's own preferences file (window size, theme, idle lock)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings


@pytest.fixture(autouse=True)
def own_settings_folder(tmp_path: Path) -> None:
    """Each test's user-scope settings live in its own folder: a window closed by one test must
    not hand its size to the next (nor to the developer's app)."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "user-config"))
