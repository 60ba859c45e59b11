"""What the service's processes share beyond the database: rate-limit buckets and named turns (who
sweeps stale uploads). In this process's memory for the embedded default, in Redis when one is
configured (`serve --redis URL` or FIELDAPP_REDIS_URL), so that workers on several hosts count alike.

Both keep the same token-bucket arithmetic (`refill`); only where a bucket is kept differs.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from sync.server import errors

REDIS_URL_ENV = "FIELDAPP_REDIS_URL"
REDIS_PREFIX_ENV = "FIELDAPP_REDIS_PREFIX"  # several services (or test runs) on one Redis keep apart by it
UNREACHABLE = "The service cannot reach its rate counter (Redis) just now; nothing was done. Try again shortly."


@dataclass(frozen=True)
class Bucket:
    """A token bucket's state: tokens left, and when they were counted (seconds)."""

    tokens: float
    at: float


def refill(bucket: Bucket | None, *, now: float, rate_per_s: float, burst: int, cost: float) -> tuple[Bucket, float | None]:
    """The bucket after one attempt that costs `cost`, and None when allowed, else the seconds to wait."""
    tokens = float(burst) if bucket is None else min(float(burst), bucket.tokens + max(0.0, now - bucket.at) * rate_per_s)
    if tokens >= cost:
        return Bucket(tokens - cost, now), None
    return Bucket(tokens, now), round((cost - tokens) / rate_per_s, 2)


class SharedState(Protocol):
    """The one small interface: buckets by name and key, and turns by name."""

    def take(self, name: str, key: str, *, rate_per_s: float, burst: int, cost: float = 1.0) -> float | None:
        """Count one attempt against the bucket; None when allowed, else the seconds to wait."""

    def hold(self, name: str, *, for_s: float) -> str | None:
        """Take the turn `name` for at most for_s seconds unless another holds it: a ticket, or None."""

    def release(self, name: str, ticket: str) -> None:
        """Give the turn back early, if the ticket still holds it."""

    def check(self) -> None:
        """Raise unless the state answers (for /readyz)."""


class LocalState:
    """In this process's memory: the embedded default, one process. The oldest buckets are forgotten
    beyond `max_keys`, so memory stays bounded."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._buckets: OrderedDict[tuple[str, str], Bucket] = OrderedDict()
        self._turns: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def take(self, name: str, key: str, *, rate_per_s: float, burst: int, cost: float = 1.0) -> float | None:
        with self._lock:
            bucket, wait = refill(self._buckets.pop((name, key), None), now=time.monotonic(), rate_per_s=rate_per_s, burst=burst, cost=cost)
            self._buckets[(name, key)] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

    def hold(self, name: str, *, for_s: float) -> str | None:
        now = time.monotonic()
        with self._lock:
            held = self._turns.get(name)
            if held is not None and held[1] > now:
                return None
            ticket = secrets.token_hex(8)
            self._turns[name] = (ticket, now + for_s)
            return ticket

    def release(self, name: str, ticket: str) -> None:
        with self._lock:
            if self._turns.get(name, ("", 0.0))[0] == ticket:
                del self._turns[name]

    def check(self) -> None:
        return None  # memory always answers


# Deletes the turn only if this ticket still holds it: one that expired and was taken by another
# process stays theirs.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class RedisState:
    """In Redis, shared by every process of every host that names it. A bucket is read, refilled and
    written back in one optimistic transaction (WATCH): two requests of one device at once retry
    rather than both spend the same token. Buckets expire once they would be full again."""

    def __init__(self, url: str, *, prefix: str = "fieldapp:") -> None:
        import redis

        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._watch_error = redis.WatchError
        self._release = self._redis.register_script(_RELEASE)

    def take(self, name: str, key: str, *, rate_per_s: float, burst: int, cost: float = 1.0) -> float | None:
        where = f"{self.prefix}bucket:{name}:{key}"
        full_after_ms = max(1, int(burst / rate_per_s * 1000) + 1000)
        try:
            with self._redis.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(where)
                        tokens, at = pipe.hmget(where, "tokens", "at")
                        before = Bucket(float(tokens), float(at)) if tokens is not None and at is not None else None
                        # Wall-clock time, as every host reads the same one (kept close by NTP).
                        after, wait = refill(before, now=time.time(), rate_per_s=rate_per_s, burst=burst, cost=cost)
                        pipe.multi()
                        pipe.hset(where, mapping={"tokens": repr(after.tokens), "at": repr(after.at)})
                        pipe.pexpire(where, full_after_ms)
                        pipe.execute()
                        return wait
                    except self._watch_error:
                        continue  # another request of this key counted first: count again
        except self._errors as exc:
            raise errors.Unavailable(UNREACHABLE, retry_after_s=5) from exc

    def hold(self, name: str, *, for_s: float) -> str | None:
        ticket = secrets.token_hex(8)
        taken = self._call(self._redis.set, f"{self.prefix}turn:{name}", ticket, nx=True, px=max(1, int(for_s * 1000)))
        return ticket if taken else None

    def release(self, name: str, ticket: str) -> None:
        self._call(self._release, keys=[f"{self.prefix}turn:{name}"], args=[ticket])

    def check(self) -> None:
        self._redis.ping()

    def _call(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except self._errors as exc:
            raise errors.Unavailable(UNREACHABLE, retry_after_s=5) from exc


def connect(redis_url: str | None, *, prefix: str = "fieldapp:") -> SharedState:
    """Redis when a URL is given, else this process's memory."""
    return RedisState(redis_url, prefix=prefix) if redis_url else LocalState()


class RateLimiter:
    """Token buckets of one kind (devices, office tokens, enrolment by address) in the shared state."""

    def __init__(self, state: SharedState, name: str, rate_per_s: float, burst: int) -> None:
        self.state, self.name, self.rate, self.burst = state, name, rate_per_s, burst

    def take(self, key: str, cost: float = 1.0) -> float | None:
        """None when allowed; else the seconds to wait before trying again."""
        return self.state.take(self.name, key, rate_per_s=self.rate, burst=self.burst, cost=cost)
