"""How sure is a rank? Monte Carlo over the index's choices, and drop-one-indicator effects.

Each Monte Carlo run draws

* every indicator's weight multiplied by a uniform factor in ``[1 - spread, 1 + spread]``
  (then renormalised),
* one normalisation, one aggregation and one imputation method from the alternatives given
  (combinations that cannot work together, geometric aggregation of z-scores, are not drawn),

builds the index and ranks the regions. A region's rank interval is the 5th to the 95th
percentile of its ranks over the runs (``inverted_cdf``: always a rank that occurred), beside
its median rank. Runs are grouped by their methods, so each group is one matrix product.

Drop-one: the index rebuilt without each indicator in turn; the effect is how far each
region's rank moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from yrdplan.analytics.composite_index import (
    AGGREGATORS,
    GEOMETRIC_FLOOR,
    IMPUTERS,
    NORMALISERS,
    IndexSpec,
    check_matrix,
    composite_index,
    data_weights,
    effective_weights,
    impute,
    normalise,
    without_indicator,
)


@dataclass(frozen=True)
class MonteCarloOptions:
    """What a Monte Carlo run may vary; ``seed`` makes it repeatable."""

    runs: int = 1000
    seed: int = 0
    weight_spread: float = 0.5
    normalise: Sequence[str] = ("minmax", "rank", "zscore")
    aggregate: Sequence[str] = ("arithmetic", "geometric")
    impute: Sequence[str] = ("mean", "median")

    def validate(self) -> None:
        if self.runs < 20:
            raise ValueError(f"runs: need at least 20, got {self.runs}")
        if not 0 <= self.weight_spread < 1:
            raise ValueError(f"weight_spread: must lie in [0, 1), got {self.weight_spread}")
        for name, allowed in (
            ("normalise", NORMALISERS),
            ("aggregate", AGGREGATORS),
            ("impute", IMPUTERS),
        ):
            chosen = getattr(self, name)
            if not chosen:
                raise ValueError(f"{name}: give at least one alternative")
            bad = [c for c in chosen if c not in allowed]
            if bad:
                raise ValueError(f"{name}: {bad[0]!r} is not one of {', '.join(allowed)}")


@dataclass
class RankIntervals:
    """Each region's median rank and 5–95 % rank interval over the runs."""

    median: np.ndarray  # (n,) int
    p05: np.ndarray
    p95: np.ndarray
    runs: int
    combos: dict[str, int]  # "minmax/arithmetic/mean" -> runs drawn


def rank_intervals(
    values: ArrayLike,
    spec: IndexSpec,
    options: MonteCarloOptions = MonteCarloOptions(),
    *,
    reference: ArrayLike | None = None,
) -> RankIntervals:
    """Monte Carlo rank intervals of the index ``spec`` over ``values`` (regions × indicators).

    Examples
    --------
    >>> x = np.array([[1.0, 1.0], [2.0, 2.5], [3.0, 2.0], [10.0, 10.0]])
    >>> out = rank_intervals(x, IndexSpec(["higher", "higher"]), MonteCarloOptions(runs=200, seed=7))
    >>> out.p05.tolist(), out.p95.tolist()
    ([4, 2, 2, 1], [4, 3, 3, 1])
    """
    x = check_matrix(values)
    n, k = x.shape
    spec.validate(k)
    options.validate()
    rng = np.random.default_rng(options.seed)
    target_ok = spec.targets is not None
    combos = [
        (norm, agg, imp)
        for norm in options.normalise
        for agg in options.aggregate
        for imp in options.impute
        if not (agg == "geometric" and norm == "zscore")
        and (norm != "target" or target_ok)
        and (imp != "none" or not np.isnan(x).any())
    ]
    if not combos:
        raise ValueError("options: no workable combination of normalise, aggregate and impute")
    pick = rng.integers(0, len(combos), size=options.runs)
    factors = rng.uniform(
        1 - options.weight_spread, 1 + options.weight_spread, size=(k, options.runs)
    )
    ranks = np.empty((options.runs, n), dtype=np.int64)  # run × region: rows are contiguous
    # Without missing cells every imputation gives the same matrix: normalise it once.
    gaps = bool(np.isnan(x).any())
    cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    counts: dict[str, int] = {}
    for c, (norm, agg, imp) in enumerate(combos):
        runs = np.flatnonzero(pick == c)
        counts["/".join((norm, agg, imp))] = len(runs)
        if runs.size == 0:
            continue
        key = (norm, imp if gaps else "none")
        if key not in cache:
            filled, _ = impute(x, imp)
            scores = normalise(
                filled, spec.directions, norm, reference=reference, targets=spec.targets
            )
            if spec.weighting in ("entropy", "critic", "pca"):
                w, _ = data_weights(scores, spec.weighting)
            elif spec.weighting == "expert" and spec.weights is not None:
                w = np.asarray(spec.weights, dtype=np.float64)
            else:
                w = np.ones(k)
            cache[key] = (scores, effective_weights(spec, w))
        scores, base = cache[key]
        w = base[:, None] * factors[:, runs]
        w /= w.sum(axis=0)
        if agg == "arithmetic":
            index = scores @ w
        else:
            index = np.log(np.maximum(scores, GEOMETRIC_FLOOR)) @ w
        # Rank 1 = highest; ordinal ranks (ties broken by row order) keep this one argsort.
        order = np.argsort(-np.ascontiguousarray(index.T), axis=1, kind="stable")
        block = np.empty_like(order)
        np.put_along_axis(block, order, np.arange(1, n + 1)[None, :], axis=1)
        ranks[runs] = block
    q = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf").astype(np.int64)
    return RankIntervals(median=q[1], p05=q[0], p95=q[2], runs=options.runs, combos=counts)


@dataclass
class DropOne:
    """Rank shifts when each indicator is left out: ``shift[j, i]`` = new rank − base rank."""

    shift: np.ndarray  # (k, n)

    @property
    def mean_abs(self) -> np.ndarray:
        return np.abs(self.shift).mean(axis=1)

    @property
    def max_abs(self) -> np.ndarray:
        return np.abs(self.shift).max(axis=1)


def drop_one(values: ArrayLike, spec: IndexSpec, *, reference: ArrayLike | None = None) -> DropOne:
    """Rebuild the index without each indicator in turn; how far does each rank move?

    Examples
    --------
    >>> x = [[1.0, 3.0, 2.0], [2.0, 2.0, 2.0], [3.0, 1.0, 2.0]]
    >>> drop_one(x, IndexSpec(["higher"] * 3)).shift.tolist()
    [[0, 1, 2], [2, 1, 0], [0, 0, 0]]
    """
    x = check_matrix(values)
    k = x.shape[1]
    spec.validate(k)
    if k < 2:
        raise ValueError("values: drop-one needs at least two indicators")
    ref = None if reference is None else check_matrix(reference, "reference")
    base = composite_index(x, spec, reference=ref).rank
    shifts = np.empty((k, x.shape[0]), dtype=np.int64)
    for j in range(k):
        keep = np.arange(k) != j
        sub = without_indicator(spec, j)
        if sub.dimension_weights and sub.dimensions is not None:
            alive = set(sub.dimensions)
            sub = replace(
                sub,
                dimension_weights={d: w for d, w in sub.dimension_weights.items() if d in alive},
            )
        rebuilt = composite_index(x[:, keep], sub, reference=None if ref is None else ref[:, keep])
        shifts[j] = rebuilt.rank - base
    return DropOne(shifts)
