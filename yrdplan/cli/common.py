"""What every command shares: the ``--db`` option, opening the database, printing results."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from yrdplan.settings import load_settings
from yrdplan.store.database import Database, connect

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: $YRDPLAN_DATABASE_URL, else sqlite:///yrdplan.db).",
        show_default=False,
    ),
]

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


def database_url(db: str | None) -> str:
    return load_settings(database_url=db).database_url


@contextmanager
def open_database(db: str | None) -> Iterator[Database]:
    database = connect(database_url(db))
    try:
        yield database
    finally:
        database.dispose()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def print_rows(
    rows: Sequence[dict], columns: Sequence[str], fmt: OutputFormat, title: str = ""
) -> None:
    """Print dict rows as a Rich table, JSON (a list of objects) or CSV with a header."""
    if fmt is OutputFormat.json:
        print_json(list(rows))
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(title=title or None)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)
