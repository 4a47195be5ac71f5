"""Completion rates, reporting completeness and progress roll-up over task trees.

Definition of the completion rate
---------------------------------
The number the seeds' evaluations quote ("320 项重点任务 … 完成率均在90%以上"):

``rate = completed / total`` where, over the tasks of one group at one as-of date,

* a task **counts as completed** when its status is ``completed`` or ``completed_late`` — a
  task finished after its deadline is still delivered; lateness is reported by the status,
  not by withholding credit;
* **suspended tasks are excluded** from both ``completed`` and ``total`` (and counted in the
  separate ``suspended`` column), because suspension is the office's decision to pause or
  re-plan a task (动态调整), so counting it as undone would penalise the unit and counting it
  as done would flatter the plan;
* every other status (not started, on track, lagging, overdue) counts in ``total`` only;
* **each task listed in the plan weighs 1.** A task split into sub-tasks — including one
  decomposed into tasks of lower plans (province → city → district) — counts as the mean
  completion of its non-suspended sub-tasks: its weight of 1 is shared equally among them,
  recursively (:func:`subtask_weights`). So a task with 3 sub-tasks of which 2 are done counts
  0.67, ``total`` stays the plan's own task count (165 tasks stay 165), and a province task
  12 of whose 13 city tasks are done is not reported as 0. ``completed`` may be fractional.
* Rates **by unit or by region** count each task the unit leads (or the region carries) once,
  ``weights=None``: a unit answers for each of its own tasks.

``total == 0`` (nothing but suspended tasks) gives ``rate = None``: there is no rate to show.

The same text, for the UI to show beside the number, is :data:`COMPLETION_DEFINITION`.

Reporting completeness counts, per unit and cycle, the reports expected, submitted, on time
(first submitted on or before the due date), late, missing (not submitted after the due
date) and pending (not submitted, due date not yet passed).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from yrdplan.domain.tasks import COMPLETED_STATUSES, TASK_STATUSES

COMPLETION_DEFINITION: dict[str, str] = {
    "zh": (
        "完成率 = 已完成任务数 ÷ 应完成任务数。已完成含按期完成和逾期完成；"
        "暂停实施的任务不计入分子和分母（另列）。按规划、领域、轮次统计时每项任务计 1 项，"
        "拆分为子任务或分解到下级规划的任务，按其未暂停子任务的完成比例计分"
        "（如 3 项子任务完成 2 项，计 0.67 项）；按单位、地区统计时，"
        "该单位牵头或该地区承担的每项任务各计 1 项。"
    ),
    "en": (
        "Completion rate = tasks completed ÷ tasks due. Completed includes completed late; "
        "suspended tasks are left out of both (and shown separately). By plan, area or round "
        "each task counts 1, and a task split into sub-tasks or decomposed into lower plans' "
        "tasks counts as the share of its non-suspended sub-tasks completed (2 of 3 done "
        "counts 0.67). By unit or region, each task the unit leads or the region carries "
        "counts 1."
    ),
}

_COMPLETED_CODES = np.array([s in COMPLETED_STATUSES for s in TASK_STATUSES])
_SUSPENDED_CODE = TASK_STATUSES.index("suspended")
# Shared weights (1/3, 1/7, ...) leave float noise in sums; totals are rounded to this many
# decimals so that a plan of 165 tasks shows total 165.0, not 164.99999999999997.
_DECIMALS = 9


@dataclass(frozen=True, slots=True)
class CompletionRow:
    """Completion of one group (at one as-of date, for :func:`completion_over_time`)."""

    group: Hashable
    total: float
    completed: float
    suspended: int
    rate: float | None
    as_of: str | None = None

    def to_dict(self) -> dict:
        """The documented JSON row: ``group``, ``total``, ``completed``, ``rate`` (and more)."""
        row = asdict(self)
        if row["as_of"] is None:
            del row["as_of"]
        return row


@dataclass(frozen=True, slots=True)
class ReportingRow:
    """Reporting completeness and timeliness of one unit in one cycle."""

    unit: Hashable
    cycle: Hashable
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    pending: int

    @property
    def submission_rate(self) -> float | None:
        """Share of expected reports submitted; ``None`` when none were expected."""
        return self.submitted / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        """Share of expected reports submitted on time; ``None`` when none were expected."""
        return self.on_time / self.expected if self.expected else None

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "submission_rate": self.submission_rate,
            "on_time_rate": self.on_time_rate,
        }


def _factorize(keys: Iterable[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
    """Codes per row and the distinct keys in order of first appearance."""
    if isinstance(keys, np.ndarray):
        keys = keys.tolist()  # numpy scalars -> Python values, rows of 2-D arrays -> lists
    index: dict[Hashable, int] = {}
    codes = [index.setdefault(tuple(k) if isinstance(k, list) else k, len(index)) for k in keys]
    return np.asarray(codes, dtype=np.intp), list(index)


def _status_codes(statuses: ArrayLike) -> np.ndarray:
    """Accept status names or integer codes (positions in ``TASK_STATUSES``)."""
    values = np.asarray(statuses)
    if values.ndim != 1:
        raise ValueError(f"statuses must be one-dimensional, got shape {values.shape}")
    if values.dtype.kind in "iu":
        if values.size and (values.min() < 0 or values.max() >= len(TASK_STATUSES)):
            raise ValueError(f"statuses: codes must be 0..{len(TASK_STATUSES) - 1}")
        return values.astype(np.intp)
    lookup = {name: code for code, name in enumerate(TASK_STATUSES)}
    try:
        return np.asarray([lookup[str(s)] for s in values.tolist()], dtype=np.intp)
    except KeyError as err:
        raise ValueError(f"statuses: unknown status {err.args[0]!r}") from err


def _check_weights(weights: ArrayLike | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    values = np.asarray(weights, dtype=float)
    if values.shape != (n,):
        raise ValueError(f"weights has shape {values.shape}, expected ({n},) (one per task)")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return values


def _rate(completed: float, total: float) -> float | None:
    return completed / total if total > 0 else None


def completion_rates(
    group_keys: Iterable[Hashable], statuses: ArrayLike, weights: ArrayLike | None = None
) -> list[CompletionRow]:
    """Completion rate per group, as defined in this module's docstring.

    Parameters
    ----------
    group_keys
        Per task: the group it counts in (plan, area, unit, region, round, or a tuple of
        several). Rows come out in the order groups first appear.
    statuses
        Per task: status names (``"completed"``) or codes (positions in ``TASK_STATUSES``).
    weights
        Per task: its weight, default 1 each. Use :func:`subtask_weights` so that a task split
        into sub-tasks counts once.

    Returns
    -------
    list of CompletionRow
        ``group``, ``total`` (weight of non-suspended tasks), ``completed``, ``suspended``
        (number of suspended tasks left out) and ``rate`` (``None`` when ``total`` is 0).

    Examples
    --------
    >>> rows = completion_rates(
    ...     ["交通", "交通", "交通", "科技", "科技"],
    ...     ["completed", "completed_late", "lagging", "suspended", "on_track"],
    ... )
    >>> [(r.group, r.total, r.completed, r.suspended, round(r.rate, 3)) for r in rows]
    [('交通', 3.0, 2.0, 0, 0.667), ('科技', 1.0, 0.0, 1, 0.0)]
    """
    codes = _status_codes(statuses)
    groups, names = _factorize(group_keys)
    if len(groups) != len(codes):
        raise ValueError(f"group_keys has {len(groups)} values but statuses has {len(codes)}")
    w = _check_weights(weights, len(codes))
    suspended = codes == _SUSPENDED_CODE
    counted = np.where(suspended, 0.0, w)
    totals = np.bincount(groups, weights=counted, minlength=len(names))
    done = np.bincount(groups, weights=counted * _COMPLETED_CODES[codes], minlength=len(names))
    paused = np.bincount(groups, weights=suspended, minlength=len(names))
    return [
        CompletionRow(
            group=name,
            total=round(float(totals[g]), _DECIMALS),
            completed=round(float(done[g]), _DECIMALS),
            suspended=int(paused[g]),
            rate=_rate(float(done[g]), float(totals[g])),
        )
        for g, name in enumerate(names)
    ]


def completion_over_time(
    group_keys: Iterable[Hashable],
    completed_dates: ArrayLike,
    as_of_dates: ArrayLike,
    suspended: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> list[CompletionRow]:
    """Completion rate per group at each of several dates.

    A task counts as completed at a date when its completion date is on or before it; the
    rest of the definition is that of :func:`completion_rates`. ``suspended`` is the tasks'
    current flag (suspension history is not modelled here).

    Parameters
    ----------
    group_keys
        Per task: its group.
    completed_dates
        Per task: completion date, or ``None``/NaT when not completed.
    as_of_dates
        The dates to report, e.g. each cycle's due date.
    suspended
        Per task: suspended flag; default none.
    weights
        Per task: weight, as in :func:`completion_rates`.

    Returns
    -------
    list of CompletionRow
        Grouped by date (in the order given), then by group; ``as_of`` set.

    Examples
    --------
    >>> rows = completion_over_time(
    ...     ["A", "A", "B"], ["2025-03-10", None, "2025-08-01"], ["2025-06-30", "2025-12-31"]
    ... )
    >>> [(r.as_of, r.group, r.completed, r.total) for r in rows]
    [('2025-06-30', 'A', 1.0, 2.0), ('2025-06-30', 'B', 0.0, 1.0), ('2025-12-31', 'A', 1.0, 2.0), ('2025-12-31', 'B', 1.0, 1.0)]
    """
    groups, names = _factorize(group_keys)
    n = len(groups)
    try:
        finished = np.asarray(completed_dates, dtype="datetime64[D]")
        dates = np.atleast_1d(np.asarray(as_of_dates, dtype="datetime64[D]"))
    except (TypeError, ValueError) as err:
        raise ValueError(f"completed_dates / as_of_dates: cannot read as dates ({err})") from err
    if finished.shape != (n,):
        raise ValueError(f"completed_dates has shape {finished.shape}, expected ({n},)")
    if np.isnat(dates).any():
        raise ValueError("as_of_dates must not contain missing dates")
    paused = np.zeros(n, bool) if suspended is None else np.asarray(suspended, dtype=bool)
    if paused.shape != (n,):
        raise ValueError(f"suspended has shape {paused.shape}, expected ({n},)")
    counted = np.where(paused, 0.0, _check_weights(weights, n))
    totals = np.bincount(groups, weights=counted, minlength=len(names))
    paused_count = np.bincount(groups, weights=paused, minlength=len(names))
    # tasks x dates: done by each date (NaT compares False, so uncompleted tasks never count)
    done_by = ~np.isnat(finished)[:, None] & (finished[:, None] <= dates[None, :])
    rows = []
    for j, day in enumerate(dates):
        done = np.bincount(groups, weights=counted * done_by[:, j], minlength=len(names))
        rows += [
            CompletionRow(
                group=name,
                total=round(float(totals[g]), _DECIMALS),
                completed=round(float(done[g]), _DECIMALS),
                suspended=int(paused_count[g]),
                rate=_rate(float(done[g]), float(totals[g])),
                as_of=str(day),
            )
            for g, name in enumerate(names)
        ]
    return rows


def reporting_completeness(
    unit_keys: Iterable[Hashable],
    cycle_keys: Iterable[Hashable],
    due_dates: ArrayLike,
    submitted_dates: ArrayLike,
    as_of: object = None,
) -> list[ReportingRow]:
    """Reports expected, submitted, on time, late, missing and pending per unit and cycle.

    Parameters
    ----------
    unit_keys, cycle_keys
        Per expected report (one per task a unit must report on in a cycle): unit and cycle.
    due_dates
        Per expected report (or one date for all): the cycle's due date. A report submitted
        on the due date is on time.
    submitted_dates
        Per expected report: the date it was *first* submitted, or ``None``/NaT. A report the
        office returned and the unit resubmitted keeps its first date: returning is the
        office's review, not the unit's lateness.
    as_of
        Judge completeness as of this date: later submissions are not yet counted, and an
        unsubmitted report whose due date has not passed is pending, not missing. Default:
        every submission counts and every unsubmitted report is missing.

    Returns
    -------
    list of ReportingRow
        One per (unit, cycle), in order of first appearance.

    Examples
    --------
    >>> rows = reporting_completeness(
    ...     ["交通厅"] * 4, ["2025-06"] * 4, "2025-06-30",
    ...     ["2025-06-28", "2025-06-30", "2025-07-02", None],
    ... )
    >>> r = rows[0]
    >>> (r.expected, r.submitted, r.on_time, r.late, r.missing, r.pending)
    (4, 3, 2, 1, 1, 0)
    """
    pairs = list(zip(unit_keys, cycle_keys, strict=True))
    groups, names = _factorize(pairs)
    n = len(groups)
    try:
        due = np.broadcast_to(np.asarray(due_dates, dtype="datetime64[D]"), (n,))
        sent = np.asarray(submitted_dates, dtype="datetime64[D]")
        cutoff = None if as_of is None else np.datetime64(as_of, "D")
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"due_dates / submitted_dates / as_of: cannot read as dates ({err})"
        ) from err
    if sent.shape != (n,):
        raise ValueError(f"submitted_dates has shape {sent.shape}, expected ({n},)")
    if np.isnat(due).any():
        raise ValueError("due_dates must not contain missing dates")
    is_sent = ~np.isnat(sent)
    if cutoff is not None:
        is_sent &= sent <= cutoff
    on_time = is_sent & (sent <= due)
    not_due_yet = np.zeros(n, bool) if cutoff is None else cutoff <= due
    counts = {
        name: np.bincount(groups, weights=mask, minlength=len(names)).astype(int)
        for name, mask in (
            ("expected", np.ones(n, bool)),
            ("submitted", is_sent),
            ("on_time", on_time),
            ("late", is_sent & ~on_time),
            ("missing", ~is_sent & ~not_due_yet),
            ("pending", ~is_sent & not_due_yet),
        )
    }
    return [
        ReportingRow(unit, cycle, **{k: int(v[g]) for k, v in counts.items()})
        for g, (unit, cycle) in enumerate(names)
    ]


def _tree_depths(parent_index: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a parent-index forest (-1 = root); return (parents, depth of each node)."""
    parents = np.asarray(parent_index)
    if parents.ndim != 1 or (parents.size and parents.dtype.kind not in "iu"):
        raise ValueError("parent_index must be a one-dimensional array of integers (-1 = root)")
    parents = parents.astype(np.intp)
    n = len(parents)
    if ((parents < -1) | (parents >= n)).any():
        raise ValueError(f"parent_index values must be -1 (root) or 0..{n - 1}")
    depth = np.zeros(n, dtype=np.intp)
    ancestor = parents.copy()
    # Pointer chasing, one level per pass; more than n passes can only mean a cycle.
    for _ in range(n + 1):
        has_parent = ancestor >= 0
        if not has_parent.any():
            return parents, depth
        depth += has_parent
        ancestor = np.where(has_parent, parents[np.maximum(ancestor, 0)], -1)
    raise ValueError("parent_index contains a cycle")


