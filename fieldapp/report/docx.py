"""The report as a Word file (.docx), for the organisations to comment on in the factual accuracy
check: the report value as it is, paragraph numbers typed out (Word's own numbering would renumber
them as people edit), a draft's line and a DRAFT watermark on every page, a published report's seal
as the package part fieldapp/seal.json. Made in memory, then written atomically as the HTML is."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.section import Section as WordSection
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph

from fieldapp.errors import StorageError
from fieldapp.report.model import Figure, Paragraph, Quotation, Report, Table
from fieldapp.report.seal import DOCX_PART, seal_text
from fieldapp.storage.fsutil import atomic_write

SEAL_RELATIONSHIP = "https://fieldapp.invalid/rel/seal"
NUMBERED_STYLE = "Numbered paragraph"
_NUMBERED_ID = "NumberedParagraph"
DRAFT_MARK = "DRAFT"
_NUMBER_WIDTH = Cm(1.25)  # room for "123." before the text, which hangs at this indent
_DRAFT_RED = RGBColor(0xAA, 0x00, 0x00)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the zip format's first day: the same report gives the same bytes
_CORE_TEXT_LIMIT = 255  # Word's limit on a core property such as the title

# Characters XML 1.0 cannot hold (lxml refuses them): people's text may carry any of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Word's own watermark: a text path shape in the header, behind the text, on every page. The
# namespaces (v, o, w10) are declared by python-docx's header part; repeated here so the fragment parses.
_WATERMARK = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:v="urn:schemas-microsoft-com:vml"
 xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w10="urn:schemas-microsoft-com:office:word"><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">
<v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/>
<v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/><v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/>
<v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" o:connectangles="270,180,90,0"/>
<v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottom" xrange="6629,14971"/></v:handles>
<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>
<v:shape id="FieldappDraftWatermark" o:spid="_x0000_s2049" type="#_x0000_t136" o:allowincell="f" fillcolor="#E8B4B4" stroked="f"
 style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:140pt;rotation:315;z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;mso-position-vertical-relative:margin">
<v:fill opacity=".5"/><v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt" string="{mark}"/>
<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r>"""


def clean(text: str) -> str:
    """Text as XML can hold it: characters it cannot are replaced (U+FFFD), so hostile text never stops a report."""
    return _NOT_XML.sub("\ufffd", text)


def render_docx(report: Report) -> bytes:
    """The report as the bytes of one .docx file."""
    document = Document()
    _page_setup(document, report)
    _properties(document, report)
    _styles(document)
    _add(document, "Title", clean(report.title))
    _cover(document, report.cover)
    for section in report.sections:
        _add(document, f"Heading{min(max(section.level, 1), 9)}", clean(section.heading))
        for block in section.blocks:
            if isinstance(block, Paragraph):
                _paragraph(document, block)
            elif isinstance(block, Quotation):
                _quotation(document, block)
            elif isinstance(block, Table):
                _table(document, block.headers, block.rows)
            else:
                _figure(document, block)
    _drop_template_thumbnail(document)
    if report.seal is not None:  # a published report's proof, read back by fieldapp.report.seal
        part = Part(PackURI("/" + DOCX_PART), "application/json", seal_text(report.seal).encode("ascii"), document.part.package)
        document.part.relate_to(part, SEAL_RELATIONSHIP)
    saved = io.BytesIO()
    document.save(saved)
    return _fixed_times(saved.getvalue())


def write_docx(report: Report, path: Path) -> Path:
    """Write the report as .docx to path (made in memory, then a temporary file beside it renamed); the path written."""
    target = Path(path)
    if not target.parent.is_dir():
        raise StorageError(f"The folder {target.parent} does not exist; choose a folder to write the report in.")
    data = render_docx(report)
    try:
        atomic_write(target, data)
    except OSError as exc:
        raise StorageError(f"The report could not be written to {target}: {exc.strerror or exc}.", exc.errno) from exc
    return target


def _page_setup(document: WordDocument, report: Report) -> None:
    """A4 pages; on every page a draft's line and its watermark above, the page number below."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2.5)
        section.different_first_page_header_footer = False  # the first page carries the draft line too
        if report.draft:
            _draft_header(section, report.draft_line)
        _page_footer(section)


def _draft_header(section: WordSection, line: str) -> None:
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    run = paragraph.add_run(clean(line))
    run.bold = True
    run.font.color.rgb = _DRAFT_RED
    paragraph._p.append(parse_xml(_WATERMARK.format(mark=DRAFT_MARK)))


def _page_footer(section: WordSection) -> None:
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.add_run("Page ")
    page = OxmlElement("w:fldSimple")
    page.set(qn("w:instr"), " PAGE ")
    page.append(OxmlElement("w:r"))
    page[0].append(OxmlElement("w:t"))
    page[0][0].text = "1"
    paragraph._p.append(page)


def _properties(document: WordDocument, report: Report) -> None:
    """Fixed properties, so the same report makes the same file: no date of now, none of the template's."""
    properties = document.core_properties
    properties.title = clean(report.title)[:_CORE_TEXT_LIMIT]
    properties.author = properties.last_modified_by = "fieldapp"
    properties.comments = ""
    properties.subject = "Draft for factual accuracy check" if report.draft else "Assessment report"
    properties.language = "en-GB"
    properties.revision = 1
    element = properties._element
    if report.seal is not None:
        published = datetime.fromisoformat(report.seal.published_on).replace(tzinfo=timezone.utc)
        properties.created = properties.modified = published
    else:
        for name in ("dcterms:created", "dcterms:modified"):
            for found in element.findall(qn(name)):
                element.remove(found)
    for lang in document.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), "en-GB")


