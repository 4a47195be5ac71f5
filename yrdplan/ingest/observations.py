"""Read indicator observations from CSV, Excel or Parquet into records and problems.

Ingest never writes: :func:`read_observations` returns the observations it could read and a list
of :class:`~yrdplan.domain.problems.Problem`; the store writes nothing while any is an error.

Layouts (detected from the header; see :func:`detect_layout`):

``long``
    one value per row: ``region_code, indicator_code, period, value`` plus optional ``source``,
    ``vintage``, ``unit`` and ``note`` (or their Chinese aliases, e.g. 地区, 指标, 年份, 数值).
``wide_periods``
    one row per region (and indicator), one column per period: ``地区, 指标, 2015, 2016 …`` or
    ``region, indicator, 2024Q1, 2024Q2 …``. Without an indicator column, the sheet name or else
    the file name must name one indicator (``GDP.xlsx``, a sheet called ``地区生产总值``).
``wide_indicators``
    one row per region and period, one column per indicator code or name:
    ``region, year, GDP, POP …``.

A ``value`` column makes a table long; otherwise header cells that are periods make it wide by
period; otherwise a ``period`` column makes the remaining columns indicators. Blank cells and
"no data" marks (``-``, ``—``, ``…``) in a wide table are simply no observation; in a long table
they are a warning and the row is skipped.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from yrdplan.analytics.outliers import DEFAULT_THRESHOLD, flag_jumps
from yrdplan.domain.indicators import Indicator, Observation
from yrdplan.domain.periods import Period, parse_period
from yrdplan.domain.problems import Problem, Reading, Severity
from yrdplan.ingest.lookups import IndicatorLookup, RegionResolver, did_you_mean
from yrdplan.ingest.source import Readable
from yrdplan.ingest.tables import (
    OBSERVATION_COLUMNS,
    Cell,
    Row,
    Table,
    cell_text,
    header_key,
    is_missing,
    normalise_period,
    open_table,
    parse_number,
    period_label,
)

LayoutKind = Literal["long", "wide_periods", "wide_indicators"]

_PERCENT_UNITS = {"%", "百分比", "percent"}
_COUNT_UNITS = {
    "个",
    "人",
    "万人",
    "人次",
    "万人次",
    "家",
    "户",
    "万户",
    "件",
    "项",
    "所",
    "座",
    "台",
    "辆",
}
# A unit of % on a change (growth rate, reduction) may be negative or above 100.
_CHANGE_WORDS = (
    "增长",
    "增速",
    "增幅",
    "增加",
    "下降",
    "降低",
    "减少",
    "变化",
    "变动",
    "growth",
    "change",
)


class Bounds(NamedTuple):
    """Values outside ``[low, high]`` are impossible for an indicator, for ``reason``."""

    low: float | None
    high: float | None
    reason: str


def is_outside(value: float, low: float | None, high: float | None) -> bool:
    """True when ``value`` is below ``low`` or above ``high`` (None is no bound)."""
    return (low is not None and value < low) or (high is not None and value > high)


def impossible_bounds(indicator: Indicator) -> Bounds:
    """The values an indicator cannot take, from its unit, name and aggregation.

    A share in % lies in 0-100 (城镇化率, 森林覆盖率); a change in % (增速, 下降率) can be negative
    or above 100, so names that say "change" are exempt. Counts and summed quantities (population,
    GDP, km of railway) cannot be negative.

    >>> share = Indicator("URB", "常住人口城镇化率", "%", "higher")
    >>> impossible_bounds(share).high, impossible_bounds(Indicator("G", "GDP增速", "%", "higher")).high
    (100.0, None)
    """
    unit = unicodedata.normalize("NFKC", indicator.unit).strip().lower()
    names = f"{indicator.name} {indicator.name_en}".lower()
    if unit in _PERCENT_UNITS and not any(word in names for word in _CHANGE_WORDS):
        return Bounds(0.0, 100.0, "a percentage share lies between 0 and 100")
    if indicator.aggregation == "sum" or unit in _COUNT_UNITS:
        return Bounds(0.0, None, "a count or summed quantity cannot be negative")
    return Bounds(None, None, "")


@dataclass(frozen=True, slots=True)
class RangeRule:
    """A plausible range for one indicator; a value outside it is a problem of ``severity``."""

    low: float | None = None
    high: float | None = None
    severity: Severity = "warning"


@dataclass(frozen=True, slots=True)
class ObservationOptions:
    """Less common settings of :func:`read_observations`.

    ``ranges`` maps indicator codes to :class:`RangeRule`; ``jump_threshold`` is the modified
    z-score above which a year-on-year change is a warning (``None`` turns the check off) and
    ``jump_min_changes`` the fewest changes a series needs to be scored; ``console`` is where the
    progress bar draws (default: stdout).

    The MAD of a short series is itself noisy: with ten annual values (nine changes) of pure
    random-walk noise about 2 % of changes score above 3.5 (0.7 % with twenty values). Raise the
    threshold for large catalogues of short series if the warnings are too many to read.
    """

    ranges: Mapping[str, RangeRule] = field(default_factory=dict)
    jump_threshold: float | None = DEFAULT_THRESHOLD
    jump_min_changes: int = 3
    console: object | None = None  # a rich.console.Console; typed loosely to import rich lazily


# -- layout ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """A column holding values; a wide header fixes its indicator or its period."""

    position: int
    indicator: str | None = None
    period: str | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a table keeps regions, indicators, periods and values."""

    kind: LayoutKind
    region: int
    indicator: int | None
    period: int | None
    slots: tuple[Slot, ...]
    extras: dict[str, int]  # source, vintage, unit, note; region_name when region_code leads
    fixed_indicator: str | None = None  # wide_periods without an indicator column


