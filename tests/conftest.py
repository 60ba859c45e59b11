"""Shared test set-up: Qt offscreen, the vault fixtures, and the PostgreSQL switch."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from vault_fixtures import assessment_id, recovery_key, small_disk, vault, vault_path, vault_template  # noqa: E402,F401
from report_fixtures import demo_template  # noqa: E402,F401
from s3_fixtures import object_store, s3_settings  # noqa: E402,F401
from sync_fixtures import inprocess_sqlite_service, laptop_templates, make_device, service, socket_service, sqlite_service  # noqa: E402,F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, every PostgreSQL test runs on one worker, one at a time: the service's
    pull cursor waits for the oldest open transaction of the whole server (DESIGN section 6), so a
    test in one worker holding a transaction open would stall another worker's pulls."""
    for item in items:
        if "postgres" in item.nodeid or "postgres_schema" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("postgresql"))


def postgres_url() -> str:
    """The PostgreSQL URL for server tests, or a visible skip saying how to get one."""
    url = os.environ.get("FIELDAPP_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FIELDAPP_TEST_DATABASE_URL is not set: PostgreSQL tests need a server (see README)")
    return url


@pytest.fixture(autouse=True)
def own_settings_folder(request: pytest.FixtureRequest) -> None:
    """UI tests never read or write the user's own preferences file: each test's user-scope settings
    live in its own folder, so a window closed by one test does not hand its size to the next (nor
    to the developer's app). (Here, not in tests/ui/conftest.py: a second conftest module would
    shadow this one for `from conftest import postgres_url`.)"""
    if "ui" not in request.node.path.parent.parts[-1:]:
        return
    from PySide6.QtCore import QSettings

    folder = request.getfixturevalue("tmp_path") / "user-config"
    for kind in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):  # Native: Qt's own (its file dialog's)
        QSettings.setPath(kind, QSettings.Scope.UserScope, str(folder))
