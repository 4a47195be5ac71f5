"""Robust outlier scores: modified z-scores and year-on-year jumps flagged across many series.

The modified z-score of Iglewicz and Hoaglin (1993, *How to Detect and Handle Outliers*) replaces
the mean and standard deviation of the ordinary z-score by the median and the median absolute
deviation (MAD), so that the outlier being looked for cannot hide itself by inflating the scale::

    M_i = 0.6745 * (x_i - median(x)) / MAD,    MAD = median(|x_i - median(x)|)

0.6745 is the 0.75 quantile of the standard normal, which makes ``MAD / 0.6745`` estimate the
standard deviation of normal data; Iglewicz and Hoaglin recommend calling ``|M_i| > 3.5`` an
outlier.

When more than half of the values are equal the MAD is 0 and the formula divides by zero. The
fallback (the one IBM SPSS documents for its robust z-scores) divides by the mean absolute deviation
from the median scaled by 1.253314 (``sqrt(pi / 2)``, which makes it estimate the standard deviation
of normal data too)::

    M_i = (x_i - median(x)) / (1.253314 * mean(|x_i - median(x)|))

and when that is 0 as well every value equals the median and every score is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Iglewicz & Hoaglin (1993): MAD / 0.6745 estimates sigma for normal data.
MAD_FACTOR = 0.6745
# sqrt(pi / 2): mean absolute deviation * 1.253314 estimates sigma for normal data.
MEAN_AD_FACTOR = 1.253314
DEFAULT_THRESHOLD = 3.5


@dataclass(frozen=True, slots=True)
class JumpFlags:
    """Result of :func:`flag_jumps`, every array aligned with the input order.

    Attributes
    ----------
    flags : ndarray of bool
        True where the change *into* this observation is a jump.
    scores : ndarray of float
        Modified z-score of that change within its series; NaN for the first observation of a
        series and for series with too few changes to score.
    changes : ndarray of float
        Change from the previous observation per unit of time; NaN for a series' first one.
    previous : ndarray of int
        Input index of the previous observation of the same series, -1 for a series' first one.
    """

    flags: NDArray[np.bool_]
    scores: NDArray[np.float64]
    changes: NDArray[np.float64]
    previous: NDArray[np.int64]


def modified_z_scores(x: ArrayLike) -> NDArray[np.float64]:
    """Modified z-scores of Iglewicz and Hoaglin, with a fallback when the MAD is zero.

    Parameters
    ----------
    x : array_like of float, 1-D
        Finite values. An empty input gives an empty result.

    Returns
    -------
    ndarray of float
        ``0.6745 * (x - median) / MAD``; when the MAD is 0,
        ``(x - median) / (1.253314 * mean absolute deviation from the median)``; when that is 0
        too, zeros.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or holds NaN or infinity.

    Examples
    --------
    >>> z = modified_z_scores([1, 2, 3, 4, 100])
    >>> print(np.round(z, 4).tolist())
    [-1.349, -0.6745, 0.0, 0.6745, 65.4265]

    Four equal values make the MAD zero, so the mean absolute deviation (0.8) scales instead:

    >>> print(np.round(modified_z_scores([5, 5, 5, 5, 9]), 4).tolist())
    [0.0, 0.0, 0.0, 0.0, 3.9894]
    """
    values = _as_finite_1d(x, "x")
    groups = np.zeros(values.size, dtype=np.int64)
    return _grouped_modified_z(groups, values, 1)


def flag_jumps(
    series_ids: ArrayLike,
    times: ArrayLike,
    values: ArrayLike,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    min_changes: int = 3,
    min_scale_ratio: float = 1e-3,
) -> JumpFlags:
    """Flag changes between consecutive observations that are outliers within their series.

    Observations are grouped by ``series_ids`` and ordered by ``times`` (the input may be in any
    order). The change into each observation is ``(value - previous value) / (time - previous
    time)``, i.e. per unit of time, so a gap year does not look like a jump. Each series' changes
    are scored with :func:`modified_z_scores` and a change is flagged when ``|score| >
    threshold``. For year-on-year changes of quarterly or monthly data, make the quarter or month
    part of the series id and pass the year as the time.

    Parameters
    ----------
    series_ids : array_like, 1-D
        One id per observation (integers or strings).
    times : array_like of float, 1-D
        Time of each observation, e.g. the year; unique within a series.
    values : array_like of float, 1-D
        Finite values.
    threshold : float, default 3.5
        Flag ``|modified z-score| > threshold`` (Iglewicz and Hoaglin's recommendation).
    min_changes : int, default 3
        Series with fewer changes than this are not scored (scores NaN, nothing flagged): a
        median of one or two changes says nothing about what is usual.
    min_scale_ratio : float, default 1e-3
        The robust scale of a series' changes is never taken below this fraction of the median
        absolute value of the series. Without this floor a series reported to its last rounded
        digit (population 850, 851, 852, 852, 853, …) has a MAD of 0 and the one year without
        growth would be called a jump. Pass 0 for the textbook score.

    Returns
    -------
    JumpFlags
        Flags, scores, changes and previous-observation indexes, aligned with the input.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of one length, hold non-finite numbers, a time repeats within a
        series, ``threshold`` is not positive or ``min_changes`` is below 1.

    Examples
    --------
    Series ``a`` grows by 1 a year except for a jump of 20 into 2020; series ``b`` grows steadily:

    >>> ids = ["a"] * 6 + ["b"] * 4
    >>> years = [2016, 2017, 2018, 2019, 2020, 2021, 2016, 2017, 2018, 2019]
    >>> vals = [10, 11, 12, 13, 33, 34, 5, 6, 7, 8]
    >>> result = flag_jumps(ids, years, vals)
    >>> result.flags.nonzero()[0].tolist(), int(result.previous[4])
    ([4], 3)
    >>> print(result.changes[:6].tolist())
    [nan, 1.0, 1.0, 1.0, 20.0, 1.0]
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold!r}")
    if min_changes < 1:
        raise ValueError(f"min_changes must be at least 1, got {min_changes!r}")
    if min_scale_ratio < 0:
        raise ValueError(f"min_scale_ratio must not be negative, got {min_scale_ratio!r}")
    ids = np.asarray(series_ids)
    if ids.ndim != 1:
        raise ValueError(f"series_ids must be 1-D, got shape {ids.shape}")
    t = _as_finite_1d(times, "times")
    v = _as_finite_1d(values, "values")
    if not ids.size == t.size == v.size:
        raise ValueError(
            f"series_ids, times and values must have one length, got {ids.size}, {t.size}, {v.size}"
        )
    n = v.size
    _, codes = np.unique(ids, return_inverse=True)
    codes = codes.reshape(-1).astype(np.int64)
    order = np.lexsort((t, codes))
    s_codes, s_t, s_v = codes[order], t[order], v[order]

    same = s_codes[1:] == s_codes[:-1]
    if np.any(same & (s_t[1:] == s_t[:-1])):
        raise ValueError("times must be unique within each series of series_ids")
    later = np.flatnonzero(same) + 1  # sorted positions that have a previous observation
    change = (s_v[later] - s_v[later - 1]) / (s_t[later] - s_t[later - 1])

    n_series = int(codes.max()) + 1 if n else 0
    change_groups = s_codes[later]
    score = _grouped_modified_z(
        change_groups, change, n_series, _level_floor(codes, v, n_series) * min_scale_ratio
    )
    counts = np.bincount(change_groups, minlength=n_series)
    score[counts[change_groups] < min_changes] = np.nan

    scores = np.full(n, np.nan)
    changes = np.full(n, np.nan)
    previous = np.full(n, -1, dtype=np.int64)
    scores[order[later]] = score
    changes[order[later]] = change
    previous[order[later]] = order[later - 1]
    with np.errstate(invalid="ignore"):
        flags = np.abs(scores) > threshold
    return JumpFlags(flags=flags, scores=scores, changes=changes, previous=previous)


