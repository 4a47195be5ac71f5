"""Task statuses, computed from dates and reported progress, with the rule that decided each.

The rules, applied in this order (the first that holds decides):

1. **completed** / **completed_late** — a completion date is recorded on or before the as-of
   date; it is late when that date is after the deadline. Completion is a reviewed fact (the
   office accepts the final report, which records the date): a reported 100 % without a
   completion date is *not* completed, and past its deadline it shows as overdue, which is
   exactly what the office needs to chase.
2. **suspended** — the office has paused the task; no time or progress rule applies.
3. **overdue** — the as-of date is after the deadline (a task is due by the *end* of its
   deadline day) and it is not completed.
4. **not_started** — the as-of date is before the start date.
5. Without both a start date and a deadline (standing tasks, "长期坚持") time elapsed is
   undefined, so lagging is not judged: **on_track** with any progress, else **not_started**.
6. **lagging** — ``percent < elapsed - margin``, where ``elapsed`` is the time elapsed as a
   percentage, ``100 * (as_of - start) / (deadline - start)`` in days, capped at 100.
   A task with no report counts as 0 % here: silence is not progress.
7. Otherwise **not_started** when no progress is reported (0 % or no report), else **on_track**.

The margin defaults to :data:`DEFAULT_LAGGING_MARGIN` percentage points; exactly ``margin``
points behind is still on track. Callers pass the task's own start date, or the date its plan
took effect when the task has none.

Statuses are returned as integer codes (positions in ``yrdplan.domain.tasks.TASK_STATUSES``)
together with the code of the rule that fired and the numbers it names
(:meth:`TaskStatuses.reasons`), which a page or a document puts into Chinese or English words.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from yrdplan.domain.tasks import TASK_STATUSES

#: Percentage points a task may trail the time elapsed before it is lagging. 15 points is a
#: working default (about two months of a one-year task); offices set their own.
DEFAULT_LAGGING_MARGIN = 15.0

# Comparisons of percentages derived from day counts carry rounding error (e.g. 70.00000000001);
# this keeps a task that is exactly `margin` points behind on track, as documented.
_TOLERANCE = 1e-9

#: Names of the rules, in the order of their integer codes.
STATUS_RULES: tuple[str, ...] = (
    "completed_by_deadline",
    "completed_no_deadline",
    "completed_after_deadline",
    "suspended",
    "past_deadline",
    "before_start",
    "no_progress_unscheduled",
    "progress_unscheduled",
    "behind_more_than_margin",
    "no_progress_within_margin",
    "within_margin",
)
_RULE = {name: code for code, name in enumerate(STATUS_RULES)}
_RULE_STATUS_NAMES = (
    "completed",
    "completed",
    "completed_late",
    "suspended",
    "overdue",
    "not_started",
    "not_started",
    "on_track",
    "lagging",
    "not_started",
    "on_track",
)
#: Status code produced by each rule code.
RULE_STATUS: np.ndarray = np.array(
    [TASK_STATUSES.index(s) for s in _RULE_STATUS_NAMES], dtype=np.int8
)

#: The numbers each rule's explanation names (see :meth:`TaskStatuses.reasons`).
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "completed_by_deadline": ("completed", "deadline"),
    "completed_no_deadline": ("completed",),
    "completed_after_deadline": ("completed", "deadline", "days"),
    "suspended": (),
    "past_deadline": ("deadline", "days", "percent"),
    "before_start": ("as_of", "start"),
    "no_progress_unscheduled": ("percent",),
    "progress_unscheduled": ("percent",),
    "behind_more_than_margin": ("percent", "elapsed", "margin"),
    "no_progress_within_margin": ("percent", "elapsed", "margin"),
    "within_margin": ("percent", "elapsed", "margin"),
}


def _number(value: float) -> float | None:
    """One decimal is as precise as a report is; NaN (no report, no schedule) is ``None``."""
    return None if math.isnan(value) else round(float(value), 1)


def _date_text(value: np.datetime64) -> str | None:
    return None if np.isnat(value) else str(value)


@dataclass(frozen=True)
class TaskStatuses:
    """Statuses of ``n`` tasks and the numbers behind them.

    Attributes
    ----------
    codes
        ``int8`` status codes, positions in ``TASK_STATUSES``.
    rules
        ``int8`` rule codes, positions in :data:`STATUS_RULES`.
    elapsed_percent
        Time elapsed between start and deadline, in percent (0–100); NaN without both dates.
    percent
        Percent done as given (NaN: no report).
    days_late
        Days past the deadline: as-of minus deadline when overdue, completion minus deadline
        when completed late, 0 otherwise.
    margin
        The lagging margin used, in percentage points.
    start, deadline, as_of, completed
        The dates used (``datetime64[D]``, NaT where missing), kept for the explanations.
    """

    codes: np.ndarray
    rules: np.ndarray
    elapsed_percent: np.ndarray
    percent: np.ndarray
    days_late: np.ndarray
    margin: float
    start: np.ndarray
    deadline: np.ndarray
    as_of: np.ndarray
    completed: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def names(self) -> np.ndarray:
        """Status names (``"on_track"``, …) as an array of ``str``."""
        return np.asarray(TASK_STATUSES, dtype=object)[self.codes].astype(str)

    def reasons(self) -> list[dict]:
        """Per task, the rule that fired and the numbers it names, as codes and numbers.

        Each is ``{"code": <rule>, ...}`` with the fields :data:`RULE_FIELDS` lists for that
        rule: ``percent`` (``None``: not reported, counted as 0), ``elapsed`` and ``margin`` in
        percent, ``days`` late, and the dates ``start``, ``deadline``, ``as_of``,
        ``completed`` as ISO text. The words are the reader's: pages and documents turn a
        reason into Chinese or English (``yrdplan.reports.task_text``).
        """
        return [self._reason(i, STATUS_RULES[rule]) for i, rule in enumerate(self.rules)]

    def _reason(self, i: int, rule: str) -> dict:
        values = {
            "percent": lambda: _number(self.percent[i]),
            "elapsed": lambda: _number(self.elapsed_percent[i]),
            "margin": lambda: _number(self.margin),
            "days": lambda: int(self.days_late[i]),
            "start": lambda: _date_text(self.start[i]),
            "deadline": lambda: _date_text(self.deadline[i]),
            "as_of": lambda: _date_text(self.as_of[i]),
            "completed": lambda: _date_text(self.completed[i]),
        }
        return {"code": rule, **{name: values[name]() for name in RULE_FIELDS[rule]}}


@dataclass(frozen=True, slots=True)
class StatusExplained:
    """The status of one task, the rule that decided it, and the numbers that rule names."""

    status: str
    rule: str
    elapsed_percent: float
    reason: dict


def _as_days(name: str, values: ArrayLike | None, n: int | None) -> np.ndarray:
    """Convert dates (``date``, ISO strings, ``datetime64``, ``None``) to ``datetime64[D]``."""
    try:
        days = np.asarray(values, dtype="datetime64[D]")
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: cannot read as dates ({err})") from err
    if days.ndim > 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {days.shape}")
    if n is not None and days.ndim == 1 and len(days) != n:
        raise ValueError(f"{name} has {len(days)} values, expected {n} (one per task)")
    return days


def _check_percent(percent: ArrayLike) -> np.ndarray:
    try:
        values = np.asarray(percent, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"percent: cannot read as numbers ({err})") from err
    if values.ndim != 1:
        raise ValueError(f"percent must be one-dimensional, got shape {values.shape}")
    # NaN means "no report"; anything else must be a real percentage.
    bad = ~np.isnan(values) & ((values < 0) | (values > 100) | ~np.isfinite(values))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"percent must be between 0 and 100; task {i} has {values[i]!r}")
    return values


def _check_margin(margin: float) -> float:
    # numbers.Real admits numpy scalars; bool is a Real too but never a margin.
    valid = isinstance(margin, numbers.Real) and not isinstance(margin, bool)
    if not (valid and math.isfinite(margin) and 0 <= margin < 100):
        raise ValueError(
            f"margin must be a number of percentage points in [0, 100), got {margin!r}"
        )
    return float(margin)


def _elapsed_percent(start: np.ndarray, deadline: np.ndarray, as_of: np.ndarray) -> np.ndarray:
    scheduled = ~np.isnat(start) & ~np.isnat(deadline)
    span = np.where(scheduled, (deadline - start).astype("int64"), 1)
    done = np.where(scheduled, (as_of - start).astype("int64"), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A task due on its start day is entirely elapsed once that day arrives.
        fraction = np.where(span > 0, done / np.where(span > 0, span, 1), np.where(done >= 0, 1, 0))
    return np.where(scheduled, np.clip(fraction, 0.0, 1.0) * 100.0, np.nan)


def compute_statuses(
    start: ArrayLike,
    deadline: ArrayLike,
    as_of: ArrayLike,
    percent: ArrayLike,
    completed: ArrayLike | None = None,
    suspended: ArrayLike | None = None,
    *,
    margin: float = DEFAULT_LAGGING_MARGIN,
) -> TaskStatuses:
    """Compute the status of many tasks at once.

    Parameters
    ----------
    start, deadline
        Per task: the start date and the deadline (``date``, ISO string, ``datetime64`` or
        ``None``/NaT where missing).
    as_of
        The date the statuses describe: one date, or one per task.
    percent
        Per task: percent done, 0–100; NaN (or ``None``) where no report exists.
    completed
        Per task: the date completion was recorded, or ``None``/NaT. Dates after ``as_of``
        are ignored, so the same inputs give the statuses at any past date.
    suspended
        Per task: whether the office has suspended it. Default: none are.
    margin
        Lagging margin in percentage points, ``0 <= margin < 100``.

    Returns
    -------
    TaskStatuses
        Status codes, rule codes and the numbers behind them.

    Raises
    ------
    ValueError
        Naming the argument: a percent outside 0–100, a deadline before its start, an
        unreadable date, a missing as-of date, mismatched lengths or a bad margin.

    Examples
    --------
    >>> s = compute_statuses(
    ...     start=["2025-01-01", "2025-01-01", "2025-01-01"],
    ...     deadline=["2025-12-31", "2025-12-31", "2025-06-30"],
    ...     as_of="2025-10-01",
    ...     percent=[40, 70, 90],
    ... )
    >>> s.names.tolist()
    ['lagging', 'on_track', 'overdue']
    >>> s.reasons()[0]
    {'code': 'behind_more_than_margin', 'percent': 40.0, 'elapsed': 75.0, 'margin': 15.0}
    """
    margin = _check_margin(margin)
    pct = _check_percent(percent)
    n = len(pct)
    start_d = _as_days("start", start, n)
    deadline_d = _as_days("deadline", deadline, n)
    as_of_d = np.broadcast_to(_as_days("as_of", as_of, n), (n,))
    if np.isnat(as_of_d).any():
        raise ValueError("as_of is required: the date the statuses describe")
    completed_d = _as_days("completed", [None] * n if completed is None else completed, n)
    halted = np.zeros(n, bool) if suspended is None else np.asarray(suspended, dtype=bool)
    if halted.shape != (n,):
        raise ValueError(f"suspended has shape {halted.shape}, expected ({n},) (one per task)")

    reversed_dates = ~np.isnat(start_d) & ~np.isnat(deadline_d) & (deadline_d < start_d)
    if reversed_dates.any():
        i = int(np.flatnonzero(reversed_dates)[0])
        raise ValueError(f"deadline before start for task {i}: {deadline_d[i]} < {start_d[i]}")

    has_deadline = ~np.isnat(deadline_d)
    done = ~np.isnat(completed_d) & (completed_d <= as_of_d)
    finished_late = done & has_deadline & (completed_d > deadline_d)
    past_deadline = has_deadline & (as_of_d > deadline_d)
    before_start = ~np.isnat(start_d) & (as_of_d < start_d)
    scheduled = ~np.isnat(start_d) & has_deadline
    elapsed = _elapsed_percent(start_d, deadline_d, as_of_d)
    reported = np.nan_to_num(pct, nan=0.0)
    behind = scheduled & (elapsed - reported > margin + _TOLERANCE)
    no_progress = reported <= 0

    rules = np.select(
        [
            finished_late,
            done & has_deadline,
            done,
            halted,
            past_deadline,
            before_start,
            ~scheduled & no_progress,
            ~scheduled,
            behind,
            no_progress,
        ],
        [
            _RULE[name]
            for name in (
                "completed_after_deadline",
                "completed_by_deadline",
                "completed_no_deadline",
                "suspended",
                "past_deadline",
                "before_start",
                "no_progress_unscheduled",
                "progress_unscheduled",
                "behind_more_than_margin",
                "no_progress_within_margin",
            )
        ],
        default=_RULE["within_margin"],
    ).astype(np.int8)

    late_days = np.where(
        finished_late,
        (completed_d - deadline_d).astype("int64"),
        np.where(past_deadline & ~done, (as_of_d - deadline_d).astype("int64"), 0),
    )
    return TaskStatuses(
        codes=RULE_STATUS[rules],
        rules=rules,
        elapsed_percent=elapsed,
        percent=pct,
        days_late=np.where(rules == _RULE["suspended"], 0, late_days),
        margin=margin,
        start=start_d,
        deadline=deadline_d,
        as_of=np.array(as_of_d),
        completed=completed_d,
    )


def task_status(
    start: object,
    deadline: object,
    as_of: object,
    percent: float | None = None,
    completed: object = None,
    suspended: bool = False,
    *,
    margin: float = DEFAULT_LAGGING_MARGIN,
) -> StatusExplained:
    """Compute the status of one task, with the rule that decided it and its numbers.

    Same rules and arguments as :func:`compute_statuses`, one value each; ``percent=None``
    means no report.

    Examples
    --------
    >>> r = task_status("2025-01-01", "2025-12-31", "2025-07-01", 60)
    >>> r.status, r.rule
    ('on_track', 'within_margin')
    >>> r.reason
    {'code': 'within_margin', 'percent': 60.0, 'elapsed': 49.7, 'margin': 15.0}
    >>> task_status("2025-01-01", "2025-06-30", "2025-08-01", 100, completed="2025-07-10").reason
    {'code': 'completed_after_deadline', 'completed': '2025-07-10', 'deadline': '2025-06-30', 'days': 10}
    """
    result = compute_statuses(
        [start],
        [deadline],
        as_of,
        [math.nan if percent is None else percent],
        [completed],
        [suspended],
        margin=margin,
    )
    return StatusExplained(
        status=str(result.names[0]),
        rule=STATUS_RULES[int(result.rules[0])],
        elapsed_percent=float(result.elapsed_percent[0]),
        reason=result.reasons()[0],
    )
