"""Operations on attachments that widgets start: read a file's bytes (to preview or view it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.operations import QueryOp

if TYPE_CHECKING:
    from fieldapp.rows import AttachmentRow

    from ui.state import AppState


def read_bytes(state: AppState, attachment: AttachmentRow) -> QueryOp[bytes]:
    """The whole file, decrypted and checked against its SHA-256 (images to show: small)."""
    return QueryOp(state, lambda vault: vault.attachments.read_bytes(attachment.id, record_id=attachment.record_id))
