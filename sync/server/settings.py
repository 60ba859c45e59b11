"""What a service instance is configured with: where its data and attachments live, and its limits."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from sync import protocol
from sync.server.shared_state import REDIS_PREFIX_ENV, REDIS_URL_ENV


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("fieldapp-server", appauthor=False))


# The newest fieldapp release the administrator has installed for inspectors (e.g. 0.2.0): laptops
# learn it from the status answer and tell their inspectors once. Unset: no one is told anything.
NEWEST_CLIENT_ENV = "FIELDAPP_NEWEST_CLIENT"


def newest_client_from_environment() -> str | None:
    return _environment(NEWEST_CLIENT_ENV)


METRICS_TOKEN_FILE_ENV = "FIELDAPP_METRICS_TOKEN_FILE"


def metrics_token_from(path: str | None) -> str | None:
    """The token in a file (its first line), or None without a file; ValueError saying why when it cannot be used."""
    if path is None:
        return None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError) as exc:
        raise ValueError(f"Cannot read the metrics token file {path}: {exc.strerror or exc}.") from None
    if len(token) < 16:
        raise ValueError(f"The metrics token in {path} is shorter than 16 characters; make a longer one (docs/deployment.md).")
    return token


def _environment(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def private_folder(path: Path) -> None:
    """A folder only this user may open (0700), made if missing: evidence and keys live under it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def private_file(path: Path) -> None:
    """A file only this user may read (0600), made empty if missing: SQLite gives its -wal and -shm
    the database file's mode, so making the database this way first covers them too.

    A file already there is never opened: closing any descriptor of a file drops every POSIX lock
    this process holds on it, and SQLite's locks are those. A service whose database was already
    open in the process (migrated at start) then looked closed to other processes; the last of
    those to close checkpointed and deleted the WAL under it, and the service went on alone with
    a deleted WAL, never seeing another process's writes again nor they its own."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    path.chmod(0o600)


@dataclass(frozen=True)
class S3Settings:
    """Where the object store is and how to sign in to it; the keys are never shown (repr=False)."""

    endpoint: str  # e.g. https://s3.eu-west-2.amazonaws.com or http://127.0.0.1:8333
    bucket: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    prefix: str = ""  # every key begins with this: several services (or tests) may share one bucket


# The object store, when attachments live in one (else a folder in the data folder): the bucket from
# `serve --blob-store s3://BUCKET` or FIELDAPP_S3_BUCKET, the rest from the environment only, so the
# keys never show in a process list.
S3_ENV = "FIELDAPP_S3_"


def s3_from_environment(bucket: str | None = None) -> S3Settings | None:
    """The object store the environment names (with `bucket` instead of FIELDAPP_S3_BUCKET, if
    given); None if no bucket is named; ValueError, naming what is missing, if it is half-said."""
    env = {name: os.environ.get(S3_ENV + name, "").strip() for name in ("ENDPOINT", "BUCKET", "ACCESS_KEY", "SECRET_KEY", "REGION", "PREFIX")}
    bucket = bucket or env["BUCKET"]
    if not bucket:
        return None
    missing = [S3_ENV + name for name in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY") if not env[name]]
    if missing:
        raise ValueError(f"attachments in bucket {bucket!r} need {', '.join(missing)} set in the environment.")
    return S3Settings(
        endpoint=env["ENDPOINT"], bucket=bucket, access_key=env["ACCESS_KEY"], secret_key=env["SECRET_KEY"],
        region=env["REGION"] or "us-east-1", prefix=env["PREFIX"],
    )  # fmt: skip


@dataclass(frozen=True)
class Limits:
    max_request_bytes: int = protocol.MAX_REQUEST_BYTES  # a push or an attachment chunk
    small_request_bytes: int = protocol.MAX_SMALL_REQUEST_BYTES  # every other body (enrol, pull, an offered assessment)
    body_deadline_s: float = 120.0  # a whole body must arrive within this
    max_batch: int = protocol.MAX_BATCH
    # Per device, a token bucket: this many requests a second on average, bursts up to `burst`.
    requests_per_s: float = 50.0
    burst: int = 200
    # Enrolment attempts per client address: codes are short, so guessing must be slow.
    enrol_per_minute: int = 10
    # Attachment uploads part-sent (staged, not yet whole) that one device may hold: more than the
    # largest batch of photos and recordings a visit makes, far less than the 1 TiB a revision may
    # name. Answered with 413 and the limit.
    staging_per_device_bytes: int = 2 << 30
    # A part-upload untouched this long is removed (a device that comes back starts that file
    # again): by `fieldapp-server sweep` from a timer, or in the embedded default (no Redis) at the
    # first chunk after a start, then at most once per sweep interval.
    staging_max_age_s: float = 7 * 24 * 3600.0
    staging_sweep_every_s: float = 3600.0


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None  # None: an SQLite file in data_dir (the embedded default)
    limits: Limits = field(default_factory=Limits)
    chunk_size: int = protocol.CHUNK_SIZE
    newest_client: str | None = field(default_factory=newest_client_from_environment)
    # Where rate limits and the sweep's turn are shared between processes; None: this process's memory.
    redis_url: str | None = field(default_factory=lambda: _environment(REDIS_URL_ENV))
    redis_prefix: str = field(default_factory=lambda: _environment(REDIS_PREFIX_ENV) or "fieldapp:")
    # The bearer token /metrics asks for, read from the file FIELDAPP_METRICS_TOKEN_FILE names; None: /metrics is off.
    metrics_token: str | None = field(default_factory=lambda: metrics_token_from(_environment(METRICS_TOKEN_FILE_ENV)), repr=False)
    s3: S3Settings | None = None  # None: attachments in blobs_dir (the embedded default)
    # The service key that wraps the data keys (sync.server.sealing); None: FIELDAPP_SERVICE_KEY, else
    # service.key in data_dir, made on first start.
    key_file: Path | None = None

    def __post_init__(self) -> None:
        if self.newest_client is not None and not re.fullmatch(protocol.RELEASE, self.newest_client):
            raise ValueError(f"{NEWEST_CLIENT_ENV}={self.newest_client!r} is not a release number; write one like 0.2.0.")

    @property
    def embedded(self) -> bool:
        """SQLite in the data folder: one user's service on a laptop (dev.sh app, the app's own)."""
        return self.database_url is None

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'service.db'}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"
