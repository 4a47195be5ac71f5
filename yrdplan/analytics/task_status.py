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
together with the code of the rule that fired, so that every status can be explained in
Chinese or English (:meth:`TaskStatuses.explain`).
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

_TEXT_ZH = {
    "completed_by_deadline": "已于 {completed} 完成，未超过完成时限 {deadline}",
    "completed_no_deadline": "已于 {completed} 完成（无完成时限）",
    "completed_after_deadline": "已于 {completed} 完成，晚于完成时限 {deadline} {days} 天",
    "suspended": "已暂停实施，不判断进度和时限",
    "past_deadline": "完成时限 {deadline} 已过 {days} 天，尚未完成（进度 {percent}）",
    "before_start": "截至 {as_of} 尚未到开始日期 {start}",
    "no_progress_unscheduled": "尚无进展（进度 {percent}）；无开始日期或完成时限，不判断是否滞后",
    "progress_unscheduled": "进度 {percent}；无开始日期或完成时限，不判断是否滞后",
    "behind_more_than_margin": "进度 {percent} 落后于时间进度 {elapsed}% 超过 {margin} 个百分点",
    "no_progress_within_margin": (
        "尚无进展（进度 {percent}），时间进度 {elapsed}%，落后不超过 {margin} 个百分点"
    ),
    "within_margin": "进度 {percent}，时间进度 {elapsed}%，落后不超过 {margin} 个百分点",
}
_TEXT_EN = {
    "completed_by_deadline": "completed on {completed}, by the deadline {deadline}",
    "completed_no_deadline": "completed on {completed} (no deadline)",
    "completed_after_deadline": (
        "completed on {completed}, {days} days after the deadline {deadline}"
    ),
    "suspended": "suspended: progress and deadline are not judged",
    "past_deadline": "deadline {deadline} passed {days} days ago, not completed (progress {percent})",
    "before_start": "as of {as_of} the start date {start} has not been reached",
    "no_progress_unscheduled": (
        "no progress yet ({percent}); no start date or deadline, so lagging is not judged"
    ),
    "progress_unscheduled": (
        "progress {percent}; no start date or deadline, so lagging is not judged"
    ),
    "behind_more_than_margin": (
        "progress {percent} is more than {margin} percentage points behind time elapsed {elapsed}%"
    ),
    "no_progress_within_margin": (
        "no progress yet ({percent}), time elapsed {elapsed}%: "
        "not more than {margin} percentage points behind"
    ),
    "within_margin": (
        "progress {percent} vs time elapsed {elapsed}%: "
        "not more than {margin} percentage points behind"
    ),
}


def _number_text(value: float) -> str:
    """``40.0 -> "40"``, ``33.333 -> "33.3"``: one decimal is as precise as a report is."""
    return f"{round(float(value), 1):g}"


def _date_text(value: np.datetime64) -> str:
    return "" if np.isnat(value) else str(value)


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

    def explain(self, lang: str = "zh") -> list[str]:
        """One sentence per task naming the rule that fired and its numbers.

        Parameters
        ----------
        lang
            ``"zh"`` (default) or ``"en"``.
        """
        if lang not in ("zh", "en"):
            raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
        templates = _TEXT_ZH if lang == "zh" else _TEXT_EN
        return [
            templates[STATUS_RULES[rule]].format(**self._fields(i, lang))
            for i, rule in enumerate(self.rules)
        ]

    def _fields(self, i: int, lang: str) -> dict[str, str]:
        percent = self.percent[i]
        if math.isnan(percent):
            percent_text = "未报送，按 0% 计" if lang == "zh" else "not reported, counted as 0%"
        else:
            percent_text = f"{_number_text(percent)}%"
        elapsed = self.elapsed_percent[i]
        return {
            "percent": percent_text,
            "elapsed": "" if math.isnan(elapsed) else _number_text(elapsed),
            "margin": _number_text(self.margin),
            "days": str(int(self.days_late[i])),
            "start": _date_text(self.start[i]),
            "deadline": _date_text(self.deadline[i]),
            "as_of": _date_text(self.as_of[i]),
            "completed": _date_text(self.completed[i]),
        }


@dataclass(frozen=True, slots=True)
class StatusExplained:
    """The status of one task, the rule that decided it, and that rule in words."""

    status: str
    rule: str
    elapsed_percent: float
    text_zh: str
    text_en: str


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
    >>> s.explain()[0]
    '进度 40% 落后于时间进度 75% 超过 15 个百分点'
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
    """Compute the status of one task, with the rule in Chinese and English.

    Same rules and arguments as :func:`compute_statuses`, one value each; ``percent=None``
    means no report.

    Examples
    --------
    >>> r = task_status("2025-01-01", "2025-12-31", "2025-07-01", 60)
    >>> r.status, r.rule
    ('on_track', 'within_margin')
    >>> r.text_en
    'progress 60% vs time elapsed 49.7%: not more than 15 percentage points behind'
    >>> task_status("2025-01-01", "2025-06-30", "2025-08-01", 100, completed="2025-07-10").text_zh
    '已于 2025-07-10 完成，晚于完成时限 2025-06-30 10 天'
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
        text_zh=result.explain("zh")[0],
        text_en=result.explain("en")[0],
    )