def _as_finite_1d(data: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must hold numbers: {err}") from err
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must not hold NaN or infinity")
    return array


def _group_medians(groups: NDArray[np.int64], x: NDArray[np.float64], n_groups: int) -> NDArray:
    """Median of ``x`` within each group (NaN for an empty group), by one sort for all groups."""
    counts = np.bincount(groups, minlength=n_groups)
    sorted_x = x[np.lexsort((x, groups))]
    starts = np.cumsum(counts) - counts
    medians = np.full(n_groups, np.nan)
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    medians[has] = (sorted_x[low] + sorted_x[high]) / 2.0
    return medians


def _level_floor(groups: NDArray[np.int64], x: NDArray[np.float64], n_groups: int) -> NDArray:
    """Median absolute value of each series: the level that rounding noise is relative to."""
    if n_groups == 0:
        return np.zeros(0)
    return _group_medians(groups, np.abs(x), n_groups)


def _grouped_modified_z(
    groups: NDArray[np.int64],
    x: NDArray[np.float64],
    n_groups: int,
    min_scale: NDArray[np.float64] | float = 0.0,
) -> NDArray[np.float64]:
    """Modified z-score of each value within its group; see the module docstring for the rule."""
    if x.size == 0:
        return np.zeros(0)
    counts = np.bincount(groups, minlength=n_groups)
    median = _group_medians(groups, x, n_groups)
    deviation = x - median[groups]
    absolute = np.abs(deviation)
    mad = _group_medians(groups, absolute, n_groups)
    mean_ad = np.bincount(groups, weights=absolute, minlength=n_groups) / np.maximum(counts, 1)
    # Where some group is empty its medians are NaN; those groups own no value, so mute the warning.
    with np.errstate(invalid="ignore"):
        scale = np.where(mad > 0, mad / MAD_FACTOR, MEAN_AD_FACTOR * mean_ad)
        scale = np.maximum(scale, min_scale)
    group_scale = scale[groups]
    safe = np.where(group_scale > 0, group_scale, 1.0)
    return np.where(group_scale > 0, deviation / safe, 0.0)
