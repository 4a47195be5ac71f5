"""The home page: where delivery and the indicators stand, at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from yrdplan.services.computed import cached, who
from yrdplan.services.overview import overview_data
from yrdplan.services.portal import portal_open
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
    if user is None:
        # An anonymous visitor's home is the public portal, or the log-in while it is closed.
        target = "/public" if portal_open(session) else "/login"
        query = request.url.query
        return RedirectResponse(target + (f"?{query}" if query else ""), status_code=303)
    data = dict(
        cached(
            session, ("overview", who(user), lang), lambda s: overview_data(s, user, database, lang)
        )
    )
    data["user"] = {"username": user.username, "role": user.role}
    return render(request, "home.html", data, user)
