"""Read a PDF plan: its text layer through PDFium (pypdfium2), its ruled tables through
pdfplumber's table finder.

PDFium reads the characters and their boxes (fast, and with the right Unicode for the CJK fonts
Chromium and Word embed, where pdfminer returns Kangxi radicals such as ``⽣`` for ``生``);
pdfplumber is asked only where the cells of a table are, on the pages that draw enough lines
to hold one. :mod:`yrdplan.ingest.layout` then drops page furniture and re-joins wrapped lines.

A PDF without a text layer (a scan) is refused with a message that it needs OCR; nothing of it
is imported.
"""

from __future__ import annotations

import ctypes
import io
import logging
from pathlib import Path

from yrdplan.errors import InputError
from yrdplan.ingest.doc_tables import SourceTable
from yrdplan.ingest.layout import Glyph, PageGlyphs, TableGrid, lay_out

# A page drawing fewer line or box objects than this has no ruled table worth looking for.
_MIN_TABLE_PATHS = 6
_SKIP = frozenset("\r\n\x00\ufffe\uffff")
_NEEDS_OCR = (
    "the PDF has no text layer (scanned images); it needs OCR (text recognition) before it "
    "can be imported, so nothing was imported"
)


def read_pdf(path: Path, data: bytes) -> tuple[str, list[SourceTable]]:
    """The text and tables of a PDF; ``InputError`` for a damaged, locked or scanned file."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        reason = str(err)
        if "password" in reason.lower():
            raise InputError(
                f"{path}: the PDF is password-protected; save an unlocked copy"
            ) from err
        raise InputError(f"{path}: not a readable PDF file ({reason})") from err
    try:
        pages, table_pages = [], []
        for number in range(len(document)):
            page = document[number]
            pages.append(_page_glyphs(page))
            if _path_objects(page) >= _MIN_TABLE_PATHS:
                table_pages.append(number)
            page.close()
    finally:
        document.close()
    if not any(page.glyphs for page in pages):
        raise InputError(f"{path}: {_NEEDS_OCR}")
    if table_pages:
        _find_tables(data, pages, table_pages)
    text, tables = lay_out(pages)
    if not text.strip():
        # Only a printer's header and footer had text: the pages themselves are images.
        raise InputError(f"{path}: {_NEEDS_OCR}")
    return text, tables


def _page_glyphs(page) -> PageGlyphs:
    import pypdfium2.raw as raw

    width, height = page.get_size()
    textpage = page.get_textpage()
    box = raw.FS_RECTF()
    glyphs = []
    handle = textpage.raw
    for index in range(raw.FPDFText_CountChars(handle)):
        code = raw.FPDFText_GetUnicode(handle, index)
        char = chr(code) if 0 < code < 0x110000 else ""
        if not char or char in _SKIP or char.isspace():
            continue
        # The loose box spans the font's advance and full height, so the glyphs of one line
        # share a centre and neighbours touch; tight boxes would split "，" off its line.
        if not raw.FPDFText_GetLooseCharBox(handle, index, ctypes.byref(box)):
            continue
        if box.right <= box.left and box.top <= box.bottom:
            continue  # a generated character with no box
        glyphs.append(Glyph(char, box.left, height - box.top, box.right, height - box.bottom))
    textpage.close()
    return PageGlyphs(width, height, glyphs)


def _path_objects(page) -> int:
    import pypdfium2.raw as raw

    return sum(1 for obj in page.get_objects(max_depth=1) if obj.type == raw.FPDF_PAGEOBJ_PATH)


def _find_tables(data: bytes, pages: list[PageGlyphs], numbers: list[int]) -> None:
    import pdfplumber

    # pdfminer logs a line for every font without a FontBBox: noise for a user.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number in numbers:
            found = pdf.pages[number].find_tables()
            pages[number].tables = [
                TableGrid(tuple(table.bbox), [list(row.cells) for row in table.rows])
                for table in found
                if len(table.rows) >= 2 and max(len(row.cells) for row in table.rows) >= 2
            ]