def detect_layout(table: Table, indicators: IndicatorLookup) -> tuple[Layout | None, list[Problem]]:
    """Work out the layout of an observation table from its header (rules in the module doc)."""
    position = {name: table.index(name) for name in OBSERVATION_COLUMNS}
    region = _first(position["region_code"], position["region_name"])
    indicator = _first(position["indicator_code"], position["indicator_name"])
    extras = {n: p for n in ("source", "vintage", "unit", "note") if (p := position[n]) is not None}
    if position["region_code"] is not None and position["region_name"] is not None:
        extras["region_name"] = position["region_name"]
    free = [i for i, name in enumerate(table.columns) if name is None and table.labels[i]]
    periods = {i: label for i in free if (label := period_label(table.labels[i]))}
    problems: list[Problem] = []

    def missing(what: str, hint: str) -> None:
        problems.append(
            table.problem(
                "missing_column", f"no {what} column ({hint})", row=table.header_row, column=what
            )
        )

    if not table.labels:
        problems.append(table.problem("empty_table", "the table has no header row and no data"))
        return None, problems
    if region is None:
        missing("region_code", "region_code, 地区代码, 行政区划代码, 地区 or region")
    fixed = None
    if position["value"] is not None:
        kind: LayoutKind = "long"
        slots = (Slot(position["value"]),)
        if indicator is None:
            missing("indicator_code", "indicator_code, 指标代码 or 指标")
        if position["period"] is None:
            missing("period", "period, 时期, 年份 or year")
        ignored = free
    elif periods:
        kind = "wide_periods"
        slots = tuple(Slot(i, period=label) for i, label in periods.items())
        if indicator is None:
            fixed = _indicator_from_names(table, indicators)
            if fixed is None:
                missing("indicator_code", "or a sheet or file named after one indicator")
        ignored = [i for i in free if i not in periods]
    elif position["period"] is not None:
        kind = "wide_indicators"
        slots, ignored = _indicator_slots(table, free, indicators, problems)
    else:
        problems.append(
            table.problem(
                "unknown_layout",
                "cannot tell the layout: expected a value column (long), period columns such as "
                "2015, 2016 (wide by period), or a period column with indicator columns",
                row=table.header_row,
            )
        )
        return None, problems
    for i in ignored:
        problems.append(
            table.problem(
                "column_ignored",
                f"column {table.label(i)!r} is not a known column and was ignored",
                severity="info",
                row=table.header_row,
                column=table.label(i),
            )
        )
    if any(p.severity == "error" for p in problems):
        return None, problems
    assert region is not None  # a missing region column is an error above
    return Layout(kind, region, indicator, position["period"], slots, extras, fixed), problems


def _first(*positions: int | None) -> int | None:
    return next((p for p in positions if p is not None), None)


def _indicator_from_names(table: Table, indicators: IndicatorLookup) -> str | None:
    for name in (table.sheet, Path(table.file).stem):
        if name and (code := indicators.resolve(name)) is not None:
            return code
    return None


def _indicator_slots(
    table: Table, free: list[int], indicators: IndicatorLookup, problems: list[Problem]
) -> tuple[tuple[Slot, ...], list[int]]:
    slots = []
    for i in free:
        code = indicators.resolve(table.labels[i])
        if code is None:
            problems.append(
                table.problem(
                    "unknown_indicator",
                    f"column {table.label(i)!r} is not a known indicator"
                    + did_you_mean(indicators.suggest(table.labels[i])),
                    row=table.header_row,
                    column=table.label(i),
                    value=table.labels[i],
                )
            )
        else:
            slots.append(Slot(i, indicator=code))
    if not slots and not problems:
        problems.append(
            table.problem("missing_column", "no indicator columns", row=table.header_row)
        )
    return tuple(slots), []


