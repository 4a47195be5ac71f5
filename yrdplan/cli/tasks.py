"""`yrdplan tasks …` and `yrdplan completion`: responsibility checklists, assignments, rates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yrdplan.analytics.completion import COMPLETION_DEFINITION
from yrdplan.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    console,
    open_database,
    print_json,
    print_rows,
)
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import InputError
from yrdplan.reports.task_text import status_label
from yrdplan.services import checklists, completion, delivery_settings, task_edits
from yrdplan.services import tasks as task_service
from yrdplan.services.arguments import parse_iso_date
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.web.views import tasks as task_views

app = typer.Typer(
    help="Tasks: responsibility checklists in Excel, assignments, sub-tasks, statuses.",
    no_args_is_help=True,
)

PlanOption = Annotated[str, typer.Option("--plan", help="Plan id or code.")]
TASK_COLUMNS = [
    "id",
    "label",
    "title",
    "lead_unit",
    "supporting_units",
    "deadline",
    "status",
    "percent",
]


AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Compute statuses as of this date (YYYY-MM-DD; default today)."),
]
MarginOption = Annotated[
    float | None,
    typer.Option(
        "--margin",
        help="Lagging margin in percentage points (default: the stored one, see `tasks margin`).",
    ),
]


@app.command("list")
def list_(
    plan: PlanOption,
    unit: Annotated[
        str | None, typer.Option(help="Only tasks this unit leads or supports.")
    ] = None,
    area: Annotated[str | None, typer.Option(help="Only tasks of this area (plan part).")] = None,
    status: Annotated[str | None, typer.Option(help="Only tasks with this status code.")] = None,
    due_by: Annotated[
        str | None, typer.Option("--due-by", help="Only tasks due on or before this date.")
    ] = None,
    as_of: AsOfOption = None,
    margin: MarginOption = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List a plan's tasks with lead and supporting units, deadline, status and percent."""
    filters = task_service.TaskFilter(
        area=area, unit=unit, status=status, due_by=parse_iso_date(due_by, "--due-by")
    )
    with open_database(db) as database, database.read() as session:
        rows = task_service.task_rows(
            session,
            plan,
            filters=filters,
            as_of=parse_iso_date(as_of, "--as-of"),
            margin=margin,
            user=SYSTEM_CALLER,
        )
    if fmt is OutputFormat.table:
        for row in rows:
            row["supporting_units"] = "、".join(row["supporting_units"])
            row["status"] = status_label(row["status"], "zh")
            row["deadline"] = row["deadline"] or row["deadline_note"]
    print_rows(rows, TASK_COLUMNS, fmt, title="Tasks")


@app.command("show")
def show(
    task: Annotated[str, typer.Argument(help="Task id, or key / 序号 with --plan.")],
    plan: Annotated[str | None, typer.Option("--plan", help="Plan id or code.")] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Show one task as JSON: assignment, status and its rule, reports, history."""
    with open_database(db) as database, database.read() as session:
        found = task_service.find_task(session, task, plan)
        page = task_views.task_page(
            session, SYSTEM_CALLER, found.id, as_of=parse_iso_date(as_of, "--as-of")
        )
    # The same answer as GET /api/tasks/{id}.
    print_json(page.model_dump(mode="json"))


@app.command("export")
def export(
    plan: PlanOption,
    xlsx: Annotated[Path, typer.Option("--xlsx", help="The .xlsx file to write.")],
    unit: Annotated[
        str | None, typer.Option(help="Only this unit's part (tasks it leads or supports).")
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Write a plan's responsibility checklist (责任清单) as Excel."""
    with open_database(db) as database, database.read() as session:
        count = checklists.export_checklist(
            session,
            plan,
            xlsx,
            unit=unit,
            as_of=parse_iso_date(as_of, "--as-of"),
            user=SYSTEM_CALLER,
        )
    console.print(f"Wrote {count} tasks to {xlsx}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A filled-in checklist (.xlsx).")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="Plan id or code (default: named in the file).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and show the changes; write nothing.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Apply a filled-in checklist: all of it, or nothing when any row has an error."""
    options = ImportOptions(plan=plan)
    with open_database(db) as database:
        if dry_run:
            with database.read() as session:  # closed without commit: nothing is kept
                report = import_file(session, SYSTEM_CALLER, "checklists", file, options)
                session.rollback()
        else:
            with database.write() as session:
                report = import_file(session, SYSTEM_CALLER, "checklists", file, options)
    result = report.detail
    if fmt is OutputFormat.json:
        print_json(result.to_dict())
        return
    verb = "Would change" if dry_run else "Changed"
    console.print(
        f"{verb} {result.tasks_changed} of {result.rows} tasks in {result.plan}"
        + (f", added {len(result.created)}" if result.created else "")
    )
    if result.changed:
        print_rows(result.changed, ["row", "label", "field", "old", "new"], OutputFormat.table)
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)


