"""`yrdplan data …`: observations — import (as revisions), list or export, the crosswalk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yrdplan.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    console,
    open_database,
    print_rows,
)
from yrdplan.cli.imports import print_report, run_import
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services import indicator_data
from yrdplan.services.imports import ImportOptions, import_file

app = typer.Typer(
    help="Indicator observations: import, list/export, boundary crosswalk.", no_args_is_help=True
)

OBSERVATION_COLUMNS = [
    "region_code",
    "indicator_code",
    "period",
    "value",
    "source",
    "vintage",
    "simulated",
    "note",
]


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(help="A .csv, .xlsx or .parquet table, long or wide.", show_default=False),
    ],
    source: Annotated[str, typer.Option(help="Source for rows without a source column.")] = "",
    vintage: Annotated[
        str | None, typer.Option(help="Vintage for rows without one (default: today, YYYY-MM-DD).")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Excel sheet to read (default the first).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import observations, all or nothing; new values are revisions, never overwrites."""
    with open_database(db) as database:
        report = run_import(
            database,
            lambda session: import_file(
                session,
                SYSTEM_CALLER,
                "observations",
                file,
                ImportOptions(
                    source=source, vintage=vintage, sheet=sheet, progress=True, console=console
                ),
            ),
        )
    print_report(report)


@app.command("list")
def list_(
    region: Annotated[str | None, typer.Option(help="Region code.")] = None,
    indicator: Annotated[str | None, typer.Option(help="Indicator code.")] = None,
    vintage: Annotated[
        str | None, typer.Option(help="The values current as of this vintage.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List current observations (--format csv writes the long exchange format back)."""
    with open_database(db) as database, database.read() as session:
        rows = indicator_data.list_observations(
            session, region=region, indicator=indicator, vintage=vintage
        )
    print_rows(rows, OBSERVATION_COLUMNS, fmt, title="Observations")


@app.command("crosswalk")
def crosswalk(
    file: Annotated[
        Path, typer.Argument(help="CSV: from_code,to_code,weight,effective_date[,note].")
    ],
    db: DbOption = None,
) -> None:
    """Load a boundary crosswalk (replaces rows of the same unit and date)."""
    with open_database(db) as database:
        report = run_import(
            database, lambda session: import_file(session, SYSTEM_CALLER, "crosswalk", file)
        )
    console.print(f"{report.read} crosswalk rows stored")
