"""The `yrdplan` command: a thin shell over the services; one module per command group."""

from __future__ import annotations

import sys

import typer

from yrdplan import __version__
from yrdplan.cli import db, plan, regions, setup, users
from yrdplan.cli.common import err_console
from yrdplan.errors import YrdplanError

app = typer.Typer(
    name="yrdplan",
    help="yrdplan: plans, delivery, indicators and regional coordination for the Yangtze River Delta.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("init")(setup.init)
app.command("serve")(setup.serve)
app.add_typer(regions.app, name="regions")
app.add_typer(users.app, name="users")
app.add_typer(db.app, name="db")
app.add_typer(plan.app, name="plan")


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True
    ),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


def run() -> None:
    """Entry point: turn yrdplan's own errors into one line on stderr and exit code 1."""
    try:
        app(standalone_mode=False)
    except YrdplanError as err:
        err_console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except Exception as err:  # click usage errors carry their own exit code
        import click

        if isinstance(err, click.exceptions.Exit):
            sys.exit(err.exit_code)
        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise


if __name__ == "__main__":
    run()
