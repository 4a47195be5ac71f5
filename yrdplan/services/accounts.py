"""Accounts: passwords (Argon2), log-in with throttling, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo, check_role
from yrdplan.errors import InputError, NotFoundError, PermissionDenied
from yrdplan.services.callers import require_caller
from yrdplan.store.repos import sessions as session_repo
from yrdplan.store.repos import users as user_repo
from yrdplan.store.schema import Unit, User, UserRegion, utcnow

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


class LoginThrottled(PermissionDenied):
    """Too many failed log-ins for one user name in the window."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    unit_code: str | None = None,
    region_codes: list[str] | None = None,
) -> User:
    try:
        check_role(role)
    except ValueError as err:
        raise InputError(str(err)) from err
    if role == "unit_reporter" and not unit_code:
        raise InputError("a unit_reporter needs --unit: the unit whose tasks the user reports on")
    if role == "data_steward" and not region_codes:
        raise InputError(
            "a data_steward needs --region: the region codes whose data the user edits"
        )
    return user_repo.add_user(
        session,
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name,
        unit_code=unit_code,
        region_codes=region_codes,
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    client: str,
    max_failures: int,
    window_minutes: int,
    max_client_failures: int = 0,
) -> UserInfo | None:
    """The user for a correct password, else None; ``LoginThrottled`` after too many failures.

    Failures count since the later of the window's start and the last success, so a user who
    finally gets it right is not locked out by earlier typos.
    """
    since = utcnow() - timedelta(minutes=window_minutes)
    last_ok = user_repo.last_success_since(session, username, since)
    failures = user_repo.count_failures_since(session, username, last_ok or since)
    if failures >= max_failures:
        raise LoginThrottled(
            f"too many failed log-ins for {username!r}; try again in {window_minutes} minutes"
        )
    # One address guessing many user names is throttled too, with a higher allowance so that an
    # office behind one NAT address is not locked out by a few colleagues' typos.
    if client and max_client_failures:
        if user_repo.count_client_failures_since(session, client, since) >= max_client_failures:
            raise LoginThrottled(
                f"too many failed log-ins from {client}; try again in {window_minutes} minutes"
            )
    user = user_repo.find_user(session, username)
    ok = False
    if user is not None and user.is_active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time as a real check so response times do not reveal user names.
        _hasher.hash(password or "x" * MIN_PASSWORD_LENGTH)
    user_repo.record_attempt(session, username, client, ok)
    return user_repo.to_info(session, user) if ok else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user_id: int, name: str = "") -> str:
    """A new API token for the user; only its hash is stored, so show it once."""
    token = "yrd_" + secrets.token_urlsafe(32)
    user_repo.add_token(session, user_id, _token_hash(token), name)
    return token


def user_for_token(session: Session, token: str) -> UserInfo | None:
    user = user_repo.user_by_token_hash(session, _token_hash(token))
    return user_repo.to_info(session, user) if user else None


# --- web sessions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a web session lives: ``idle_minutes`` without use, ``max_age_hours`` in all."""

    idle_minutes: int
    max_age_hours: int

    @property
    def touch_every(self) -> timedelta:
        # Recording every request's time would make each page view a write; a coarse stamp
        # (a tenth of the idle timeout, at most a minute) keeps the idle rule exact enough.
        return min(timedelta(minutes=self.idle_minutes) / 10, timedelta(minutes=1))


@dataclass(frozen=True, slots=True)
class SessionLookup:
    user: UserInfo
    stale_stamp: bool  # last_seen_at is older than the policy's touch interval


def _session_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user: UserInfo, policy: SessionPolicy, *, client: str, user_agent: str
) -> str:
    """A new session for ``user``; returns the cookie value (only its hash is stored)."""
    user = require_caller(user)
    token = secrets.token_urlsafe(32)
    session_repo.add_session(
        session,
        token_hash=_session_key(token),
        user_id=user.id,
        expires_at=utcnow() + timedelta(hours=policy.max_age_hours),
        client=client,
        user_agent=user_agent,
    )
    return token


def user_for_session(
    session: Session, token: str, policy: SessionPolicy, now: datetime | None = None
) -> SessionLookup | None:
    """The user of a live session, or None when it ended, lapsed, or its user was disabled."""
    now = now or utcnow()
    row = session_repo.find_session(session, _session_key(token))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(minutes=policy.idle_minutes):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    stale = now - row.last_seen_at > policy.touch_every
    return SessionLookup(user_repo.to_info(session, user), stale)


