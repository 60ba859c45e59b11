"""The one seam between the sync client and the network: HTTP requests with timeouts, retries with
backoff and jitter, and TLS verified by default (or against a private service's CA bundle).

Plain http:// is refused except to this computer; redirects are never followed; an answer is read
with a bound on its size, before and after gzip. Tests run the same transport over real sockets
(straight to the service, or through a fault-injecting proxy), or hand it an `adapter` that takes
each request to the service app in-process: all the logic here runs, only the socket is left out.
"""

from __future__ import annotations

import contextlib
import ipaddress
import platform
import random
import ssl
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions
from urllib3.util import parse_url

from fieldapp.sizes import size_text
from fieldapp.version import app_version
from sync import protocol
from sync.client.errors import InsecureService, ServiceFault, ServiceMoved, ServiceUnreachable

RETRY_STATUSES = {502, 503, 504, 429}
MAX_WAIT_S = 30.0  # a Retry-After longer than this is handed back to the caller, not slept through
_LOCAL_NAMES = {"localhost", "localhost.localdomain"}
_READ_SIZE = 64 << 10  # bytes read from the socket, and inflated, at a time
_EXAMPLE = "A service address looks like https://fieldapp.example.org; ask your administrator for the exact one."
# Characters no service address needs, each of which some parser reads differently from another
# (a backslash ends the host for one and not for another; "@" starts a user name; "%" hides one).
_NOT_IN_ADDRESS = {"\\": "a backslash", "@": "an '@' (a user name)", "%": "a '%' (an encoded character)", "?": "a '?'", "#": "a '#'"}


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


def user_agent() -> str:
    """What every request says it comes from: our version, Python's, and the operating system (its
    name only: the service's administrator learns which builds are in use, not more about the laptop)."""
    return f"fieldapp/{app_version()} (Python {sys.version_info.major}.{sys.version_info.minor}; {platform.system() or 'unknown'})"


