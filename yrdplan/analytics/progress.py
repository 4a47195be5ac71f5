"""The progress engine of 监测预警: one explainable assessment per series × target, vectorised.

Inputs are a :class:`Panel` of observations grouped per series (a series is one region ×
indicator; CSR layout, times as decimal years from
:attr:`yrdplan.domain.periods.Period.decimal_year`) and a :class:`TargetTable` with one row per
(series, target). :func:`compute_progress` returns a :class:`ProgressResult` holding every
calculation component per target row, so each status can be explained from the row alone.

Methods, and where they come from
---------------------------------
*Base.* The target's base year and value when both are given; the base year alone picks the
first observation at or after it (Open SDG does the same when the base year is missing); with
neither, the earliest observation. *Latest* is the last observation (at or before
``ProgressOptions.as_of``).

*Rates* (``method`` says which per row):

``cagr``
    Compound annual rates, Statistics Canada / Open SDG: observed
    ``(latest / base) ** (1 / (t_latest - t_base)) - 1`` and required
    ``(aim / base) ** (1 / (t_target - t_base)) - 1``. Used when base, latest and the aimed-at
    value are all positive, the only case where a compound rate means anything.
``linear``
    Absolute change per year (value units per year), for targets whose base, latest or aim is
    zero or negative. Open SDG instead replaces a zero by 0.001, which makes the answer depend
    on an arbitrary constant; the ratio of two linear rates is unit-free and needs no such hack.
``symmetric``
    No-target rows with a zero or negative value: the change per year divided by the mean
    absolute level ``(|base| + |latest|) / 2``, a relative rate that stays defined at zero and
    can be compared with the reference rates below.
``band``
    Band targets (``~``, ``between``): everything is measured on the distance to the band
    ``max(low - v, v - high, 0)``, whose aim is 0 (a linear rate, since the aim is zero).
    The trajectory heads for the nearest edge.
``none``
    Nothing could be computed.

*Ratio* ``R = d * observed / |required|`` with ``d = +1`` when more is better and ``-1`` when
less is (on the distance, for bands). This is ``observed / required`` whenever the target lies in
the desired direction from the base; the sign handling is Statistics Canada's, so that a base
that already met the target and a latest value that no longer does reads as deterioration.
Statuses: achieved (the latest value meets the target); on_track ``R >= 0.95``; moderate
``0.60 <= R < 0.95``; limited ``0 <= R < 0.60``; deteriorating ``R < 0``; insufficient_data
when there is no base, no later observation, or no time left between base and target year.
When the required rate is exactly 0 (the base sat on the target) and the target is not met, R
is undefined and the status is deteriorating.

*No target* (comparator ``none``): the direction-adjusted observed rate ``d * observed`` is
compared with reference rates (on_track ``>= 1.5 %``, moderate ``>= 0.5 %``, limited ``>= 0``,
deteriorating ``< 0``), the positive thresholds scaled by the natural-limit factor
``C = 1 - (|base| / |limit|) ** 4.44`` (``1 - ((2|limit| - |base|) / |limit|) ** 4.44`` above
the limit, 1 beyond twice it): a share already at 99 % of a 100 % cap cannot grow 1.5 % a year.
An indicator with direction ``band`` and no target cannot be assessed.

*Score*: Open SDG's piecewise-linear map of R (or of the no-target rate) onto [-5, 5], 5 for an
achieved target, for averaging across series.

*Trajectory* (the delivery-unit straight path): ``expected_value`` is the value at the latest
period on the straight line from (base year, base value) to (target year, aim), and
``trajectory_gap = d * (latest - expected)`` is positive ahead of the path and negative behind
it; ``trajectory_gap_share`` divides it by the whole change required.

*Projection* (ESCAP / UNSD anticipated progress): the recent trend runs from the first
observation inside the last ``trend_window`` years to the latest one; its average annual change
(``projected_linear``) and its compound annual rate (``projected_compound``, positive values
only) are extended from the latest value to the target year, as ESCAP extends the compound
growth between two observed years. ``anticipated_progress = (projected - base) / (aim - base)``
(on the distance, for bands): 1 or more means the trend reaches the target in time.

*Unrealistic* (the seeds' "脱离实际盲目攀高"): the required rate, in the desired direction,
exceeds ``unrealistic_multiple`` times the series' own best step between consecutive
observations (in the row's method), or any improvement is required of a series that never
improved; only with at least ``unrealistic_min_history`` steps and a target not yet met.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np

from yrdplan.analytics.progress_inputs import (
    APPROX,
    BAND,
    BETWEEN,
    COMPARATOR_NAMES,
    DIRECTION_NAMES,
    EQ,
    GE,
    HIGHER,
    LE,
    LOWER,
    NO_TARGET,
    RELATIVE,
    Panel,
    TargetTable,
    encode_comparators,
    encode_directions,
)
from yrdplan.analytics.progress_trends import (
    SeriesHistory,
    linear_extremes,
    map_blocks,
    observation_from,
    summarise_series,
)

__all__ = [
    "APPROX",
    "BAND",
    "BETWEEN",
    "EQ",
    "GE",
    "HIGHER",
    "LE",
    "LOWER",
    "NO_TARGET",
    "RELATIVE",
    "COMPARATOR_NAMES",
    "DIRECTION_NAMES",
    "METHOD_NAMES",
    "STATUS_NAMES",
    "Panel",
    "ProgressOptions",
    "ProgressResult",
    "TargetTable",
    "classify_growth",
    "classify_ratio",
    "compute_progress",
    "encode_comparators",
    "encode_directions",
    "natural_limit_scale",
]

#: Status codes are indices into this tuple.
STATUS_NAMES: tuple[str, ...] = (
    "achieved",
    "on_track",
    "moderate",
    "limited",
    "deteriorating",
    "insufficient_data",
)
ACHIEVED, ON_TRACK, MODERATE, LIMITED, DETERIORATING, INSUFFICIENT_DATA = range(6)
#: Method codes are indices into this tuple; see the module docstring.
METHOD_NAMES: tuple[str, ...] = ("none", "cagr", "linear", "symmetric", "band")
M_NONE, M_CAGR, M_LINEAR, M_SYMMETRIC, M_BAND = range(5)

# Target rows per block: the ~100 temporaries of a block then stay in the L2 cache.
_ROW_BLOCK = 1 << 15


@dataclass(frozen=True)
class ProgressOptions:
    """Tunable parts of the engine; the defaults are the published ones.

    Parameters
    ----------
    target_thresholds : (float, float, float)
        Lower bounds of R for on_track, moderate and limited (Statistics Canada: 0.95, 0.60, 0).
    reference_rates : (float, float)
        No-target rows: lower bounds of the direction-adjusted annual rate for on_track and
        moderate (Statistics Canada: 1.5 %, 0.5 %); limited starts at 0.
    limit_exponent : float
        Exponent of the natural-limit scaling factor (Statistics Canada: 4.44).
    approx_tolerance : float
        Half-width, relative to the value, of the band for ``~`` without a high edge and for
        ``=`` / ``relative`` on a band indicator ("2:1左右" → 2 ± 5 %).
    trend_window : float
        Years back from the latest observation to where the projection's trend starts.
    projection : {"linear", "compound"}
        Which trend gives ``projected_value``; compound falls back to linear where the trend's
        first or latest value is not positive.
    unrealistic_multiple : float
        Flag a target whose required rate exceeds this multiple of the best historical step.
    unrealistic_min_history : int
        Steps (pairs of consecutive observations) needed before the flag is raised at all.
    as_of : float, optional
        Ignore observations after this decimal year (recompute a past assessment).
    workers : int, optional
        Threads for large inputs; ``None`` means one per core. The default is 1: on the shared
        2-core machine the benchmark runs on, a second thread gained 10-20 % when the other
        core was idle and lost as much when it was busy (the work is bound by memory bandwidth).
    """

    target_thresholds: tuple[float, float, float] = (0.95, 0.60, 0.0)
    reference_rates: tuple[float, float] = (0.015, 0.005)
    limit_exponent: float = 4.44
    approx_tolerance: float = 0.05
    trend_window: float = 5.0
    projection: Literal["linear", "compound"] = "linear"
    unrealistic_multiple: float = 2.0
    unrealistic_min_history: int = 3
    as_of: float | None = None
    workers: int | None = 1

    def __post_init__(self) -> None:
        on, moderate, limited = self.target_thresholds
        if not on > moderate > limited:
            raise ValueError("target_thresholds must be decreasing (on_track, moderate, limited)")
        if not self.reference_rates[0] > self.reference_rates[1] > 0:
            raise ValueError("reference_rates must be decreasing and positive")
        if self.projection not in ("linear", "compound"):
            raise ValueError(f"projection must be 'linear' or 'compound', not {self.projection!r}")
        if not self.trend_window > 0:
            raise ValueError("trend_window must be positive")
        if not self.approx_tolerance >= 0:
            raise ValueError("approx_tolerance must be non-negative")
        if not self.unrealistic_multiple > 0:
            raise ValueError("unrealistic_multiple must be positive")
        if self.workers is not None and self.workers < 1:
            raise ValueError("workers must be at least 1 (or None for one per core)")


# -- result -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProgressResult:
    """Every calculation component, one array element per target row (input order).

    NaN means "not applicable to this row" (and becomes ``None`` in :meth:`to_records`).

    Attributes
    ----------
    series, target_year : int64, float64
        Copied from the targets, so a row explains itself.
    status, method : int8
        Indices into :data:`STATUS_NAMES` and :data:`METHOD_NAMES`.
    direction_sign : int8
        Desired direction of change of the value: +1, -1, or 0 for a band whose base is
        already inside it (or no direction at all).
    base_period, base_value, latest_period, latest_value : float64
        The two points the rates run between (periods as decimal years).
    target_value : float64
        The target as stated; for ``relative``, ``base_value * (1 + relative_change)``.
    band_low, band_high : float64
        The band of ``~``, ``between`` and band-direction ``=`` / ``relative`` targets.
    aim_value : float64
        Where the trajectory heads: the target, or the band edge nearest the base.
    expected_value, trajectory_gap, trajectory_gap_share : float64
        The straight path's value at the latest period; the latest value's lead over it in the
        desired direction (negative: behind); that lead over the whole change required.
    observed_rate, required_rate : float64
        Per year, from the base: compound for ``cagr``, value units for ``linear``, distance
        to the band for ``band``, relative to the mean level for ``symmetric``.
    ratio : float64
        ``direction * observed_rate / |required_rate|`` (targets only).
    progress_value : float64
        What the status was read from: the ratio, or for no-target rows the
        direction-adjusted observed rate.
    threshold_scale : float64
        Natural-limit factor C applied to the no-target thresholds (no-target rows only).
    score : float64
        Open SDG score in [-5, 5]; 5 when achieved.
    projected_linear, projected_compound, projected_value : float64
        The recent trend extended to the target year; ``projected_value`` is the one chosen
        by ``ProgressOptions.projection``.
    anticipated_progress : float64
        Share of the required change the projection covers by the target year.
    best_rate : float64
        The series' best step in the desired direction, in the row's method.
    unrealistic : bool
        The required rate is out of proportion with ``best_rate``.
    """

    series: np.ndarray
    target_year: np.ndarray
    status: np.ndarray
    method: np.ndarray
    direction_sign: np.ndarray
    base_period: np.ndarray
    base_value: np.ndarray
    latest_period: np.ndarray
    latest_value: np.ndarray
    target_value: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    aim_value: np.ndarray
    expected_value: np.ndarray
    trajectory_gap: np.ndarray
    trajectory_gap_share: np.ndarray
    observed_rate: np.ndarray
    required_rate: np.ndarray
    ratio: np.ndarray
    progress_value: np.ndarray
    threshold_scale: np.ndarray
    score: np.ndarray
    projected_linear: np.ndarray
    projected_compound: np.ndarray
    projected_value: np.ndarray
    anticipated_progress: np.ndarray
    best_rate: np.ndarray
    unrealistic: np.ndarray

    def __len__(self) -> int:
        return self.status.shape[0]

    def to_columns(self, decode: bool = True) -> dict[str, np.ndarray]:
        """The result as a column dict; with ``decode``, status and method become names.

        Examples
        --------
        >>> r = compute_progress(Panel([0, 2], [2020, 2021], [1.0, 2.0]),
        ...                      TargetTable([0], [2025], [">="], ["higher"], [2.0]))
        >>> r.to_columns()["status"]
        array(['achieved'], dtype=object)
        """
        columns = {spec.name: getattr(self, spec.name) for spec in fields(self)}
        if decode:
            columns["status"] = np.asarray(STATUS_NAMES, dtype=object)[self.status]
            columns["method"] = np.asarray(METHOD_NAMES, dtype=object)[self.method]
        return columns

    def to_records(self) -> list[dict[str, Any]]:
        """The result as one dict per row, codes decoded and NaN as ``None`` (JSON-ready).

        Examples
        --------
        >>> r = compute_progress(Panel([0, 1], [2020], [1.0]),
        ...                      TargetTable([0], [2025], [">="], ["higher"], [2.0]))
        >>> rec = r.to_records()[0]
        >>> rec["status"], rec["latest_value"], rec["ratio"]
        ('insufficient_data', 1.0, None)
        """
        lists = {}
        for name, column in self.to_columns().items():
            items = column.tolist()
            if column.dtype.kind == "f":
                items = [None if item != item else item for item in items]  # NaN != NaN
            lists[name] = items
        names = list(lists)
        return [dict(zip(names, row, strict=True)) for row in zip(*lists.values(), strict=True)]


# -- classification ---------------------------------------------------------------------------
def classify_ratio(
    ratio: Any, thresholds: tuple[float, float, float] = (0.95, 0.60, 0.0)
) -> np.ndarray:
    """Status codes for ratios R of observed to required growth (Statistics Canada thresholds).

    Parameters
    ----------
    ratio : array of float
        R per row; NaN gives insufficient_data.
    thresholds : (float, float, float)
        Lower bounds for on_track, moderate and limited.

    Returns
    -------
    numpy.ndarray of int8
        Indices into :data:`STATUS_NAMES`; a boundary value belongs to the better status.

    Examples
    --------
    >>> [STATUS_NAMES[c] for c in classify_ratio([0.95, 0.6, 0.0, -0.01, np.nan])]
    ['on_track', 'moderate', 'limited', 'deteriorating', 'insufficient_data']
    """
    r = np.asarray(ratio, dtype=np.float64)
    on, moderate, limited = thresholds
    return _count_below(r, (on, moderate, limited), np.empty(r.shape, dtype=np.int8))


def classify_growth(
    rate: Any, scale: Any = 1.0, reference_rates: tuple[float, float] = (0.015, 0.005)
) -> np.ndarray:
    """Status codes for no-target rows from the direction-adjusted annual rate.

    Parameters
    ----------
    rate : array of float
        ``d * observed_rate``; NaN gives insufficient_data.
    scale : array of float
        Natural-limit factor C in [0, 1] that shrinks the positive thresholds; at C = 0 (the
        base sits on the limit) holding or exceeding it is on track.
    reference_rates : (float, float)
        Unscaled lower bounds for on_track and moderate.

    Examples
    --------
    >>> [STATUS_NAMES[c] for c in classify_growth([0.015, 0.005, 0.0, -0.001])]
    ['on_track', 'moderate', 'limited', 'deteriorating']
    >>> STATUS_NAMES[classify_growth([0.002], scale=0.1)[0]]  # 0.2 % near a cap is on track
    'on_track'
    """
    v = np.asarray(rate, dtype=np.float64)
    c = np.asarray(scale, dtype=np.float64)
    high, med = reference_rates[0] * c, reference_rates[1] * c
    shape = np.broadcast_shapes(v.shape, c.shape)
    return _count_below(v, (high, med, 0.0), np.empty(shape, dtype=np.int8))


def _count_below(value: np.ndarray, bounds: tuple[Any, Any, Any], out: np.ndarray) -> np.ndarray:
    """``ON_TRACK`` plus the number of ``bounds`` that ``value`` is below; NaN gives 5.

    Each bound the value falls below moves it one status down the list. A NaN compares false
    everywhere (code 1) and is moved on to ``INSUFFICIENT_DATA`` by adding 4: counting in int8
    avoids a select, which costs ten times an addition when the condition is unpredictable.
    """
    out[...] = value < bounds[0]
    out += value < bounds[1]
    out += value < bounds[2]
    out += np.isnan(value) * np.int8(INSUFFICIENT_DATA - ON_TRACK)
    out += np.int8(ON_TRACK)
    return out


def natural_limit_scale(base: Any, limit: Any, exponent: float = 4.44) -> np.ndarray:
    """Statistics Canada's factor C that shrinks no-target thresholds near a natural limit.

    ``C = 1 - (b / L) ** a`` for ``b <= L``, ``1 - ((2L - b) / L) ** a`` for ``L < b < 2L``,
    1 from ``2L`` on, with ``b = |base|``, ``L = |limit|``; 1 where the limit is NaN.

    Examples
    --------
    >>> natural_limit_scale([50.0, 99.0, 100.0, 80.0], [100.0, 100.0, 100.0, np.nan]).round(4)
    array([0.9539, 0.0436, 0.    , 1.    ])
    """
    b = np.abs(np.asarray(base, dtype=np.float64))
    lim = np.abs(np.asarray(limit, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.where(b <= lim, b, 2.0 * lim - b)  # mirrored above the limit
        scale = np.where(b >= 2.0 * lim, 1.0, 1.0 - (distance / lim) ** exponent)
    return np.where(np.isnan(lim), 1.0, scale)


def _target_score(
    ratio: np.ndarray, thresholds: tuple[float, float, float], out: np.ndarray | None = None
) -> np.ndarray:
    """Open SDG's score of R: 0 at the moderate threshold, 2.5 at on_track, -2.5 at limited.

    The line keeps its slope beyond those points up to the caps of -5 and +5 (R = 1.3 and
    R = -0.6 with the default thresholds, as published).
    """
    on, mod, low = thresholds
    # a * max(d, 0) + b * min(d, 0) is a * d above the moderate threshold and b * d below it
    # (the other term is an exact zero), without a select on the unpredictable side.
    d = ratio - mod
    score = np.maximum(d, 0.0, out=out)
    score *= 2.5 / (on - mod)
    np.minimum(d, 0.0, out=d)
    d *= 2.5 / (mod - low)
    score += d
    np.maximum(score, -5.0, out=score)
    return np.minimum(score, 5.0, out=score)


def _growth_score(rate: np.ndarray, scale: np.ndarray, rates: tuple[float, float]) -> np.ndarray:
    """Open SDG's score of a no-target rate: -2.5 at 0, 0 and 2.5 at the (scaled) thresholds."""
    high, med = rates
    unit = rate / scale  # back on the unscaled thresholds; C = 0 is handled below
    rising = np.where(
        unit < med,
        (unit - med) * (2.5 / med),
        np.where(
            unit < high, (unit - med) * (2.5 / (high - med)), 2.5 + (unit - high) * (2.5 / med)
        ),
    )
    rising = np.where(scale == 0, 5.0, np.minimum(rising, 5.0))
    falling = np.maximum(rate * (2.5 / (high + med)) - 2.5, -5.0)
    return np.where(rate >= 0, rising, np.where(rate < 0, falling, np.nan))


