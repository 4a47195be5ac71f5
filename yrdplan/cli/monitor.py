"""`yrdplan monitor`: assess every target (监测预警) and print one row per region × target."""

from __future__ import annotations

from typing import Annotated

import typer

from yrdplan.cli.common import (
    DbOption,
    OutputFormat,
    err_console,
    open_database,
    print_json,
    print_rows,
)
from yrdplan.services.arguments import parse_iso_date
from yrdplan.services.monitor import PUBLIC_FIELDS, MonitorOptions, run_monitor

TABLE_COLUMNS = [
    "region",
    "indicator",
    "target",
    "base",
    "latest",
    "expected",
    "ratio",
    "status",
    "warning",
]
_SYMBOLS = {">=": "≥", "<=": "≤", "=": "=", "~": "≈", "between": "", "relative": "", "none": ""}


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


def table_row(row: dict) -> dict:
    """A public row squeezed for a terminal: period and value together, four digits."""
    target = ""
    if row["comparator"] != "none":
        target = f"{_SYMBOLS.get(row['comparator'], row['comparator'])}{_number(row['target_value'])} ({row['target_year']})"
    return {
        "region": row["region_code"],
        "indicator": row["indicator_code"],
        "target": target,
        "base": f"{row['base_period']}: {_number(row['base_value'])}" if row["base_period"] else "",
        "latest": f"{row['latest_period']}: {_number(row['latest_value'])}"
        if row["latest_period"]
        else "",
        "expected": _number(row["expected_value"]),
        "ratio": _number(row["ratio"]),
        "status": row["status"],
        "warning": row["warning"],
    }


def monitor(
    region: Annotated[
        str | None, typer.Option(help="Region code, or a region group's code.")
    ] = None,
    indicator: Annotated[str | None, typer.Option(help="Indicator code.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
    vintage: Annotated[
        str | None, typer.Option(help="Recompute on the data as they stood at this vintage.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Boundaries of this date (YYYY-MM-DD; default today)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Ignore observations after this period (e.g. 2022).")
    ] = None,
    trends: Annotated[
        bool,
        typer.Option("--trends", help="Also assess series without a target (comparator none)."),
    ] = False,
    window: Annotated[
        float, typer.Option(help="Years of recent data the projection is fitted on.")
    ] = 5.0,
    projection: Annotated[
        str, typer.Option(help="Projection trend: linear or compound.")
    ] = "linear",
    db: DbOption = None,
) -> None:
    """Assess targets against observations; stores the run's calculation components."""
    boundaries = parse_iso_date(as_of, "--as-of")
    options = MonitorOptions(
        region=region,
        indicator=indicator,
        vintage=vintage,
        boundaries=boundaries,
        until=until,
        include_trends=trends,
        trend_window=window,
        projection=projection,
    )
    with open_database(db) as database, database.write() as session:
        result = run_monitor(session, options)
    rows = result.public_rows()
    if fmt is OutputFormat.json:
        print_json(rows)
    elif fmt is OutputFormat.csv:
        print_rows(rows, PUBLIC_FIELDS, fmt)
    else:
        print_rows([table_row(r) for r in rows], TABLE_COLUMNS, fmt, title="Monitor")
    if result.simulated:
        err_console.print(
            "note: some series hold simulated demo values (source 'simulated', 演示数据), not statistics",
            markup=False,
        )
    err_console.print(
        f"run {result.run_id}: {len(rows)} rows stored", markup=False, highlight=False
    )
