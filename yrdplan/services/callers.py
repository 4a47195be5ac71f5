"""Who is calling a use case: every use case takes its caller, and a missing one gets nothing.

The web passes the signed-in user; the command line passes ``SYSTEM_CALLER`` explicitly. No
default stands in for a forgotten caller, so a route that fails to pass one is refused rather
than served with the office's rights.
"""

from __future__ import annotations

from yrdplan.domain.people import UserInfo
from yrdplan.errors import PermissionDenied
from yrdplan.store.audit import SYSTEM, Actor


def require_caller(user: UserInfo | None) -> UserInfo:
    """The caller, or ``PermissionDenied`` when there is none."""
    if not isinstance(user, UserInfo):
        raise PermissionDenied(
            "no caller: this operation needs a signed-in user or the command line"
        )
    return user


def require_manager(user: UserInfo | None, what: str = "do this") -> UserInfo:
    """The office or an admin (the command line acts as an admin)."""
    if not require_caller(user).can_manage:
        raise PermissionDenied(f"only the office (or an admin) may {what}")
    return user


def actor_of(user: UserInfo) -> Actor:
    """The audit log's name for the caller."""
    return SYSTEM if user.is_system else Actor(user.id, user.username)


def user_id_of(user: UserInfo) -> int | None:
    """The caller's id for ``created_by`` columns (none for the command line)."""
    return None if user.is_system else user.id
