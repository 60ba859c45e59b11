"""Attachments: an upload's progress, and its chunks sent up and fetched down."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from pydantic import WithJsonSchema
from starlette.concurrency import run_in_threadpool

from sync import protocol
from sync.server import blobs
from sync.server.deps import ERRORS, ChunkIndex, CurrentDevice, ServiceDep, Sha256
from sync.server.limits import large_body

router = APIRouter(prefix=f"{protocol.API}/blobs", tags=["attachments"], responses=ERRORS)
# Optional, but never null: a header is text or absent (said so in the document, which would otherwise admit null).
ChunkSha256 = Annotated[
    str | None, Header(alias="X-Chunk-SHA256", pattern=protocol.HEX64_PATTERN), WithJsonSchema({"type": "string", "pattern": protocol.HEX64_PATTERN})
]


def _binary() -> dict[str, object]:
    """The OpenAPI content of a chunk's bytes (a new dict each time: FastAPI may merge into it)."""
    return {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


@router.get("/{sha256}", response_model=protocol.BlobStatus)
def blob_status(sha256: Sha256, who: CurrentDevice, service: ServiceDep) -> protocol.BlobStatus:
    """Which chunks of an attachment the service holds (for this device's upload), and whether it is whole."""
    with service.reading() as session:
        return blobs.status(session=session, caller=who, store=service.blobs, sha256=sha256, chunk_size=service.settings.chunk_size)


@router.put(
    "/{sha256}/chunks/{index}",
    response_model=protocol.ChunkReceipt,
    openapi_extra={"requestBody": {"required": True, "content": _binary()}},
)
@large_body
async def put_chunk(
    request: Request, sha256: Sha256, index: ChunkIndex, who: CurrentDevice, service: ServiceDep, chunk_sha256: ChunkSha256 = None
) -> protocol.ChunkReceipt:
    """One chunk of an attachment; the last one makes the service check the whole file."""
    data = await request.body()

    def store() -> protocol.ChunkReceipt:
        service.sweep_if_due()
        # Given both ways in, not one session: the bytes are written and hashed between them,
        # so one device's upload does not hold up every other writer.
        return blobs.put_chunk(
            reading=service.reading, writing=service.writing, caller=who, store=service.blobs, sha256=sha256,
            index=index, data=data, declared_sha256=chunk_sha256, chunk_size=service.settings.chunk_size,
            staging_quota=service.settings.limits.staging_per_device_bytes,
        )  # fmt: skip

    return await run_in_threadpool(store)


@router.get("/{sha256}/chunks/{index}", responses={200: {"content": _binary()}}, response_class=Response)
def get_chunk(sha256: Sha256, index: ChunkIndex, who: CurrentDevice, service: ServiceDep) -> Response:
    """One chunk of a whole attachment."""
    with service.reading() as session:
        data = blobs.get_chunk(session=session, caller=who, store=service.blobs, sha256=sha256, index=index)
    return Response(data, media_type="application/octet-stream", headers={"X-Chunk-SHA256": hashlib.sha256(data).hexdigest()})
