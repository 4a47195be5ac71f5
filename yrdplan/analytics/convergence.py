"""Convergence (趋同) of regions on one indicator: σ, β (absolute and conditional) and clubs.

* **σ-convergence**: the dispersion (coefficient of variation, optionally weighted) in every
  period, and its linear trend per year with the slope's standard error; a negative slope
  says the regions are drawing together.
* **β-convergence**: the OLS regression of the average annual log growth between two periods,
  ``g_i = (ln y_iT - ln y_i0) / (T - t0)``, on ``ln y_i0`` (absolute) and on chosen covariates
  too (conditional). A negative ``beta`` says laggards grow faster. From
  ``beta = -(1 - exp(-lambda (T - t0))) / (T - t0)`` the speed ``lambda`` and the
  **half-life** ``ln 2 / lambda`` (years to close half the gap) follow; they exist only when
  ``beta < 0`` (and ``1 + beta (T - t0) > 0``). Standard errors are the classical OLS ones,
  ``sqrt(s^2 (X'X)^-1)`` with ``s^2 = RSS / (n - k)``.
* **Club convergence by group**: β-convergence inside each group of regions (苏南, 苏中,
  苏北, …) on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from yrdplan.analytics.disparity import check_weights, encode_groups


@dataclass(frozen=True)
class Trend:
    """A straight line fitted by OLS: slope per unit of time, its standard error."""

    slope: float
    slope_se: float
    intercept: float


@dataclass(frozen=True)
class SigmaConvergence:
    """The dispersion (CV) per period and its trend."""

    times: list[float]
    cv: list[float]
    n: list[int]
    trend: Trend | None  # None with fewer than three periods

    @property
    def converging(self) -> bool | None:
        return None if self.trend is None else self.trend.slope < 0


@dataclass(frozen=True)
class BetaConvergence:
    """β from the growth regression, with its standard error, the speed and the half-life."""

    beta: float
    beta_se: float
    alpha: float
    n: int
    years: float
    r2: float
    speed: float | None  # lambda per year; None when beta >= 0
    half_life: float | None  # years; None when beta >= 0
    covariates: list[float]  # coefficients of the covariates (conditional β)
    covariates_se: list[float]


def fit_trend(times: ArrayLike, values: ArrayLike) -> Trend:
    """OLS line through ``(times, values)``.

    Examples
    --------
    >>> t = fit_trend([2020, 2021, 2022], [3.0, 2.0, 1.0])
    >>> t.slope, t.slope_se
    (-1.0, 0.0)
    """
    x = np.asarray(times, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("times: expected one time per value")
    if len(x) < 3:
        raise ValueError(f"times: a trend needs at least three periods, got {len(x)}")
    xc = x - x.mean()
    sxx = float((xc**2).sum())
    if sxx == 0:
        raise ValueError("times: every period is the same")
    slope = float((xc * (y - y.mean())).sum() / sxx)
    intercept = float(y.mean() - slope * x.mean())
    resid = y - intercept - slope * x
    s2 = float((resid**2).sum()) / (len(x) - 2)
    return Trend(slope, math.sqrt(max(s2, 0.0) / sxx), intercept)


def sigma_convergence(
    values: ArrayLike, times: ArrayLike, weights: ArrayLike | None = None
) -> SigmaConvergence:
    """The CV across regions in every period (a column of ``values``) and its trend.

    Missing values (NaN) leave that region out of that period only; a period needs at least
    two regions with values.

    Parameters
    ----------
    values : array_like, shape (n, T)
        Regions × periods.
    times : array_like, shape (T,)
        The periods as numbers (years).
    weights : array_like, shape (n,) or (n, T), optional
        Region weights (population); a weighted CV is Williamson's.

    Examples
    --------
    >>> s = sigma_convergence([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], [2020, 2021, 2022])
    >>> [round(c, 4) for c in s.cv], s.converging
    ([0.5, 0.3333, 0.25], True)
    """
    y = np.asarray(values, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != len(t):
        raise ValueError(f"values: expected regions × {len(t)} periods, got shape {y.shape}")
    w = np.ones(y.shape) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = np.broadcast_to(w[:, None], y.shape)
    check_weights(w, y.shape)
    keep_t, cvs, ns = [], [], []
    for j in range(len(t)):
        ok = np.isfinite(y[:, j]) & np.isfinite(w[:, j])
        if ok.sum() < 2 or w[ok, j].sum() <= 0:
            continue
        yj, pj = y[ok, j], w[ok, j] / w[ok, j].sum()
        if (yj < 0).any():
            raise ValueError(f"values: negative values in period {t[j]:g}")
        mu = float((pj * yj).sum())
        if mu <= 0:
            raise ValueError(f"values: zero mean in period {t[j]:g}")
        keep_t.append(float(t[j]))
        cvs.append(math.sqrt(float((pj * (yj - mu) ** 2).sum())) / mu)
        ns.append(int(ok.sum()))
    if not keep_t:
        raise ValueError("values: no period has values for two or more regions")
    trend = fit_trend(keep_t, cvs) if len(keep_t) >= 3 else None
    return SigmaConvergence(keep_t, cvs, ns, trend)


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    n, k = x.shape
    if n <= k:
        raise ValueError(f"initial: need more regions ({n}) than coefficients ({k})")
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < k:
        raise ValueError("covariates: collinear with the initial level or each other")
    inv = np.linalg.inv(xtx)
    coef = inv @ (x.T @ y)
    resid = y - x @ coef
    rss = float(resid @ resid)
    tss = float(((y - y.mean()) ** 2).sum())
    se = np.sqrt(np.maximum(np.diag(inv) * rss / (n - k), 0.0))
    return coef, se, (1 - rss / tss) if tss > 0 else float("nan")


def half_life(beta: float, years: float) -> tuple[float | None, float | None]:
    """Speed ``lambda`` and half-life (years) implied by ``beta`` over ``years``.

    Examples
    --------
    >>> speed, hl = half_life(-0.02, 10)
    >>> round(speed, 5), round(hl, 2)
    (0.02231, 31.06)
    """
    if not beta < 0 or 1 + beta * years <= 0:
        return None, None
    speed = -math.log(1 + beta * years) / years
    return speed, math.log(2) / speed


def beta_convergence(
    initial: ArrayLike,
    final: ArrayLike,
    years: float,
    covariates: ArrayLike | None = None,
) -> BetaConvergence:
    """Absolute (or, with ``covariates``, conditional) β-convergence between two periods.

    Parameters
    ----------
    initial, final : array_like, shape (n,)
        Positive values of each region in the first and last period.
    years : float
        Years between the two periods (> 0).
    covariates : array_like, shape (n,) or (n, c), optional
        Conditioning variables (e.g. urbanisation, R&D intensity in the first period).

    Examples
    --------
    >>> y0 = np.array([1.0, 2.0, 4.0, 8.0])
    >>> b = beta_convergence(y0, y0 * np.exp(-0.01 * np.log(y0) * 10), 10)
    >>> round(b.beta, 6), round(b.beta_se, 6), round(b.half_life, 1)
    (-0.01, 0.0, 65.8)
    """
    y0 = np.asarray(initial, dtype=np.float64)
    y1 = np.asarray(final, dtype=np.float64)
    if y0.ndim != 1 or y0.shape != y1.shape:
        raise ValueError("final: expected one value per region, as many as initial")
    if not years > 0:
        raise ValueError(f"years: must be positive, got {years}")
    for name, arr in (("initial", y0), ("final", y1)):
        bad = ~np.isfinite(arr) | (arr <= 0)
        if bad.any():
            raise ValueError(
                f"{name}: growth rates need positive values; row(s) "
                f"{', '.join(map(str, np.flatnonzero(bad)[:8]))} are missing, zero or negative"
            )
    growth = (np.log(y1) - np.log(y0)) / years
    columns = [np.ones_like(y0), np.log(y0)]
    if covariates is not None:
        c = np.asarray(covariates, dtype=np.float64)
        c = c[:, None] if c.ndim == 1 else c
        if c.shape[0] != len(y0) or not np.isfinite(c).all():
            raise ValueError("covariates: expected complete values, one row per region")
        columns += list(c.T)
    coef, se, r2 = _ols(np.column_stack(columns), growth)
    speed, hl = half_life(float(coef[1]), years)
    return BetaConvergence(
        beta=float(coef[1]),
        beta_se=float(se[1]),
        alpha=float(coef[0]),
        n=len(y0),
        years=float(years),
        r2=r2,
        speed=speed,
        half_life=hl,
        covariates=[float(v) for v in coef[2:]],
        covariates_se=[float(v) for v in se[2:]],
    )


def club_convergence(
    initial: ArrayLike, final: ArrayLike, years: float, groups: Sequence
) -> dict[object, BetaConvergence]:
    """β-convergence inside each group (a club) on its own; groups of fewer than three regions
    are left out (two points fit any line exactly: no standard error).

    Examples
    --------
    >>> y0 = [1.0, 2.0, 4.0, 1.0, 2.0, 4.0]
    >>> y1 = [2.0, 3.0, 5.0, 1.5, 3.0, 6.0]
    >>> clubs = club_convergence(y0, y1, 5, list("aaabbb"))
    >>> clubs["a"].beta < 0, round(clubs["b"].beta, 12)
    (True, 0.0)
    """
    y0 = np.asarray(initial, dtype=np.float64)
    y1 = np.asarray(final, dtype=np.float64)
    codes, labels = encode_groups(groups, len(y0))
    out = {}
    for g, label in enumerate(labels):
        members = codes == g
        if members.sum() >= 3:
            out[label] = beta_convergence(y0[members], y1[members], years)
    return out


def beta_table(initial: ArrayLike, final: ArrayLike, years: float) -> dict[str, np.ndarray]:
    """Absolute β and its standard error for many series at once (regions × series).

    Examples
    --------
    >>> y0 = np.array([[1.0], [2.0], [4.0], [8.0]])
    >>> out = beta_table(y0, y0 * np.exp(-0.01 * np.log(y0) * 10), 10)
    >>> out["beta"].round(6).tolist()
    [-0.01]
    """
    y0 = np.asarray(initial, dtype=np.float64)
    y1 = np.asarray(final, dtype=np.float64)
    if y0.ndim != 2 or y0.shape != y1.shape:
        raise ValueError("final: expected regions × series, the shape of initial")
    if not (np.isfinite(y0).all() and np.isfinite(y1).all() and (y0 > 0).all() and (y1 > 0).all()):
        raise ValueError("initial: growth rates need complete, positive values")
    n = y0.shape[0]
    if n < 3:
        raise ValueError(f"initial: need at least three regions, got {n}")
    x = np.log(y0)
    g = (np.log(y1) - x) / years
    xc = x - x.mean(axis=0)
    gc = g - g.mean(axis=0)
    sxx = (xc**2).sum(axis=0)
    beta = (xc * gc).sum(axis=0) / sxx
    resid = gc - beta * xc
    se = np.sqrt((resid**2).sum(axis=0) / (n - 2) / sxx)
    return {"beta": beta, "beta_se": se}
