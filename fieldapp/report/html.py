"""The report as one self-contained HTML file: inline CSS, no link to anything outside it, every
piece of text escaped (pseudonyms, rationales and passages come from people). A draft carries a
watermark and its draft line. Written beside the target and renamed, so a failure leaves nothing
half-written."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fieldapp.errors import StorageError
from fieldapp.report.model import Block, Figure, Paragraph, Quotation, Report, Table
from fieldapp.report.seal import HTML_ID, seal_text
from fieldapp.storage.fsutil import atomic_write

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; color: #111; line-height: 1.45; }
h1 { font-size: 1.8em; } h2 { border-bottom: 2px solid #444; margin-top: 2em; } h3 { margin-top: 1.5em; }
.cover th { text-align: left; padding-right: 1em; vertical-align: top; }
.draft-line { border: 2px solid #a00; color: #a00; padding: .5em; font-weight: bold; }
.watermark { position: fixed; top: 40%; left: 0; right: 0; text-align: center; font-size: 7em; color: rgba(170,0,0,.12);
  transform: rotate(-30deg); pointer-events: none; z-index: -1; }
p.numbered { display: flex; gap: .75em; } p.numbered .n { min-width: 2.5em; color: #555; }
blockquote { border-left: 4px solid #888; margin: 1em 0; padding: .25em 1em; }
blockquote .who { font-style: italic; } blockquote .informs { font-size: .9em; color: #444; }
table.data { border-collapse: collapse; width: 100%; margin: 1em 0; } table.data th, table.data td { border: 1px solid #999; padding: .3em .5em; text-align: left; }
svg { max-width: 100%; }
@media print { .draft-line.every-page { position: fixed; bottom: 0; left: 0; right: 0; background: white; } }  /* on every printed page */
"""


def render_html(report: Report) -> str:
    """The report as one HTML document."""
    e = escape
    out = ["<!DOCTYPE html>", '<html lang="en-GB"><head><meta charset="utf-8">', f"<title>{e(report.title)}</title>",
           f"<style>{_CSS}</style></head><body>"]  # fmt: skip
    if report.draft:
        out.append('<div class="watermark" aria-hidden="true">DRAFT</div>')
        out.append(f'<p class="draft-line">{e(report.draft_line)}</p>')
    out.append(f"<h1>{e(report.title)}</h1>")
    out.append('<table class="cover">' + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in report.cover) + "</table>")
    for section in report.sections:
        tag = "h2" if section.level <= 1 else "h3"
        out.append(f"<{tag}>{e(section.heading)}</{tag}>")
        out += [_block(block) for block in section.blocks]
    if report.draft:
        out.append(f'<p class="draft-line every-page">{e(report.draft_line)}</p>')
    if report.seal is not None:  # a published report's proof, read back by `python -m fieldapp.report verify`
        out.append(f'<script type="application/json" id="{HTML_ID}">{seal_text(report.seal)}</script>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _block(block: Block) -> str:
    e = escape
    if isinstance(block, Paragraph):
        if block.number is None:
            return f"<p>{e(block.text)}</p>"
        return f'<p class="numbered" id="p{block.number}"><span class="n">{block.number}.</span><span>{e(block.text)}</span></p>'
    if isinstance(block, Quotation):
        informs = f'<br><span class="informs">Informed: {e("; ".join(block.informs))}</span>' if block.informs else ""
        return f'<blockquote><p>“{e(block.text)}”</p><p><span class="who">— {e(block.who)}</span>{informs}</p></blockquote>'
    if isinstance(block, Table):
        head = "".join(f"<th>{e(h)}</th>" for h in block.headers)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return _figure(block)


def _figure(figure: Figure) -> str:
    """The history as a small inline SVG: score (1–4) per snapshot, reviews drawn hollow."""
    e = escape
    points = figure.points
    width, height, pad = 480, 160, 30
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    xy = [(pad + i * step, height - pad - ((p.score or 0) - 1) / 3 * (height - 2 * pad)) for i, p in enumerate(points)]
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{e(figure.caption)}">']
    for score in (1, 2, 3, 4):
        y = height - pad - (score - 1) / 3 * (height - 2 * pad)
        parts.append(f'<line x1="{pad}" y1="{y:.1f}" x2="{width - pad}" y2="{y:.1f}" stroke="#ddd"/><text x="4" y="{y + 4:.1f}" font-size="11">{score}</text>')
    scored = [(x, y) for (x, y), p in zip(xy, points) if p.score is not None]
    if len(scored) > 1:
        parts.append('<polyline fill="none" stroke="#225" stroke-width="2" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in scored) + '"/>')
    for (x, y), p in zip(xy, points):
        if p.score is None:
            continue
        fill = "white" if p.review else "#225"
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10" text-anchor="middle">{e(p.taken_on)}</text>')
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="#225" stroke-width="2"><title>{e(p.taken_on)}: '
                     f'{e(p.rating)}{" (review)" if p.review else ""}</title></circle>')  # fmt: skip
    parts.append("</svg>")
    return f'<figure>{"".join(parts)}<figcaption>{e(figure.caption)} (hollow points: reviews, score unchanged)</figcaption></figure>'


def write_html(report: Report, target: Path) -> Path:
    """Write the report to target (a temporary file beside it, then renamed); the path written."""
    target = Path(target)
    if not target.parent.is_dir():
        raise StorageError(f"The folder {target.parent} does not exist; choose a folder to write the report in.")
    try:
        atomic_write(target, render_html(report).encode("utf-8"))
    except OSError as exc:
        raise StorageError(f"The report could not be written to {target}: {exc.strerror or exc}.", exc.errno) from exc
    return target
