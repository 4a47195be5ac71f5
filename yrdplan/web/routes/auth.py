"""Log-in, log-out and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from yrdplan.services.accounts import LoginThrottled, authenticate
from yrdplan.web.deps import CurrentUser, DatabaseDep, OptionalUser, verify_csrf
from yrdplan.web.i18n import LANGUAGES, translate
from yrdplan.web.render import render

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
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",  # noqa: A002 - form field name
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
            )
    except LoginThrottled:
        data = {"next": _safe_next(next), "error": translate("login.throttled", lang)}
        return render(request, "login.html", data, None, status_code=429)
    if user is None:
        data = {"next": _safe_next(next), "error": translate("login.failed", lang)}
        return render(request, "login.html", data, None, status_code=401)
    request.session.clear()  # a new session id on log-in: no session fixation
    request.session["user_id"] = user.id
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/lang/{code}", include_in_schema=False)
def switch_language(code: str, request: Request):
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/api/me", tags=["accounts"])
def me(user: CurrentUser) -> dict:
    """The signed-in user (session cookie or `Authorization: Bearer` token)."""
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "unit_id": user.unit_id,
        "region_codes": user.region_codes,
    }
