"""Read data tables (CSV, Excel, Parquet) into a header and numbered rows, and parse their cells.

One small family of readers: :class:`TableReader` does the plumbing (finding the header row,
mapping Chinese or English header aliases to canonical column names, numbering rows as a
spreadsheet shows them, skipping blank rows) and each format overrides :meth:`TableReader.raw_rows`.
A reader reads a path or an upload's bytes with its name (:mod:`yrdplan.ingest.source`); every
table reader of yrdplan (observations, targets, the catalogue, sites, the crosswalk, the
responsibility checklist) is built on it.

Row numbers are 1-based and count every row of the sheet, the header included, so "row 12" in a
problem is the row a user sees as 12 in Excel. For CSV a row is a record (a quoted field with a
line break stays one row, as Excel shows it); for Parquet the column names count as row 1.

The header is the first row, among the first ten non-blank ones, with a cell that is a known
column name or a period label (``2024``, ``2024年``, ``2024Q3``); rows above it are taken as a
title and skipped with an ``info`` problem. With no such row the first non-blank row is the header.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, islice
from typing import ClassVar, Literal

from yrdplan.domain.periods import parse_period
from yrdplan.domain.problems import Problem
from yrdplan.errors import InputError
from yrdplan.ingest.source import Readable, Source, as_source

Cell = str | int | float | bool | date | datetime | None
Columns = Mapping[str, Sequence[str]]

HEADER_SCAN_ROWS = 10

# Canonical column -> accepted header texts. Headers are compared by header_key(), so case, spaces,
# underscores, hyphens, full-width forms and a trailing unit in brackets ("数值(亿元)") do not matter.
_REGION_CODE = ("region_code", "地区代码", "行政区划代码", "区划代码", "地区编码", "adcode")
_REGION_NAME = ("region_name", "region", "地区", "地区名称", "城市", "区域", "行政区划", "city")
_INDICATOR_CODE = ("indicator_code", "指标代码", "指标编码", "指标编号")
_INDICATOR_NAME = ("indicator_name", "indicator", "指标", "指标名称")
_SOURCE = ("source", "来源", "数据来源")
_VINTAGE = ("vintage", "版本", "数据版本", "发布版本")
_UNIT = ("unit", "单位", "计量单位")
_NOTE = ("note", "备注", "说明")

OBSERVATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "region_code": _REGION_CODE,
    "region_name": _REGION_NAME,
    "indicator_code": _INDICATOR_CODE,
    "indicator_name": _INDICATOR_NAME,
    "period": ("period", "year", "时期", "期间", "统计期", "时间", "年份", "年度", "年"),
    "value": ("value", "数值", "值", "指标值", "数据", "统计值"),
    "source": _SOURCE,
    "vintage": _VINTAGE,
    "unit": _UNIT,
    "note": _NOTE,
}

TARGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "region_code": _REGION_CODE + ("region_group", "group_code", "区域组", "片区"),
    "region_name": _REGION_NAME,
    "indicator_code": _INDICATOR_CODE,
    "indicator_name": _INDICATOR_NAME,
    "year": ("year", "target_year", "年份", "目标年份", "目标年", "年度"),
    "comparator": ("comparator", "operator", "比较符", "比较方式", "目标类型"),
    "value": ("value", "target_value", "target", "目标值", "数值", "值"),
    "value_high": ("value_high", "upper", "high", "上限", "目标上限", "上限值"),
    "base_year": ("base_year", "基期", "基年", "基期年份", "基准年"),
    "base_value": ("base_value", "baseline", "基期值", "基准值", "基期数值"),
    "relative_change": ("relative_change", "相对变化", "变化幅度", "较基期变化"),
    "standard": ("standard", "标准", "执行标准"),
    # Optional: the revision a row was edited from; a newer revision saved since is a conflict.
    "revision": ("revision", "edited_from", "修订号"),
    "unit": _UNIT,
    "note": _NOTE,
}

INDICATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "indicator_code", "指标代码", "代码", "编码", "指标编码"),
    "name": ("name", "indicator_name", "指标名称", "名称", "指标", "中文名称"),
    "unit": _UNIT,
    "direction": ("direction", "方向", "指标方向", "趋向"),
    "name_en": ("name_en", "english_name", "英文名称", "英文名"),
    "kind": ("kind", "类型", "指标类型", "指标属性", "属性"),
    "aggregation": ("aggregation", "汇总方式", "聚合方式", "汇总"),
    "weight_indicator": ("weight_indicator", "weight", "权重指标", "加权指标"),
    "formula": ("formula", "公式", "计算公式"),
    "frequency": ("frequency", "频率", "频度", "统计频率"),
    "synonyms": ("synonyms", "别名", "同义词"),
    "definition": ("definition", "定义", "指标解释", "解释", "说明"),
    "area": ("area", "领域", "所属领域"),
}

# Cells that mean "no value" in statistical tables: yearbooks print a dash or an ellipsis.
_MISSING = {
    "",
    "-",
    "--",
    "—",
    "——",
    "–",
    "…",
    "……",
    "...",
    "na",
    "n/a",
    "null",
    "none",
    "/",
    "无",
    "暂无",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_TRAILING_UNIT = re.compile(r"[(\[【].*[)\]】]$")
_CN_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}
_PERIOD_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})年?度?$"), "{0}"),
    (re.compile(r"^(\d{4})年?[-/]?Q([1-4])$"), "{0}Q{1}"),
    (re.compile(r"^(\d{4})年?第?([1-4一二三四])季度?$"), "{0}Q{1}"),
    (re.compile(r"^(\d{4})(?:年|[-/]|M)(\d{1,2})月?$"), "{0}-{1:0>2}"),
]


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its 1-based spreadsheet row number and its cells, one per header column."""

    number: int
    cells: tuple[Cell, ...]


