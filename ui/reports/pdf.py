"""Paint a report model onto A4 pages: a PDF file (``QPdfWriter``), a printer or a print preview.

How a report is laid out:

- the short parts (headings, paragraphs, small tables, pictures, charts) go through one
  ``QTextDocument`` of HTML, laid out at the page's body size and painted one page at a time;
- a long table (:class:`app.reports.model.RowStream`, e.g. a journal of 20,000 rows) is painted row
  by row straight onto the pages with ``QPainter``, its header repeated on each page, reading rows
  lazily from the builder, so memory stays flat however long the report is;
- every page gets the site's name and the report's title at the top, and the report id and the page
  number at the bottom (the id is what ``wardroom report verify`` names).

Text is set in a CJK font (WenQuanYi Micro Hei or Noto Sans CJK from Debian), which Qt embeds as a
subset in the PDF, so Chinese reads the same on any computer.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication

from app.reports.model import (
    BarChart,
    Block,
    Heading,
    LineChart,
    Paragraph,
    Picture,
    Report,
    RowStream,
    Table,
)
from app.reports.words import word

FONT_FAMILIES = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Noto Sans", "DejaVu Sans"]
BODY_PT = 9.0
RESOLUTION_DPI = 150
MARGINS_MM = QMarginsF(15, 14, 15, 14)
HEADER_MM = 10.0
FOOTER_MM = 9.0


def ensure_app() -> QApplication:
    """The running QApplication (the GUI's), or one made for printing from the command line.

    A PDF needs no screen, so the command line's application is offscreen (unless the caller chose a
    platform): ``wardroom report`` then works over SSH and on a headless station alike.
    """
    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    assert isinstance(app, QApplication)
    return app


def report_font(point_size: float = BODY_PT) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(point_size)
    return font


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A QImage owning a copy of a BGR (or grey) numpy picture."""
    array = np.ascontiguousarray(image)
    height, width = array.shape[:2]
    if array.ndim == 2:
        return QImage(array.data, width, height, array.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QImage(array.data, width, height, array.strides[0], QImage.Format.Format_BGR888).copy()


@dataclass
class Painted:
    pages: int


class _Pager:
    """Owns the page: header and footer on each new page, and the body rectangle in device pixels."""

    def __init__(
        self, device: QPagedPaintDevice, painter: QPainter, report: Report, images: Mapping[int, QImage]
    ) -> None:
        self.device = device
        self.images = images  # charts drawn beforehand on the GUI thread, by id() of their block
        self.painter = painter
        self.report = report
        self.page = 0
        dpi = device.logicalDpiY()
        mm = dpi / 25.4
        full = device.pageLayout().paintRectPixels(device.logicalDpiX())
        width, height = float(full.width()), float(full.height())
        self.header_h = HEADER_MM * mm
        self.footer_h = FOOTER_MM * mm
        self.body = QRectF(0, self.header_h, width, height - self.header_h - self.footer_h)
        self.full = QRectF(0, 0, width, height)
        self.small = report_font(BODY_PT - 1)

    def new_page(self) -> None:
        if self.page > 0:
            self.device.newPage()
        self.page += 1
        self._decorate()

    def _decorate(self) -> None:
        p = self.painter
        p.save()
        p.setFont(self.small)
        p.setPen(QPen(Qt.GlobalColor.black))
        top = QRectF(0, 0, self.full.width(), self.header_h * 0.7)
        p.drawText(top, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom), self.report.site_name)
        p.drawText(top, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom), self.report.title)
        p.drawLine(0, int(self.header_h * 0.8), int(self.full.width()), int(self.header_h * 0.8))
        bottom_y = self.full.height() - self.footer_h * 0.75
        p.drawLine(0, int(bottom_y), int(self.full.width()), int(bottom_y))
        foot = QRectF(0, bottom_y, self.full.width(), self.footer_h * 0.75)
        lang = self.report.lang
        p.drawText(
            foot,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            f"{word(lang, 'report_id')}: {self.report.report_id}",
        )
        p.drawText(
            foot,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            word(lang, "page", n=self.page),
        )
        p.restore()


# ---------------------------------------------------------------------------- flowing text (HTML)
_STYLE = """
body { color: #000; }
h1 { font-size: 15pt; margin: 0 0 6px 0; }
h2 { font-size: 11.5pt; margin: 12px 0 4px 0; }
p { margin: 2px 0 4px 0; }
table.data { border-collapse: collapse; margin: 2px 0 6px 0; }
table.data th { background: #e5e7e9; font-weight: bold; text-align: left; }
p.caption { font-size: 8pt; color: #333; margin: 0 0 8px 0; }
"""


