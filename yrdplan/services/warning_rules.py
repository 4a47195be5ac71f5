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

from yrdplan.analytics.progress import ProgressResult
from yrdplan.analytics.warnings import WARNING_LEVELS, WarningRules, assign_warnings, warning_names
from yrdplan.services.indicator_data import monitoring_settings

_SHORTFALL = ("moderate", "limited")


@dataclass(frozen=True)
class MonitorWarningRules:
    """The engine's rules and the binding-indicator step."""

    engine: WarningRules
    binding_steps: int = 1


def warning_rules() -> MonitorWarningRules:
    """The rules from ``[warnings]`` in monitoring.toml (``ValueError`` naming a bad entry)."""
    table = dict(monitoring_settings().get("warnings", {}))
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
