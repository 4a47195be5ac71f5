"""Read indicator targets from a table into :class:`~yrdplan.domain.indicators.Target` records.

The exchange format (README): ``region_code,indicator_code,year,comparator,value`` plus optional
``value_high``, ``base_year``, ``base_value``, ``relative_change``, ``standard`` (and ``unit``),
comparator one of ``>=``, ``<=``, ``=``, ``~``, ``between``, ``relative``. Chinese headers and
comparators (以上, 以下, 左右, 区间, 较基期 …) are accepted. ``region_code`` may hold a region or a
region-group code (or name); the region lookup says which.

For a ``relative`` target ("较2017年下降10%") ``relative_change`` is a fraction (-0.1) or a
percentage (``-10%``) and the value is ``base_value * (1 + relative_change)`` when the base value
is known; otherwise the value stays empty for the progress engine to fill from observations.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from yrdplan.domain.indicators import COMPARATORS, Indicator, Target
from yrdplan.domain.problems import Problem, Reading, Severity
from yrdplan.ingest.lookups import IndicatorLookup, RegionResolver, did_you_mean
from yrdplan.ingest.observations import impossible_bounds, is_outside
from yrdplan.ingest.source import Readable
from yrdplan.ingest.tables import (
    TARGET_COLUMNS,
    Cell,
    Row,
    Table,
    cell_text,
    header_key,
    is_missing,
    open_table,
    parse_number,
)

_COMPARATOR_ALIASES: dict[str, tuple[str, ...]] = {
    ">=": (">=", "≥", "=>", "以上", "不低于", "不少于", "至少", "min"),
    "<=": ("<=", "≤", "=<", "以下", "以内", "不高于", "不超过", "max"),
    "=": ("=", "==", "等于", "达到"),
    "~": ("~", "≈", "左右", "约", "about"),
    "between": ("between", "区间", "之间", "range"),
    "relative": ("relative", "较基期", "相对", "相对基期"),
}
_COMPARATOR = {
    unicodedata.normalize("NFKC", alias).lower(): name
    for name, aliases in _COMPARATOR_ALIASES.items()
    for alias in aliases
}
# "≥ 3.2%" on a lower-is-better indicator, or "≤" on a higher-is-better one, sets a floor or a
# ceiling against the grain: sometimes intended (a cap on land use), often a slip.
_AGAINST_DIRECTION = {"higher": "<=", "lower": ">="}


def normalise_comparator(cell: Cell) -> str | None:
    """The canonical comparator for a cell (``≥``, ``以上`` -> ``>=``), or None if unknown.

    >>> normalise_comparator("≥"), normalise_comparator(" 左右 "), normalise_comparator("＞＝")
    ('>=', '~', '>=')
    """
    key = unicodedata.normalize("NFKC", cell_text(cell)).strip().lower()
    return _COMPARATOR.get(key)


def parse_year(cell: Cell) -> int:
    """A four-digit year from ``2025``, ``2025.0`` or ``2025年``; ``ValueError`` otherwise."""
    text = unicodedata.normalize("NFKC", cell_text(cell)).strip().removesuffix("年")
    if len(text) != 4 or not text.isdigit():
        raise ValueError(f"{cell!r} is not a year")
    return int(text)


@dataclass(slots=True)
class _RowReader:
    """Parses one target row, collecting its problems."""

    table: Table
    row: Row
    problems: list[Problem] = field(default_factory=list)

    def add(self, kind: str, message: str, name: str, severity: Severity = "error") -> None:
        self.problems.append(
            self.table.problem(
                kind,
                message,
                severity=severity,
                row=self.row.number,
                column=self.table.label_of(name),
                value=cell_text(self.table.cell(self.row, name)) or None,
            )
        )

    def text(self, name: str) -> str:
        return cell_text(self.table.cell(self.row, name))

    def number(self, name: str, *, percent: str = "reject") -> float | None:
        cell = self.table.cell(self.row, name)
        if is_missing(cell):
            return None
        try:
            return parse_number(cell, percent=percent)  # type: ignore[arg-type]
        except ValueError:
            self.add("not_a_number", f"{name} is not a number", name)
            return None

    def year(self, name: str, *, required: bool = False) -> int | None:
        cell = self.table.cell(self.row, name)
        if is_missing(cell):
            if required:
                self.add("missing_year", f"{name} is empty", name)
            return None
        try:
            return parse_year(cell)
        except ValueError:
            self.add("bad_year", f"{name} is not a four-digit year", name)
            return None


def read_targets(
    source: Readable,
    *,
    regions: RegionResolver,
    indicators: dict[str, Indicator],
    sheet: str | None = None,
    name: str | None = None,
) -> Reading[Target]:
    """Read targets from a CSV, Excel or Parquet file.

    Parameters
    ----------
    source : path, binary file object or Source
        The table, on disk or uploaded; see the module docstring for its columns.
    regions : RegionResolver
        Resolves region and region-group codes or names; ``is_group`` says which a code is.
    indicators : dict
        The catalogue, code -> Indicator.
    sheet : str, optional
        Excel sheet to read (default the first).
    name : str, optional
        The file name problems give (default the source's own).

    Returns
    -------
    targets : list of Target
        The rows without errors, in file order.
    problems : list of Problem
        Each names file, sheet, row, column and value. Errors: unknown region or indicator,
        unknown comparator, a bad year or number, ``between`` without ``value_high`` or with
        ``value_high < value``, ``relative`` without ``base_year`` and ``relative_change``, a
        fall of 100 % or more, ``base_value`` without ``base_year``, a base year not before the
        target year, an impossible value, a duplicated (region, indicator, year, comparator).
        Warnings: a ``<=`` / ``>=`` (or a relative change) against the indicator's direction,
        ``value_high`` on a comparator that ignores it, a stated value that disagrees with
        ``base_value * (1 + relative_change)``, a unit that differs from the indicator's.

    Raises
    ------
    InputError
        If the file is missing, unreadable or of an unsupported type.
    """
    table = open_table(source, TARGET_COLUMNS, sheet=sheet, name=name)
    problems = table.require(("region_code", "region_name"), ("indicator_code", "indicator_name"))
    problems += table.require("year", "comparator", "value")
    if problems:
        return Reading([], table.problems + problems)
    lookup = IndicatorLookup.from_indicators(indicators)
    targets: list[Target] = []
    seen: dict[tuple[str, str, int, str], int] = {}
    for row in table.rows:
        reader = _RowReader(table, row)
        target = _read_row(reader, regions, lookup)
        if target is not None and not any(p.severity == "error" for p in reader.problems):
            key = (
                target.region_code or target.group_code or "",
                target.indicator_code,
                target.year,
                target.comparator,
            )
            if key in seen:
                reader.add(
                    "duplicate",
                    f"duplicate of row {seen[key]}: same region, indicator, year and comparator",
                    "year",
                )
            else:
                seen[key] = row.number
                targets.append(target)
        problems += reader.problems
    return Reading(targets, table.problems + problems)


def _region_column(table: Table) -> str:
    return "region_code" if table.index("region_code") is not None else "region_name"


def _indicator_column(table: Table) -> str:
    return "indicator_code" if table.index("indicator_code") is not None else "indicator_name"


def _revision(reader: _RowReader) -> int | None:
    number = reader.number("revision")
    if number is None or (number == int(number) and number >= 0):
        return None if number is None else int(number)
    reader.add("bad_revision", "revision is not a whole number", "revision")
    return None


def _read_row(
    reader: _RowReader, regions: RegionResolver, lookup: IndicatorLookup
) -> Target | None:
    table = reader.table
    region_name, indicator_name = _region_column(table), _indicator_column(table)
    region_text, indicator_text = reader.text(region_name), reader.text(indicator_name)
    region = regions.resolve(region_text) if region_text else None
    if region is None:
        hint = did_you_mean(regions.suggest(region_text)) if region_text else ""
        reader.add(
            "unknown_region",
            f"unknown region {region_text!r}{hint}" if region_text else "region is empty",
            region_name,
        )
    code = lookup.resolve(indicator_text) if indicator_text else None
    if code is None:
        hint = did_you_mean(lookup.suggest(indicator_text)) if indicator_text else ""
        reader.add(
            "unknown_indicator",
            f"unknown indicator {indicator_text!r}{hint}"
            if indicator_text
            else "indicator is empty",
            indicator_name,
        )
    year = reader.year("year", required=True)
    comparator = normalise_comparator(table.cell(reader.row, "comparator"))
    if comparator is None:
        reader.add(
            "unknown_comparator",
            f"unknown comparator; use one of {', '.join(COMPARATORS)}",
            "comparator",
        )
    indicator = lookup.indicators[code] if code else None
    percent = "keep" if indicator is not None and indicator.unit.strip() == "%" else "reject"
    target = Target(
        indicator_code=code or "",
        year=year or 0,
        comparator=comparator or "=",  # type: ignore[arg-type] - an error is recorded above
        value=reader.number("value", percent=percent),
        value_high=reader.number("value_high", percent=percent),
        base_year=reader.year("base_year"),
        base_value=reader.number("base_value", percent=percent),
        relative_change=reader.number("relative_change", percent="fraction"),
        standard=reader.text("standard") or None,
        unit=reader.text("unit") or (indicator.unit if indicator else None),
        edited_from=_revision(reader),
    )
    if region is not None and regions.is_group(region):
        target.group_code = region
    else:
        target.region_code = region
    if region is None or indicator is None or year is None or comparator is None:
        return None
    _check_combination(reader, target, indicator)
    return target


def _check_combination(reader: _RowReader, target: Target, indicator: Indicator) -> None:
    """Comparator rules, base year rules, direction and impossible values, in that order."""
    comparator = target.comparator
    if comparator in (">=", "<=", "=", "~") and target.value is None and not target.standard:
        reader.add(
            "missing_value", f"a {comparator} target needs a value (or a named standard)", "value"
        )
    if comparator not in ("between",) and target.value_high is not None:
        reader.add(
            "value_high_ignored",
            f"value_high is ignored for {comparator}; use between for a band",
            "value_high",
            "warning",
        )
        target.value_high = None
    if comparator == "between":
        if target.value is None or target.value_high is None:
            reader.add(
                "incomplete_band",
                "between needs value and value_high",
                "value_high" if target.value is not None else "value",
            )
        elif target.value_high < target.value:
            reader.add(
                "inverted_band",
                f"value_high {target.value_high:g} is below value {target.value:g}",
                "value_high",
            )
    if comparator == "relative":
        _check_relative(reader, target, indicator)
    if target.base_value is not None and target.base_year is None:
        reader.add("base_year_missing", "base_value needs base_year", "base_year")
    if target.base_year is not None and target.base_year >= target.year:
        reader.add(
            "base_year_late",
            f"base year {target.base_year} is not before target year {target.year}",
            "base_year",
        )
    _check_direction(reader, target, indicator)
    _check_impossible(reader, target, indicator)
    if target.unit and header_key(target.unit) != header_key(indicator.unit):
        reader.add(
            "unit_mismatch",
            f"unit {target.unit!r} differs from {indicator.code}'s unit {indicator.unit!r}",
            "unit",
            "warning",
        )


def _check_relative(reader: _RowReader, target: Target, indicator: Indicator) -> None:
    if target.base_year is None:
        reader.add("relative_incomplete", "a relative target needs base_year", "base_year")
    if target.relative_change is None:
        reader.add(
            "relative_incomplete", "a relative target needs relative_change", "relative_change"
        )
        return
    change = target.relative_change
    if change <= -1:
        # -10 for "下降10%" would make the target -9 × the base value.
        reader.add(
            "impossible_change",
            "a fall of 100 % or more; write -0.1 or -10% for a 10 % fall",
            "relative_change",
        )
        return
    if change > 1:
        reader.add(
            "large_change",
            "relative_change above 1 means more than doubling; write 0.1 or 10% for 10 %",
            "relative_change",
            "warning",
        )
    if target.base_value is None:
        return
    computed = target.base_value * (1 + change)
    if target.value is not None and not math.isclose(
        target.value, computed, rel_tol=1e-6, abs_tol=1e-9
    ):
        reader.add(
            "relative_value",
            f"value {target.value:g} differs from base_value × (1 + relative_change) = {computed:g}; using {computed:g}",
            "value",
            "warning",
        )
    target.value = computed


def _check_direction(reader: _RowReader, target: Target, indicator: Indicator) -> None:
    against = _AGAINST_DIRECTION.get(indicator.direction)
    if target.comparator == against:
        reader.add(
            "against_direction",
            f"a {against} target on a {indicator.direction}-is-better indicator ({indicator.code}); check it is meant",
            "comparator",
            "warning",
        )
    change = target.relative_change
    if target.comparator == "relative" and change is not None:
        if (indicator.direction == "higher" and change < 0) or (
            indicator.direction == "lower" and change > 0
        ):
            reader.add(
                "against_direction",
                f"a relative change of {change:+g} on a {indicator.direction}-is-better indicator ({indicator.code}); check the sign",
                "relative_change",
                "warning",
            )


def _check_impossible(reader: _RowReader, target: Target, indicator: Indicator) -> None:
    low, high, reason = impossible_bounds(indicator)
    for name in ("value", "value_high", "base_value"):
        value = getattr(target, name)
        if value is not None and is_outside(value, low, high):
            reader.add(
                "impossible_value",
                f"impossible {name} {value:g} for {indicator.code}: {reason}",
                name,
            )
