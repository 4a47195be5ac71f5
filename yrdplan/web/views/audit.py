"""What the audit-log page shows: entries newest first, a page at a time, of one table or user."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.store.repos import audit as audit_repo
from yrdplan.web.views.times import UtcDateTime

PAGE_SIZE = 100


class AuditFiltersPublic(BaseModel):
    entity: str | None
    username: str | None


class AuditEntryPublic(BaseModel):
    id: int
    at: UtcDateTime  # UTC
    username: str
    action: str  # insert, update, delete
    entity: str
    entity_id: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    note: str


class AuditPagePublic(BaseModel):
    filters: AuditFiltersPublic
    entries: list[AuditEntryPublic]
    next_before: int | None  # pass as ``before`` for the next (older) page; None on the last


def audit_page(
    session: Session, entity: str | None, username: str | None, before: int | None
) -> AuditPagePublic:
    rows = audit_repo.list_entries(
        session, entity=entity, username=username, before=before, limit=PAGE_SIZE
    )
    return AuditPagePublic(
        filters=AuditFiltersPublic(entity=entity, username=username),
        entries=[
            AuditEntryPublic(
                id=e.id,
                at=e.at,
                username=e.username,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                old=e.old,
                new=e.new,
                note=e.note,
            )
            for e in rows
        ],
        next_before=rows[-1].id if len(rows) == PAGE_SIZE else None,
    )
