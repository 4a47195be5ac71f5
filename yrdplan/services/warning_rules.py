"""Warning levels for monitor rows: the engine's rules (:mod:`yrdplan.analytics.warnings`) with
the settings of ``yrdplan/data/monitoring.toml``, and one rule of the monitor's own.

The analytics rules turn statuses into levels and raise them for an unrealistic target or a
latest value well behind the straight path. On top, a shortfall (moderate, limited) of a binding
(约束性) indicator is raised ``binding_steps`` levels: its target is a commitment, not an
expectation. Insufficient data has no level (``None``) unless the settings give it one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.analytics.progress import ProgressResult
from yrdplan.analytics.warnings import WARNING_LEVELS, WarningRules, assign_warnings, warning_names
from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError
from yrdplan.services.callers import require_manager
from yrdplan.services.indicator_data import monitoring_settings
from yrdplan.store.repos.instance_settings import write_setting
from yrdplan.store.schema import InstanceSetting

#: Stored thresholds are instance settings under this prefix; the monitor's data fingerprint
#: includes them, so a change recomputes the stored warnings (see repos.indicators).
THRESHOLD_PREFIX = "warnings."

_SHORTFALL = ("moderate", "limited")


@dataclass(frozen=True)
class MonitorWarningRules:
    """The engine's rules and the binding-indicator step."""

    engine: WarningRules
    binding_steps: int = 1


#: Thresholds the office may change on /settings (stored as ``warnings.<name>`` instance
#: settings over monitoring.toml's ``[warnings]``): name -> (kind, low, high).
ADJUSTABLE = {
    "behind_share": (float, 0.0, 1.0),
    "unrealistic_steps": (int, 0, 3),
    "behind_steps": (int, 0, 3),
    "binding_steps": (int, 0, 3),
}


def default_thresholds() -> dict[str, float]:
    """The shipped values of the adjustable thresholds (monitoring.toml)."""
    table = monitoring_settings().get("warnings", {})
    fallback = {"behind_share": 0.25, "unrealistic_steps": 1, "behind_steps": 1, "binding_steps": 1}
    return {name: table.get(name, fallback[name]) for name in ADJUSTABLE}


def check_threshold(name: str, value: float) -> float:
    """``value`` as the threshold ``name`` takes it; ``ValueError`` naming the allowed range."""
    kind, low, high = ADJUSTABLE[name]
    if kind is int and value != int(value):
        raise ValueError(f"{name} is a whole number of levels, {low} to {high}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value:g}")
    return kind(value)


def warning_rules(overrides: dict[str, float] | None = None) -> MonitorWarningRules:
    """The rules from ``[warnings]`` in monitoring.toml (``ValueError`` naming a bad entry),
    with the office's stored thresholds (``overrides``) in place of the shipped ones."""
    table = dict(monitoring_settings().get("warnings", {})) | dict(overrides or {})
    levels = {status: (level or None) for status, level in table.get("status", {}).items()}
    behind = table.get("behind_share", 0.25)
    engine = WarningRules(
        status_levels=levels,
        unrealistic_steps=int(table.get("unrealistic_steps", 1)),
        behind_share=float(behind) if behind else None,
        behind_steps=int(table.get("behind_steps", 1)),
    )
    return MonitorWarningRules(engine, int(table.get("binding_steps", 1)))


def engine_warnings(result: ProgressResult, rules: MonitorWarningRules) -> list[str | None]:
    """Level names for the rows of one engine result (before the binding step)."""
    return warning_names(assign_warnings(result, rules.engine)).tolist()


def raise_binding(rows: list[dict], rules: MonitorWarningRules) -> None:
    """Raise the level of a binding indicator's shortfall, in place, never past red."""
    if not rules.binding_steps:
        return
    top = len(WARNING_LEVELS) - 1
    for row in rows:
        if row.get("kind") == "binding" and row["status"] in _SHORTFALL and row.get("warning"):
            code = WARNING_LEVELS.index(row["warning"])
            row["warning"] = WARNING_LEVELS[int(np.minimum(code + rules.binding_steps, top))]


def stored_thresholds(session: Session) -> dict[str, float]:
    """The thresholds the office set (name -> value); the others stay as shipped."""
    rows = session.execute(
        select(InstanceSetting.key, InstanceSetting.value).where(
            InstanceSetting.key.startswith(THRESHOLD_PREFIX)
        )
    )
    found = {key.removeprefix(THRESHOLD_PREFIX): value for key, value in rows}
    return {n: ADJUSTABLE[n][0](float(v)) for n, v in found.items() if n in ADJUSTABLE}


def set_threshold(session: Session, name: str, value: float, user: UserInfo) -> float:
    """Set one warning threshold (office); the next page view recomputes the warnings."""
    require_manager(user, "change warning thresholds")
    if name not in ADJUSTABLE:
        raise InputError(f"unknown threshold {name!r}: one of {', '.join(ADJUSTABLE)}")
    try:
        value = check_threshold(name, value)
    except ValueError as err:
        raise InputError(str(err)) from err
    write_setting(session, THRESHOLD_PREFIX + name, str(value))
    return value
