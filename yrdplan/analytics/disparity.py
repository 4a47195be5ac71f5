"""Disparity (区域差距) of one indicator across regions: dispersion, the generalised-entropy
family with its decompositions, the Gini coefficient, and their uncertainty.

Definitions
-----------
Every measure takes values ``y`` (one per region) and optional weights ``w`` (usually the
resident population). The weights are turned into shares ``p = w / sum(w)``, so they may sum
to anything; without weights every region counts alike (``p = 1/n``). With weights *every*
measure is weighted.

* mean ``mu = sum(p * y)``; standard deviation ``sd = sqrt(sum(p * (y - mu)**2))`` (the
  population form, ``ddof = 0``, so that the weighted and unweighted forms agree when the
  weights are equal); coefficient of variation ``cv = sd / mu`` — with population weights this
  is Williamson's weighted CV;
* generalised entropy ``GE(a) = 1/(a(a-1)) * sum(p * ((y/mu)**a - 1))``; Theil T is
  ``GE(1) = sum(p * (y/mu) * ln(y/mu))``, Theil L (the mean log deviation) is
  ``GE(0) = sum(p * ln(mu/y))`` and ``GE(2) = cv**2 / 2``;
* Gini ``G = sum_i sum_j p_i p_j |y_i - y_j| / (2 mu)``, computed in ``O(n log n)`` after
  sorting;
* range ``max - min`` and the max/min ratio.

Decomposition. For groups ``g`` with weight share ``P_g`` and mean ``mu_g``, every GE measure
splits exactly into a between part, ``GE(a)`` of the group means weighted by ``P_g``, and a
within part, ``sum_g P_g (mu_g/mu)**a GE_g(a)``. A nested decomposition (province → city →
county) telescopes: the between part of the coarsest partition, then what each finer
partition adds, then what is left within the finest groups.

Unweighted Theil T, its decomposition and the Gini agree with PySAL ``inequality`` (``Theil``,
``TheilD``, ``Gini``) to 1e-9 (``tests/test_regional_disparity.py``).

Bad input raises :class:`ValueError` naming the argument: missing values, negative values,
a zero mean, negative or all-zero weights, fewer than two regions. A zero value leaves the
measures that take its logarithm undefined (Theil L, and the max/min ratio divides by it):
they come back as NaN and are named in ``undefined``, never as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

#: The measures of :class:`Disparity`, in the order of the JSON output.
MEASURES = ("mean", "sd", "cv", "theil_t", "theil_l", "ge2", "gini", "range", "max_min_ratio")
#: Measures that decompose into between and within parts.
DECOMPOSABLE = {"theil_t": 1.0, "theil_l": 0.0, "ge2": 2.0}


# -- validation ---------------------------------------------------------------------------------


def _rows(mask: np.ndarray, limit: int = 8) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (" …" if len(rows) > limit else "")


def check_values(values: ArrayLike, name: str = "values") -> np.ndarray:
    """``values`` as a float array (regions first), or ValueError naming what is wrong."""
    # One contiguous copy at most: elementwise work on a strided view is several times slower.
    y = np.ascontiguousarray(values, dtype=np.float64)
    if y.ndim not in (1, 2):
        raise ValueError(f"{name}: expected one value per region (1-D) or regions × series (2-D)")
    if y.shape[0] < 2:
        raise ValueError(f"{name}: need at least two regions, got {y.shape[0]}")
    bad = ~np.isfinite(y)
    if bad.any():
        raise ValueError(
            f"{name}: {int(bad.sum())} missing or infinite value(s) at row(s) "
            f"{_rows(bad.any(axis=1) if y.ndim == 2 else bad)}; drop those regions first"
        )
    negative = y < 0
    if negative.any():
        raise ValueError(
            f"{name}: {int(negative.sum())} negative value(s) at row(s) "
            f"{_rows(negative.any(axis=1) if y.ndim == 2 else negative)}; "
            "disparity measures need non-negative values"
        )
    return y


def check_weights(weights: ArrayLike | None, shape: tuple[int, ...]) -> np.ndarray:
    """Weight shares for values of ``shape``, each column summing to 1: shape (n,) for one
    series, (n, 1) for weights shared by every column, (n, m) for weights per column."""
    n = shape[0]
    if weights is None:
        return np.full((n, 1) if len(shape) == 2 else shape, 1.0 / n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape[0] != n or w.ndim > len(shape):
        raise ValueError(f"weights: expected {n} weights (one per region), got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError(
            f"weights: missing or infinite weight(s) at row(s) {_rows(~np.isfinite(w))}"
        )
    if (w < 0).any():
        raise ValueError(f"weights: negative weight(s) at row(s) {_rows(w < 0)}")
    total = w.sum(axis=0)
    if np.any(total <= 0):
        raise ValueError("weights: all weights are zero")
    p = w / total
    if p.ndim < len(shape):
        p = p[:, None]  # one weight per region, shared by every column
    return p


def encode_groups(groups: Sequence, n: int, name: str = "groups") -> tuple[np.ndarray, list]:
    """Group labels as integer codes 0..k-1 and the labels (first-seen order; sorted for an
    integer array, whose codes come from one ``numpy.unique``)."""
    if isinstance(groups, np.ndarray) and groups.dtype.kind in "iu":
        if len(groups) != n:
            raise ValueError(f"{name}: expected {n} labels (one per region), got {len(groups)}")
        labels, codes = np.unique(groups, return_inverse=True)
        return codes.astype(np.int64).ravel(), labels.tolist()
    labels = list(groups)
    if len(labels) != n:
        raise ValueError(f"{name}: expected {n} labels (one per region), got {len(labels)}")
    order: dict = {}
    codes = np.empty(n, dtype=np.int64)
    for i, label in enumerate(labels):
        if label is None or (isinstance(label, float) and label != label):
            raise ValueError(f"{name}: region at row {i} has no group")
        codes[i] = order.setdefault(label, len(order))
    return codes, list(order)


# -- core kernels over columns ------------------------------------------------------------------


def _ge(y: np.ndarray, p: np.ndarray, alpha: float, mu: np.ndarray | None = None) -> np.ndarray:
    """GE(alpha) per column of ``y`` (regions × series) with shares ``p``."""
    if mu is None:
        mu = (p * y).sum(axis=0)
    r = y / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        if alpha == 1.0:
            # 0 · ln 0 = 0: Theil T is defined with zero values.
            return (p * np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)).sum(axis=0)
        if alpha == 0.0:
            out = -(p * np.log(r)).sum(axis=0)
            return np.where(np.isfinite(out), out, np.nan)
        return ((p * r**alpha).sum(axis=0) - 1.0) / (alpha * (alpha - 1.0))


def _weighted_sum(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Column sums of ``p * x``: one matrix-vector product when the weights are shared."""
    return p[:, 0] @ x if p.shape[1] == 1 else (p * x).sum(axis=0)


