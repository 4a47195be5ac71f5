"""Tasks as read: their computed statuses, the rows the board, the API and the command line
list, and lookups by id, key or 序号.

Statuses are never stored: :func:`evaluate` computes them from dates and reviewed progress with
``analytics.task_status`` (the rule that fired is kept, to be shown beside the status), after
rolling progress up the task tree (sub-tasks and tasks of lower plans) with
``analytics.completion.roll_up_percent``.

Editing lives in :mod:`yrdplan.services.task_edits`, who may read which task in
:mod:`yrdplan.services.task_access`, the lagging margin in
:mod:`yrdplan.services.delivery_settings`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.analytics.completion import roll_up_percent
from yrdplan.analytics.task_status import STATUS_RULES, compute_statuses
from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import (
    TASK_STATUSES,
)
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services.callers import require_caller
from yrdplan.services.delivery_settings import lagging_margin
from yrdplan.services.task_access import visible_task_ids
from yrdplan.services.units import resolve_in_plan
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import Milestone, Plan, Task, Unit

# --- statuses ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A task's rolled-up progress and computed status, with the rule and the numbers it names."""

    percent: float | None
    status: str
    rule: str
    elapsed_percent: float | None
    reason: dict


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 1)


def evaluate(
    session: Session,
    tasks: list[Task],
    *,
    as_of: date | None = None,
    margin: float | None = None,
    tree: list[Task] | None = None,
) -> dict[int, Evaluated]:
    """Statuses of ``tasks`` (and of every task below them), keyed by task id.

    Progress rolls up from sub-tasks and from tasks of lower plans that decompose a task.
    A task's start is its own start date, else the date its plan was issued. ``tree``: the
    tasks with everything below them (``task_repo.task_tree``), when the caller has it already.
    """
    if not tasks:
        return {}
    as_of = as_of or date.today()
    margin = lagging_margin(session) if margin is None else margin
    tree = task_repo.task_tree(session, tasks) if tree is None else tree
    index = {t.id: i for i, t in enumerate(tree)}

    def parent_of(task: Task) -> int:
        for link in (task.parent_task_id, task.upper_task_id):
            if link in index:
                return index[link]
        return -1

    parents = np.array([parent_of(t) for t in tree], dtype=np.intp)
    weights = np.array([0.0 if t.is_suspended else max(t.weight or 0.0, 0.0) for t in tree])
    own = np.array([np.nan if t.percent is None else t.percent for t in tree], dtype=float)
    rolled = roll_up_percent(parents, own, weights)
    plans = task_repo.plans_by_id(session, {t.plan_id for t in tree})
    starts = []
    for task in tree:
        plan = plans.get(task.plan_id)
        start = task.start_date or (plan.issued_on if plan else None)
        if start and task.deadline and task.deadline < start:
            start = None  # a deadline set before the plan was issued: judge by the deadline only
        starts.append(start)
    result = compute_statuses(
        starts,
        [t.deadline for t in tree],
        as_of,
        rolled,
        [t.completed_on for t in tree],
        [t.is_suspended for t in tree],
        margin=margin,
    )
    names = result.names
    reasons = result.reasons()
    return {
        task.id: Evaluated(
            percent=_nan_to_none(rolled[i]),
            status=str(names[i]),
            rule=STATUS_RULES[int(result.rules[i])],
            elapsed_percent=_nan_to_none(result.elapsed_percent[i]),
            reason=reasons[i],
        )
        for i, task in enumerate(tree)
    }


# --- listing ----------------------------------------------------------------------------------


