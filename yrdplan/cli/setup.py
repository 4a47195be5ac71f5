"""`yrdplan init` and `yrdplan serve`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from yrdplan.cli.common import DbOption, console, database_url
from yrdplan.demo.default_content import DEMO_PASSWORD
from yrdplan.services.setup import init_database
from yrdplan.settings import load_settings


def init(
    db: DbOption = None,
    demo: Annotated[
        bool,
        typer.Option("--demo/--no-demo", help="Include demo accounts and simulated demo data."),
    ] = True,
) -> None:
    """Create or migrate a database and load the embedded default (regions, plans, catalogue)."""
    url = database_url(db)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("init", total=None)

        def on_step(name: str, index: int, total: int) -> None:
            bar.update(task, description=name, completed=index, total=total)

        report = init_database(url, with_demo=demo, progress=on_step)
    if report.created:
        console.print(f"Created {report.where}")
    elif report.migrated_from:
        console.print(f"Database {report.where} is at the current schema")
    for line in report.loaded:
        console.print(f"  loaded {line}")
    if not report.loaded:
        console.print("  already holds data; nothing loaded")


def serve(
    db: DbOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[
        int, typer.Option(help="Worker processes (use PostgreSQL for more than one).")
    ] = 1,
) -> None:
    """Serve the web application."""
    import uvicorn  # imported here: only this command needs the server

    from yrdplan.store.database import connect
    from yrdplan.web.app import create_app

    settings = load_settings(database_url=db, host=host, port=port)
    connect(settings.database_url).dispose()  # fail now, with one line, on a bad database
    console.print(
        f"yrdplan is serving {settings.database_url} at http://{settings.host}:{settings.port}/"
    )
    console.print(
        f"Demo log-in: office / {DEMO_PASSWORD} (also admin, viewer, steward_nj, and unit reporters such as nj_fgw)"
    )
    if workers > 1:
        import os

        os.environ["YRDPLAN_DATABASE_URL"] = settings.database_url
        uvicorn.run(
            "yrdplan.web.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
        )
    else:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
