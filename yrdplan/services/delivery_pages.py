"""The data of the reporting pages (a unit's tasks, the review queue, the cycles): one dict per
page, which the HTML template and the JSON twin (``?format=json``) both render.

The task pages (index, board, task, completion, watch list) live in ``yrdplan.web.views.tasks``
and ``yrdplan.web.views.completion``; what is left here moves to ``web/views/reporting.py``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import (
    CYCLE_KIND_LABELS_ZH,
    CYCLE_KINDS,
    TASK_STATUS_LABELS_EN,
    TASK_STATUS_LABELS_ZH,
)
from yrdplan.errors import PermissionDenied
from yrdplan.services import cycles as cycle_service
from yrdplan.services import oversight, reminders
from yrdplan.services import tasks as task_service
from yrdplan.services.callers import require_caller
from yrdplan.services.units import unit_public
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo


def _plan_public(plan) -> dict:
    return {"id": plan.id, "code": plan.code, "title": plan.title, "round": plan.round}


def mine_data(session: Session, user: UserInfo, *, today: date | None = None) -> dict:
    """A unit reporter's tasks, and for each open cycle the report it owes or has made."""
    user = require_caller(user)
    today = today or date.today()
    if user.role != "unit_reporter" or not user.unit_id:
        return {"unit": None, "reminders": [], "cycles": [], "tasks": []}
    unit = task_service.unit_by_id(session, user.unit_id)
    ids = task_repo.task_ids_of_unit(session, user.unit_id)
    tasks = list(task_service.tasks_by_ids(session, ids).values())
    evaluated = task_service.evaluate(session, tasks)
    rows = task_service.describe_tasks(
        session, sorted(tasks, key=lambda t: (t.plan_id, t.id)), evaluated
    )
    for row in rows:
        row["role"] = "lead" if row["lead_unit_code"] == unit.code else "supporting"
    cycles = []
    open_now = cycle_service.open_cycles(session, today)
    codes = {
        p.id: p.code for p in task_repo.plans_by_id(session, {c.plan_id for c in open_now}).values()
    }
    for cycle in open_now:
        mine = [r for r in rows if cycle.plan_id is None or r["plan"] == codes.get(cycle.plan_id)]
        if not mine:
            continue
        reports = {
            r.task_id: r
            for r in task_repo.reports(
                session, cycle_ids=[cycle.id], task_ids=[r["id"] for r in mine]
            )
            if r.unit_id == user.unit_id
        }
        described = {
            d["task_id"]: d for d in cycle_service.describe_reports(session, list(reports.values()))
        }
        expected = {t.id for t, _ in cycle_service.expected_pairs(session, cycle)}
        entries = []
        for row in mine:
            report = described.get(row["id"])
            entries.append(
                {
                    **row,
                    "report": report,
                    "expected": row["role"] == "lead" and row["id"] in expected,
                    # Open the form where something is owed: expected and not in, or returned.
                    "needs_report": (row["role"] == "lead" and row["id"] in expected and not report)
                    or (report is not None and report["review_state"] == "returned"),
                }
            )
        cycles.append(
            {
                **cycle_service.cycle_public(cycle),
                "kind_label": CYCLE_KIND_LABELS_ZH.get(cycle.kind, cycle.kind),
                "tasks": entries,
                "owed": sum(1 for e in entries if e["expected"] and not e["report"]),
            }
        )
    return {
        "unit": unit_public(unit),
        "reminders": reminders.my_reminders(session, user, today=today),
        "cycles": cycles,
        "tasks": rows,
        "reportable_statuses": [
            {"code": s, "label": TASK_STATUS_LABELS_ZH[s], "label_en": TASK_STATUS_LABELS_EN[s]}
            for s in cycle_service.REPORTABLE_STATUSES
        ],
    }


def review_data(session: Session, user: UserInfo) -> dict:
    user = require_caller(user)
    if not user.can_manage:
        raise PermissionDenied("only the office (or an admin) reviews reports")
    return {"queue": oversight.review_queue(session, user)}


def cycles_data(session: Session, user: UserInfo, *, as_of: date | None = None) -> dict:
    user = require_caller(user)
    cycles = cycle_service.list_cycles(session)
    unit_id = None if user.role != "unit_reporter" else user.unit_id or -1
    rows = cycle_service.completeness(
        session, [c["id"] for c in cycles], as_of=as_of, unit_id=unit_id
    )
    by_cycle: dict[int, list[dict]] = {}
    for row in rows:
        by_cycle.setdefault(row["cycle_id"], []).append(row)
    for cycle in cycles:
        cycle["kind_label"] = CYCLE_KIND_LABELS_ZH.get(cycle["kind"], cycle["kind"])
        cycle["completeness"] = by_cycle.get(cycle["id"], [])
        cycle["totals"] = {
            key: sum(r[key] for r in cycle["completeness"])
            for key in ("expected", "submitted", "on_time", "late", "missing", "pending")
        }
    return {
        "cycles": cycles,
        "plans": [
            _plan_public(p) for p in plan_repo.list_plans(session) if p.status == "confirmed"
        ],
        "kinds": [{"code": k, "label": CYCLE_KIND_LABELS_ZH[k]} for k in CYCLE_KINDS],
    }
