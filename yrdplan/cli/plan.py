"""`yrdplan plan …`: plan documents — parse, import as a draft, confirm, revise, diff, link."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

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
from yrdplan.domain.plans import PLAN_KINDS, ParsedPlan
from yrdplan.errors import InputError
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.services.plans import (
    active_user,
    confirm_version,
    diff_versions,
    import_baselines,
    list_baselines,
    list_plans_public,
    suggest_plan_links,
)

app = typer.Typer(
    help="Plan documents: parse, import, confirm, revise, compare and link plans.",
    no_args_is_help=True,
)


class ParseFormat(StrEnum):
    table = "table"
    json = "json"


FileArgument = Annotated[
    Path,
    typer.Argument(
        help="A plan document: .txt (any common encoding), .html, .docx, .pdf (with a text layer) "
        "or .ofd.",
        show_default=False,
    ),
]


@app.command("parse")
def parse(
    file: FileArgument,
    fmt: Annotated[
        ParseFormat,
        typer.Option("--format", "-f", help="json: the documented JSON; table: a tree."),
    ] = ParseFormat.table,
) -> None:
    """Show a plan's structure, targets and problems without writing anything."""
    plan = parse_plan(file)  # InputError reaches the CLI root as a one-line message
    if fmt is ParseFormat.json:
        print_json(plan.to_json_dict())
    else:
        render_plan(plan)


def render_plan(plan: ParsedPlan) -> None:
    """Print a parsed plan for a person: the node tree, then targets and problems."""
    console.print(_node_tree(plan))
    if plan.targets:
        console.print(_targets_table(plan))
    if plan.baselines:
        console.print(_baselines_table(plan))
    if plan.problems:
        console.print(_problems_table(plan))


def _node_tree(plan: ParsedPlan) -> Tree:
    meta = " · ".join(x for x in (plan.issuer, plan.date, plan.source_name) if x)
    root = Tree(f"[bold]{_escape(plan.title)}[/bold]  [dim]{_escape(meta)}[/dim]")
    branches: dict[str, Tree] = {}
    for node in plan.nodes:
        parent = branches.get(node.parent, root) if node.parent else root
        label = f"{node.label} " if node.label else ""
        branches[node.id] = parent.add(
            f"{_escape(label + node.title)}  [dim]{node.id} {node.kind} {node.start}–{node.end}[/dim]"
        )
    return root


def _targets_table(plan: ParsedPlan) -> Table:
    table = Table(title=f"Targets ({len(plan.targets)})")
    columns = ("node", "indicator", "code", "comparator", "value", "unit", "year", "source", "kind")
    for column in columns:
        table.add_column(column)
    for t in plan.targets:
        value = _number(t.value) + (f"–{_number(t.value_high)}" if t.value_high is not None else "")
        if t.relative_change is not None:
            value = f"{t.relative_change:+.0%} vs {t.base_year}"
        table.add_row(
            t.node or "",
            t.indicator,
            t.indicator_code or "",
            t.comparator,
            value,
            t.unit,
            str(t.year or ""),
            t.standard or (f"table {t.table}" if t.table else ""),
            t.kind or "",
        )
    return table


def _baselines_table(plan: ParsedPlan) -> Table:
    table = Table(title=f"Baselines: past values, not targets ({len(plan.baselines)})")
    for column in ("node", "indicator", "code", "value", "unit", "year", "source"):
        table.add_column(column)
    for b in plan.baselines:
        value = _number(b.value)
        if b.relative_change is not None:
            value = f"{b.relative_change:+.0%}"
        if b.base_year is not None:
            value += f" vs {b.base_year}"
        table.add_row(
            b.node or "",
            b.indicator,
            b.indicator_code or "",
            value,
            b.unit,
            str(b.year or ""),
            f"table {b.table}" if b.table else "text",
        )
    return table


