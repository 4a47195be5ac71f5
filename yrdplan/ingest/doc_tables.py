"""The tables of a plan document as grids of cell texts, and where their rows lie in its text.

A plan's indicator table (主要指标) is read as a table, not as lines of text: merged cells
(a 类别 cell spanning several rows, a 目标值 header spanning two year columns) are written into
every position they cover, so each row can be read on its own. Each format's reader finds the
grid (HTML here, .docx and PDF/OFD in their readers); :func:`locate_rows` finds each row's span
in the document's text so that a target read from a row points back at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
_NOTE_RE = re.compile(
    r"^\s*(?:注\s*\d?\s*[：:.、]|注\s*[一二三四五六七八九]?\s*[：:]|说明\s*[：:]|备注\s*[：:]|[*＊※]|[①-⑳])"
)
_MAX_NOTE_LINES = 6
_MAX_CELL = 300


@dataclass(slots=True)
class SourceTable:
    """One table of a document: the filled grid, and each row's span in the document text."""

    rows: list[list[str]]
    row_spans: list[tuple[int, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.row_spans[0][0] if self.row_spans else 0

    @property
    def end(self) -> int:
        return self.row_spans[-1][1] if self.row_spans else 0


def join_cell_lines(text: str) -> str:
    """A cell's text with the line breaks of its wrapping removed.

    >>> join_cell_lines("2020年\\n基期值"), join_cell_lines("GDP\\ngrowth")
    ('2020年基期值', 'GDP growth')
    """
    parts = [p.strip() for p in text.splitlines() if p.strip()]
    out = ""
    for part in parts:
        if out and not (_CJK.match(out[-1]) or _CJK.match(part[0])):
            out += " "
        out += part
    return _WS.sub(" ", out).strip()


def fill_grid(rows: list[list[tuple[str, int, int]]]) -> tuple[list[list[str]], list[list[bool]]]:
    """Lay out ``(text, rowspan, colspan)`` cells row by row into a rectangular grid.

    Returns the grid (a merged cell's text in each position it covers) and whether each
    position holds a cell's own text.

    >>> grid, own = fill_grid([[("类别", 1, 1), ("目标", 1, 2)], [("经济", 2, 1), ("a", 1, 1),
    ...                        ("b", 1, 1)], [("c", 1, 1), ("d", 1, 1)]])
    >>> grid
    [['类别', '目标', '目标'], ['经济', 'a', 'b'], ['经济', 'c', 'd']]
    """
    grid: dict[tuple[int, int], str] = {}
    own: dict[tuple[int, int], bool] = {}
    for i, row in enumerate(rows):
        j = 0
        for text, rowspan, colspan in row:
            while (i, j) in grid:
                j += 1
            for di in range(max(rowspan, 1)):
                for dj in range(max(colspan, 1)):
                    grid[(i + di, j + dj)] = text
                    own[(i + di, j + dj)] = di == 0 and dj == 0
            j += max(colspan, 1)
    height = len(rows)
    width = max((j + 1 for (_, j) in grid), default=0)
    cells = [[grid.get((i, j), "") for j in range(width)] for i in range(height)]
    owned = [[own.get((i, j), False) for j in range(width)] for i in range(height)]
    return cells, owned


class _TableParser(HTMLParser):
    """Collect every <table>'s rows of (text, rowspan, colspan); nested tables separately."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self._stack: list[dict] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "template", "noscript"):
            self._skip += 1
        elif tag == "table":
            self._stack.append({"rows": [], "cell": None})
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1]["rows"].append([])
        elif tag in ("td", "th"):
            top = self._stack[-1]
            if not top["rows"]:
                top["rows"].append([])
            values = dict(attrs)
            top["cell"] = [[], _span(values.get("rowspan")), _span(values.get("colspan"))]
        elif tag in ("br", "p", "div", "li") and self._stack[-1]["cell"] is not None:
            self._stack[-1]["cell"][0].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "noscript"):
            self._skip = max(0, self._skip - 1)
        elif not self._stack:
            return
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag == "table":
            self._close_cell()
            table = self._stack.pop()
            self.tables.append([row for row in table["rows"] if row])

    def _close_cell(self) -> None:
        top = self._stack[-1]
        if top["cell"] is not None:
            pieces, rowspan, colspan = top["cell"]
            top["rows"][-1].append((join_cell_lines("".join(pieces)), rowspan, colspan))
            top["cell"] = None

    def handle_data(self, data: str) -> None:
        if self._skip or not self._stack or self._stack[-1]["cell"] is None:
            return
        self._stack[-1]["cell"][0].append(_WS.sub(" ", data))


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def html_tables(markup: str) -> list[tuple[list[list[str]], list[list[bool]]]]:
    """Every table of an HTML page with at least two rows and two columns and no cell longer
    than a data table's, as filled grids."""
    parser = _TableParser()
    parser.feed(markup)
    parser.close()
    found = []
    for rows in parser.tables:
        grid, own = fill_grid(rows)
        if len(grid) < 2 or len(grid[0]) < 2:
            continue
        if any(len(cell) > _MAX_CELL for row in grid for cell in row):
            continue  # a page laid out in a table, not a table of data
        found.append((grid, own))
    return found


def locate_rows(
    text: str, grids: list[tuple[list[list[str]], list[list[bool]]]]
) -> list[SourceTable]:
    """Find each table row's span in ``text``, in order, whitespace aside (a page may break a
    cell's text over lines); a table whose rows cannot all be found is left out."""
    where = [i for i, ch in enumerate(text) if not ch.isspace()]
    squeezed = "".join(text[i] for i in where)
    tables, cursor = [], 0
    for grid, own in grids:
        spans, pos = [], cursor
        for cells, mine in zip(grid, own, strict=True):
            row = _WS.sub("", "".join(c for c, m in zip(cells, mine, strict=True) if m))
            if not row:
                spans.append((where[pos - 1] + 1 if pos else 0,) * 2)
                continue
            found = squeezed.find(row, pos)
            if found < 0:
                spans = []
                break
            pos = found + len(row)
            spans.append((where[found], where[pos - 1] + 1))
        if spans:
            tables.append(SourceTable(rows=grid, row_spans=spans))
            cursor = pos
    return tables


def attach_notes(text: str, tables: list[SourceTable]) -> None:
    """Give each table the note lines printed right under it (注：… / 说明：… / * …)."""
    for table in tables:
        pos = table.end
        notes: list[str] = []
        for _ in range(_MAX_NOTE_LINES):
            if pos >= len(text):
                break
            line_start = text.find("\n", pos)
            if line_start < 0:
                break
            line_end = text.find("\n", line_start + 1)
            line = text[line_start + 1 : line_end if line_end >= 0 else len(text)].strip()
            if not line:
                pos = line_start + 1
                continue
            if not (_NOTE_RE.match(line) or (notes and re.match(r"^\d[.、．]", line))):
                break
            notes.append(line)
            pos = line_start + 1 + len(line)
        table.notes = notes
