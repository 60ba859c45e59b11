"""The report as PDF through Qt's own printing: the Report value laid out as one QTextDocument and
painted page by page, so every page carries its footer ("Page N of M") and, on a draft, the draft
line and a pale DRAFT watermark. The same pages paint a print preview (ReportPages). Written whole
to memory, then beside the target and renamed: a cancel or a failure leaves nothing."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPagedPaintDevice,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextOption,
)

from fieldapp.errors import Cancelled, StorageError
from fieldapp.report.model import Block, Figure, Paragraph, Quotation, Report, Table
from fieldapp.report.seal import pdf_metadata
from fieldapp.storage.fsutil import atomic_write

DPI = 300  # sharp text and a crisp chart on paper
MARGINS_MM = (20.0, 24.0, 20.0, 22.0)  # left, top (room for the draft line), right, bottom (the footer)
FONTS = ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"]
_CSS = """
h1 { font-size: 20pt; } h2 { font-size: 15pt; margin-top: 18px; } h3 { font-size: 12pt; margin-top: 12px; }
th { text-align: left; } .caption { font-size: 8.5pt; color: #444; } .informs { font-size: 8.5pt; color: #444; }
"""
NUMBER_INDENT = 40  # at 96 dpi: room for "123." and a gap
CHART_W, CHART_H = 1200, 400  # pixels; shown at half that in the document's (96 dpi) units
Progress = Callable[[int, int], None]


class ReportPages:
    """The report laid out once on A4 at DPI, as the PDF is, so every device it is painted on (the
    PDF, a print preview, an image) shows the same pages; paint() draws one page whole."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self._device = page_device(os.devnull)  # the layout's device: a PDF writer never opened
        left, top, right, bottom = (mm * DPI / 25.4 for mm in MARGINS_MM)
        self.sheet = QRectF(0, 0, self._device.width(), self._device.height())
        self.body = QRectF(left, top, self.sheet.width() - left - right, self.sheet.height() - top - bottom)
        self.document = report_document(report, DPI)
        self.document.documentLayout().setPaintDevice(self._device)  # fonts measured at the PDF's resolution
        self.document.setPageSize(self.body.size())
        _keep_headings_with_their_text(self.document, self.body.height())
        # Laid out again whole: a page break set above leaves some blocks' positions stale in Qt's layout, and
        # those paragraphs are then painted nowhere (a heading moved to a page's top lost the text after it).
        self.document.markContentsDirty(0, self.document.characterCount())
        self.count = self.document.pageCount()

    def paint(self, painter: QPainter, index: int) -> None:
        """Page index (0-based): its share of the document, the footer, and on a draft the draft line and
        the watermark (over the text, pale, so no shaded quotation hides it)."""
        painter.save()
        painter.translate(self.body.left(), self.body.top() - index * self.body.height())
        self.document.drawContents(painter, QRectF(0, index * self.body.height(), self.body.width(), self.body.height()))
        painter.restore()
        small = _font(8.5, DPI)
        painter.setFont(small)
        painter.setPen(QColor("#555"))
        foot = QRectF(self.body.left(), self.body.bottom() + self.body.top() * 0.25, self.body.width(), self.body.top() * 0.4)
        painter.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.report.title)
        painter.drawText(foot, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"Page {index + 1} of {self.count}")
        if self.report.draft:
            small.setBold(True)
            painter.setFont(small)
            painter.setPen(QColor("#a00000"))
            head = QRectF(self.body.left(), self.body.top() * 0.3, self.body.width(), self.body.top() * 0.55)
            painter.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, self.report.draft_line)
            self._watermark(painter)

    def _watermark(self, painter: QPainter) -> None:
        painter.save()
        painter.translate(self.sheet.center())
        painter.rotate(-50)
        font = _font(110, DPI)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(170, 0, 0, 30))
        box = QRectF(-self.sheet.height() / 2, -self.sheet.width() / 4, self.sheet.height(), self.sheet.width() / 2)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "DRAFT")
        painter.restore()


