"""Completion rates of plans by plan, area, unit, region and round, and over time.

The number and its definition are ``analytics.completion``'s (:data:`COMPLETION_DEFINITION`);
this module only gathers each plan's task forest from the store:

* **plan, area, round** — the plan's tasks plus everything below them (sub-tasks, and tasks of
  lower plans that decompose them), weighted by ``subtask_weights`` so that each of the plan's
  own top-level tasks counts 1; the group is that top-level task's plan, area or round. Each plan
  is computed on its own and rows with the same group are summed (a round spans several plans;
  plans without a round are left out of the by-round rows).
* **unit** — the plan's own tasks that are not split further, each counted 1 for its lead unit.
* **region** — the tasks of the whole forest that are not split further, each counted 1 for its
  region (the task's region, else its plan's).
"""

from __future__ import annotations

from datetime import date
from functools import partial

import numpy as np
from sqlalchemy.orm import Session

from yrdplan.analytics.completion import (
    completion_over_time,
    completion_rates,
    subtask_weights,
)
from yrdplan.errors import InputError
from yrdplan.services.delivery_settings import lagging_margin
from yrdplan.services.tasks import evaluate
from yrdplan.store.computed import cached, shared
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.repos.regions import region_names
from yrdplan.store.schema import Plan, Task

GROUPINGS: tuple[str, ...] = ("plan", "area", "unit", "region", "round")
UNASSIGNED = "（未分配）"
UNGROUPED = "（未分组）"


def _plans(session: Session, plan_ref: str | int | None) -> list[Plan]:
    if plan_ref is not None:
        return [plan_repo.find_plan(session, plan_ref)]
    return [p for p in plan_repo.list_plans(session) if p.status == "confirmed"]


class _Forest:
    """One plan's tasks and everything below them, with the parent index the analytics use."""

    def __init__(self, session: Session, plan: Plan):
        self.plan = plan
        self.own = task_repo.tasks_of_plan(session, plan.id)
        self.tasks = task_repo.task_tree(session, self.own)
        index = {t.id: i for i, t in enumerate(self.tasks)}
        self.parents = np.array(
            [
                next((index[p] for p in (t.parent_task_id, t.upper_task_id) if p in index), -1)
                for t in self.tasks
            ],
            dtype=np.intp,
        )
        has_children = np.bincount(self.parents[self.parents >= 0], minlength=len(self.tasks)) > 0
        self.is_leaf = ~has_children
        self.roots = self._roots()

    def _roots(self) -> list[Task]:
        root = list(range(len(self.tasks)))
        for _ in range(len(self.tasks)):
            step = [r if self.parents[r] < 0 else int(self.parents[r]) for r in root]
            if step == root:
                break
            root = step
        return [self.tasks[r] for r in root]


def _rows_for(session: Session, forest: _Forest, by: str, statuses: dict) -> list:
    tasks, plan = forest.tasks, forest.plan
    status = [statuses[t.id].status for t in tasks]
    if by in ("plan", "area", "round"):
        weights = subtask_weights(forest.parents, [t.is_suspended for t in tasks])
        if by == "plan":
            keys = [plan.code] * len(tasks)
        elif by == "round":
            if not plan.round:
                return []  # only plans that belong to a round (rolling action plans)
            keys = [plan.round] * len(tasks)
        else:
            keys = [root.area or UNGROUPED for root in forest.roots]
        return completion_rates(keys, status, weights)
    if by == "unit":
        own = {t.id for t in forest.own}
        pick = [i for i, t in enumerate(tasks) if t.id in own and forest.is_leaf[i]]
        units = task_repo.units_by_id(
            session, {tasks[i].lead_unit_id for i in pick if tasks[i].lead_unit_id}
        )
        keys = [
            units[tasks[i].lead_unit_id].name if tasks[i].lead_unit_id else UNASSIGNED for i in pick
        ]
        return completion_rates(keys, [status[i] for i in pick])
    names = region_names(session)
    plans = task_repo.plans_by_id(session, {t.plan_id for t in tasks})
    pick = [i for i in range(len(tasks)) if forest.is_leaf[i]]
    keys = []
    for i in pick:
        code = tasks[i].region_code or plans[tasks[i].plan_id].region_code
        keys.append(names.get(code, code or UNGROUPED))
    return completion_rates(keys, [status[i] for i in pick])


