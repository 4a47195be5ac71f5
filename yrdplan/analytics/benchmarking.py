"""Benchmarking (对照学习): how far each region is from the best, the top quartile and a peer
group, and how its rank moved since the previous period.

Gaps are shortfalls in the indicator's own unit, measured in the direction of "better", and
never negative: 0 means the region is already there (the best itself, inside the top quartile,
ahead of the best peer). ``gap_best_pct`` is the gap as a percentage of the best value. The top
quartile's boundary is the 75th percentile of the field (the 25th when lower is better). Ranks
are among the whole field (1 = best; ties share the better rank); ``rank_change`` is previous
rank − current rank, so a positive change is a move up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass
class BenchmarkTable:
    """Arrays with one entry per region of the field."""

    value: np.ndarray
    rank: np.ndarray
    best: float
    top_quartile: float
    peer_best: float | None
    gap_best: np.ndarray
    gap_best_pct: np.ndarray
    gap_top_quartile: np.ndarray
    gap_peer: np.ndarray | None
    previous_rank: np.ndarray | None  # NaN where the region had no previous value
    rank_change: np.ndarray | None


def _ranks(signed: np.ndarray) -> np.ndarray:
    """Rank 1 = largest of ``signed``; NaN stays NaN."""
    out = np.full(signed.shape, np.nan)
    ok = np.isfinite(signed)
    ordered = np.sort(-signed[ok])
    out[ok] = np.searchsorted(ordered, -signed[ok], side="left") + 1
    return out


def benchmark(
    values: ArrayLike,
    direction: str,
    *,
    peers: ArrayLike | None = None,
    previous: ArrayLike | None = None,
) -> BenchmarkTable:
    """Gaps and ranks of every region in a field on one indicator.

    Parameters
    ----------
    values : array_like, shape (n,)
        This period's values of the field's regions (no missing values; n >= 2).
    direction : {"higher", "lower"}
        What is better.
    peers : array_like of bool, shape (n,), optional
        Which regions form the peer group (e.g. the 沪苏浙 cities).
    previous : array_like, shape (n,), optional
        Last period's values (NaN where missing), for the rank change.

    Examples
    --------
    >>> t = benchmark([10.0, 20.0, 40.0, 30.0], "higher", peers=[False, False, True, True],
    ...               previous=[30.0, 20.0, 10.0, 40.0])
    >>> t.gap_best.tolist(), t.rank.tolist(), t.rank_change.tolist()
    ([30.0, 20.0, 0.0, 10.0], [4, 3, 1, 2], [-2.0, 0.0, 3.0, -1.0])
    >>> t.gap_peer.tolist()
    [30.0, 20.0, 0.0, 10.0]
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or len(y) < 2:
        raise ValueError("values: need one value for each of at least two regions")
    if not np.isfinite(y).all():
        raise ValueError(
            f"values: missing value(s) at row(s) {np.flatnonzero(~np.isfinite(y)).tolist()}"
        )
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction: {direction!r} is not 'higher' or 'lower'")
    sign = 1.0 if direction == "higher" else -1.0
    signed = sign * y
    best = float(y[np.argmax(signed)])
    quartile = float(np.quantile(y, 0.75 if sign > 0 else 0.25))
    gap_best = np.maximum(sign * (best - y), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_pct = np.where(best != 0, 100.0 * gap_best / abs(best), np.nan)
    rank = _ranks(signed).astype(np.int64)
    peer_best, gap_peer = None, None
    if peers is not None:
        mask = np.asarray(peers, dtype=bool)
        if mask.shape != y.shape:
            raise ValueError(f"peers: expected {len(y)} flags, got {mask.shape}")
        if not mask.any():
            raise ValueError("peers: the peer group is empty")
        peer_best = float(y[mask][np.argmax(signed[mask])])
        gap_peer = np.maximum(sign * (peer_best - y), 0.0)
    previous_rank, change = None, None
    if previous is not None:
        prev = np.asarray(previous, dtype=np.float64)
        if prev.shape != y.shape:
            raise ValueError(f"previous: expected {len(y)} values, got {prev.shape}")
        previous_rank = _ranks(sign * prev)
        change = previous_rank - rank
    return BenchmarkTable(
        value=y,
        rank=rank,
        best=best,
        top_quartile=quartile,
        peer_best=peer_best,
        gap_best=gap_best,
        gap_best_pct=gap_pct,
        gap_top_quartile=np.maximum(sign * (quartile - y), 0.0),
        gap_peer=gap_peer,
        previous_rank=previous_rank,
        rank_change=change,
    )
