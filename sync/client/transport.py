"""The one seam between the sync client and the network: HTTP requests with timeouts, retries with
backoff and jitter, and TLS verified by default (or against a private service's CA bundle).

Plain http:// is refused except to this computer. Tests run the same transport over real sockets,
straight to the service or through a fault-injecting proxy.
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from sync.client.errors import InsecureService, ServiceUnreachable

RETRY_STATUSES = {502, 503, 504, 429}
MAX_WAIT_S = 30.0  # a Retry-After longer than this is handed back to the caller, not slept through
_LOCAL_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all
    base_s: float = 0.25  # first wait; then doubling, each with full jitter
    cap_s: float = 8.0

    def wait(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Full jitter (AWS's advice): anywhere from 0 to the doubled ceiling, so clients that
        failed together do not retry together."""
        return rng() * min(self.cap_s, self.base_s * (2**attempt))


def check_url(url: str) -> str:
    """The service's base URL, normalised; http:// only to this computer."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InsecureService(f"{url!r} is not a service address; it should look like https://fieldapp.example.org.")
    if parts.scheme == "http" and not _is_local(parts.hostname):
        raise InsecureService(
            f"Refusing plain http:// to {parts.hostname}: evidence must travel encrypted. Use https://{parts.netloc}{parts.path}."
        )
    return url.strip().rstrip("/")


def _is_local(host: str) -> bool:
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpTransport:
    """requests, with one connection pool per service; safe to use from one thread at a time."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: str | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.base_url = check_url(base_url)
        if ca_bundle and not Path(ca_bundle).is_file():
            raise InsecureService(f"The CA bundle {ca_bundle} does not exist; choose the PEM file your administrator gave you.")
        self._session = requests.Session()
        self._session.verify = ca_bundle or True
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._retry, self._sleep, self._cancelled = retry, sleep, cancelled
        self._settings = (ca_bundle, connect_timeout_s, read_timeout_s, retry, sleep, cancelled)
        self._counts = _Counts()
        self._lanes: list[HttpTransport] = []

    def lane(self) -> HttpTransport:
        """Another connection to the same service, for a second request in flight at once (a
        requests session is not for two threads); it counts its bytes with this one's."""
        ca_bundle, connect, read, retry, sleep, cancelled = self._settings
        other = HttpTransport(self.base_url, ca_bundle=ca_bundle, connect_timeout_s=connect, read_timeout_s=read,
                              retry=retry, sleep=sleep, cancelled=cancelled)  # fmt: skip
        other._counts = self._counts
        self._lanes.append(other)
        return other

    def close(self) -> None:
        self._session.close()
        for other in self._lanes:
            other.close()

    # Bodies of requests answered, plus a fair guess at headers; every body put on the wire
    # (retries and cut-off attempts included); what came back.
    bytes_sent = property(lambda self: self._counts.sent)
    bytes_attempted = property(lambda self: self._counts.attempted)
    bytes_received = property(lambda self: self._counts.received)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> Response:
        """Send, retrying what is safe to retry; an HTTP error status is returned, not raised."""
        url = self.base_url + path
        last: Exception | None = None
        for attempt in range(self._retry.attempts):
            if attempt:
                self._sleep(self._retry.wait(attempt - 1))
            if self._cancelled():
                break
            try:
                answer = self._session.request(method, url, data=body, headers=dict(headers or {}), timeout=self._timeout)
            except requests.exceptions.SSLError as exc:
                raise InsecureService(
                    f"The service's certificate could not be verified ({_reason(exc)}). If it is a private service, "
                    "set its CA bundle in Sync settings."
                ) from None
            except requests.exceptions.ConnectionError as exc:
                last = exc  # refused, reset, DNS, or cut off mid-answer: nothing to trust
                if _maybe_sent(exc):
                    self._counts.add(attempted=len(body or b""))  # it may have left, in part or whole
                if not idempotent and not isinstance(exc, requests.exceptions.ConnectTimeout) and _maybe_sent(exc):
                    break
                continue
            except requests.exceptions.Timeout as exc:
                last = exc
                self._counts.add(attempted=len(body or b""))
                if not idempotent:
                    break
                continue
            except requests.exceptions.RequestException as exc:  # a broken response (bad chunking, bad gzip)
                last = exc
                continue
            self._counts.add(attempted=len(body or b""))
            if _cut_in_head(answer):
                # Headers cut off before their blank line still parse (urllib3 only logs it), as an
                # answer with no length and no body: a broken connection, not the service's word.
                last = requests.exceptions.ConnectionError("the answer was cut off inside its headers")
                if not idempotent:
                    break
                continue
            self._counts.add(sent=len(body or b"") + len(path) + 200, received=len(answer.content) + 200)
            response = Response(answer.status_code, answer.headers, answer.content)
            if answer.status_code in RETRY_STATUSES and idempotent and attempt + 1 < self._retry.attempts:
                wait = _retry_after(answer.headers)
                if wait is not None and wait > MAX_WAIT_S:
                    return response  # the caller says "try again in …" instead of hanging here
                if wait is not None:
                    self._sleep(wait)
                continue
            return response
        raise ServiceUnreachable(_unreachable_message(self.base_url, last))


def _cut_in_head(answer: requests.Response) -> bool:
    """Whether an answer lacks the framing every answer of the service carries (a length, or
    chunks): what arrived was the start of its headers, and the rest was lost."""
    if answer.status_code < 200 or answer.status_code in (204, 304):
        return False
    chunked = "chunked" in answer.headers.get("Transfer-Encoding", "").lower()
    return "Content-Length" not in answer.headers and not chunked


class _Counts:
    def __init__(self) -> None:
        self.sent = self.attempted = self.received = 0
        self._lock = threading.Lock()

    def add(self, *, sent: int = 0, attempted: int = 0, received: int = 0) -> None:
        with self._lock:
            self.sent, self.attempted, self.received = self.sent + sent, self.attempted + attempted, self.received + received


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _maybe_sent(exc: Exception) -> bool:
    # A connection refused never reached the service; anything later may have.
    text = str(exc).lower()
    return not ("refused" in text or "name or service not known" in text or "failed to resolve" in text)


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("certificate verify failed", "hostname mismatch", "self-signed certificate", "certificate has expired"):
        if known in text.lower():
            return known
    return "TLS handshake failed"


def _unreachable_message(url: str, exc: Exception | None) -> str:
    host = urlsplit(url).netloc
    if isinstance(exc, requests.exceptions.Timeout):
        return f"The service at {host} did not answer in time. Your work is safe here; sync will try again."
    return f"Cannot reach the service at {host} (offline?). Your work is safe here; sync will try again when it is reachable."
