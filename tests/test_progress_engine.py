"""The progress engine against hand-computed cases and against a slow per-row reference.

Every expected number below is worked out in the comment beside it (4-6 significant digits,
compared with a relative tolerance of 1e-4); the exact boundary cases use numbers whose binary
representation makes the ratio land exactly on 0.95, 0.60 and 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from yrdplan.analytics.progress import (
    COMPARATOR_NAMES,
    DIRECTION_NAMES,
    METHOD_NAMES,
    STATUS_NAMES,
    Panel,
    ProgressOptions,
    TargetTable,
    classify_growth,
    classify_ratio,
    compute_progress,
    encode_comparators,
    natural_limit_scale,
)


def one(times, values, *, options=None, **target) -> dict:
    """Assess one target on one series; the result row as a dict (names, None for NaN)."""
    target.setdefault("target_year", 2025)
    target = {k: [v] for k, v in target.items()}
    panel = Panel([0, len(times)], times, values)
    return compute_progress(panel, TargetTable(series=[0], **target), options).to_records()[0]


def approx(x):
    return pytest.approx(x, rel=1e-4)


# -- hand-computed cases ------------------------------------------------------------------------
def test_target_already_met_is_achieved():
    # 80 (2015) -> 105 (2020) against >= 100 by 2025: 105 >= 100.
    r = one([2015, 2020], [80.0, 105.0], comparator=">=", direction="higher", target_value=100.0)
    assert r["status"] == "achieved" and r["score"] == 5.0
    # The ratio is still reported: observed (105/80)^(1/5) - 1 = e^(ln 1.3125 / 5) - 1
    # = e^0.054387 - 1 = 0.055893; required (100/80)^(1/10) - 1 = e^0.022314 - 1 = 0.022565;
    # R = 0.055893 / 0.022565 = 2.4770.
    assert r["observed_rate"] == approx(0.055893)
    assert r["required_rate"] == approx(0.022565)
    assert r["ratio"] == approx(2.4770)


def test_base_met_target_but_latest_fell_back_is_deteriorating():
    # 110 (2015) already met >= 100; 95 (2020) does not. Required (100/110)^(1/10) - 1
    # = -0.0094857 (negative: the base was above the target); observed (95/110)^(1/5) - 1
    # = -0.028895. R = +1 * observed / |required| = -3.0462 (Statistics Canada's sign rule).
    r = one([2015, 2020], [110.0, 95.0], comparator=">=", direction="higher", target_value=100.0)
    assert r["required_rate"] == approx(-0.0094857)
    assert r["ratio"] == approx(-3.0462)
    assert r["status"] == "deteriorating"


def test_no_change_is_limited_progress():
    # 100 -> 100: observed 0, R = 0, which the published table puts in "limited" (0 <= R < 0.6).
    r = one([2015, 2020], [100.0, 100.0], comparator=">=", direction="higher", target_value=120.0)
    assert r["ratio"] == 0.0 and r["status"] == "limited"
    # Trajectory: 100 + (120 - 100) * 5/10 = 110 expected in 2020; 10 behind, half the change.
    assert r["expected_value"] == approx(110.0)
    assert r["trajectory_gap"] == approx(-10.0)
    assert r["trajectory_gap_share"] == approx(-0.5)


def test_negative_growth_is_deteriorating():
    # 100 -> 90 over 5 years: 0.9^(1/5) - 1 = -0.020852; required 1.2^(1/10) - 1 = 0.018399;
    # R = -0.020852 / 0.018399 = -1.1333.
    r = one([2015, 2020], [100.0, 90.0], comparator=">=", direction="higher", target_value=120.0)
    assert r["method"] == "cagr"
    assert r["observed_rate"] == approx(-0.020852)
    assert r["ratio"] == approx(-1.13328)
    assert r["status"] == "deteriorating"
    assert r["score"] == -5.0  # R <= -0.6 is the bottom of Open SDG's score


def test_zero_baseline_uses_linear_rates():
    # 0 (2015) -> 4 (2017) against >= 10 by 2020: no compound rate from 0. Linear: observed
    # (4 - 0) / 2 = 2 per year, required (10 - 0) / 5 = 2 per year, R = 1 -> on track.
    r = one(
        [2015, 2017],
        [0.0, 4.0],
        comparator=">=",
        direction="higher",
        target_value=10.0,
        target_year=2020,
    )
    assert r["method"] == "linear"
    assert (r["observed_rate"], r["required_rate"], r["ratio"]) == (2.0, 2.0, 1.0)
    assert r["status"] == "on_track"
    assert r["expected_value"] == approx(4.0)  # 0 + 10 * 2/5


def test_negative_values_use_linear_rates():
    # A net outflow of -50 (2015) shrinking to -20 (2020), target >= 10 by 2025: observed
    # (-20 + 50) / 5 = 6 a year, required (10 + 50) / 10 = 6 a year: R = 1.
    r = one([2015, 2020], [-50.0, -20.0], comparator=">=", direction="higher", target_value=10.0)
    assert r["method"] == "linear" and r["ratio"] == 1.0 and r["status"] == "on_track"


def test_lower_is_better_pm25():
    # PM2.5 50 (2015) -> 40 (2020) against GB 3095-2012 grade II (annual mean <= 35) by 2025.
    # Observed 0.8^(1/5) - 1 = -0.043648, required 0.7^(1/10) - 1 = -0.035039: both falls,
    # R = -1 * -0.043648 / 0.035039 = 1.2457 -> on track.
    r = one([2015, 2020], [50.0, 40.0], comparator="<=", direction="lower", target_value=35.0)
    assert r["observed_rate"] == approx(-0.043648)
    assert r["required_rate"] == approx(-0.035039)
    assert r["ratio"] == approx(1.24569)
    assert r["status"] == "on_track" and r["direction_sign"] == -1
    # Trajectory 50 + (35 - 50) * 5/10 = 42.5; 40 is 2.5 better (lower) than that: ahead.
    assert r["expected_value"] == approx(42.5)
    assert r["trajectory_gap"] == approx(2.5)
    met = one([2015, 2020], [50.0, 34.0], comparator="<=", direction="lower", target_value=35.0)
    assert met["status"] == "achieved"  # 34 <= 35


def test_band_approximate_target():
    # "2:1左右": ~ 2.0 with the default 5 % tolerance is the band [1.9, 2.1]. From 2.5 (2015) to
    # 2.3 (2020), target 2025: distance 0.4 -> 0.2, observed (0.2 - 0.4) / 5 = -0.04 a year,
    # required (0 - 0.4) / 10 = -0.04 a year, R = -1 * -0.04 / 0.04 = 1 -> on track.
    r = one([2015, 2020], [2.5, 2.3], comparator="~", direction="band", target_value=2.0)
    assert (r["band_low"], r["band_high"]) == (approx(1.9), approx(2.1))
    assert r["method"] == "band" and r["aim_value"] == approx(2.1)
    assert r["observed_rate"] == approx(-0.04) and r["required_rate"] == approx(-0.04)
    assert r["ratio"] == approx(1.0) and r["status"] == "on_track"
    assert r["direction_sign"] == -1  # the value has to come down to the band
    assert r["expected_value"] == approx(2.3)  # 2.5 + (2.1 - 2.5) * 5/10
    # Inside the band is achieved; overshooting to the other side is not (distance 0.4 -> 0.4,
    # R = 0, limited).
    inside = one([2015, 2020], [2.5, 2.05], comparator="~", direction="band", target_value=2.0)
    overshot = one([2015, 2020], [2.5, 1.5], comparator="~", direction="band", target_value=2.0)
    assert (inside["status"], overshot["status"]) == ("achieved", "limited")


def test_band_between_and_leaving_it():
    # between [1.8, 2.2]: from 1.0 (2015) to 1.4 (2020), target 2025: distance 0.8 -> 0.4,
    # observed -0.08 a year, required -0.08 a year: R = 1, on track, heading up.
    r = one(
        [2015, 2020],
        [1.0, 1.4],
        comparator="between",
        direction="band",
        target_value=1.8,
        target_value_high=2.2,
    )
    assert r["ratio"] == approx(1.0) and r["direction_sign"] == 1
    # A base inside the band needs no change (required 0); leaving it is deterioration.
    r = one(
        [2015, 2020],
        [2.0, 2.4],
        comparator="between",
        direction="band",
        target_value=1.8,
        target_value_high=2.2,
    )
    assert r["required_rate"] == 0.0 and r["ratio"] is None
    assert r["status"] == "deteriorating"


def test_relative_target_from_base_year():
    # "较2017年下降10%": base 2017 value 50 -> target 50 * (1 - 0.10) = 45.
    # Latest 47 (2020): observed (47/50)^(1/3) - 1 = -0.020414; required (45/50)^(1/8) - 1
    # = -0.013084; R = 1.5602 -> on track.
    r = one(
        [2015, 2017, 2020],
        [55.0, 50.0, 47.0],
        comparator="relative",
        direction="lower",
        base_year=2017,
        relative_change=-0.10,
    )
    assert (r["base_period"], r["base_value"]) == (2017.0, 50.0)
    assert r["target_value"] == approx(45.0)
    assert r["observed_rate"] == approx(-0.020414)
    assert r["required_rate"] == approx(-0.013084)
    assert r["ratio"] == approx(1.56025)
    assert r["status"] == "on_track"


def test_explicit_base_value_wins_and_missing_base_year_takes_the_next():
    # The plan states the 2017 base as 50 although the series starts in 2018.
    r = one(
        [2018, 2020],
        [49.0, 47.0],
        comparator="relative",
        direction="lower",
        base_year=2017,
        base_value=50.0,
        relative_change=-0.10,
    )
    assert (r["base_period"], r["base_value"], r["target_value"]) == (2017.0, 50.0, approx(45.0))
    # Without a value, the first observation at or after the base year stands in (Open SDG).
    r = one(
        [2015, 2018, 2020],
        [60.0, 49.0, 47.0],
        comparator="<=",
        direction="lower",
        target_value=45.0,
        base_year=2017,
    )
    assert (r["base_period"], r["base_value"]) == (2018.0, 49.0)


def test_ratio_method_exact_published_boundaries():
    # Base 1 (2020), target >= 5.0625 by 2022: required 5.0625^(1/2) - 1 = 1.25 exactly.
    # Latest (2021) 2.1875: observed 1.1875, R = 1.1875 / 1.25 = 0.95 exactly -> on track.
    # Latest 1.75: observed 0.75, R = 0.6 exactly -> moderate. Latest 1: R = 0 -> limited.
    def status(latest):
        return one(
            [2020, 2021],
            [1.0, latest],
            comparator=">=",
            direction="higher",
            target_value=5.0625,
            target_year=2022,
        )

    assert status(2.1875)["ratio"] == 0.95 and status(2.1875)["status"] == "on_track"
    assert status(1.75)["ratio"] == 0.6 and status(1.75)["status"] == "moderate"
    assert status(1.0)["ratio"] == 0.0 and status(1.0)["status"] == "limited"
    assert status(0.999)["status"] == "deteriorating"
    assert status(1.7499)["status"] == "limited" and status(2.1874)["status"] == "moderate"
    # Open SDG's score at the boundaries: 2.5 at 0.95, 0 at 0.6, -2.5 at 0.
    assert [status(x)["score"] for x in (2.1875, 1.75, 1.0)] == [approx(2.5), 0.0, approx(-2.5)]


def test_classify_ratio_exact_and_adjacent_values():
    below = [np.nextafter(x, -np.inf) for x in (0.95, 0.6, 0.0)]
    codes = classify_ratio([0.95, below[0], 0.6, below[1], 0.0, below[2], np.inf, np.nan])
    assert [STATUS_NAMES[c] for c in codes] == [
        "on_track", "moderate", "moderate", "limited", "limited", "deteriorating",
        "on_track", "insufficient_data",
    ]  # fmt: skip


def test_no_target_growth_against_reference_rates():
    # Direction only: the compound rate against 1.5 % (on track) and 0.5 % (moderate).
    def status(rate, direction="higher"):
        return one(
            [2015, 2020],
            [100.0, 100.0 * (1 + rate) ** 5],
            comparator="none",
            direction=direction,
            target_year=np.nan,
        )["status"]

    assert status(0.02) == "on_track" and status(0.01) == "moderate"
    assert status(0.003) == "limited" and status(-0.01) == "deteriorating"
    assert status(-0.03, "lower") == "on_track"  # PM2.5 falling 3 % a year
    assert status(0.01, "band") == "insufficient_data"  # no direction, no target: no verdict


def test_no_target_natural_limit_correction():
    # A share at 99 % (limit 100): C = 1 - 0.99^4.44 = 0.043643, so on track needs only
    # 1.5 % * C = 0.0655 % a year. 99 -> 99.5 over 5 years is (99.5/99)^(1/5) - 1 = 0.10081 %.
    r = one(
        [2015, 2020],
        [99.0, 99.5],
        comparator="none",
        direction="higher",
        target_year=np.nan,
        natural_limit=100.0,
    )
    assert r["threshold_scale"] == approx(0.043643)
    assert r["progress_value"] == approx(0.0010081)
    assert r["status"] == "on_track"
    # Without the limit the same growth is limited progress.
    r = one([2015, 2020], [99.0, 99.5], comparator="none", direction="higher", target_year=np.nan)
    assert r["status"] == "limited"
    assert natural_limit_scale([100.0, 150.0, 250.0], [100.0] * 3).tolist() == [
        0.0, approx(1 - 0.5**4.44), 1.0
    ]  # fmt: skip


def test_no_target_zero_values_use_symmetric_rate():
    # 0 -> 5 over 5 years: change 1 a year over the mean level (0 + 5) / 2 = 2.5: 40 % a year.
    r = one([2015, 2020], [0.0, 5.0], comparator="none", direction="higher", target_year=np.nan)
    assert r["method"] == "symmetric" and r["observed_rate"] == approx(0.4)
    assert r["status"] == "on_track"
    assert classify_growth([0.0], scale=0.0)[0] == 1  # C = 0: holding the limit is on track


def test_projection_linear_and_compound():
    # 100 (2018), 110 (2019), 121 (2020); >= 200 by 2025; window 5 years reaches back to 2018.
    # Linear: (121 - 100) / 2 = 10.5 a year -> 121 + 10.5 * 5 = 173.5.
    # Compound: (121/100)^(1/2) - 1 = 10 % -> 121 * 1.1^5 = 194.87.
    times, values = [2018, 2019, 2020], [100.0, 110.0, 121.0]
    r = one(times, values, comparator=">=", direction="higher", target_value=200.0)
    assert r["projected_linear"] == approx(173.5)
    assert r["projected_compound"] == approx(194.87171)
    assert r["projected_value"] == approx(173.5)  # linear by default
    assert r["anticipated_progress"] == approx(0.735)  # (173.5 - 100) / (200 - 100)
    compound = ProgressOptions(projection="compound")
    r = one(
        times, values, comparator=">=", direction="higher", target_value=200.0, options=compound
    )
    assert r["projected_value"] == approx(194.87171)
    assert r["anticipated_progress"] == approx(0.94872)
    # A one-year window starts the trend at 2019: 11 a year -> 121 + 55 = 176.
    r = one(
        times,
        values,
        comparator=">=",
        direction="higher",
        target_value=200.0,
        options=ProgressOptions(trend_window=1),
    )
    assert r["projected_linear"] == approx(176.0)
    # Through zero there is no compound trend; the compound option falls back to linear.
    r = one(
        [2018, 2020],
        [0.0, 4.0],
        comparator=">=",
        direction="higher",
        target_value=10.0,
        options=compound,
    )
    assert r["projected_compound"] is None and r["projected_value"] == approx(14.0)


def test_unrealistic_flag_against_best_historical_step():
    # 10, 11, ..., 15 (2015-2020): best compound step 11/10 - 1 = 10 %, five steps.
    times, values = list(range(2015, 2021)), [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    # >= 40 by 2025 needs 4^(1/10) - 1 = 14.87 % a year: under 2 x 10 %, not flagged.
    r = one(times, values, comparator=">=", direction="higher", target_value=40.0)
    assert r["best_rate"] == approx(0.1) and r["unrealistic"] is False
    # >= 100 needs 10^(1/10) - 1 = 25.89 % a year: more than twice the best year.
    r = one(times, values, comparator=">=", direction="higher", target_value=100.0)
    assert r["required_rate"] == approx(0.258925) and r["unrealistic"] is True
    lenient = ProgressOptions(unrealistic_multiple=3)  # 25.89 % < 3 x 10 %
    r = one(times, values, comparator=">=", direction="higher", target_value=100.0, options=lenient)
    assert r["unrealistic"] is False
    # A series that never rose, asked to rise, is flagged however little is asked.
    falling = [20.0, 19.0, 18.0, 17.0, 16.0, 15.0]
    r = one(times, falling, comparator=">=", direction="higher", target_value=21.0)
    assert r["unrealistic"] is True
    # Too little history (two steps < 3) never raises the flag.
    r = one(times[:3], values[:3], comparator=">=", direction="higher", target_value=100.0)
    assert r["unrealistic"] is False


def test_insufficient_data():
    # One observation: no rate. Unless it already meets the target.
    r = one([2020], [50.0], comparator=">=", direction="higher", target_value=60.0)
    assert (r["status"], r["method"], r["ratio"], r["observed_rate"]) == (
        "insufficient_data", "none", None, None
    )  # fmt: skip
    assert r["latest_value"] == 50.0 and r["base_value"] == 50.0
    r = one([2020], [70.0], comparator=">=", direction="higher", target_value=60.0)
    assert r["status"] == "achieved"
    # An empty series, a base year after every observation, a milestone before the base.
    empty = compute_progress(
        Panel([0, 0], [], []), TargetTable([0], [2025], [">="], ["higher"], [1.0])
    )
    assert STATUS_NAMES[empty.status[0]] == "insufficient_data"
    r = one(
        [2015, 2016],
        [1.0, 2.0],
        comparator=">=",
        direction="higher",
        target_value=9.0,
        base_year=2020,
    )
    assert r["status"] == "insufficient_data" and r["base_value"] is None
    r = one(
        [2021, 2023],
        [1.0, 2.0],
        comparator=">=",
        direction="higher",
        target_value=9.0,
        target_year=2020,
    )
    assert r["status"] == "insufficient_data" and r["required_rate"] is None


def test_as_of_recomputes_a_past_assessment():
    times, values = [2015, 2018, 2021], [100.0, 110.0, 90.0]
    now = one(times, values, comparator=">=", direction="higher", target_value=120.0)
    then = one(
        times,
        values,
        comparator=">=",
        direction="higher",
        target_value=120.0,
        options=ProgressOptions(as_of=2019),
    )
    assert (now["latest_period"], now["status"]) == (2021.0, "deteriorating")
    assert (then["latest_period"], then["status"]) == (2018.0, "on_track")


def test_several_series_and_targets_keep_input_order():
    panel = Panel.from_long([1, 0, 1, 0], [2020, 2015, 2015, 2020], [3.0, 1.0, 2.0, 0.5])
    targets = TargetTable(
        series=[1, 0, 1], target_year=[2025, 2025, 2030], comparator=[">=", ">=", "<="],
        direction=["higher", "higher", "lower"], target_value=[3.0, 2.0, 1.0],
    )  # fmt: skip
    result = compute_progress(panel, targets)
    assert len(result) == 3
    assert [STATUS_NAMES[c] for c in result.status] == [
        "achieved",
        "deteriorating",
        "deteriorating",
    ]
    assert result.latest_value.tolist() == [3.0, 0.5, 3.0]
    columns = result.to_columns()
    assert columns["status"].tolist() == ["achieved", "deteriorating", "deteriorating"]
    assert set(columns) == set(result.to_records()[0])


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "argument"),
    [
        (lambda: Panel([0, 2], [2015.0, 2016.0], [1.0]), "values"),
        (lambda: Panel([0, 2], [2016.0, 2015.0], [1.0, 2.0]), "times"),
        (lambda: Panel([0, 2], [2016.0, 2016.0], [1.0, 2.0]), "times"),
        (lambda: Panel([0, 3], [2015.0, 2016.0], [1.0, 2.0]), "series_offsets"),
        (lambda: Panel([0, 2, 1], [2015.0, 2016.0], [1.0, 2.0]), "series_offsets"),
        (lambda: Panel([0, 2], [2015.0, 2016.0], [1.0, np.nan]), "values"),
        (lambda: Panel.from_long([0, 0], [2015, 2015], [1.0, 2.0]), "times"),
        (lambda: TargetTable([0, 0], [2025], [">="] * 2, ["higher"] * 2, [1, 1]), "target_year"),
        (lambda: TargetTable([0], [2025], [9], ["higher"], [1.0]), "comparator"),
        (lambda: TargetTable([0], [2025], [">>"], ["higher"], [1.0]), "comparator"),
        (lambda: TargetTable([0], [2025], [">="], [3], [1.0]), "direction"),
        (lambda: TargetTable([0], [2025], [">="], ["higher"]), "target_value"),
        (lambda: TargetTable([0], [2025], ["between"], ["band"], [1.0]), "target_value_high"),
        (
            lambda: TargetTable([0], [2025], ["between"], ["band"], [2.0], [1.0]),
            "target_value_high",
        ),
        (
            lambda: TargetTable([0], [2025], ["relative"], ["lower"], base_year=[2017]),
            "relative_change",
        ),
        (
            lambda: TargetTable([0], [2025], [">="], ["higher"], [1.0], base_value=[1.0]),
            "base_value",
        ),
        (
            lambda: TargetTable([0], [2025], [">="], ["higher"], [1.0], base_year=[2026]),
            "base_year",
        ),
        (lambda: TargetTable([0], [np.nan], [">="], ["higher"], [1.0]), "target_year"),
    ],
)
def test_bad_input_names_the_argument(build, argument):
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        build()


def test_target_for_a_missing_series_is_rejected():
    with pytest.raises(ValueError, match="^series"):
        compute_progress(
            Panel([0, 1], [2020.0], [1.0]), TargetTable([1], [2025], [">="], ["higher"], [2.0])
        )


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="target_thresholds"):
        ProgressOptions(target_thresholds=(0.6, 0.95, 0.0))
    with pytest.raises(ValueError, match="projection"):
        ProgressOptions(projection="cubic")  # type: ignore[arg-type]


# -- cross-check against an obviously correct per-row implementation --------------------------
def _reference(times: list, values: list, row: dict, opts: ProgressOptions) -> dict:
    """The documented rules, one row at a time, in plain Python floats."""
    nan, slack = math.nan, 1e-9

    def fin(x):
        return x is not None and not math.isnan(x)

    keep = [i for i, t in enumerate(times) if opts.as_of is None or t <= opts.as_of + slack]
    times, values = [times[i] for i in keep], [values[i] for i in keep]
    lt, ly = (times[-1], values[-1]) if times else (nan, nan)
    by, bv = row["base_year"], row["base_value"]
    if fin(bv):
        t0, y0 = by, bv
    elif fin(by):
        later = [i for i, t in enumerate(times) if t >= by - slack]
        t0, y0 = (times[later[0]], values[later[0]]) if later else (nan, nan)
    else:
        t0, y0 = (times[0], values[0]) if times else (nan, nan)
    comp, direction, year = row["comparator"], row["direction"], row["target_year"]
    if comp == ">=" or (comp in ("=", "relative") and direction == "higher"):
        kind = "ge"
    elif comp == "<=" or (comp in ("=", "relative") and direction == "lower"):
        kind = "le"
    else:
        kind = "none" if comp == "none" else "band"
    stated = y0 * (1 + row["relative_change"]) if comp == "relative" else row["target_value"]
    stated = nan if kind == "none" else stated
    low = high = nan
    if kind == "band":
        if comp == "between" or (comp == "~" and fin(row["target_value_high"])):
            low, high = stated, row["target_value_high"]
        else:
            low = stated - opts.approx_tolerance * abs(stated)
            high = stated + opts.approx_tolerance * abs(stated)

    def dist(v):
        return max(low - v, v - high, 0.0) if fin(v) else nan

    achieved = {
        "ge": ly >= stated, "le": ly <= stated, "band": low <= ly <= high, "none": False
    }[kind]  # fmt: skip
    aim = (
        min(max(y0, low), high)
        if kind == "band" and fin(y0)
        else (nan if kind == "band" else stated)
    )
    d = {"ge": 1, "le": -1, "band": -1}.get(kind) or {"higher": 1, "lower": -1}.get(direction, 0)
    value_sign = ((aim > y0) - (aim < y0)) if kind == "band" else d
    observed = lt > t0 and d != 0
    horizon = observed and kind != "none" and year > t0
    if not observed:
        method = "none"
    elif kind == "band":
        method = "band"
    elif y0 > 0 and ly > 0 and (kind == "none" or aim > 0):
        method = "cagr"
    else:
        method = "symmetric" if kind == "none" else "linear"
    obs = req = ratio = growth = nan
    if observed:
        dt = lt - t0
        if method == "cagr":
            obs = (ly / y0) ** (1 / dt) - 1
        elif method == "band":
            obs = (dist(ly) - dist(y0)) / dt
        elif method == "symmetric":
            level = (abs(ly) + abs(y0)) / 2
            obs = (ly - y0) / dt / level if level > 0 else 0.0
        else:
            obs = (ly - y0) / dt
    if horizon:
        dt = year - t0
        if method == "cagr":
            req = (aim / y0) ** (1 / dt) - 1
        elif method == "band":
            req = -dist(y0) / dt
        else:
            req = (aim - y0) / dt
        ratio = d * obs / abs(req) if req != 0 else nan
    on, mod, lowest = opts.target_thresholds
    scale = nan
    if kind == "none":
        growth = d * obs
        lim = row["natural_limit"]
        scale = 1.0
        if fin(lim):
            b, lm = abs(y0), abs(lim)
            if b >= 2 * lm:
                scale = 1.0
            elif b <= lm:
                scale = 1 - (b / lm) ** opts.limit_exponent
            else:
                scale = 1 - ((2 * lm - b) / lm) ** opts.limit_exponent
        hi_rate, med_rate = (r * scale for r in opts.reference_rates)
        status = (
            "insufficient_data" if math.isnan(growth) else "on_track" if growth >= hi_rate
            else "moderate" if growth >= med_rate else "limited" if growth >= 0 else "deteriorating"
        )  # fmt: skip
        # Open SDG's score functions (sdg-build ProgressMeasure.get_score), exact fractions.
        if math.isnan(growth):
            score = nan
        elif growth < 0:
            score = max(125 * growth - 2.5, -5)
        elif scale == 0:
            score = 5.0
        elif growth >= hi_rate:
            score = min(500 * growth / scale - 5, 5)
        elif growth >= med_rate:
            score = 250 * growth / scale - 1.25
        else:
            score = 500 * growth / scale - 2.5
    else:
        if horizon and req == 0:
            status = "deteriorating"
        elif math.isnan(ratio):
            status = "insufficient_data"
        else:
            status = (
                "on_track" if ratio >= on else "moderate" if ratio >= mod
                else "limited" if ratio >= lowest else "deteriorating"
            )  # fmt: skip
        if math.isnan(ratio):
            score = nan
        elif ratio >= mod:
            score = min((ratio - mod) * 2.5 / (on - mod), 5)
        else:
            score = max((ratio - mod) * 2.5 / (mod - lowest), -5)
    if achieved:
        status, score = "achieved", 5.0
    expected = gap = share = nan
    if horizon:
        elapsed = min(max((lt - t0) / (year - t0), 0.0), 1.0)
        expected = y0 + (aim - y0) * elapsed
        if kind == "band":
            gap, whole = dist(y0) * (1 - elapsed) - dist(ly), dist(y0)
        else:
            gap, whole = d * (ly - expected), abs(aim - y0)
        share = gap / whole if whole != 0 else nan
    # Recent trend from the first observation inside the window to the latest.
    slope = rate = nan
    if times:
        start = next(i for i, t in enumerate(times) if t >= lt - opts.trend_window - slack)
        ts, vs = times[start], values[start]
        if lt > ts:
            slope = (ly - vs) / (lt - ts)
            if vs > 0 and ly > 0:
                rate = (ly / vs) ** (1 / (lt - ts)) - 1
    lead = year - lt
    linear = ly + slope * lead
    compound = ly * (1 + rate) ** lead if fin(rate) and fin(lead) else nan
    usable = math.isfinite(compound)
    projected = linear if opts.projection == "linear" or not usable else compound
    anticipated = nan
    if kind == "band" and fin(dist(y0)) and dist(y0) > 0:
        anticipated = (dist(y0) - dist(projected)) / dist(y0)
    elif kind in ("ge", "le") and fin(y0) and aim != y0:
        anticipated = (projected - y0) / (aim - y0)
    # The best step between consecutive observations, in the row's method and direction.
    best, steps = nan, 0
    if horizon and value_sign != 0:
        rates = []
        for j in range(1, len(times)):
            (ta, va), (tb, vb) = (times[j - 1], values[j - 1]), (times[j], values[j])
            if method == "cagr":
                if va > 0 and vb > 0:
                    rates.append((vb / va) ** (1 / (tb - ta)) - 1)
            else:
                rates.append((vb - va) / (tb - ta))
        steps = len(rates)
        if rates:
            best = max(rates) if value_sign > 0 else min(rates)
    need = d * req
    unrealistic = bool(
        horizon and not achieved and steps >= opts.unrealistic_min_history and need > 0
        and need > max(opts.unrealistic_multiple * value_sign * best, 0.0)
    )  # fmt: skip
    return {
        "status": status, "method": method, "base_period": t0, "base_value": y0,
        "latest_period": lt, "latest_value": ly, "target_value": stated, "band_low": low,
        "band_high": high, "aim_value": aim, "expected_value": expected, "trajectory_gap": gap,
        "trajectory_gap_share": share, "observed_rate": obs, "required_rate": req,
        "ratio": ratio, "progress_value": growth if kind == "none" else ratio,
        "threshold_scale": scale, "score": score,
        "projected_linear": linear, "projected_compound": compound,
        "projected_value": projected, "anticipated_progress": anticipated, "best_rate": best,
        "unrealistic": unrealistic, "direction_sign": value_sign,
    }  # fmt: skip


def _random_case(rng: np.random.Generator, n_series: int = 60):
    """A panel with the awkward cases mixed in: empty and single-point series, zeros,
    negatives, flat stretches, quarterly points, base years inside and outside the data."""
    lengths = rng.integers(0, 9, n_series)
    series, times, values, last = [], [], [], np.ones(n_series)
    for k, length in enumerate(lengths):
        grid = np.arange(2010, 2025, dtype=float)
        if rng.random() < 0.2:
            grid = np.sort(np.concatenate([grid, grid[:-1] + 0.25]))
        t = np.sort(rng.choice(grid, size=min(length, grid.size), replace=False))
        flavour = rng.integers(0, 4)
        if flavour == 0:  # positive, growing or shrinking
            v = 50 * np.exp(rng.normal(0.02, 0.08, t.size).cumsum())
        elif flavour == 1:  # through zero
            v = np.round(rng.normal(0, 3, t.size).cumsum())
        elif flavour == 2:  # a share near its cap
            v = np.minimum(100.0, 90 + rng.integers(0, 12, t.size))
        else:  # flat
            v = np.full(t.size, 7.0)
        series += [k] * t.size
        times += t.tolist()
        values += v.tolist()
        last[k] = v[-1] if v.size else 1.0
    rows = 2 * n_series
    which = rng.integers(0, n_series, rows)
    comparator = rng.integers(0, len(COMPARATOR_NAMES), rows)
    direction = rng.integers(0, len(DIRECTION_NAMES), rows)
    target_year = rng.choice([2016.0, 2020.0, 2025.0, 2035.0], rows)
    # Half the targets sit near the series (so every status turns up), half anywhere.
    near = last[which] * rng.uniform(0.8, 1.6, rows) + rng.normal(0, 1, rows)
    value = np.where(rng.random(rows) < 0.5, near, rng.normal(40, 40, rows))
    high = np.where(rng.random(rows) < 0.7, value + rng.uniform(0, 20, rows), np.nan)
    high = np.where(comparator == 4, value + 5, high)
    base_year = np.where(rng.random(rows) < 0.5, rng.choice([2009.0, 2012.0, 2014.0], rows), np.nan)
    base_value = np.where(
        np.isfinite(base_year) & (rng.random(rows) < 0.4), rng.normal(30, 30, rows), np.nan
    )
    target = {
        "series": which,
        "target_year": np.where(
            comparator == 6, np.where(rng.random(rows) < 0.5, np.nan, 2030.0), target_year
        ),
        "comparator": comparator,
        "direction": direction,
        "target_value": value,
        "target_value_high": high,
        "base_year": base_year,
        "base_value": base_value,
        "relative_change": rng.uniform(-0.3, 0.3, rows),
        "natural_limit": np.where(rng.random(rows) < 0.3, 100.0, np.nan),
    }
    return Panel.from_long(series, times, values, n_series), TargetTable(**target)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "opts",
    [
        ProgressOptions(),
        ProgressOptions(projection="compound", trend_window=2.5, as_of=2021.0),
        ProgressOptions(approx_tolerance=0.2, unrealistic_multiple=1.2, unrealistic_min_history=1),
    ],
)
def test_vectorised_engine_matches_per_row_reference(seed, opts):
    panel, targets = _random_case(np.random.default_rng(seed))
    result = compute_progress(panel, targets, opts).to_columns()
    offsets = panel.series_offsets
    for i in range(len(targets)):
        k = int(targets.series[i])
        row = {name: float(getattr(targets, name)[i]) for name in (
            "target_year", "target_value", "target_value_high", "base_year", "base_value",
            "relative_change", "natural_limit",
        )}  # fmt: skip
        row["comparator"] = COMPARATOR_NAMES[targets.comparator[i]]
        row["direction"] = DIRECTION_NAMES[targets.direction[i]]
        times = panel.times[offsets[k] : offsets[k + 1]].tolist()
        values = panel.values[offsets[k] : offsets[k + 1]].tolist()
        expected = _reference(times, values, row, opts)
        for name, want in expected.items():
            got = result[name][i]
            context = f"row {i} {name}: {row} times={times} values={values}"
            if isinstance(want, str | bool):
                assert got == want, context
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12, nan_ok=True), context


def test_encodings_follow_the_domain_vocabulary():
    assert COMPARATOR_NAMES[:6] == (">=", "<=", "=", "~", "between", "relative")
    assert encode_comparators(np.array(["none", " >= "])).tolist() == [6, 0]
    assert METHOD_NAMES == ("none", "cagr", "linear", "symmetric", "band")


def test_blocks_and_threads_do_not_change_the_answer(monkeypatch):
    """The block loops: tiny blocks (many series and row edges) and two threads agree."""
    from dataclasses import fields

    from yrdplan.analytics import progress, progress_trends

    panel, targets = _random_case(np.random.default_rng(42), n_series=80)
    whole = progress_trends.summarise_series(
        panel.series_offsets, panel.times, panel.values, 5.0, workers=1
    )
    split = progress_trends.summarise_series(
        panel.series_offsets, panel.times, panel.values, 5.0, workers=2, block_size=7
    )
    for spec in fields(whole):
        np.testing.assert_array_equal(getattr(whole, spec.name), getattr(split, spec.name))
    expected = compute_progress(panel, targets).to_columns(decode=False)
    monkeypatch.setattr(progress, "_ROW_BLOCK", 5)
    got = compute_progress(panel, targets, ProgressOptions(workers=2)).to_columns(decode=False)
    for name, column in expected.items():
        np.testing.assert_array_equal(got[name], column, err_msg=name)


# -- the block kernels against plain loops -------------------------------------------------------
def _plain_best_steps(times: list, values: list) -> tuple:
    """Best compound (up, down, count) and linear (up, down, count) steps of one series."""
    cagr, linear = [], []
    for j in range(1, len(times)):
        dt = times[j] - times[j - 1]
        linear.append((values[j] - values[j - 1]) / dt)
        if values[j - 1] > 0 and values[j] > 0:
            cagr.append((values[j] / values[j - 1]) ** (1 / dt) - 1)

    def extremes(rates):
        return (max(rates), min(rates)) if rates else (math.nan, math.nan)

    return (*extremes(cagr), len(cagr), *extremes(linear), len(linear))


@pytest.mark.parametrize("block_size", [1, 5, 64, 1 << 16])
@pytest.mark.parametrize("seed", range(4))
def test_series_summaries_match_plain_loops(seed, block_size):
    """Empty and one-point series at block edges, zeros, negatives, gaps and quarters: the
    block kernel, with or without the linear steps, and linear_extremes agree with loops."""
    from yrdplan.analytics import progress_trends

    panel, _ = _random_case(np.random.default_rng(seed), n_series=90)
    offsets, times, values = panel.series_offsets, panel.times, panel.values
    hist = progress_trends.summarise_series(offsets, times, values, 2.5, block_size=block_size)
    lean = progress_trends.summarise_series(
        offsets, times, values, 2.5, block_size=block_size, linear=False
    )
    every = np.arange(panel.n_series)
    lazy = progress_trends.linear_extremes(offsets, times, values, every, block_size=block_size)
    for k in range(panel.n_series):
        t = times[offsets[k] : offsets[k + 1]].tolist()
        v = values[offsets[k] : offsets[k + 1]].tolist()
        up, down, n_cagr, lin_up, lin_down, n_linear = _plain_best_steps(t, v)
        got = (
            hist.best_cagr_up[k], hist.best_cagr_down[k], hist.cagr_steps[k],
            hist.best_linear_up[k], hist.best_linear_down[k], hist.linear_steps[k],
        )  # fmt: skip
        assert got == pytest.approx((up, down, n_cagr, lin_up, lin_down, n_linear), nan_ok=True)
        assert (lazy[0, k], lazy[1, k]) == pytest.approx((lin_up, lin_down), nan_ok=True)
        start = next((i for i, x in enumerate(t) if x >= t[-1] - 2.5 - 1e-9), None)
        first_last = (t[0], v[0], t[-1], v[-1], t[start], v[start]) if t else (math.nan,) * 6
        assert (
            hist.first_time[k], hist.first_value[k], hist.last_time[k], hist.last_value[k],
            hist.trend_start_time[k], hist.trend_start_value[k],
        ) == pytest.approx(first_last, nan_ok=True)  # fmt: skip
    np.testing.assert_array_equal(lean.best_rates[:2], hist.best_rates[:2])
    np.testing.assert_array_equal(lean.best_steps, hist.best_steps)
    assert np.isnan(lean.best_rates[2:]).all()


def test_first_at_or_after_matches_bisection():
    """Gappy, quarterly, empty and one-point segments; queries before, inside, between and
    after the points, and NaN: the guess-and-step search answers as a plain bisection does."""
    import bisect

    from yrdplan.analytics.progress_trends import first_at_or_after

    rng = np.random.default_rng(7)
    segments = []
    for _ in range(400):
        grid = np.arange(2000, 2030, rng.choice([1.0, 0.25]))
        size = int(rng.integers(0, 25))
        segments.append(np.sort(rng.choice(grid, size=min(size, grid.size), replace=False)))
    times = np.concatenate(segments)
    ends = np.cumsum([s.size for s in segments])
    lo, hi = ends - [s.size for s in segments], ends
    first = np.array([s[0] if s.size else np.nan for s in segments])
    last = np.array([s[-1] if s.size else np.nan for s in segments])
    query = rng.uniform(1995, 2035, lo.size)
    exact = rng.random(lo.size) < 0.3  # on a point (a whole year)
    query[exact] = np.round(query[exact])
    query[::17] = np.nan
    got = first_at_or_after(times, lo, hi, first, last, query)
    for i, segment in enumerate(segments):
        want = hi[i] if np.isnan(query[i]) else lo[i] + bisect.bisect_left(segment, query[i])
        assert got[i] == want, (segment, query[i])


@pytest.mark.parametrize("block", [1, 2, 3, 1 << 16])
def test_panel_order_check_across_check_blocks(monkeypatch, block):
    """Series boundaries and bad pairs on either side of the validation's block edges."""
    from yrdplan.analytics import progress_inputs

    monkeypatch.setattr(progress_inputs, "_CHECK_BLOCK", block)
    times = [2020.0, 2021.0, 2019.0, 2020.0, 2018.0, 2019.0, 2020.0]
    good = Panel([0, 2, 2, 4, 7], times, np.ones(7))  # an empty series inside
    assert good.times.tolist() == times
    for row in range(1, 7):
        bad = list(times)
        bad[row] = bad[row - 1]  # a duplicate period (rows 2 and 4 start a series: allowed)
        if row in (2, 4):
            continue
        with pytest.raises(ValueError, match=rf"^times: must be strictly .*\(row {row}\)"):
            Panel([0, 2, 2, 4, 7], bad, np.ones(7))
    with pytest.raises(ValueError, match=r"^values: must be finite .*\(row 5\)"):
        Panel([0, 2, 2, 4, 7], times, [1, 1, 1, 1, 1, np.inf, 1])


def test_result_columns_are_contiguous_and_typed():
    panel, targets = _random_case(np.random.default_rng(3))
    result = compute_progress(panel, targets)
    for name, column in result.to_columns(decode=False).items():
        assert column.flags.c_contiguous and column.shape == (len(targets),), name
    assert result.status.dtype == np.int8 and result.unrealistic.dtype == np.bool_
    assert result.series.dtype == np.int64 and result.ratio.dtype == np.float64