@dataclass(slots=True)
class Table:
    """A header and the rows below it. ``rows`` is a one-pass iterator.

    ``columns[i]`` is the canonical name of column ``i`` or None; ``labels[i]`` is its header text
    as written (what problems name). ``problems`` grows while ``rows`` is consumed, so read it after.
    """

    file: str
    sheet: str | None
    header_row: int | None
    labels: list[str]
    columns: list[str | None]
    rows: Iterator[Row]
    size_hint: int | None = None
    problems: list[Problem] = field(default_factory=list)

    def index(self, name: str) -> int | None:
        """Position of the first column with canonical ``name``, or None."""
        return self.columns.index(name) if name in self.columns else None

    def label(self, position: int) -> str:
        """The header text of a column, or its spreadsheet letter when the header cell is blank."""
        text = self.labels[position] if position < len(self.labels) else ""
        return text or column_letter(position)

    def cell(self, row: Row, name: str) -> Cell:
        """The cell of canonical column ``name`` in ``row`` (None when the table lacks it)."""
        position = self.index(name)
        return None if position is None else row.cells[position]

    def label_of(self, name: str) -> str:
        """The header text of canonical column ``name``, or the name itself when absent."""
        position = self.index(name)
        return name if position is None else self.label(position)

    def require(self, *names: str | tuple[str, ...]) -> list[Problem]:
        """An error for each required column (or group of alternatives) the header lacks."""
        problems = []
        for need in names:
            options = (need,) if isinstance(need, str) else need
            if all(self.index(n) is None for n in options):
                problems.append(
                    self.problem(
                        "missing_column",
                        f"no {' or '.join(options)} column",
                        row=self.header_row,
                        column=options[0],
                    )
                )
        return problems

    def problem(self, kind: str, message: str, **where: object) -> Problem:
        """A problem located in this table's file and sheet."""
        return Problem(kind=kind, message=message, file=self.file, sheet=self.sheet, **where)