def subtask_weights(parent_index: ArrayLike, suspended: ArrayLike | None = None) -> np.ndarray:
    """Weights that make each root task count 1, shared equally among its sub-tasks.

    Pass the task forest whose roots are the tasks the plan counts (its numbered tasks), not
    the plan's parts and sections: those are group keys. Only leaves get weight; a node's
    weight is split equally among its children that are not suspended and still have some
    unsuspended leaf below them. Suspended nodes get 0, and so does a task whose sub-tasks are
    all suspended — it then counts like a suspended task.

    Parameters
    ----------
    parent_index
        Per task: the index of its parent task, -1 for a root.
    suspended
        Per task: suspended flag; default none.

    Returns
    -------
    numpy.ndarray
        Per task: its weight, for ``completion_rates(..., weights=...)``.

    Examples
    --------
    Task 0 has sub-tasks 1, 2, 3 (3 suspended); task 4 has none:

    >>> subtask_weights([-1, 0, 0, 0, -1], [False, False, False, True, False]).tolist()
    [0.0, 0.5, 0.5, 0.0, 1.0]
    """
    parents, depth = _tree_depths(parent_index)
    n = len(parents)
    paused = np.zeros(n, bool) if suspended is None else np.asarray(suspended, dtype=bool)
    if paused.shape != (n,):
        raise ValueError(f"suspended has shape {paused.shape}, expected ({n},)")
    has_parent = parents >= 0
    is_leaf = np.bincount(parents[has_parent], minlength=n) == 0
    active = ~paused & is_leaf
    active_children = np.zeros(n)
    for d in range(int(depth.max(initial=0)), 0, -1):
        level = depth == d
        active_children += np.bincount(parents[level], weights=active[level], minlength=n)
        above = (depth == d - 1) & ~is_leaf
        active[above] = ~paused[above] & (active_children[above] > 0)
    weight = np.where(active & ~has_parent, 1.0, 0.0)
    for d in range(1, int(depth.max(initial=0)) + 1):
        level = np.flatnonzero(depth == d)
        share = weight[parents[level]] / np.maximum(active_children[parents[level]], 1)
        weight[level] = np.where(active[level], share, 0.0)
    return np.where(is_leaf, weight, 0.0)