def _table_html(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ['<table class="data" border="1" cellspacing="0" cellpadding="3" width="100%">']
    if any(columns):
        out.append("<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr></thead>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _flow_document(blocks: Sequence[Block], pager: _Pager, font: QFont, top: float) -> QTextDocument:
    """Text and small tables as one document laid out at the body's page size.

    ``top`` is how much of the current page is already used: an empty first paragraph of that height
    pushes the text down, so the document's own page breaks fall exactly on the printed pages' (rows
    never straddle them). (The root frame's top margin would repeat on every page.)
    """
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(pager.device)
    doc.setDefaultFont(font)
    doc.setDefaultStyleSheet(_STYLE)
    doc.setDocumentMargin(0)
    doc.setPageSize(QSizeF(pager.body.width(), pager.body.height()))
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            tag = "h1" if block.level <= 1 else "h2"
            parts.append(f"<{tag}>{html.escape(block.text)}</{tag}>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Table):
            if block.caption:
                parts.append(f'<p class="caption">{html.escape(block.caption)}</p>')
            parts.append(_table_html(block.columns, block.rows))
    spacer = '<p style="margin:0">&nbsp;</p>' if top > 0 else ""
    doc.setHtml("<html><body>" + spacer + "".join(parts) + "</body></html>")
    if top > 0:
        cursor = QTextCursor(doc)
        spacing = (
            cursor.blockFormat()
        )  # a block's top margin is dropped at a page's top; a line's height is not
        # (a fixed line height is given in 96-dpi pixels, whatever the paint device's resolution)
        height = top * 96.0 / pager.device.logicalDpiY()
        spacing.setLineHeight(height, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
        cursor.setBlockFormat(spacing)
    return doc


def _paint_flow(doc: QTextDocument, pager: _Pager) -> float:
    """Paint the document from the current page on; returns the height used on the last page."""
    page_h = pager.body.height()
    pages = max(1, doc.pageCount())
    for i in range(pages):
        if i > 0 or pager.page == 0:
            pager.new_page()
        p = pager.painter
        p.save()
        p.translate(pager.body.left(), pager.body.top() - i * page_h)
        doc.drawContents(p, QRectF(0, i * page_h, pager.body.width(), page_h))
        p.restore()
    last = doc.documentLayout().blockBoundingRect(doc.lastBlock())
    used = last.bottom() - (pages - 1) * page_h
    return max(0.0, min(page_h, used))


def chart_image(block: LineChart | BarChart) -> QImage:
    """A chart as an image (pyqtgraph: GUI thread only)."""
    from ui.reports.charts import bar_chart, line_chart

    chart_font = report_font(20)
    if isinstance(block, LineChart):
        return line_chart(block, chart_font)
    return bar_chart(block, chart_font)


def prerender_charts(report: Report) -> dict[int, QImage]:
    """Every chart of the report drawn now (on the GUI thread), so the PDF can be painted on a worker
    thread: pyqtgraph's plots are widgets, which only the GUI thread may create."""
    return {id(b): chart_image(b) for b in report.blocks if isinstance(b, (LineChart, BarChart))}


def _image_of(block: Picture | LineChart | BarChart, images: Mapping[int, QImage]) -> tuple[QImage, str]:
    if isinstance(block, Picture):
        return bgr_to_qimage(block.image), block.caption
    done = images.get(id(block))
    return (done if done is not None else chart_image(block)), block.title


def _paint_image(
    block: Picture | LineChart | BarChart, lead: Sequence[Block], pager: _Pager, font: QFont, used: float
) -> float:
    """A picture or chart with its caption and the heading just before it (``lead``), kept together on
    one page (a heading never ends a page alone); returns the height used on the page."""
    image, caption = _image_of(block, pager.images)
    lead_doc = _flow_document(lead, pager, font, 0.0) if lead else None
    lead_h = lead_doc.size().height() if lead_doc is not None else 0.0
    body = pager.body
    width = body.width()
    height = width * image.height() / max(1, image.width())
    if height > body.height() * 0.6:
        height = body.height() * 0.6
        width = height * image.width() / max(1, image.height())
    small = report_font(BODY_PT - 1)
    caption_h = QFontMetricsF(small, pager.device).height() * 1.6 if caption else 0.0
    gap = QFontMetricsF(font, pager.device).height() * 0.5
    if pager.page == 0 or used + lead_h + gap + height + caption_h > body.height():
        pager.new_page()
        used = 0.0
    p = pager.painter
    if lead_doc is not None:
        p.save()
        p.translate(body.left(), body.top() + used)
        lead_doc.drawContents(p)
        p.restore()
        used += lead_h
    y = body.top() + used + gap
    p.save()
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.drawImage(QRectF(body.left(), y, width, height), image)
    if caption:
        p.setFont(small)
        p.setPen(Qt.GlobalColor.black)
        p.drawText(
            QRectF(body.left(), y + height, body.width(), caption_h),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            caption,
        )
    p.restore()
    return used + gap + height + caption_h


# ---------------------------------------------------------------------------- streamed tables
def _paint_stream(stream: RowStream, pager: _Pager, font: QFont, used: float) -> float:
    """Paint the rows from ``used`` on the current page on; returns the height used on the last page."""
    p = pager.painter
    p.save()
    p.setFont(font)
    metrics = QFontMetricsF(font, pager.device)
    row_h = metrics.height() * 1.45
    pad = metrics.averageCharWidth() * 0.6
    total_w = sum(stream.widths)
    xs: list[tuple[float, float]] = []
    x = pager.body.left()
    for width in stream.widths:
        w = pager.body.width() * width / total_w
        xs.append((x, w))
        x += w
    bottom = pager.body.bottom()
    grid = QPen(Qt.GlobalColor.darkGray)
    grid.setWidthF(max(1.0, pager.device.logicalDpiX() / 300))

    def header(y: float) -> float:
        p.fillRect(QRectF(pager.body.left(), y, pager.body.width(), row_h), Qt.GlobalColor.lightGray)
        bold = QFont(font)
        bold.setBold(True)
        p.setFont(bold)
        _cells(stream.columns, y)
        p.setFont(font)
        return y + row_h

    def _cells(cells: Sequence[str], y: float) -> None:
        p.setPen(Qt.GlobalColor.black)
        for (cx, cw), text in zip(xs, cells, strict=False):
            shown = metrics.elidedText(str(text), Qt.TextElideMode.ElideRight, cw - 2 * pad)
            p.drawText(
                QRectF(cx + pad, y, cw - 2 * pad, row_h),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                shown,
            )
        p.setPen(grid)
        p.drawLine(int(pager.body.left()), int(y + row_h), int(pager.body.right()), int(y + row_h))

    if pager.page == 0:
        pager.new_page()
        y = pager.body.top()
    else:
        y = pager.body.top() + used + row_h * 0.5
    if y + 2 * row_h > bottom:
        pager.new_page()
        y = pager.body.top()
    y = header(y)
    for cells in stream.rows():
        if y + row_h > bottom:
            pager.new_page()
            y = header(pager.body.top())
        _cells(cells, y)
        y += row_h
    p.restore()
    return y - pager.body.top()


def paint_report(
    report: Report, device: QPagedPaintDevice, images: Mapping[int, QImage] | None = None
) -> Painted:
    """Paint the whole report onto ``device`` (a ``QPdfWriter`` or a ``QPrinter``), page by page.

    ``images``: charts from :func:`prerender_charts` (needed when painting off the GUI thread).
    """
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("the printer or PDF file could not be opened for painting")
    try:
        pager = _Pager(device, painter, report, images or {})
        font = report_font()
        text: list[Block] = []
        used = 0.0

        def flush() -> None:
            nonlocal used
            if text:
                used = _paint_flow(_flow_document(text, pager, font, used if pager.page else 0.0), pager)
                text.clear()

        for block in report.blocks:
            if isinstance(block, RowStream):
                flush()
                used = _paint_stream(block, pager, font, used)
            elif isinstance(block, (Picture, LineChart, BarChart)):
                lead: list[Block] = []
                while text and isinstance(text[-1], (Heading, Paragraph)) and len(lead) < 2:
                    lead.insert(0, text.pop())
                flush()
                used = _paint_image(block, lead, pager, font, used)
            else:
                text.append(block)
        flush()
        if pager.page == 0:
            pager.new_page()
        return Painted(pager.page)
    finally:
        painter.end()


def setup_a4(device: QPagedPaintDevice) -> None:
    device.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    device.setPageOrientation(QPageLayout.Orientation.Portrait)
    device.setPageMargins(MARGINS_MM, QPageLayout.Unit.Millimeter)


def render_pdf(report: Report, path: Path, images: Mapping[int, QImage] | None = None) -> Painted:
    """Write the report as an A4 PDF at ``path`` (removed again if painting fails).

    From the command line this makes its own (offscreen) application; in the GUI, call it on a worker
    thread with the charts from :func:`prerender_charts`.
    """
    if images is None:
        ensure_app()
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION_DPI)
    writer.setTitle(f"{report.title} ({report.report_id})")
    writer.setCreator("Wardroom")
    setup_a4(writer)
    try:
        painted = paint_report(report, writer, images)
    except BaseException:
        del writer
        path.unlink(missing_ok=True)
        raise
    del writer  # flushes and closes the file
    return painted