@app.command("assign")
def assign(
    task: Annotated[str, typer.Argument(help="Task id, or key / 序号 with --plan.")],
    plan: Annotated[str | None, typer.Option("--plan", help="Plan id or code.")] = None,
    lead: Annotated[
        str | None, typer.Option(help="Lead unit (name, code or id; '' clears).")
    ] = None,
    support: Annotated[
        list[str] | None, typer.Option(help="Supporting unit; repeat. Replaces the list.")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option(help="Deadline: 2025-12-31, 2025年底, or 长期坚持 for none.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="Start date (YYYY-MM-DD).")] = None,
    milestone: Annotated[
        list[str] | None, typer.Option(help="Milestone '2025-06-30：text'; repeat. Replaces.")
    ] = None,
    suspend: Annotated[
        bool | None, typer.Option("--suspend/--resume", help="Suspend or resume the task.")
    ] = None,
    major: Annotated[
        bool | None, typer.Option("--major/--not-major", help="Mark as a major project.")
    ] = None,
    planned_investment: Annotated[
        float | None, typer.Option(help="Planned investment (亿元).")
    ] = None,
    actual_investment: Annotated[
        float | None, typer.Option(help="Actual investment (亿元).")
    ] = None,
    location: Annotated[str | None, typer.Option(help="Location region code.")] = None,
    upper: Annotated[
        int | None, typer.Option(help="Id of the higher plan's task this one decomposes.")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Fail if the task's row_version is no longer this.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Assign units, deadline, milestones and project data to one task."""
    options = {
        "lead_unit": lead,
        "supporting_units": support,
        "deadline": deadline,
        "start_date": start,
        "milestones": "\n".join(milestone) if milestone is not None else None,
        "is_suspended": suspend,
        "is_major_project": major,
        "planned_investment": planned_investment,
        "actual_investment": actual_investment,
        "location_code": location,
        "upper_task_id": upper,
    }
    change = task_edits.TaskUpdate.from_fields(
        {name: value for name, value in options.items() if value is not None}
    )
    with open_database(db) as database, database.write() as session:
        found = task_service.find_task(session, task, plan)
        task_edits.update_task(
            session, found.id, change, expected_version=version, user=SYSTEM_CALLER
        )
        task_id, changed = found.id, change.changed
    console.print(
        f"Task {task_id}: " + (", ".join(changed) + " changed" if changed else "no change")
    )


@app.command("split")
def split(
    task: Annotated[str, typer.Argument(help="Task id, or key / 序号 with --plan.")],
    title: Annotated[str, typer.Argument(help="The sub-task's title.")],
    plan: Annotated[str | None, typer.Option("--plan", help="Plan id or code.")] = None,
    lead: Annotated[str | None, typer.Option(help="Lead unit.")] = None,
    support: Annotated[list[str] | None, typer.Option(help="Supporting unit; repeat.")] = None,
    deadline: Annotated[
        str | None, typer.Option(help="Deadline: 2025-12-31, 2025年底, or 长期坚持 for none.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Split a task: add a sub-task under it (its progress rolls up into the task)."""
    options = {"lead_unit": lead, "supporting_units": support, "deadline": deadline}
    change = task_edits.TaskUpdate.from_fields(
        {name: value for name, value in options.items() if value}
    )
    with open_database(db) as database, database.write() as session:
        parent = task_service.find_task(session, task, plan)
        sub = task_edits.add_subtask(session, parent.id, title, change=change, user=SYSTEM_CALLER)
        sub_id, key = sub.id, sub.key
    console.print(f"Added sub-task {sub_id} ({key})")


@app.command("margin")
def margin(
    value: Annotated[
        float | None, typer.Argument(help="New margin in percentage points; omit to show it.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Show or set the lagging margin: how far progress may trail time elapsed."""
    with open_database(db) as database, database.write() as session:
        if value is not None:
            delivery_settings.set_lagging_margin(session, value, user=SYSTEM_CALLER)
        current = delivery_settings.lagging_margin(session)
    console.print(f"lagging margin: {current:g} percentage points")


def completion_command(
    plan: Annotated[
        str | None, typer.Option("--plan", help="Plan id or code (all plans when omitted).")
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help=f"Group by: {', '.join(completion.GROUPINGS)}.")
    ] = "plan",
    over_time: Annotated[
        bool,
        typer.Option("--over-time", help="The plan's rate at each cycle's due date and today."),
    ] = False,
    as_of: AsOfOption = None,
    margin: MarginOption = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Completion rates by plan, area, unit, region or round (the definition is printed)."""
    with open_database(db) as database, database.read() as session:
        if over_time:
            if plan is None:
                raise InputError("--over-time needs --plan")
            rows = completion.completion_trend(session, plan)
        else:
            rows = completion.completion_rows(
                session, plan, by, as_of=parse_iso_date(as_of, "--as-of"), margin=margin
            )
    columns = ["group", "total", "completed", "suspended", "rate"]
    if over_time:
        columns.insert(0, "as_of")
    if fmt is OutputFormat.table:
        shown = [{**r, "rate": "—" if r["rate"] is None else f"{r['rate']:.1%}"} for r in rows]
        print_rows(shown, columns, fmt, title=f"Completion by {'date' if over_time else by}")
        console.print(COMPLETION_DEFINITION["zh"], markup=False, highlight=False)
        return
    print_rows(rows, columns, fmt)
