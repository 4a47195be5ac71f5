"""The home page: what the system holds, at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.store.schema import IndicatorRecord, Plan, Region, RegionGroup, Task, User
from yrdplan.web.deps import OptionalUser, SessionDep
from yrdplan.web.render import render

router = APIRouter()


def _count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery()))


def home_view_data(session: Session) -> dict:
    current = select(Region.id).where(Region.valid_to.is_(None))
    return {
        "counts": {
            "regions": _count(session, current),
            "cities": _count(session, current.where(Region.level == "city")),
            "counties": _count(session, current.where(Region.level == "county")),
            "groups": _count(session, select(RegionGroup.id)),
            "plans": _count(session, select(Plan.id)),
            "tasks": _count(session, select(Task.id)),
            "indicators": _count(session, select(IndicatorRecord.id)),
        }
    }


@router.get("/", include_in_schema=False)
def home(request: Request, session: SessionDep, user: OptionalUser):
    data = home_view_data(session)
    if user:
        data["user"] = {"username": user.username, "role": user.role}
        if user.sees_all:
            data["counts"]["users"] = _count(session, select(User.id))
    return render(request, "home.html", data, user)
