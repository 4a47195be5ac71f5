"""Per-series history for the progress engine: first, latest, recent trend, best yearly steps.

Everything here works on a CSR panel (``series_offsets``, ``times``, ``values``; see
:class:`yrdplan.analytics.progress.Panel`) and returns one value per series, so the engine can
gather them per target with one fancy index. No Python loop runs over series or observations.

*Recent trend* (for the projection): the average annual change, linear and compound, from the
first observation inside the window (at or after ``latest - window``) to the latest one. Two
points, as in ESCAP's anticipated-progress method (compound growth between two observed
years), so a projection can be explained from two points on the chart; a wider window damps a
noisy end point.

*Best steps* (for the "unrealistic target" flag): the highest and lowest change per year
between consecutive observations, linear and compound. This is the only part that reads every
observation. The panel is cut into blocks of whole series of about ``BLOCK_SIZE``
observations, so the dozen passes over a block stay in cache, and blocks may run on a thread
pool (numpy releases the GIL inside its loops).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import TypeVar

import numpy as np

#: Slack for comparing computed decimal years: a monthly time such as 2019 + 7/12 computed from
#: its label and the same point computed as (2024 + 7/12) - 5 can differ in the last bit.
TIME_SLACK = 1e-9
#: Observations per block: about 0.5 MB per float64 array, so a block's temporaries stay in L2.
BLOCK_SIZE = 1 << 16

_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class SeriesHistory:
    """What the engine needs to know about each series, one array element per series.

    Empty series hold NaN and zero counts. ``trend_start_*`` is the first observation inside
    the recent window; ``trend_slope`` (value units per year) and ``trend_rate`` (compound,
    positive values only) run from it to the latest observation and are NaN with fewer than two
    points. ``best_linear_*`` and ``best_cagr_*`` are the highest (``up``) and lowest
    (``down``) change per year between consecutive observations; ``*_steps`` count the steps
    they were taken over (a compound step needs two positive values).
    """

    count: np.ndarray
    first_time: np.ndarray
    first_value: np.ndarray
    last_time: np.ndarray
    last_value: np.ndarray
    trend_start_time: np.ndarray
    trend_start_value: np.ndarray
    trend_slope: np.ndarray
    trend_rate: np.ndarray
    best_linear_up: np.ndarray
    best_linear_down: np.ndarray
    linear_steps: np.ndarray
    best_cagr_up: np.ndarray
    best_cagr_down: np.ndarray
    cagr_steps: np.ndarray


def reduce_segments(
    ufunc: np.ufunc, data: np.ndarray, offsets: np.ndarray, identity: float
) -> np.ndarray:
    """Reduce ``data`` over the CSR segments ``offsets`` with ``ufunc``; empty ones get ``identity``.

    ``ufunc.reduceat`` reduces from each start to the next start, which is the segment's end
    exactly when segments are contiguous and the last one ends at ``len(data)`` (true for CSR
    offsets); it mishandles empty segments, so those are left out and filled afterwards.

    >>> reduce_segments(np.add, np.array([1.0, 2.0, 3.0]), np.array([0, 2, 2, 3]), 0.0)
    array([3., 0., 3.])
    """
    counts = np.diff(offsets)
    out = np.full(counts.shape[0], identity, dtype=np.result_type(data.dtype, type(identity)))
    nonempty = counts > 0
    if data.size:
        out[nonempty] = ufunc.reduceat(data, offsets[:-1][nonempty])
    return out


def bisect_left(times: np.ndarray, lo: np.ndarray, hi: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Vectorised ``bisect_left``: for each row, the first index in ``[lo, hi)`` with ``times >= query``.

    ``times`` must be sorted within every ``[lo, hi)``; rows with no such index get ``hi``. A
    ``NaN`` query compares false everywhere and so also gets ``hi``. The loop runs
    ``log2(longest segment)`` times, each over the rows still searching.

    >>> t = np.array([2015.0, 2017.0, 2020.0, 2016.0])
    >>> bisect_left(t, np.array([0, 3]), np.array([3, 4]), np.array([2016.0, 2017.0]))
    array([1, 4])
    """
    lo = np.asarray(lo, dtype=np.int64).copy()
    hi = np.asarray(hi, dtype=np.int64).copy()
    query = np.asarray(query, dtype=np.float64)
    nan_query = np.isnan(query)
    lo[nan_query] = hi[nan_query]
    active = np.flatnonzero(lo < hi)
    while active.size:
        a_lo, a_hi = lo[active], hi[active]
        mid = (a_lo + a_hi) // 2
        right = times[mid] < query[active]
        lo[active] = np.where(right, mid + 1, a_lo)
        hi[active] = np.where(right, a_hi, mid)
        active = active[lo[active] < hi[active]]
    return lo