# -- reading -----------------------------------------------------------------------------------


class _Collector:
    """Turns the cells of one table into observations and problems, row by row."""

    def __init__(
        self,
        table: Table,
        layout: Layout,
        regions: RegionResolver,
        indicators: IndicatorLookup,
        defaults: tuple[str, str],
        options: ObservationOptions,
    ) -> None:
        self.table, self.layout, self.options = table, layout, options
        self.regions, self.indicators = regions, indicators
        self.source_default, self.vintage_default = defaults
        self.records: list[Observation] = []
        self.periods: list[Period] = []
        self.places: list[tuple[int, str]] = []  # (row, column) of each record
        self.problems: list[Problem] = []
        self._seen: dict[tuple[str, str, str, str], tuple[int, str]] = {}
        self._reported: set[tuple[int, int]] = set()
        self._bounds: dict[str, Bounds] = {}
        # Tables repeat the same few region, indicator and period texts on every row: resolve
        # each distinct cell once. Keys carry the type because True == 1 == 1.0 as dict keys.
        self._memo: dict[tuple[str, type, Cell], tuple[Any, str, str]] = {}
        self._labels = [table.label(i) for i in range(len(table.labels))]

    def error(
        self,
        kind: str,
        message: str,
        row: int,
        position: int,
        cell: Cell,
        severity: Severity = "error",
    ) -> None:
        """Add a problem at a cell, once per cell (a wide row repeats its region per value)."""
        if (row, position) in self._reported:
            return
        self._reported.add((row, position))
        column, value = self._labels[position], cell_text(cell)
        where = {"row": row, "column": column, "value": value, "severity": severity}
        self.problems.append(self.table.problem(kind, message, **where))

    def add_row(self, row: Row) -> None:
        for slot in self.layout.slots:
            self.add_cell(row, slot)

    def add_cell(self, row: Row, slot: Slot) -> None:
        raw = row.cells[slot.position]
        if is_missing(raw):
            if self.layout.kind == "long":
                message = "no value; row skipped"
                self.error("missing_value", message, row.number, slot.position, raw, "warning")
            return
        region = self._region(row)
        code = self._indicator(row, slot)
        indicator = self.indicators.indicators[code] if code else None
        period = self._period(row, slot, indicator)
        value = self._value(row, slot, raw, indicator)
        if region is None or indicator is None or period is None or value is None:
            return
        if not self._check_value(row, slot, indicator, value):
            return
        extras = self.layout.extras
        source = cell_text(row.cells[extras["source"]]) if "source" in extras else ""
        vintage = cell_text(row.cells[extras["vintage"]]) if "vintage" in extras else ""
        source, vintage = source or self.source_default, vintage or self.vintage_default
        period_text = str(period)
        key = (region, indicator.code, period_text, vintage)
        column = self._labels[slot.position]
        if key in self._seen:
            first_row, first_column = self._seen[key]
            at = f"row {first_row}" + (f", column {first_column}" if first_column != column else "")
            message = f"duplicate of {at}: same region, indicator, period and vintage"
            self.error("duplicate", message, row.number, slot.position, raw)
            return
        self._seen[key] = (row.number, column)
        self._check_unit(row, indicator)
        note = cell_text(row.cells[extras["note"]]) if "note" in extras else ""
        simulated = source == "simulated"  # the demo generator's label (design.md)
        self.records.append(
            Observation(
                region, indicator.code, period_text, value, source, vintage, simulated, note
            )
        )
        self.periods.append(period)
        self.places.append((row.number, column))

    def _memoised(self, what: str, raw: Cell, resolve: Callable[[Cell], tuple[Any, str, str]]):
        """``resolve(raw)`` -> (result, problem kind, message), computed once per distinct cell."""
        try:
            key = (what, type(raw), raw)
            found = self._memo.get(key)
        except TypeError:  # an unhashable cell (a Parquet list): resolve it every time
            return resolve(raw)
        if found is None:
            found = self._memo[key] = resolve(raw)
        return found

    def _region(self, row: Row) -> str | None:
        position = self.layout.region
        raw = row.cells[position]
        code, kind, message = self._memoised("region", raw, self._resolve_region)
        if kind:
            self.error(kind, message, row.number, position, raw)
            return None
        if "region_name" in self.layout.extras:
            self._check_region_name(row, code)
        return code

    def _resolve_region(self, raw: Cell) -> tuple[str | None, str, str]:
        text = cell_text(raw)
        code = self.regions.resolve(text) if text else None
        if not text:
            return None, "unknown_region", "region is empty"
        if code is None:
            return (
                None,
                "unknown_region",
                f"unknown region {text!r}" + did_you_mean(self.regions.suggest(text)),
            )
        if self.regions.is_group(code):
            return None, "region_group", f"{text!r} is a region group; observations are per region"
        return code, "", ""

    def _check_region_name(self, row: Row, code: str) -> None:
        position = self.layout.extras["region_name"]
        name = cell_text(row.cells[position])
        if name and self.regions.resolve(name) != code:
            message = f"region name {name!r} does not match region code {code}"
            self.error("region_mismatch", message, row.number, position, name, "warning")

    def _indicator(self, row: Row, slot: Slot) -> str | None:
        if slot.indicator is not None:
            return slot.indicator
        if self.layout.fixed_indicator is not None:
            return self.layout.fixed_indicator
        position = self.layout.indicator
        assert position is not None  # detect_layout guarantees an indicator source
        raw = row.cells[position]
        code, kind, message = self._memoised("indicator", raw, self._resolve_indicator)
        if kind:
            self.error(kind, message, row.number, position, raw)
        return code

    def _resolve_indicator(self, raw: Cell) -> tuple[str | None, str, str]:
        text = cell_text(raw)
        code = self.indicators.resolve(text) if text else None
        if not text:
            return None, "unknown_indicator", "indicator is empty"
        if code is None:
            hint = did_you_mean(self.indicators.suggest(text))
            return None, "unknown_indicator", f"unknown indicator {text!r}{hint}"
        return code, "", ""

    def _period(self, row: Row, slot: Slot, indicator: Indicator | None) -> Period | None:
        position = slot.position if slot.period is not None else self.layout.period
        assert position is not None
        raw = slot.period if slot.period is not None else row.cells[position]
        period, kind, message = self._memoised("period", raw, _resolve_period)
        if kind:
            self.error(kind, message, row.number, position, raw)
            return None
        if indicator is not None and period.frequency != indicator.frequency:
            message = (
                f"{period} is a {period.frequency}; {indicator.code} is by {indicator.frequency}"
            )
            self.error("period_frequency", message, row.number, position, raw)
            return None
        return period

    def _value(self, row: Row, slot: Slot, raw: Cell, indicator: Indicator | None) -> float | None:
        percent = indicator is not None and indicator.unit.strip() in _PERCENT_UNITS
        try:
            return parse_number(raw, percent="keep" if percent else "reject")
        except ValueError:
            self.error("not_a_number", "value is not a number", row.number, slot.position, raw)
            return None

    def _check_value(self, row: Row, slot: Slot, indicator: Indicator, value: float) -> bool:
        if indicator.code not in self._bounds:
            self._bounds[indicator.code] = impossible_bounds(indicator)
        low, high, reason = self._bounds[indicator.code]
        if is_outside(value, low, high):
            message = f"impossible value for {indicator.code}: {reason}"
            self.error("impossible_value", message, row.number, slot.position, value)
            return False
        rule = self.options.ranges.get(indicator.code)
        if rule and is_outside(value, rule.low, rule.high):
            span = "..".join("" if x is None else f"{x:g}" for x in (rule.low, rule.high))
            message = f"value outside the range {span} set for {indicator.code}"
            self.error("out_of_range", message, row.number, slot.position, value, rule.severity)
            return rule.severity != "error"
        return True

    def _check_unit(self, row: Row, indicator: Indicator) -> None:
        position = self.layout.extras.get("unit")
        if position is None or self.layout.kind == "wide_indicators":
            return
        unit = cell_text(row.cells[position])
        if unit and header_key(unit) != header_key(indicator.unit):
            message = f"unit {unit!r} is not {indicator.code}'s {indicator.unit!r}; check the scale"
            self.error("unit_mismatch", message, row.number, position, unit, "warning")

    def jump_problems(self, threshold: float, min_changes: int) -> list[Problem]:
        """Warnings for year-on-year changes that are outliers within their series."""
        if len(self.records) < 2:
            return []
        series: dict[tuple[str, str, str, str, int], int] = {}
        # Quarters and months are compared with the same quarter or month a year before: the
        # sub-period is part of the series and the year is the time.
        ids = [
            series.setdefault(
                (r.region_code, r.indicator_code, r.vintage, p.frequency, p.sub), len(series)
            )
            for r, p in zip(self.records, self.periods, strict=True)
        ]
        years = [p.year for p in self.periods]
        values = [r.value for r in self.records]
        result = flag_jumps(ids, years, values, threshold, min_changes=min_changes)
        problems = []
        for i in np.flatnonzero(result.flags):
            now, before = self.records[i], self.records[result.previous[i]]
            row, column = self.places[i]
            problems.append(
                self.table.problem(
                    "jump",
                    f"year-on-year jump from {before.period} ({before.value:g}) to {now.period} "
                    f"({now.value:g}): change {result.changes[i]:+g} a year, modified z-score "
                    f"{result.scores[i]:.1f} within this series (threshold {threshold:g})",
                    severity="warning",
                    row=row,
                    column=column,
                    value=f"{now.value:g}",
                )
            )
        return problems