# -- the engine -------------------------------------------------------------------------------
def compute_progress(
    panel: Panel, targets: TargetTable, options: ProgressOptions | None = None
) -> ProgressResult:
    """Assess every target row against its series: components, ratio, status, projection.

    Parameters
    ----------
    panel : Panel
        Observations grouped per series.
    targets : TargetTable
        One row per (series, target); ``targets.series`` indexes ``panel``.
    options : ProgressOptions, optional
        Thresholds, projection window, flags; published defaults when omitted.

    Returns
    -------
    ProgressResult
        One element per target row, in input order. The methods are in the module docstring.

    Raises
    ------
    ValueError
        A target refers to a series the panel does not have (``series``).

    Examples
    --------
    PM2.5 (lower is better) from 50 µg/m³ in 2015 to 42 in 2020, against GB 3095-2012 grade II
    (annual mean ≤ 35) by 2025:

    >>> panel = Panel([0, 3], [2015, 2018, 2020], [50.0, 45.0, 42.0])
    >>> targets = TargetTable(series=[0], target_year=[2025], comparator=["<="],
    ...                       direction=["lower"], target_value=[35.0])
    >>> r = compute_progress(panel, targets)
    >>> STATUS_NAMES[r.status[0]], METHOD_NAMES[r.method[0]], round(float(r.ratio[0]), 3)
    ('on_track', 'cagr', 0.978)
    >>> float(r.expected_value[0]), float(r.trajectory_gap[0])  # 50 + (35 - 50) * 5/10
    (42.5, 0.5)
    """
    opts = ProgressOptions() if options is None else options
    s = targets.series
    if s.size and s.max() >= panel.n_series:
        raise ValueError(
            f"series refers to series {int(s.max())} but the panel has {panel.n_series}"
        )
    if opts.as_of is not None:
        panel = panel.until(opts.as_of)
    # The best linear steps are only needed for the few rows measured linearly (zero or
    # negative values, bands): _finish_linear_rows takes them for those series alone.
    csr = (panel.series_offsets, panel.times, panel.values)
    hist = summarise_series(*csr, opts.trend_window, opts.workers, linear=False)
    rows = len(targets)
    out = _result_columns(rows)
    out["series"][:] = s
    out["target_year"][:] = targets.target_year
    columns = {spec.name: getattr(targets, spec.name) for spec in fields(targets)}

    # Rows are independent: assess them in cache-sized blocks (on the thread pool), each
    # block writing straight into its slice of the result columns.
    def run(start: int) -> None:
        block = slice(start, start + _ROW_BLOCK)
        inputs = SimpleNamespace(**{k: v[block] for k, v in columns.items()})
        views = SimpleNamespace(**{k: v[block] for k, v in out.items()})
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            later = _assess(panel, hist, inputs, views, opts)
        if later is not None:
            later[0] += start
            deferred.append(later)

    deferred: list[tuple[np.ndarray, ...]] = []
    for _ in map_blocks(run, range(0, rows, _ROW_BLOCK), opts.workers):
        pass
    if deferred:
        _finish_linear_rows(csr, out, deferred, opts)
    return ProgressResult(**out)