def write_pdf(report: Report, path: Path, *, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> Path:
    """Write the report as a PDF at path (a temporary file beside it, then renamed); the path written.
    progress(done, total) after each page; cancelled() True stops it (Cancelled) and nothing is left."""
    target = Path(path)
    if not target.parent.is_dir():
        raise StorageError(f"The folder {target.parent} does not exist; choose a folder to write the report in.")
    _ensure_app()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = page_device(buffer)
    writer.setTitle(report.title)
    writer.setCreator("fieldapp")
    if report.seal is not None:  # read back by fieldapp.report.seal.read_seal (Qt writes the XMP stream uncompressed)
        writer.setDocumentXmpMetadata(QByteArray(pdf_metadata(report.seal)))
    pages = ReportPages(report)
    painter = QPainter(writer)
    try:
        for index in range(pages.count):
            if cancelled is not None and cancelled():
                raise Cancelled("The report was cancelled; nothing was written.")
            if index:
                writer.newPage()
            pages.paint(painter, index)
            if progress is not None:
                progress(index + 1, pages.count)
    finally:
        painter.end()
    try:
        atomic_write(target, bytes(buffer.data().data()))
    except OSError as exc:
        raise StorageError(f"The report could not be written to {target}: {exc.strerror or exc}.", exc.errno) from exc
    return target


def page_device(into: QBuffer | str) -> QPdfWriter:
    """A PDF writer into a buffer (it then owns it) or a file: A4 at DPI, no margins (the pages draw their own)."""
    writer = QPdfWriter(into)
    if isinstance(into, QBuffer):
        into.setParent(writer)  # the buffer outlives the writer's last word to it, whatever order Python drops them in
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    return writer


def print_report(report: Report, device: QPagedPaintDevice) -> None:
    """Paint the report's pages onto a printer (a print preview's, a real one's, full page): the PDF's pages."""
    pages = ReportPages(report)
    device.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter(device)
    painter.scale(device.logicalDpiX() / DPI, device.logicalDpiY() / DPI)
    try:
        for index in range(pages.count):
            if index:
                device.newPage()
            pages.paint(painter, index)
    finally:
        painter.end()


def _ensure_app() -> None:
    """Qt's fonts and painting need an application object; the command line has none, nor a display."""
    if QGuiApplication.instance() is not None:
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    global _APP
    _APP = QGuiApplication([])


_APP: QGuiApplication | None = None  # kept: the application must outlive every document


def _font(points: float, dpi: int = 0) -> QFont:
    """The report's face at a size in points; with dpi, in that device's pixels, so a page painted
    onto an image (a preview, the README's picture) looks as it does on paper."""
    font = QFont()
    font.setFamilies(FONTS)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    if dpi:
        font.setPixelSize(round(points * dpi / 72))
    else:
        font.setPointSizeF(points)
    # Plain letters, no ligatures: text copied or searched in the PDF reads "staffing", never "staﬃng".
    for tag in ("liga", "clig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font


def report_document(report: Report, dpi: int) -> QTextDocument:
    """The report as a QTextDocument in Qt's rich-text subset, for a device of dpi dots per inch:
    every text escaped, figures as image resources."""
    document = QTextDocument()
    # A paragraph's number hangs in its margin, its text aligned at the first tab stop. Qt scales
    # tables' lengths to the device but takes a paragraph's indents and tabs in the device's own pixels.
    indent = round(NUMBER_INDENT * dpi / 96)
    document.setDefaultFont(_font(10))
    document.setDefaultStyleSheet(_CSS)
    document.setDocumentMargin(0)
    e = escape
    out = [f"<h1>{e(report.title)}</h1>", '<table cellpadding="3">']
    out += [f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in report.cover]
    out.append("</table>")
    figures = 0
    for section in report.sections:
        tag = "h2" if section.level <= 1 else "h3"
        out.append(f"<{tag}>{e(section.heading)}</{tag}>")
        for block in section.blocks:
            if isinstance(block, Figure):
                name = f"fieldapp-figure:{figures}"
                figures += 1
                document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), history_chart(block))
                out.append(f'<p><img src="{name}" width="{CHART_W // 2}" height="{CHART_H // 2}"></p>')
                out.append(f'<p class="caption">{e(block.caption)} (hollow points: reviews, score unchanged)</p>')
            else:
                out.append(_block(block, indent))
    document.setHtml("\n".join(out))
    _hang_numbers(document, NUMBER_INDENT)
    return document


