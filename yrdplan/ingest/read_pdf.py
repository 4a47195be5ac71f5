"""Read a PDF plan through PDFium (pypdfium2): its text layer, and its ruled tables.

PDFium reads the characters and their boxes (fast, and with the right Unicode for the CJK fonts
Chromium and Word embed, where pdfminer returns Kangxi radicals such as ``⽣`` for ``生``). A
ruled table is found from the page's thin line objects (:func:`find_grids`): the grid of its
rules, with a missing border merging two cells. A table ruled with horizontal lines only (a
three-line table) is read as text lines. :mod:`yrdplan.ingest.layout` then drops page
furniture and re-joins wrapped lines.

A PDF without a text layer (a scan) is refused with a message that it needs OCR; nothing of it
is imported.
"""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

from yrdplan.errors import InputError
from yrdplan.ingest.doc_tables import SourceTable
from yrdplan.ingest.layout import Glyph, PageGlyphs, TableGrid, lay_out

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
        pages = []
        for number in range(len(document)):
            page = document[number]
            grids = find_grids(_rulings(page, page.get_height()))
            glyphs = _page_glyphs(page, grids)
            glyphs.tables = grids
            pages.append(glyphs)
            page.close()
    finally:
        document.close()
    if not any(page.glyphs for page in pages):
        raise InputError(f"{path}: {_NEEDS_OCR}")
    text, tables = lay_out(pages)
    if not text.strip():
        # Only a printer's header and footer had text: the pages themselves are images.
        raise InputError(f"{path}: {_NEEDS_OCR}")
    return text, tables


def _page_glyphs(page, grids: list[TableGrid]) -> PageGlyphs:
    """The page's text as glyph runs: one run per line fragment PDFium reads, boxed by its
    first and last characters; inside a table every character is its own glyph, so that it
    lands in its cell. Runs keep the per-character ctypes calls to two a line, which is what
    makes a 100-page plan fast to read."""
    import pypdfium2.raw as raw

    width, height = page.get_size()
    textpage = page.get_textpage()
    handle = textpage.raw
    count = raw.FPDFText_CountChars(handle)
    # One call for all the characters; per-character calls only if a character outside the
    # BMP (two UTF-16 units) would shift the indexes.
    text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:
        text = "".join(chr(raw.FPDFText_GetUnicode(handle, i) or 0xFFFE) for i in range(count))
    box = raw.FS_RECTF()

    def char_box(index: int) -> tuple[float, float, float, float] | None:
        # The loose box spans the font's advance and full height, so the glyphs of one line
        # share a centre and neighbours touch; tight boxes would split "，" off its line.
        if not raw.FPDFText_GetLooseCharBox(handle, index, ctypes.byref(box)):
            return None
        if box.right <= box.left and box.top <= box.bottom:
            return None  # a generated character with no box
        return box.left, height - box.top, box.right, height - box.bottom

    def in_table(found: tuple[float, float, float, float]) -> bool:
        cx, cy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2
        return any(g.bbox[0] <= cx <= g.bbox[2] and g.bbox[1] <= cy <= g.bbox[3] for g in grids)

    glyphs = []
    for start, end in _fragments(text):
        first = char_box(start)
        if first is None:
            continue
        if grids and in_table(first):
            for index in range(start, end):
                char = text[index]
                found = None if char.isspace() or char in _SKIP else char_box(index)
                if found is not None:
                    glyphs.append(Glyph(char, *found))
            continue
        last = char_box(end - 1) or first
        run = _CJK_SPACE_RE.sub("", text[start:end])
        glyphs.append(Glyph(run, first[0], min(first[1], last[1]), last[2], max(first[3], last[3])))
    textpage.close()
    return PageGlyphs(width, height, glyphs)


_BREAK_RE = re.compile(r"[^\r\n\x00\ufffe\uffff]+")
# PDFium puts a generated space where glyphs stand apart; Chinese text has none of its own.
_CJK_SPACE_RE = re.compile(
    r"(?<=[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]) +(?=[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef])"
)


def _fragments(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of text between PDFium's line breaks, spaces trimmed."""
    spans = []
    for m in _BREAK_RE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


# -- ruled tables ------------------------------------------------------------------------------

# Lines thinner than this (points) are rules; cell borders are drawn as thin filled boxes or
# stroked single segments, so a path object's bounding box tells which.
_RULE = 2.5
_TOL = 2.0


def _rulings(page, height: float) -> list[tuple[str, float, float, float]]:
    """Horizontal ``("h", y, x0, x1)`` and vertical ``("v", x, top, bottom)`` rules of a page
    (origin top left)."""
    import pypdfium2.raw as raw

    left, bottom = ctypes.c_float(), ctypes.c_float()
    right, top = ctypes.c_float(), ctypes.c_float()
    rules = []
    for index in range(raw.FPDFPage_CountObjects(page.raw)):
        obj = raw.FPDFPage_GetObject(page.raw, index)
        if raw.FPDFPageObj_GetType(obj) != raw.FPDF_PAGEOBJ_PATH:
            continue
        raw.FPDFPageObj_GetBounds(
            obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top)
        )
        x0, x1, y0, y1 = left.value, right.value, height - top.value, height - bottom.value
        rules += rule_from_box(x0, y0, x1, y1, segments=raw.FPDFPath_CountSegments(obj))
    return rules


