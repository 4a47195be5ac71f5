"""Equalising transfers (均衡性转移支付): allocate a pool to counties by weighted factors.

The seeds name the factors: "根据人均财力水平、标准财政收支缺口、市县上缴财力占自有财力比重等因素"
(seed 004 (二十三)). Each factor becomes a share of the pool, the shares of all counties adding
up to 1:

* **fiscal capacity** — the population-weighted shortfall of per-capita fiscal capacity below
  the population-weighted mean C̄: ``sᶜᵢ = popᵢ · max(C̄ − Cᵢ, 0) / Σⱼ popⱼ · max(C̄ − Cⱼ, 0)``;
  a county at or above the mean gets nothing from this factor;
* **standard gap** — the standard revenue–expenditure gap (标准财政收支缺口), positive part:
  ``sᵍᵢ = max(Gᵢ, 0) / Σⱼ max(Gⱼ, 0)``;
* **share remitted** — the share of own revenue a county remits upwards (上缴财力占自有财力
  比重), which the transfer returns in part: ``sʳᵢ = Rᵢ / Σⱼ Rⱼ``.

A county receives ``pool · Σₖ wₖ sᵏᵢ / Σₖ wₖ`` over the factors k whose shares are defined. A
factor with nothing to share (every county at the mean, no gap, nothing remitted) drops out and
the remaining weights are rescaled, so the whole pool is always allocated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The factors, in the order of ``EqualisingAllocation.shares`` columns.
FACTORS: tuple[str, ...] = ("capacity", "gap", "remitted")


@dataclass(frozen=True)
class EqualisingAllocation:
    """The allocation and each county's components.

    Attributes
    ----------
    mean_capacity : float
        The population-weighted mean per-capita fiscal capacity C̄.
    shares : ndarray, shape (counties, 3)
        Each county's share under each factor (columns as :data:`FACTORS`); a dropped factor's
        column is all zero.
    weights : ndarray, shape (3,)
        The weights used, rescaled to add up to 1 over the factors kept.
    score : ndarray, shape (counties,)
        Σₖ wₖ sᵏᵢ; adds up to 1.
    amount : ndarray, shape (counties,)
        pool · score.
    """

    mean_capacity: float
    shares: np.ndarray
    weights: np.ndarray
    score: np.ndarray
    amount: np.ndarray


def _check(name: str, values, size: int | None = None) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional array")
    if size is not None and array.size != size:
        raise ValueError(f"{name} must have one value per county ({size})")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (a missing value cannot be allocated)")
    return array


def allocate_equalising_pool(
    pool: float, population, capacity_per_capita, gap, remitted_share, weights
) -> EqualisingAllocation:
    """Allocate ``pool`` to counties by capacity shortfall, standard gap and share remitted.

    Parameters
    ----------
    pool : float
        The amount to allocate; not negative.
    population : array_like
        Resident population per county; positive.
    capacity_per_capita : array_like
        Per-capita fiscal capacity (人均财力) per county.
    gap : array_like
        Standard revenue–expenditure gap per county (negative: a surplus, counted as 0).
    remitted_share : array_like
        Share of own revenue remitted upwards, between 0 and 1.
    weights : array_like, shape (3,)
        Weights of capacity, gap and share remitted; not negative, not all zero.

    Returns
    -------
    EqualisingAllocation

    Examples
    --------
    >>> r = allocate_equalising_pool(
    ...     1000, [100, 100], [2.0, 4.0], [30.0, 10.0], [0.2, 0.2], [0.5, 0.3, 0.2])
    >>> r.mean_capacity, r.amount.tolist()  # 0.5·(1, 0) + 0.3·(0.75, 0.25) + 0.2·(0.5, 0.5)
    (3.0, [825.0, 175.0])
    """
    if not np.isfinite(pool) or pool < 0:
        raise ValueError("pool must be a non-negative number")
    pop = _check("population", population)
    if np.any(pop <= 0):
        raise ValueError("population must be positive")
    capacity = _check("capacity_per_capita", capacity_per_capita, pop.size)
    gaps = _check("gap", gap, pop.size)
    remitted = _check("remitted_share", remitted_share, pop.size)
    if np.any((remitted < 0) | (remitted > 1)):
        raise ValueError("remitted_share must lie between 0 and 1")
    w = _check("weights", weights, len(FACTORS))
    if np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    mean_capacity = float(np.sum(pop * capacity) / np.sum(pop))
    raw = np.column_stack(
        [pop * np.maximum(mean_capacity - capacity, 0.0), np.maximum(gaps, 0.0), remitted]
    )
    totals = raw.sum(axis=0)
    kept = totals > 0
    shares = np.where(kept, raw / np.where(kept, totals, 1.0), 0.0)
    used = np.where(kept, w, 0.0)
    if used.sum() <= 0:
        # Nothing distinguishes the counties under the weighted factors: share by population.
        score = pop / pop.sum()
        used = np.zeros(len(FACTORS))
    else:
        used = used / used.sum()
        score = shares @ used
    return EqualisingAllocation(
        mean_capacity=mean_capacity,
        shares=shares,
        weights=used,
        score=score,
        amount=pool * score,
    )
