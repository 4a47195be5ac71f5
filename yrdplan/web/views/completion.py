"""The data of the completion overview and the office's watch list. Codes and numbers only: the
charts' titles and the completion definition are words the templates and the route's chart
builder put in at render time."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.services import completion as completion_service
from yrdplan.services import oversight
from yrdplan.services.callers import require_caller
from yrdplan.store.repos import plans as plan_repo
from yrdplan.web.views.tasks import (
    CompletionPublic,
    PlanRefPublic,
    TaskRowPublic,
    UtcDateTime,
    plan_ref,
)

#: The groupings of one plan the completion page shows, each with a chart.
PLAN_GROUPINGS = ("area", "unit", "region")


class CompletionPointPublic(BaseModel):
    """The completion rate at one date (``yrdplan completion --over-time``)."""

    as_of: str
    group: str
    total: float
    completed: float
    suspended: int
    rate: float | None


class CompletionPagePublic(BaseModel):
    plans: list[PlanRefPublic]
    by_plan: list[CompletionPublic]
    by_round: list[CompletionPublic]
    plan: PlanRefPublic | None  # the plan shown by area, unit, region and over time
    #: By area, lead unit and region; ``group`` null: tasks with no area, unit or region.
    by_area: list[CompletionPublic] = []
    by_unit: list[CompletionPublic] = []
    by_region: list[CompletionPublic] = []
    trend: list[CompletionPointPublic] = []
    has_simulated: bool = False


class CompletionAnswerPublic(BaseModel):
    """Completion rows grouped ``by`` (``date`` with ``over_time``), with the definition they
    follow in both languages (docs/delivery.md)."""

    by: str
    plan: str | None
    rows: list[CompletionPointPublic | CompletionPublic]
    definition: dict[str, str]


def _confirmed_plans(session: Session) -> list:
    return [p for p in plan_repo.list_plans(session) if p.status == "confirmed"]


def completion_page(session: Session, plan_code: str | None) -> CompletionPagePublic:
    """Completion overview: every plan, then one plan by area, unit, region and over time."""
    plans = _confirmed_plans(session)
    titles = {p.code: p.title for p in plans}
    by_plan = [
        CompletionPublic(**row, title=titles.get(row["group"], row["group"]))
        for row in completion_service.completion_by_plan(session).values()
    ]
    # By round reads every confirmed plan's tasks; what follows reuses them (plan_tasks).
    by_round = [
        CompletionPublic(**row)
        for row in completion_service.completion_rows(session, None, "round")
    ]
    plan = plan_repo.find_plan(session, plan_code) if plan_code else None
    if plan is None and plans:
        # The plan with the most assigned tasks is the one worth showing first.
        assigned = {
            p.id: sum(1 for t in completion_service.plan_tasks(session, p) if t.lead_unit_id)
            for p in plans
        }
        plan = max(plans, key=lambda p: (assigned[p.id], -p.id))
    page = CompletionPagePublic(
        plans=[plan_ref(p) for p in plans],
        by_plan=by_plan,
        by_round=by_round,
        plan=plan_ref(plan) if plan else None,
    )
    if plan is None:
        return page
    for by in PLAN_GROUPINGS:
        rows = completion_service.completion_rows(session, plan.id, by)
        setattr(page, f"by_{by}", [_grouped(row) for row in rows])
    page.trend = [
        CompletionPointPublic(**row)
        for row in completion_service.completion_trend(session, plan.id)
    ]
    page.has_simulated = any(t.is_simulated for t in completion_service.plan_tasks(session, plan))
    return page


def _grouped(row: dict) -> CompletionPublic:
    # The use case names tasks without a lead unit, area or region in Chinese (its CLI table and
    # the bulletins print that); the page says it in the reader's language: group null.
    group = row["group"]
    ungrouped = group in (completion_service.UNASSIGNED, completion_service.UNGROUPED)
    return CompletionPublic(**(row | {"group": None if ungrouped else group}))


# -- the watch list -----------------------------------------------------------------------------


class BlockerPublic(BaseModel):
    """A blocker raised in the latest report of a task by one unit."""

    id: int  # the report
    cycle_id: int
    cycle: str | None
    task_id: int
    task_label: str
    task_title: str
    plan: str
    unit: str | None
    unit_code: str | None
    lead_unit: str | None
    task_status: str
    status: str  # the status the unit reported
    percent: float
    blockers: str
    review_state: str
    submitted_at: UtcDateTime | None
    is_simulated: bool


class WatchPagePublic(BaseModel):
    overdue_or_lagging: list[TaskRowPublic]
    blockers: list[BlockerPublic]
    plans: list[PlanRefPublic]
    plan: str  # the plan chosen, or "" for all


def watch_page(session: Session, user: UserInfo, plan_code: str | None = None) -> WatchPagePublic:
    """Raised blockers and overdue or lagging tasks, each with its responsible unit."""
    user = require_caller(user)
    found = oversight.watchlist(session, user, plan_code)
    return WatchPagePublic(
        overdue_or_lagging=[TaskRowPublic(**r) for r in found["overdue_or_lagging"]],
        blockers=[BlockerPublic(**b) for b in found["blockers"]],
        plans=[plan_ref(p) for p in _confirmed_plans(session)],
        plan=plan_code or "",
    )
