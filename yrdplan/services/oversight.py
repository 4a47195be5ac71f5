"""What the office watches: raised blockers, overdue and lagging tasks, the review queue, and a
one-line summary of every plan's delivery.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.services import cycles as cycle_service
from yrdplan.services import tasks as task_service
from yrdplan.services.callers import require_caller
from yrdplan.services.completion import plan_completion
from yrdplan.services.task_access import visible_task_ids
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo

WATCHED_STATUSES = ("overdue", "lagging")


def watchlist(
    session: Session,
    user: UserInfo | None,
    plan_ref: str | int | None = None,
    *,
    as_of: date | None = None,
) -> dict:
    """Blockers raised in the latest report of each task, and overdue or lagging tasks, each
    with its responsible (lead) unit. A unit reporter sees only its own tasks."""
    user = require_caller(user)
    plans = (
        [plan_repo.find_plan(session, plan_ref)]
        if plan_ref is not None
        else [p for p in plan_repo.list_plans(session) if p.status == "confirmed"]
    )
    visible = visible_task_ids(session, user)
    problems, blockers = [], []
    for plan in plans:
        tasks = task_repo.tasks_of_plan(session, plan.id)
        if visible is not None:
            tasks = [t for t in tasks if t.id in visible]
        if not tasks:
            continue
        evaluated = task_service.evaluate(session, tasks, as_of=as_of)
        rows = task_service.describe_tasks(session, tasks, evaluated, {plan.id: plan})
        problems += [r for r in rows if r["status"] in WATCHED_STATUSES]
        blockers += _latest_blockers(
            session, user, [t.id for t in tasks], {r["id"]: r for r in rows}
        )
    problems.sort(key=lambda r: (WATCHED_STATUSES.index(r["status"]), r["deadline"] or "", r["id"]))
    return {"overdue_or_lagging": problems, "blockers": blockers}


def _latest_blockers(
    session: Session, user, task_ids: list[int], rows: dict[int, dict]
) -> list[dict]:
    reports = task_repo.reports(session, task_ids=task_ids)
    cycles = {c.id: c for c in task_repo.cycles(session)}
    latest: dict[tuple[int, int], object] = {}
    for report in reports:
        key = (report.task_id, report.unit_id)
        current = latest.get(key)
        if current is None or cycles[report.cycle_id].due_on >= cycles[current.cycle_id].due_on:
            latest[key] = report
    raised = [r for r in latest.values() if r.blockers]
    described = cycle_service.describe_reports(session, raised)
    result = []
    for report in described:
        task = rows[report["task_id"]]
        result.append(
            {
                **report,
                "task_label": task["label"],
                "task_title": task["title"],
                "plan": task["plan"],
                "lead_unit": task["lead_unit"],
                "task_status": task["status"],
            }
        )
    result.sort(key=lambda r: (r["cycle_id"], r["task_id"]), reverse=True)
    return result


def review_queue(session: Session, user: UserInfo | None) -> list[dict]:
    """Reports awaiting review, oldest first, with their task."""
    user = require_caller(user)
    rows = cycle_service.list_reports(session, user, review_state="submitted")
    tasks = task_service.tasks_by_ids(session, {r["task_id"] for r in rows})
    plans = task_repo.plans_by_id(session, {t.plan_id for t in tasks.values()})
    leads = task_repo.units_by_id(
        session, {t.lead_unit_id for t in tasks.values() if t.lead_unit_id}
    )
    for row in rows:
        task = tasks[row["task_id"]]
        row["task_label"] = task.label
        row["task_title"] = task.title
        row["task_percent"] = task.percent
        row["plan"] = plans[task.plan_id].code
        lead = leads.get(task.lead_unit_id)
        row["is_lead_report"] = lead is not None and lead.code == row["unit_code"]
    rows.sort(key=lambda r: (r["submitted_at"], r["id"]))
    return rows


def plan_summaries(
    session: Session, user: UserInfo | None, *, as_of: date | None = None
) -> list[dict]:
    """Per confirmed plan: tasks (the user may see), assigned, completion rate.

    An anonymous visitor (``user=None``) gets the public overview: each confirmed plan's
    aggregate completion, which names no task or unit.
    """
    visible = None if user is None else visible_task_ids(session, user)
    result = []
    for plan in plan_repo.list_plans(session):
        if plan.status != "confirmed":
            continue
        tasks = task_repo.tasks_of_plan(session, plan.id)
        mine = tasks if visible is None else [t for t in tasks if t.id in visible]
        if visible is not None and not mine:
            continue
        row = plan_completion(session, plan, as_of=as_of) or {
            "total": 0,
            "completed": 0,
            "rate": None,
            "suspended": 0,
        }
        result.append(
            {
                "id": plan.id,
                "code": plan.code,
                "title": plan.title,
                "round": plan.round,
                "tasks": len(tasks),
                "visible_tasks": len(mine),
                "assigned": sum(1 for t in tasks if t.lead_unit_id),
                "completion": row,
                "has_simulated": any(t.is_simulated for t in tasks),
            }
        )
    return result
