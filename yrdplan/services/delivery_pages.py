"""The data of each delivery-tracking page: one dict per page, which the HTML template and the
JSON twin (``?format=json``) both render.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy.orm import Session

from yrdplan.analytics.completion import COMPLETION_DEFINITION
from yrdplan.domain.people import UserInfo
from yrdplan.domain.tasks import (
    CYCLE_KIND_LABELS_ZH,
    CYCLE_KINDS,
    STANDING_DEADLINE_PHRASES,
    TASK_STATUS_LABELS_EN,
    TASK_STATUS_LABELS_ZH,
    TASK_STATUSES,
)
from yrdplan.errors import PermissionDenied
from yrdplan.reports.delivery_charts import completion_bar_chart, completion_trend_chart
from yrdplan.services import completion as completion_service
from yrdplan.services import cycles as cycle_service
from yrdplan.services import oversight, reminders
from yrdplan.services import tasks as task_service
from yrdplan.services.callers import require_caller
from yrdplan.services.units import list_units, unit_public
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo


def _statuses() -> list[dict]:
    return [
        {"code": s, "label": TASK_STATUS_LABELS_ZH[s], "label_en": TASK_STATUS_LABELS_EN[s]}
        for s in TASK_STATUSES
    ]


def _plan_public(plan) -> dict:
    return {"id": plan.id, "code": plan.code, "title": plan.title, "round": plan.round}


def index_data(session: Session, user: UserInfo) -> dict:
    user = require_caller(user)
    unit = task_service.unit_by_id(session, user.unit_id)
    return {
        "plans": oversight.plan_summaries(session, user),
        "unit": unit_public(unit) if unit else None,
        "open_cycles": [cycle_service.cycle_public(c) for c in cycle_service.open_cycles(session)],
        "awaiting_review": len(oversight.review_queue(session, user)) if user.can_manage else None,
        "definition": COMPLETION_DEFINITION,
    }


def board_data(
    session: Session,
    user: UserInfo,
    plan_ref: str,
    filters: task_service.TaskFilter,
    *,
    as_of: date | None = None,
) -> dict:
    """The task board: one plan's tasks the user may see, filtered."""
    user = require_caller(user)
    plan = plan_repo.find_plan(session, plan_ref)
    every = task_service.task_rows(session, plan.id, user, as_of=as_of)
    rows = task_service.filter_rows(session, every, filters, plan.id)
    (completion,) = completion_service.completion_rows(session, plan.id, "plan", as_of=as_of) or [
        None
    ]
    return {
        "plan": _plan_public(plan),
        "filters": {
            "area": filters.area or "",
            "unit": filters.unit or "",
            "status": filters.status or "",
            "due_by": filters.due_by,
        },
        "options": {
            "areas": sorted({r["area"] for r in every if r["area"]}),
            "units": list_units(session, plan.id),
            "statuses": _statuses(),
        },
        "tasks": rows,
        "status_counts": dict(Counter(r["status"] for r in rows)),
        "completion": completion,
        "definition": COMPLETION_DEFINITION,
        "margin": task_service.lagging_margin(session),
        "has_simulated": any(r["is_simulated"] for r in rows),
    }


def detail_extras(session: Session, user: UserInfo, data: dict) -> dict:
    """What the task page's assignment form offers (office and admin only)."""
    user = require_caller(user)
    if not user.can_manage:
        return {}
    plan = plan_repo.find_plan(session, data["plan"]["id"])
    return {
        "units": list_units(session, plan.id),
        "standing_phrases": list(STANDING_DEADLINE_PHRASES),
    }


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


def completion_data(session: Session, plan_ref: str | None, *, lang: str = "zh") -> dict:
    """Completion overview: every plan, then one plan by area, unit, region and over time."""
    plans = [p for p in plan_repo.list_plans(session) if p.status == "confirmed"]
    by_plan = completion_service.completion_rows(session, None, "plan")
    titles = {p.code: p.title for p in plans}
    for row in by_plan:
        row["title"] = titles.get(row["group"], row["group"])
    plan = plan_repo.find_plan(session, plan_ref) if plan_ref else None
    if plan is None and plans:
        # The plan with the most assigned tasks is the one worth showing first.
        assigned = {
            p.id: sum(1 for t in task_repo.tasks_of_plan(session, p.id) if t.lead_unit_id)
            for p in plans
        }
        plan = max(plans, key=lambda p: (assigned[p.id], -p.id))
    data: dict = {
        "definition": COMPLETION_DEFINITION,
        "plans": [_plan_public(p) for p in plans],
        "by_plan": by_plan,
        "by_round": completion_service.completion_rows(session, None, "round"),
        "plan": _plan_public(plan) if plan else None,
        "charts": {},
    }
    if plan is None:
        return data
    en = lang == "en"
    for by in ("area", "unit", "region"):
        data[f"by_{by}"] = completion_service.completion_rows(session, plan.id, by)
    data["trend"] = completion_service.completion_trend(session, plan.id)
    axis = "Completion rate (%)" if en else "完成率（%）"
    titles = {
        "area": "By area" if en else "按领域（规划部分）",
        "unit": "By lead unit" if en else "按牵头单位",
        "region": "By region" if en else "按地区",
    }
    data["charts"] = {
        f"chart-{by}": completion_bar_chart(data[f"by_{by}"], title=titles[by], axis_title=axis)
        for by in ("area", "unit", "region")
        if data[f"by_{by}"]
    }
    if len(data["trend"]) > 1:  # one point is not a trend; the table still shows it
        data["charts"]["chart-trend"] = completion_trend_chart(
            data["trend"], title="Over time" if en else "完成率变化"
        )
    data["has_simulated"] = any(t.is_simulated for t in task_repo.tasks_of_plan(session, plan.id))
    return data


def watch_data(session: Session, user: UserInfo, plan_ref: str | None = None) -> dict:
    user = require_caller(user)
    data = oversight.watchlist(session, user, plan_ref)
    data["plans"] = [
        _plan_public(p) for p in plan_repo.list_plans(session) if p.status == "confirmed"
    ]
    data["plan"] = plan_ref or ""
    return data
