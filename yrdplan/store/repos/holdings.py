"""What the system holds, counted: regions, groups, confirmed plans, tasks, indicators, users."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yrdplan.store.schema import IndicatorRecord, Plan, Region, RegionGroup, Task, User


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery()))


def count_holdings(session: Session, *, with_users: bool = False) -> dict[str, int]:
    """Counts by kind, in the order the home page shows them; ``users`` only if asked."""
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
    if with_users:
        result["users"] = _count(session, select(User.id))
    return result
