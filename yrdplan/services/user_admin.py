"""User administration from the browser: find, add and edit users, reset passwords, API tokens;
and a user's own account (language, tokens).

Built on :mod:`yrdplan.services.accounts` (passwords, roles, sessions, the last-admin rule).
Every change goes through the audited session, so the audit page shows who did what.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yrdplan.domain.people import ROLES, UserInfo
from yrdplan.errors import FieldError, InputError, NotFoundError, PermissionDenied
from yrdplan.services import accounts
from yrdplan.services.callers import require_caller
from yrdplan.store.repos import users as user_repo
from yrdplan.store.repos.regions import get_region
from yrdplan.store.schema import ApiToken, Unit, User, UserRegion, utcnow

LANGUAGES = ("zh", "en")  # the web's (yrdplan.web.i18n); services do not import the web


@dataclass
class UserForm:
    """What the add/edit form sends: every field as typed."""

    username: str = ""
    display_name: str = ""
    role: str = "viewer"
    unit_code: str = ""
    region_codes: list[str] = field(default_factory=list)
    password: str = ""


def _require_admin(user: UserInfo | None, what: str) -> UserInfo:
    if require_caller(user).role != "admin":
        raise PermissionDenied(f"only an admin may {what}")
    return user


def user_public(session: Session, row: User) -> dict:
    """A user as the users pages and the API show one (never a hash)."""
    unit = session.get(Unit, row.unit_id) if row.unit_id else None
    regions = sorted(
        session.scalars(select(UserRegion.region_code).where(UserRegion.user_id == row.id))
    )
    return {
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "unit_code": unit.code if unit else None,
        "unit_name": unit.name if unit else None,
        "region_codes": regions,
        "is_active": bool(row.is_active),
        "must_change_password": bool(row.must_change_password),
        "language": row.language,
        "created_at": row.created_at,
    }


def search_users(
    session: Session, user: UserInfo, query: str = "", role: str | None = None
) -> list[dict]:
    """Users whose name or display name contains ``query``, optionally of one role (admin)."""
    _require_admin(user, "list users")
    statement = select(User).order_by(User.username)
    if query.strip():
        pattern = f"%{query.strip()}%"
        statement = statement.where(
            or_(User.username.ilike(pattern), User.display_name.ilike(pattern))
        )
    if role:
        statement = statement.where(User.role == role)
    return [user_public(session, row) for row in session.scalars(statement)]


def get_user(session: Session, user: UserInfo, username: str) -> dict:
    _require_admin(user, "see users")
    row = user_repo.find_user(session, username)
    if row is None:
        raise NotFoundError(f"unknown user {username!r}")
    return user_public(session, row)


def _check_form(session: Session, form: UserForm, *, new: bool) -> None:
    """Field errors, each named by the form field it belongs to."""
    if new:
        if not form.username or len(form.username) > 64 or not form.username.isprintable():
            raise FieldError(
                "username", "a user name of 1 to 64 printable characters", "fe.username"
            )
        if " " in form.username:
            raise FieldError("username", "a user name has no spaces", "fe.username_space")
        if user_repo.find_user(session, form.username) is not None:
            raise FieldError(
                "username",
                f"user {form.username!r} exists already",
                "fe.exists",
                code=form.username,
            )
        if len(form.password) < accounts.MIN_PASSWORD_LENGTH:
            raise FieldError(
                "password",
                f"at least {accounts.MIN_PASSWORD_LENGTH} characters",
                "fe.password_short",
                count=accounts.MIN_PASSWORD_LENGTH,
            )
    if form.role not in ROLES:
        raise FieldError(
            "role", f"one of {', '.join(ROLES)}", "fe.one_of", choices=", ".join(ROLES)
        )
    if form.role == "unit_reporter":
        if not form.unit_code:
            raise FieldError(
                "unit_code", "a unit reporter needs the unit they report for", "fe.reporter_unit"
            )
        if session.scalar(select(Unit.id).where(Unit.code == form.unit_code)) is None:
            raise FieldError(
                "unit_code",
                f"unknown unit code {form.unit_code!r}",
                "fe.unknown_unit",
                code=form.unit_code,
            )
    if form.role == "data_steward":
        if not form.region_codes:
            raise FieldError(
                "region_codes",
                "a data steward needs the regions whose data they edit",
                "fe.steward_regions",
            )
        for code in form.region_codes:
            try:
                get_region(session, code)
            except NotFoundError as err:
                raise FieldError(
                    "region_codes", f"unknown region code {code!r}", "fe.unknown_region", code=code
                ) from err


def add_user(session: Session, user: UserInfo, form: UserForm) -> dict:
    """Create a user (admin); ``FieldError`` names the field at fault and nothing is written."""
    _require_admin(user, "add users")
    _check_form(session, form, new=True)
    row = accounts.create_user(
        session,
        username=form.username,
        password=form.password,
        role=form.role,
        display_name=form.display_name.strip(),
        unit_code=form.unit_code if form.role == "unit_reporter" else None,
        region_codes=form.region_codes if form.role == "data_steward" else None,
    )
    return user_public(session, row)


def update_user(session: Session, user: UserInfo, username: str, form: UserForm) -> dict:
    """Change a user's display name, role, unit and regions (admin).

    A change of role, unit or regions ends the user's sessions (``accounts.change_role``); the
    last active admin cannot be demoted.
    """
    _require_admin(user, "edit users")
    row = user_repo.find_user(session, username)
    if row is None:
        raise NotFoundError(f"unknown user {username!r}")
    _check_form(session, form, new=False)
    row.display_name = form.display_name.strip() or row.username
    before = user_public(session, row)
    unit_code = form.unit_code if form.role == "unit_reporter" else None
    regions = sorted(set(form.region_codes)) if form.role == "data_steward" else []
    if (before["role"], before["unit_code"], before["region_codes"]) != (
        form.role,
        unit_code,
        regions,
    ):
        try:
            accounts.change_role(
                session, user, username, form.role, unit_code=unit_code, region_codes=regions
            )
        except InputError as err:
            raise FieldError(
                "role", str(err).removeprefix("role: "), "fe.role_change", detail=str(err)
            ) from err
    session.flush()
    return user_public(session, row)


def set_user_active(
    session: Session, user: UserInfo, username: str, active: bool | Callable[[], bool]
) -> dict:
    """Enable or disable a user (admin); the last active admin cannot be disabled.

    ``active`` may be a function that reads it from a form (checked after the caller)."""
    _require_admin(user, "enable or disable users")
    active = active() if callable(active) else active
    accounts.set_active(session, user, username, active)
    return user_public(session, user_repo.find_user(session, username))


def reset_password(session: Session, user: UserInfo, username: str) -> str:
    """A new random password for ``username`` (admin), shown once; the user must replace it at
    the next log-in, and every session of theirs ends now."""
    _require_admin(user, "reset passwords")
    temporary = secrets.token_urlsafe(9)
    accounts.change_password(session, user, username, temporary)
    row = user_repo.find_user(session, username)
    if row.id != user.id:
        row.must_change_password = True
    return temporary


def set_language(session: Session, user: UserInfo, language: str) -> None:
    """The caller's own interface language."""
    require_caller(user)
    if language not in LANGUAGES:
        raise FieldError(
            "language", f"one of {', '.join(LANGUAGES)}", "fe.one_of", choices=", ".join(LANGUAGES)
        )
    row = session.get(User, user.id)
    if row is None:
        raise NotFoundError("the command line has no account of its own")
    row.language = language


