"""Prometheus metrics for `/metrics`: requests by route template, sync sizes, and the upload queue.

Labels are a route's template (`/v1/blobs/{sha256}/chunks/{index}`, never the path asked for: it
carries ids), a method and a status, nothing else: no ids, no tokens, no evidence. Under
`serve --workers N` every worker writes its counts to files in PROMETHEUS_MULTIPROC_DIR
(prometheus_client's multiprocess mode) and whichever worker is scraped adds them all up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fieldapp import logs
from sync.server import errors
from sync.server.limits import ROUTE
from sync.server.models import BlobRef

log = logging.getLogger("fieldapp.server")

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client reads it when first imported
UNMATCHED = "unmatched"  # the route of a path no route takes (a 404 or 405): never the path itself
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_BYTES = (256, 1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20, 16 << 20, 64 << 20)
_COUNTS = (0, 1, 5, 10, 50, 100, 200, 500, 1000, 5000)

# Made unregistered: each app's registry takes them (or, with workers, their files).
REQUESTS = Counter("fieldapp_http_requests", "Requests answered, by route template, method and status.", ["route", "method", "status"], registry=None)
LATENCY = Histogram("fieldapp_http_request_seconds", "Time from a request's arrival to its answer's last byte.", ["route", "method"], registry=None)
REQUEST_BYTES = Histogram("fieldapp_http_request_bytes", "Request body bytes as sent (gzip or not), by route template.", ["route"], buckets=_BYTES, registry=None)
RESPONSE_BYTES = Histogram("fieldapp_http_response_bytes", "Answer body bytes as sent (gzip or not), by route template.", ["route"], buckets=_BYTES, registry=None)
PUSH_REVISIONS = Histogram("fieldapp_push_revisions", "Revisions in one push.", buckets=_COUNTS, registry=None)
PULL_REVISIONS = Histogram("fieldapp_pull_revisions", "Revisions in one page of a pull.", buckets=_COUNTS, registry=None)
_OWN = (REQUESTS, LATENCY, REQUEST_BYTES, RESPONSE_BYTES, PUSH_REVISIONS, PULL_REVISIONS)

_AWAITED = sa.select(sa.func.count(sa.distinct(BlobRef.sha256))).where(BlobRef.proven.is_(False))


class RequestMetrics:
    """Counts and times every request by its route's template; outermost, so a request the guard
    refuses (401, 413, 429) is counted too. It finds the route once and leaves it for the guard."""

    def __init__(self, app: ASGIApp, *, route_of: Callable[[Scope], Any | None]) -> None:
        self.app, self.route_of = app, route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self.route_of(scope)
        scope[ROUTE] = route
        template = getattr(route, "path", None) or UNMATCHED
        method = scope["method"] if scope["method"] in _METHODS else "other"
        started, status, sizes = time.perf_counter(), "none", [0, 0]  # request bytes, answer bytes

        async def counted_receive() -> Message:
            message = await receive()
            sizes[0] += len(message.get("body", b""))
            return message

        async def counted_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            sizes[1] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counted_receive, counted_send)
        finally:
            REQUESTS.labels(template, method, status).inc()
            LATENCY.labels(template, method).observe(time.perf_counter() - started)
            REQUEST_BYTES.labels(template).observe(sizes[0])
            RESPONSE_BYTES.labels(template).observe(sizes[1])


class QueueDepth:
    """The upload queue, read when scraped: part-uploads staged and those the next sweep removes
    (the blob store), and attachments named by a revision that its team has not yet sent (the
    database). Counts only."""

    def __init__(self, service: Any) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        try:
            staged, stale = self.service.blobs.part_uploads(max_age_s=self.service.settings.limits.staging_max_age_s)
        except (OSError, errors.Unavailable) as exc:  # a folder, or an object store, that does not answer
            log.warning("could not count part-uploads for /metrics: %s", logs.kind_of(exc))
        else:
            yield GaugeMetricFamily("fieldapp_uploads_part_sent", "Attachment uploads begun and not yet whole.", value=staged)
            yield GaugeMetricFamily("fieldapp_uploads_stale", "Part-uploads untouched past the expiry, for the next sweep.", value=stale)
        try:
            with self.service.reading_rows() as connection:
                awaited = connection.scalar(_AWAITED)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not count awaited attachments for /metrics: %s", logs.kind_of(exc))
        else:
            yield GaugeMetricFamily("fieldapp_attachments_awaited", "Attachments named by revisions, not yet sent by their team.", value=awaited)


def registry(service: Any) -> CollectorRegistry:
    """What /metrics shows for this app: this process's counts, or every worker's, and the queue."""
    shown = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.MultiProcessCollector(shown)
    else:
        for metric in _OWN:
            shown.register(metric)
    shown.register(QueueDepth(service))
    return shown
