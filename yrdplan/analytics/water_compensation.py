"""Cross-border water-quality compensation (跨界断面水质补偿, the 新安江 model and its variants).

The water-quality index of a section for one year is

    P = k0 · Σᵢ wᵢ · (Cᵢ / Cᵢ₀) / Σᵢ wᵢ

over the agreed pollutants i (``form="mean"``), where Cᵢ is the year's mean concentration at the section, Cᵢ₀ the
agreed baseline (基本限值) and k0 the stability coefficient (指数值稳定系数). With equal weights
this is the 新安江 agreements' P = k0 · Σ (Cᵢ / Cᵢ₀) / n (first round 2012–2014: k0 = 0.85 over
permanganate index, NH3-N, TN and TP). Agreements that judge by the worst pollutant (单因子评价)
use ``form="max"``: P = k0 · maxᵢ (Cᵢ / Cᵢ₀). A lower P is cleaner water.

The payment follows the agreement's bands. A band covers ``lower < P ≤ upper`` (the first band
has no lower bound, the last no upper one), so the 新安江 rule "P ≤ 1: the downstream pays the
upstream; P > 1: the upstream pays the downstream" is two bands with ``upper = 1`` and ``None``.
In a band the amount is ``amount + rate · |P − pivot|``, then limited by the band's cap and by
the agreement's overall cap. Tiered rules are more bands; two-way (双向) rules are bands with
different payers. Amounts are signed here: positive when the downstream pays the upstream,
negative for the reverse, zero when nobody pays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Who pays in a band: the downstream party (to the upstream), the upstream (to the downstream),
#: or nobody.
PAYERS: tuple[str, ...] = ("downstream", "upstream", "none")
#: How the pollutants' ratios make one index.
INDEX_FORMS: tuple[str, ...] = ("mean", "max")


@dataclass(frozen=True)
class WaterQualityIndex:
    """The index per year and its parts.

    Attributes
    ----------
    p : ndarray, shape (years,)
        The index; NaN where too few pollutants were observed.
    ratios : ndarray, shape (years, pollutants)
        Cᵢ / Cᵢ₀ (NaN where the concentration is missing).
    used : ndarray of int, shape (years,)
        How many pollutants entered each year's mean.
    """

    p: np.ndarray
    ratios: np.ndarray
    used: np.ndarray


def water_quality_index(
    concentrations,
    baselines,
    *,
    k0: float = 1.0,
    weights=None,
    min_pollutants: int | None = None,
    form: str = "mean",
) -> WaterQualityIndex:
    """P = k0 · Σ wᵢ (Cᵢ / Cᵢ₀) / Σ wᵢ (or k0 · max Cᵢ / Cᵢ₀) per year, over the observed
    pollutants.

    Parameters
    ----------
    concentrations : array_like, shape (years, pollutants) or (pollutants,)
        Annual mean concentrations; NaN marks a missing observation.
    baselines : array_like, shape (pollutants,)
        The agreed baseline Cᵢ₀ of each pollutant; positive.
    k0 : float
        Stability coefficient; positive.
    weights : array_like, shape (pollutants,), optional
        Non-negative weights (default equal, the 新安江 form).
    min_pollutants : int, optional
        Fewest observed pollutants for an index; fewer gives NaN. Default: all of them, so a
        missing observation leaves the year without an index rather than a different average.
    form : {"mean", "max"}
        ``mean``: the weighted mean of the ratios (the 新安江 form); ``max``: the largest ratio
        among pollutants with a positive weight (the worst pollutant decides).

    Returns
    -------
    WaterQualityIndex

    Examples
    --------
    >>> r = water_quality_index([[1.8, 0.09, 1.1, 0.02]], [2.0, 0.1, 1.2, 0.025], k0=0.85)
    >>> round(float(r.p[0]), 6)  # 0.85 * (0.9 + 0.9 + 0.916667 + 0.8) / 4
    0.747292
    >>> water_quality_index([[1.8, float("nan")]], [2.0, 0.1]).p
    array([nan])
    >>> float(water_quality_index([[1.8, 0.12]], [2.0, 0.1], form="max").p[0])
    1.2
    """
    c = np.asarray(concentrations, dtype=float)
    if c.ndim == 1:
        c = c[np.newaxis, :]
    if c.ndim != 2 or c.shape[1] == 0:
        raise ValueError("concentrations must be a (years, pollutants) array with pollutants")
    base = np.asarray(baselines, dtype=float)
    if base.shape != (c.shape[1],):
        raise ValueError(f"baselines must have one value per pollutant ({c.shape[1]})")
    if not np.all(np.isfinite(base)) or np.any(base <= 0):
        raise ValueError("baselines must be positive numbers")
    if not np.isfinite(k0) or k0 <= 0:
        raise ValueError("k0 must be a positive number")
    if np.any(c[np.isfinite(c)] < 0) or np.any(np.isinf(c)):
        raise ValueError("concentrations must be non-negative (NaN for missing)")
    w = np.ones(c.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (c.shape[1],) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be non-negative, one per pollutant, not all zero")
    if form not in INDEX_FORMS:
        raise ValueError(f"form must be one of {', '.join(INDEX_FORMS)}")
    need = c.shape[1] if min_pollutants is None else int(min_pollutants)
    if not 1 <= need <= c.shape[1]:
        raise ValueError(f"min_pollutants must be between 1 and {c.shape[1]}")
    ratios = c / base
    observed = np.isfinite(ratios)
    used = observed.sum(axis=1)
    weight_sum = (w * observed).sum(axis=1)
    total = np.where(observed, ratios * w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k0 * total / weight_sum
    if form == "max":
        counted = observed & (w > 0)
        worst = np.where(counted, ratios, -np.inf).max(axis=1)
        p = np.where(counted.any(axis=1), k0 * worst, np.nan)
    p = np.where((used >= need) & (weight_sum > 0), p, np.nan)
    return WaterQualityIndex(p=p, ratios=ratios, used=used)


@dataclass(frozen=True)
class Band:
    """One band of a payment rule: ``lower < P ≤ upper`` (None: unbounded)."""

    upper: float | None
    payer: str
    amount: float = 0.0
    rate: float = 0.0
    pivot: float = 1.0
    cap: float | None = None


@dataclass(frozen=True)
class WaterPayment:
    """The payment per year.

    Attributes
    ----------
    band : ndarray of int
        Index of the band P fell in (-1 where P is NaN).
    amount : ndarray
        Signed amount: > 0 the downstream pays the upstream, < 0 the reverse; NaN without P.
    uncapped : ndarray
        The amount before any cap (unsigned).
    capped : ndarray of bool
        Whether a cap lowered the amount.
    """

    band: np.ndarray
    amount: np.ndarray
    uncapped: np.ndarray
    capped: np.ndarray


def check_bands(bands: Sequence[Band]) -> None:
    """Raise ``ValueError`` unless the bands are ordered, end unbounded and name known payers."""
    if not bands:
        raise ValueError("bands must hold at least one band")
    uppers = [b.upper for b in bands]
    if uppers[-1] is not None:
        raise ValueError("bands: the last band must have no upper bound")
    if any(u is None for u in uppers[:-1]):
        raise ValueError("bands: only the last band may have no upper bound")
    finite = [float(u) for u in uppers[:-1]]
    if any(b <= a for a, b in zip(finite, finite[1:], strict=False)):
        raise ValueError("bands: upper bounds must increase")
    for index, band in enumerate(bands):
        if band.payer not in PAYERS:
            raise ValueError(f"bands[{index}].payer must be one of {', '.join(PAYERS)}")
        if band.amount < 0 or band.rate < 0 or (band.cap is not None and band.cap < 0):
            raise ValueError(f"bands[{index}]: amount, rate and cap must not be negative")


def band_payments(p, bands: Sequence[Band], *, cap: float | None = None) -> WaterPayment:
    """The payment each year from the index and the agreement's bands.

    Parameters
    ----------
    p : array_like
        The index per year (NaN: no index, no payment computed).
    bands : sequence of Band
        Ordered by ``upper``; the last one unbounded.
    cap : float, optional
        The most anyone pays in a year, whatever the band.

    Returns
    -------
    WaterPayment

    Examples
    --------
    The 新安江 first-round rule, 1 亿元 (10000 万元) either way; P = 1 is the downstream's turn:

    >>> rule = [Band(1.0, "downstream", 10000), Band(None, "upstream", 10000)]
    >>> band_payments([0.95, 1.0, 1.02], rule).amount
    array([ 10000.,  10000., -10000.])
    """
    check_bands(bands)
    values = np.atleast_1d(np.asarray(p, dtype=float))
    if cap is not None and cap < 0:
        raise ValueError("cap must not be negative")
    uppers = np.array([np.inf if b.upper is None else float(b.upper) for b in bands])
    has_p = np.isfinite(values)
    # searchsorted(side="left") puts P == upper into that band: lower < P <= upper.
    index = np.where(has_p, np.searchsorted(uppers, np.where(has_p, values, 0.0), side="left"), -1)
    uncapped = np.full(values.shape, np.nan)
    amount = np.full(values.shape, np.nan)
    capped = np.zeros(values.shape, dtype=bool)
    for year, band_index in enumerate(index):
        if band_index < 0:
            continue
        band = bands[band_index]
        raw = band.amount + band.rate * abs(values[year] - band.pivot)
        limit = min(x for x in (band.cap, cap, np.inf) if x is not None)
        paid = min(raw, limit)
        sign = {"downstream": 1.0, "upstream": -1.0, "none": 0.0}[band.payer]
        uncapped[year] = raw if band.payer != "none" else 0.0
        amount[year] = sign * paid if band.payer != "none" else 0.0
        capped[year] = band.payer != "none" and paid < raw
    return WaterPayment(band=index, amount=amount, uncapped=uncapped, capped=capped)
