"""Users, API tokens and log-in attempts in the store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, NotFoundError
from yrdplan.store.schema import ApiToken, LoginAttempt, Unit, User, UserRegion


def to_info(session: Session, user: User) -> UserInfo:
    regions = list(
        session.scalars(select(UserRegion.region_code).where(UserRegion.user_id == user.id))
    )
    return UserInfo(
        id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        unit_id=user.unit_id,
        region_codes=sorted(regions),
        language=user.language,
        must_change_password=bool(user.must_change_password),
    )


def add_user(
    session: Session,
    *,
    username: str,
    password_hash: str,
    role: str,
    display_name: str = "",
    unit_code: str | None = None,
    region_codes: list[str] | None = None,
) -> User:
    if session.scalar(select(User.id).where(User.username == username)):
        raise InputError(f"user {username!r} exists already")
    unit_id = None
    if unit_code:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        if unit_id is None:
            raise NotFoundError(f"unknown unit code {unit_code!r}")
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        display_name=display_name or username,
        unit_id=unit_id,
    )
    session.add(user)
    session.flush()
    session.add_all(UserRegion(user_id=user.id, region_code=code) for code in region_codes or [])
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"unknown user id {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def count_failures_since(session: Session, username: str, since: datetime) -> int:
    return session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.at >= since,
            LoginAttempt.success.is_(False),
        )
    )


def count_client_failures_since(session: Session, client: str, since: datetime) -> int:
    return session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.client == client[:64],
            LoginAttempt.at >= since,
            LoginAttempt.success.is_(False),
        )
    )


def last_success_since(session: Session, username: str, since: datetime) -> datetime | None:
    return session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username,
            LoginAttempt.at >= since,
            LoginAttempt.success.is_(True),
        )
    )


def record_attempt(session: Session, username: str, client: str, success: bool) -> None:
    session.add(LoginAttempt(username=username, client=client[:64], success=success))


def add_token(session: Session, user_id: int, token_hash: str, name: str) -> ApiToken:
    token = ApiToken(user_id=user_id, token_hash=token_hash, name=name)
    session.add(token)
    return token


def user_by_token_hash(session: Session, token_hash: str) -> User | None:
    return session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            User.is_active.is_(True),
        )
    )
