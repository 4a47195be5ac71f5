"""The home page's overview: what the system holds and where delivery and indicators stand."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.services.completion import definition
from yrdplan.services.monitor import current_results
from yrdplan.services.oversight import plan_summaries
from yrdplan.store.schema import IndicatorRecord, Plan, Region, RegionGroup, Task, User

WARNING_LEVELS = ("red", "orange", "yellow", "green")


def _count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery()))


def counts(session: Session, user: UserInfo | None) -> dict:
    current = select(Region.id).where(Region.valid_to.is_(None))
    result = {
        "regions": _count(session, current),
        "cities": _count(session, current.where(Region.level == "city")),
        "counties": _count(session, current.where(Region.level == "county")),
        "groups": _count(session, select(RegionGroup.id)),
        "plans": _count(session, select(Plan.id).where(Plan.status == "confirmed")),
        "tasks": _count(session, select(Task.id)),
        "indicators": _count(session, select(IndicatorRecord.id)),
    }
    if user and user.sees_all:
        result["users"] = _count(session, select(User.id))
    return result


def overview_data(session: Session, user: UserInfo | None, database=None, lang: str = "zh") -> dict:
    """Counts, each plan's completion rate (with its definition) and target warnings by level."""
    monitor = current_results(session, database)
    target_rows = [r for r in monitor.rows if r["comparator"] != "none"]
    levels = Counter(r["warning"] for r in target_rows)
    return {
        "counts": counts(session, user),
        "plans": plan_summaries(session, user),
        "completion_definition": definition(lang),
        "warnings": {
            "targets": len(target_rows),
            "by_level": {level: levels.get(level, 0) for level in WARNING_LEVELS},
            "no_level": levels.get(None, 0),
            "simulated": any(r["simulated"] for r in target_rows),
        },
    }
