"""`yrdplan units …`: responsible units and each plan's registry of them."""

from __future__ import annotations

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
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.domain.tasks import UNIT_KINDS
from yrdplan.services import units as unit_service

app = typer.Typer(
    help="Responsible units (责任单位) and plans' unit registries.", no_args_is_help=True
)

UNIT_COLUMNS = ["id", "code", "name", "kind", "region", "aliases"]


@app.command("list")
def list_(
    plan: Annotated[
        str | None, typer.Option("--plan", help="Only the units registered for this plan.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List units (all, or one plan's registry)."""
    with open_database(db) as database, database.read() as session:
        rows = unit_service.list_units(session, plan)
    if fmt is OutputFormat.table:
        rows = [{**r, "aliases": "、".join(r["aliases"])} for r in rows]
    print_rows(rows, UNIT_COLUMNS, fmt, title="Units")


@app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="A short unique code, e.g. nj-fgw.")],
    name: Annotated[str, typer.Argument(help="The unit's full name, e.g. 市发展改革委.")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(UNIT_KINDS)}.")] = "department",
    region: Annotated[
        str | None, typer.Option(help="Region code (for districts and cities).")
    ] = None,
    alias: Annotated[
        list[str] | None, typer.Option(help="Another name used for it in checklists; repeat.")
    ] = None,
    plan: Annotated[
        list[str] | None, typer.Option("--plan", help="Register it for this plan; repeat.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a unit."""
    with open_database(db) as database, database.write() as session:
        unit = unit_service.add_unit(
            session,
            code=code,
            name=name,
            kind=kind,
            region_code=region,
            aliases=alias or [],
            plans=plan or [],
            user=SYSTEM_CALLER,
        )
        unit_id = unit.id
    console.print(f"Added unit {unit_id} {code} {name}")


@app.command("register")
def register(
    plan: Annotated[str, typer.Option("--plan", help="Plan id or code.")],
    units: Annotated[list[str], typer.Argument(help="Unit codes (or ids).")],
    db: DbOption = None,
) -> None:
    """Add existing units to a plan's registry."""
    with open_database(db) as database, database.write() as session:
        added = unit_service.register_units(session, plan, units, user=SYSTEM_CALLER)
    console.print(f"Registered {added} unit(s) for {plan}")


@app.command("merge")
def merge(
    source: Annotated[str, typer.Argument(help="The unit that turned out to be the other one.")],
    target: Annotated[str, typer.Argument(help="The unit it is merged into (code).")],
    db: DbOption = None,
) -> None:
    """Merge a unit into another: its tasks, reports, users and registrations follow."""
    from yrdplan.services.unit_admin import merge_units

    with open_database(db) as database, database.write() as session:
        result = merge_units(session, SYSTEM_CALLER, source, target)
    moved = ", ".join(f"{k} {v}" for k, v in result["moved"].items())
    console.print(f"Merged {result['source']} into {result['target']} ({moved})")
