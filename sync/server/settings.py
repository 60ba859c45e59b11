"""What a service instance is configured with: where its data lives, and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from sync import protocol


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("fieldapp-server", appauthor=False))


@dataclass(frozen=True)
class Limits:
    max_request_bytes: int = protocol.MAX_REQUEST_BYTES
    max_batch: int = protocol.MAX_BATCH
    # Per device, a token bucket: this many requests a second on average, bursts up to `burst`.
    requests_per_s: float = 50.0
    burst: int = 200
    # Enrolment attempts per client address: codes are short, so guessing must be slow.
    enrol_per_minute: int = 10


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None  # None: an SQLite file in data_dir (the embedded default)
    limits: Limits = field(default_factory=Limits)
    chunk_size: int = protocol.CHUNK_SIZE

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'service.db'}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"
