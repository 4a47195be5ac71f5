"""Optimistic locking at flush time: a lost race becomes a ``ConflictError`` the caller can show."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from yrdplan.errors import ConflictError


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush, turning a lost optimistic-lock race or a duplicate row into ``ConflictError``."""
    try:
        session.flush()
    except StaleDataError as err:
        raise ConflictError(f"{what} was changed by someone else; reload it and try again") from err
    except IntegrityError as err:
        raise ConflictError(
            f"{what} was saved by someone else at the same time; reload it"
        ) from err
