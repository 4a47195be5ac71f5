"""`yrdplan db …`: backup and restore."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn

from yrdplan.cli.common import DbOption, console, database_url
from yrdplan.services.backup import backup_database, restore_database

app = typer.Typer(help="Backup and restore.", no_args_is_help=True)


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description:<24}"), BarColumn(), console=console, transient=True
    )


@app.command("backup")
def backup(file: Path, db: DbOption = None) -> None:
    """Write a portable backup archive (restores on SQLite or PostgreSQL)."""
    with _bar() as bar:
        task = bar.add_task("backup")
        manifest = backup_database(
            database_url(db),
            file,
            lambda name, i, n: bar.update(task, description=name, completed=i, total=n),
        )
    rows = sum(t["rows"] for t in manifest["tables"].values())
    console.print(f"Wrote {file}: {rows} rows in {len(manifest['tables'])} tables")


@app.command("restore")
def restore(file: Path, db: DbOption = None) -> None:
    """Restore a backup into a new or empty database; all or nothing."""
    with _bar() as bar:
        task = bar.add_task("restore")
        rows = restore_database(
            database_url(db),
            file,
            lambda name, i, n: bar.update(task, description=name, completed=i, total=n),
        )
    console.print(f"Restored {rows} rows from {file}")
