"""Responsibility checklists (责任清单) in Excel: export a plan (or one unit's part), import it back.

The hidden column 任务编号 carries ``<plan code>:<task key>``, so a returned file names its plan
and matches its rows to tasks however they were sorted. An import is all-or-nothing: any error
(each naming sheet, row, column and value) and nothing is written. An unchanged export imports
as no change at all — not one audit row — because every value is stored in the form the file
reads back (see ``ingest.free_text``).

What an import changes: lead and supporting units, deadline (or standing-task note), milestones
(阶段目标, one per line, ``2025-12-31：…``), progress text (进展情况) and suspension (状态
暂停实施 on or off). Any other 状态 is computed, never stored: a different claim in the file is
reported as a warning. 任务 and 序号 come from the plan text and are not changed either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.problems import Problem, errors_of
from yrdplan.domain.tasks import TASK_STATUS_LABELS_ZH, ChecklistRow
from yrdplan.errors import InputError, PermissionDenied
from yrdplan.ingest.checklist_xlsx import (
    CHECKLIST_SHEET,
    UnitMatcher,
    read_checklist,
)
from yrdplan.ingest.free_text import normalise_milestone
from yrdplan.ingest.source import Readable, as_source
from yrdplan.reports.checklist_xlsx import write_checklist
from yrdplan.services import task_edits
from yrdplan.services import tasks as task_service
from yrdplan.services.callers import require_caller, require_manager
from yrdplan.services.import_report import ImportFailed
from yrdplan.services.units import matching_names, resolve_in_plan
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import Plan, Task, Unit

KEY_SEPARATOR = ":"


class ChecklistRejected(ImportFailed):
    """An import with errors; ``problems`` lists every one (the message, the first few).

    The import failure of every kind, with the checklist's own wording."""

    def __init__(self, problems: list[Problem]):
        self.file = next((p.file for p in problems if p.file), "checklist")
        self.problems = problems
        errors = errors_of(problems)
        shown = "; ".join(str(p) for p in errors[:5])
        more = f"; … {len(errors) - 5} more" if len(errors) > 5 else ""
        InputError.__init__(self, f"checklist not imported, {len(errors)} error(s): {shown}{more}")


# --- milestones as text -----------------------------------------------------------------------


def milestones_text(rows: list[dict]) -> str:
    """Milestones as the 阶段目标 cell: one per line, dated ones as ``YYYY-MM-DD：title``."""
    return "\n".join(
        f"{m['due_date'].isoformat()}：{m['title']}" if m["due_date"] else m["title"] for m in rows
    )


def parse_milestones(text: str) -> list[task_edits.MilestoneIn]:
    return task_edits.TaskUpdate.from_fields({"milestones": text}).milestones


# --- export -----------------------------------------------------------------------------------


def checklist_rows(
    session: Session, plan: Plan, *, unit: str | None = None, as_of: date | None = None
) -> list[ChecklistRow]:
    """The plan's tasks (or those ``unit`` leads or supports) as checklist rows, in plan order."""
    tasks = task_repo.tasks_of_plan(session, plan.id)
    if unit:
        unit_id = resolve_in_plan(session, plan.id, unit).id
        mine = task_repo.task_ids_of_unit(session, unit_id)
        tasks = [t for t in tasks if t.id in mine]
    ordered = [t for t, _ in task_service.tree_order(tasks)]
    evaluated = task_service.evaluate(session, ordered, as_of=as_of)
    rows = task_service.describe_tasks(session, ordered, evaluated, {plan.id: plan})
    headings = task_repo.node_headings(session, [t.node_id for t in ordered if t.node_id])
    by_id = {t.id: t for t in ordered}
    result = []
    for task, row in zip(ordered, rows, strict=True):
        result.append(
            ChecklistRow(
                label=task.label,
                title=task.title,
                lead_unit=row["lead_unit"] or "",
                supporting_units=row["supporting_units"],
                deadline=task.deadline,
                deadline_note=task.deadline_note or "",
                milestones=milestones_text(row["milestones"]),
                progress=task.progress_text or "",
                status=row["status"],
                task_key=f"{plan.code}{KEY_SEPARATOR}{task.key}",
                group_path=_group_path(task, by_id, headings),
            )
        )
    return result


def _group_path(task: Task, by_id: dict[int, Task], headings: dict) -> tuple[str, ...]:
    top = task
    while top.parent_task_id in by_id:
        top = by_id[top.parent_task_id]
    if top.node_id in headings:
        return headings[top.node_id]
    return (task.area,) if task.area else ()