def _problems_table(plan: ParsedPlan) -> Table:
    table = Table(title=f"Problems ({len(plan.problems)})")
    for column in ("kind", "severity", "where", "message"):
        table.add_column(column)
    for p in plan.problems:
        where = f"{p.start}–{p.end}" if p.start is not None else ""
        table.add_row(p.kind, p.severity, where, p.message)
    return table


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _escape(text: str) -> str:
    # Plan text is full of square brackets (【…】, [打印]) that Rich would read as markup.
    return escape(text)


# --- stored plans -------------------------------------------------------------------------------

PLAN_COLUMNS = ["id", "code", "title", "kind", "region", "version", "status"]


@app.command("import")
def import_(
    file: FileArgument,
    kind: Annotated[
        str, typer.Option(help=f"One of: {', '.join(PLAN_KINDS)}.")
    ] = "implementation_plan",
    region: Annotated[
        str | None, typer.Option(help="Region code the plan is for, e.g. 320100.")
    ] = None,
    parent: Annotated[
        str | None, typer.Option(help="Id or code of the plan this one implements.")
    ] = None,
    code: Annotated[
        str | None,
        typer.Option(help="Plan code; an existing code imports a revised edition (new version)."),
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="Title, when the document's own is not the one to use.")
    ] = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Confirm at once instead of leaving a draft.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Import a plan document as a draft (or a new version of plan --code) and show what changed."""
    options = ImportOptions(plan=code, plan_kind=kind, title=title, region=region, parent=parent)
    with open_database(db) as database, database.write() as session:
        report = import_file(session, SYSTEM_CALLER, "plans", file, options)
        result = report.detail
        if confirm:
            confirm_version(session, result.code, result.version, user=SYSTEM_CALLER)
    console.print(
        f"Imported {file} as plan {result.code} (id {result.plan_id}) version {result.version}"
        f"{' (confirmed)' if confirm else ' (draft)'}: {result.nodes} nodes, {result.tasks} tasks, "
        f"{result.targets} targets, {result.problems} problems, {report.baselines} baselines"
    )
    if result.diff is not None:
        _print_diff(result.diff)


@app.command("list")
def list_(fmt: FormatOption = OutputFormat.table, db: DbOption = None) -> None:
    """List stored plans."""
    with open_database(db) as database, database.read() as session:
        rows = list_plans_public(session)
    print_rows(rows, PLAN_COLUMNS, fmt, title="Plans")


@app.command("confirm")
def confirm_(
    plan: Annotated[str, typer.Argument(help="Plan id or code.")],
    version: Annotated[
        int | None, typer.Option(help="Version to confirm (default: the newest).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Confirm a draft: its task nodes become tracked tasks, its targets become targets."""
    with open_database(db) as database, database.write() as session:
        summary = confirm_version(session, plan, version, user=SYSTEM_CALLER)
    console.print(
        f"Confirmed {summary['plan']} version {summary['version']}: {summary['tasks_created']} tasks created, "
        f"{summary['tasks_updated']} updated, {summary['tasks_dropped']} dropped, {summary['targets']} targets written"
    )


