"""Disparity and convergence: hand-computed cases, identities, PySAL agreement, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from inequality.gini import Gini
from inequality.theil import Theil, TheilD

from yrdplan.analytics.convergence import (
    beta_convergence,
    beta_table,
    club_convergence,
    sigma_convergence,
)
from yrdplan.analytics.disparity import (
    bootstrap_intervals,
    decompose,
    decompose_nested,
    decomposition_table,
    disparity,
    disparity_table,
    permutation_test,
)

RNG = np.random.default_rng(20260101)
Y = RNG.lognormal(10, 0.5, size=41)
W = RNG.uniform(100, 2500, size=41)
PROVINCE = np.repeat(["31", "32", "33", "34"], [1, 13, 11, 16])


def test_hand_computed_unweighted():
    d = disparity([1.0, 2.0, 3.0, 6.0])
    assert d.mean == 3.0
    assert d.sd == pytest.approx(math.sqrt(3.5), abs=1e-15)
    assert d.cv == pytest.approx(math.sqrt(3.5) / 3, abs=1e-15)
    # Theil T = mean((y/mu) ln(y/mu)); Theil L = mean(ln(mu/y))
    r = np.array([1, 2, 3, 6]) / 3
    assert d.theil_t == pytest.approx(float(np.mean(r * np.log(r))), abs=1e-15)
    assert d.theil_l == pytest.approx(float(np.mean(-np.log(r))), abs=1e-15)
    assert d.ge2 == pytest.approx(3.5 / 9 / 2, abs=1e-15)
    assert d.gini == pytest.approx(32 / 96, abs=1e-15)  # sum|yi-yj| over ordered pairs / (2 n² mu)
    assert (d.range, d.max_min_ratio, d.weighted_cv) == (5.0, 6.0, None)


def test_weights_are_replicates_and_may_sum_to_anything():
    # Weight 2 on a region is the same as listing it twice; scaling weights changes nothing.
    weighted = disparity([1.0, 4.0, 9.0], weights=[2, 1, 1])
    repeated = disparity([1.0, 1.0, 4.0, 9.0])
    scaled = disparity([1.0, 4.0, 9.0], weights=[2e6, 1e6, 1e6])
    for name in ("mean", "sd", "cv", "theil_t", "theil_l", "ge2", "gini"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), abs=1e-12)
        assert getattr(scaled, name) == pytest.approx(getattr(weighted, name), abs=1e-12)
    assert weighted.weighted_cv == weighted.cv


def test_equal_values_and_zeros():
    d = disparity([5.0, 5.0, 5.0])
    assert (d.sd, d.cv, d.theil_t, d.theil_l, d.ge2, d.gini, d.max_min_ratio) == (
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        1.0,
    )
    z = disparity([0.0, 2.0, 2.0])
    assert math.isnan(z.theil_l) and math.isnan(z.max_min_ratio)
    assert set(z.undefined) == {"theil_l", "max_min_ratio"}
    # T with a zero: 0·ln0 = 0 and the two others have y/mu = 1.5
    assert z.theil_t == pytest.approx(2 / 3 * 1.5 * math.log(1.5), abs=1e-15)


@pytest.mark.parametrize(
    ("values", "weights", "message"),
    [
        ([1.0], None, "values: need at least two regions"),
        ([1.0, float("nan")], None, "values: 1 missing"),
        ([1.0, -2.0], None, "values: 1 negative"),
        ([0.0, 0.0], None, "values: the mean is zero"),
        ([1.0, 2.0], [1.0, -1.0], "weights: negative"),
        ([1.0, 2.0], [0.0, 0.0], "weights: all weights are zero"),
        ([1.0, 2.0], [1.0], "weights: expected 2"),
    ],
)
def test_bad_input_names_the_argument(values, weights, message):
    with pytest.raises(ValueError, match=message):
        disparity(values, weights)


def test_agrees_with_pysal():
    d = disparity(Y)
    assert d.theil_t == pytest.approx(float(Theil(Y).T), abs=1e-9)
    assert d.gini == pytest.approx(float(Gini(Y).g), abs=1e-9)
    ours = decompose(Y, PROVINCE)
    theirs = TheilD(Y, PROVINCE)
    assert ours.total == pytest.approx(float(theirs.T), abs=1e-9)
    assert ours.between == pytest.approx(float(np.ravel(theirs.bg)[0]), abs=1e-9)
    assert ours.within == pytest.approx(float(np.ravel(theirs.wg)[0]), abs=1e-9)
    panel = RNG.lognormal(10, 0.4, size=(41, 7))
    table = disparity_table(panel)
    np.testing.assert_allclose(table["theil_t"], Theil(panel).T, atol=1e-9)
    parts = decomposition_table(panel, PROVINCE)
    np.testing.assert_allclose(parts["between"], TheilD(panel, PROVINCE).bg, atol=1e-9)


@pytest.mark.parametrize("measure", ["theil_t", "theil_l", "ge2"])
@pytest.mark.parametrize("weights", [None, W])
def test_decomposition_identity(measure, weights):
    d = decompose(Y, PROVINCE, weights, measure)
    assert d.between + d.within == pytest.approx(d.total, abs=1e-12)
    assert sum(g.contribution for g in d.groups) == pytest.approx(d.within, abs=1e-12)
    assert sum(g.share for g in d.groups) == pytest.approx(1.0, abs=1e-12)
    assert d.total == pytest.approx(getattr(disparity(Y, weights), measure), abs=1e-12)


def test_decomposition_by_hand():
    # Two groups of equal values: everything is between.
    d = decompose([2.0, 2.0, 8.0], ["a", "a", "b"], measure="theil_l")
    mu = 4.0
    assert d.between == pytest.approx((2 * math.log(mu / 2) + math.log(mu / 8)) / 3, abs=1e-15)
    assert d.within == pytest.approx(0.0, abs=1e-15)


def test_nested_sums_and_matches_single_levels():
    cities = [f"{p}-{i % 3}" for i, p in enumerate(PROVINCE)]
    nd = decompose_nested(Y, [PROVINCE, cities], W, "theil_t", names=["province", "city"])
    assert sum(nd.components) == pytest.approx(nd.total, abs=1e-12)
    assert nd.components[0] == pytest.approx(decompose(Y, PROVINCE, W).between, abs=1e-12)
    assert nd.components[0] + nd.components[1] == pytest.approx(
        decompose(Y, cities, W).between, abs=1e-12
    )
    with pytest.raises(ValueError, match="levels\\[1\\]: group .* spans two groups"):
        decompose_nested(Y, [PROVINCE, ["x"] * 41])


def test_bootstrap_and_permutation_are_seeded():
    a = bootstrap_intervals(Y, W, groups=PROVINCE, replications=300, seed=5)
    b = bootstrap_intervals(Y, W, groups=PROVINCE, replications=300, seed=5)
    assert a == b
    assert a["theil_t"].low <= a["theil_t"].estimate <= a["theil_t"].high
    assert "theil_t_between_share" in a
    # Groups that are pure noise: the share is not significant; sorted groups: it is.
    noise = permutation_test(Y, PROVINCE, permutations=499, seed=1)
    ordered = permutation_test(np.sort(Y), PROVINCE, permutations=499, seed=1)
    assert noise.p_value > 0.05 and ordered.p_value < 0.01


def test_sigma_and_beta_by_hand():
    s = sigma_convergence([[1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0]], [2020, 2021, 2022, 2023])
    assert s.cv == pytest.approx([0.5, 1 / 3, 0.25, 0.2])
    assert s.trend.slope < 0 and s.converging
    # growth exactly linear in ln y0: beta recovered, zero standard error
    y0 = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    y1 = y0 * np.exp((0.05 - 0.02 * np.log(y0)) * 9)
    b = beta_convergence(y0, y1, 9)
    assert b.beta == pytest.approx(-0.02, abs=1e-12)
    assert b.alpha == pytest.approx(0.05, abs=1e-12)
    assert b.beta_se == pytest.approx(0.0, abs=1e-12)
    assert b.half_life == pytest.approx(math.log(2) / (-math.log(1 - 0.18) / 9), abs=1e-9)
    assert beta_table(y0[:, None], y1[:, None], 9)["beta"][0] == pytest.approx(-0.02, abs=1e-12)


def test_beta_se_matches_textbook_ols():
    y0 = RNG.lognormal(1, 0.5, 30)
    y1 = y0 * RNG.lognormal(0.3, 0.1, 30)
    b = beta_convergence(y0, y1, 5)
    x = np.column_stack([np.ones(30), np.log(y0)])
    g = np.log(y1 / y0) / 5
    coef, rss, *_ = np.linalg.lstsq(x, g, rcond=None)
    se = np.sqrt(rss[0] / 28 * np.linalg.inv(x.T @ x)[1, 1])
    assert (b.beta, b.beta_se) == pytest.approx((coef[1], se), abs=1e-12)
    conditional = beta_convergence(y0, y1, 5, covariates=RNG.normal(size=30))
    assert len(conditional.covariates) == 1 and conditional.beta != b.beta
    clubs = club_convergence(y0, y1, 5, ["a"] * 15 + ["b"] * 15)
    assert set(clubs) == {"a", "b"}


def test_convergence_bad_input():
    with pytest.raises(ValueError, match="initial: growth rates need positive values"):
        beta_convergence([1.0, 0.0, 2.0], [1.0, 1.0, 2.0], 5)
    with pytest.raises(ValueError, match="years: must be positive"):
        beta_convergence([1.0, 2.0, 3.0], [1.0, 1.0, 2.0], 0)
    with pytest.raises(ValueError, match="no period has values"):
        sigma_convergence([[1.0, np.nan], [np.nan, 2.0]], [2020, 2021])


def test_table_nested_matches_the_one_series_functions():
    panel = RNG.lognormal(10, 0.4, size=(41, 5))
    cities = [f"{p}-{i % 3}" for i, p in enumerate(PROVINCE)]
    table = disparity_table(panel, W, levels=[PROVINCE, cities])
    for j in range(5):
        one = disparity(panel[:, j], W)
        for name in ("mean", "sd", "cv", "theil_t", "theil_l", "ge2", "gini"):
            assert table[name][j] == pytest.approx(getattr(one, name), rel=1e-12, abs=1e-12)
        for measure in ("theil_t", "theil_l"):
            nd = decompose_nested(panel[:, j], [PROVINCE, cities], W, measure)
            np.testing.assert_allclose(table[f"{measure}_nested"][:, j], nd.components, atol=1e-12)
    unweighted = disparity_table(panel, levels=[PROVINCE])
    np.testing.assert_allclose(
        unweighted["theil_t_nested"][0], TheilD(panel, PROVINCE).bg, atol=1e-9
    )
