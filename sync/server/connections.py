"""The service's guard on its open connections: a request head must arrive whole within a deadline,
and near the cap the connections with no request under way are shed, idle ones first, so a caller
with a request finds room.

uvicorn times out only a keep-alive connection that stays idle after an answer: a connection that
never finishes its first head (or trickles it a byte at a time) is held for ever, and enough of them
fill `--max-connections`, past which every caller gets 503. Production runs behind nginx as well
(docs/deployment.md); this guard is what the embedded default and a bare `serve` have.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import time
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# Shedding keeps open connections at or below this share of the cap: the rest is room for callers
# who arrive with a request while the shed connections are still closing.
SHED_AT = 0.9
# A connection that began waiting less than this ago is shed last: a real caller's head is on its
# way (read in the next moments), and between two requests of a sync a laptop waits milliseconds.
GRACE_S = 1.0


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 1000  # per worker; beyond it uvicorn answers 503
    head_deadline_s: float = 10.0  # from the connection's start, or the first byte of a later request
    keep_alive_s: float = 5.0  # an idle connection after an answer

    def uvicorn_options(self) -> dict[str, Any]:
        """What `uvicorn.run` is given. A partial is the protocol factory: uvicorn calls it with its
        own arguments, and worker processes receive it pickled."""
        protocol = functools.partial(GuardedProtocol, head_deadline_s=self.head_deadline_s, shed_at=max(1, int(self.max_connections * SHED_AT)))
        return {"http": protocol, "limit_concurrency": self.max_connections, "timeout_keep_alive": self.keep_alive_s}


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a total deadline on each request head, and shedding near the cap.

    The deadline is not reset by bytes arriving, so a head trickled a byte at a time is closed as
    surely as a silent one. h11's own state says where a connection is: waiting for a head (IDLE) or
    in a request, which is never shed (its body has the service's body deadline instead)."""

    def __init__(self, *args: Any, head_deadline_s: float, shed_at: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_deadline_s, self.shed_at = head_deadline_s, shed_at
        self._head_timer: asyncio.TimerHandle | None = None
        self.waiting_since = time.monotonic()  # since when it has waited for a head (oldest are shed first)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._shed_others()
        self._head_timer = self.loop.call_later(self.head_deadline_s, self._head_overdue)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.waiting_since = time.monotonic()
        self._watch_head()  # a pipelined head may already be part-read

    def _watch_head(self) -> None:
        """Arms the deadline at a head's first byte; stops it once the head is whole."""
        if self.shed_rank() is None:
            self._stop_head_timer()
        elif self._head_timer is None and self.conn.trailing_data[0]:
            self._head_timer = self.loop.call_later(self.head_deadline_s, self._head_overdue)

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self.shed_rank() is not None:
            self.transport.close()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def shed_rank(self) -> int | None:
        """0: idle (no byte of a request yet), 1: a head part-sent, None: in a request, or closing."""
        if self.transport is None or self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return None
        return 1 if self.conn.trailing_data[0] else 0

    def _shed_others(self) -> None:
        """Near the cap, closes enough waiting connections to make room: those past their grace
        before those within it; then idle before part-sent; then the longest waiting first."""
        if len(self.connections) < self.shed_at:
            return  # far from it: nothing to count
        others = [c for c in self.connections if c is not self and isinstance(c, GuardedProtocol)]
        excess = 1 + sum(not c.transport.is_closing() for c in others) - self.shed_at
        if excess <= 0:
            return
        recent = time.monotonic() - GRACE_S
        ranked = ((c.waiting_since > recent, rank, c.waiting_since, id(c), c) for c in others if (rank := c.shed_rank()) is not None)
        for *_, connection in heapq.nsmallest(excess, ranked):
            connection.transport.close()