def _keep_headings_with_their_text(document: QTextDocument, page_height: float) -> None:
    """A heading left last on its page moves to the next one, with the paragraph it heads (Qt's
    layout breaks pages between any two lines, and has no keep-with-next)."""
    layout = document.documentLayout()
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        following = block.next()
        if block.blockFormat().headingLevel() and following.isValid():
            heading_page = layout.blockBoundingRect(block).top() // page_height
            top = layout.blockBoundingRect(following).top()  # lays the document out as far as this block
            lines = following.layout()
            first_line = top + (lines.lineAt(0).rect().bottom() if lines.lineCount() else 0)
            if first_line // page_height > heading_page:
                cursor.setPosition(block.position())
                moved = QTextBlockFormat()
                moved.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                cursor.mergeBlockFormat(moved)
        block = following


def _hang_numbers(document: QTextDocument, indent: int) -> None:
    """A tab stop where a numbered paragraph's text starts, so its first line aligns with the rest."""
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        if block.blockFormat().textIndent() < 0:
            cursor.setPosition(block.position())
            tabbed = QTextBlockFormat()
            tabbed.setTabPositions([QTextOption.Tab(indent, QTextOption.TabType.LeftTab)])
            cursor.mergeBlockFormat(tabbed)
        block = block.next()



def _block(block: Block, indent: int) -> str:
    e = escape
    if isinstance(block, Paragraph):
        text = e(block.text).replace("\n", "<br>")
        if block.number is None:
            return f"<p>{text}</p>"
        return f'<p style="margin-left: {indent}px; text-indent: -{indent}px; white-space: pre-wrap;">{block.number}.\t{text}</p>'
    if isinstance(block, Quotation):
        informs = f'<br><span class="informs">Informed: {e("; ".join(block.informs))}</span>' if block.informs else ""
        return (f'<table width="100%" cellpadding="8" bgcolor="#f0f0f0" style="margin: 6px 0 6px {NUMBER_INDENT}px;"><tr><td>'
                f"<i>“{e(block.text)}”</i><br>— {e(block.who)}{informs}</td></tr></table>")  # fmt: skip
    if isinstance(block, Table):
        head = "".join(f'<th bgcolor="#e4e4e4">{e(h)}</th>' for h in block.headers)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return (f'<table width="100%" border="1" cellspacing="0" cellpadding="4" style="border-collapse: collapse; border-color: #999; border-style: solid; margin-bottom: 6px;">'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")  # fmt: skip
    raise TypeError(f"not a block: {block!r}")



def history_chart(figure: Figure) -> QImage:
    """Scores 1–4 over time as a small line chart; published points filled, reviews hollow, dates day-first."""
    image = QImage(CHART_W, CHART_H, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = _font(10)
    font.setPixelSize(26)
    painter.setFont(font)
    left, right, top, bottom = 60.0, CHART_W - 40.0, 30.0, CHART_H - 70.0

    def y_of(score: int) -> float:
        return bottom - (score - 1) / 3 * (bottom - top)

    for score in (1, 2, 3, 4):
        painter.setPen(QPen(QColor("#dddddd"), 2))
        painter.drawLine(QPointF(left, y_of(score)), QPointF(right, y_of(score)))
        painter.setPen(QColor("#333333"))
        painter.drawText(QRectF(0, y_of(score) - 15, left - 15, 30), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(score))
    points = figure.points
    step = (right - left - 80) / max(len(points) - 1, 1)
    xs = [left + 40 + i * step if len(points) > 1 else (left + right) / 2 for i in range(len(points))]
    scored = [(x, p) for x, p in zip(xs, points) if p.score is not None]
    ink = QColor("#222255")
    if len(scored) > 1:
        line = QPainterPath(QPointF(scored[0][0], y_of(scored[0][1].score or 1)))
        for x, p in scored[1:]:
            line.lineTo(x, y_of(p.score or 1))
        painter.setPen(QPen(ink, 4))
        painter.drawPath(line)
    every = max(1, math.ceil(240 / step)) if len(points) > 1 else 1  # dates far enough apart to read
    for i, (x, p) in enumerate(zip(xs, points)):
        if i % every == 0 or i == len(points) - 1:
            painter.setPen(QColor("#333333"))
            painter.drawText(QRectF(x - 120, bottom + 20, 240, 36), Qt.AlignmentFlag.AlignCenter, p.taken_on)
        if p.score is None:
            continue
        painter.setPen(QPen(ink, 4))
        painter.setBrush(QColor("white") if p.review else ink)
        painter.drawEllipse(QPointF(x, y_of(p.score)), 11, 11)
    painter.end()
    return image


__all__ = ["ReportPages", "history_chart", "page_device", "print_report", "report_document", "write_pdf"]