def _owner(session: Session, user: UserInfo, username: str) -> User:
    require_caller(user)
    row = user_repo.find_user(session, username)
    if row is None:
        raise NotFoundError(f"unknown user {username!r}")
    if user.role != "admin" and user.id != row.id:
        raise PermissionDenied(f"only an admin (or {username} themself) may manage these tokens")
    return row


def list_tokens(session: Session, user: UserInfo, username: str) -> list[dict]:
    """A user's live API tokens (names and dates, never the token)."""
    row = _owner(session, user, username)
    tokens = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == row.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)
    )
    return [{"id": t.id, "name": t.name, "created_at": t.created_at} for t in tokens]


def issue_user_token(session: Session, user: UserInfo, username: str, name: str) -> str:
    """A new API token for ``username`` (admin, or the user themself); shown once."""
    row = _owner(session, user, username)
    if not row.is_active:
        raise InputError(f"{username} is disabled")
    return accounts.issue_token(session, row.id, name.strip()[:100])


def revoke_token(session: Session, user: UserInfo, username: str, token_id: int) -> None:
    """Revoke one API token of ``username``: it is refused from now on."""
    row = _owner(session, user, username)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != row.id or token.revoked_at is not None:
        raise NotFoundError(f"no live token {token_id} of {username}")
    token.revoked_at = utcnow()


def my_account(session: Session, user: UserInfo) -> dict:
    """The caller's own account: who they are, their sessions and tokens."""
    require_caller(user)
    row = session.get(User, user.id)
    if row is None:
        raise NotFoundError("the command line has no account of its own")
    return user_public(session, row) | {
        "sessions": accounts.user_sessions(session, user, row.username),
        "tokens": list_tokens(session, user, row.username),
    }
