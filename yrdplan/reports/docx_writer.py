"""A :class:`~yrdplan.reports.document.Document` as a Word file in the layout of Chinese official
documents (after GB/T 9704-2012): A4 with its margins, the issuing office in red above a red
rule, the 文号, a centred title, headings 一、（一）1., tables whose header row repeats on every
page, embedded charts, the issuer and date at the end, and page numbers “— 1 —” at the foot.

Fonts: a CJK font is named for East Asian text (``w:eastAsia``), so Word and LibreOffice do not
fall back to a Latin face; Noto CJK is what Debian ships (``fonts-noto-cjk``). Offices with the
official faces (方正小标宋, 仿宋_GB2312, 黑体, 楷体) can swap them in the styles.
"""

from __future__ import annotations

import io
import re
import struct
from datetime import datetime
from html import escape

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from yrdplan.reports.document import (
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
    chinese_date,
    format_cell,
)
from yrdplan.reports.docx_parts import display_width, page_number_footer, repeat_header_row
from yrdplan.reports.static_charts import ChartRenderer

SERIF = "Noto Serif CJK SC"  # stands in for 仿宋_GB2312 / 方正小标宋
SANS = "Noto Sans CJK SC"  # stands in for 黑体
RED = RGBColor(0xC0, 0x00, 0x00)
BODY_PT = 14  # 四号; 三号 (16 pt) leaves too little room beside wide tables
TABLE_PT = 9


def _fonts(run_or_style, family: str, size: float | None = None, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = family
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), family)


def _setup(docx, document: Document, built_at: datetime) -> None:
    section = docx.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    styles = docx.styles
    _fonts(styles["Normal"], SERIF, BODY_PT)
    styles["Normal"].paragraph_format.line_spacing = Pt(26)
    for level, (family, size) in {1: (SANS, 15), 2: (SERIF, 14), 3: (SERIF, 14)}.items():
        style = styles[f"Heading {level}"]
        _fonts(style, family, size, bold=level > 1)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        style.paragraph_format.space_before = Pt(10)
        style.paragraph_format.space_after = Pt(4)
    properties = docx.core_properties
    properties.title = document.title
    properties.author = document.issuer
    properties.last_modified_by = document.issuer
    properties.created = built_at
    properties.modified = built_at
    properties.revision = 1
    page_number_footer(section, lambda run: _fonts(run, SERIF, 12))
    _table_styles(docx)


def _red_rule(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", "18"),
        ("w:space", "6"),
        ("w:color", "C00000"),
    ):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _centred(docx, text: str, family: str, size: float, *, bold=False, colour=None):
    paragraph = docx.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    _fonts(run, family, size, bold)
    if colour is not None:
        run.font.color.rgb = colour
    return paragraph


def _head(docx, document: Document) -> None:
    _centred(docx, document.issuer, SERIF, 24, bold=True, colour=RED)
    rule = _centred(docx, document.number or " ", SERIF, 14)
    _red_rule(rule)
    docx.add_paragraph()
    _centred(docx, document.title, SERIF, 20, bold=True)
    if document.simulated:
        _centred(docx, "（含演示数据）", SERIF, 12)


TABLE_STYLES = {"text": "YrdTableText", "number": "YrdTableNumber", "header": "YrdTableHeader"}


def _table_styles(docx) -> None:
    """Paragraph styles for table cells: set once, so a cell is one pStyle and one run (a
    table of thousands of rows stays fast to write)."""
    for key, style_id in TABLE_STYLES.items():
        style = docx.styles.add_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = docx.styles["Normal"]
        _fonts(style, SANS if key == "header" else SERIF, TABLE_PT, bold=key == "header")
        style.paragraph_format.line_spacing = 1.0
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.first_line_indent = Pt(0)
        if key == "number":
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _fill_row(tr, texts: list[str], styles: list[str], widths: list) -> None:
    for tc, text, style, width in zip(tr.tc_lst, texts, styles, widths, strict=True):
        tc.width = width
        paragraph = tc.p_lst[0]
        paragraph.style = style
        paragraph.add_r().text = text


# Body rows are written as WordprocessingML text and parsed once per table: python-docx's
# element API costs ~5 ms a row, too slow for the thousands of rows a large bulletin has.
_CELL = (
    '<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p><w:pPr>'
    '<w:pStyle w:val="{style}"/></w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r>'
    "</w:p></w:tc>"
)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _append_rows(tbl, table: Table, styles: list[str], widths: list) -> None:
    twips = [int(w.twips) for w in widths]
    rows = []
    for values in table.rows:
        cells = "".join(
            _CELL.format(
                width=width,
                style=style,
                text=escape(_NOT_XML.sub("", format_cell(value, column.kind)), quote=False),
            )
            for column, value, style, width in zip(
                table.columns, values, styles, twips, strict=True
            )
        )
        rows.append(f"<w:tr>{cells}</w:tr>")
    fragment = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>")
    for row in list(fragment):
        tbl.append(row)


TEXT_WIDTH_CM = 15.6  # A4 less the GB/T 9704 side margins