def roll_up_percent(
    parent_index: ArrayLike, percent: ArrayLike, weights: ArrayLike | None = None
) -> np.ndarray:
    """Percent done of every node of a task tree, parents as weighted means of their children.

    Sub-tasks and tasks of lower plans that a task was decomposed into are its children. A
    node with children takes the weighted mean of its children's (rolled-up) percent; its own
    value is ignored. A child with no report (NaN) counts as 0 — silence is not progress —
    unless none of the parent's children has a report, when the parent is NaN too. Children
    of weight 0 (e.g. suspended) do not count; a parent whose children all weigh 0 keeps its
    own value.

    Parameters
    ----------
    parent_index
        Per node: index of its parent, -1 for a root.
    percent
        Per node: percent done, 0–100, or NaN for no report (used for leaves).
    weights
        Per node: its weight within its parent (e.g. planned investment); default 1.

    Returns
    -------
    numpy.ndarray
        Per node: the rolled-up percent.

    Raises
    ------
    ValueError
        Naming the argument: percent outside 0–100, negative weights, or a bad tree.

    Examples
    --------
    A province task (0) split into two city tasks (1, 2), the first split into districts (3, 4):

    >>> roll_up_percent([-1, 0, 0, 1, 1], [0, 0, 30, 100, 50]).tolist()
    [52.5, 75.0, 30.0, 100.0, 50.0]
    >>> roll_up_percent([-1, 0, 0], [0, 80, 20], weights=[1, 3, 1]).tolist()
    [65.0, 80.0, 20.0]
    """
    parents, depth = _tree_depths(parent_index)
    n = len(parents)
    values = np.asarray(percent, dtype=float).copy()
    if values.shape != (n,):
        raise ValueError(f"percent has shape {values.shape}, expected ({n},)")
    bad = ~np.isnan(values) & ((values < 0) | (values > 100) | ~np.isfinite(values))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"percent must be between 0 and 100; node {i} has {values[i]!r}")
    w = _check_weights(weights, n)
    for d in range(int(depth.max(initial=0)), 0, -1):
        level = np.flatnonzero(depth == d)
        up = parents[level]
        lw = w[level]
        child = values[level]
        numerator = np.bincount(up, weights=lw * np.nan_to_num(child, nan=0.0), minlength=n)
        denominator = np.bincount(up, weights=lw, minlength=n)
        reported = np.bincount(up, weights=(lw > 0) & ~np.isnan(child), minlength=n)
        target = np.flatnonzero(denominator > 0)
        values[target] = np.where(
            reported[target] > 0, numerator[target] / denominator[target], np.nan
        )
    return values
