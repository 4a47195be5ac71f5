"""`yrdplan regions …`: the basic information database of administrative divisions."""

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
from yrdplan.domain.regions import LEVELS, RegionGroup
from yrdplan.services.arguments import parse_iso_date
from yrdplan.store.repos import regions as region_repo

app = typer.Typer(help="Regions (GB/T 2260) and region groups.", no_args_is_help=True)

REGION_COLUMNS = ["code", "name", "level", "parent_code", "province_code", "valid_from", "valid_to"]


@app.command("list")
def list_(
    level: Annotated[str | None, typer.Option(help=f"One of: {', '.join(LEVELS)}.")] = None,
    group: Annotated[
        str | None, typer.Option(help="A region group's code or name, e.g. central or 苏南.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Regions as they were on this date (YYYY-MM-DD).")
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="Include past versions of changed regions.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List regions."""
    day = parse_iso_date(as_of, "--as-of")
    with open_database(db) as database, database.sessions() as session:
        regions = region_repo.list_regions(
            session, level=level, group=group, as_of=day, include_history=history
        )
    print_rows([r.to_public() for r in regions], REGION_COLUMNS, fmt, title="Regions")


@app.command("show")
def show(code: str, db: DbOption = None) -> None:
    """Show one region by its six-digit code."""
    with open_database(db) as database, database.sessions() as session:
        region = region_repo.get_region(session, code)
    print_rows(
        [region.to_public() | {"area_km2": region.area_km2}],
        [*REGION_COLUMNS, "area_km2"],
        OutputFormat.json,
    )


@app.command("groups")
def groups(fmt: FormatOption = OutputFormat.table, db: DbOption = None) -> None:
    """List region groups with their members."""
    with open_database(db) as database, database.sessions() as session:
        rows = [
            {
                "code": g.code,
                "name": g.name,
                "kind": g.kind,
                "size": len(g.members),
                "members": g.members,
            }
            for g in region_repo.list_groups(session)
        ]
    if fmt is not OutputFormat.json:
        rows = [r | {"members": " ".join(r["members"])} for r in rows]
    print_rows(rows, ["code", "name", "kind", "size", "members"], fmt, title="Region groups")


@app.command("group-add")
def group_add(
    code: Annotated[str, typer.Argument(help="Short code for the group, e.g. my_benchmark.")],
    name: Annotated[str, typer.Option(help="Name shown to users.")],
    member: Annotated[list[str], typer.Option(help="Member region code; repeat for more.")],
    description: Annotated[str, typer.Option(help="What the group is for.")] = "",
    db: DbOption = None,
) -> None:
    """Define a region group of your own (e.g. cities to benchmark against each other)."""
    group = RegionGroup(
        code=code, name=name, description=description, members=list(member), kind="user"
    )
    with open_database(db) as database, database.write() as session:
        region_repo.add_group(session, group)
    console.print(f"Added group {code} with {len(member)} members")
