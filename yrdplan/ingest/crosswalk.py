"""Read a boundary crosswalk table: ``from_code,to_code,weight,effective_date[,note]``.

One row per piece of an adjustment: share ``weight`` of region ``from_code`` went to ``to_code``
on ``effective_date`` (YYYY-MM-DD). Like every reader it returns what it could read and the
problems, naming file, row and column; whether the shares of a region add up is checked by the
service (:func:`yrdplan.analytics.crosswalk.validate_changes`), which knows all the rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from yrdplan.domain.problems import Problem, Reading
from yrdplan.ingest.source import Readable
from yrdplan.ingest.tables import Row, Table, cell_text, open_table, parse_number

CROSSWALK_COLUMNS: dict[str, tuple[str, ...]] = {
    "from_code": ("from_code",),
    "to_code": ("to_code",),
    "weight": ("weight",),
    "effective_date": ("effective_date",),
    "note": ("note",),
}
REQUIRED = ("from_code", "to_code", "weight", "effective_date")


@dataclass(frozen=True, slots=True)
class CrosswalkRow:
    """One piece: ``weight`` of ``from_code`` went to ``to_code`` on ``effective_date``."""

    from_code: str
    to_code: str
    weight: float
    effective_date: date
    note: str = ""


def read_crosswalk(
    source: Readable, *, known: Collection[str], name: str | None = None
) -> Reading[CrosswalkRow]:
    """The crosswalk's rows, and a problem for every unknown region, bad weight or bad date.

    ``known`` holds the region codes (current and historical) a row may name.
    """
    table = open_table(source, CROSSWALK_COLUMNS, name=name)
    problems = [
        table.problem("missing_column", f"no {c} column", row=table.header_row or 1, column=c)
        for c in REQUIRED
        if table.index(c) is None
    ]
    if problems:
        return Reading([], table.problems + problems)
    rows = []
    for row in table.rows:
        before = len(problems)
        codes = {c: cell_text(table.cell(row, c)) for c in ("from_code", "to_code")}
        for column, code in codes.items():
            if code not in known:
                problems.append(_bad(table, row, column, f"unknown region {code!r}"))
        try:
            weight = parse_number(table.cell(row, "weight"))
        except ValueError:
            weight = 0.0
            problems.append(_bad(table, row, "weight", "weight is not a number"))
        day = _date(table.cell(row, "effective_date"))
        if day is None:
            message = "effective_date is not a date (YYYY-MM-DD)"
            problems.append(_bad(table, row, "effective_date", message))
        if len(problems) == before and day is not None:
            note = cell_text(table.cell(row, "note"))
            rows.append(CrosswalkRow(codes["from_code"], codes["to_code"], weight, day, note))
    return Reading(rows, table.problems + problems)


def _date(cell: object) -> date | None:
    if isinstance(cell, date):  # an Excel date cell (datetime is a date too)
        return date(cell.year, cell.month, cell.day)
    try:
        return date.fromisoformat(cell_text(cell))  # type: ignore[arg-type]
    except ValueError:
        return None


def _bad(table: Table, row: Row, column: str, message: str) -> Problem:
    value = cell_text(table.cell(row, column)) or None
    return table.problem("bad_crosswalk", message, row=row.number, column=column, value=value)