def _styles(document: WordDocument) -> None:
    """The numbered paragraph's hanging indent, and quotations set in from the margins."""
    styles = document.styles
    numbered = cast(ParagraphStyle, styles.add_style(NUMBERED_STYLE, WD_STYLE_TYPE.PARAGRAPH))
    numbered.style_id = _NUMBERED_ID
    numbered.base_style = styles["Normal"]
    numbered.paragraph_format.left_indent = _NUMBER_WIDTH
    numbered.paragraph_format.first_line_indent = -_NUMBER_WIDTH
    numbered.paragraph_format.tab_stops.add_tab_stop(_NUMBER_WIDTH)
    quote = cast(ParagraphStyle, styles["Quote"])
    quote.paragraph_format.left_indent = quote.paragraph_format.right_indent = Cm(1)


def _add(document: WordDocument, style_id: str, text: str = "") -> WordParagraph:
    """A paragraph of the style with this id: python-docx's lookup by name scans every style each time,
    which made the demo several times slower."""
    paragraph = document.add_paragraph(text)
    paragraph._p.style = style_id
    return paragraph


def _cover(document: WordDocument, cover: tuple[tuple[str, str], ...]) -> None:
    table = document.add_table(rows=0, cols=2)
    for label, value in cover:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(clean(label)).bold = True
        cells[1].text = clean(value)


def _paragraph(document: WordDocument, block: Paragraph) -> None:
    if block.number is None:
        document.add_paragraph(clean(block.text))
        return
    paragraph = _add(document, _NUMBERED_ID)
    paragraph.add_run(f"{block.number}.\t")  # typed out: the numbers organisations refer to stay as issued
    paragraph.add_run(clean(block.text))


def _quotation(document: WordDocument, block: Quotation) -> None:
    passage = _add(document, "Quote", f"“{clean(block.text)}”")
    passage.paragraph_format.keep_with_next = True
    attribution = _add(document, "Quote")
    attribution.add_run(f"— {clean(block.who)}").italic = True
    if block.informs:
        attribution.add_run().add_break()
        informs = attribution.add_run(f"Informed: {clean('; '.join(block.informs))}")
        informs.italic = False
        informs.font.size = Pt(9)


def _table(document: WordDocument, headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> WordTable:
    table = document.add_table(rows=0, cols=max(len(headers), *(len(row) for row in rows), 1))
    table._tbl.tblStyle_val = "TableGrid"  # by id, as _add does
    head = table.add_row()
    head._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeated at the top of every page the table runs on
    for cell, text in zip(head.cells, headers):
        cell.paragraphs[0].add_run(clean(text)).bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = clean(text)
    return table


def _figure(document: WordDocument, figure: Figure) -> None:
    """The history as a table (Word's charts are beyond python-docx): one row a snapshot, reviews marked."""
    caption = _add(document, "Caption", clean(figure.caption))
    caption.paragraph_format.keep_with_next = True
    rows = tuple(
        (p.taken_on, "not scored" if p.score is None else str(p.score), p.rating or "not rated",
         "Review, score unchanged" if p.review else "Published")
        for p in figure.points
    )  # fmt: skip
    _table(document, ("Date", "Score", "Rating", "Review"), rows)


def _drop_template_thumbnail(document: WordDocument) -> None:
    """The template's thumbnail is of a blank page: a file browser would show that for the report."""
    relationships = document.part.package.rels
    for rid in [rid for rid, rel in relationships.items() if rel.reltype == RT.THUMBNAIL]:
        del relationships[rid]


def _fixed_times(package: bytes) -> bytes:
    """The package again with every entry dated alike (python-docx dates them now), entries in the same order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as fixed:
        for entry in source.infolist():
            dated = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            dated.compress_type = zipfile.ZIP_DEFLATED
            fixed.writestr(dated, source.read(entry))
    return out.getvalue()


__all__ = ["DRAFT_MARK", "NUMBERED_STYLE", "SEAL_RELATIONSHIP", "clean", "render_docx", "write_docx"]
