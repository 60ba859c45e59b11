"""A published report frozen as plain JSON (report_to_json, report_from_json: an exact round trip of
model.Report), and the one digest that binds a published report to its manifest (published_digest).

The JSON is what a `published_report` item's signed revision carries (fieldapp.published_reports):
read back, it renders to the very bytes it rendered to when it was published.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fieldapp.errors import ValidationError
from fieldapp.report.model import Block, CitedRevision, Figure, HistoryPoint, Paragraph, Quotation, Report, Section, Table
from fieldapp.report.seal import manifest_to_json, seal_from_json, seal_to_json
from fieldapp.revisions.canonical import canonical_json

_DIGEST_DOMAIN = b"fieldapp-published-report-v1\n"
_REPORT_KEYS = {"title", "cover", "sections", "draft", "draft_line", "seal"}
_SECTION_KEYS = {"heading", "blocks", "level"}
_BLOCK_KEYS = {
    "paragraph": {"type", "number", "text", "key"},
    "quotation": {"type", "text", "who", "informs"},
    "table": {"type", "headers", "rows"},
    "figure": {"type", "kind", "caption", "points"},
}
_POINT_KEYS = {"taken_on", "score", "rating", "review"}


def published_digest(report: Report, manifest: tuple[CitedRevision, ...], published_on: str, assessment_id: str) -> str:
    """The digest of a published report: SHA-256 (hex) of the canonical JSON (sorted keys, no spaces,
    UTF-8, after the domain line "fieldapp-published-report-v1") of exactly four things:
    - "report": report_to_json of the report without its seal (every word, number and table cell it shows),
    - "manifest": the cited revisions in the manifest's order (revision id, record id, device id, signature),
    - "published_on": the ISO date of publication,
    - "assessment_id": the assessment it reports on.
    Nothing else (not the item's id, nor its revision): those are what the digest is stored in and signed by.
    """
    data = {
        "report": report_to_json(_unsealed(report)),
        "manifest": manifest_to_json(manifest),
        "published_on": published_on,
        "assessment_id": assessment_id,
    }
    return hashlib.sha256(_DIGEST_DOMAIN + canonical_json(data)).hexdigest()


def _unsealed(report: Report) -> Report:
    return report if report.seal is None else Report(report.title, report.cover, report.sections, report.draft, report.draft_line)


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as a plain JSON object (no floats: canonical JSON takes it as it is)."""
    return {
        "title": report.title,
        "cover": [[label, value] for label, value in report.cover],
        "sections": [{"heading": s.heading, "level": s.level, "blocks": [_block_to_json(b) for b in s.blocks]} for s in report.sections],
        "draft": report.draft,
        "draft_line": report.draft_line,
        "seal": None if report.seal is None else seal_to_json(report.seal),
    }


def _block_to_json(block: Block) -> dict[str, Any]:
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "number": block.number, "text": block.text, "key": block.key}
    if isinstance(block, Quotation):
        return {"type": "quotation", "text": block.text, "who": block.who, "informs": list(block.informs)}
    if isinstance(block, Table):
        return {"type": "table", "headers": list(block.headers), "rows": [list(row) for row in block.rows]}
    points = [{"taken_on": p.taken_on, "score": p.score, "rating": p.rating, "review": p.review} for p in block.points]
    return {"type": "figure", "kind": block.kind, "caption": block.caption, "points": points}


def report_from_json(data: Any) -> Report:
    """A report from report_to_json's object, checked strictly; anything else is refused in words."""
    _object(data, "The report", _REPORT_KEYS)
    cover = tuple(_pair(pair) for pair in _list(data["cover"], "The list of its cover"))
    sections = tuple(_section(s) for s in _list(data["sections"], "The list of its sections"))
    if type(data["draft"]) is not bool:
        raise ValidationError("The published report cannot be read: whether it is a draft is not true or false.")
    seal = None if data["seal"] is None else seal_from_json(data["seal"])
    return Report(_str(data["title"], "Its title"), cover, sections, data["draft"], _str(data["draft_line"], "Its draft line"), seal)


def _pair(pair: Any) -> tuple[str, str]:
    if not isinstance(pair, list) or len(pair) != 2:
        raise ValidationError("The published report cannot be read: a line of its cover is not a label and a value.")
    return _str(pair[0], "A cover label"), _str(pair[1], "A cover value")


def _section(data: Any) -> Section:
    _object(data, "A section", _SECTION_KEYS)
    level = data["level"]
    if type(level) is not int or level not in (1, 2):
        raise ValidationError("The published report cannot be read: a section's level is not 1 or 2.")
    return Section(_str(data["heading"], "A heading"), tuple(_block(b) for b in _list(data["blocks"], "The list of a section's blocks")), level)


def _block(data: Any) -> Block:
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in _BLOCK_KEYS:
        raise ValidationError("The published report cannot be read: a block is not a paragraph, quotation, table or figure.")
    _object(data, f"A {kind}", _BLOCK_KEYS[kind])
    if kind == "paragraph":
        number = data["number"]
        if number is not None and (type(number) is not int or number < 1):
            raise ValidationError("The published report cannot be read: a paragraph's number is not a whole number from 1.")
        return Paragraph(number, _str(data["text"], "A paragraph"), _str(data["key"], "A paragraph's key"))
    if kind == "quotation":
        return Quotation(_str(data["text"], "A quotation"), _str(data["who"], "Who is quoted"), _strings(data["informs"], "What a quotation informed"))
    if kind == "table":
        rows = tuple(_strings(row, "A table's row") for row in _list(data["rows"], "The list of a table's rows"))
        return Table(_strings(data["headers"], "A table's headers"), rows)
    return Figure(_str(data["kind"], "A figure's kind"), _str(data["caption"], "A caption"), tuple(_point(p) for p in _list(data["points"], "The list of a figure's points")))


def _point(data: Any) -> HistoryPoint:
    _object(data, "A point of the history", _POINT_KEYS)
    score, review = data["score"], data["review"]
    if score is not None and type(score) is not int:
        raise ValidationError("The published report cannot be read: a score in its history is not a whole number.")
    if type(review) is not bool:
        raise ValidationError("The published report cannot be read: whether a point is a review is not true or false.")
    return HistoryPoint(_str(data["taken_on"], "A date in the history"), score, _str(data["rating"], "A rating in the history"), review)


def _object(data: Any, what: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict) or set(data) != keys:
        raise ValidationError(f"The published report cannot be read: {what[0].lower() + what[1:]} is not in the form it takes.")
    return data


def _list(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise ValidationError(f"The published report cannot be read: {what[0].lower() + what[1:]} is not a list.")
    return data


def _strings(data: Any, what: str) -> tuple[str, ...]:
    return tuple(_str(item, what) for item in _list(data, what))


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"The published report cannot be read: {what[0].lower() + what[1:]} is not text.")
    return value


__all__ = ["published_digest", "report_from_json", "report_to_json"]
