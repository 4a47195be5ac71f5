"""Tasks: who may see them, their computed statuses, assignments, sub-tasks and decomposition.

Statuses are never stored: :func:`evaluate` computes them from dates and reviewed progress with
``analytics.task_status`` (the rule that fired is kept, to be shown beside the status), after
rolling progress up the task tree (sub-tasks and tasks of lower plans) with
``analytics.completion.roll_up_percent``.

Edits are optimistic: a caller passes the ``row_version`` it read; if the task changed since,
:class:`~yrdplan.errors.ConflictError` and nothing is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from yrdplan.analytics.completion import roll_up_percent
from yrdplan.analytics.task_status import DEFAULT_LAGGING_MARGIN, STATUS_RULES, compute_statuses
from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import (
    STANDING_DEADLINE_PHRASES,
    TASK_STATUSES,
)
from yrdplan.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from yrdplan.ingest.checklist_xlsx import split_milestone_line
from yrdplan.services.callers import require_caller, require_manager
from yrdplan.services.units import resolve_in_plan
from yrdplan.store.audit import changes_since, current_actor
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.repos.instance_settings import read_setting, write_setting
from yrdplan.store.repos.regions import get_region
from yrdplan.store.schema import (
    AuditEntry,
    Milestone,
    Plan,
    Task,
    TaskSupportingUnit,
    Unit,
)

#: Where the office's lagging margin is kept (percentage points; see ``analytics.task_status``).
LAGGING_MARGIN_KEY = "delivery.lagging_margin"
_UNPORTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str | None) -> str:
    """Normalise free text the way a checklist cell reads back: LF line ends, no control chars.

    Storing exactly what an export/import round trip gives back is what makes that round trip
    change nothing.
    """
    if not text:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _UNPORTABLE.sub("", text).strip()


# --- settings ---------------------------------------------------------------------------------


def lagging_margin(session: Session) -> float:
    value = read_setting(session, LAGGING_MARGIN_KEY)
    return float(value) if value is not None else DEFAULT_LAGGING_MARGIN


def set_lagging_margin(session: Session, value: float, user: UserInfo | None) -> float:
    """Set the margin (percentage points a task may trail time elapsed before it is lagging)."""
    require_manager(user)
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value < 100):
        raise InputError(f"lagging margin must be a number in [0, 100), got {value!r}")
    write_setting(session, LAGGING_MARGIN_KEY, str(float(value)))
    return float(value)


# --- who sees what ----------------------------------------------------------------------------


def visible_task_ids(session: Session, user: UserInfo | None) -> set[int] | None:
    """Task ids the user may read; ``None`` means all (office, admin, viewer, data steward).

    A unit reporter sees only the tasks its unit leads or supports. The command line passes
    ``SYSTEM_CALLER`` and sees everything; a missing caller is refused (task pages need a
    signed-in user).
    """
    user = require_caller(user)
    if user.role != "unit_reporter":
        return None
    return task_repo.task_ids_of_unit(session, user.unit_id) if user.unit_id else set()


def readable_task(session: Session, user: UserInfo | None, task_id: int) -> Task:
    """The task, if the user may read it; ``PermissionDenied`` if not their unit's."""
    user = require_caller(user)
    task = task_repo.get_task(session, task_id)
    visible = visible_task_ids(session, user)
    if visible is not None and task.id not in visible:
        raise PermissionDenied(f"task {task_id} is not one of your unit's tasks")
    return task


def unit_roles(session: Session, task: Task) -> set[int]:
    """The units on a task: its lead unit and supporting units."""
    roles = set(task_repo.supporting_units(session, [task.id]).get(task.id, []))
    if task.lead_unit_id:
        roles.add(task.lead_unit_id)
    return roles


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
    session: Session, tasks: list[Task], *, as_of: date | None = None, margin: float | None = None
) -> dict[int, Evaluated]:
    """Statuses of ``tasks`` (and of every task below them), keyed by task id.

    Progress rolls up from sub-tasks and from tasks of lower plans that decompose a task.
    A task's start is its own start date, else the date its plan was issued.
    """
    if not tasks:
        return {}
    as_of = as_of or date.today()
    margin = lagging_margin(session) if margin is None else margin
    tree = task_repo.task_tree(session, tasks)
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


# --- editing ----------------------------------------------------------------------------------


class _Keep:
    """Marks a field of :class:`TaskUpdate` that the caller leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: object = _Keep()


@dataclass
class MilestoneIn:
    title: str
    due_date: date | None = None
    completed_on: date | None = None


@dataclass
class TaskUpdate:
    """Changes to one task's responsibility and schedule; fields left at ``KEEP`` stay."""

    lead_unit: object = KEEP  # unit code/name/id, or None to clear
    supporting_units: object = KEEP  # list of unit refs
    start_date: object = KEEP
    deadline: object = KEEP  # date or None
    deadline_note: object = KEEP  # a standing-task phrase or ""
    milestones: object = KEEP  # list of MilestoneIn
    progress_text: object = KEEP
    weight: object = KEEP
    is_suspended: object = KEEP
    is_major_project: object = KEEP
    planned_investment: object = KEEP
    actual_investment: object = KEEP
    location_code: object = KEEP
    upper_task_id: object = KEEP  # the higher plan's task this one decomposes, or None
    changed: list[str] = field(default_factory=list, repr=False)

    def given(self) -> dict[str, object]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "changed" and getattr(self, f.name) is not KEEP
        }


