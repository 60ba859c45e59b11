"""The service's API as typed calls: protocol models in, protocol models out, errors as our own.

Request bodies over a kilobyte travel gzip-compressed (revisions are text, and shrink to a third).
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from fieldapp import audit
from fieldapp.revisions import revision
from sync import protocol
from sync.client.errors import (
    NOT_SET_UP,
    REVOKED,
    UNKNOWN_DEVICE,
    DamagedOnTheWay,
    DeviceRevoked,
    NotEnrolled,
    NotSetUp,
    RateLimited,
    ServiceFault,
    ServiceRefused,
    TooLarge,
)
from sync.client.transport import HttpTransport, Response

M = TypeVar("M", bound=BaseModel)
COMPRESS_ABOVE = 1024
_HEADERS = {
    protocol.PROTOCOL_HEADER: str(protocol.PROTOCOL_VERSION),
    protocol.FEATURES_HEADER: f"{protocol.F_DEVICE_INSPECTOR},{protocol.F_HELD_BACK},{protocol.F_LEAD_INSPECTOR},{protocol.F_CONCERNS},{protocol.F_TEAM_ROLES},{protocol.F_VERSIONS},"
    f"{protocol.F_WIPE},{protocol.F_AUDIT},{protocol.F_RETENTION},{protocol.F_STATUS_IN_PULL},{protocol.F_TEAM_REFUSALS}",
    "Accept-Encoding": "gzip",
}


class ServiceApi:
    def __init__(self, transport: HttpTransport, token: str | None = None) -> None:
        self.transport = transport
        self._token = token

    def lane(self) -> ServiceApi:
        """The same service over another connection, so two requests can be in flight."""
        return ServiceApi(self.transport.lane(), self._token)

    def status(self) -> protocol.ServiceStatus:
        return self.status_and_instance()[0]

    def status_and_instance(self) -> tuple[protocol.ServiceStatus, str]:
        """The status, and the id of the service's data (its Fieldapp-Instance header; "" if unsaid),
        which changes when the service is restored from a backup."""
        response = self._send("GET", "/status", None, auth=False)
        return _parse(response, protocol.ServiceStatus), response.headers.get(protocol.INSTANCE_HEADER, "").strip()

    def enrol(self, code: str, device_id: str, public_key: bytes, proof: bytes, label: str) -> protocol.EnrolResponse:
        """Spend a one-time code; `proof` is the device's signature over it (fieldapp.replication.enrolment_proof)."""
        request = protocol.EnrolRequest(
            code=code.strip(), device_id=device_id, public_key=base64.b64encode(public_key).decode(),
            proof=base64.b64encode(proof).decode(), label=label[:200],
        )  # fmt: skip
        # A code works once: resending after the service may have spent it would only fail.
        return self._json("POST", "/enrol", request, protocol.EnrolResponse, auth=False, idempotent=False)

    def offer_assessment(self, assessment_id: str, offer: protocol.AssessmentProposal) -> protocol.Assessment:
        return self._json("PUT", f"/assessments/{assessment_id}", offer, protocol.Assessment)

    def push(self, revisions: list[revision.SignedRevision]) -> protocol.PushResponse:
        request = protocol.PushRequest.model_construct(  # built from our own checked revisions
            revisions=[
                protocol.Revision.model_construct(id=r.id, body=r.body.decode("utf-8"), signature=base64.b64encode(r.signature).decode())
                for r in revisions
            ]
        )
        return self._json("POST", "/push", request, protocol.PushResponse)

    def push_audit(self, entries: Sequence[audit.SignedEntry]) -> protocol.AuditPushResponse:
        request = protocol.AuditPush.model_construct(  # built from our own signed entries
            entries=[
                protocol.AuditEntry.model_construct(id=e.id, body=e.body.decode("utf-8"), signature=base64.b64encode(e.signature).decode())
                for e in entries
            ]
        )
        return self._json("POST", "/audit", request, protocol.AuditPushResponse)

    def pull(self, cursor: str | None, limit: int = protocol.DEFAULT_PULL_LIMIT, *, include_own: bool = False) -> protocol.PullResponse:
        request = protocol.PullRequest(cursor=cursor, limit=limit, include_own=include_own)
        return self._json("POST", "/pull", request, protocol.PullResponse)

    def fetch_items(self, ids: list[str]) -> protocol.ItemsResponse:
        """Every revision of these records, which retention removed from this laptop (issue 16)."""
        return self._json("POST", "/items", protocol.ItemsRequest(ids=ids), protocol.ItemsResponse)

    def framework(self, key: str) -> str:
        response = self._send("GET", f"/frameworks/{key}", None)
        return response.content.decode("utf-8")

    def blob_status(self, sha256: str) -> protocol.BlobStatus:
        return self._json("GET", f"/blobs/{sha256}", None, protocol.BlobStatus)

    def put_chunk(self, sha256: str, index: int, data: bytes) -> protocol.ChunkReceipt:
        headers = {"Content-Type": "application/octet-stream", "X-Chunk-SHA256": hashlib.sha256(data).hexdigest()}
        response = self._send("PUT", f"/blobs/{sha256}/chunks/{index}", data, headers=headers, compress=False)
        return _parse(response, protocol.ChunkReceipt)

    def get_chunk(self, sha256: str, index: int) -> bytes:
        response = self._send("GET", f"/blobs/{sha256}/chunks/{index}", None)
        declared = response.headers.get("X-Chunk-SHA256")
        if declared and hashlib.sha256(response.content).hexdigest() != declared:
            raise DamagedOnTheWay("A chunk of an attachment arrived damaged; it will be fetched again at the next sync.")
        return response.content

    def confirm_wiped(self) -> protocol.WipeConfirmation:
        """Tell the service this revoked device wiped its vault (the one route its token still opens)."""
        return self._json("POST", "/device/wiped", None, protocol.WipeConfirmation)

    # -- plumbing ---------------------------------------------------------------------------------

    def _json(
        self, method: str, path: str, body: BaseModel | None, model: type[M], *, auth: bool = True, idempotent: bool = True
    ) -> M:
        data = body.model_dump_json().encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        return _parse(self._send(method, path, data, headers=headers, auth=auth, idempotent=idempotent), model)

    def _send(
        self, method: str, path: str, data: bytes | None, *, headers: dict[str, str] | None = None,
        auth: bool = True, idempotent: bool = True, compress: bool = True,
    ) -> Response:  # fmt: skip
        headers = {**_HEADERS, **(headers or {})}
        if auth:
            if not self._token:
                raise NotSetUp(NOT_SET_UP)
            headers["Authorization"] = f"Bearer {self._token}"
        if compress and data is not None and len(data) > COMPRESS_ABOVE:
            data = _gzip(data)
            headers["Content-Encoding"] = "gzip"
        response = self.transport.request(method, protocol.API + path, body=data, headers=headers, idempotent=idempotent)
        if response.status >= 400:
            raise _error(response, urlsplit(self.transport.base_url).netloc, authenticated=auth)
        return response


