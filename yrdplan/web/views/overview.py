"""What the home page shows: what the system holds, where each plan's delivery stands (with the
definition of the completion rate) and the indicator targets by warning level."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.analytics.completion import COMPLETION_DEFINITION
from yrdplan.domain.people import UserInfo
from yrdplan.services.monitor import current_results
from yrdplan.services.oversight import plan_summaries
from yrdplan.store.repos.holdings import count_holdings

WARNING_LEVELS = ("red", "orange", "yellow", "green")


class MePublic(BaseModel):
    """The signed-in user, as ``/api/me`` answers and the home page greets."""

    id: int
    username: str
    role: str
    unit_id: int | None
    region_codes: list[str]


def me_public(user: UserInfo) -> MePublic:
    return MePublic(
        id=user.id,
        username=user.username,
        role=user.role,
        unit_id=user.unit_id,
        region_codes=list(user.region_codes),
    )


class CompletionPublic(BaseModel):
    group: str | None = None
    total: float
    completed: float
    suspended: int
    rate: float | None  # None when nothing is due


class PlanProgressPublic(BaseModel):
    id: int
    code: str
    title: str
    round: str
    tasks: int
    visible_tasks: int  # of them, the ones this user may see
    assigned: int  # with a lead unit
    completion: CompletionPublic
    has_simulated: bool


class WarningSummaryPublic(BaseModel):
    targets: int  # monitored targets (rows with a comparator)
    by_level: dict[str, int]  # red, orange, yellow, green, in that order
    no_level: int  # targets without enough data for a level
    simulated: bool


class OverviewPagePublic(BaseModel):
    counts: dict[str, int]  # regions, cities, counties, groups, plans, tasks, indicators[, users]
    plans: list[PlanProgressPublic]
    completion_definition: dict[str, str]  # the definition of the rate, zh and en (data)
    warnings: WarningSummaryPublic
    user: MePublic | None = None  # who asks; set per request, never cached


def overview_page(session: Session, user: UserInfo | None, database=None) -> OverviewPagePublic:
    """Counts, each plan's completion rate and target warnings by level (the same for every
    language: cache it under who asks only)."""
    monitor = current_results(session, database)
    target_rows = [r for r in monitor.rows if r["comparator"] != "none"]
    levels = Counter(r["warning"] for r in target_rows)
    return OverviewPagePublic(
        counts=count_holdings(session, with_users=bool(user and user.sees_all)),
        plans=[PlanProgressPublic(**row) for row in plan_summaries(session, user)],
        completion_definition=COMPLETION_DEFINITION,
        warnings=WarningSummaryPublic(
            targets=len(target_rows),
            by_level={level: levels.get(level, 0) for level in WARNING_LEVELS},
            no_level=levels.get(None, 0),
            simulated=any(r["simulated"] for r in target_rows),
        ),
    )
