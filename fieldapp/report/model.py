"""The report as one frozen value: a cover, then sections of blocks (numbered paragraphs, quotations,
tables, a history figure) that every renderer presents as they are, computing nothing again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Paragraph:
    number: int | None  # every narrative paragraph has the next number, so organisations can refer to it
    text: str
    # Stable across edits ("summary:2", "theme:<id>:strengths:1", "statement:<id>:score"): a shared
    # draft's paragraph is matched by it to the final report's, however the numbering shifted.
    key: str = ""


@dataclass(frozen=True)
class Quotation:
    text: str  # the tagged passage only, never a whole note
    who: str  # pseudonym and role ("Carer C4, carer, family member or advocate")
    informs: tuple[str, ...]  # the quality statements (names) it informed


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class HistoryPoint:
    taken_on: str  # shown day-first
    score: int | None
    rating: str
    review: bool  # reviewed, score unchanged


@dataclass(frozen=True)
class Figure:
    kind: str  # "history": scores over time, reviews marked
    caption: str
    points: tuple[HistoryPoint, ...]


Block = Union[Paragraph, Quotation, Table, Figure]


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]
    level: int = 1  # 1 a part of the report (a theme), 2 inside one (a statement)


@dataclass(frozen=True)
class CitedRevision:
    """One signed evidence revision a published report stands on."""

    revision_id: str
    record_id: str
    device_id: str
    signature: str  # the revision's Ed25519 signature, as the vault stores it


@dataclass(frozen=True)
class Seal:
    """A published report's proof, carried inside every file made of it (fieldapp.report.seal reads it
    back): the signed item it was frozen as, the revisions it cites, and the digest of both."""

    report_id: str  # the published-report item
    revision_id: str  # its signed revision
    published_on: str  # ISO date
    digest: str  # sha256 hex of the frozen report and its manifest (fieldapp.report.seal says how)
    manifest: tuple[CitedRevision, ...]


@dataclass(frozen=True)
class Report:
    title: str
    cover: tuple[tuple[str, str], ...]  # (label, value) in the order shown
    sections: tuple[Section, ...]
    draft: bool = False
    draft_line: str = ""  # on every page of a draft; "" when published
    seal: Seal | None = None  # a published report's proof; None for a draft or a working copy

    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(b for s in self.sections for b in s.blocks if isinstance(b, Paragraph))

    def texts(self) -> tuple[str, ...]:
        """Every piece of text the report holds, for checks that nothing private is in it."""
        out = [self.title, self.draft_line, *(t for pair in self.cover for t in pair)]
        for section in self.sections:
            out.append(section.heading)
            for block in section.blocks:
                if isinstance(block, Paragraph):
                    out.append(block.text)
                elif isinstance(block, Quotation):
                    out += [block.text, block.who, *block.informs]
                elif isinstance(block, Table):
                    out += [*block.headers, *(cell for row in block.rows for cell in row)]
                else:
                    out += [block.caption, *(f"{p.taken_on} {p.score} {p.rating}" for p in block.points)]
        return tuple(out)
