"""Accounts: passwords (Argon2), log-in with throttling, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo, check_role
from yrdplan.errors import InputError, PermissionDenied
from yrdplan.store.repos import users as user_repo
from yrdplan.store.schema import User, utcnow

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
