"""The `yrdplan` command: a thin shell over the services; one module per command group."""

from __future__ import annotations

import sys

import typer

from yrdplan import __version__
from yrdplan.cli import (
    benefit,
    bulletins,
    cycles,
    data,
    db,
    indicators,
    monitor,
    plan,
    regional,
    regions,
    setup,
    tasks,
    units,
    users,
)
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
app.add_typer(indicators.app, name="indicators")
app.add_typer(indicators.targets_app, name="targets")
app.add_typer(data.app, name="data")
app.command("monitor")(monitor.monitor)
app.add_typer(units.app, name="units")  # delivery tracking
app.add_typer(tasks.app, name="tasks")
app.add_typer(cycles.app, name="cycles")
app.command("completion")(tasks.completion_command)
app.command("disparity")(regional.disparity)  # regional coordination
app.command("convergence")(regional.convergence)
app.command("benchmark")(regional.benchmark)
app.add_typer(regional.app, name="index")
app.add_typer(benefit.app, name="benefit")  # benefit sharing and compensation
app.add_typer(bulletins.app, name="bulletin")  # bulletins and evaluations
app.add_typer(bulletins.evaluation_app, name="evaluation")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
) -> None:
    """yrdplan: plans, delivery, indicators and regional coordination for the Yangtze River Delta."""


def run() -> None:
    """Entry point: yrdplan's own errors become one line on stderr and exit code 1.

    Click's standalone mode handles usage errors, --help and exit codes itself; only errors that
    are not Click's reach the handler here.
    """
    try:
        app()
    except YrdplanError as err:
        err_console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    run()
