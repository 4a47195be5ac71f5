"""The home page: where delivery and the indicators stand, at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request

from yrdplan.services.computed import cached, who
from yrdplan.services.overview import overview_data
from yrdplan.web.deps import DatabaseDep, LanguageDep, OptionalUser, SessionDep
from yrdplan.web.render import render

router = APIRouter()


@router.get("/", include_in_schema=False)
def home(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    user: OptionalUser,
    lang: LanguageDep,
):
    data = dict(
        cached(
            session, ("overview", who(user), lang), lambda s: overview_data(s, user, database, lang)
        )
    )
    if user:
        data["user"] = {"username": user.username, "role": user.role}
    return render(request, "home.html", data, user)
