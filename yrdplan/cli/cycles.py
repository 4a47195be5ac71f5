"""`yrdplan cycles …`: reporting cycles (调度), progress reports, review, completeness.

``submit``, ``accept`` and ``return`` act as a named user (``--as``), with that user's rights:
a unit reporter submits only for its own unit's tasks, only the office or an admin reviews,
and the audit log records that user.
"""

from __future__ import annotations

from pathlib import Path
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
from yrdplan.domain.tasks import CYCLE_KINDS
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services import cycles as cycle_service
from yrdplan.services import reminders as reminder_service
from yrdplan.services import tasks as task_service
from yrdplan.services.arguments import parse_iso_date
from yrdplan.settings import load_settings
from yrdplan.store.audit import Actor
from yrdplan.store.repos import users as user_repo

app = typer.Typer(
    help="Reporting cycles (调度): open, close, submit, review, completeness.",
    no_args_is_help=True,
)

AsUser = Annotated[str, typer.Option("--as", help="Act as this user (with their rights).")]


def _user(session, username: str):
    row = user_repo.find_user(session, username)
    if row is None or not row.is_active:
        raise NotFoundError(f"no active user {username!r}")
    return user_repo.to_info(session, row)


@app.command("list")
def list_(
    plan: Annotated[str | None, typer.Option("--plan", help="Plan id or code.")] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List reporting cycles, newest first."""
    with open_database(db) as database, database.read() as session:
        rows = cycle_service.list_cycles(session, plan)
    print_rows(rows, ["id", "plan", "name", "kind", "opens_on", "due_on", "status"], fmt)


@app.command("open")
def open_(
    plan: Annotated[str, typer.Option("--plan", help="Plan id or code.")],
    name: Annotated[str, typer.Option(help="E.g. 2026年第四季度调度.")],
    due: Annotated[str, typer.Option(help="Due date (YYYY-MM-DD).")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(CYCLE_KINDS)}.")] = "monthly",
    opens: Annotated[str | None, typer.Option(help="Opening date (default today).")] = None,
    db: DbOption = None,
) -> None:
    """Open a reporting cycle for a plan."""
    with open_database(db) as database, database.write() as session:
        # Read as the cycles page's form and POST /api/cycles read it, with the same refusals.
        given = {"plan": plan, "name": name, "due_on": due, "kind": kind, "opens_on": opens}
        cycle = cycle_service.open_cycle(
            session, **cycle_service.cycle_fields(given), user=SYSTEM_CALLER
        )
        cycle_id = cycle.id
    console.print(f"Opened cycle {cycle_id}: {name}, due {due}")


@app.command("close")
def close(cycle: Annotated[int, typer.Argument(help="Cycle id.")], db: DbOption = None) -> None:
    """Close a cycle: units can no longer submit."""
    with open_database(db) as database, database.write() as session:
        cycle_service.close_cycle(session, cycle, user=SYSTEM_CALLER)
    console.print(f"Closed cycle {cycle}")


@app.command("completeness")
def completeness(
    cycles: Annotated[list[int] | None, typer.Argument(help="Cycle ids (default: all).")] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="Cycles of this plan.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge as of (default today).")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Expected, submitted, on time, late, missing and pending reports per unit and cycle."""
    with open_database(db) as database, database.read() as session:
        ids = cycles or [c["id"] for c in cycle_service.list_cycles(session, plan)]
        rows = cycle_service.completeness(session, ids, as_of=parse_iso_date(as_of, "--as-of"))
    columns = ["cycle", "unit", "expected", "submitted", "on_time", "late", "missing", "pending"]
    print_rows(rows, columns, fmt, title="Reporting completeness")


@app.command("reminders")
def reminders(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge as of (default today).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the list to a .xlsx or .csv file.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Units that still owe reports in open cycles due within the reminder days, or overdue."""
    with open_database(db) as database, database.read() as session:
        data = reminder_service.office_reminders(
            session, SYSTEM_CALLER, today=parse_iso_date(as_of, "--as-of")
        )
    if out is not None:
        _, content = reminder_service.reminders_file(data["rows"], out.suffix.lstrip(".").lower())
        out.write_bytes(content)
        console.print(f"Wrote {len(data['rows'])} reminders to {out}")
        return
    if not data["enabled"]:
        console.print("Reporting reminders are off (settings: reminders.enabled).")
        return
    columns = ["cycle", "due_on", "days_left", "unit_code", "unit", "contact", "owed"]
    title = f"Reports owed, due within {data['days_before']} days or overdue"
    print_rows(data["rows"], columns, fmt, title=title)


@app.command("reports")
def reports(
    cycle: Annotated[int | None, typer.Option(help="Only this cycle.")] = None,
    task: Annotated[int | None, typer.Option(help="Only this task (id).")] = None,
    state: Annotated[
        str | None, typer.Option(help="Only this review state: submitted, accepted, returned.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List progress reports."""
    with open_database(db) as database, database.read() as session:
        rows = cycle_service.list_reports(
            session, SYSTEM_CALLER, cycle_id=cycle, task_id=task, review_state=state
        )
    columns = ["id", "cycle", "task_id", "unit", "status", "percent", "review_state", "blockers"]
    print_rows(rows, columns, fmt, title="Progress reports")


@app.command("submit")
def submit(
    as_user: AsUser,
    cycle: Annotated[int, typer.Option(help="Cycle id.")],
    task: Annotated[str, typer.Option(help="Task id (or key / 序号 with --plan).")],
    status: Annotated[
        str, typer.Option(help=f"One of: {', '.join(cycle_service.REPORTABLE_STATUSES)}.")
    ],
    percent: Annotated[float, typer.Option(help="Percent done, 0–100.")],
    narrative: Annotated[str, typer.Option(help="What was done.")] = "",
    blockers: Annotated[str, typer.Option(help="Blockers needing coordination (难点堵点).")] = "",
    evidence: Annotated[
        list[Path] | None, typer.Option(help="Evidence file (pdf, docx, xlsx, jpg, png, txt).")
    ] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="Plan of a task key.")] = None,
    version: Annotated[
        int | None, typer.Option(help="row_version of the report being resubmitted.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Submit (or resubmit) a unit's progress report on a task."""
    uploads = []
    for path in evidence or []:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        uploads.append(cycle_service.Upload(path.name, path.read_bytes()))
    max_bytes = load_settings().max_upload_mb * 1_048_576
    with open_database(db) as database:
        with database.read() as session:
            user = _user(session, as_user)
        with database.write(Actor(user.id, user.username)) as session:
            found = task_service.find_task(session, task, plan)
            report = cycle_service.submit_report(
                session,
                cycle_service.ReportIn(cycle, found.id, status, percent, narrative, blockers),
                user=user,
                uploads=uploads,
                max_bytes=max_bytes,
                expected_version=version,
            )
            report_id = report.id
    console.print(f"Submitted report {report_id}")


def _review(as_user: str, report: int, accept: bool, comment: str, db: str | None) -> None:
    with open_database(db) as database:
        with database.read() as session:
            user = _user(session, as_user)
        with database.write(Actor(user.id, user.username)) as session:
            cycle_service.review_report(session, report, accept=accept, comment=comment, user=user)
    console.print(f"Report {report} {'accepted' if accept else 'returned'}")


@app.command("accept")
def accept(
    report: Annotated[int, typer.Argument(help="Report id.")],
    as_user: AsUser,
    comment: Annotated[str, typer.Option(help="An optional comment.")] = "",
    db: DbOption = None,
) -> None:
    """Accept a report (it is then locked and updates the task)."""
    _review(as_user, report, True, comment, db)


@app.command("return")
def return_(
    report: Annotated[int, typer.Argument(help="Report id.")],
    as_user: AsUser,
    comment: Annotated[str, typer.Option(help="Why it is returned (required).")],
    db: DbOption = None,
) -> None:
    """Return a report to its unit with a comment; the unit may resubmit."""
    _review(as_user, report, False, comment, db)
