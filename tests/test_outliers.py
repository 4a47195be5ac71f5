"""Modified z-scores and jump flags against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from yrdplan.analytics.outliers import flag_jumps, modified_z_scores


def test_modified_z_scores_odd_length_by_hand():
    # median 5; |x - 5| = 3 1 1 0 2 4 25 -> sorted 0 1 1 2 3 4 25, MAD = 2;
    # z = 0.6745 * (x - 5) / 2.
    z = modified_z_scores([2, 4, 4, 5, 7, 9, 30])
    np.testing.assert_allclose(z, [-1.01175, -0.33725, -0.33725, 0.0, 0.6745, 1.349, 8.43125])


def test_modified_z_scores_even_length_by_hand():
    # median (2 + 3) / 2 = 2.5; |x - 2.5| = 1.5 .5 .5 7.5 -> MAD (0.5 + 1.5) / 2 = 1.
    np.testing.assert_allclose(
        modified_z_scores([1, 2, 3, 10]), [-1.01175, -0.33725, 0.33725, 5.05875]
    )


def test_zero_mad_falls_back_to_the_mean_absolute_deviation():
    # median 3, MAD 0; mean |x - 3| = 5 / 5 = 1, so z(8) = 5 / (1.253314 * 1) = 3.98942.
    z = modified_z_scores([3, 3, 3, 3, 8])
    np.testing.assert_allclose(z, [0, 0, 0, 0, 3.989424], rtol=1e-6)


def test_constant_input_scores_zero_and_empty_input_is_empty():
    np.testing.assert_array_equal(modified_z_scores([7.0, 7.0, 7.0]), [0.0, 0.0, 0.0])
    assert modified_z_scores([]).shape == (0,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([[1, 2], [3, 4]], "x must be 1-D"),
        ([1, np.nan], "x must not"),
        (["a"], "x must hold numbers"),
    ],
)
def test_modified_z_scores_rejects_bad_input_naming_x(data, message):
    with pytest.raises(ValueError, match=message):
        modified_z_scores(data)


def test_flag_jumps_by_hand_with_shuffled_input():
    # Series "a": 2015-2022 = 100 102 105 107 110 150 153 155; changes 2 3 2 3 40 3 2,
    # median 3, |change - 3| = 1 0 1 0 37 0 1 -> MAD 1, so the 40 scores 0.6745 * 37 = 24.9565.
    # Series "b" grows by exactly 5: MAD 0, mean deviation 0, every score 0.
    a = [(2015 + i, v) for i, v in enumerate([100, 102, 105, 107, 110, 150, 153, 155])]
    b = [(2015 + i, 50 + 5 * i) for i in range(5)]
    rows = [("a", t, v) for t, v in a] + [("b", t, v) for t, v in b]
    order = np.random.default_rng(7).permutation(len(rows))
    ids, times, values = (np.array([rows[i][k] for i in order]) for k in range(3))
    result = flag_jumps(ids, times.astype(float), values.astype(float))

    at = {(ids[i], int(times[i])): i for i in range(len(rows))}
    jump = at[("a", 2020)]
    assert np.flatnonzero(result.flags).tolist() == [jump]
    assert result.scores[jump] == pytest.approx(24.9565)
    assert result.scores[at[("a", 2016)]] == pytest.approx(-0.6745)
    assert result.changes[jump] == 40.0
    assert result.previous[jump] == at[("a", 2019)]
    assert np.isnan(result.scores[at[("a", 2015)]]) and result.previous[at[("a", 2015)]] == -1
    assert all(result.scores[at[("b", t)]] == 0 for t in range(2016, 2020))


def test_flag_jumps_divides_by_the_time_gap():
    result = flag_jumps([1, 1, 1, 1], [2015, 2016, 2018, 2019], [10, 11, 13, 14])
    np.testing.assert_array_equal(result.changes[1:], [1.0, 1.0, 1.0])
    assert not result.flags.any()


def test_short_series_are_not_scored():
    result = flag_jumps(["s"] * 3, [1, 2, 3], [1.0, 2.0, 100.0])
    assert np.isnan(result.scores).all() and not result.flags.any()
    scored = flag_jumps(["s"] * 3, [1, 2, 3], [1.0, 2.0, 100.0], min_changes=2)
    assert not np.isnan(scored.scores[1:]).any()


def test_rounding_floor_keeps_a_flat_year_from_being_a_jump():
    # Changes 1 1 1 0 1 1: MAD 0, mean deviation 1/6, so the 0 scores -1 / (1.253314 / 6) = -4.787
    # with no floor; the floor (0.001 × median level 853) makes it -1 / 0.853 = -1.172.
    population = [850, 851, 852, 853, 853, 854, 855]
    years = list(range(2015, 2022))
    bare = flag_jumps(["p"] * 7, years, population, min_scale_ratio=0)
    assert bare.scores[4] == pytest.approx(-6 / 1.253314) and bare.flags[4]
    floored = flag_jumps(["p"] * 7, years, population)
    assert floored.scores[4] == pytest.approx(-1 / 0.853) and not floored.flags.any()


def test_flag_jumps_matches_a_loop_over_series():
    rng = np.random.default_rng(11)
    ids = np.repeat(np.arange(40), 12)
    times = np.tile(np.arange(2013, 2025), 40).astype(float)
    values = rng.normal(100, 10, ids.size).cumsum()
    values[rng.choice(ids.size, 15, replace=False)] += 500
    result = flag_jumps(ids, times, values, min_scale_ratio=0)
    for series in range(40):
        mask = ids == series
        expected = modified_z_scores(np.diff(values[mask]))
        np.testing.assert_allclose(result.scores[mask][1:], expected)
        np.testing.assert_array_equal(result.flags[mask][1:], np.abs(expected) > 3.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"series_ids": [1, 1], "times": [1, 1], "values": [1, 2]}, "times must be unique"),
        ({"series_ids": [1], "times": [1, 2], "values": [1, 2]}, "one length"),
        ({"series_ids": [1, 1], "times": [1, 2], "values": [1, np.inf]}, "values must not"),
        ({"series_ids": [1], "times": [1], "values": [1], "threshold": 0}, "threshold"),
        ({"series_ids": [1], "times": [1], "values": [1], "min_changes": 0}, "min_changes"),
    ],
)
def test_flag_jumps_rejects_bad_arguments_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        flag_jumps(**kwargs)


def test_flag_jumps_on_empty_input():
    result = flag_jumps([], [], [])
    assert result.flags.shape == result.scores.shape == result.previous.shape == (0,)