@app.command("diff")
def diff(
    plan: Annotated[str, typer.Argument(help="Plan id or code.")],
    old: Annotated[int, typer.Option("--from", help="Old version.")],
    new: Annotated[int, typer.Option("--to", help="New version.")],
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """What a revision changed: tasks and targets added, removed, changed."""
    with open_database(db) as database, database.read() as session:
        result = diff_versions(session, plan, old, new).to_dict()
    if fmt is OutputFormat.json:
        print_json(result)
    else:
        _print_diff(result)


@app.command("link")
def link(
    plan: Annotated[str, typer.Argument(help="The lower plan (id or code).")],
    upper: Annotated[
        str | None, typer.Option(help="The higher plan (default: its parent).")
    ] = None,
    top: Annotated[int, typer.Option(help="Suggestions per task.")] = 2,
    min_score: Annotated[float, typer.Option(help="Lowest similarity suggested (0–1).")] = 0.1,
    db: DbOption = None,
) -> None:
    """Suggest links from a plan's tasks to the nodes of the plan above it (confirm them on the web)."""
    with open_database(db) as database, database.write() as session:
        links = suggest_plan_links(session, plan, upper, top_k=top, min_score=min_score)
        rows = [
            {
                "id": x.id,
                "lower_node": x.lower_node_id,
                "upper_node": x.upper_node_id,
                "score": x.score,
            }
            for x in links
        ]
    print_rows(
        rows,
        ["id", "lower_node", "upper_node", "score"],
        OutputFormat.table,
        title="New link suggestions",
    )


def _print_diff(diff: dict) -> None:
    for what in ("nodes", "targets"):
        part = diff[what]
        console.print(
            f"{what}: {len(part['added'])} added, {len(part['removed'])} removed, {len(part['changed'])} changed"
        )
        for item in part["added"]:
            console.print(f"  [green]+[/green] {_escape(_describe(item))}")
        for item in part["removed"]:
            console.print(f"  [red]-[/red] {_escape(_describe(item))}")
        for item in part["changed"]:
            fields = "; ".join(
                f"{c['field']}: {short_change(c['old'], c['new'])}" for c in item["changes"]
            )
            console.print(
                f"  [yellow]~[/yellow] {_escape(str(item.get('path') or item.get('indicator')))}: {_escape(fields)}"
            )


def short_change(old: object, new: object, context: int = 12) -> str:
    """``old → new`` for short values; for long texts only the changed stretch with some context.

    >>> short_change("1", "2")
    "'1' → '2'"
    >>> text = "研发投入强度达到{}%以上，" + "科技进步贡献率达到70%以上，" * 3
    >>> short_change(text.format("3.2"), text.format("3.5"), context=4)
    '…达到3.[2 → 5]%以上，…'
    """
    if not (isinstance(old, str) and isinstance(new, str)) or max(len(old), len(new)) <= 40:
        return f"{old!r} → {new!r}"
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = max(head - context, 0)
    prefix = ("…" if start else "") + old[start:head]
    suffix = old[len(old) - tail : len(old) - tail + context] + ("…" if tail > context else "")
    return f"{prefix}[{old[head : len(old) - tail]} → {new[head : len(new) - tail]}]{suffix}"


def _describe(item: dict) -> str:
    if "indicator" in item:
        return f"{item['indicator']} {item.get('comparator', '')} {item.get('value')} {item.get('unit', '')} ({item.get('year')})"
    return f"{item.get('label', '')} {item.get('title', '')}".strip()


BASELINE_COLUMNS = [
    "id",
    "indicator",
    "indicator_code",
    "value",
    "unit",
    "year",
    "base_year",
    "table",
    "skip",
]


@app.command("baselines")
def baselines(
    plan: Annotated[str, typer.Argument(help="Plan id or code.")],
    version: Annotated[
        int | None, typer.Option(help="Version (default: the one in force).")
    ] = None,
    import_: Annotated[
        bool,
        typer.Option(
            "--import",
            help="Write the importable ones into the observations of the plan's region.",
        ),
    ] = False,
    as_user: Annotated[
        str | None, typer.Option("--as", help="With --import: act as this user (their rights).")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """A version's baselines (past values the plan states); --import makes them observations."""
    with open_database(db) as database:
        if import_:
            if not as_user:
                raise InputError("--import writes observations: name the user with --as NAME")
            with database.write() as session:
                user = active_user(session, as_user)
                summary = import_baselines(session, user, plan, version)
            skipped = ", ".join(f"{n} ({why})" for why, n in summary["skipped"].items())
            console.print(
                f"Baselines of {summary['plan']} version {summary['version']}: "
                f"{summary['added']} observations added, {summary['revised']} revised, "
                f"{summary['unchanged']} unchanged; skipped: {skipped or 'none'}"
            )
            return
        with database.read() as session:
            rows = list_baselines(session, plan, version)
    print_rows(rows, BASELINE_COLUMNS, fmt, title="Baselines")
