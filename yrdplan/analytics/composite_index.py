"""The composite integration index (一体化指数): impute, normalise, weight, aggregate.

Every step is a named choice recorded in :class:`IndexSpec`, so a build can be re-run from its
config:

1. **impute** missing cells: ``none`` (a missing cell is an error), ``mean`` or ``median`` of
   the indicator across regions; which cells were filled is returned;
2. **normalise** each indicator onto 0–100 with its direction (``lower`` is better reverses
   it): ``minmax`` (worst 0, best 100), ``zscore`` (``50 + 10 z``: mean 50, one standard
   deviation 10 points), ``target`` (distance to target: ``100 · min(x / target, 1)``, or
   ``100 · min(target / x, 1)`` when lower is better), ``rank`` (the share of the other regions
   a region beats, × 100). With ``reference`` values (a base year) the goalposts — min and max,
   mean and sd, the ranking field — are frozen there, so scores are comparable over time and
   may leave 0–100;
3. **weight**: ``equal``, ``expert`` (the config's weights), or data-driven from the
   normalised scores: ``entropy``, ``critic`` (CRITIC: sd × Σ(1 − r)) and ``pca`` (squared
   loadings of the first principal component; a warning names indicators that load
   negatively). The indicator weights count *within* their dimension; dimensions have their
   own weights (equal unless given);
4. **aggregate** up the hierarchy, indicators → dimensions → index: ``arithmetic`` (weighted
   mean) or ``geometric`` (weighted geometric mean; every score is floored at 1 first, since a
   0 would zero the product, and ``zscore`` is refused: its scores may be negative).

Ranks: 1 is the best (highest score); equal scores share the better rank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike

IMPUTERS = ("none", "mean", "median")
NORMALISERS = ("minmax", "zscore", "target", "rank")
WEIGHTINGS = ("equal", "expert", "entropy", "critic", "pca")
AGGREGATORS = ("arithmetic", "geometric")
GEOMETRIC_FLOOR = 1.0  # on the 0–100 scale


@dataclass(frozen=True)
class IndexSpec:
    """The choices of one index, one entry per indicator in ``directions``/``weights``/….

    Parameters
    ----------
    directions : sequence of {"higher", "lower"}
        What is better for each indicator.
    weights : sequence of float, optional
        Expert weights (used with ``weighting="expert"``); default all 1.
    dimensions : sequence of str, optional
        Each indicator's dimension; default one dimension ``index``.
    dimension_weights : dict, optional
        Dimension -> weight (default equal).
    """

    directions: Sequence[str]
    weights: Sequence[float] | None = None
    dimensions: Sequence[str] | None = None
    dimension_weights: dict[str, float] | None = None
    impute: str = "mean"
    normalise: str = "minmax"
    weighting: str = "expert"
    aggregate: str = "arithmetic"
    targets: Sequence[float] | None = None

    def validate(self, k: int) -> None:
        if len(self.directions) != k:
            raise ValueError(
                f"directions: expected {k} (one per indicator), got {len(self.directions)}"
            )
        bad = [d for d in self.directions if d not in ("higher", "lower")]
        if bad:
            raise ValueError(f"directions: {bad[0]!r} is not 'higher' or 'lower'")
        for name, allowed in (
            ("impute", IMPUTERS),
            ("normalise", NORMALISERS),
            ("weighting", WEIGHTINGS),
            ("aggregate", AGGREGATORS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name}: {getattr(self, name)!r} is not one of {', '.join(allowed)}"
                )
        if self.weights is not None:
            w = np.asarray(self.weights, dtype=np.float64)
            if len(w) != k:
                raise ValueError(f"weights: expected {k}, got {len(w)}")
            if not np.isfinite(w).all() or (w < 0).any():
                raise ValueError("weights: must be non-negative numbers")
            if w.sum() <= 0:
                raise ValueError("weights: all weights are zero")
        if self.dimensions is not None and len(self.dimensions) != k:
            raise ValueError(f"dimensions: expected {k}, got {len(self.dimensions)}")
        if self.dimension_weights:
            dw = list(self.dimension_weights.values())
            if any(not (v >= 0) for v in dw) or sum(dw) <= 0:
                raise ValueError("dimension_weights: must be non-negative and not all zero")
        if self.normalise == "target":
            if self.targets is None or len(self.targets) != k:
                raise ValueError("targets: normalise='target' needs a target per indicator")
            t = np.asarray(self.targets, dtype=np.float64)
            if not (np.isfinite(t).all() and (t > 0).all()):
                raise ValueError("targets: must be positive numbers")
        if self.aggregate == "geometric" and self.normalise == "zscore":
            raise ValueError(
                "aggregate: geometric needs non-negative scores; zscore gives negative ones"
            )

    @property
    def dimension_labels(self) -> list[str]:
        return (
            list(self.dimensions)
            if self.dimensions is not None
            else ["index"] * len(self.directions)
        )


@dataclass
class CompositeIndex:
    """Scores (0–100 scale), ranks and dimension scores of one index build."""

    score: np.ndarray  # (n,)
    rank: np.ndarray  # (n,) int, 1 = best
    dimension_names: list[str]
    dimension_scores: np.ndarray  # (n, d)
    indicator_scores: np.ndarray  # (n, k) normalised
    weights: np.ndarray  # (k,) effective weight of each indicator in the index (sums to 1)
    imputed: np.ndarray  # (n, k) bool
    warnings: list[str] = field(default_factory=list)


# -- steps --------------------------------------------------------------------------------------


def check_matrix(values: ArrayLike, name: str = "values") -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{name}: expected regions × indicators (2-D), got {x.ndim}-D")
    if x.shape[0] < 2:
        raise ValueError(f"{name}: need at least two regions, got {x.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError(f"{name}: need at least one indicator")
    if np.isinf(x).any():
        raise ValueError(f"{name}: infinite values")
    return x


def impute(values: ArrayLike, method: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """Fill missing cells (NaN) per indicator; returns the filled matrix and the filled mask.

    Examples
    --------
    >>> filled, mask = impute([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]], "mean")
    >>> float(filled[0, 1]), int(mask.sum())
    (5.0, 1)
    """
    x = check_matrix(values)
    if method not in IMPUTERS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(IMPUTERS)}")
    mask = np.isnan(x)
    if not mask.any():
        return x, mask
    if method == "none":
        rows, cols = np.nonzero(mask)
        raise ValueError(
            f"values: {int(mask.sum())} missing cell(s) (first: region row {rows[0]}, "
            f"indicator column {cols[0]}) and impute is 'none'"
        )
    empty = mask.all(axis=0)
    if empty.any():
        raise ValueError(
            f"values: indicator column(s) {np.flatnonzero(empty).tolist()} have no value at all"
        )
    fill = np.nanmean(x, axis=0) if method == "mean" else np.nanmedian(x, axis=0)
    return np.where(mask, fill[None, :], x), mask


def normalise(
    values: ArrayLike,
    directions: Sequence[str],
    method: str = "minmax",
    *,
    reference: ArrayLike | None = None,
    targets: Sequence[float] | None = None,
) -> np.ndarray:
    """Scores on 0–100 (better is higher) for every indicator (column).

    Parameters
    ----------
    values : array_like, shape (n, k)
        Complete values.
    directions : sequence of {"higher", "lower"}
    method : {"minmax", "zscore", "target", "rank"}
    reference : array_like, shape (m, k), optional
        Goalposts frozen at these values (a base year) instead of ``values``.
    targets : sequence of float, optional
        Targets, for ``method="target"``.

    Examples
    --------
    >>> normalise([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0]], ["higher", "lower"]).tolist()
    [[0.0, 100.0], [100.0, 0.0], [50.0, 50.0]]
    """
    x = check_matrix(values)
    if np.isnan(x).any():
        raise ValueError("values: missing cells; impute first")
    sign = np.array([1.0 if d == "higher" else -1.0 for d in directions])
    if len(sign) != x.shape[1]:
        raise ValueError(f"directions: expected {x.shape[1]}, got {len(sign)}")
    ref = x if reference is None else check_matrix(reference, "reference")
    if ref.shape[1] != x.shape[1]:
        raise ValueError("reference: needs the same indicators (columns) as values")
    if method == "minmax":
        low, high = np.nanmin(ref, axis=0), np.nanmax(ref, axis=0)
        span = high - low
        # A constant indicator says nothing about who leads: every region gets the middle.
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(span > 0, (x - low) / np.where(span > 0, span, 1.0), 0.5)
        return 100.0 * np.where(sign > 0, up, 1.0 - up)
    if method == "zscore":
        mean, sd = np.nanmean(ref, axis=0), np.nanstd(ref, axis=0)
        z = np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1.0), 0.0)
        return 50.0 + 10.0 * sign * z
    if method == "target":
        if targets is None:
            raise ValueError("targets: normalise='target' needs a target per indicator")
        t = np.asarray(targets, dtype=np.float64)
        if (x <= 0).any():
            raise ValueError("values: distance to target needs positive values")
        ratio = np.where(sign > 0, x / t, t / x)
        return 100.0 * np.minimum(ratio, 1.0)
    if method == "rank":
        # Share of the field each region beats (ties count half), oriented by direction; one
        # sort and two binary searches per indicator.
        field = x if reference is None else ref
        out = np.empty_like(x)
        for j in range(x.shape[1]):
            column = field[:, j]
            ordered = np.sort(sign[j] * column[np.isfinite(column)])
            values = sign[j] * x[:, j]
            below = np.searchsorted(ordered, values, side="left")
            ties = np.searchsorted(ordered, values, side="right") - below
            if reference is None:
                ties = ties - 1  # a region does not tie with itself
            beaten = max(len(ordered) - (1 if reference is None else 0), 1)
            out[:, j] = (below + 0.5 * ties) / beaten
        return 100.0 * out
    raise ValueError(f"method: {method!r} is not one of {', '.join(NORMALISERS)}")


def data_weights(scores: ArrayLike, method: str) -> tuple[np.ndarray, list[str]]:
    """Indicator weights (summing to 1) from normalised scores, and any warnings.

    Examples
    --------
    >>> w, notes = data_weights([[0.0, 0.0], [50.0, 100.0], [100.0, 40.0]], "critic")
    >>> round(float(w.sum()), 12), notes
    (1.0, [])
    """
    s = check_matrix(scores, "scores")
    n, k = s.shape
    notes: list[str] = []
    if method == "entropy":
        pos = s - s.min(axis=0) + 1e-12
        p = pos / pos.sum(axis=0)
        e = -(p * np.log(p)).sum(axis=0) / math.log(n)
        d = np.maximum(1.0 - e, 0.0)
    elif method == "critic":
        sd = s.std(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.corrcoef(s, rowvar=False) if k > 1 else np.ones((1, 1))
        r = np.nan_to_num(np.atleast_2d(r), nan=0.0)
        d = sd * (1.0 - r).sum(axis=0)
    elif method == "pca":
        sd = s.std(axis=0)
        z = np.where(sd > 0, (s - s.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
        cov = (z.T @ z) / n
        values, vectors = np.linalg.eigh(cov)
        loading = vectors[:, -1] * math.sqrt(max(values[-1], 0.0))
        if loading.sum() < 0:
            loading = -loading
        negative = np.flatnonzero(loading < -1e-9)
        if negative.size:
            notes.append(
                "pca: negative loading on indicator column(s) "
                f"{negative.tolist()}: they move against the first component"
            )
        d = loading**2
    else:
        raise ValueError(f"method: {method!r} is not entropy, critic or pca")
    if not np.isfinite(d).all() or d.sum() <= 0:
        notes.append(f"{method}: no information in the data; equal weights used")
        return np.full(k, 1.0 / k), notes
    return d / d.sum(), notes


def effective_weights(spec: IndexSpec, indicator_weights: np.ndarray) -> np.ndarray:
    """Each indicator's weight in the index: its share within its dimension × the dimension's."""
    labels = spec.dimension_labels
    names = list(dict.fromkeys(labels))
    given = spec.dimension_weights or {}
    dim_w = np.array([float(given.get(name, 1.0)) for name in names])
    codes = np.array([names.index(label) for label in labels])
    within = np.bincount(codes, weights=indicator_weights, minlength=len(names))
    alive = within > 0
    dim_w = np.where(alive, dim_w, 0.0)
    if dim_w.sum() <= 0:
        raise ValueError("weights: every dimension has zero weight")
    dim_w = dim_w / dim_w.sum()
    return indicator_weights / np.where(alive, within, 1.0)[codes] * dim_w[codes]


def rank_scores(score: ArrayLike) -> np.ndarray:
    """Ranks, 1 = highest score; equal scores share the better rank.

    Examples
    --------
    >>> rank_scores([10.0, 30.0, 30.0, 5.0]).tolist()
    [3, 1, 1, 4]
    """
    s = np.asarray(score, dtype=np.float64)
    ordered = np.sort(-s)
    return np.searchsorted(ordered, -s, side="left") + 1


def _aggregate(scores: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    if method == "arithmetic":
        return scores @ weights
    return np.exp(np.log(np.maximum(scores, GEOMETRIC_FLOOR)) @ weights)


# -- the pipeline -------------------------------------------------------------------------------


def composite_index(
    values: ArrayLike, spec: IndexSpec, *, reference: ArrayLike | None = None
) -> CompositeIndex:
    """Build the index of regions (rows) over indicators (columns) as ``spec`` says.

    Examples
    --------
    >>> x = [[1.0, 9.0], [2.0, 5.0], [3.0, 1.0]]
    >>> out = composite_index(x, IndexSpec(["higher", "higher"], dimensions=["a", "b"]))
    >>> out.score.tolist(), out.rank.tolist(), out.dimension_names
    ([50.0, 50.0, 50.0], [1, 1, 1], ['a', 'b'])
    >>> composite_index(x, IndexSpec(["higher", "lower"])).rank.tolist()
    [3, 2, 1]
    """
    x = check_matrix(values)
    k = x.shape[1]
    spec.validate(k)
    filled, mask = impute(x, spec.impute)
    scores = normalise(
        filled, spec.directions, spec.normalise, reference=reference, targets=spec.targets
    )
    notes: list[str] = []
    if spec.weighting == "equal":
        w = np.ones(k)
    elif spec.weighting == "expert":
        w = np.ones(k) if spec.weights is None else np.asarray(spec.weights, dtype=np.float64)
    else:
        w, notes = data_weights(scores, spec.weighting)
    eff = effective_weights(spec, w)
    labels = spec.dimension_labels
    names = list(dict.fromkeys(labels))
    dims = np.empty((x.shape[0], len(names)))
    for d, name in enumerate(names):
        cols = np.array([label == name for label in labels])
        share = (
            eff[cols] / eff[cols].sum()
            if eff[cols].sum() > 0
            else np.full(cols.sum(), 1 / cols.sum())
        )
        dims[:, d] = _aggregate(scores[:, cols], share, spec.aggregate)
    score = _aggregate(scores, eff, spec.aggregate)
    return CompositeIndex(
        score=score,
        rank=rank_scores(score),
        dimension_names=names,
        dimension_scores=dims,
        indicator_scores=scores,
        weights=eff,
        imputed=mask,
        warnings=notes,
    )


def without_indicator(spec: IndexSpec, j: int) -> IndexSpec:
    """``spec`` with indicator ``j`` left out."""

    def drop(seq):
        return None if seq is None else [v for i, v in enumerate(seq) if i != j]

    return replace(
        spec,
        directions=drop(spec.directions),
        weights=drop(spec.weights),
        dimensions=drop(spec.dimensions),
        targets=drop(spec.targets),
    )