class TableReader:
    """Base of the table readers: each format overrides :meth:`raw_rows` and names its suffixes.

    A reader reads a :class:`~yrdplan.ingest.source.Source`: a file on disk or an upload's
    bytes, named in every problem by ``source.name``.
    """

    suffixes: ClassVar[tuple[str, ...]] = ()
    # Parquet column names are the header by construction; spreadsheets may have title rows above.
    header_may_move: ClassVar[bool] = True

    def __init__(self, source: Source, sheet: str | None = None) -> None:
        self.source = source
        self.sheet = sheet
        # raw_rows may fill these in before its first row: the sheet problems should name, and
        # about how many rows there are (for a progress bar).
        self.sheet_title: str | None = None
        self.size: int | None = None

    def raw_rows(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        """Yield ``(row number, cells)`` for every row of the file, the header included."""
        raise NotImplementedError

    def read(self, columns: Columns) -> Table:
        """Find the header, name its columns, and return the table with a lazy row iterator."""
        rows = (r for r in self.raw_rows() if not _is_blank_row(r[1]))
        head = list(islice(rows, HEADER_SCAN_ROWS if self.header_may_move else 1))
        table = Table(self.source.name, self.sheet_title, None, [], [], iter(()), self.size)
        if not head:
            return table
        at = _header_position(head, columns) if self.header_may_move else 0
        number, header = head[at]
        table.header_row = number
        table.labels = [cell_text(c) for c in header]
        table.columns = canonical_columns(table.labels, columns)
        if at:
            table.problems.append(
                table.problem(
                    "title_rows_skipped",
                    f"rows {head[0][0]}-{head[at - 1][0]} above the header were skipped",
                    severity="info",
                    row=head[0][0],
                )
            )
        table.problems.extend(_duplicate_columns(table))
        table.rows = _numbered_rows(table, chain(head[at + 1 :], rows))
        return table


class CsvReader(TableReader):
    """CSV (comma) or TSV/TXT (tab); UTF-8 with or without BOM, UTF-16 with BOM, or GB18030."""

    suffixes = (".csv", ".tsv", ".txt")

    def raw_rows(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        encoding, self.size = detect_encoding(self.source)
        delimiter = "," if self.source.suffix == ".csv" else "\t"
        with self.source.open() as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            try:
                yield from enumerate(csv.reader(text, delimiter=delimiter), start=1)
            finally:
                text.detach()  # the source's owner closes the bytes, not the text wrapper


class ExcelReader(TableReader):
    """Excel .xlsx / .xlsm via openpyxl in read-only mode: the first sheet, or the one named."""

    suffixes = (".xlsx", ".xlsm")

    def raw_rows(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        import openpyxl

        name = self.source.name
        with self.source.open() as raw:
            try:
                # data_only: a formula cell gives the value Excel last computed, not the formula.
                workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
            except Exception as err:  # openpyxl raises zipfile, KeyError and its own errors alike
                raise InputError(f"{name}: not a readable .xlsx workbook ({err})") from err
            try:
                sheet = self.pick_sheet(workbook)
                self.sheet_title, self.size = sheet.title, sheet.max_row
                # Read-only worksheets fill gaps with empty rows: enumerate gives true numbers.
                yield from enumerate(sheet.iter_rows(values_only=True), start=1)
            finally:
                workbook.close()

    def pick_sheet(self, workbook):  # noqa: ANN001, ANN201 (openpyxl's types)
        """The sheet named by ``sheet``, else the first; ``InputError`` for an unknown name."""
        if self.sheet is not None and self.sheet not in workbook.sheetnames:
            names = ", ".join(workbook.sheetnames)
            raise InputError(f"{self.source.name}: no sheet named {self.sheet!r} (sheets: {names})")
        return workbook[self.sheet] if self.sheet is not None else workbook.worksheets[0]


class ParquetReader(TableReader):
    """Parquet via pyarrow (the ``parquet`` extra), read in batches."""

    suffixes = (".parquet", ".pq")
    header_may_move = False

    def raw_rows(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        parquet = _import_parquet()
        with self.source.open() as raw:
            try:
                data = parquet.ParquetFile(raw)
            except Exception as err:  # pyarrow raises ArrowInvalid and OSError for broken files
                raise InputError(
                    f"{self.source.name}: not a readable Parquet file ({err})"
                ) from err
            self.size = data.metadata.num_rows + 1
            yield 1, list(data.schema_arrow.names)
            number = 1
            for batch in data.iter_batches(batch_size=10_000):
                for cells in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                    number += 1
                    yield number, cells


READERS: tuple[type[TableReader], ...] = (CsvReader, ExcelReader, ParquetReader)


def reader_for(
    source: Readable, *, sheet: str | None = None, name: str | None = None
) -> TableReader:
    """The reader of a file's type (by its name's suffix), not yet reading.

    Raises
    ------
    InputError
        If a path names no file, the suffix is not supported, or ``sheet`` is given for a
        format without sheets.
    """
    found = as_source(source, name)
    found.require_file()
    for reader in READERS:
        if found.suffix in reader.suffixes:
            if sheet is not None and reader is not ExcelReader:
                raise InputError(
                    f"{found.name}: only Excel workbooks have sheets (asked for {sheet!r})"
                )
            return reader(found, sheet)
    suffix = found.suffix
    hint = "; save it as .xlsx" if suffix == ".xls" else ""
    known = ", ".join(s for reader in READERS for s in reader.suffixes)
    raise InputError(f"{found.name}: unsupported file type {suffix or '(none)'!r} ({known}){hint}")


def open_table(
    source: Readable, columns: Columns, *, sheet: str | None = None, name: str | None = None
) -> Table:
    """Open a CSV, TSV, Excel or Parquet file as a :class:`Table` with canonical column names.

    Parameters
    ----------
    source : path, binary file object or Source
        The file, or an upload's bytes; the suffix of its name picks the reader.
    columns : mapping
        Canonical column name -> accepted header texts, e.g. :data:`OBSERVATION_COLUMNS`.
    sheet : str, optional
        Excel only: the sheet to read (default the first).
    name : str, optional
        The file name problems give (default the path's or the file object's own name).

    Raises
    ------
    InputError
        If the file does not exist, its suffix is not supported, or ``sheet`` is given for a
        format without sheets.
    """
    return reader_for(source, sheet=sheet, name=name).read(columns)


def detect_encoding(source: Readable) -> tuple[str, int]:
    """The text encoding of a CSV file and its number of lines, in one streaming pass.

    A BOM decides (UTF-8 or UTF-16); otherwise the whole file must decode as UTF-8, else as
    GB18030 (the superset of GBK and GB2312 that Chinese Excel writes). Anything else is an
    :class:`InputError` naming the file.
    """
    found = as_source(source)
    with found.open() as handle:
        start = handle.read(4)
    if start.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        lines = _decodes_as(found, encoding)
        if lines is not None:
            return encoding, lines
    raise InputError(f"{found.name}: text is neither UTF-8 nor GB18030; save it as UTF-8 CSV")


def _decodes_as(source: Source, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    try:
        with source.open() as handle:
            while chunk := handle.read(1 << 20):
                lines += decoder.decode(chunk).count("\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return lines


def _import_parquet():  # noqa: ANN202
    try:
        import pyarrow.parquet as parquet
    except ImportError as err:
        raise InputError("reading Parquet needs pyarrow: pip install 'yrdplan[parquet]'") from err
    return parquet


def header_key(text: str) -> str:
    """Normalise a header cell for matching: NFKC, lower case, no spaces, ``_`` or ``-``, and no
    trailing unit in brackets.

    >>> header_key(" Region_Code "), header_key("数值（亿元）")
    ('regioncode', '数值')
    """
    key = unicodedata.normalize("NFKC", text).strip().lower()
    key = _TRAILING_UNIT.sub("", key)
    return re.sub(r"[\s_\-]+", "", key)


def canonical_columns(labels: Sequence[str], columns: Columns) -> list[str | None]:
    """The canonical name of each header label (None where no alias matches)."""
    lookup = {header_key(alias): name for name, aliases in columns.items() for alias in aliases}
    lookup.update({header_key(name): name for name in columns})
    return [lookup.get(header_key(label)) if label else None for label in labels]


def column_letter(position: int) -> str:
    """Spreadsheet letter of a 0-based column position: 0 -> A, 26 -> AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(cell: Cell) -> str:
    """A cell as stripped text; integral floats lose their ``.0`` (Excel stores 2024 as 2024.0).

    >>> cell_text(320100.0), cell_text(None), cell_text(" 南京 ")
    ('320100', '', '南京')
    """
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell).strip()


def is_blank(cell: Cell) -> bool:
    """True for an empty cell or one holding only spaces."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def is_missing(cell: Cell) -> bool:
    """True for a blank cell or a "no data" mark (``-``, ``—``, ``…``, ``NA``, ``无``)."""
    if isinstance(cell, float) and math.isnan(cell):
        return True
    if not isinstance(cell, str):
        return cell is None
    if cell[:1].isdigit():  # the common case, and no "no data" mark starts with a digit
        return False
    return unicodedata.normalize("NFKC", cell).strip().lower() in _MISSING


def parse_number(cell: Cell, *, percent: Literal["reject", "keep", "fraction"] = "reject") -> float:
    """A finite number from a cell, or ``ValueError``.

    Text may use full-width digits and thousands separators (``1,234.5``). A trailing ``%`` is an
    error unless ``percent`` is ``"keep"`` (``12.5%`` -> 12.5) or ``"fraction"`` (-> 0.125).

    >>> parse_number("1,234.5"), parse_number("１２"), parse_number("-10%", percent="fraction")
    (1234.5, 12.0, -0.1)
    """
    if isinstance(cell, bool) or isinstance(cell, datetime | date):
        raise ValueError(f"{cell!r} is not a number")
    if isinstance(cell, int | float):
        value = float(cell)
    elif isinstance(cell, str) and _NUMBER.match(cell):  # plain ASCII: skip the normalising
        value = float(cell)
    else:
        text = unicodedata.normalize("NFKC", str(cell or "")).strip().replace(" ", "")
        scale = 1.0
        if text.endswith("%") and percent != "reject":
            text, scale = text[:-1], (0.01 if percent == "fraction" else 1.0)
        if _GROUPED.match(text):
            text = text.replace(",", "")
        if not _NUMBER.match(text):
            raise ValueError(f"{cell!r} is not a number")
        value = float(text) * scale
    if not math.isfinite(value):
        raise ValueError(f"{cell!r} is not a finite number")
    return value


def normalise_period(cell: Cell) -> str:
    """Rewrite the period forms of Chinese tables to what ``parse_period`` reads.

    ``2024年`` -> ``2024``; ``2024年第三季度``, ``2024-Q3`` -> ``2024Q3``; ``2024年7月``,
    ``2024/7``, ``2024M07`` and a date cell -> ``2024-07``. Anything else comes back as text.

    >>> normalise_period("2024年第三季度"), normalise_period("2024年7月"), normalise_period(2024.0)
    ('2024Q3', '2024-07', '2024')
    """
    if isinstance(cell, datetime | date):
        # Excel stores "2024年7月" as a date on the 1st; the month is what was meant.
        return f"{cell.year:04d}-{cell.month:02d}"
    text = unicodedata.normalize("NFKC", cell_text(cell)).upper().replace(" ", "")
    for pattern, form in _PERIOD_FORMS:
        match = pattern.match(text)
        if match:
            parts = [_CN_DIGITS.get(g, g) for g in match.groups()]
            return form.format(*parts)
    return text


def period_label(cell: Cell) -> str | None:
    """The canonical period a header cell names (``2015年`` -> ``2015``), or None."""
    try:
        return str(parse_period(normalise_period(cell)))
    except ValueError:
        return None


def _header_position(head: list[tuple[int, Sequence[Cell]]], columns: Columns) -> int:
    for at, (_, cells) in enumerate(head):
        labels = [cell_text(c) for c in cells]
        known = any(name is not None for name in canonical_columns(labels, columns))
        if known or any(label and period_label(label) for label in labels):
            return at
    return 0


def _duplicate_columns(table: Table) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for position, name in enumerate(table.columns):
        if name is None:
            continue
        if name in seen:
            first = table.label(seen[name])
            problems.append(
                table.problem(
                    "duplicate_column",
                    f"columns {first!r} and {table.label(position)!r} both mean {name}",
                    row=table.header_row,
                    column=table.label(position),
                )
            )
        else:
            seen[name] = position
    return problems


def _is_blank_row(cells: Sequence[Cell]) -> bool:
    for cell in cells:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return False
    return True


def _numbered_rows(table: Table, rows: Iterator[tuple[int, Sequence[Cell]]]) -> Iterator[Row]:
    width = len(table.labels)
    for number, cells in rows:
        if len(cells) == width:
            yield Row(number, tuple(cells))
            continue
        extra = [c for c in cells[width:] if not is_blank(c)]
        if extra:
            table.problems.append(
                table.problem(
                    "cells_beyond_header",
                    f"{len(extra)} cell(s) right of the last header column were ignored",
                    severity="warning",
                    row=number,
                    column=column_letter(width),
                    value=cell_text(extra[0]),
                )
            )
        padded = tuple(cells[:width]) + (None,) * (width - len(cells))
        yield Row(number, padded)
