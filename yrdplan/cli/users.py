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
from yrdplan.domain.people import ROLES, SYSTEM_CALLER
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


@app.command("passwd")
def passwd(
    username: str,
    password: Annotated[
        str | None,
        typer.Option(help="The new password (asked for when not given).", show_default=False),
    ] = None,
    db: DbOption = None,
) -> None:
    """Set a user's password; every web session of the user ends."""
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with open_database(db) as database, database.write() as session:
        accounts.change_password(session, SYSTEM_CALLER, username, password)
    console.print(f"Password of {username} changed; their sessions have ended")


@app.command("role")
def role(
    username: str,
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help=f"One of: {', '.join(ROLES)}.")],
    unit: Annotated[str | None, typer.Option(help="Unit code (unit_reporter only).")] = None,
    region: Annotated[
        list[str] | None, typer.Option(help="Region code a data_steward edits; repeat for more.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Give a user another role; every web session of the user ends."""
    with open_database(db) as database, database.write() as session:
        accounts.change_role(
            session, SYSTEM_CALLER, username, new_role, unit_code=unit, region_codes=region
        )
    console.print(f"{username} is now {new_role}; their sessions have ended")


@app.command("disable")
def disable(username: str, db: DbOption = None) -> None:
    """Disable a user: log-in, sessions and API tokens stop working."""
    with open_database(db) as database, database.write() as session:
        accounts.set_active(session, SYSTEM_CALLER, username, False)
    console.print(f"{username} disabled; their sessions have ended")


@app.command("enable")
def enable(username: str, db: DbOption = None) -> None:
    """Enable a disabled user again."""
    with open_database(db) as database, database.write() as session:
        accounts.set_active(session, SYSTEM_CALLER, username, True)
    console.print(f"{username} enabled")


@app.command("sessions")
def sessions(username: str, fmt: FormatOption = OutputFormat.table, db: DbOption = None) -> None:
    """List a user's live web sessions."""
    with open_database(db) as database, database.read() as session:
        rows = accounts.user_sessions(session, SYSTEM_CALLER, username)
    print_rows(
        rows,
        ["id", "created_at", "last_seen_at", "expires_at", "client", "user_agent"],
        fmt,
        title=f"Sessions of {username}",
    )


@app.command("end-sessions")
def end_sessions(username: str, db: DbOption = None) -> None:
    """End every web session of a user (they must log in again)."""
    with open_database(db) as database, database.write() as session:
        ended = accounts.end_user_sessions(session, SYSTEM_CALLER, username)
    console.print(f"Ended {ended} session(s) of {username}")
