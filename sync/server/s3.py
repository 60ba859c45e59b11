"""A small client of the S3 API (AWS's, or a compatible store's such as SeaweedFS or MinIO): objects
put, read by range, listed and deleted, and multipart uploads, each request signed with AWS
Signature Version 4 over `requests`, path-style (endpoint/bucket/key).

The secret key only ever feeds an HMAC: it is in no header, no URL and no message, so neither our
logs nor urllib3's can hold it."""

from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import requests

from sync.server.settings import S3Settings

_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_TIMEOUT_S = (5.0, 60.0)  # connect, read


class S3Error(Exception):
    """The object store refused a request or could not be reached: its HTTP status (0: no answer)
    and S3's error code, never the request's headers."""

    def __init__(self, status: int, code: str, what: str) -> None:
        super().__init__(f"object store: {what} answered {status or 'nothing'} {code}".rstrip())
        self.status, self.code = status, code


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: float  # seconds since the epoch, as the store says


@dataclass(frozen=True)
class PendingUpload:
    key: str
    upload_id: str
    initiated: float


class S3Client:
    """The few S3 calls the blob store needs, on one pooled HTTP session."""

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self._base = settings.endpoint.rstrip("/")
        self._host = urlsplit(self._base).netloc
        self._http = requests.Session()

    def close(self) -> None:
        self._http.close()

    # -- objects --------------------------------------------------------------------------------------

    def put(self, key: str, data: bytes, *, only_new: bool = False) -> bool:
        """Store an object; with only_new, not over one already there (False then, if the store
        honours If-None-Match)."""
        answer = self._call("PUT", key, body=data, headers={"If-None-Match": "*"} if only_new else {}, ok=(200, 412))
        return answer.status_code == 200

    def get(self, key: str, *, first: int | None = None, last: int | None = None) -> bytes:
        """An object's bytes, or only bytes first..last (inclusive) of it."""
        headers = {"Range": f"bytes={first}-{last}"} if first is not None else {}
        return self._call("GET", key, headers=headers, ok=(200, 206)).content

    def get_with_size(self, key: str, *, first: int, last: int) -> tuple[bytes, int]:
        """Bytes first..last (inclusive) of an object, and the whole object's size, both from one
        answer: what is read is known to be of the object of that size, whatever replaced it since."""
        answer = self._call("GET", key, headers={"Range": f"bytes={first}-{last}"}, ok=(200, 206))
        if answer.status_code == 200:  # a store that ignores Range sends it whole
            return answer.content[first : last + 1], len(answer.content)
        total = answer.headers.get("Content-Range", "").rpartition("/")[2]
        if not total.isdigit():
            raise S3Error(answer.status_code, "NoContentRange", "a ranged GET of an object")
        return answer.content, int(total)

    def size(self, key: str) -> int | None:
        """An object's size in bytes, or None if there is none under that key."""
        answer = self._call("HEAD", key, ok=(200, 404))
        return int(answer.headers["Content-Length"]) if answer.status_code == 200 else None

    def exists(self, key: str) -> bool:
        return self._call("HEAD", key, ok=(200, 404)).status_code == 200

    def delete(self, key: str) -> None:
        self._call("DELETE", key, ok=(204, 200, 404))

    def listing(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key begins with prefix, page by page."""
        query = {"list-type": "2", "prefix": prefix}
        while True:
            root = _xml(self._call("GET", "", query=query).content)
            for item in root.iter(f"{_NS}Contents"):
                yield ObjectInfo(_text(item, "Key"), int(_text(item, "Size")), _when(_text(item, "LastModified")))
            token = root.findtext(f"{_NS}NextContinuationToken")
            if root.findtext(f"{_NS}IsTruncated") != "true" or not token:
                return
            query = {**query, "continuation-token": token}

    # -- multipart uploads ------------------------------------------------------------------------------

    def begin_multipart(self, key: str) -> str:
        root = _xml(self._call("POST", key, query={"uploads": ""}).content)
        return _text(root, "UploadId")

    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        """One part (every one but the last at least 5 MiB); returns its ETag."""
        answer = self._call("PUT", key, query={"partNumber": str(number), "uploadId": upload_id}, body=data)
        return answer.headers["ETag"]

    def complete_multipart(self, key: str, upload_id: str, etags: list[str]) -> None:
        parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in enumerate(etags, 1))
        body = f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
        answer = self._call("POST", key, query={"uploadId": upload_id}, body=body)
        if b"<Error>" in answer.content:  # S3 may answer 200 and report the failure in the body
            raise S3Error(answer.status_code, _error_code(answer.content), "completing an upload")

    def abort_multipart(self, key: str, upload_id: str) -> None:
        self._call("DELETE", key, query={"uploadId": upload_id}, ok=(204, 200, 404))

    def pending_multiparts(self, prefix: str) -> Iterator[PendingUpload]:
        """Multipart uploads begun under prefix and neither completed nor aborted."""
        query = {"uploads": "", "prefix": prefix}
        while True:
            root = _xml(self._call("GET", "", query=query).content)
            for item in root.iter(f"{_NS}Upload"):
                yield PendingUpload(_text(item, "Key"), _text(item, "UploadId"), _when(_text(item, "Initiated")))
            if root.findtext(f"{_NS}IsTruncated") != "true":
                return
            query = {**query, "key-marker": root.findtext(f"{_NS}NextKeyMarker") or "",
                     "upload-id-marker": root.findtext(f"{_NS}NextUploadIdMarker") or ""}  # fmt: skip

    # -- the bucket -------------------------------------------------------------------------------------

    def check(self) -> None:
        """Raises S3Error unless the bucket answers to our keys (one HEAD request)."""
        self._call("HEAD", "", what="the bucket")

    def create_bucket(self) -> None:
        self._call("PUT", "", ok=(200, 409), what="creating the bucket")

    # -- signing ----------------------------------------------------------------------------------------

    def _call(
        self, method: str, key: str, *, query: Mapping[str, str] | None = None, body: bytes = b"",
        headers: Mapping[str, str] | None = None, ok: tuple[int, ...] = (200,), what: str | None = None,
    ) -> requests.Response:  # fmt: skip
        path = "/" + quote(self.settings.bucket, safe="") + ("/" + quote(key, safe="/~") if key else "")
        query_text = _canonical_query(query or {})
        signed = sign(
            self.settings, method=method, host=self._host, path=path, query=query_text,
            payload_sha256=hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256, headers=dict(headers or {}),
        )  # fmt: skip
        described = what or f"{method} of an object"
        try:
            answer = self._http.request(
                method, f"{self._base}{path}" + (f"?{query_text}" if query_text else ""), data=body or None, headers=signed, timeout=_TIMEOUT_S
            )
        except requests.RequestException as exc:
            raise S3Error(0, type(exc).__name__, described) from None  # its words name the URL, not a key; dropped anyway
        if answer.status_code not in ok:
            raise S3Error(answer.status_code, _error_code(answer.content), described)
        return answer


def sign(
    settings: S3Settings, *, method: str, host: str, path: str, query: str, payload_sha256: str, headers: dict[str, str],
    now: datetime | None = None,
) -> dict[str, str]:  # fmt: skip
    """The request's headers with AWS Signature Version 4 added (Authorization, X-Amz-Date,
    X-Amz-Content-SHA256): every header given is signed too."""
    when = now or datetime.now(UTC)
    stamp, day = when.strftime("%Y%m%dT%H%M%SZ"), when.strftime("%Y%m%d")
    all_headers = {**headers, "host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload_sha256}
    canonical = {name.lower(): " ".join(str(value).split()) for name, value in all_headers.items()}
    names = ";".join(sorted(canonical))
    request = "\n".join(
        [method, path, query, *(f"{name}:{canonical[name]}" for name in sorted(canonical)), "", names, payload_sha256]
    )
    scope = f"{day}/{settings.region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = _hmac(f"AWS4{settings.secret_key}".encode(), day)
    for part in (settings.region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = f"AWS4-HMAC-SHA256 Credential={settings.access_key}/{scope}, SignedHeaders={names}, Signature={signature}"
    return {**{k: v for k, v in all_headers.items() if k != "host"}, "Authorization": authorization}


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))


def _xml(content: bytes) -> ET.Element:
    try:
        return ET.fromstring(content)
    except ET.ParseError:
        raise S3Error(200, "MalformedAnswer", "an answer that is not XML") from None


def _error_code(content: bytes) -> str:
    """S3's error code (NoSuchKey, AccessDenied…) from an error answer's XML; "" if there is none."""
    try:
        return ET.fromstring(content).findtext("Code") or ""
    except ET.ParseError:
        return ""


def _text(element: ET.Element, name: str) -> str:
    found = element.findtext(f"{_NS}{name}")
    if found is None:
        found = element.findtext(name)  # some stores answer without S3's namespace
    if found is None:
        raise S3Error(200, "MalformedAnswer", f"an answer without {name}")
    return found


def _when(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