def _merge(rows: list) -> list[dict]:
    merged: dict[object, dict] = {}
    for row in rows:
        entry = merged.setdefault(
            row.group, {"group": row.group, "total": 0.0, "completed": 0.0, "suspended": 0}
        )
        entry["total"] += row.total
        entry["completed"] += row.completed
        entry["suspended"] += row.suspended
    for entry in merged.values():
        entry["total"] = round(entry["total"], 9)
        entry["completed"] = round(entry["completed"], 9)
        entry["rate"] = entry["completed"] / entry["total"] if entry["total"] > 0 else None
    return list(merged.values())


def completion_rows(
    session: Session,
    plan_ref: str | int | None = None,
    by: str = "plan",
    *,
    as_of: date | None = None,
    margin: float | None = None,
) -> list[dict]:
    """The documented rows of ``yrdplan completion --format json``: group, total, completed,
    suspended, rate (``None`` when nothing is due)."""
    if by not in GROUPINGS:
        raise InputError(f"--by {by!r}: use one of {', '.join(GROUPINGS)}")
    if by in ("area", "unit") and plan_ref is None:
        raise InputError(f"completion by {by} needs a plan (--plan)")
    rows = []
    if margin is None:
        margin = shared(session, ("lagging_margin",), partial(lagging_margin, session))
    for plan in _plans(session, plan_ref):
        forest = _forest(session, plan)
        if not forest.tasks:
            continue
        statuses = shared(
            session,
            ("completion.statuses", plan.id, as_of, margin),
            partial(evaluate, session, forest.own, as_of=as_of, margin=margin, tree=forest.tasks),
        )
        rows += _rows_for(session, forest, by, statuses)
    return _merge(rows)


def completion_by_plan(session: Session) -> dict[str, dict]:
    """Today's row of every confirmed plan by its code, kept: the overview, the completion page
    and the task boards all show them, and one roll-up serves them all until a task changes."""
    return cached(
        session,
        ("completion.by_plan",),
        lambda s: {row["group"]: row for row in completion_rows(s, None, "plan")},
    )


def plan_completion(session: Session, plan: Plan, *, as_of: date | None = None) -> dict | None:
    """One plan's row (``None`` when it has no tasks); today's comes from
    :func:`completion_by_plan` when the plan is confirmed."""
    if as_of is None and plan.status == "confirmed":
        return completion_by_plan(session).get(plan.code)
    rows = completion_rows(session, plan.id, "plan", as_of=as_of)
    return rows[0] if rows else None


def plan_tasks(session: Session, plan: Plan) -> list[Task]:
    """The plan's own tasks, read once per build: its completion forest's."""
    return _forest(session, plan).own


def _forest(session: Session, plan: Plan) -> _Forest:
    # A page that shows a plan by plan, area, unit, region and over time reads its forest once.
    return shared(session, ("completion.forest", plan.id), lambda: _Forest(session, plan))


def completion_trend(
    session: Session, plan_ref: str | int, dates: list[date] | None = None
) -> list[dict]:
    """The plan's completion rate at each date (default: its cycles' due dates and today)."""
    plan = plan_repo.find_plan(session, plan_ref)
    forest = _forest(session, plan)
    if dates is None:
        today = date.today()
        dates = sorted(
            {c.due_on for c in task_repo.cycles(session, plan.id) if c.due_on <= today} | {today}
        )
    if not forest.tasks or not dates:
        return []
    suspended = [t.is_suspended for t in forest.tasks]
    rows = completion_over_time(
        [plan.code] * len(forest.tasks),
        [t.completed_on for t in forest.tasks],
        dates,
        suspended,
        subtask_weights(forest.parents, suspended),
    )
    return [row.to_dict() for row in rows]
