"""Web sessions in the store: created on log-in, looked up per request, ended for a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yrdplan.store.schema import WebSession, utcnow


def add_session(
    session: Session,
    *,
    token_hash: str,
    user_id: int,
    expires_at: datetime,
    client: str,
    user_agent: str,
) -> WebSession:
    row = WebSession(
        id=token_hash,
        user_id=user_id,
        expires_at=expires_at,
        client=client[:64],
        user_agent=user_agent[:200],
    )
    session.add(row)
    return row


def find_session(session: Session, token_hash: str) -> WebSession | None:
    return session.get(WebSession, token_hash)


def touch_session(session: Session, token_hash: str, at: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id == token_hash).values(last_seen_at=at))


def end_sessions(
    session: Session, reason: str, *, user_id: int | None = None, token_hash: str | None = None
) -> int:
    """End the live sessions of one user, or one session; the number ended."""
    if user_id is None and token_hash is None:
        raise ValueError("end_sessions needs user_id or token_hash")
    query = update(WebSession).where(WebSession.ended_at.is_(None))
    if user_id is not None:
        query = query.where(WebSession.user_id == user_id)
    if token_hash is not None:
        query = query.where(WebSession.id == token_hash)
    result = session.execute(query.values(ended_at=utcnow(), end_reason=reason[:32]))
    return result.rowcount or 0


def live_sessions(session: Session, user_id: int, now: datetime) -> list[WebSession]:
    """Sessions of a user that have not ended nor passed their absolute lifetime, newest first."""
    return list(
        session.scalars(
            select(WebSession)
            .where(
                WebSession.user_id == user_id,
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
            )
            .order_by(WebSession.created_at.desc())
        )
    )