def exportable_unit(session: Session, user: UserInfo | None, unit: str | None) -> str | None:
    """The checklist part ``user`` may export when asking for ``unit`` (None: the whole plan)."""
    user = require_caller(user)
    if user.role == "unit_reporter":
        own = task_service.unit_by_id(session, user.unit_id)
        if own is None:
            raise PermissionDenied("your account belongs to no unit")
        return own.code
    if not (user.can_manage or user.role in ("viewer", "data_steward")):
        raise PermissionDenied("you may not export checklists")
    return unit


def export_checklist(
    session: Session,
    plan_ref: str | int,
    target: str | os.PathLike[str] | BinaryIO,
    *,
    user: UserInfo,
    unit: str | None = None,
    as_of: date | None = None,
    today: date | None = None,
) -> int:
    """Write the checklist workbook; returns the number of task rows.

    A unit reporter gets its own unit's part only, whatever ``unit`` asks for; the office, an
    admin, viewers and data stewards may export any part.
    """
    unit = exportable_unit(session, user, unit)
    plan = plan_repo.find_plan(session, plan_ref)
    rows = checklist_rows(session, plan, unit=unit, as_of=as_of)
    part = ""
    if unit:
        part = f"（{resolve_in_plan(session, plan.id, unit).name}）"
    write_checklist(
        rows,
        target,
        title=f"{plan.title} 重点任务责任清单{part}",
        plan_label=f"{plan.title}（{plan.code}，第{plan.current_version}版）",
        today=today,
    )
    return len(rows)


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    plan: str
    rows: int
    changed: list[dict] = field(default_factory=list)  # one per changed field
    created: list[str] = field(default_factory=list)  # keys of new tasks
    warnings: list[Problem] = field(default_factory=list)

    @property
    def tasks_changed(self) -> int:
        return len({c["key"] for c in self.changed})

    def to_dict(self) -> dict:
        return {
            "plan": self.plan,
            "rows": self.rows,
            "tasks_changed": self.tasks_changed,
            "tasks_created": len(self.created),
            "changed": self.changed,
            "created": self.created,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _plan_of_rows(session: Session, rows: list[ChecklistRow], plan_ref: str | int | None) -> Plan:
    codes = {
        r.task_key.split(KEY_SEPARATOR, 1)[0]
        for r in rows
        if r.task_key and KEY_SEPARATOR in r.task_key
    }
    if len(codes) > 1:
        raise InputError(
            f"the checklist mixes tasks of several plans ({', '.join(sorted(codes))}); "
            "import one plan's checklist at a time"
        )
    if plan_ref is not None:
        plan = plan_repo.find_plan(session, plan_ref)
        if codes and codes != {plan.code}:
            raise InputError(f"the checklist is for plan {codes.pop()}, not {plan.code}")
        return plan
    if not codes:
        raise InputError(
            "the checklist names no plan (its hidden 任务编号 column is empty); give --plan"
        )
    return plan_repo.find_plan(session, codes.pop())


def _problem(
    kind: str, message: str, row: int, column: str, value: object, severity="error"
) -> Problem:
    return Problem(
        kind=kind,
        message=message,
        severity=severity,
        sheet=CHECKLIST_SHEET,
        row=row,
        column=column,
        value=None if value is None else str(value),
    )


def import_checklist(
    session: Session,
    source: Readable,
    *,
    plan_ref: str | int | None = None,
    user: UserInfo | None,
    as_of: date | None = None,
    name: str | None = None,
) -> ImportResult:
    """Apply a filled-in checklist (a path or an upload) to the plan's tasks in the caller's
    transaction.

    Raises
    ------
    ChecklistRejected
        With every problem, when the file has any error; nothing is written.
    InputError
        When the plan cannot be told or does not match.
    """
    require_manager(user)
    # Read once without checking units, to learn the plan; then again against its registry.
    source = as_source(source, name)
    first, problems = read_checklist(source, known_units=None)
    if errors_of(problems):
        raise ChecklistRejected(problems)
    plan = _plan_of_rows(session, first, plan_ref)
    names = matching_names(session, plan.id)
    rows, problems = read_checklist(source, known_units=known_names(names))
    if errors_of(problems):
        raise ChecklistRejected(problems)
    numbers = [row.row or number for number, row in enumerate(rows, start=2)]
    tasks = {t.key: t for t in task_repo.tasks_of_plan(session, plan.id)}
    evaluated = task_service.evaluate(session, list(tasks.values()), as_of=as_of)
    result = ImportResult(plan=plan.code, rows=len(rows), warnings=list(problems))
    planned: list[tuple[int, ChecklistRow, Task | None]] = []
    errors: list[Problem] = []
    for number, row in zip(numbers, rows, strict=True):
        task = None
        if row.task_key:
            key = row.task_key.split(KEY_SEPARATOR, 1)[-1]
            task = tasks.get(key)
            if task is None:
                errors.append(
                    _problem(
                        "unknown_task",
                        f"plan {plan.code} has no task {key!r}; clear 任务编号 to add a new task",
                        number,
                        "任务编号",
                        row.task_key,
                    )
                )
        planned.append((number, row, task))
    if errors:
        raise ChecklistRejected(errors + problems)
    for number, row, task in planned:
        if task is None:
            task = _new_task(session, plan, row, tasks)
            result.created.append(task.key)
        else:
            _note_text_edits(result, number, row, task)
        _apply_row(session, plan, row, task, names, evaluated.get(task.id), number, result)
    return result


def known_names(names: dict[str, Unit]) -> list[str]:
    """Names and aliases to match cells against, without aliases the reader would find anyway.

    The reader already matches a unit's own name in its abbreviated forms (市发改委 →
    市发展改革委); an alias that is just such a form would make it look like two units.
    """
    canonical = {unit.id: unit.name for unit in names.values()}
    known = list(dict.fromkeys(canonical.values()))
    for name, unit in names.items():
        if name in known:
            continue
        if UnitMatcher([canonical[unit.id]]).match(name).unit is None:
            known.append(name)
    return known


def _new_task(session: Session, plan: Plan, row: ChecklistRow, tasks: dict[str, Task]) -> Task:
    number = 1
    while f"+{number}" in tasks:
        number += 1
    task = Task(
        plan_id=plan.id,
        key=f"+{number}",
        label=row.label[:32],
        title=row.title,
        area=(row.group_path[0] if row.group_path else "")[:200],
        region_code=plan.region_code,
    )
    session.add(task)
    session.flush()
    tasks[task.key] = task
    return task


def _note_text_edits(result: ImportResult, number: int, row: ChecklistRow, task: Task) -> None:
    for column, written, stored in (
        ("任务", row.title, task.title),
        ("序号", row.label, task.label),
    ):
        if written != stored:
            result.warnings.append(
                _problem(
                    "plan_text_kept",
                    f"{column} comes from the plan text and was not changed (it is “{stored}”)",
                    number,
                    column,
                    written,
                    severity="warning",
                )
            )


def _apply_row(
    session: Session,
    plan: Plan,
    row: ChecklistRow,
    task: Task,
    names: dict,
    evaluated,
    number: int,
    result: ImportResult,
) -> None:
    # A milestone's completion date is not in the file: keep it for the same (title, date).
    done = {
        (m.title, m.due_date): m.completed_on
        for m in task_repo.milestones(session, [task.id]).get(task.id, [])
    }
    milestones = parse_milestones(row.milestones)
    for milestone in milestones:
        title, due = normalise_milestone(milestone.title, milestone.due_date)
        milestone.completed_on = done.get((title, due))
    change = task_edits.TaskUpdate(
        lead_unit=names[row.lead_unit].id if row.lead_unit else None,
        supporting_units=[names[n].id for n in row.supporting_units],
        deadline=row.deadline,
        deadline_note=row.deadline_note,
        milestones=milestones,
        progress_text=row.progress,
    )
    computed = evaluated.status if evaluated else None
    if row.status is not None and row.status != computed:
        # Only suspension is the office's to set here; the other statuses are computed.
        if row.status == "suspended" or computed == "suspended":
            change.is_suspended = row.status == "suspended"
        elif computed:
            result.warnings.append(
                _problem(
                    "status_computed",
                    f"状态 is computed from dates and reviewed reports (now "
                    f"{TASK_STATUS_LABELS_ZH[computed]}); “{TASK_STATUS_LABELS_ZH[row.status]}” "
                    "was not stored — report progress in a reporting cycle instead",
                    number,
                    "状态",
                    TASK_STATUS_LABELS_ZH[row.status],
                    severity="warning",
                )
            )
    before = _snapshot(session, task)
    try:
        changed = task_edits.apply_update(session, task, change)
    except InputError as err:
        raise ChecklistRejected([_problem("bad_row", str(err), number, "", row.title)]) from err
    after = _snapshot(session, task)
    for name in changed:
        result.changed.append(
            {
                "row": number,
                "key": task.key,
                "label": task.label,
                "title": task.title,
                "field": name,
                "old": before[name],
                "new": after[name],
            }
        )


def _snapshot(session: Session, task: Task) -> dict:
    units = task_service.units_of_tasks(session, [task])
    support = task_repo.supporting_units(session, [task.id]).get(task.id, [])
    return {
        "lead_unit": units[task.lead_unit_id].name if task.lead_unit_id in units else None,
        "supporting_units": [units[u].name for u in support if u in units],
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "deadline_note": task.deadline_note,
        "milestones": milestones_text(
            [
                {"title": m.title, "due_date": m.due_date}
                for m in task_repo.milestones(session, [task.id]).get(task.id, [])
            ]
        ),
        "progress_text": task.progress_text,
        "is_suspended": task.is_suspended,
    }
