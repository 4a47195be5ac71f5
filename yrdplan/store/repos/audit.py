"""Reading the audit log (``store/audit.py`` writes it): entries newest first, a page at a time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.store.schema import AuditEntry


def list_entries(
    session: Session,
    *,
    entity: str | None = None,
    username: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Up to ``limit`` entries, newest first, of one table and/or one user, older than ``before``."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if username:
        query = query.where(AuditEntry.username == username)
    if before:
        query = query.where(AuditEntry.id < before)
    return list(session.scalars(query))