def _resolve_period(raw: Cell) -> tuple[Period | None, str, str]:
    try:
        return parse_period(normalise_period(raw)), "", ""
    except ValueError as err:
        return None, "bad_period", str(err)


@contextmanager
def _progress_bar(
    show: bool, total: int | None, label: str, console: object | None
) -> Iterator[Callable[[int], None]]:
    if not show:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=console or Console(file=sys.stdout)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
        # Blank rows are never counted and the size is a hint: show the end as the end.
        bar.update(task, completed=total)


def _wants_bar(progress: bool, size: int | None, threshold: int, console: object | None) -> bool:
    """A bar only for a large file, only when asked, and only on a terminal (never in a pipe)."""
    if not progress or size is None or size <= threshold:
        return False
    if console is not None:
        return bool(getattr(console, "is_terminal", False))
    return sys.stdout.isatty()


def read_observations(
    source: Readable,
    *,
    regions: RegionResolver,
    indicators: dict[str, Indicator],
    source_default: str = "",
    vintage_default: str = "",
    sheet: str | None = None,
    progress: bool = True,
    progress_threshold: int = 50_000,
    options: ObservationOptions | None = None,
    name: str | None = None,
) -> Reading[Observation]:
    """Read observations from a CSV, Excel or Parquet file in long or wide layout.

    Parameters
    ----------
    source : path, binary file object or Source
        ``.csv`` / ``.tsv`` (UTF-8 or GB18030), ``.xlsx`` or ``.parquet``, on disk or uploaded.
    regions : RegionResolver
        Resolves region codes and names, e.g. :class:`RegionLookup`.
    indicators : dict
        The catalogue, code -> :class:`~yrdplan.domain.indicators.Indicator`; cells may name an
        indicator by code, name, English name or synonym.
    source_default, vintage_default : str
        Used where the file has no ``source`` / ``vintage`` column or the cell is blank.
    sheet : str, optional
        Excel sheet to read (default the first).
    progress : bool, default True
        Draw a Rich progress bar for files of more than ``progress_threshold`` rows, when stdout
        (or ``options.console``) is a terminal.
    progress_threshold : int, default 50,000
    options : ObservationOptions, optional
        Range rules, jump threshold, console.
    name : str, optional
        The file name problems give (default the source's own).

    Returns
    -------
    observations : list of Observation
        The values that passed every error-level check, in file order.
    problems : list of Problem
        Each names file, sheet (Excel), row, column and value. Errors: unknown region or
        indicator (with did-you-mean), empty region, text in a number column, bad period, a period
        whose frequency is not the indicator's, an impossible value, a duplicated (region,
        indicator, period, vintage) naming both rows. Warnings: range rules, unit mismatch,
        year-on-year jumps by modified z-score, skipped empty values.

    Raises
    ------
    InputError
        If the file is missing, unreadable or of an unsupported type.
    """
    options = options or ObservationOptions()
    table = open_table(source, OBSERVATION_COLUMNS, sheet=sheet, name=name)
    lookup = IndicatorLookup.from_indicators(indicators)
    layout, problems = detect_layout(table, lookup)
    if layout is None:
        return Reading([], table.problems + problems)
    collector = _Collector(
        table, layout, regions, lookup, (source_default, vintage_default), options
    )
    show = _wants_bar(progress, table.size_hint, progress_threshold, options.console)
    with _progress_bar(show, table.size_hint, f"reading {table.file}", options.console) as advance:
        for count, row in enumerate(table.rows, start=1):
            collector.add_row(row)
            if count % 1000 == 0:
                advance(1000)
    problems += collector.problems
    if options.jump_threshold is not None:
        problems += collector.jump_problems(options.jump_threshold, options.jump_min_changes)
    return Reading(collector.records, table.problems + problems)