def check_url(url: str) -> str:
    """The service's base URL, normalised; http:// only to this computer."""
    text = url.strip()
    for char in text:
        if char in _NOT_IN_ADDRESS or not char.isascii() or not char.isprintable() or char.isspace():
            what = _NOT_IN_ADDRESS.get(char) or ("a space" if char == " " else f"the character {char!r}")
            hint = " (type an international domain name in its xn-- form)" if char.isalpha() and not char.isascii() else ""
            raise InsecureService(f"{text!r} is not a service address: it contains {what}{hint}. {_EXAMPLE}")
    try:
        ours, theirs = urlsplit(text), parse_url(text)
        port = ours.port
    except (ValueError, urllib3.exceptions.LocationParseError):
        raise InsecureService(f"{text!r} is not a service address. {_EXAMPLE}") from None
    host = (theirs.host or "").removeprefix("[").removesuffix("]")
    if ours.scheme not in ("https", "http") or not host:
        raise InsecureService(f"{text!r} is not a service address. {_EXAMPLE}")
    # The check below must judge the host requests will connect to, which urllib3's parser names;
    # where the standard library's parser reads another, the address is ambiguous, and refused.
    if (ours.scheme, ours.hostname, port) != (theirs.scheme, host, theirs.port):
        raise InsecureService(f"{text!r} is not a service address: its host cannot be read one way only. {_EXAMPLE}")
    if ours.scheme == "http" and not _is_local(host):
        raise InsecureService(
            f"Refusing plain http:// to {host}: evidence must travel encrypted. Use https://{ours.netloc}{ours.path}."
        )
    return text.rstrip("/")


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
        adapter: requests.adapters.BaseAdapter | None = None,
    ) -> None:
        """`adapter`: what carries requests to the service instead of a socket (tests use one)."""
        self.base_url = check_url(base_url)
        if ca_bundle and not Path(ca_bundle).is_file():
            raise InsecureService(f"The CA bundle {ca_bundle} does not exist; choose the PEM file your administrator gave you.")
        self._session = requests.Session()
        # Passed with every request, never set on the session: requests lets REQUESTS_CA_BUNDLE or
        # CURL_CA_BUNDLE replace a session's verify, so the bundle chosen in Sync settings would
        # silently lose to whatever the environment names. Without one, True: requests' own store
        # (which those variables may still name, as they would for any program using requests).
        self._verify: str | bool = ca_bundle or True
        self._session.headers["Accept-Encoding"] = "gzip"  # the only coding _read_body inflates
        self._session.headers["User-Agent"] = user_agent()  # replaces requests' own "python-requests/…"
        if urlsplit(self.base_url).scheme == "http":
            # Plain http goes only to this computer: an HTTP_PROXY from the environment must not
            # carry the token and the evidence, unencrypted, to another machine on the way.
            self._session.trust_env = False
        if adapter is not None:
            self._session.mount(self.base_url + "/", adapter)
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._retry, self._sleep, self._cancelled = retry, sleep, cancelled
        self._settings = (ca_bundle, connect_timeout_s, read_timeout_s, retry, sleep, cancelled, adapter)
        self._counts = _Counts()
        self._lanes: list[HttpTransport] = []

    def lane(self) -> HttpTransport:
        """Another connection to the same service, for a second request in flight at once (a
        requests session is not for two threads); it counts its bytes with this one's."""
        ca_bundle, connect, read, retry, sleep, cancelled, adapter = self._settings
        other = HttpTransport(self.base_url, ca_bundle=ca_bundle, connect_timeout_s=connect, read_timeout_s=read,
                              retry=retry, sleep=sleep, cancelled=cancelled, adapter=adapter)  # fmt: skip
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
    requests_answered = property(lambda self: self._counts.answered)  # round trips that came back with an answer

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
        asked = 0.0  # the wait the service's last Retry-After asked for
        for attempt in range(self._retry.attempts):
            if attempt:
                # One wait per retry: the service's, unless the jittered backoff is longer (which
                # keeps clients told the same Retry-After from all coming back at the same instant).
                self._sleep(max(asked, self._retry.wait(attempt - 1)))
                asked = 0.0
            if self._cancelled():
                break
            try:
                # Never follow a redirect: requests would re-send the body (and for the same host the
                # token) to wherever it points, plain http:// included. stream: the body is read here,
                # with a bound, instead of whole into memory by requests.
                answer = self._session.request(
                    method, url, data=body, headers=dict(headers or {}), timeout=self._timeout, allow_redirects=False,
                    stream=True, verify=self._verify,
                )
                with contextlib.closing(answer):
                    if _is_redirect(answer):
                        content = b""
                    elif _cut_in_head(answer):
                        # Headers cut off before their blank line still parse (urllib3 only logs
                        # it), as an answer with no length and no body, perhaps with a header cut
                        # mid-word ("Content-Encoding: gz"): a broken connection, not the service's word.
                        raise requests.exceptions.ConnectionError("the answer was cut off inside its headers")
                    else:
                        content = _read_body(answer, protocol.MAX_ANSWER_BYTES)
            except requests.exceptions.SSLError as exc:
                raise InsecureService(_tls_message(self.base_url, self._verify, exc)) from None
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
            if _is_redirect(answer):
                raise ServiceMoved(_moved_message(self.base_url, answer.headers.get("Location")))
            self._counts.add(sent=len(body or b"") + len(path) + 200, received=len(content) + 200, answered=1)
            response = Response(answer.status_code, answer.headers, content)
            if answer.status_code in RETRY_STATUSES and idempotent and attempt + 1 < self._retry.attempts:
                wait = _retry_after(answer.headers)
                if wait is not None and wait > MAX_WAIT_S:
                    return response  # the caller says "try again in …" instead of hanging here
                asked = wait or 0.0  # slept at the top of the next attempt
                continue
            return response
        if isinstance(last, _StrangeEncoding):
            raise ServiceFault(str(last))
        raise ServiceUnreachable(_unreachable_message(self.base_url, last))


def _is_redirect(answer: requests.Response) -> bool:
    return 300 <= answer.status_code < 400


def _moved_message(base_url: str, location: str | None) -> str:
    if not location:
        return f"The service address {base_url} answered with a redirect without saying where; check the address in Sync settings."
    shown = "".join(c if c.isprintable() else "?" for c in location)[:200]  # the service's words, not ours: keep them tame
    return (
        f"The service address {base_url} answered with a redirect to {shown}; nothing was sent there. If that is the "
        "service's address, set it in Sync settings (check it with your administrator first)."
    )


class _StrangeEncoding(requests.exceptions.ContentDecodingError):
    """An answer in a coding we never ask for: a broken connection, or (if it persists) not our service."""


def _read_body(answer: requests.Response, limit: int) -> bytes:
    """The body of an answer, un-gzipped; a ServiceFault as soon as it passes `limit` bytes on the
    wire or after inflation, so a runaway or hostile answer costs at most that much memory."""
    coding = answer.headers.get("Content-Encoding", "").strip().lower()
    if coding not in ("", "identity", "gzip", "x-gzip"):
        # Tried again first: a head cut off mid-word ("Content-Encoding: gz") parses like this.
        raise _StrangeEncoding(f"The service answered in an encoding this app does not read ({coding[:40]!r}); is it a fieldapp service?")
    declared = answer.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise ServiceFault(_too_large_message(limit))
    inflate = _Gunzip() if coding in ("gzip", "x-gzip") else None
    parts: list[bytes] = []
    wire = size = 0
    # Failures while reading, turned into what requests raises for them (as its iter_content does),
    # so that request() retries or stops exactly as for a body read by requests.
    try:
        for data in answer.raw.stream(_READ_SIZE, decode_content=False):
            wire += len(data)
            for piece in inflate.feed(data) if inflate else (data,):
                size += len(piece)
                if size > limit or wire > limit:
                    raise ServiceFault(_too_large_message(limit))
                parts.append(piece)
        if inflate:
            inflate.finish()
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from None
    except urllib3.exceptions.SSLError as exc:
        # The handshake, certificate check included, passed before the answer began: a TLS error
        # now is a record cut or garbled on the way, a broken connection to try again like any other.
        raise requests.exceptions.ConnectionError(exc) from None
    except zlib.error as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    return b"".join(parts)