def first_at_or_after(
    times: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    query: np.ndarray,
) -> np.ndarray:
    """Like :func:`bisect_left`, trying an interpolation guess first.

    ``first`` and ``last`` are ``times[lo]`` and ``times[hi - 1]`` (any value for empty rows).
    On evenly spaced series (annual data without gaps) the guess is exact, so only series with
    gaps pay for the bisection; the result is the same either way.

    >>> t = np.array([2015.0, 2016.0, 2017.0, 2018.0, 2020.0])
    >>> first_at_or_after(t, np.array([0, 0]), np.array([5, 5]), np.array([2015.0, 2015.0]),
    ...                   np.array([2020.0, 2020.0]), np.array([2017.0, 2019.0]))
    array([2, 4])
    """
    span = np.maximum(hi - lo - 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (query - first) / (last - first)  # NaN or inf on a single point: fixed below
        guess = np.minimum(np.maximum(np.ceil(share * span), 0.0), span)
    guess = lo + np.nan_to_num(guess, nan=0.0, copy=False).astype(np.int64)
    guess = np.minimum(guess, max(times.size - 1, 0))
    if times.size:
        hit = (times[guess] >= query) & ((guess == lo) | (times[np.maximum(guess - 1, 0)] < query))
        hit &= hi > lo
    else:
        hit = np.zeros(lo.shape, dtype=bool)
    at = np.where(hit, guess, hi)
    miss = np.flatnonzero(~hit & (query <= last))
    if miss.size:
        at[miss] = bisect_left(times, lo[miss], hi[miss], query[miss])
    return at


def map_blocks(
    function: Callable[[_T], _R], blocks: Iterable[_T], workers: int | None = None
) -> Iterator[_R]:
    """``map(function, blocks)`` on a thread pool of ``workers`` threads (default: all cores).

    >>> list(map_blocks(abs, [-1, 2], workers=2))
    [1, 2]
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        return map(function, blocks)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return iter(list(pool.map(function, blocks)))


def summarise_series(
    offsets: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    window: float,
    workers: int | None = None,
    block_size: int = BLOCK_SIZE,
) -> SeriesHistory:
    """Summarise every series of a validated CSR panel.

    Parameters
    ----------
    offsets, times, values : numpy.ndarray
        The panel: series ``k`` is ``times[offsets[k]:offsets[k + 1]]`` (strictly increasing)
        and the matching ``values``.
    window : float
        Length in years of the recent-trend window.
    workers : int, optional
        Threads for the best-step pass; all cores by default.
    block_size : int
        Target observations per block (a longer series makes a block of its own).

    Returns
    -------
    SeriesHistory

    Examples
    --------
    >>> h = summarise_series(np.array([0, 4]), np.array([2017.0, 2018.0, 2019.0, 2020.0]),
    ...                      np.array([9.0, 10.0, 12.0, 13.0]), window=2)
    >>> float(h.trend_start_time[0]), float(h.trend_slope[0])  # 2018 to 2020: +3 over 2 years
    (2018.0, 1.5)
    >>> float(h.best_linear_up[0]), float(h.best_linear_down[0])
    (2.0, 1.0)
    """
    n_series = offsets.shape[0] - 1
    starts, ends = offsets[:-1], offsets[1:]
    count = ends - starts
    nonempty = None if count.all() else np.flatnonzero(count > 0)  # usually every series

    def per_series(source: np.ndarray, index: np.ndarray) -> np.ndarray:
        if nonempty is None:
            return source[index]
        out = np.full(n_series, np.nan)
        out[nonempty] = source[index[nonempty]]
        return out

    first_time, first_value = per_series(times, starts), per_series(values, starts)
    last_time, last_value = per_series(times, ends - 1), per_series(values, ends - 1)
    # The trend window starts at the first observation at or after latest - window.
    edge = last_time - window - TIME_SLACK
    at = first_at_or_after(times, starts, ends, first_time, last_time, edge)
    trend_start_time, trend_start_value = per_series(times, at), per_series(values, at)
    with np.errstate(divide="ignore", invalid="ignore"):
        span = last_time - trend_start_time
        trend_slope = (last_value - trend_start_value) / span
        trend_slope[~(span > 0)] = np.nan
        positive = (span > 0) & (trend_start_value > 0) & (last_value > 0)
        trend_rate = np.power(last_value / trend_start_value, 1.0 / span) - 1.0
        trend_rate[~positive] = np.nan

    best = {
        name: np.empty(n_series, np.int64 if name.endswith("_steps") else np.float64)
        for name in _BEST_FIELDS
    }
    # Block edges fall on series edges: the first series starting at or after each multiple.
    cuts = np.searchsorted(offsets, np.arange(0, offsets[-1], max(block_size, 1)), side="left")
    edges = np.unique(np.concatenate([[0], cuts, [n_series]])).tolist()

    def run(bounds: tuple[int, int]) -> None:
        first, last = bounds
        lo, hi = offsets[first], offsets[last]
        part = _best_steps(offsets[first : last + 1] - lo, times[lo:hi], values[lo:hi])
        for name, column in part.items():
            best[name][first:last] = column

    for _ in map_blocks(run, zip(edges[:-1], edges[1:], strict=True), workers):
        pass
    return SeriesHistory(
        count=count,
        first_time=first_time,
        first_value=first_value,
        last_time=last_time,
        last_value=last_value,
        trend_start_time=trend_start_time,
        trend_start_value=trend_start_value,
        trend_slope=trend_slope,
        trend_rate=trend_rate,
        **best,
    )


_BEST_FIELDS = tuple(
    spec.name
    for spec in fields(SeriesHistory)
    if spec.name.startswith(("best_", "linear_", "cagr_"))
)


def _best_steps(
    offsets: np.ndarray, times: np.ndarray, values: np.ndarray
) -> dict[str, np.ndarray]:
    """Highest and lowest per-year change between consecutive observations of each series.

    Step ``j`` goes from observation ``j`` to ``j + 1``; series ``k`` owns steps
    ``[offsets[k], offsets[k + 1] - 1)`` and the slot after them holds the step that crosses
    into the next series, which a sentinel (-inf for a maximum, +inf for a minimum) keeps out
    of the plain CSR reduction. The compound rate of a step is ``(v1 / v0) ** (1 / dt) - 1``;
    on the usual one-year step that is the plain ratio, so the power is only taken on the others.
    """
    n_series = offsets.shape[0] - 1
    size = times.shape[0]
    count = np.diff(offsets)
    steps = np.maximum(count - 1, 0)
    has_step = steps > 0
    crossing = offsets[1:][count > 0] - 1
    starts = offsets[:-1][has_step]

    step_time = np.empty(size)
    np.subtract(times[1:], times[:-1], out=step_time[:-1])
    step_time[crossing] = 1.0  # two series may meet at the same time: keep 0/0 out of the slot
    uneven = (
        np.flatnonzero(step_time != 1.0)
        if size and (step_time.min() != 1.0 or step_time.max() != 1.0)
        else np.empty(0, dtype=np.int64)
    )
    linear = np.empty(size)
    np.subtract(values[1:], values[:-1], out=linear[:-1])
    linear[uneven] /= step_time[uneven]
    growth = np.empty(size)  # the growth factor (1 + rate) of each step
    broken = np.empty(0, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(values[1:], values[:-1], out=growth[:-1])
        if size and values.min() <= 0:  # a zero or negative value breaks the steps beside it
            positive = values > 0
            broken = np.flatnonzero(~(positive[1:] & positive[:-1]))
        growth[uneven] **= 1.0 / step_time[uneven]

    every = starts.size == n_series  # the usual case: every series has a step

    def extreme(ufunc: np.ufunc, data: np.ndarray, sentinel: float, skip: np.ndarray) -> np.ndarray:
        data[skip] = sentinel
        if every:
            return ufunc.reduceat(data, starts) if starts.size else np.empty(0)
        out = np.full(n_series, np.nan)
        if starts.size:
            out[has_step] = ufunc.reduceat(data, starts)
        return out

    skip = np.concatenate([crossing, broken]) if broken.size else crossing
    up = extreme(np.maximum, growth, -np.inf, skip)
    down = extreme(np.minimum, growth, np.inf, skip)
    cagr_steps = steps.copy()
    if broken.size:  # series left with no unbroken step have no compound rate
        owner = np.searchsorted(offsets, broken, side="right") - 1
        inner = broken < offsets[owner + 1] - 1  # not the crossing slot of its series
        cagr_steps -= np.bincount(owner[inner], minlength=n_series)
        up[cagr_steps == 0], down[cagr_steps == 0] = np.nan, np.nan
    return {
        "best_linear_up": extreme(np.maximum, linear, -np.inf, crossing),
        "best_linear_down": extreme(np.minimum, linear, np.inf, crossing),
        "linear_steps": steps,
        "best_cagr_up": up - 1.0,
        "best_cagr_down": down - 1.0,
        "cagr_steps": cagr_steps,
    }
