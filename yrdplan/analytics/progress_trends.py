"""Per-series history for the progress engine: first, latest, recent trend, best yearly steps.

Everything here works on a CSR panel (``series_offsets``, ``times``, ``values``; see
:class:`yrdplan.analytics.progress.Panel`) and returns one value per series, so the engine can
gather them per target with one ``np.take``. No Python loop runs over series or observations
(only over blocks of a few thousand series).

*Recent trend* (for the projection): the average annual change, linear and compound, from the
first observation inside the window (at or after ``latest - window``) to the latest one. Two
points, as in ESCAP's anticipated-progress method (compound growth between two observed
years), so a projection can be explained from two points on the chart; a wider window damps a
noisy end point.

*Best steps* (for the "unrealistic target" flag): the highest and lowest change per year
between consecutive observations, linear and compound.

:func:`summarise_series` makes one pass over the observations. The panel is cut into blocks
of whole series of about ``BLOCK_SIZE`` observations: each block is read from memory once,
and the dozen passes over it (first and latest points, trend start, steps and their
extremes) run while it is in cache, in scratch buffers reused from block to block; blocks may
run on a thread pool (numpy releases the GIL inside its loops). The best *linear* steps are
only needed for the few targets measured on a linear scale (zero or negative values, bands),
so the engine skips them in that pass and takes them afterwards for those series alone
(:func:`linear_extremes`).

Where the time goes, and why the code looks the way it does: per-series extremes are
``ufunc.reduceat`` over the CSR segments, whose cost is mostly per segment (~20 observations),
so they are taken on int64 keys (see :func:`_best_steps`); a select (``np.where``) or a
boolean-mask assignment costs several times an arithmetic pass, so rare cases are patched on
the index of the rows they concern.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    points. ``best_rates`` stacks, per series, the highest (up) and lowest (down) change per
    year between consecutive observations: rows cagr up, cagr down, linear up, linear down
    (:data:`BEST_CAGR_UP` ...), so that the engine picks the right one per target with a single
    gather from the flat array; the linear rows are NaN when :func:`summarise_series` was
    asked to skip them. ``best_steps`` counts the steps they were taken over: row 0 compound
    (a compound step needs two positive values), row 1 linear.
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
    best_rates: np.ndarray
    best_steps: np.ndarray

    @property
    def best_cagr_up(self) -> np.ndarray:
        """Highest compound rate of a step."""
        return self.best_rates[BEST_CAGR_UP]

    @property
    def best_cagr_down(self) -> np.ndarray:
        """Lowest compound rate of a step."""
        return self.best_rates[BEST_CAGR_DOWN]

    @property
    def best_linear_up(self) -> np.ndarray:
        """Highest change per year of a step."""
        return self.best_rates[BEST_LINEAR_UP]

    @property
    def best_linear_down(self) -> np.ndarray:
        """Lowest change per year of a step."""
        return self.best_rates[BEST_LINEAR_DOWN]

    @property
    def cagr_steps(self) -> np.ndarray:
        """Steps between two positive values."""
        return self.best_steps[0]

    @property
    def linear_steps(self) -> np.ndarray:
        """Steps between consecutive observations."""
        return self.best_steps[1]


#: Rows of :attr:`SeriesHistory.best_rates`.
BEST_CAGR_UP, BEST_CAGR_DOWN, BEST_LINEAR_UP, BEST_LINEAR_DOWN = range(4)
# Bits of a float64 without its sign, and of -inf and +inf, as int64 (see _best_steps).
_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)
_NEG_INF_BITS = int(np.array(-np.inf).view(np.int64))
_POS_INF_BITS = int(np.array(np.inf).view(np.int64))
_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)


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
    On evenly spaced series (annual data without gaps) the guess is exact; a gap or two puts
    it a place or two off, which a few rounds of stepping towards the answer fix (each round
    only on the rows still wrong). What is left after that is bisected. The result is the
    same either way.

    >>> t = np.array([2015.0, 2016.0, 2017.0, 2018.0, 2020.0])
    >>> first_at_or_after(t, np.array([0, 0]), np.array([5, 5]), np.array([2015.0, 2015.0]),
    ...                   np.array([2020.0, 2020.0]), np.array([2017.0, 2019.0]))
    array([2, 4])
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    span = np.maximum(hi - lo - 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = (query - first) / (last - first)  # NaN or inf on a single point: fixed below
        guess *= span
        np.ceil(guess, out=guess)
        np.fmax(guess, 0.0, out=guess)  # fmax/fmin, unlike maximum/minimum, turn NaN into 0
        np.fmin(guess, span, out=guess)
    at = guess.astype(np.int64)
    at += lo  # in [lo, hi - 1], or lo == hi for an empty row
    nan_query = np.flatnonzero(np.isnan(query))
    at[nan_query] = hi[nan_query]  # NaN compares false: nothing is at or after it
    if not times.size:
        return at
    rows = None  # all rows in the first round, then those still wrong
    for round_ in range(_STEP_ROUNDS + 1):
        a, q, a_lo, a_hi = (
            (at, query, lo, hi) if rows is None else (at[rows], query[rows], lo[rows], hi[rows])
        )
        early = np.take(times, a, mode="clip") < q  # the answer lies after a
        early &= a < a_hi
        late = np.take(times, a - 1, mode="clip") >= q  # ... or before it
        late &= a > a_lo
        wrong = np.flatnonzero(early | late)
        rows = wrong if rows is None else rows[wrong]
        if not rows.size:
            return at
        if round_ < _STEP_ROUNDS:
            at[rows] += early[wrong].view(np.int8) - late[wrong].view(np.int8)
    at[rows] = bisect_left(times, lo[rows], hi[rows], query[rows])
    return at


#: Rounds of one-place steps :func:`first_at_or_after` tries before it bisects.
_STEP_ROUNDS = 2


def observation_from(
    offsets: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    series: np.ndarray,
    year: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Time and value of the first observation of each ``series`` at or after ``year``.

    ``first`` and ``last`` are the first and last times of those series (any value for an empty
    one); NaN where the series has nothing from ``year`` on.

    >>> observation_from(np.array([0, 3]), np.array([2015.0, 2017, 2020]),
    ...                  np.array([1.0, 2, 3]), np.array([0, 0]), np.array([2016.0, 2021]),
    ...                  np.array([2015.0, 2015]), np.array([2020.0, 2020]))
    (array([2017.,   nan]), array([ 2., nan]))
    >>> observation_from(np.array([0, 0]), np.array([]), np.array([]), np.array([0]),
    ...                  np.array([2016.0]), np.array([0.0]), np.array([0.0]))
    (array([nan]), array([nan]))
    """
    if times.size == 0:  # no observations at all (say, as of a date before the first one)
        nothing = np.full(series.shape, np.nan)
        return nothing, nothing.copy()
    lo, hi = np.take(offsets, series), np.take(offsets, series + 1)
    at = first_at_or_after(times, lo, hi, first, last, year - TIME_SLACK)
    found_time = np.take(times, at, mode="clip")  # at == hi: nothing from year on
    found_value = np.take(values, at, mode="clip")
    missing = np.flatnonzero(at >= hi)
    found_time[missing], found_value[missing] = np.nan, np.nan
    return found_time, found_value


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
    linear: bool = True,
) -> SeriesHistory:
    """Summarise every series of a validated CSR panel.

    One pass over the observations, block by block: each block of whole series is read from
    memory once, and everything per series (first, latest, trend start, best steps) is taken
    from it while it is in cache, into per-worker scratch buffers that are reused from block to
    block (a fresh buffer per block costs a page fault per 4 KiB, more than the arithmetic).

    Parameters
    ----------
    offsets, times, values : numpy.ndarray
        The panel: series ``k`` is ``times[offsets[k]:offsets[k + 1]]`` (strictly increasing)
        and the matching ``values``.
    window : float
        Length in years of the recent-trend window.
    workers : int, optional
        Threads for the pass over the blocks; all cores by default.
    block_size : int
        Target observations per block (a longer series makes a block of its own).
    linear : bool
        Also take the best linear steps; without them those rows of ``best_rates`` are NaN
        (for a caller that needs them for a few series only: :func:`linear_extremes`).

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
    count = offsets[1:] - offsets[:-1]
    # Rows: first time, first value, last time, last value, trend-start time and value.
    points = np.empty((6, n_series))
    best_rates = np.empty((4, n_series))
    best_steps = np.empty((2, n_series), dtype=np.int64)
    # Block edges fall on series edges: the first series starting at or after each multiple.
    cuts = np.searchsorted(offsets, np.arange(0, offsets[-1], max(block_size, 1)), side="left")
    edges = np.unique(np.concatenate([[0], cuts, [n_series]]))
    sizes = offsets[edges[1:]] - offsets[edges[:-1]]
    # One task per worker: a contiguous run of blocks of about equal size, with its own scratch.
    workers = max(1, min(workers or os.cpu_count() or 1, edges.size - 1))
    share = np.searchsorted(np.cumsum(sizes), np.arange(1, workers) * (offsets[-1] / workers))
    runs = np.split(np.arange(edges.size - 1), np.unique(share))

    def run(blocks: np.ndarray) -> None:
        scratch = np.empty((3, int(sizes[blocks].max(initial=0)) + 1))
        for i in blocks.tolist():
            first, last = int(edges[i]), int(edges[i + 1])
            lo, hi = int(offsets[first]), int(offsets[last])
            _summarise_block(
                offsets[first : last + 1] - lo,
                times[lo:hi],
                values[lo:hi],
                window,
                points[:, first:last],
                best_rates[:, first:last],
                best_steps[:, first:last],
                scratch,
                linear,
            )

    for _ in map_blocks(run, [r for r in runs if r.size], workers):
        pass
    first_time, first_value, last_time, last_value, trend_start_time, trend_start_value = points
    with np.errstate(divide="ignore", invalid="ignore"):
        span = last_time - trend_start_time
        trend_slope = (last_value - trend_start_value) / span
        trend_slope[~(span > 0)] = np.nan
        positive = (span > 0) & (trend_start_value > 0) & (last_value > 0)
        trend_rate = np.power(last_value / trend_start_value, 1.0 / span) - 1.0
        trend_rate[~positive] = np.nan
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
        best_rates=best_rates,
        best_steps=best_steps,
    )


def _summarise_block(
    offsets: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    window: float,
    points: np.ndarray,
    best_rates: np.ndarray,
    best_steps: np.ndarray,
    scratch: np.ndarray,
    linear: bool,
) -> None:
    """Fill the columns of one block of series (``offsets`` local to ``times``/``values``).

    ``points``, ``best_rates`` and ``best_steps`` are the block's columns of the
    :func:`summarise_series` arrays and are written in place.
    """
    starts, ends = offsets[:-1], offsets[1:]
    if times.size:
        # "clip" keeps an empty series' indices in bounds; its garbage is overwritten below.
        first_t, first_y, last_t, last_y, start_t, start_y = points
        np.take(times, starts, out=first_t, mode="clip")
        np.take(values, starts, out=first_y, mode="clip")
        np.take(times, ends - 1, out=last_t, mode="clip")
        np.take(values, ends - 1, out=last_y, mode="clip")
        # The trend window starts at the first observation at or after latest - window.
        at = first_at_or_after(times, starts, ends, first_t, last_t, last_t - window - TIME_SLACK)
        np.take(times, at, out=start_t, mode="clip")
        np.take(values, at, out=start_y, mode="clip")
    if times.size == 0 or (ends - starts).min() == 0:
        points[:, np.flatnonzero(ends == starts)] = np.nan
    _best_steps(offsets, times, values, best_rates, best_steps, scratch, linear=linear)


def _best_steps(
    offsets: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    best_rates: np.ndarray,
    best_steps: np.ndarray,
    scratch: np.ndarray,
    cagr: bool = True,
    linear: bool = True,
) -> None:
    """Highest and lowest per-year change between consecutive observations of each series.

    Step ``j`` goes from observation ``j`` to ``j + 1``; series ``k`` owns steps
    ``[offsets[k], offsets[k + 1] - 1)`` and the slot after them holds the step that crosses
    into the next series, which a sentinel (-inf for a maximum, +inf for a minimum) keeps out
    of the plain CSR reduction. The compound rate of a step is ``(v1 / v0) ** (1 / dt) - 1``;
    on the usual one-year step that is the plain ratio, so the power is only taken on the others.
    Writes :attr:`SeriesHistory.best_rates` and ``best_steps`` of the block in place (the
    compound or the linear rows only, if ``cagr`` or ``linear`` is false: the others get NaN);
    the three rows of ``scratch`` hold the step times, the linear steps and the growth factors.
    """
    size = times.shape[0]
    count = offsets[1:] - offsets[:-1]
    cagr_steps, steps = best_steps
    np.maximum(count - 1, 0, out=steps)
    cagr_steps[:] = steps
    rows = [BEST_CAGR_UP, BEST_CAGR_DOWN] * cagr + [BEST_LINEAR_UP, BEST_LINEAR_DOWN] * linear
    if size == 0:
        best_rates.fill(np.nan)
        return
    for row in {BEST_CAGR_UP, BEST_CAGR_DOWN, BEST_LINEAR_UP, BEST_LINEAR_DOWN} - set(rows):
        best_rates[row].fill(np.nan)
    if not rows:
        return
    crossing = offsets[1:] - 1 if count.min() > 0 else offsets[1:][count > 0] - 1
    # Every series gets the segment from its first step to the next series' first step (its
    # steps and its crossing slot). A series without steps gets a slot it does not own, or the
    # start of an empty series at the end is past the last slot (so it is clipped): either way
    # its result is replaced by NaN below. One reduction over all series, no subset to gather.
    starts = np.minimum(offsets[:-1], size - 1)

    step_time, steps_linear, growth = scratch[0, :size], scratch[1, :size], scratch[2, :size]
    np.subtract(times[1:], times[:-1], out=step_time[:-1])
    step_time[crossing] = 1.0  # two series may meet at the same time: keep 0/0 out of the slot
    uneven = np.flatnonzero(step_time != 1.0)
    skip = crossing
    with np.errstate(divide="ignore", invalid="ignore"):
        if linear:
            np.subtract(values[1:], values[:-1], out=steps_linear[:-1])
            steps_linear[uneven] /= step_time[uneven]
        if cagr:
            np.divide(values[1:], values[:-1], out=growth[:-1])  # the growth factor (1 + rate)
            growth[uneven] **= 1.0 / step_time[uneven]
            positive = values > 0
            if not positive.all():  # a zero or negative value breaks the compound steps beside it
                broken = np.empty(size, dtype=np.bool_)
                np.logical_and(positive[1:], positive[:-1], out=broken[:-1])
                np.logical_not(broken[:-1], out=broken[:-1])
                broken[crossing] = False  # not a step of any series
                broken = np.flatnonzero(broken)  # few: count them per series by their owner
                owner = np.searchsorted(offsets, broken, side="right") - 1
                cagr_steps -= np.bincount(owner, minlength=cagr_steps.size)
                skip = np.concatenate([crossing, broken])

    # The extremes are taken on int64 keys that order like the floats: numpy's float maximum
    # and minimum check the floating-point status on every call, which on ~20-element
    # segments costs as much as the comparisons. Positive floats already order like their
    # bits (and every growth factor left after the sentinels is positive, the sentinels
    # +-inf order right too); the bits of a negative float count down as it decreases, so the
    # linear steps get those flipped, and back again on the result.
    keys = steps_linear.view(np.int64)
    if linear:
        flip = step_time.view(np.int64)  # step times are no longer needed
        np.right_shift(keys, 63, out=flip)
        flip &= _MAGNITUDE
        keys ^= flip
    growth_keys = growth.view(np.int64)
    for ufunc, data, sentinel, slots, row in (
        (np.maximum, growth_keys, _NEG_INF_BITS, skip, BEST_CAGR_UP),
        (np.minimum, growth_keys, _POS_INF_BITS, skip, BEST_CAGR_DOWN),
        (np.maximum, keys, _INT64_MIN, crossing, BEST_LINEAR_UP),
        (np.minimum, keys, _INT64_MAX, crossing, BEST_LINEAR_DOWN),
    ):
        if row in rows:
            data[slots] = sentinel
            ufunc.reduceat(data, starts, out=best_rates[row].view(np.int64))
    if linear:
        linear_keys = best_rates[BEST_LINEAR_UP:].view(np.int64)
        linear_keys ^= (linear_keys >> 63) & _MAGNITUDE  # flip the linear keys back
    if cagr:
        best_rates[BEST_CAGR_UP : BEST_CAGR_DOWN + 1] -= 1.0  # growth factor to rate
    # A series without a step (compound: without an unbroken one) has no best step.
    for rate_rows, counts in (
        ((BEST_CAGR_UP, BEST_CAGR_DOWN), cagr_steps),
        ((BEST_LINEAR_UP, BEST_LINEAR_DOWN), steps),
    ):
        if rate_rows[0] in rows and counts.min() == 0:
            none = np.flatnonzero(counts == 0)
            for row in rate_rows:
                best_rates[row, none] = np.nan


def linear_extremes(
    offsets: np.ndarray,
    times: np.ndarray,
    values: np.ndarray,
    series: np.ndarray,
    block_size: int = BLOCK_SIZE,
) -> np.ndarray:
    """Best linear steps (rows: up, down) of some ``series`` of a CSR panel, as in
    :func:`summarise_series`; a series may be asked for more than once.

    For when only a small share of the series needs them: the observations of each distinct
    series asked for are gathered into a compact panel, a block at a time, instead of taking
    the steps of every series.

    >>> linear_extremes(np.array([0, 3, 5]), np.array([2018.0, 2019, 2020, 2019, 2021]),
    ...                 np.array([5.0, 9, 7, 1, 5]), np.array([1, 0, 1])).tolist()
    [[2.0, 4.0, 2.0], [2.0, -2.0, 2.0]]
    """
    series = np.asarray(series, dtype=np.int64)
    wanted = np.zeros(offsets.shape[0] - 1, dtype=np.bool_)  # a mask, not np.unique: no sort
    wanted[series] = True
    needed = np.flatnonzero(wanted)
    lo = offsets[needed]
    count = offsets[needed + 1] - lo
    compact = np.zeros(needed.size + 1, dtype=np.int64)
    np.cumsum(count, out=compact[1:])
    cuts = np.searchsorted(compact, np.arange(0, compact[-1], max(block_size, 1)), side="left")
    edges = np.unique(np.concatenate([[0], cuts, [needed.size]])).tolist()
    rates = np.empty((4, needed.size))
    steps = np.empty((2, needed.size), dtype=np.int64)
    scratch = np.empty((3, int(np.diff(compact[edges]).max(initial=0)) + 1))
    for first, last in zip(edges[:-1], edges[1:], strict=True):
        local = compact[first : last + 1] - compact[first]
        # Observation i of the block comes from lo[k] + (i - local[k]) for its series k.
        at = np.repeat(lo[first:last] - local[:-1], count[first:last])
        at += np.arange(local[-1])
        _best_steps(
            local,
            times[at],
            values[at],
            rates[:, first:last],
            steps[:, first:last],
            scratch,
            cagr=False,
        )
    place = np.cumsum(wanted)  # 1 + the position of each needed series in ``needed``
    return rates[BEST_LINEAR_UP:, place[series] - 1]
