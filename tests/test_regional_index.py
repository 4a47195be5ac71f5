"""The composite index, rank intervals, drop-one and benchmarking: invariances and hand cases."""

from __future__ import annotations

import numpy as np
import pytest

from yrdplan.analytics.benchmarking import benchmark
from yrdplan.analytics.composite_index import (
    IndexSpec,
    composite_index,
    data_weights,
    impute,
    normalise,
    rank_scores,
)
from yrdplan.analytics.uncertainty import MonteCarloOptions, drop_one, rank_intervals

RNG = np.random.default_rng(8)
X = RNG.lognormal(2, 0.6, size=(41, 6))
DIRS = ["higher", "higher", "lower", "higher", "lower", "higher"]
DIMS = ["a", "a", "b", "b", "c", "c"]


def test_scaling_an_indicator_leaves_minmax_scores_unchanged():
    spec = IndexSpec(DIRS, dimensions=DIMS)
    scaled = X.copy()
    scaled[:, 2] *= 1000.0
    scaled[:, 3] = scaled[:, 3] * 3 + 7
    a, b = composite_index(X, spec), composite_index(scaled, spec)
    np.testing.assert_allclose(a.score, b.score, atol=1e-9)
    np.testing.assert_array_equal(a.rank, b.rank)


def test_reversing_a_direction_reverses_its_ranks():
    one = X[:, :1]
    up = composite_index(one, IndexSpec(["higher"])).rank
    down = composite_index(one, IndexSpec(["lower"])).rank
    np.testing.assert_array_equal(up, len(one) + 1 - down)


def test_one_indicator_reproduces_its_minmax_score():
    out = composite_index(X[:, :1], IndexSpec(["higher"], weighting="equal"))
    column = X[:, 0]
    np.testing.assert_allclose(
        out.score, 100 * (column - column.min()) / (column.max() - column.min()), atol=1e-12
    )


def test_hierarchy_weights_by_hand():
    x = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0], [10.0, 0.0, 5.0]])
    spec = IndexSpec(
        ["higher"] * 3, dimensions=["d1", "d1", "d2"], dimension_weights={"d1": 3, "d2": 1}
    )
    out = composite_index(x, spec)
    # d1 = mean(100, 0) = 50 for region 3; d2 = 50; index = 0.75·50 + 0.25·50
    assert out.dimension_scores[2].tolist() == [50.0, 50.0]
    assert out.weights.tolist() == [0.375, 0.375, 0.25]
    assert out.score.tolist() == [0.0, 100.0, 50.0]
    geo = composite_index(x, IndexSpec(["higher"] * 3, aggregate="geometric"))
    assert geo.score[0] == pytest.approx(1.0)  # every score floored at 1
    assert geo.score[2] == pytest.approx((100 * 1 * 50) ** (1 / 3))


def test_normalisers_by_hand():
    x = np.array([[1.0], [2.0], [4.0]])
    assert normalise(x, ["higher"], "zscore").ravel().tolist() == pytest.approx(
        (50 + 10 * (x.ravel() - 7 / 3) / np.std(x)).tolist()
    )
    assert normalise(x, ["higher"], "rank").ravel().tolist() == [0.0, 50.0, 100.0]
    assert normalise(x, ["higher"], "target", targets=[2.0]).ravel().tolist() == [
        50.0,
        100.0,
        100.0,
    ]
    assert normalise(x, ["lower"], "target", targets=[2.0]).ravel().tolist() == [100.0, 100.0, 50.0]
    frozen = normalise(x, ["higher"], "minmax", reference=[[1.0], [3.0]])
    assert frozen.ravel().tolist() == [0.0, 50.0, 150.0]  # goalposts of the base year


def test_imputation_and_weights():
    x = X.copy()
    x[3, 1] = np.nan
    filled, mask = impute(x, "median")
    assert filled[3, 1] == pytest.approx(np.nanmedian(x[:, 1])) and mask.sum() == 1
    with pytest.raises(ValueError, match="missing cell"):
        impute(x, "none")
    scores = normalise(X, DIRS)
    for method in ("entropy", "critic", "pca"):
        w, _ = data_weights(scores, method)
        assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    # An indicator opposed to the others loads negatively on the first component.
    opposed = np.column_stack([X[:, 0], X[:, 0] * 2, -X[:, 0] + RNG.normal(0, 0.01, 41)])
    _, notes = data_weights(opposed, "pca")
    assert notes and "negative loading" in notes[0]


def test_bad_specs():
    with pytest.raises(ValueError, match="directions: 'up'"):
        composite_index(X[:, :1], IndexSpec(["up"]))
    with pytest.raises(ValueError, match="aggregate: geometric needs"):
        composite_index(X[:, :1], IndexSpec(["higher"], normalise="zscore", aggregate="geometric"))
    with pytest.raises(ValueError, match="weights: all weights are zero"):
        composite_index(X[:, :2], IndexSpec(["higher"] * 2, weights=[0, 0]))


def test_rank_intervals_are_seeded_and_contain_the_median():
    spec = IndexSpec(DIRS, dimensions=DIMS)
    options = MonteCarloOptions(runs=300, seed=11)
    a, b = rank_intervals(X, spec, options), rank_intervals(X, spec, options)
    np.testing.assert_array_equal(a.p05, b.p05)
    assert (a.p05 <= a.median).all() and (a.median <= a.p95).all()
    assert sum(a.combos.values()) == 300 and "zscore/geometric/mean" not in a.combos
    # No freedom at all: every run gives the base ranks.
    fixed = rank_intervals(
        X,
        spec,
        MonteCarloOptions(
            runs=50,
            weight_spread=0.0,
            normalise=["minmax"],
            aggregate=["arithmetic"],
            impute=["mean"],
        ),
    )
    base = composite_index(X, spec)
    np.testing.assert_array_equal(fixed.p05, base.rank)
    np.testing.assert_array_equal(fixed.p95, base.rank)


def test_drop_one_and_ranks():
    effects = drop_one(X, IndexSpec(DIRS, dimensions=DIMS))
    assert effects.shift.shape == (6, 41)
    assert (effects.shift.sum(axis=1) == 0).all()  # ranks are a permutation before and after
    assert rank_scores([3.0, 3.0, 1.0]).tolist() == [1, 1, 3]


def test_benchmark_lower_is_better_and_peers():
    t = benchmark([30.0, 40.0, 50.0, 20.0], "lower", peers=[True, True, False, False])
    assert t.best == 20.0 and t.gap_best.tolist() == [10.0, 20.0, 30.0, 0.0]
    assert t.peer_best == 30.0 and t.gap_peer.tolist() == [0.0, 10.0, 20.0, 0.0]
    assert t.top_quartile == pytest.approx(27.5)
    assert t.rank.tolist() == [2, 3, 4, 1]
    with pytest.raises(ValueError, match="peers: the peer group is empty"):
        benchmark([1.0, 2.0], "higher", peers=[False, False])