def _gini(y: np.ndarray, p: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Weighted Gini per column: sum_i p_i y_i (2 C_i - p_i - 1) / mu over sorted values."""
    # Sorting runs along contiguous rows: the transposed copy is much faster than a strided sort.
    yt = np.ascontiguousarray(y.T)
    n = yt.shape[1]
    if p.shape[1] == 1 and np.ptp(p) == 0:  # every region alike: C_i = i/n, no argsort needed
        ys = np.sort(yt, axis=1)
        # Rounding can leave -1e-17 for equal values; the Gini is never negative.
        return np.maximum(ys @ ((2.0 * np.arange(1, n + 1) - n - 1) / (n * n)) / mu, 0.0)
    order = np.argsort(yt, axis=1)
    ys = np.take_along_axis(yt, order, axis=1)
    if p.shape[1] == 1:  # one weight vector for every column
        ps = p[:, 0][order]
    else:
        ps = np.take_along_axis(np.ascontiguousarray(p.T), order, axis=1)
    c = np.cumsum(ps, axis=1)
    return np.maximum((ps * ys * (2.0 * c - ps - 1.0)).sum(axis=1) / mu, 0.0)


def _group_sums(x: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """Sums of ``x`` (regions × series) by group: ``codes`` is (regions,) or (regions × series)."""
    m = x.shape[1]
    if codes.ndim == 1:
        codes = np.broadcast_to(codes[:, None], x.shape)
    keys = codes + k * np.arange(m)[None, :]
    return np.bincount(keys.ravel(), weights=x.ravel(), minlength=k * m).reshape(m, k).T


def _measures(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Every measure per column of ``y``; ``p`` is (n, 1) for shared weights or (n, m)."""
    mu = _weighted_sum(p, y)
    if np.any(mu <= 0):
        raise ValueError("values: the mean is zero; every value is zero")
    r = y / mu
    var = _weighted_sum(p, r * r) - 1.0  # E[(y/mu)^2] - 1 = cv^2
    with np.errstate(divide="ignore"):
        ln_r = np.log(r)
    zero = (r <= 0).any(axis=0)
    if zero.any():  # 0 · ln 0 = 0 for Theil T; Theil L is undefined (NaN) there
        ln_r = np.where(r > 0, ln_r, 0.0)
    theil_t = _weighted_sum(p, r * ln_r)
    theil_l = np.where(zero, np.nan, -_weighted_sum(p, ln_r))
    cv = np.sqrt(np.maximum(var, 0.0))
    low, high = y.min(axis=0), y.max(axis=0)
    with np.errstate(divide="ignore"):
        ratio = np.where(low > 0, high / np.where(low > 0, low, 1.0), np.nan)
    return {
        "mean": mu,
        "sd": cv * mu,
        "cv": cv,
        "theil_t": theil_t,
        "theil_l": theil_l,
        "ge2": np.maximum(var, 0.0) / 2.0,
        "gini": _gini(y, p, mu),
        "range": high - low,
        "max_min_ratio": ratio,
    }


def _between_within(
    y: np.ndarray, p: np.ndarray, codes: np.ndarray, k: int, alpha: float
) -> dict[str, np.ndarray]:
    """GE(alpha) split by groups, per column: total, between, within, and per-group parts."""
    mu = (p * y).sum(axis=0)
    pg = _group_sums(p, codes, k)  # k × m weight shares
    with np.errstate(divide="ignore", invalid="ignore"):
        mug = _group_sums(p * y, codes, k) / pg
    present = pg > 0
    safe_pg = np.where(present, pg, 1.0)
    safe_mug = np.where(present, mug, 1.0)
    between = _ge(safe_mug, np.where(present, pg, 0.0), alpha, mu)
    # Each region against its own group's mean: the group's own GE(alpha).
    own = np.take_along_axis(safe_mug, codes, axis=0) if codes.ndim == 2 else safe_mug[codes]
    share_in_group = p / (
        np.take_along_axis(safe_pg, codes, axis=0) if codes.ndim == 2 else safe_pg[codes]
    )
    r = y / own
    with np.errstate(divide="ignore", invalid="ignore"):
        if alpha == 1.0:
            parts = np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
        elif alpha == 0.0:
            parts = -np.log(r)
        else:
            parts = (r**alpha - 1.0) / (alpha * (alpha - 1.0))
    ge_g = _group_sums(share_in_group * parts, codes, k)
    ge_g = np.where(np.isfinite(ge_g), ge_g, np.nan)
    weight_g = np.where(present, pg * (safe_mug / mu) ** alpha, 0.0)
    contribution = np.where(present, weight_g * ge_g, 0.0)
    within = contribution.sum(axis=0)
    return {
        "total": _ge(y, p, alpha, mu),
        "between": between,
        "within": within,
        "group_share": pg,
        "group_mean": mug,
        "group_within": ge_g,
        "group_contribution": contribution,
    }


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupPart:
    """One group's place in a decomposition."""

    name: object
    n: int
    mean: float
    share: float  # the group's share of the weight (of the regions, unweighted)
    within: float  # the group's own inequality GE_g
    contribution: float  # P_g (mu_g/mu)^a GE_g: its part of the within component


@dataclass(frozen=True)
class Decomposition:
    """A GE measure split into between-group and within-group parts (between + within = total)."""

    measure: str
    total: float
    between: float
    within: float
    groups: list[GroupPart]

    @property
    def between_share(self) -> float:
        return self.between / self.total if self.total > 0 else float("nan")


@dataclass(frozen=True)
class Disparity:
    """Every disparity measure of one indicator across regions in one period."""

    n: int
    weighted: bool
    mean: float
    sd: float
    cv: float
    theil_t: float
    theil_l: float
    ge2: float
    gini: float
    range: float
    max_min_ratio: float
    undefined: dict[str, str] = field(default_factory=dict)  # measure -> why it is NaN

    @property
    def weighted_cv(self) -> float | None:
        """Williamson's population-weighted CV: the CV when weights were given, else None."""
        return self.cv if self.weighted else None


# -- public functions ---------------------------------------------------------------------------


def disparity(values: ArrayLike, weights: ArrayLike | None = None) -> Disparity:
    """Every disparity measure of ``values`` (one per region), weighted by ``weights``.

    Parameters
    ----------
    values : array_like, shape (n,)
        Non-negative values, one per region, no missing values; n >= 2.
    weights : array_like, shape (n,), optional
        Non-negative weights (e.g. resident population); they may sum to anything. Without
        them every region counts alike.

    Returns
    -------
    Disparity
        ``undefined`` names the measures that are NaN and why (a zero value: Theil L and the
        max/min ratio).

    Examples
    --------
    >>> d = disparity([1.0, 2.0, 3.0, 6.0])
    >>> round(d.mean, 6), round(d.cv, 6), round(d.gini, 6)
    (3.0, 0.62361, 0.333333)
    >>> round(d.ge2, 12) == round(d.cv ** 2 / 2, 12)
    True
    >>> disparity([1.0, 3.0], weights=[3, 1]).mean  # (3·1 + 1·3) / 4
    1.5
    """
    y = check_values(values)
    if y.ndim != 1:
        raise ValueError("values: expected one value per region (1-D); use disparity_table")
    p = check_weights(weights, y.shape)
    out = {k: float(v[0]) for k, v in _measures(y[:, None], p[:, None]).items()}
    undefined = {}
    if (y == 0).any():
        undefined["theil_l"] = f"{int((y == 0).sum())} zero value(s): ln(0) is undefined"
        undefined["max_min_ratio"] = "the minimum is zero"
    return Disparity(n=len(y), weighted=weights is not None, undefined=undefined, **out)


def disparity_table(
    values: ArrayLike, weights: ArrayLike | None = None, levels: Sequence[Sequence] | None = None
) -> dict[str, np.ndarray]:
    """:data:`MEASURES` for many series at once (``values`` is regions × series), and with
    ``levels`` the nested decomposition of Theil T and Theil L.

    Parameters
    ----------
    values : array_like, shape (n, m)
        One column per series (indicator × period), complete and non-negative.
    weights : array_like, shape (n,) or (n, m), optional
        Weights per region (the same for every column) or per region and column.
    levels : sequence of sequences, optional
        Nested partitions of the regions, coarsest first (province, city). Adds
        ``theil_t_nested`` and ``theil_l_nested``, each of shape (len(levels) + 1, m): between
        the coarsest groups, what each finer level adds, and what is left within the finest
        groups (they sum to the total, as in :func:`decompose_nested`).

    Returns
    -------
    dict
        Measure name -> array of shape (m,) (or as above).

    Examples
    --------
    >>> table = disparity_table([[1.0, 2.0], [3.0, 2.0]])
    >>> table["cv"].round(6).tolist()
    [0.5, 0.0]
    >>> t = disparity_table([[1.0], [2.0], [4.0], [8.0]], levels=[list("aabb")])
    >>> bool(abs(t["theil_t_nested"].sum() - t["theil_t"][0]) < 1e-12)
    True
    """
    y = check_values(values)
    if y.ndim == 1:
        y = y[:, None]
    p = check_weights(weights, y.shape)
    out = _measures(y, p)
    if levels:
        betweens = _betweens(
            y,
            p,
            [encode_groups(level, len(y), f"levels[{i}]")[0] for i, level in enumerate(levels)],
        )
        for name, between in betweens.items():
            steps = np.diff(between, axis=0, prepend=0.0)
            out[f"{name}_nested"] = np.vstack([steps, out[name] - between[-1]])
    return out


def _betweens(y: np.ndarray, p: np.ndarray, partitions: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Between-group Theil T and L of nested partitions (coarsest first; codes 0..k-1).

    The sums of the finest groups take one pass over the data (rows sorted by group, one
    ``reduceat``); each coarser level sums those few rows again.
    """
    py = p * y
    mu = py.sum(axis=0)
    finest = partitions[-1]
    order = np.argsort(finest, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(finest[order]) != 0])
    fine_p = np.add.reduceat(p[order], starts, axis=0)  # (k, 1) or (k, m)
    fine_py = np.add.reduceat(py[order], starts, axis=0)
    out_t, out_l = [], []
    for depth, codes in enumerate(partitions):
        sorted_codes = codes[order]
        up = sorted_codes[starts]  # each finest group's code at this level
        if not np.array_equal(sorted_codes, np.repeat(up, np.diff(np.r_[starts, len(codes)]))):
            raise ValueError(
                f"levels[{depth}]: a group of the finest level spans two of its groups; "
                "partitions must nest"
            )
        k = int(codes.max()) + 1
        pg = np.zeros((k, fine_p.shape[1]))
        np.add.at(pg, up, fine_p)
        sums = np.zeros((k, fine_py.shape[1]))
        np.add.at(sums, up, fine_py)
        rel = sums / pg / mu
        with np.errstate(divide="ignore", invalid="ignore"):
            ln_rel = np.log(rel)
        out_t.append((pg * rel * np.where(rel > 0, ln_rel, 0.0)).sum(axis=0))
        out_l.append(np.where(np.isfinite(ln_rel).all(axis=0), -(pg * ln_rel).sum(axis=0), np.nan))
    return {"theil_t": np.vstack(out_t), "theil_l": np.vstack(out_l)}


def decompose(
    values: ArrayLike,
    groups: Sequence,
    weights: ArrayLike | None = None,
    measure: str = "theil_t",
) -> Decomposition:
    """Split a GE measure (``theil_t``, ``theil_l`` or ``ge2``) into between and within groups.

    Parameters
    ----------
    values : array_like, shape (n,)
        Values, one per region.
    groups : sequence, length n
        Each region's group label (province code, 苏南/苏中/苏北, …).
    weights : array_like, shape (n,), optional
        Region weights (population).
    measure : {"theil_t", "theil_l", "ge2"}
        Which member of the GE family.

    Examples
    --------
    >>> d = decompose([1.0, 1.0, 4.0, 4.0], ["a", "a", "b", "b"])
    >>> round(d.within, 12), round(d.between, 9) == round(d.total, 9)
    (0.0, True)
    >>> [(g.name, g.n, g.mean) for g in d.groups]
    [('a', 2, 1.0), ('b', 2, 4.0)]
    """
    if measure not in DECOMPOSABLE:
        raise ValueError(f"measure: {measure!r} is not one of {', '.join(DECOMPOSABLE)}")
    y = check_values(values)
    if y.ndim != 1:
        raise ValueError("values: expected one value per region (1-D)")
    alpha = DECOMPOSABLE[measure]
    if alpha == 0.0 and (y == 0).any():
        raise ValueError(f"values: theil_l needs positive values; zero at row(s) {_rows(y == 0)}")
    codes, labels = encode_groups(groups, len(y))
    p = check_weights(weights, y.shape)
    parts = _between_within(y[:, None], p[:, None], codes, len(labels), alpha)
    counts = np.bincount(codes, minlength=len(labels))
    return Decomposition(
        measure=measure,
        total=float(parts["total"][0]),
        between=float(parts["between"][0]),
        within=float(parts["within"][0]),
        groups=[
            GroupPart(
                name=label,
                n=int(counts[g]),
                mean=float(parts["group_mean"][g, 0]),
                share=float(parts["group_share"][g, 0]),
                within=float(parts["group_within"][g, 0]),
                contribution=float(parts["group_contribution"][g, 0]),
            )
            for g, label in enumerate(labels)
        ],
    )


@dataclass(frozen=True)
class NestedDecomposition:
    """GE split over nested partitions: ``components[0]`` is between the coarsest groups, each
    next one what a finer level adds between its groups, the last what is left within the
    finest groups. They sum to ``total``."""

    measure: str
    total: float
    components: list[float]
    names: list[str]


def decompose_nested(
    values: ArrayLike,
    levels: Sequence[Sequence],
    weights: ArrayLike | None = None,
    measure: str = "theil_t",
    names: Sequence[str] | None = None,
) -> NestedDecomposition:
    """Nested decomposition, e.g. province → city for county values.

    Parameters
    ----------
    values : array_like, shape (n,)
        Values of the finest regions.
    levels : sequence of sequences
        Group labels per region, coarsest first; each level must nest in the one before it
        (every group of a finer level lies inside one group of the coarser).
    weights : array_like, optional
        Region weights.
    measure : {"theil_t", "theil_l", "ge2"}
    names : sequence of str, optional
        A name per level (default ``level0``, ``level1``, …); the last component is ``within``.

    Examples
    --------
    >>> y = [1.0, 2.0, 2.0, 4.0, 8.0, 8.0]
    >>> nd = decompose_nested(y, [list("aaabbb"), list("xxyzzz")], names=["province", "city"])
    >>> nd.names
    ['between province', 'between city within province', 'within city']
    >>> abs(sum(nd.components) - nd.total) < 1e-12
    True
    """
    if measure not in DECOMPOSABLE:
        raise ValueError(f"measure: {measure!r} is not one of {', '.join(DECOMPOSABLE)}")
    if not levels:
        raise ValueError("levels: give at least one partition")
    y = check_values(values)
    alpha = DECOMPOSABLE[measure]
    p = check_weights(weights, y.shape)[:, None]
    names = list(names) if names else [f"level{i}" for i in range(len(levels))]
    if len(names) != len(levels):
        raise ValueError(f"names: expected {len(levels)} names, got {len(names)}")
    betweens, previous = [], None
    for depth, level in enumerate(levels):
        codes, labels = encode_groups(level, len(y), name=f"levels[{depth}]")
        if previous is not None:
            parent = {}
            for child, up in zip(codes.tolist(), previous.tolist(), strict=True):
                if parent.setdefault(child, up) != up:
                    raise ValueError(
                        f"levels[{depth}]: group {labels[child]!r} spans two groups of the "
                        "level above; partitions must nest"
                    )
        parts = _between_within(y[:, None], p, codes, len(labels), alpha)
        betweens.append(float(parts["between"][0]))
        total = float(parts["total"][0])
        previous = codes
    components = [betweens[0]] + [b - a for a, b in zip(betweens[:-1], betweens[1:], strict=True)]
    components.append(total - betweens[-1])
    labels_out = [f"between {names[0]}"]
    labels_out += [f"between {names[i]} within {names[i - 1]}" for i in range(1, len(names))]
    labels_out.append(f"within {names[-1]}")
    return NestedDecomposition(measure, total, components, labels_out)


def decomposition_table(
    values: ArrayLike,
    groups: Sequence,
    weights: ArrayLike | None = None,
    measure: str = "theil_t",
) -> dict[str, np.ndarray]:
    """Between and within parts for many series (regions × series) over one grouping.

    Examples
    --------
    >>> out = decomposition_table([[1.0, 1.0], [1.0, 2.0], [4.0, 4.0]], ["a", "a", "b"])
    >>> bool(np.allclose(out["between"] + out["within"], out["total"], atol=1e-12))
    True
    """
    if measure not in DECOMPOSABLE:
        raise ValueError(f"measure: {measure!r} is not one of {', '.join(DECOMPOSABLE)}")
    y = check_values(values)
    if y.ndim == 1:
        y = y[:, None]
    codes, labels = encode_groups(groups, y.shape[0])
    parts = _between_within(
        y, check_weights(weights, y.shape), codes, len(labels), DECOMPOSABLE[measure]
    )
    return {k: parts[k] for k in ("total", "between", "within")}


# -- uncertainty --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A bootstrap percentile interval."""

    estimate: float
    low: float
    high: float
    level: float


def bootstrap_intervals(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    groups: Sequence | None = None,
    replications: int = 999,
    level: float = 0.90,
    seed: int | np.random.Generator = 0,
) -> dict[str, Interval]:
    """Percentile bootstrap intervals (regions resampled with replacement) for every measure,
    and, with ``groups``, for the between-group share of Theil T (``theil_t_between_share``).

    Parameters
    ----------
    values, weights : array_like
        As in :func:`disparity`.
    groups : sequence, optional
        Group labels; adds the between-group share of Theil T.
    replications : int
        Bootstrap samples (at least 20).
    level : float
        Coverage of the interval, in (0, 1).
    seed : int or numpy.random.Generator
        The only source of randomness: the same seed gives the same intervals.

    Examples
    --------
    >>> ci = bootstrap_intervals([1.0, 2.0, 3.0, 4.0, 10.0], replications=200, seed=1)
    >>> ci["cv"].low <= ci["cv"].estimate <= ci["cv"].high
    True
    """
    y = check_values(values)
    if replications < 20:
        raise ValueError(f"replications: need at least 20, got {replications}")
    if not 0 < level < 1:
        raise ValueError(f"level: must lie in (0, 1), got {level}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = len(y)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    check_weights(w, y.shape)
    idx = rng.integers(0, n, size=(n, replications))
    yb, wb = y[idx], w[idx]
    # A resample may draw only zero-weight regions; such a draw is redrawn from the others.
    empty = wb.sum(axis=0) <= 0
    wb[:, empty] = 1.0
    pb = wb / wb.sum(axis=0)
    allzero = yb.sum(axis=0) <= 0
    yb[:, allzero] = y[:, None].repeat(int(allzero.sum()), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = _measures(yb, pb)
    point = disparity(y, weights)
    tail = (1 - level) / 2
    out = {}
    for name in MEASURES:
        sample = boot[name][np.isfinite(boot[name])]
        estimate = getattr(point, name)
        if sample.size == 0 or not np.isfinite(estimate):
            continue
        low, high = np.quantile(sample, [tail, 1 - tail])
        out[name] = Interval(float(estimate), float(low), float(high), level)
    if groups is not None:
        codes, labels = encode_groups(groups, n)
        parts = _between_within(yb, pb, codes[idx], len(labels), 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = parts["between"] / parts["total"]
        share = share[np.isfinite(share)]
        estimate = decompose(y, groups, weights).between_share
        if share.size and np.isfinite(estimate):
            low, high = np.quantile(share, [tail, 1 - tail])
            out["theil_t_between_share"] = Interval(float(estimate), float(low), float(high), level)
    return out


@dataclass(frozen=True)
class PermutationTest:
    """Is the between-group share larger than regrouping the regions at random would give?"""

    between_share: float
    p_value: float  # (1 + #{permuted share >= observed}) / (1 + permutations)
    permutations: int


def permutation_test(
    values: ArrayLike,
    groups: Sequence,
    weights: ArrayLike | None = None,
    *,
    measure: str = "theil_t",
    permutations: int = 999,
    seed: int | np.random.Generator = 0,
) -> PermutationTest:
    """Permutation test of the between-group share: group labels shuffled over the regions.

    Examples
    --------
    >>> y = [1.0, 1.1, 0.9, 5.0, 5.2, 4.8]
    >>> test = permutation_test(y, list("aaabbb"), permutations=199, seed=3)
    >>> test.between_share > 0.9, test.p_value < 0.2
    (True, True)
    """
    if measure not in DECOMPOSABLE:
        raise ValueError(f"measure: {measure!r} is not one of {', '.join(DECOMPOSABLE)}")
    if permutations < 1:
        raise ValueError(f"permutations: need at least 1, got {permutations}")
    y = check_values(values)
    codes, labels = encode_groups(groups, len(y))
    p = check_weights(weights, y.shape)
    alpha = DECOMPOSABLE[measure]
    observed = decompose(y, groups, weights, measure).between_share
    if not np.isfinite(observed):
        raise ValueError("values: no inequality to decompose (every value is equal)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    shuffled = rng.permuted(np.broadcast_to(codes[:, None], (len(y), permutations)), axis=0)
    ym = np.broadcast_to(y[:, None], shuffled.shape)
    pm = np.broadcast_to(p[:, None], shuffled.shape)
    parts = _between_within(ym, pm, shuffled, len(labels), alpha)
    share = parts["between"] / parts["total"]
    hits = int((share >= observed - 1e-12).sum())
    return PermutationTest(observed, (1 + hits) / (1 + permutations), permutations)
