"""`yrdplan indicators …` and `yrdplan targets …`: the catalogue and the targets."""

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
    print_json,
    print_rows,
)
from yrdplan.cli.imports import print_report, run_import
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services import indicator_data
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.services.task_links import link_targets_to_tasks
from yrdplan.store.repos import indicators as repo

app = typer.Typer(help="The indicator catalogue: import, list, show.", no_args_is_help=True)
targets_app = typer.Typer(
    help="Indicator targets: import (as revisions), list, link to tasks.", no_args_is_help=True
)

FileArgument = Annotated[
    Path, typer.Argument(help="A .csv, .xlsx or .parquet table.", show_default=False)
]
SheetOption = Annotated[str | None, typer.Option(help="Excel sheet to read (default the first).")]
INDICATOR_COLUMNS = ["code", "name", "unit", "direction", "kind", "area", "aggregation", "formula"]
TARGET_COLUMNS = [
    "id",
    "region_code",
    "group_code",
    "indicator_code",
    "year",
    "comparator",
    "value",
    "value_high",
    "base_year",
    "base_value",
    "relative_change",
    "standard",
    "revision",
]


@app.command("import")
def import_(file: FileArgument, sheet: SheetOption = None, db: DbOption = None) -> None:
    """Add or update catalogue entries (code,name,unit,direction[,name_en,kind,aggregation,…])."""
    with open_database(db) as database:
        report = run_import(
            database,
            lambda session: import_file(
                session, SYSTEM_CALLER, "indicators", file, ImportOptions(sheet=sheet)
            ),
        )
    print_report(report, updated_word="updated")


@app.command("list")
def list_(
    area: Annotated[str | None, typer.Option(help="Only this area (economy, ecology, …).")] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List the catalogue."""
    with open_database(db) as database, database.read() as session:
        rows = [
            indicator_data.indicator_public(i)
            for i in indicator_data.stored_indicators(session).values()
        ]
    rows = [r for r in rows if area is None or r["area"] == area]
    print_rows(rows, INDICATOR_COLUMNS, fmt, title="Indicators")


@app.command("show")
def show(code: str, db: DbOption = None) -> None:
    """One indicator as JSON: its definition, current targets and stored observation count."""
    with open_database(db) as database, database.read() as session:
        indicator = indicator_data.get_indicator(session, code)
        targets = indicator_data.list_targets(session, indicator=indicator.code)
        observations = repo.observations(session, indicators=[indicator.code])
    print_json(
        indicator_data.indicator_public(indicator)
        | {
            "targets": targets,
            "observations": len(observations),
            "regions": len({o.region_code for o in observations}),
            "simulated": any(o.is_simulated for o in observations),
        }
    )


@targets_app.command("import")
def import_targets(file: FileArgument, sheet: SheetOption = None, db: DbOption = None) -> None:
    """Add targets from region_code,indicator_code,year,comparator,value[,value_high,base_year,…]."""
    with open_database(db) as database:
        report = run_import(
            database,
            lambda session: import_file(
                session, SYSTEM_CALLER, "targets", file, ImportOptions(sheet=sheet)
            ),
        )
    print_report(report)


@targets_app.command("list")
def list_targets(
    region: Annotated[
        str | None, typer.Option(help="Region code (a group's targets included).")
    ] = None,
    indicator: Annotated[str | None, typer.Option(help="Indicator code.")] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List current targets (the newest revision of each)."""
    with open_database(db) as database, database.read() as session:
        rows = indicator_data.list_targets(session, region=region, indicator=indicator)
    print_rows(rows, TARGET_COLUMNS, fmt, title="Targets")


@targets_app.command("link-tasks")
def link_tasks(db: DbOption = None) -> None:
    """Link plan targets to the tasks that serve them (rules in docs/monitoring.md)."""
    with open_database(db) as database, database.write() as session:
        added = link_targets_to_tasks(session)
    typer.echo(f"{added} new task links")


@app.command("retire")
def retire(
    code: Annotated[str, typer.Argument(help="Indicator code.")],
    undo: Annotated[bool, typer.Option("--undo", help="Bring a retired indicator back.")] = False,
    db: DbOption = None,
) -> None:
    """Retire an indicator (its observations and targets stay), or bring it back."""
    from yrdplan.services.catalogue_admin import retire_indicator

    with open_database(db) as database, database.write() as session:
        row = retire_indicator(session, SYSTEM_CALLER, code, not undo)
    console.print(f"{row['code']}: {'retired' if row['retired_at'] else 'in use'}")
