"""Accounts over HTTP: a user's live sessions, for an admin or the user themself."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from yrdplan.services import accounts
from yrdplan.web.deps import CurrentUser, DatabaseDep, SessionDep, actor_of, verify_csrf

router = APIRouter(tags=["accounts"])


class SessionPublic(BaseModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client: str
    user_agent: str


class SessionsEnded(BaseModel):
    ended: int


@router.get("/api/users/{username}/sessions", response_model=list[SessionPublic])
def list_sessions(username: str, session: SessionDep, user: CurrentUser) -> list[dict]:
    """The live web sessions of a user (admin, or the user themself)."""
    return accounts.user_sessions(session, user, username)


@router.delete(
    "/api/users/{username}/sessions",
    response_model=SessionsEnded,
    dependencies=[Depends(verify_csrf)],
)
def end_sessions(username: str, database: DatabaseDep, user: CurrentUser) -> dict:
    """End every web session of a user (admin, or the user themself)."""
    with database.write(actor_of(user)) as session:
        return {"ended": accounts.end_user_sessions(session, user, username)}
