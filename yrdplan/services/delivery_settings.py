"""The delivery office's settings: the lagging margin (percentage points a task may trail the
time elapsed before it counts as lagging; see ``analytics.task_status``)."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from yrdplan.analytics.task_status import DEFAULT_LAGGING_MARGIN
from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError
from yrdplan.services.callers import require_manager
from yrdplan.store.repos.instance_settings import read_setting, write_setting

#: Where the office's lagging margin is kept.
LAGGING_MARGIN_KEY = "delivery.lagging_margin"


def lagging_margin(session: Session) -> float:
    value = read_setting(session, LAGGING_MARGIN_KEY)
    return float(value) if value is not None else DEFAULT_LAGGING_MARGIN


def set_lagging_margin(session: Session, value: float, user: UserInfo | None) -> float:
    """Set the margin (percentage points a task may trail time elapsed before it is lagging)."""
    require_manager(user)
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value < 100):
        raise InputError(f"lagging margin must be a number in [0, 100), got {value!r}")
    write_setting(session, LAGGING_MARGIN_KEY, str(float(value)))
    return float(value)
