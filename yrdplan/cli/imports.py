"""What the import commands share: one transaction, the problem list on stderr, exit code 1."""

from __future__ import annotations

from collections.abc import Callable

import typer
from sqlalchemy.orm import Session

from yrdplan.cli.common import console, err_console
from yrdplan.services.import_report import ImportFailed, ImportReport
from yrdplan.store.database import Database


def run_import(database: Database, work: Callable[[Session], ImportReport]) -> ImportReport:
    """Run ``work`` in one transaction; on a bad file print every problem and exit 1."""
    try:
        with database.write() as session:
            return work(session)
    except ImportFailed as err:
        for problem in err.problems:
            if problem.severity != "info":
                err_console.print(
                    f"{problem.severity}: {problem}", markup=False, highlight=False, soft_wrap=True
                )
        errors = sum(p.severity == "error" for p in err.problems)
        err_console.print(
            f"error: {err.file}: {errors} error(s); nothing written", markup=False, highlight=False
        )
        raise typer.Exit(1) from err


def print_report(report: ImportReport, updated_word: str = "revised") -> None:
    for problem in report.problems:
        if problem.severity == "warning":
            err_console.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)
    parts = [
        f"{report.added} added",
        f"{report.revised} {updated_word}",
        f"{report.unchanged} unchanged",
    ]
    if report.historical:
        parts.append(f"{report.historical} kept as history (older vintage)")
    console.print(
        f"{report.file}: {report.read} {report.kind} read; " + ", ".join(parts),
        markup=False,
        highlight=False,
    )
    if report.simulated:
        console.print(
            "note: the file holds simulated values (source 'simulated'); they are shown as 演示数据",
            markup=False,
        )