def _too_large_message(limit: int) -> str:
    return (
        f"The service sent an answer larger than this app accepts ({size_text(limit)}); it was dropped and nothing was "
        "stored. Sync will try again; if this keeps happening, tell your administrator (is it a fieldapp service?)."
    )


class _Gunzip:
    """gzip inflation in bounded pieces: zlib never makes more than _READ_SIZE bytes at a call, so
    a small bomb cannot blow up inside one call before the caller counts what came out."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj(wbits=31)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._inflater.eof:  # another gzip member follows (the format allows several)
                self._inflater = zlib.decompressobj(wbits=31)
            self._started = True
            while True:
                out = self._inflater.decompress(data, _READ_SIZE)
                if out:
                    yield out
                data = self._inflater.unconsumed_tail
                # An empty tail with a full piece out may still leave output inside zlib: ask again.
                if self._inflater.eof or (not data and len(out) < _READ_SIZE):
                    break
            data = self._inflater.unused_data if self._inflater.eof else b""

    def finish(self) -> None:
        if self._started and not self._inflater.eof:
            raise zlib.error("the compressed answer ended before its end")


def _cut_in_head(answer: requests.Response) -> bool:
    """Whether an answer lacks the framing every answer of the service carries (a length, or
    chunks): what arrived was the start of its headers, and the rest was lost."""
    if answer.status_code < 200 or answer.status_code in (204, 304):
        return False
    chunked = "chunked" in answer.headers.get("Transfer-Encoding", "").lower()
    return "Content-Length" not in answer.headers and not chunked


class _Counts:
    def __init__(self) -> None:
        self.sent = self.attempted = self.received = self.answered = 0
        self._lock = threading.Lock()

    def add(self, *, sent: int = 0, attempted: int = 0, received: int = 0, answered: int = 0) -> None:
        with self._lock:
            self.sent, self.attempted, self.received = self.sent + sent, self.attempted + attempted, self.received + received
            self.answered += answered


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


_NAME_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


def _tls_message(base_url: str, verify: str | bool, exc: Exception) -> str:
    """Words for a TLS failure that point at what to fix: the address, or the CA bundle."""
    host = urlsplit(base_url).hostname or base_url
    failed = _cert_failure(exc)
    if failed is None:
        return (
            f"A secure connection to the service at {host} could not be set up ({_reason(exc)}). Check the service "
            "address in Sync settings (it must be the https:// address of a fieldapp service); if it is right, try again later."
        )
    why = (failed.verify_message or "certificate verify failed").rstrip(".")
    if failed.verify_code in _NAME_MISMATCH:
        # The right CA cannot help here: the certificate names another computer.
        return (
            f"The service's certificate could not be verified: it is for another name than {host} ({why}). Check the "
            "service address in Sync settings with your administrator; nothing was sent."
        )
    if isinstance(verify, str):
        return (
            f"The service's certificate could not be verified with the CA bundle chosen in Sync settings ({verify}): {why}. "
            "Check that file with your administrator; nothing was sent."
        )
    return (
        f"The service's certificate could not be verified ({why}). If it is a private service, set its CA bundle in "
        "Sync settings (the .pem file your administrator gives you); nothing was sent."
    )


def _cert_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed, from deep inside requests' and urllib3's wrappers."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return item
        todo += [*item.args, item.__cause__, item.__context__, getattr(item, "reason", None)]
    return None


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    for known in ("wrong version number", "unexpected eof", "eof occurred", "handshake failure", "unsupported protocol"):
        if known in text:
            return known
    return "TLS handshake failed"


def _unreachable_message(url: str, exc: Exception | None) -> str:
    host = urlsplit(url).netloc
    if isinstance(exc, requests.exceptions.Timeout):
        return (
            f"The service at {host} did not answer in time: the network may be slow, or the service busy. "
            "Your work is safe here. Try again later; if it keeps happening, check the network connection."
        )
    return (
        f"Cannot reach the service at {host}: check that this laptop is online and that the service address in "
        "Sync settings is right (is the service running?). Your work is safe here."
    )
