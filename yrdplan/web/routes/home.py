"""The home page: where delivery and the indicators stand, at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from yrdplan.services.portal import portal_open
from yrdplan.store.computed import cached, who
from yrdplan.web.deps import DatabaseDep, OptionalUser, SessionDep
from yrdplan.web.render import render
from yrdplan.web.views import overview as views

router = APIRouter()


@router.get("/", response_model=views.OverviewPagePublic, tags=["overview"])
def home(request: Request, session: SessionDep, database: DatabaseDep, user: OptionalUser):
    """Counts, each plan's completion and the targets by warning level; an anonymous visitor is
    sent to the public portal (or to log in while it is closed)."""
    if user is None:
        target = "/public" if portal_open(session) else "/login"
        query = request.url.query
        return RedirectResponse(target + (f"?{query}" if query else ""), status_code=303)
    model = cached(
        session, ("overview", who(user)), lambda s: views.overview_page(s, user, database)
    )
    model = model.model_copy(update={"user": views.me_public(user)})
    return render(request, "home.html", model.model_dump(mode="json"), user)
