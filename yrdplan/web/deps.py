"""Request dependencies: the database session, the current user, CSRF, the language."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import PermissionDenied, YrdplanError
from yrdplan.services.accounts import (
    SessionPolicy,
    touch_session,
    user_for_session,
    user_for_token,
)
from yrdplan.store.audit import Actor
from yrdplan.store.database import Database
from yrdplan.web import middleware
from yrdplan.web.i18n import LANGUAGES

SESSION_COOKIE = "yrdplan_session"  # a random id; the session itself is a row in web_sessions
CSRF_COOKIE = "yrdplan_csrf"  # before log-in, the CSRF token is bound to this random cookie


class LoginRequired(YrdplanError):
    """No signed-in user where one is needed: pages redirect to the log-in, the API answers 401."""


class CsrfFailed(PermissionDenied):
    """A form or cookie-authenticated API call without the session's CSRF token."""


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_session(request: Request) -> Iterator[Session]:
    with get_database(request).read() as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]

# Row ids in paths, queries and bodies: a number the columns can hold (the schema's INTEGER is
# 32-bit on PostgreSQL), so a huge one is a 422 naming the parameter, never an overflow deep in
# a query.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
RowIdField = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
VersionField = Annotated[int | None, Field(ge=0, le=MAX_ROW_ID)]
SessionDep = Annotated[Session, Depends(get_session)]


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def session_policy(request: Request) -> SessionPolicy:
    settings = request.app.state.settings
    return SessionPolicy(settings.session_idle_minutes, settings.session_max_age_hours)


def queue_cookie(request: Request, name: str, value: str | None, **options) -> None:
    """A cookie for whatever response this request gets (see ``middleware.queue_cookie``)."""
    middleware.queue_cookie(request.scope.setdefault("state", {}), name, value, **options)


def optional_user(request: Request, session: SessionDep) -> UserInfo | None:
    token = _bearer_token(request)
    if token:
        user = user_for_token(session, token)
        if user is None:
            raise LoginRequired("invalid or revoked API token")
        request.state.auth = "token"
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    lookup = user_for_session(session, cookie, session_policy(request))
    if lookup is None:
        queue_cookie(request, SESSION_COOKIE, None)  # ended or lapsed: the browser forgets it
        return None
    if lookup.stale_stamp:
        with get_database(request).write() as writer:
            touch_session(writer, cookie)
    request.state.auth = "session"
    request.state.session_token = cookie
    return lookup.user


OptionalUser = Annotated[UserInfo | None, Depends(optional_user)]


class PasswordChangeRequired(PermissionDenied):
    """An admin reset the password: the user sets a new one before anything else."""


# What a user whose password was reset may still reach: their account page and the log-out.
_WHILE_RESET = ("/account", "/logout", "/lang/", "/api/me")


def require_user(request: Request, user: OptionalUser) -> UserInfo:
    if user is None:
        raise LoginRequired("log in first")
    if user.must_change_password and not request.url.path.startswith(_WHILE_RESET):
        raise PasswordChangeRequired("set a new password first (your password was reset)")
    return user


CurrentUser = Annotated[UserInfo, Depends(require_user)]


def require_office(user: CurrentUser) -> UserInfo:
    if not user.can_manage:
        raise PermissionDenied("only the office (or an admin) may do this")
    return user


OfficeUser = Annotated[UserInfo, Depends(require_office)]


def actor_of(user: UserInfo) -> Actor:
    return Actor(user.id, user.username)


def _csrf_for(request: Request, kind: str, value: str) -> str:
    secret = request.app.state.secret_key.encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms and scripts send back: bound to the session, or before log-in to a
    random cookie of its own (double submit), so a page on another site cannot forge it."""
    session_token = getattr(request.state, "session_token", None)
    if session_token:
        return _csrf_for(request, "s", session_token)
    anonymous = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_cookie", None)
    if not anonymous:
        anonymous = secrets.token_urlsafe(32)
        request.state.csrf_cookie = anonymous
        queue_cookie(
            request, CSRF_COOKIE, anonymous, secure=request.app.state.settings.cookie_secure
        )
    return _csrf_for(request, "a", anonymous)


async def verify_csrf(request: Request) -> None:
    """Unsafe requests made with cookies must carry the token of the session or the CSRF cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS") or _bearer_token(request):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = form.get("csrf_token")
    expected = [
        _csrf_for(request, kind, value)
        for kind, value in (
            ("s", request.cookies.get(SESSION_COOKIE)),
            ("a", request.cookies.get(CSRF_COOKIE)),
        )
        if value
    ]
    if not sent or not any(hmac.compare_digest(str(sent), token) for token in expected):
        raise CsrfFailed("missing or wrong CSRF token; reload the page and try again")


def language(request: Request) -> str:
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.app.state.settings.default_language


LanguageDep = Annotated[str, Depends(language)]