def _finish_linear_rows(csr: tuple, out: dict, deferred: list, opts: ProgressOptions) -> None:
    """Best step and unrealistic flag of the rows measured linearly, left open by _assess.

    ``deferred`` holds, per block, the rows, their series, whether the value has to fall,
    the required rate in the desired direction and whether the flag could be raised at all.
    """
    rows, series, falling, need, eligible = (np.concatenate(c) for c in zip(*deferred, strict=True))
    extremes = linear_extremes(*csr, series)
    best = np.take_along_axis(extremes, falling[None, :], axis=0)[0]
    best += 0.0  # as the NaN mask _assess adds (0 on these rows): -0 becomes 0
    out["best_rate"][rows] = best
    bar = opts.unrealistic_multiple * out["direction_sign"][rows] * best
    np.maximum(bar, 0.0, out=bar)
    out["unrealistic"][rows] = eligible & (need > bar)


_RESULT_DTYPES = {"series": np.int64, "unrealistic": np.bool_} | dict.fromkeys(
    ("status", "method", "direction_sign"), np.int8
)


def _result_columns(rows: int) -> dict[str, np.ndarray]:
    """Empty result columns: the float64 ones are the rows of one 2-D array, and so are the
    one-byte ones. One large allocation is backed by huge pages where separate ones mostly are
    not: filling fresh memory then costs hundreds of page faults instead of tens of thousands.
    """
    names = [spec.name for spec in fields(ProgressResult)]
    floats = [name for name in names if name not in _RESULT_DTYPES]
    small = [name for name in names if np.dtype(_RESULT_DTYPES.get(name, np.int64)).itemsize == 1]
    out = dict(zip(floats, np.empty((len(floats), rows)), strict=True))
    for name, column in zip(small, np.empty((len(small), rows), dtype=np.int8), strict=True):
        out[name] = column.view(_RESULT_DTYPES[name])
    out["series"] = np.empty(rows, dtype=np.int64)
    return out


