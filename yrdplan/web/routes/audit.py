"""The audit log, read-only, for the office and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from yrdplan.web.deps import MAX_ROW_ID, OfficeUser, SessionDep
from yrdplan.web.render import render
from yrdplan.web.views import audit as views

router = APIRouter()


@router.get("/audit", response_model=views.AuditPagePublic, tags=["audit"])
def audit_page(
    request: Request,
    session: SessionDep,
    user: OfficeUser,
    entity: str | None = None,
    username: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
):
    """Audit entries, newest first, 100 a page (office and admin only); page with ``before``."""
    model = views.audit_page(session, entity, username, before)
    return render(request, "audit.html", model.model_dump(mode="json"), user)


@router.get("/api/audit", response_model=views.AuditPagePublic, tags=["audit"])
def api_audit(
    session: SessionDep,
    user: OfficeUser,
    entity: str | None = None,
    username: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
):
    """What `/audit?format=json` answers."""
    return views.audit_page(session, entity, username, before)
