"""Log-in, log-out and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from yrdplan.services.accounts import LoginThrottled, authenticate, end_session, start_session
from yrdplan.web.deps import (
    SESSION_COOKIE,
    CurrentUser,
    DatabaseDep,
    OptionalUser,
    session_policy,
    verify_csrf,
)
from yrdplan.web.i18n import LANGUAGES, translate
from yrdplan.web.render import render
from yrdplan.web.views.overview import MePublic, me_public

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after log-in would be a phishing aid.
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or urlparse(target).netloc
    ):
        return "/"
    return target


@router.get("/login", include_in_schema=False)
def login_page(request: Request, user: OptionalUser, next: str | None = None):  # noqa: A002 - query name
    return render(request, "login.html", {"next": _safe_next(next), "error": None}, user)


@router.post("/login", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    database: DatabaseDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002 - form field name
):
    settings = request.app.state.settings
    client = request.client.host if request.client else ""
    lang = request.cookies.get("lang", settings.default_language)
    try:
        with database.write() as session:
            user = authenticate(
                session,
                username.strip(),
                password,
                client=client,
                max_failures=settings.login_max_failures,
                window_minutes=settings.login_window_minutes,
                max_client_failures=settings.login_max_failures_per_client,
            )
            token = (
                start_session(
                    session,
                    user,
                    session_policy(request),
                    client=client,
                    user_agent=request.headers.get("user-agent", ""),
                )
                if user
                else None
            )
    except LoginThrottled:
        data = {"next": _safe_next(next), "error": translate("login.throttled", lang)}
        return render(request, "login.html", data, None, status_code=429)
    if user is None:
        data = {"next": _safe_next(next), "error": translate("login.failed", lang)}
        return render(request, "login.html", data, None, status_code=401)
    # After an admin's reset, the first stop is choosing a new password.
    target = "/account" if user.must_change_password else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    # A new random id at every log-in: a cookie planted before log-in is worth nothing.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_age_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def logout(request: Request, database: DatabaseDep):
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with database.write() as session:
            end_session(session, token, "logout")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}", include_in_schema=False)
def switch_language(code: str, request: Request):
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/api/me", response_model=MePublic, tags=["accounts"])
def me(user: CurrentUser):
    """The signed-in user (session cookie or `Authorization: Bearer` token)."""
    return me_public(user)