def _locate_base(panel: Panel, hist: SeriesHistory, t: SimpleNamespace, o: SimpleNamespace):
    """Base period and value per row: explicit, first observation from base_year, or first.

    Fills ``o.base_period`` and ``o.base_value``; needs ``o.latest_period`` filled.
    """
    s, by, bv, t0, y0 = t.series, t.base_year, t.base_value, o.base_period, o.base_value
    np.take(hist.first_time, s, out=t0)
    np.take(hist.first_value, s, out=y0)
    given = np.isfinite(bv)
    explicit = np.flatnonzero(given)  # validated: a base value comes with its year
    t0[explicit], y0[explicit] = by[explicit], bv[explicit]
    rows = np.flatnonzero(np.isfinite(by) & ~given)
    if rows.size:  # t0 and the latest period already hold these series' first and last time
        csr = (panel.series_offsets, panel.times, panel.values)
        t0[rows], y0[rows] = observation_from(
            *csr, s[rows], by[rows], t0[rows], o.latest_period[rows]
        )


def _nan_unless(mask: np.ndarray) -> np.ndarray:
    """0.0 where ``mask`` holds and NaN elsewhere: adding it blanks a column outside ``mask``."""
    return np.divide(0.0, mask)  # 0 / 1 and 0 / 0: cheaper than a select