def normalise_milestone(title: str, due: date | None) -> tuple[str, date | None]:
    """One line of text; a dateless title that starts with a date becomes a dated milestone.

    So the checklist's ``2025-12-31：…`` lines mean the same thing however a milestone was entered.
    """
    title = " ".join(clean_text(title).split())
    if due is None:
        parsed_title, parsed_due = split_milestone_line(title)
        if parsed_due is not None:
            return parsed_title, parsed_due
    return title, due


def _check_number(name: str, value: object, *, low: float = 0.0, high: float | None = None):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be a number, got {value!r}") from err
    if not math.isfinite(number) or number < low or (high is not None and number > high):
        limit = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise InputError(f"{name} must be {limit}, got {value!r}")
    return number


def _validated(session: Session, task: Task, given: dict[str, object]) -> dict[str, object]:
    values = dict(given)
    for name in ("is_suspended", "is_major_project", "weight"):
        if name in values and values[name] is None:
            raise InputError(f"{name}: give a value (true or false, or a number for weight)")
    if "lead_unit" in values:
        ref = values["lead_unit"]
        values["lead_unit"] = resolve_in_plan(session, task.plan_id, str(ref)).id if ref else None
    if "supporting_units" in values:
        ids: list[int] = []
        for ref in values["supporting_units"] or []:
            unit_id = resolve_in_plan(session, task.plan_id, str(ref)).id
            if unit_id not in ids:
                ids.append(unit_id)
        values["supporting_units"] = ids
    lead = values.get("lead_unit", task.lead_unit_id)
    if "supporting_units" in values and lead in values["supporting_units"]:
        values["supporting_units"].remove(lead)
    note = values.get("deadline_note", task.deadline_note) or ""
    deadline = values.get("deadline", task.deadline)
    if note and note not in STANDING_DEADLINE_PHRASES:
        raise InputError(
            f"deadline note {note!r} is not one of {'、'.join(STANDING_DEADLINE_PHRASES)}"
        )
    if note and deadline is not None:
        if "deadline" in values and "deadline_note" not in values:
            values["deadline_note"] = ""  # a date replaces a standing-task phrase
        else:
            raise InputError("a task has either a deadline or a standing-task note, not both")
    start = values.get("start_date", task.start_date)
    deadline = values.get("deadline", task.deadline)
    if start and deadline and deadline < start:
        raise InputError(f"deadline {deadline} is before the start date {start}")
    for name in ("planned_investment", "actual_investment"):
        if name in values:
            values[name] = _check_number(name, values[name])
    if "weight" in values:
        values["weight"] = _check_number("weight", values["weight"]) or 0.0
    if "progress_text" in values:
        values["progress_text"] = clean_text(values["progress_text"])
    if values.get("location_code"):
        get_region(session, str(values["location_code"]))
    if "milestones" in values:
        values["milestones"] = [
            normalise_milestone(m.title, m.due_date) + (m.completed_on,)
            for m in values["milestones"]
            if clean_text(m.title)
        ]
    if values.get("upper_task_id") is not None:
        _check_upper(session, task, int(values["upper_task_id"]))
    return values


def _check_upper(session: Session, task: Task, upper_id: int) -> None:
    upper = task_repo.get_task(session, upper_id)
    if upper.plan_id == task.plan_id:
        raise InputError("a task decomposes a task of a higher plan; use a sub-task within a plan")
    below = {t.id for t in task_repo.task_tree(session, [task])}
    if upper.id in below:
        raise InputError(f"task {upper.id} is below task {task.id}: that would make a loop")


def _set_supporting(session: Session, task: Task, wanted: list[int]) -> bool:
    current = task_repo.supporting_units(session, [task.id]).get(task.id, [])
    if current == wanted:
        return False
    for unit_id in set(current) - set(wanted):
        session.delete(session.get(TaskSupportingUnit, (task.id, unit_id)))
    for position, unit_id in enumerate(wanted):
        row = session.get(TaskSupportingUnit, (task.id, unit_id)) if unit_id in current else None
        if row is None:
            session.add(TaskSupportingUnit(task_id=task.id, unit_id=unit_id, position=position))
        elif row.position != position:
            row.position = position
    return True