def _gzip(data: bytes) -> bytes:
    # Level 6: nearly level 9's size at a third of its time; wbits=31 writes the gzip wrapper.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def _from_the_service(response: Response) -> bool:
    """Whether an answer is the service's own, not a proxy's or a captive portal's page: the service
    answers errors in JSON and stamps its protocol on every answer. A revocation wipes the vault, so
    only an answer that is plainly the service's may say it."""
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return media == "application/json" and response.headers.get(protocol.PROTOCOL_HEADER, "").strip() == str(protocol.PROTOCOL_VERSION)


def _parse(response: Response, model: type[M]) -> M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        raise ServiceFault("The service answered in a form this app does not understand; is it a fieldapp service of a matching version?") from None


def _error(response: Response, host: str, *, authenticated: bool) -> Exception:
    try:
        body = json.loads(response.content)
        detail, code = str(body.get("detail", "")), str(body.get("code", ""))
    except (ValueError, AttributeError):
        detail, code = "", ""
    if response.status == 401:  # our own words: the service's are for any client, ours name the next step here
        if code == protocol.E_REVOKED and authenticated and _from_the_service(response):
            return DeviceRevoked(REVOKED)
        return NotEnrolled(UNKNOWN_DEVICE.format(host=host))
    if response.status == 413:
        return TooLarge(detail or "The service refused a request as too large.", limit=body.get("limit") if detail else None)
    if response.status == 429:
        retry = body.get("retry_after_s") if detail else None
        return RateLimited(detail or "The service asks to slow down.", retry_after_s=float(retry or response.headers.get("Retry-After", 30)))
    if response.status >= 500:
        return ServiceFault(detail or f"The service had a problem (HTTP {response.status}); nothing was lost. Sync will try again.")
    return ServiceRefused(detail or f"The service refused the request (HTTP {response.status}).", status=response.status, code=code)
