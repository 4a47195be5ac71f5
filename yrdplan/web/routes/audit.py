"""The audit log, read-only, for the office and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.store.schema import AuditEntry
from yrdplan.web.deps import MAX_ROW_ID, OfficeUser, SessionDep
from yrdplan.web.render import render

router = APIRouter()
PAGE_SIZE = 100


def audit_view_data(
    session: Session, entity: str | None, username: str | None, before: int | None
) -> dict:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if username:
        query = query.where(AuditEntry.username == username)
    if before:
        query = query.where(AuditEntry.id < before)
    rows = session.scalars(query).all()
    return {
        "filters": {"entity": entity, "username": username},
        "entries": [
            {
                "id": e.id,
                "at": e.at,
                "username": e.username,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "old": e.old,
                "new": e.new,
                "note": e.note,
            }
            for e in rows
        ],
        "next_before": rows[-1].id if len(rows) == PAGE_SIZE else None,
    }


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    session: SessionDep,
    user: OfficeUser,
    entity: str | None = None,
    username: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
):
    return render(request, "audit.html", audit_view_data(session, entity, username, before), user)


@router.get("/api/audit", tags=["audit"])
def api_audit(
    session: SessionDep,
    user: OfficeUser,
    entity: str | None = None,
    username: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> dict:
    """Audit entries, newest first, 100 a page (office and admin only); page with ``before``."""
    return audit_view_data(session, entity, username, before)
