"""One task in full: assignment, computed status, milestones, tree, reports and history.

The history is read from the audit log (every write is recorded there automatically), so it
shows every change to the task, its supporting units, its milestones and its reports — who,
when, old → new — without a history table of its own.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.services import cycles as cycle_service
from yrdplan.services import tasks as task_service
from yrdplan.services.callers import require_caller
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import Task

# Columns that mean something to a reader of the history, in the order shown.
_TASK_FIELDS = (
    "lead_unit_id",
    "deadline",
    "deadline_note",
    "start_date",
    "percent",
    "progress_text",
    "completed_on",
    "is_suspended",
    "is_major_project",
    "planned_investment",
    "actual_investment",
    "location_code",
    "upper_task_id",
    "weight",
    "title",
)
_REPORT_FIELDS = ("status", "percent", "narrative", "blockers", "review_state", "review_comment")


def task_detail(
    session: Session,
    user: UserInfo | None,
    task_id: int,
    *,
    as_of: date | None = None,
    margin: float | None = None,
) -> dict:
    """The data of the task page (and of ``GET /api/tasks/{id}``)."""
    user = require_caller(user)
    task = task_service.readable_task(session, user, task_id)
    visible = task_service.visible_task_ids(session, user)
    plan = task_service.plan_of(session, task)
    below = [t for t in task_repo.children_of(session, [task.id])]
    related = [task] + below
    upper = session.get(Task, task.upper_task_id) if task.upper_task_id else None
    parent = session.get(Task, task.parent_task_id) if task.parent_task_id else None
    for extra in (upper, parent):
        if extra is not None:
            related.append(extra)
    evaluated = task_service.evaluate(session, related, as_of=as_of, margin=margin)
    rows = task_service.describe_tasks(session, related, evaluated)
    row = rows[0]
    by_id = {r["id"]: r for r in rows}

    def allowed(other: Task | None) -> dict | None:
        if other is None or (visible is not None and other.id not in visible):
            return None
        return by_id[other.id]

    reports = cycle_service.list_reports(session, user, task_id=task.id)
    return {
        "task": row,
        "plan": {"id": plan.id, "code": plan.code, "title": plan.title},
        "parent": allowed(parent),
        "upper": allowed(upper),
        "subtasks": [allowed(t) for t in below if t.parent_task_id == task.id and allowed(t)],
        "lower": [allowed(t) for t in below if t.upper_task_id == task.id and allowed(t)],
        "reports": reports,
        "history": task_history(session, task),
        "margin": task_service.lagging_margin(session) if margin is None else margin,
    }


def _unit_name(units: dict, value) -> object:
    if isinstance(value, int) and value in units:
        return units[value].name
    return value


def task_history(session: Session, task: Task) -> list[dict]:
    """Changes to the task and what hangs on it, oldest first, from the audit log."""
    entries = []
    for entry in task_repo.audit_entries(session, "tasks", [str(task.id)]):
        entries.append((entry, "task", _TASK_FIELDS))
    for entry in task_repo.audit_entries(session, "task_supporting_units", prefix=f"{task.id}/"):
        entries.append((entry, "supporting_unit", ("unit_id",)))
    for entry in task_repo.audit_entries(session, "milestones"):
        owner = (entry.new or entry.old or {}).get("task_id")
        if owner == task.id:
            entries.append((entry, "milestone", ("title", "due_date", "completed_on")))
    report_ids = [str(r.id) for r in task_repo.reports(session, task_ids=[task.id])]
    for entry in task_repo.audit_entries(session, "progress_reports", report_ids):
        entries.append((entry, "report", ("unit_id", *_REPORT_FIELDS)))
    unit_ids = set()
    for entry, _, _ in entries:
        for values in (entry.old or {}, entry.new or {}):
            for key in ("lead_unit_id", "unit_id"):
                if isinstance(values.get(key), int):
                    unit_ids.add(values[key])
    units = task_repo.units_by_id(session, unit_ids)
    history = []
    for entry, what, shown in sorted(entries, key=lambda e: e[0].id):
        old, new = entry.old or {}, entry.new or {}
        changes = []
        for name in shown:
            if entry.action == "insert" and new.get(name) in (None, "", False):
                continue
            if entry.action == "update" and name not in new and name not in old:
                continue
            before = _unit_name(units, old.get(name)) if entry.action != "insert" else None
            after = _unit_name(units, new.get(name)) if entry.action != "delete" else None
            if before == after:
                continue
            changes.append({"field": name, "old": before, "new": after})
        if not changes and entry.action == "update":
            continue
        history.append(
            {
                "at": entry.at,
                "username": entry.username,
                "action": entry.action,
                "what": what,
                "entity_id": entry.entity_id,
                "changes": changes,
            }
        )
    return history