def touch_session(session: Session, token: str) -> None:
    session_repo.touch_session(session, _session_key(token), utcnow())


def end_session(session: Session, token: str, reason: str = "logout") -> None:
    session_repo.end_sessions(session, reason, token_hash=_session_key(token))


def _require_admin_or_self(caller: UserInfo, user: User, what: str) -> None:
    if require_caller(caller).role != "admin" and caller.id != user.id:
        raise PermissionDenied(f"only an admin (or {user.username} themself) may {what}")


def _require_admin(caller: UserInfo, what: str) -> None:
    if require_caller(caller).role != "admin":
        raise PermissionDenied(f"only an admin may {what}")


def _user_named(session: Session, username: str) -> User:
    user = user_repo.find_user(session, username)
    if user is None:
        raise NotFoundError(f"unknown user {username!r}")
    return user


def user_sessions(session: Session, caller: UserInfo, username: str) -> list[dict]:
    """The live sessions of a user (for an admin, or the user themself)."""
    require_caller(caller)
    user = _user_named(session, username)
    _require_admin_or_self(caller, user, "see these sessions")
    return [
        {
            "id": row.id[:12],  # enough to tell sessions apart, not enough to use one
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "expires_at": row.expires_at,
            "client": row.client,
            "user_agent": row.user_agent,
        }
        for row in session_repo.live_sessions(session, user.id, utcnow())
    ]


def end_user_sessions(session: Session, caller: UserInfo, username: str) -> int:
    """End every session of a user; the number ended."""
    require_caller(caller)
    user = _user_named(session, username)
    _require_admin_or_self(caller, user, "end these sessions")
    return session_repo.end_sessions(session, "ended_by_admin", user_id=user.id)


def change_password(
    session: Session,
    caller: UserInfo,
    username: str,
    new_password: str,
    current_password: str | None = None,
) -> None:
    """Set a new password; every session of the user ends. A user changing their own password
    must give the current one; an admin resetting someone else's need not."""
    require_caller(caller)
    user = _user_named(session, username)
    _require_admin_or_self(caller, user, "change this password")
    if caller.id == user.id and not caller.is_system:
        try:
            ok = _hasher.verify(user.password_hash, current_password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            raise InputError("current_password: wrong password")
    user.password_hash = hash_password(new_password)
    if caller.id == user.id:
        user.must_change_password = False  # the user chose this one themself
    session_repo.end_sessions(session, "password_changed", user_id=user.id)


def change_role(
    session: Session,
    caller: UserInfo,
    username: str,
    role: str,
    *,
    unit_code: str | None = None,
    region_codes: list[str] | None = None,
) -> None:
    """Give a user another role (with its unit or regions); every session of the user ends."""
    _require_admin(caller, "change roles")
    user = _user_named(session, username)
    try:
        check_role(role)
    except ValueError as err:
        raise InputError(f"role: {err}") from err
    if role == "unit_reporter" and not unit_code:
        raise InputError("unit: a unit_reporter needs the unit whose tasks the user reports on")
    if role == "data_steward" and not region_codes:
        raise InputError("region: a data_steward needs the region codes whose data they edit")
    if user.role == "admin" and role != "admin" and _active_admins(session) <= 1:
        raise InputError(f"role: {username} is the last active admin")
    unit_id = None
    if role == "unit_reporter":
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        if unit_id is None:
            raise InputError(f"unit: unknown unit code {unit_code!r}")
    user.role = role
    user.unit_id = unit_id
    session.execute(delete(UserRegion).where(UserRegion.user_id == user.id))
    if role == "data_steward":
        session.add_all(UserRegion(user_id=user.id, region_code=code) for code in region_codes)
    session_repo.end_sessions(session, "role_changed", user_id=user.id)


def set_active(session: Session, caller: UserInfo, username: str, active: bool) -> None:
    """Enable or disable a user; disabling ends every session and refuses API tokens."""
    _require_admin(caller, "enable or disable users")
    user = _user_named(session, username)
    if not active and user.role == "admin" and user.is_active and _active_admins(session) <= 1:
        raise InputError(f"{username} is the last active admin")
    user.is_active = active
    if not active:
        session_repo.end_sessions(session, "user_disabled", user_id=user.id)


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.is_active)
    )