def _assess(
    panel: Panel, hist: SeriesHistory, t: SimpleNamespace, o: SimpleNamespace, opts: ProgressOptions
) -> list[np.ndarray] | None:
    """One block of target rows ``t``, written into the block's result columns ``o``.

    The common case (an at-least or at-most target on positive values: compound rates) is
    computed for every row with plain arithmetic; bands, no-target rows and linear rates are
    then patched in on the index of the rows they concern. Element-wise ``np.where`` on a mixed
    condition mispredicts a branch per element and costs ten times an addition, so selections
    are written as arithmetic on booleans (viewed as int8, which costs no conversion), or as
    NaN masks (:func:`_nan_unless`) added once. Results go into ``o`` with ``out=`` and in-place
    operators: a fresh array per step would cost a memory allocation and a cold cache each.
    """
    nan, i8 = np.nan, np.int8
    s, comp, dirn, year = t.series, t.comparator, t.direction, t.target_year
    lt, ly, t0, y0 = o.latest_period, o.latest_value, o.base_period, o.base_value
    np.take(hist.last_time, s, out=lt)
    np.take(hist.last_value, s, out=ly)
    _locate_base(panel, hist, t, o)

    # Resolve every comparator to one of: at least (ge), at most (le), a band, or no target.
    relative = comp == RELATIVE
    eq_like = relative | (comp == EQ)
    no_target = comp == NO_TARGET
    higher, lower = dirn == HIGHER, dirn == LOWER
    ge = (comp == GE) | (eq_like & higher)
    le = (comp == LE) | (eq_like & lower)
    band = ~(ge | le | no_target)  # ~, between, and = / relative on a band indicator
    band_rows, free_rows, relative_rows = (np.flatnonzero(m) for m in (band, no_target, relative))

    stated = o.target_value
    stated[:] = t.target_value
    r = relative_rows
    stated[r] = y0[r] * (1.0 + t.relative_change[r])
    stated[free_rows] = nan
    # Desired direction in "progress space": of the value, or of the distance for bands (down).
    sign = ge.view(i8) - le.view(i8)
    sign -= band.view(i8)
    sign += (no_target & higher).view(i8)
    sign -= (no_target & lower).view(i8)
    sign_f = sign.astype(np.float64)
    achieved = (ge & (ly >= stated)) | (le & (ly <= stated))
    aim, value_sign = o.aim_value, o.direction_sign
    aim[:], value_sign[:] = stated, sign
    band_low, band_high = o.band_low, o.band_high
    band_low.fill(nan)
    band_high.fill(nan)
    x0 = x_latest = None
    if band_rows.size:
        b = band_rows
        low, high, value = stated[b], t.target_value_high[b], stated[b]
        given = (comp[b] == BETWEEN) | ((comp[b] == APPROX) & np.isfinite(high))
        half_width = opts.approx_tolerance * np.abs(value)
        low = np.where(given, low, value - half_width)
        high = np.where(given, high, value + half_width)
        band_low[b], band_high[b] = low, high
        base, last = y0[b], ly[b]
        achieved[b] = (last >= low) & (last <= high)
        aim[b] = np.minimum(np.maximum(base, low), high)  # the nearest edge, or the base inside
        value_sign[b] = (aim[b] > base).view(i8) - (aim[b] < base).view(i8)
        # Progress on a band is measured on the distance to it; its aim is 0.
        x0 = np.maximum(np.maximum(low - base, base - high), 0.0)
        x_latest = np.maximum(np.maximum(low - last, last - high), 0.0)

    observed = (lt > t0) & (sign != 0)  # a NaN base or latest compares false
    horizon = observed & ~no_target & (year > t0)
    is_cagr = (y0 > 0) & (ly > 0)
    is_cagr &= no_target | (aim > 0)
    is_cagr &= observed & ~band
    other = observed & ~is_cagr & ~band
    method = o.method
    method[:] = is_cagr.view(i8) * i8(M_CAGR)
    method += (band & observed).view(i8) * i8(M_BAND)
    method += (other & no_target).view(i8) * i8(M_SYMMETRIC)
    method += (other & ~no_target).view(i8) * i8(M_LINEAR)
    in_horizon = _nan_unless(horizon)

    dt_obs, dt_req = lt - t0, year - t0
    observed_rate, required_rate = o.observed_rate, o.required_rate
    np.divide(ly, y0, out=observed_rate)
    np.power(observed_rate, np.divide(1.0, dt_obs), out=observed_rate)
    observed_rate -= 1.0
    observed_rate += _nan_unless(observed)
    change = aim - y0
    np.divide(aim, y0, out=required_rate)
    np.power(required_rate, np.divide(1.0, dt_req), out=required_rate)
    required_rate -= 1.0
    required_rate += in_horizon
    r = np.flatnonzero(other)
    if r.size:  # zero or negative values: absolute change per year
        observed_rate[r] = (ly[r] - y0[r]) / dt_obs[r]
        required_rate[r] = change[r] / dt_req[r] + in_horizon[r]
    if band_rows.size:
        b = band_rows
        observed_rate[b] = (x_latest - x0) / dt_obs[b] + _nan_unless(observed[b])
        required_rate[b] = -x0 / dt_req[b] + in_horizon[b]
    ratio = np.multiply(sign_f, observed_rate, out=o.ratio)
    ratio /= np.abs(required_rate)
    stalled = np.flatnonzero(required_rate == 0)  # the base sat on the aim: R is undefined
    ratio[stalled] = nan

    status = _count_below(ratio, opts.target_thresholds, o.status)
    status[stalled] = DETERIORATING
    score = _target_score(ratio, opts.target_thresholds, o.score)
    progress_value, scale = o.progress_value, o.threshold_scale
    progress_value[:] = ratio
    scale.fill(nan)
    if free_rows.size:  # direction-adjusted growth against the reference rates
        f = free_rows
        rate = observed_rate[f]
        symmetric = method[f] == M_SYMMETRIC
        level = (np.abs(ly[f]) + np.abs(y0[f])) / 2.0
        rate = np.where(symmetric, np.where(level > 0, rate / level, 0.0), rate)
        observed_rate[f] = rate
        growth = sign[f] * rate
        scale[f] = 1.0
        near = f[np.isfinite(t.natural_limit[f])]  # only these have a natural limit
        scale[near] = natural_limit_scale(y0[near], t.natural_limit[near], opts.limit_exponent)
        status[f] = classify_growth(growth, scale[f], opts.reference_rates)
        score[f] = _growth_score(growth, scale[f], opts.reference_rates)
        progress_value[f] = growth
    status *= ~achieved  # ACHIEVED is code 0
    score[np.flatnonzero(achieved)] = 5.0

    # The delivery-unit trajectory: the straight path from the base to the aim.
    elapsed = np.divide(dt_obs, dt_req, out=dt_obs)
    np.maximum(elapsed, 0.0, out=elapsed)
    np.minimum(elapsed, 1.0, out=elapsed)
    expected = np.multiply(change, elapsed, out=o.expected_value)
    expected += y0
    expected += in_horizon
    gap = np.subtract(ly, expected, out=o.trajectory_gap)
    gap *= sign_f
    whole = np.abs(change)
    if band_rows.size:
        b = band_rows
        gap[b] = x0 * (1.0 - elapsed[b]) - x_latest + in_horizon[b]
        whole[b] = x0
    gap_share = np.divide(gap, whole, out=o.trajectory_gap_share)
    no_change = np.flatnonzero(whole == 0)
    gap_share[no_change] = nan

    # ESCAP / UNSD anticipated progress from the recent-window trend.
    lead = np.subtract(year, lt, out=dt_req)
    projected_linear = np.take(hist.trend_slope, s, out=o.projected_linear)
    projected_linear *= lead
    projected_linear += ly
    # exp(lead * log1p(rate)), not (1 + rate) ** lead: IEEE pow returns 1 for pow(1, NaN) and
    # pow(NaN, 0), which would turn a missing rate or target year into a projection.
    projected_compound = np.take(hist.trend_rate, s, out=o.projected_compound)
    np.log1p(projected_compound, out=projected_compound)
    projected_compound *= lead
    np.exp(projected_compound, out=projected_compound)
    projected_compound *= ly
    projected = o.projected_value
    if opts.projection == "linear":
        projected[:] = projected_linear
    else:
        finite = np.isfinite(projected_compound)
        projected[:] = np.where(finite, projected_compound, projected_linear)
    anticipated = np.subtract(projected, y0, out=o.anticipated_progress)
    anticipated /= change
    anticipated += 0.0  # as adding the NaN mask would: -0 becomes 0
    anticipated[free_rows] = nan
    if band_rows.size:
        b = band_rows
        p = projected[b]
        reached = np.maximum(np.maximum(band_low[b] - p, p - band_high[b]), 0.0)
        anticipated[b] = (x0 - reached) / x0
    anticipated[no_change] = nan

    # Unrealistic: the requirement against the series' own best step in the same direction.
    # One gather from the stacked best-rate rows picks cagr/linear × up/down per row.
    n_series = hist.count.shape[0]
    linear = ~is_cagr
    pick = linear.view(i8) * i8(2)
    pick += value_sign < 0
    at = pick.astype(np.int64)
    at *= n_series
    at += s
    best = np.take(hist.best_rates.ravel(), at, out=o.best_rate)
    best += _nan_unless(horizon & (value_sign != 0))
    np.multiply(linear, n_series, out=at)
    at += s
    steps = np.take(hist.best_steps.ravel(), at)
    need = np.multiply(sign_f, required_rate, out=change)  # bands: -1 turns a fall into a need
    bar = opts.unrealistic_multiple * value_sign * best
    np.maximum(bar, 0.0, out=bar)
    unrealistic = np.greater(need, bar, out=o.unrealistic)
    eligible = need > 0
    eligible &= steps >= opts.unrealistic_min_history
    eligible &= ~achieved
    unrealistic &= eligible
    unrealistic &= horizon
    # Rows measured linearly read NaN above (no best step yet, so not flagged): hand them to
    # _finish_linear_rows.
    later = np.flatnonzero(linear & horizon & (value_sign != 0))
    if not later.size:
        return None
    return [later, s[later], (value_sign[later] < 0).astype(np.int64), need[later], eligible[later]]