def rule_from_box(
    x0: float, top: float, x1: float, bottom: float, *, segments: int
) -> list[tuple[str, float, float, float]]:
    """The rules a path with this bounding box (points, origin top left) draws: a thin box is
    one line; a box with few segments is a stroked rectangle, a cell's four borders.

    >>> rule_from_box(10, 50, 200, 51, segments=5)
    [('h', 50.5, 10, 200)]
    """
    if x1 - x0 <= _RULE and bottom - top > _RULE:
        return [("v", (x0 + x1) / 2, top, bottom)]
    if bottom - top <= _RULE and x1 - x0 > _RULE:
        return [("h", (top + bottom) / 2, x0, x1)]
    if x1 - x0 > _RULE and bottom - top > _RULE and segments <= 6:
        return [
            ("h", top, x0, x1),
            ("h", bottom, x0, x1),
            ("v", x0, top, bottom),
            ("v", x1, top, bottom),
        ]
    return []


def _touch(a: tuple, b: tuple) -> bool:
    def box(rule):
        kind, at, start, end = rule
        return (start, at, end, at) if kind == "h" else (at, start, at, end)

    ax0, ay0, ax1, ay1 = box(a)
    bx0, by0, bx1, by1 = box(b)
    return ax0 - _TOL <= bx1 and bx0 - _TOL <= ax1 and ay0 - _TOL <= by1 and by0 - _TOL <= ay1


def _cluster(values: list[float]) -> list[float]:
    merged: list[float] = []
    for value in sorted(values):
        if merged and value - merged[-1] <= _TOL:
            continue
        merged.append(value)
    return merged


def find_grids(rules: list[tuple[str, float, float, float]]) -> list[TableGrid]:
    """Ruled tables from a page's rules: each group of touching rules with at least three
    horizontal and three vertical lines is a grid; a missing border between two grid cells
    merges them (a row-spanning category, a header over two year columns).

    Examples
    --------
    >>> rules = [("h", y, 0, 20) for y in (0, 10, 20)] + [("v", x, 0, 20) for x in (0, 10, 20)]
    >>> [[cell is not None for cell in row] for row in find_grids(rules)[0].rows]
    [[True, True], [True, True]]
    >>> rules[4] = ("v", 10, 10, 20)  # no border between the two top cells
    >>> [[cell is not None for cell in row] for row in find_grids(rules)[0].rows]
    [[True, False], [True, True]]
    """
    if len(rules) < 6:
        return []
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(rules)):
        for j in range(i + 1, len(rules)):
            if _touch(rules[i], rules[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list] = {}
    for i, rule in enumerate(rules):
        groups.setdefault(find(i), []).append(rule)
    grids = [_grid(group) for group in groups.values()]
    return sorted((g for g in grids if g is not None), key=lambda g: g.bbox[1])


def _grid(rules: list[tuple[str, float, float, float]]) -> TableGrid | None:
    horizontal = [r for r in rules if r[0] == "h"]
    vertical = [r for r in rules if r[0] == "v"]
    ys = _cluster([r[1] for r in horizontal])
    xs = _cluster([r[1] for r in vertical])
    if len(ys) < 3 or len(xs) < 3:
        return None

    def has(kind: str, lines: list, at: float, middle: float) -> bool:
        return any(abs(r[1] - at) <= _TOL and r[2] - _TOL <= middle <= r[3] + _TOL for r in lines)

    rows, cols = len(ys) - 1, len(xs) - 1
    owner = {(i, j): (i, j) for i in range(rows) for j in range(cols)}

    def root(cell):
        while owner[cell] != cell:
            cell = owner[cell]
        return cell

    for i in range(rows):
        for j in range(cols):
            y_mid, x_mid = (ys[i] + ys[i + 1]) / 2, (xs[j] + xs[j + 1]) / 2
            if j and not has("v", vertical, xs[j], y_mid):
                owner[root((i, j))] = root((i, j - 1))
            if i and not has("h", horizontal, ys[i], x_mid):
                a, b = root((i, j)), root((i - 1, j))
                if a != b:
                    owner[max(a, b)] = min(a, b)
    spans: dict[tuple[int, int], list[int]] = {}
    for cell in owner:
        spans.setdefault(root(cell), []).append(cell)
    boxes: list[list[tuple[float, float, float, float] | None]] = [
        [None] * cols for _ in range(rows)
    ]
    for start, cells in spans.items():
        top = min(i for i, _ in cells)
        left = min(j for _, j in cells)
        bottom = max(i for i, _ in cells) + 1
        right = max(j for _, j in cells) + 1
        boxes[top][left] = (xs[left], ys[top], xs[right], ys[bottom])
        del start
    return TableGrid((xs[0], ys[0], xs[-1], ys[-1]), boxes)
