"""Request dependencies: the database session, the current user, CSRF, the language."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import PermissionDenied, YrdplanError
from yrdplan.services.accounts import user_for_token
from yrdplan.services.database import Database
from yrdplan.store.audit import Actor
from yrdplan.store.repos.users import get_user, to_info
from yrdplan.web.i18n import LANGUAGES


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
SessionDep = Annotated[Session, Depends(get_session)]


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_user(request: Request, session: SessionDep) -> UserInfo | None:
    token = _bearer_token(request)
    if token:
        user = user_for_token(session, token)
        if user is None:
            raise LoginRequired("invalid or revoked API token")
        request.state.auth = "token"
        return user
    user_id = request.session.get("user_id")
    if user_id is None:
        return None
    try:
        row = get_user(session, int(user_id))
    except YrdplanError:
        request.session.clear()
        return None
    if not row.is_active:
        request.session.clear()
        return None
    request.state.auth = "session"
    return to_info(session, row)


OptionalUser = Annotated[UserInfo | None, Depends(optional_user)]


def require_user(user: OptionalUser) -> UserInfo:
    if user is None:
        raise LoginRequired("log in first")
    return user


CurrentUser = Annotated[UserInfo, Depends(require_user)]


def require_office(user: CurrentUser) -> UserInfo:
    if not user.can_manage:
        raise PermissionDenied("only the office (or an admin) may do this")
    return user


OfficeUser = Annotated[UserInfo, Depends(require_office)]


def actor_of(user: UserInfo) -> Actor:
    return Actor(user.id, user.username)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Unsafe requests made with the session cookie must carry the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS") or _bearer_token(request):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = form.get("csrf_token")
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        raise CsrfFailed("missing or wrong CSRF token; reload the page and try again")


def language(request: Request) -> str:
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.app.state.settings.default_language


LanguageDep = Annotated[str, Depends(language)]
