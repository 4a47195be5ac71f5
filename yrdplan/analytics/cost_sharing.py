"""Cost and revenue sharing of co-built parks and joint funds (成本共担、利益共享).

Each year t the parties pay the year's cost Kₜ by their contribution shares aₚ, and divide the
year's revenue (tax revenue of a co-built park such as 宁淮特别合作区, returns of a joint fund)
Rₜ by that year's revenue shares bₜₚ. Shares may change by year (a schedule agreed in periods)
or move gradually (:func:`ramp_shares`). A party's cumulative revenue may be capped; what
passes its cap goes to the parties still under theirs, in proportion to their shares that year
(and is ``retained`` by the park or fund when every party is capped). The running balance of a
party is Σ (revenue received − contribution) to date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SharingResult:
    """Flows per year (rows) and party (columns).

    Attributes
    ----------
    contribution : ndarray, shape (years, parties)
    revenue : ndarray, shape (years, parties)
        Revenue received after caps.
    capped : ndarray of bool, shape (years, parties)
        Whether the party's cap bit in that year.
    retained : ndarray, shape (years,)
        Revenue no party could take (every party at its cap).
    net : ndarray, shape (years, parties)
        revenue − contribution.
    balance : ndarray, shape (years, parties)
        Running Σ net.
    """

    contribution: np.ndarray
    revenue: np.ndarray
    capped: np.ndarray
    retained: np.ndarray
    net: np.ndarray
    balance: np.ndarray


def ramp_shares(start, end, years: int) -> np.ndarray:
    """Shares moving in equal steps from ``start`` (first year) to ``end`` (last year).

    Examples
    --------
    >>> ramp_shares([0.8, 0.2], [0.5, 0.5], 4).round(2).tolist()
    [[0.8, 0.2], [0.7, 0.3], [0.6, 0.4], [0.5, 0.5]]
    """
    first = np.asarray(start, dtype=float)
    last = np.asarray(end, dtype=float)
    if first.ndim != 1 or first.shape != last.shape:
        raise ValueError("start and end must be one-dimensional and of the same length")
    if years < 1:
        raise ValueError("years must be at least 1")
    if years == 1:
        return last[np.newaxis, :].copy()
    steps = np.linspace(0.0, 1.0, years)[:, np.newaxis]
    return first + steps * (last - first)


def _shares(name: str, values, parties: int | None = None) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be non-negative numbers")
    if parties is not None and array.shape[-1] != parties:
        raise ValueError(f"{name} must have one column per party ({parties})")
    if not np.allclose(array.sum(axis=-1), 1.0, atol=1e-9):
        raise ValueError(f"{name} must add up to 1 (per year)")
    return array


def share_costs_and_revenues(
    costs, revenues, contribution_shares, revenue_shares, *, revenue_caps=None
) -> SharingResult:
    """Contributions, revenue received, and running balances per party.

    Parameters
    ----------
    costs : array_like, shape (years,)
        Cost (investment, operating cost) to share each year; not negative.
    revenues : array_like, shape (years,)
        Revenue to share each year; not negative.
    contribution_shares : array_like, shape (parties,) or (years, parties)
        Each party's share of costs; rows add up to 1.
    revenue_shares : array_like, shape (parties,) or (years, parties)
        Each party's share of revenue; rows add up to 1.
    revenue_caps : array_like, shape (parties,), optional
        The most each party receives in total over the years (NaN or inf: no cap).

    Returns
    -------
    SharingResult

    Examples
    --------
    >>> r = share_costs_and_revenues([100, 0], [50, 200], [0.6, 0.4], [[0.5, 0.5], [0.5, 0.5]],
    ...                              revenue_caps=[float("inf"), 80])
    >>> r.revenue.tolist()  # year 2: party 2 reaches its cap of 80 after 55, 45 more go to 1
    [[25.0, 25.0], [145.0, 55.0]]
    >>> r.balance.tolist()
    [[-35.0, -15.0], [110.0, 40.0]]
    """
    cost = np.asarray(costs, dtype=float)
    revenue = np.asarray(revenues, dtype=float)
    if cost.ndim != 1 or cost.size == 0:
        raise ValueError("costs must be a non-empty one-dimensional array")
    if revenue.shape != cost.shape:
        raise ValueError("revenues must have one value per year, like costs")
    for name, array in (("costs", cost), ("revenues", revenue)):
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError(f"{name} must be non-negative numbers (no missing year)")
    years = cost.size
    contrib = _shares("contribution_shares", contribution_shares)
    parties = contrib.shape[-1]
    contrib = np.broadcast_to(contrib, (years, parties))
    rev_shares = np.broadcast_to(
        _shares("revenue_shares", revenue_shares, parties), (years, parties)
    )
    caps = np.full(parties, np.inf)
    if revenue_caps is not None:
        caps = np.asarray(revenue_caps, dtype=float)
        if caps.shape != (parties,):
            raise ValueError(f"revenue_caps must have one value per party ({parties})")
        caps = np.where(np.isnan(caps), np.inf, caps)
        if np.any(caps < 0):
            raise ValueError("revenue_caps must not be negative")
    received = np.zeros((years, parties))
    capped = np.zeros((years, parties), dtype=bool)
    retained = np.zeros(years)
    total = np.zeros(parties)
    for year in range(years):
        room = caps - total
        due = revenue[year] * rev_shares[year]
        open_ = np.ones(parties, dtype=bool)
        # Hand what passes a cap to the parties still under theirs, until none is over.
        while True:
            over = open_ & (due > room)
            if not over.any():
                break
            excess = float(np.sum(due[over] - room[over]))
            due[over] = room[over]
            capped[year, over] = True
            open_ &= ~over
            weights = np.where(open_, rev_shares[year], 0.0)
            if weights.sum() <= 0:
                retained[year] += excess
                break
            # Normalise first: a subnormal weight times the excess would round away.
            due = due + excess * (weights / weights.sum())
        received[year] = due
        total += due
    contribution = cost[:, np.newaxis] * contrib
    net = received - contribution
    return SharingResult(
        contribution=contribution,
        revenue=received,
        capped=capped,
        retained=retained,
        net=net,
        balance=np.cumsum(net, axis=0),
    )