def tree_order(tasks: list[Task]) -> list[tuple[Task, int]]:
    """Tasks with their depth, each parent followed by its sub-tasks (by id)."""
    ids = {t.id for t in tasks}
    children: dict[int | None, list[Task]] = {}
    for task in sorted(tasks, key=lambda t: t.id):
        parent = task.parent_task_id if task.parent_task_id in ids else None
        children.setdefault(parent, []).append(task)
    ordered: list[tuple[Task, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for task in children.get(parent, []):
            ordered.append((task, depth))
            walk(task.id, depth + 1)

    walk(None, 0)
    return ordered


@dataclass
class TaskFilter:
    """What the task board and ``yrdplan tasks list`` may filter on."""

    area: str | None = None
    unit: str | None = None  # unit code, id or name: the lead or a supporting unit
    status: str | None = None
    due_by: date | None = None  # deadline on or before this date


def task_rows(
    session: Session,
    plan_ref: str | int,
    user: UserInfo | None,
    *,
    filters: TaskFilter | None = None,
    as_of: date | None = None,
    margin: float | None = None,
) -> list[dict]:
    """The plan's tasks as the documented rows of ``yrdplan tasks list --format json``.

    The command line (``SYSTEM_CALLER``) sees every task; a unit reporter sees only its unit's
    tasks.
    """
    user = require_caller(user)
    plan = plan_repo.find_plan(session, plan_ref)
    tasks = task_repo.tasks_of_plan(session, plan.id)
    if user is not None:
        visible = visible_task_ids(session, user)
        if visible is not None:
            tasks = [t for t in tasks if t.id in visible]
    evaluated = evaluate(session, tasks, as_of=as_of, margin=margin)
    rows = describe_tasks(session, [t for t, _ in tree_order(tasks)], evaluated, {plan.id: plan})
    depth = {t.id: d for t, d in tree_order(tasks)}
    for row in rows:
        row["depth"] = depth[row["id"]]
    return filter_rows(session, rows, filters or TaskFilter(), plan.id)


def filter_rows(
    session: Session, rows: list[dict], filters: TaskFilter, plan_id: int
) -> list[dict]:
    if filters.status and filters.status not in TASK_STATUSES:
        raise InputError(f"status {filters.status!r} is not one of {', '.join(TASK_STATUSES)}")
    unit_name = resolve_in_plan(session, plan_id, filters.unit).name if filters.unit else None
    kept = []
    for row in rows:
        if filters.area and row["area"] != filters.area:
            continue
        if unit_name and unit_name != row["lead_unit"] and unit_name not in row["supporting_units"]:
            continue
        if filters.status and row["status"] != filters.status:
            continue
        if filters.due_by and not (
            row["deadline"] and row["deadline"] <= filters.due_by.isoformat()
        ):
            continue
        kept.append(row)
    return kept


def describe_tasks(
    session: Session,
    tasks: list[Task],
    evaluated: dict[int, Evaluated],
    plans: dict[int, Plan] | None = None,
) -> list[dict]:
    """Public rows for ``tasks`` (in the order given)."""
    ids = [t.id for t in tasks]
    support = task_repo.supporting_units(session, ids)
    unit_ids = {t.lead_unit_id for t in tasks if t.lead_unit_id} | {
        u for units in support.values() for u in units
    }
    units = task_repo.units_by_id(session, unit_ids)
    plans = plans or {}
    missing = {t.plan_id for t in tasks} - set(plans)
    plans = {**plans, **task_repo.plans_by_id(session, missing)}
    milestones = task_repo.milestones(session, ids)
    return [
        task_public(t, evaluated[t.id], units, support.get(t.id, []), plans[t.plan_id], milestones)
        for t in tasks
    ]


def task_public(
    task: Task,
    ev: Evaluated,
    units: dict[int, Unit],
    support: list[int],
    plan: Plan,
    milestones: dict[int, list[Milestone]] | None = None,
) -> dict:
    lead = units.get(task.lead_unit_id) if task.lead_unit_id else None
    return {
        "id": task.id,
        "plan": plan.code,
        "key": task.key,
        "label": task.label,
        "title": task.title,
        "area": task.area,
        "lead_unit": lead.name if lead else None,
        "lead_unit_code": lead.code if lead else None,
        "supporting_units": [units[u].name for u in support if u in units],
        "supporting_unit_codes": [units[u].code for u in support if u in units],
        "start_date": task.start_date,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "deadline_note": task.deadline_note or "",
        "status": ev.status,
        "status_rule": ev.rule,
        "status_reason": ev.reason,
        "elapsed_percent": ev.elapsed_percent,
        "percent": ev.percent,
        "reported_percent": task.percent,
        "completed_on": task.completed_on,
        "progress": task.progress_text,
        "milestones": [
            {"title": m.title, "due_date": m.due_date, "completed_on": m.completed_on}
            for m in (milestones or {}).get(task.id, [])
        ],
        "parent_task_id": task.parent_task_id,
        "upper_task_id": task.upper_task_id,
        "weight": task.weight,
        "region": task.region_code,
        "is_suspended": task.is_suspended,
        "is_major_project": task.is_major_project,
        "planned_investment": task.planned_investment,
        "actual_investment": task.actual_investment,
        "location_code": task.location_code,
        "row_version": task.row_version,
        "is_simulated": task.is_simulated,
    }


def find_task(session: Session, ref: str | int, plan_ref: str | int | None = None) -> Task:
    """A task by id, or by key or 序号 within a plan."""
    text = str(ref).strip()
    if plan_ref is None:
        if not text.isdigit():
            raise InputError(f"task {text!r}: give a task id, or --plan with a key or 序号")
        return task_repo.get_task(session, int(text))
    plan = plan_repo.find_plan(session, plan_ref)
    task = task_repo.task_by_key(session, plan.id, text)
    if task is None:
        matches = [
            t
            for t in task_repo.tasks_of_plan(session, plan.id)
            if t.label.rstrip(".、．") == text.rstrip(".、．")
        ]
        task = matches[0] if len(matches) == 1 else None
    if task is None and text.isdigit():
        candidate = session.get(Task, int(text))
        task = candidate if candidate is not None and candidate.plan_id == plan.id else None
    if task is None:
        raise NotFoundError(f"plan {plan.code} has no task {text!r}")
    return task


def units_of_tasks(session: Session, tasks: Iterable[Task]) -> dict[int, Unit]:
    tasks = list(tasks)
    support = task_repo.supporting_units(session, [t.id for t in tasks])
    ids = {t.lead_unit_id for t in tasks if t.lead_unit_id} | {
        u for units in support.values() for u in units
    }
    return task_repo.units_by_id(session, ids)


def plan_of(session: Session, task: Task) -> Plan:
    plan = session.get(Plan, task.plan_id)
    if plan is None:  # pragma: no cover - the foreign key forbids it
        raise NotFoundError(f"task {task.id} has no plan")
    return plan


def unit_by_id(session: Session, unit_id: int | None) -> Unit | None:
    return session.get(Unit, unit_id) if unit_id else None


def tasks_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Task]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(wanted)))}
