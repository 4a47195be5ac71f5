"""Warning levels (预警等级) from the progress engine's statuses, by configurable rules.

A level is looked up from the status (:data:`DEFAULT_STATUS_LEVELS`), then raised a step for
each warning sign the status does not already carry: a target flagged unrealistic
("脱离实际盲目攀高"), and a latest value well behind the straight path to the target. Levels
never go past red, and an achieved target is never raised.

Insufficient data gets no level (:data:`NO_LEVEL`, -1), not a fifth colour: the exchange format
has exactly four (green, yellow, orange, red), and "we cannot tell" is not a judgement on the
region. Pages draw it grey and exports leave it empty. An office that wants missing data to
raise a warning maps ``insufficient_data`` to a colour in its rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yrdplan.analytics.progress import ACHIEVED, STATUS_NAMES, ProgressResult

#: Level codes are indices into this tuple, from no concern to the most serious.
WARNING_LEVELS: tuple[str, ...] = ("green", "yellow", "orange", "red")
GREEN, YELLOW, ORANGE, RED = range(4)
#: The code for "no level" (insufficient data under the default rules).
NO_LEVEL = -1

#: Status → level under the default rules; None means no level.
DEFAULT_STATUS_LEVELS: Mapping[str, str | None] = {
    "achieved": "green",
    "on_track": "green",
    "moderate": "yellow",
    "limited": "orange",
    "deteriorating": "red",
    "insufficient_data": None,
}


@dataclass(frozen=True)
class WarningRules:
    """How statuses and warning signs become levels.

    Parameters
    ----------
    status_levels : mapping of str to str or None
        Level per status name; every name of
        :data:`yrdplan.analytics.progress.STATUS_NAMES` must be present.
    unrealistic_steps : int
        Levels to add when the target is flagged unrealistic (0 to ignore the flag).
    behind_share : float or None
        Raise the level when the latest value is behind the straight path by more than this
        share of the whole change required (``trajectory_gap_share < -behind_share``); None
        to ignore the trajectory.
    behind_steps : int
        Levels to add when behind the path.

    Examples
    --------
    >>> WarningRules(status_levels={**DEFAULT_STATUS_LEVELS, "moderate": "green"}).status_levels[
    ...     "moderate"]
    'green'
    """

    status_levels: Mapping[str, str | None] = field(
        default_factory=lambda: dict(DEFAULT_STATUS_LEVELS)
    )
    unrealistic_steps: int = 1
    behind_share: float | None = 0.25
    behind_steps: int = 1

    def __post_init__(self) -> None:
        missing = [name for name in STATUS_NAMES if name not in self.status_levels]
        if missing:
            raise ValueError(f"status_levels has no level for {missing}")
        unknown = [name for name in self.status_levels if name not in STATUS_NAMES]
        if unknown:
            raise ValueError(f"status_levels names unknown statuses {unknown}")
        for status, level in self.status_levels.items():
            if level is not None and level not in WARNING_LEVELS:
                raise ValueError(
                    f"status_levels[{status!r}] is {level!r}; expected one of {WARNING_LEVELS}"
                    " or None"
                )
        if self.unrealistic_steps < 0:
            raise ValueError("unrealistic_steps must not be negative")
        if self.behind_steps < 0:
            raise ValueError("behind_steps must not be negative")
        if self.behind_share is not None and not self.behind_share > 0:
            raise ValueError("behind_share must be positive (or None)")

    def level_codes(self) -> np.ndarray:
        """The status → level lookup as int8 codes indexed by status code (-1: no level)."""
        return np.array(
            [
                NO_LEVEL
                if self.status_levels[n] is None
                else WARNING_LEVELS.index(self.status_levels[n])
                for n in STATUS_NAMES
            ],
            dtype=np.int8,
        )


def assign_warnings(result: ProgressResult, rules: WarningRules | None = None) -> np.ndarray:
    """Warning level codes, one per row of a progress result.

    Parameters
    ----------
    result : ProgressResult
        From :func:`yrdplan.analytics.progress.compute_progress`; the rules read its
        ``status``, ``unrealistic`` and ``trajectory_gap_share`` columns.
    rules : WarningRules, optional
        The default rules when omitted.

    Returns
    -------
    numpy.ndarray of int8
        Indices into :data:`WARNING_LEVELS`, or :data:`NO_LEVEL` (-1).

    Examples
    --------
    >>> from yrdplan.analytics.progress import Panel, TargetTable, compute_progress
    >>> panel = Panel([0, 2, 4], [2015, 2020, 2015, 2020], [100.0, 125.0, 100.0, 90.0])
    >>> targets = TargetTable([0, 1], [2025, 2025], [">=", ">="], ["higher", "higher"],
    ...                       [150.0, 150.0])
    >>> [warning_names(assign_warnings(compute_progress(panel, targets)))[i] for i in (0, 1)]
    ['green', 'red']
    """
    rules = WarningRules() if rules is None else rules
    status = np.asarray(result.status)
    level = rules.level_codes()[status]
    raise_by = np.asarray(result.unrealistic, dtype=np.int8) * np.int8(rules.unrealistic_steps)
    if rules.behind_share is not None:
        with np.errstate(invalid="ignore"):
            behind = np.asarray(result.trajectory_gap_share) < -rules.behind_share
        raise_by = raise_by + behind.astype(np.int8) * np.int8(rules.behind_steps)
    # Only a real level below red on a target not yet met can be raised.
    raisable = (level != NO_LEVEL) & (status != ACHIEVED)
    raised = np.minimum(level.astype(np.int16) + raise_by, RED).astype(np.int8)
    return np.where(raisable, raised, level).astype(np.int8)


def warning_names(levels: Any) -> np.ndarray:
    """Level names for level codes, ``None`` where there is no level.

    Examples
    --------
    >>> warning_names(np.array([0, 3, -1], dtype=np.int8)).tolist()
    ['green', 'red', None]
    """
    codes = np.asarray(levels)
    names = np.array([*WARNING_LEVELS, None], dtype=object)
    return names[np.where(codes == NO_LEVEL, len(WARNING_LEVELS), codes)]
