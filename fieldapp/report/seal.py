"""A published report's seal as text, and the seal read back out of a report file of any format.

Every renderer carries the same text (seal_text) inside the file it writes, where a reader of the
report does not trip over it and `python -m fieldapp.report verify` finds it again:
- HTML: a `<script type="application/json" id="fieldapp-seal">` element (JSON needs no escaping
  there beyond `</`, which seal_text never holds: it escapes `<`, `>` and `&`);
- .docx: the part `fieldapp/seal.json` of the package;
- PDF: the document's XMP metadata holds `fieldapp-seal:` + the seal's base64 + `:fieldapp-seal`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from fieldapp.errors import ValidationError
from fieldapp.report.model import CitedRevision, Seal

HTML_ID = "fieldapp-seal"
DOCX_PART = "fieldapp/seal.json"
PDF_START, PDF_END = b"fieldapp-seal:", b":fieldapp-seal"
MAX_SEAL = 64 * 1024 * 1024  # a manifest of a million revisions is far beyond any assessment


def seal_text(seal: Seal) -> str:
    """The seal as canonical JSON (sorted keys, no spaces, ASCII only), safe inside HTML and XML."""
    text = json.dumps(seal_to_json(seal), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def seal_to_json(seal: Seal) -> dict[str, Any]:
    """The seal as a plain JSON object (what seal_text writes)."""
    return {
        "report_id": seal.report_id,
        "revision_id": seal.revision_id,
        "published_on": seal.published_on,
        "digest": seal.digest,
        "manifest": manifest_to_json(seal.manifest),
    }


def manifest_to_json(manifest: tuple[CitedRevision, ...]) -> list[dict[str, str]]:
    """A manifest as plain JSON, in its own order: a list of {revision_id, record_id, device_id, signature}."""
    return [{"revision_id": c.revision_id, "record_id": c.record_id, "device_id": c.device_id, "signature": c.signature} for c in manifest]


def manifest_from_json(data: Any) -> tuple[CitedRevision, ...]:
    """A manifest from manifest_to_json's form; anything else is refused in words."""
    if not isinstance(data, list):
        raise ValidationError("The report's seal is damaged: its manifest is missing.")
    for entry in data:
        if not isinstance(entry, dict) or set(entry) != _MANIFEST_KEYS:
            raise ValidationError("The report's seal is damaged: an entry of its manifest is not in the form it takes.")
    return tuple(CitedRevision(_string(c, "revision_id"), _string(c, "record_id"), _string(c, "device_id"), _string(c, "signature")) for c in data)


_MANIFEST_KEYS = {"revision_id", "record_id", "device_id", "signature"}


def seal_from_text(text: str | bytes) -> Seal:
    """A seal from seal_text's JSON; anything else is refused in words."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:  # ValueError: also an integer of thousands of digits
        raise ValidationError("The report's seal is damaged: it is not readable JSON.") from exc
    except RecursionError:  # a crafted file's arrays nested thousands deep: refused in words, not a traceback
        raise ValidationError("The report's seal is damaged: it is nested far too deeply to be a seal.") from None
    return seal_from_json(data)


def seal_from_json(data: Any) -> Seal:
    """A seal from seal_to_json's object; anything else is refused in words."""
    if not isinstance(data, dict):
        raise ValidationError("The report's seal is damaged: it is not a JSON object.")
    return Seal(
        report_id=_string(data, "report_id"),
        revision_id=_string(data, "revision_id"),
        published_on=_string(data, "published_on"),
        digest=_string(data, "digest"),
        manifest=manifest_from_json(data.get("manifest")),
    )


def _string(data: Any, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise ValidationError(f"The report's seal is damaged: ‘{key}’ is missing or not text.")
    return value


def pdf_metadata(seal: Seal) -> bytes:
    """The XMP packet a PDF renderer sets as the document's metadata."""
    marked = PDF_START + base64.b64encode(seal_text(seal).encode("ascii")) + PDF_END
    return (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:fieldapp="https://fieldapp.invalid/ns/1/"><fieldapp:seal>'
        + marked
        + b"</fieldapp:seal></rdf:Description></rdf:RDF></x:xmpmeta>"
        b'<?xpacket end="w"?>'
    )


def read_seal(path: Path) -> Seal:
    """The seal inside a published report file (HTML, .docx or PDF), or ValidationError in words."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if head.startswith(b"PK"):
                return _from_docx(path)
            handle.seek(0)
            data = handle.read(MAX_SEAL + 1)
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if data.startswith(b"%PDF"):
        return _from_pdf(data)
    return _from_html(data)


def _from_docx(path: Path) -> Seal:
    try:
        with zipfile.ZipFile(path) as package:
            info = package.getinfo(DOCX_PART)
            if info.file_size > MAX_SEAL:
                raise ValidationError("The report's seal is damaged: it is far too large.")
            return seal_from_text(package.read(info))
    except KeyError:
        raise ValidationError(_NO_SEAL) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError(f"The Word file is damaged or not a Word file ({exc}).") from exc


def _from_pdf(data: bytes) -> Seal:
    start = data.find(PDF_START)
    end = data.find(PDF_END, start + len(PDF_START)) if start >= 0 else -1
    if start < 0 or end < 0:
        raise ValidationError(_NO_SEAL)
    try:
        text = base64.b64decode(data[start + len(PDF_START) : end], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("The report's seal is damaged: its encoding is broken.") from exc
    return seal_from_text(text)  # outside the try: its own words say what is wrong with the JSON


_HTML_SEAL = re.compile(rb'<script type="application/json" id="' + HTML_ID.encode() + rb'">(.*?)</script>', re.S)


def _from_html(data: bytes) -> Seal:
    found = _HTML_SEAL.search(data)
    if found is None:
        raise ValidationError(_NO_SEAL)
    return seal_from_text(found.group(1))


_NO_SEAL = "This file carries no seal: only a published report can be verified (a draft or a working copy is not sealed)."

__all__ = [
    "DOCX_PART", "HTML_ID", "manifest_from_json", "manifest_to_json", "pdf_metadata", "read_seal", "seal_from_json",
    "seal_from_text", "seal_text", "seal_to_json",
]  # fmt: skip