WIDE_TABLE = 10  # columns from which a table gets a landscape page of its own
LANDSCAPE_TEXT_WIDTH_CM = 29.7 - 3.7 - 3.5


def _orient(docx, landscape: bool) -> None:
    """A new section (new page) in portrait or landscape, with the official margins turned."""
    section = docx.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = Cm(29.7), Cm(21.0)
    section.page_width, section.page_height = (
        (long_side, short_side) if landscape else (short_side, long_side)
    )
    margins = (Cm(2.8), Cm(2.6), Cm(3.7), Cm(3.5))  # left, right, top, bottom in portrait
    if landscape:  # the page turned: what was the top is now the left
        section.left_margin, section.right_margin = margins[2], margins[3]
        section.top_margin, section.bottom_margin = margins[1], margins[0]
    else:
        section.left_margin, section.right_margin = margins[0], margins[1]
        section.top_margin, section.bottom_margin = margins[2], margins[3]


def _column_widths(table: Table, text_width_cm: float = TEXT_WIDTH_CM) -> list:
    """Widths in proportion to what the columns hold: long text wide, numbers narrow."""
    weights = []
    for n, column in enumerate(table.columns):
        # In display units (a CJK character is two); a header wraps well, values should not.
        longest = max(
            [display_width(column.title) / 2]
            + [display_width(format_cell(r[n], column.kind)) for r in table.rows]
        )
        if column.kind == "text":
            weights.append(min(max(longest, 6), 30) + 2)
        else:
            weights.append(min(max(longest, 8), 12) + 2)
    total = sum(weights)
    return [Cm(text_width_cm * w / total) for w in weights]


def _table(docx, table: Table) -> None:
    wide = len(table.columns) >= WIDE_TABLE
    if wide:
        _orient(docx, landscape=True)
    caption = docx.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(caption.add_run(table.title), SANS, 11)
    grid = docx.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    widths = _column_widths(table, LANDSCAPE_TEXT_WIDTH_CM if wide else TEXT_WIDTH_CM)
    # LibreOffice reads the grid, Word the cells: set both.
    for column, width in zip(grid._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        column.set(qn("w:w"), str(int(width.twips)))
    header = grid.rows[0]
    repeat_header_row(header)
    _fill_row(
        header._tr,
        [c.title for c in table.columns],
        [TABLE_STYLES["header"]] * len(widths),
        widths,
    )
    styles = [TABLE_STYLES["text" if c.kind == "text" else "number"] for c in table.columns]
    _append_rows(grid._tbl, table, styles, widths)
    if table.note:
        note = docx.add_paragraph()
        _fonts(note.add_run(table.note), SERIF, 10)
    if wide:
        _orient(docx, landscape=False)


# The body of an A4 page is 225 mm high (GB/T 9704 margins 37 + 35 mm): a taller picture leaves
# its caption alone on the next page (the 41 cities' league table did), so cap its height.
FIGURE_WIDTH_CM = 15
FIGURE_MAX_HEIGHT_CM = 19


def _figure(docx, figure: Figure, charts: ChartRenderer) -> None:
    png = charts.png(figure.chart, figure.title)
    width_px, height_px = struct.unpack(">II", png[16:24])  # the PNG header's IHDR chunk
    if height_px * FIGURE_WIDTH_CM > width_px * FIGURE_MAX_HEIGHT_CM:
        docx.add_picture(io.BytesIO(png), height=Cm(FIGURE_MAX_HEIGHT_CM))
    else:
        docx.add_picture(io.BytesIO(png), width=Cm(FIGURE_WIDTH_CM))
    picture = docx.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The body's exact 26 pt line height would clip the picture to one line.
    picture.paragraph_format.line_spacing = 1.0
    picture.paragraph_format.keep_with_next = True
    caption = docx.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(caption.add_run(figure.title), SANS, 11)


def _paragraph(docx, block: Paragraph) -> None:
    paragraph = docx.add_paragraph()
    if block.kind == "body":
        paragraph.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
        run = paragraph.add_run(block.text)
    else:
        run = paragraph.add_run(block.text)
        _fonts(run, SERIF, 11)
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


def write_docx(
    document: Document, built_at: datetime, charts: ChartRenderer | None = None
) -> bytes:
    """The document as .docx bytes; ``built_at`` is recorded as its creation time (pass the
    snapshot's time so a rebuild records the same); ``charts`` shares drawn figures."""
    charts = charts or ChartRenderer()
    docx = new_docx()
    _setup(docx, document, built_at)
    _head(docx, document)
    for block in document.blocks:
        if isinstance(block, Heading):
            docx.add_heading(block.full, level=block.level)
        elif isinstance(block, Paragraph):
            _paragraph(docx, block)
        elif isinstance(block, Table):
            _table(docx, block)
        elif isinstance(block, Figure):
            _figure(docx, block, charts)
    docx.add_paragraph()
    for text in (document.issuer, chinese_date(document.issued_on)):
        paragraph = docx.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()
