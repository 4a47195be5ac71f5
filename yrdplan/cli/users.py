"""`yrdplan users …`: accounts and API tokens."""

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
from yrdplan.domain.people import ROLES
from yrdplan.errors import InputError
from yrdplan.services import accounts
from yrdplan.store.repos import users as user_repo

app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)


@app.command("add")
def add(
    username: str,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (asked for when not given; at least 8 characters).", show_default=False
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    unit: Annotated[str | None, typer.Option(help="Unit code (unit_reporter only).")] = None,
    region: Annotated[
        list[str] | None, typer.Option(help="Region code a data_steward edits; repeat for more.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a user."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_database(db) as database, database.sessions.begin() as session:
        accounts.create_user(
            session,
            username=username,
            password=password,
            role=role,
            display_name=name,
            unit_code=unit,
            region_codes=region or [],
        )
    console.print(f"Added {username} ({role})")


@app.command("list")
def list_(fmt: FormatOption = OutputFormat.table, db: DbOption = None) -> None:
    """List users."""
    with open_database(db) as database, database.sessions() as session:
        rows = [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "unit_id": u.unit_id,
                "regions": user_repo.to_info(session, u).region_codes,
                "active": u.is_active,
            }
            for u in user_repo.list_users(session)
        ]
    print_rows(
        rows,
        ["username", "display_name", "role", "unit_id", "regions", "active"],
        fmt,
        title="Users",
    )


@app.command("token")
def token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
    db: DbOption = None,
) -> None:
    """Issue an API token (shown once) for `Authorization: Bearer …`."""
    with open_database(db) as database, database.sessions.begin() as session:
        user = user_repo.find_user(session, username)
        if user is None:
            raise InputError(f"unknown user {username!r}")
        value = accounts.issue_token(session, user.id, name)
    typer.echo(value)
