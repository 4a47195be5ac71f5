"""A format-free document: headings, paragraphs, tables and figures, in reading order.

The bulletin and evaluation builders (``reports.bulletin``, ``reports.evaluation``) produce one
:class:`Document`; the writers (``reports.docx_writer``, ``reports.xlsx_annex``,
``reports.html_writer``) each lay the same blocks out in their format, so the Word file, the
Excel annex and the web page cannot disagree. Heading numbers follow Chinese official documents:
``一、`` for a part, ``（一）`` for a section, ``1.`` below that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

CHINESE_NUMERALS = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (up to 99).

    >>> [chinese_number(n) for n in (1, 10, 12, 20, 21)]
    ['一', '十', '十二', '二十', '二十一']
    """
    if not 1 <= n <= 99:
        raise ValueError(f"n: {n} is outside 1-99")
    tens, ones = divmod(n, 10)
    text = (CHINESE_NUMERALS[tens] if tens > 1 else "") + ("十" if tens else "")
    return text + (CHINESE_NUMERALS[ones] if ones else "")


def chinese_date(day: date) -> str:
    """The date as official documents write it: 2026年10月10日."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Heading:
    level: int  # 1: 一、  2: （一）  3: 1.
    number: str
    text: str

    @property
    def full(self) -> str:
        return f"{self.number}{self.text}"


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = "body"  # body, note (small, grey), empty (a section that has nothing)


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text, int, num (2 decimals), dec (4 decimals), pct (a 0-1 rate as %)


@dataclass(frozen=True)
class Table:
    key: str  # the annex sheet's name and the HTML id: short, unique in a document
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """What a figure draws: ``kind`` bar (horizontal, categories × values), line, or map."""

    kind: str
    categories: tuple[str, ...] = ()
    values: tuple[float | None, ...] = ()
    axis: str = ""
    limit: float | None = None  # the value axis's upper end (100 for percentages)
    colours: tuple[str, ...] = ()
    areas: tuple[dict, ...] = ()  # map: {code, name, geometry, fill}
    legend: tuple[tuple[str, str], ...] = ()  # map: (colour, label)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    chart: Chart


Block = Heading | Paragraph | Table | Figure


@dataclass
class Document:
    title: str
    issuer: str
    issued_on: date
    number: str = ""  # 文号, e.g. 长三角办〔2026〕5号, as the office typed it
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    simulated: bool = False

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]


class Outline:
    """Numbers headings as they are added: 一、 （一） 1., each level restarting under its parent."""

    def __init__(self, document: Document):
        self.document = document
        self.counts = [0, 0, 0]
        self.table_count = 0
        self.figure_count = 0

    def heading(self, level: int, text: str) -> None:
        self.counts[level - 1] += 1
        for deeper in range(level, 3):
            self.counts[deeper] = 0
        n = self.counts[level - 1]
        number = {1: f"{chinese_number(n)}、", 2: f"（{chinese_number(n)}）", 3: f"{n}. "}[level]
        self.document.blocks.append(Heading(level, number, text))

    def paragraph(self, text: str, kind: str = "body") -> None:
        self.document.blocks.append(Paragraph(text, kind))

    def texts(self, text: str | None, empty: str) -> None:
        """The office's text, one paragraph per line; ``empty`` says so when there is none."""
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if not lines:
            self.paragraph(empty, "empty")
        for line in lines:
            self.paragraph(line)

    def table(self, key: str, title: str, columns, rows, note: str = "", empty: str = "") -> None:
        if not rows:
            self.paragraph(empty or f"{title}：无。", "empty")
            return
        self.table_count += 1
        self.document.blocks.append(
            Table(
                key=key,
                title=f"表{self.table_count}  {title}",
                columns=tuple(columns),
                rows=tuple(tuple(r) for r in rows),
                note=note,
            )
        )

    def figure(self, key: str, title: str, chart: Chart) -> None:
        self.figure_count += 1
        self.document.blocks.append(Figure(key, f"图{self.figure_count}  {title}", chart))


def format_cell(value, kind: str) -> str:
    """A cell as text, the same in every format: rates as 48.6%, numbers without noise.

    >>> format_cell(0.4857, "pct"), format_cell(17.0, "num"), format_cell(None, "pct")
    ('48.6%', '17', '—')
    """
    if value is None or value == "":
        return "—"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "dec":
        return f"{value:.4f}"
    if kind == "int":
        return f"{int(round(value))}"
    if kind == "num":
        return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return str(value)
