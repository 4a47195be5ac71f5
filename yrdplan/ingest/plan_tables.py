"""Targets and baselines from a plan's indicator table (主要指标表).

Plans put their quantitative targets in a table as often as in their text::

    类别 | 指标 | 单位 | 2020年基期值 | 2025年目标值 | 年均增长〔累计〕 | 属性
    经济发展 | 地区生产总值增长 | % | 4.6 | — | 6左右 | 预期性
    绿色生态 | 单位地区生产总值能源消耗降低 | % | — | — | 〔14〕 | 约束性

:func:`read_indicator_table` finds the header row(s) among the first rows (the many wordings
below; a header cell spanning two year columns is written into both, and stacked header rows
are read together), then reads each row:

* the **target** columns (目标值, 规划目标, 2025年, 2025年目标 …) give level targets for the
  year in their header (else the plan period's end year); ``<30``/``≤5.5``/``30以下`` are
  ``<=``, ``>3``/``≥``/``以上`` ``>=``, ``6左右``/``约6`` ``~``, ``5-6`` ``between``, a plain
  number takes the comparator from the indicator's direction as in running text;
* the **growth** column (年均增长, 年均增速, 累计, 年均/累计 …) gives a rate target
  ("<indicator>年均增长" ``>=``, as text extraction names them) or, in 〔 〕 or [ ], a change
  over the whole plan period: relative to the base year (``relative_change``) when the unit is
  ``%`` and the name says which way (降低, 提高 …), in 个百分点 for a share without a verb, or an
  amount added over the period otherwise;
* the **base** columns (基期值, 现状值, 2020年, "十三五"末 …) give baselines, never targets;
* **属性** (约束性 / 预期性) is kept on each target as ``kind``; 单位 sets the unit;
* **notes** under the table (注：…) apply to the rows they name or mark (``*``, ``①``), and
  "带*的为约束性指标" makes the starred rows binding.

A table without an indicator column and a target or growth column is not an indicator table;
the text extractor reads it as lines as before.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from yrdplan.domain.plans import ExtractedBaseline, ExtractedTarget
from yrdplan.domain.problems import Problem
from yrdplan.ingest.catalogue import Catalogue

_YEAR_RE = re.compile(r"((?:19|20)\d{2})")
_PERIOD_RE = re.compile(r"[“\"]?十([一二三四五六七])个?五[”\"]?(末|期末|初)?")
_PERIOD_END = {"一": 2010, "二": 2015, "三": 2020, "四": 2025, "五": 2030, "六": 2035, "七": 2040}
_EMPTY = frozenset({"", "—", "-", "－", "/", "／", "——", "…", "--", "无", "n/a", "N/A", "×"})
_MARKERS = "*＊★☆※△▲"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_DOWN = ("降低", "下降", "减少", "削减", "压减", "下降率", "降幅")
_UP = ("增长", "增速", "提高", "提升", "增加", "增长率", "增幅")
_CUMULATIVE_RE = re.compile(r"^[〔\[【［]\s*(.+?)\s*[〕\]】］]$")
_NUMBER = r"-?\d+(?:,\d{3})*(?:\.\d+)?"
_VALUE_RE = re.compile(
    rf"^(?P<pre><=|>=|≤|≥|<|>|＜|＞|不高于|不超过|低于|小于|不低于|高于|大于|超过|约|大约)?\s*"
    rf"(?P<a>{_NUMBER})\s*(?P<ua>%|‰|[^\d\s\-—~～至以左上下约]{{1,8}})?"
    rf"(?:\s*(?:-|—|–|~|～|至|到)\s*(?P<b>{_NUMBER})\s*(?P<ub>%|‰|[^\d\s以左上下]{{1,8}})?)?"
    r"\s*(?P<suf>以上|及以上|以下|以内|左右|上下)?$"
)
_LE = frozenset({"<=", "≤", "<", "＜", "不高于", "不超过", "低于", "小于"})
_GE = frozenset({">=", "≥", ">", "＞", "不低于", "高于", "大于", "超过"})


@dataclass(slots=True)
class _Columns:
    name: int
    category: int | None = None
    unit: int | None = None
    attribute: int | None = None
    growth: int | None = None
    targets: list[tuple[int, int | None]] = field(default_factory=list)  # column, year
    bases: list[tuple[int, int | None]] = field(default_factory=list)
    header_rows: int = 1


@dataclass(slots=True)
class TableReading:
    """What one indicator table says."""

    targets: list[ExtractedTarget]
    baselines: list[ExtractedBaseline]
    problems: list[Problem]
    header_rows: int


@dataclass(slots=True)
class TableContext:
    """What the document around a table tells its reader."""

    table_id: str
    row_spans: list[tuple[int, int]]
    notes: list[str]
    caption: str = ""  # the line(s) just above the table: "“十四五”时期主要指标"
    year: int | None = None  # the plan period's end, when known from elsewhere
    base_year: int | None = None
    node_at: object = None  # callable(start, end) -> node id or None


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s").convert


@functools.lru_cache(maxsize=4096)
def _cell(text: str) -> str:
    """A cell's text simplified, with ASCII digits and letters (not whole-text cleaning, which
    drops a line holding only a number as a page number)."""
    if not text:
        return ""
    half = "".join(
        unicodedata.normalize("NFKC", c) if "\uff01" <= c <= "\uff5e" else c for c in text
    )
    return _t2s()(half).strip()


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", _cell(text))


# A header cell is a few words; a longer cell is text (a page laid out in a table).
_MAX_HEADER = 24


def _header_role(header: str) -> str | None:
    h = _norm(header)
    if not h or len(h) > _MAX_HEADER:
        return None
    if "属性" in h or "性质" in h or h in ("指标类型", "类型"):
        return "attribute"
    if "单位" in h:
        return "unit"
    if h in ("备注", "说明", "注"):
        return "note"
    if h in ("类别", "领域", "分类", "方面", "类", "维度", "一级指标", "序号类别"):
        return "category"
    if h in ("序号", "编号", "No.", "No"):
        return "number"
    if "年均" in h or "累计" in h or "增速" in h or "〔" in h or h.startswith("[") or "增幅" in h:
        return "growth"
    if re.search("基期|基准|基数|现状|起始|基础值|实际|完成值|现值|初值", h):
        return "base"
    if re.search("目标|规划值|预期值|期末|力争|规划|预期", h):
        return "target"
    if "指标" in h or h in ("名称", "项目", "内容", "主要指标", "具体指标", "指标名称"):
        return "name"
    if _YEAR_RE.search(h) or _PERIOD_RE.search(h):
        return "year"
    return None


def _year_of(header: str) -> int | None:
    h = _norm(header)
    m = _YEAR_RE.search(h)
    if m:
        return int(m.group(1))
    p = _PERIOD_RE.search(h)
    if p:
        end = _PERIOD_END[p.group(1)]
        return end if p.group(2) != "初" else end - 5
    return None


def _columns(rows: list[list[str]]) -> _Columns | None:
    """The column roles, from the first row that names an indicator column, and the rows below
    it that are still header (no number in them)."""
    for top in range(min(3, len(rows))):
        roles = [_header_role(c) for c in rows[top]]
        if "name" not in roles:
            continue
        headers = list(rows[top])
        depth = 1
        while top + depth < len(rows) and depth < 3 and _is_header_row(rows[top + depth]):
            headers = [
                a if _norm(b) in ("", _norm(a)) else f"{a}{b}"
                for a, b in zip(headers, rows[top + depth], strict=False)
            ]
            depth += 1
        return _assign(headers, top + depth)
    return None


def header_rows(rows: list[list[str]]) -> int:
    """How many rows of an indicator table are header (0 when it is not one).

    >>> header_rows([["指标", "2025年目标"], ["城镇化率", "88%"]])
    1
    """
    columns = _columns(rows)
    return columns.header_rows if columns is not None else 0


def _is_header_row(row: list[str]) -> bool:
    return all(not re.search(r"\d", _norm(c)) or _year_of(c) for c in row) and any(
        _header_role(c) in ("target", "base", "year", "growth") for c in row
    )


def _assign(headers: list[str], header_rows: int) -> _Columns | None:
    roles = [_header_role(h) for h in headers]
    name = roles.index("name")
    columns = _Columns(name=name, header_rows=header_rows)
    years: list[tuple[int, int | None]] = []
    for j, (role, header) in enumerate(zip(roles, headers, strict=True)):
        if j == name or (j > 0 and headers[j] == headers[j - 1] and role in ("category", "name")):
            continue
        if role == "category" and columns.category is None and j < name:
            columns.category = j
        elif role == "unit" and columns.unit is None:
            columns.unit = j
        elif role == "attribute" and columns.attribute is None:
            columns.attribute = j
        elif role == "growth" and columns.growth is None:
            columns.growth = j
        elif role == "target":
            columns.targets.append((j, _year_of(header)))
        elif role == "base":
            columns.bases.append((j, _year_of(header)))
        elif role == "year":
            years.append((j, _year_of(header)))
    if years:
        # Bare years: the earliest is the base when nothing else is, the others are targets.
        years.sort(key=lambda pair: pair[1] or 0)
        if not columns.bases and (len(years) > 1 or columns.targets):
            columns.bases.append(years.pop(0))
        columns.targets.extend(years)
    if not columns.targets and columns.growth is None:
        return None
    return columns


def _period(caption: str) -> tuple[int | None, int | None]:
    m = _PERIOD_RE.search(caption)
    if m:
        end = _PERIOD_END[m.group(1)]
        return end, end - 5
    years = [int(y) for y in _YEAR_RE.findall(caption)]
    return (max(years), None) if years else (None, None)


@dataclass(slots=True)
class _Cell:
    value: float | None
    value_high: float | None
    unit: str
    comparator: str | None
    cumulative: bool


def parse_cell(text: str) -> _Cell | None:
    """A table cell's value: ``<30`` → (30, "<="), ``〔14〕`` → cumulative 14, ``6左右`` → "~".

    >>> parse_cell("〔14〕").cumulative, parse_cell("＜30").comparator, parse_cell("5-6").value_high
    (True, '<=', 6.0)
    >>> parse_cell("—") is None, parse_cell("3.5%").unit
    (True, '%')
    """
    t = unicodedata.normalize("NFKC", _cell(text)).strip().replace("，", ",")
    cumulative = False
    m = _CUMULATIVE_RE.match(t)
    if m:
        t, cumulative = m.group(1).strip(), True
    if t in _EMPTY:
        return None
    v = _VALUE_RE.match(t)
    if not v:
        return None
    a = float(v["a"].replace(",", ""))
    b = float(v["b"].replace(",", "")) if v["b"] else None
    unit = (v["ub"] or v["ua"] or "").strip()
    pre, suf = v["pre"] or "", v["suf"] or ""
    comparator = None
    if b is not None:
        comparator = "between"
    elif pre in _LE or suf in ("以下", "以内"):
        comparator = "<="
    elif pre in _GE or suf in ("以上", "及以上"):
        comparator = ">="
    elif pre in ("约", "大约") or suf in ("左右", "上下"):
        comparator = "~"
    return _Cell(a, b, unit, comparator, cumulative)


_UNIT_IN_NAME_RE = re.compile(
    r"[（(](?P<unit>[%‰]|[^()（）]{0,8}(?:元|人|吨|米|公里|个|万|亿|天|年|岁|度|瓦)[^()（）]{0,4})[)）]$"
)


def _strip_name(name: str) -> tuple[str, str, str]:
    """The indicator name without footnote markers or a unit in brackets ("城镇化率（%）"),
    the markers, and that unit.

    >>> _strip_name("城镇化率（%）*")
    ('城镇化率', '*', '%')
    """
    markers = "".join(c for c in name if c in _MARKERS or c in _CIRCLED)
    clean = "".join(c for c in name if c not in _MARKERS and c not in _CIRCLED).strip()
    m = _UNIT_IN_NAME_RE.search(clean)
    if m is None:
        return clean, markers, ""
    return clean[: m.start()].strip(), markers, m["unit"]


def _change_word(name: str) -> tuple[str, str | None]:
    for word in sorted(_DOWN + _UP, key=len, reverse=True):
        if name.endswith(word) and len(name) > len(word) + 1:
            return name[: -len(word)], word
    return name, None


def _notes_for(name: str, markers: str, notes: list[str]) -> tuple[str | None, bool]:
    """Notes that name or mark this row, and whether a note makes starred rows binding."""
    found, binding = [], False
    parts = [p.strip() for note in notes for p in re.split(r"[；;]|(?<=[。])\s*(?=\d[.、])", note)]
    for part in parts:
        if not part:
            continue
        starred = any(m in part for m in _MARKERS)
        if markers and starred and "约束性" in part:
            binding = True
        key = name[:6]
        if (len(key) >= 3 and key in part) or (markers and any(m in part for m in markers)):
            found.append(part)
    return ("；".join(found) or None), binding


def read_indicator_table(
    rows: list[list[str]], context: TableContext, catalogue: Catalogue
) -> TableReading | None:
    """Targets and baselines of one table, or None when it is not an indicator table.

    Parameters
    ----------
    rows : list of list of str
        The table's filled grid (a merged cell's text in every position it covers).
    context : TableContext
        Its id, row spans, notes, caption and the plan period around it.
    catalogue : Catalogue
        For indicator codes and directions.

    Examples
    --------
    >>> from yrdplan.ingest.catalogue import load_catalogue
    >>> rows = [["指标", "单位", "2020年", "2025年", "属性"],
    ...         ["常住人口城镇化率", "%", "86.8", "88", "预期性"]]
    >>> context = TableContext("t1", [(0, 20), (21, 40)], [])
    >>> reading = read_indicator_table(rows, context, load_catalogue())
    >>> t = reading.targets[0]
    >>> t.indicator_code, t.value, t.unit, t.comparator, t.year, t.kind, t.table
    ('URBANIZATION', 88.0, '%', '>=', 2025, 'indicative', 't1')
    >>> b = reading.baselines[0]
    >>> b.value, b.year
    (86.8, 2020)
    """
    columns = _columns(rows)
    if columns is None:
        return None
    period_end, period_base = _period(context.caption)
    default_year = period_end or context.year
    target_years = [y for _, y in columns.targets if y]
    base_years = [y for _, y in columns.bases if y]
    base_year = (
        (base_years[0] if base_years else None)
        or period_base
        or context.base_year
        or ((min(target_years) - 5) if target_years else None)
    )
    if default_year is None and target_years:
        default_year = max(target_years)
    reader = _RowReader(context, catalogue, columns, default_year, base_year)
    for index in range(columns.header_rows, len(rows)):
        reader.read(rows[index], index)
    return TableReading(reader.targets, reader.baselines, reader.problems, columns.header_rows)


@dataclass(slots=True)
class _RowReader:
    context: TableContext
    catalogue: Catalogue
    columns: _Columns
    default_year: int | None
    base_year: int | None
    targets: list[ExtractedTarget] = field(default_factory=list)
    baselines: list[ExtractedBaseline] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def read(self, row: list[str], index: int) -> None:
        cols = self.columns
        if cols.name >= len(row):
            return
        name, markers, unit_in_name = _strip_name(_cell(row[cols.name]))
        if (
            not name
            or _header_role(name) == "name"
            or not re.search(r"[\u4e00-\u9fffA-Za-z]", name)
        ):
            return
        start, end = (
            self.context.row_spans[index] if index < len(self.context.row_spans) else (0, 0)
        )
        unit = _unit(row[cols.unit]) if cols.unit is not None and cols.unit < len(row) else ""
        unit = unit or unit_in_name
        kind = (
            _kind(row[cols.attribute])
            if cols.attribute is not None and cols.attribute < len(row)
            else None
        )
        note, starred_binding = _notes_for(name, markers, self.context.notes)
        if starred_binding:
            kind = "binding"
        node = self.context.node_at(start, end) if callable(self.context.node_at) else None
        common = {"node": node, "start": start, "end": end}
        for column, year in cols.targets:
            cell = parse_cell(row[column]) if column < len(row) else None
            if cell is None:
                continue
            target_year = year or self.default_year
            if cell.cumulative:
                self._cumulative(name, cell, unit, kind, note, target_year, common)
                continue
            self._level(name, cell, unit, kind, note, target_year, common)
        if cols.growth is not None and cols.growth < len(row):
            cell = parse_cell(row[cols.growth])
            if cell is not None:
                if cell.cumulative:
                    self._cumulative(name, cell, unit, kind, note, self.default_year, common)
                else:
                    self._rate(name, cell, kind, note, common)
        for column, year in cols.bases:
            cell = parse_cell(row[column]) if column < len(row) else None
            if cell is None or cell.cumulative:
                continue
            code = self.catalogue.match(name)
            self.baselines.append(
                ExtractedBaseline(
                    indicator=name,
                    indicator_code=code,
                    value=cell.value,
                    unit=cell.unit or unit,
                    year=year or self.base_year,
                    base_year=None,
                    relative_change=None,
                    table=self.context.table_id,
                    **common,
                )
            )

    def _direction(self, code: str | None) -> str | None:
        indicator = self.catalogue.get(code) if code else None
        return indicator.direction if indicator else None

    def _add(self, **fields) -> None:
        target = ExtractedTarget(table=self.context.table_id, **fields)
        if target.indicator_code is None:
            self.problems.append(
                Problem(
                    "target_indicator_unknown",
                    f"indicator {target.indicator!r} (table {self.context.table_id}) is not in the catalogue",
                    "warning",
                    target.start,
                    target.end,
                    value=target.indicator,
                )
            )
        if target.year is None:
            self.problems.append(
                Problem(
                    "target_year_missing",
                    f"no target year for {target.indicator} in table {self.context.table_id}",
                    "warning",
                    target.start,
                    target.end,
                )
            )
        self.targets.append(target)

    def _level(self, name, cell: _Cell, unit, kind, note, year, common) -> None:
        code = self.catalogue.match(name)
        comparator = cell.comparator or {"lower": "<=", "band": "~"}.get(
            self._direction(code) or "", ">="
        )
        self._add(
            indicator=name,
            indicator_code=code,
            value=cell.value,
            value_high=cell.value_high if comparator == "between" else None,
            unit=cell.unit or unit,
            comparator=comparator,
            year=year,
            base_year=None,
            relative_change=None,
            standard=None,
            kind=kind,
            note=note,
            **common,
        )

    def _rate(self, name, cell: _Cell, kind, note, common) -> None:
        stem, word = _change_word(name)
        rate = stem + ("年均下降" if word in _DOWN else "年均增长")
        code = self.catalogue.match(rate)
        self._add(
            indicator=rate,
            indicator_code=code,
            value=cell.value,
            value_high=cell.value_high if cell.comparator == "between" else None,
            unit=cell.unit or "%",
            comparator=cell.comparator or ">=",
            year=self.default_year,
            base_year=None,
            relative_change=None,
            standard=None,
            kind=kind,
            note=note,
            **common,
        )

    def _cumulative(self, name, cell: _Cell, unit, kind, note, year, common) -> None:
        """〔x〕: a change over the plan period, against its base year."""
        stem, word = _change_word(name)
        unit = cell.unit or unit
        fields = {"base_year": self.base_year, "year": year, "kind": kind, "note": note}
        approx = cell.comparator == "~"
        if word is not None and unit in ("%", ""):
            code = self.catalogue.match(stem)
            down = word in _DOWN
            indicator = self.catalogue.get(code) if code else None
            change = cell.value / 100
            self._add(
                indicator=stem,
                indicator_code=code,
                value=None,
                value_high=None,
                unit=indicator.unit if indicator else "",
                comparator="~" if approx else ("<=" if down else ">="),
                relative_change=round(-change if down else change, 12),
                standard=None,
                **fields,
                **common,
            )
            return
        code = self.catalogue.match(name)
        points = unit in ("%", "个百分点", "百分点")
        value = cell.value if word not in _DOWN else -cell.value
        self._add(
            indicator=name,
            indicator_code=code,
            value=value,
            value_high=None,
            unit="个百分点" if points else unit,
            comparator="~" if approx else (cell.comparator or ">="),
            relative_change=None,
            standard=None,
            **fields,
            **common,
        )


def _unit(text: str) -> str:
    unit = _cell(text).strip("（）() ")
    return "" if unit in _EMPTY else unit


def _kind(text: str) -> str | None:
    t = _norm(text)
    if "约束" in t:
        return "binding"
    if "预期" in t:
        return "indicative"
    return None