def _set_milestones(session: Session, task: Task, wanted: list[tuple]) -> bool:
    current = task_repo.milestones(session, [task.id]).get(task.id, [])
    if [(m.title, m.due_date, m.completed_on) for m in current] == wanted:
        return False
    # Rows are updated in place, so each milestone's audit history stays one entity.
    for row, (title, due, done) in zip(current, wanted, strict=False):
        row.title, row.due_date, row.completed_on = title, due, done
    for title, due, done in wanted[len(current) :]:
        session.add(Milestone(task_id=task.id, title=title, due_date=due, completed_on=done))
    for row in current[len(wanted) :]:
        session.delete(row)
    return True


_COLUMNS = {
    "lead_unit": "lead_unit_id",
    "start_date": "start_date",
    "deadline": "deadline",
    "deadline_note": "deadline_note",
    "progress_text": "progress_text",
    "weight": "weight",
    "is_suspended": "is_suspended",
    "is_major_project": "is_major_project",
    "planned_investment": "planned_investment",
    "actual_investment": "actual_investment",
    "location_code": "location_code",
    "upper_task_id": "upper_task_id",
}


def check_version(task: Task, expected: int | None) -> None:
    if expected is not None and int(expected) != task.row_version:
        session = object_session(task)
        since = changes_since(session, "tasks", task.id, int(expected))
        raise ConflictError(
            f"task {task.id} was changed by someone else since you opened it "
            f"(version {task.row_version}, yours {expected}): {since.describe()}; "
            "reload it and make your change again",
            changes=since.fields,
        )


def apply_update(
    session: Session, task: Task, change: TaskUpdate, *, expected_version: int | None = None
) -> list[str]:
    """Apply ``change`` to ``task`` (no permission check); returns the names of changed fields."""
    check_version(task, expected_version)
    values = _validated(session, task, change.given())
    changed = []
    version_before = task.row_version
    for name, column in _COLUMNS.items():
        if name in values and getattr(task, column) != values[name]:
            setattr(task, column, values[name])
            changed.append(name)
    related = False
    if "supporting_units" in values and _set_supporting(session, task, values["supporting_units"]):
        changed.append("supporting_units")
        related = True
    if "milestones" in values and _set_milestones(session, task, values["milestones"]):
        changed.append("milestones")
        related = True
    flush_or_conflict(session, f"task {task.id}")
    if related and task.row_version == version_before:
        bump_version(session, task)
    change.changed = changed
    return changed


def bump_version(session: Session, task: Task) -> None:
    """Advance the task's version when only its supporting units or milestones changed.

    Those live in other tables, so the ORM would not touch the task row; without this a second
    editor holding the old version would silently undo the first one's change.
    """
    result = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.row_version == task.row_version)
        .values(row_version=task.row_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ConflictError(f"task {task.id} was changed by someone else; reload it and try again")
    # A Core update passes the audit hooks by; record the step so conflicts can name it.
    actor = current_actor()
    session.add(
        AuditEntry(
            user_id=actor.user_id,
            username=actor.username,
            action="update",
            entity="tasks",
            entity_id=str(task.id),
            old={"row_version": task.row_version},
            new={"row_version": task.row_version + 1},
            note="supporting units or milestones changed",
        )
    )
    set_committed_value(task, "row_version", task.row_version + 1)


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush, turning a lost optimistic-lock race or a duplicate row into ``ConflictError``."""
    try:
        session.flush()
    except StaleDataError as err:
        raise ConflictError(f"{what} was changed by someone else; reload it and try again") from err
    except IntegrityError as err:
        raise ConflictError(
            f"{what} was saved by someone else at the same time; reload it"
        ) from err


def update_task(
    session: Session,
    task_id: int,
    change: TaskUpdate,
    *,
    user: UserInfo | None,
    expected_version: int | None = None,
) -> Task:
    """Assign units, deadline, milestones, major-project data (office and admin only)."""
    require_manager(user)
    task = task_repo.get_task(session, task_id)
    apply_update(session, task, change, expected_version=expected_version)
    return task


def add_subtask(
    session: Session,
    parent_id: int,
    title: str,
    *,
    user: UserInfo | None,
    change: TaskUpdate | None = None,
) -> Task:
    """Split a task: a new sub-task under it, in the same plan and area."""
    require_manager(user)
    parent = task_repo.get_task(session, parent_id)
    title = " ".join(clean_text(title).split())
    if not title:
        raise InputError("a sub-task needs a title")
    siblings = [
        t for t in task_repo.children_of(session, [parent.id]) if t.parent_task_id == parent.id
    ]
    number = len(siblings) + 1
    existing = {t.key for t in task_repo.tasks_of_plan(session, parent.plan_id)}
    while f"{parent.key}/{number}" in existing:
        number += 1
    task = Task(
        plan_id=parent.plan_id,
        key=f"{parent.key}/{number}",
        label=f"{parent.label.rstrip('.、．') or parent.key}.{number}",
        title=title,
        area=parent.area,
        region_code=parent.region_code,
        parent_task_id=parent.id,
        is_simulated=parent.is_simulated,
    )
    session.add(task)
    session.flush()
    if change is not None:
        apply_update(session, task, change)
    return task


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
