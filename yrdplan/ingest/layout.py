"""Turn positioned glyphs (from a PDF or OFD page) into a plan's text and tables.

Printed pages carry what a plan's text does not: running titles, page numbers (``— 3 —``,
``1/12``, ``第3页``), print stamps and URLs in the margins, and line breaks wherever a line was
full. :func:`lay_out` drops the furniture and re-joins wrapped lines, across pages too:
Chinese has no hyphenation, so a line is joined to the next unless it ends short of the right
margin (a paragraph or heading ends there), the next line is indented, or the next line starts
with a numbering label (``一、``, ``（一）``, ``1.``, ``第X章`` …). A table (its cells found by
the format's reader) is written one row a line, cells separated by a space, each merged cell
once, as the .docx reader writes tables; a table that runs on over a page break becomes one
table, its repeated header row dropped.

Coordinates are in any unit, origin top left, ``y`` growing down the page.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from yrdplan.ingest.doc_tables import SourceTable

# Margins where running heads and feet live, as a share of the page height.
_BAND = 0.09
_EDGE_LINES = 2
# A running head or foot is short; a full body line never is.
_MAX_HEAD = 40
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–－_\s]*\d{1,4}[-—–－_\s]*"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页"
    r"|(?:page\s*)?\d{1,4}\s*(?:of|/)\s*\d{1,4})$",
    re.I,
)
_STAMP_RE = re.compile(
    r"(?:https?|file|ftp)://|www\.|\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[ ,]+\d{1,2}:\d{2}"
    r"|\d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}[:：]\d{2}|打印时间|下载时间"
)
_LABEL_RE = re.compile(
    r"^(?:第\s*[一二三四五六七八九十百零\d]+\s*[章节部分]"
    r"|[一二三四五六七八九十百零]+\s*[、.]"
    r"|[（(]\s*[一二三四五六七八九十\d]+\s*[）)]"
    r"|\d{1,3}\s*[.、．](?!\d)"
    r"|[①-⑳⑴-⒇]"
    r"|[一二三四五六七八九十]是"
    r"|注[：:]|附件|附表)"
)
_LEADING_TOKEN_RE = re.compile(r"[\x21-\x7e\u00c0-\u024f]+")
_CJK_RE = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character (or a run printed as one) and its box."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(slots=True)
class TableGrid:
    """A ruled table on one page: its box, and each row's cells (None where a cell above or to
    the left is merged over the position), each cell a box ``(x0, top, x1, bottom)``."""

    bbox: tuple[float, float, float, float]
    rows: list[list[tuple[float, float, float, float] | None]]


@dataclass(slots=True)
class PageGlyphs:
    width: float
    height: float
    glyphs: list[Glyph]
    tables: list[TableGrid] = field(default_factory=list)


@dataclass(slots=True)
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    segments: list[str]


@dataclass(slots=True)
class _Table:
    top: float
    bottom: float
    cells: list[list[str]]  # filled grid
    own: list[list[bool]]  # whether a position holds its own cell (False: merged over)
    x0s: tuple[float, ...]


def lay_out(pages: list[PageGlyphs]) -> tuple[str, list[SourceTable]]:
    """The text of the pages and their tables (with row spans into that text).

    Examples
    --------
    >>> g = lambda s, x, y: [Glyph(c, x + 10 * i, y, x + 10 * i + 10, y + 10)
    ...                      for i, c in enumerate(s)]
    >>> page = PageGlyphs(200, 300, g("一、总体要求", 20, 40) + g("到2025年，研发投入强度达", 20, 60)
    ...                   + g("到3%。", 20, 72) + g("— 1 —", 80, 285))
    >>> lay_out([page])[0]
    '一、总体要求\\n到2025年，研发投入强度达到3%。'
    """
    items_by_page = [_page_items(page) for page in pages]
    _drop_furniture(items_by_page, pages)
    flow: list[_Line | _Table] = []
    for items in items_by_page:
        for position, item in enumerate(items):
            previous = flow[-1] if flow else None
            # Only a table that opens a page continues the one that closed the page before.
            if position == 0 and isinstance(item, _Table) and isinstance(previous, _Table):
                if _continues(previous, item):
                    start = 1 if item.cells and item.cells[0] == previous.cells[0] else 0
                    previous.cells.extend(item.cells[start:])
                    previous.own.extend(item.own[start:])
                    continue
            flow.append(item)
    return _write(flow)


def _continues(first: _Table, second: _Table) -> bool:
    """A table split by a page break: the same columns on both sides of it."""
    if len(first.x0s) != len(second.x0s):
        return False
    return all(abs(a - b) < 3 for a, b in zip(first.x0s, second.x0s, strict=True))


# -- lines and tables on one page ------------------------------------------------------------


def _page_items(page: PageGlyphs) -> list[_Line | _Table]:
    grids = page.tables
    in_table: list[list[Glyph]] = [[] for _ in grids]
    flow: list[Glyph] = []
    for glyph in page.glyphs:
        cx, cy = (glyph.x0 + glyph.x1) / 2, (glyph.top + glyph.bottom) / 2
        for i, grid in enumerate(grids):
            x0, top, x1, bottom = grid.bbox
            if x0 <= cx <= x1 and top <= cy <= bottom:
                in_table[i].append(glyph)
                break
        else:
            flow.append(glyph)
    items: list[_Line | _Table] = list(_lines(flow))
    items.extend(_table(grid, glyphs) for grid, glyphs in zip(grids, in_table, strict=True))
    items.sort(key=lambda item: item.top)
    return items


def _lines(glyphs: list[Glyph]) -> list[_Line]:
    """Glyphs grouped into lines by their vertical centres, each line read left to right."""
    rows: list[list[Glyph]] = []
    centre = height = 0.0
    for glyph in sorted(glyphs, key=lambda g: (g.top + g.bottom) / 2):
        mid, size = (glyph.top + glyph.bottom) / 2, max(glyph.bottom - glyph.top, 1e-6)
        if rows and abs(mid - centre) <= 0.5 * max(height, size):
            rows[-1].append(glyph)
            continue
        rows.append([glyph])
        centre, height = mid, size
    return [_line(sorted(row, key=lambda g: g.x0)) for row in rows]


def _line(glyphs: list[Glyph]) -> _Line:
    size = statistics.median(g.bottom - g.top for g in glyphs) or 1.0
    segments, pieces = [], [glyphs[0].text]
    for before, glyph in zip(glyphs, glyphs[1:], strict=False):
        gap = glyph.x0 - before.x1
        if gap > 2.5 * size:
            segments.append("".join(pieces).strip())
            pieces = [glyph.text]
            continue
        if gap > 0.2 * size and not (_CJK_RE.match(before.text[-1:]) or _CJK_RE.match(glyph.text)):
            pieces.append(" ")
        pieces.append(glyph.text)
    segments.append("".join(pieces).strip())
    segments = [s for s in segments if s]
    return _Line(
        " ".join(segments),
        glyphs[0].x0,
        max(g.x1 for g in glyphs),
        min(g.top for g in glyphs),
        max(g.bottom for g in glyphs),
        size,
        segments,
    )


def _join_cell_lines(lines: list[_Line]) -> str:
    text = ""
    for line in lines:
        if text and not (_CJK_RE.match(text[-1]) or _CJK_RE.match(line.text[:1])):
            text += " "
        text += line.text
    return text


def _table(grid: TableGrid, glyphs: list[Glyph]) -> _Table:
    boxes = [box for row in grid.rows for box in row if box is not None]
    texts: dict[tuple[float, float, float, float], list[Glyph]] = {box: [] for box in boxes}
    for glyph in glyphs:
        cx, cy = (glyph.x0 + glyph.x1) / 2, (glyph.top + glyph.bottom) / 2
        for box in boxes:
            if box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                texts[box].append(glyph)
                break
    cell_text = {box: _join_cell_lines(_lines(found)) for box, found in texts.items()}
    width = max(len(row) for row in grid.rows)
    columns = [_column_centre(grid, j) for j in range(width)]
    cells: list[list[str]] = []
    own: list[list[bool]] = []
    for row in grid.rows:
        row_boxes = [box for box in row if box is not None]
        middle = statistics.median((b[1] + b[3]) / 2 for b in row_boxes) if row_boxes else 0.0
        texts_row, own_row = [], []
        for j in range(width):
            box = row[j] if j < len(row) else None
            if box is not None:
                texts_row.append(cell_text[box])
                own_row.append(True)
                continue
            cover = next(
                (
                    b
                    for b in boxes
                    if b[0] <= columns[j] <= b[2] and b[1] <= middle <= b[3] and b in cell_text
                ),
                None,
            )
            texts_row.append(cell_text[cover] if cover is not None else "")
            own_row.append(False)
        cells.append(texts_row)
        own.append(own_row)
    x0s = tuple(round(c, 1) for c in columns)
    return _Table(grid.bbox[1], grid.bbox[3], cells, own, x0s)


def _column_centre(grid: TableGrid, j: int) -> float:
    """The centre of column ``j``: that of its narrowest cell (a merged one is wider)."""
    boxes = [row[j] for row in grid.rows if j < len(row) and row[j] is not None]
    if not boxes:
        return -1.0
    narrowest = min(boxes, key=lambda b: b[2] - b[0])
    return (narrowest[0] + narrowest[2]) / 2


# -- running heads, feet and page numbers ----------------------------------------------------


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _is_marginal(line: _Line, page: PageGlyphs) -> bool:
    return line.bottom <= page.height * _BAND or line.top >= page.height * (1 - _BAND)


def _margin_lines(items: list, page: PageGlyphs, depth: int) -> list[_Line]:
    """The ``depth`` outermost lines at the top and at the bottom of a page that lie in its
    margins: where running heads, feet and page numbers are."""
    lines = [item for item in items if isinstance(item, _Line)]
    edge = lines[:depth] + lines[-depth:]
    return [line for line in edge if _is_marginal(line, page)]


def _drop_furniture(items_by_page: list[list], pages: list[PageGlyphs]) -> None:
    """Remove page numbers, stamps and URLs near the page edges, and running heads: the very
    first or last line of a page, short, at the same place with the same text (digits aside)
    on many pages. Only the outermost line is taken for a running head, because a tight
    layout starts body text inside the margin band too, and body lines can repeat."""
    heads = [
        {
            (_shape(line.text), round(line.top / 3))
            for line in _margin_lines(items, page, 1)
            if len(line.text) <= _MAX_HEAD
        }
        for items, page in zip(items_by_page, pages, strict=True)
    ]
    repeated = Counter(key for keys in heads for key in keys)
    enough = max(2, len(pages) // 3)
    for items, page in zip(items_by_page, pages, strict=True):
        drop = {
            id(line)
            for line in _margin_lines(items, page, _EDGE_LINES)
            if any(_PAGE_NUMBER_RE.match(s) or _STAMP_RE.search(s) for s in line.segments)
        }
        drop |= {
            id(line)
            for line in _margin_lines(items, page, 1)
            if repeated[(_shape(line.text), round(line.top / 3))] >= enough
        }
        items[:] = [item for item in items if id(item) not in drop]


# -- writing the text ------------------------------------------------------------------------


def _write(flow: list[_Line | _Table]) -> tuple[str, list[SourceTable]]:
    lines = [item for item in flow if isinstance(item, _Line)]
    left = min((line.x0 for line in lines), default=0.0)
    right = max((line.x1 for line in lines), default=0.0)
    parts: list[str] = []
    length = 0
    tables: list[SourceTable] = []
    previous: _Line | _Table | None = None
    for item in flow:
        if isinstance(item, _Table):
            spans = []
            for cells, own in zip(item.cells, item.own, strict=True):
                row_text = " ".join(c for c, mine in zip(cells, own, strict=True) if mine and c)
                if parts:
                    parts.append("\n")
                    length += 1
                spans.append((length, length + len(row_text)))
                parts.append(row_text)
                length += len(row_text)
            tables.append(SourceTable(rows=item.cells, row_spans=spans))
        else:
            joined = isinstance(previous, _Line) and _joins(previous, item, left, right)
            if parts:
                separator = "" if joined else "\n"
                if joined and not (_CJK_RE.match(parts[-1][-1:]) or _CJK_RE.match(item.text)):
                    separator = " "
                parts.append(separator)
                length += len(separator)
            parts.append(item.text)
            length += len(item.text)
        previous = item
    return "".join(parts), tables


def _joins(line: _Line, following: _Line, left: float, right: float) -> bool:
    """Whether ``following`` continues the sentence ``line`` wrapped out of."""
    size = max(line.size, following.size)
    # A Latin word, number or gloss ("(shè)") that did not fit moves whole to the next line,
    # leaving this one short by its width: that is a wrap, not a paragraph end.
    token = _LEADING_TOKEN_RE.match(following.text)
    room = 1.5 + (0.6 * len(token.group()) if token else 0.0)
    if line.x1 < right - room * size:
        return False  # the line stops short: a paragraph, heading or title ends there
    if following.x0 > left + 1.0 * size:
        return False  # an indented first line
    return not _LABEL_RE.match(following.text)
