"""Geography over time: series carried through the 2021 Hangzhou adjustment by the crosswalk.

The demo crosswalk (yrdplan/data/region_crosswalk.csv) splits 江干区 330104 between the new
上城区 330102 (0.65) and 钱塘区 330114 (0.35), and gives 钱塘区 0.12 of 萧山区 330109.
"""

from __future__ import annotations

from datetime import date

import pytest

from yrdplan.analytics.crosswalk import Change, carry_observations, validate_changes
from yrdplan.analytics.series import Point
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services.geography import import_crosswalk, period_end
from yrdplan.services.import_report import ImportFailed
from yrdplan.services.indicator_data import import_observations
from yrdplan.services.monitor import MonitorOptions, run_monitor

GDP = {  # 亿元, made up for the test
    "330102": {2019: 1300, 2020: 1350, 2021: 2300, 2022: 2400},  # old 上城区, then the new one
    "330104": {2019: 1500, 2020: 1550},  # 江干区, abolished on 2021-04-09
    "330109": {2019: 1800, 2020: 1850, 2021: 1750, 2022: 1800},
    "330114": {2021: 850, 2022: 900},  # 钱塘区, set up on 2021-04-09
}


@pytest.fixture
def hangzhou(database, tmp_path):
    lines = ["region_code,indicator_code,period,value"]
    lines += [
        f"{code},GDP,{year},{value}" for code, years in GDP.items() for year, value in years.items()
    ]
    path = tmp_path / "hz.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with database.write() as session:
        import_observations(session, path, vintage="2025-01-01", progress=False, user=SYSTEM_CALLER)
    return database


def _series(database, region: str, **options) -> dict[str, float]:
    with database.write() as session:
        rows = run_monitor(
            session, MonitorOptions(region=region, indicator="GDP", include_trends=True, **options)
        ).rows
    assert len(rows) <= 1
    if not rows:
        return {}
    return {
        "base": (rows[0]["base_period"], rows[0]["base_value"]),
        "latest": (rows[0]["latest_period"], rows[0]["latest_value"]),
        "how": rows[0]["how"],
    }


def test_qiantang_series_starts_before_the_district_existed(hangzhou):
    found = _series(hangzhou, "330114")
    # 2019: 0.35 × 1500 (江干) + 0.12 × 1800 (萧山) = 525 + 216
    assert found["base"] == ("2019", pytest.approx(0.35 * 1500 + 0.12 * 1800))
    assert found["latest"] == ("2022", 900)
    assert found["how"] == "mixed"  # crosswalked past, observed present


def test_new_shangcheng_takes_old_shangcheng_and_most_of_jianggan(hangzhou):
    found = _series(hangzhou, "330102")
    assert found["base"] == ("2019", pytest.approx(1300 + 0.65 * 1500))


def test_on_the_old_map_the_new_district_does_not_exist(hangzhou):
    assert _series(hangzhou, "330114", boundaries=date(2020, 12, 31)) == {}
    old = _series(hangzhou, "330104", boundaries=date(2020, 12, 31))
    assert old["base"] == ("2019", 1500) and old["latest"] == ("2020", 1550)


def test_a_user_crosswalk_replaces_the_demo_weights(hangzhou, tmp_path):
    path = tmp_path / "cw.csv"
    path.write_text(
        "from_code,to_code,weight,effective_date,note\n"
        "330104,330102,0.5,2021-04-09,统计局口径\n330104,330114,0.5,2021-04-09,统计局口径\n",
        encoding="utf-8",
    )
    with hangzhou.write() as session:
        assert import_crosswalk(session, path) == 2
    assert _series(hangzhou, "330114")["base"] == ("2019", pytest.approx(0.5 * 1500 + 0.12 * 1800))


def test_a_crosswalk_whose_shares_do_not_add_up_is_refused(hangzhou, tmp_path):
    path = tmp_path / "cw.csv"
    path.write_text(
        "from_code,to_code,weight,effective_date\n330104,330102,0.5,2021-04-09\n330104,330114,0.4,2021-04-09\n"
        "330104,999999,1,2021-04-09\n",
        encoding="utf-8",
    )
    with hangzhou.write() as session, pytest.raises(ImportFailed) as caught:
        import_crosswalk(session, path)
    text = "; ".join(str(p) for p in caught.value.problems)
    assert "row 4, column to_code" in text and "shares add up to 0.9" in text


def test_carry_needs_every_feeder_for_a_period():
    day = date(2021, 4, 9)
    changes = [Change("A", "B", 0.6, day), Change("A", "C", 0.4, day), Change("D", "C", 1.0, day)]
    series = {("A", "X"): {"2020": Point(10.0, False)}, ("D", "X"): {"2019": Point(5.0, True)}}
    ends = {"2019": date(2019, 12, 31), "2020": date(2020, 12, 31)}
    out = carry_observations(series, ends, changes, date(2024, 1, 1), summed={"X"})
    assert out.series[("B", "X")]["2020"] == Point(6.0, False, "crosswalk")
    # C is fed by A and D: 2020 lacks D, 2019 lacks A, so neither period is made up.
    assert ("C", "X") not in out.series
    assert sorted(out.incomplete) == [("C", "X", "2019"), ("C", "X", "2020")]


def test_rates_are_weight_averaged_not_summed():
    day = date(2021, 4, 9)
    changes = [Change("A", "C", 1.0, day), Change("B", "C", 0.5, day), Change("B", "D", 0.5, day)]
    series = {("A", "R"): {"2020": Point(10.0, False)}, ("B", "R"): {"2020": Point(40.0, False)}}
    out = carry_observations(
        series, {"2020": date(2020, 12, 31)}, changes, date(2022, 1, 1), summed=()
    )
    assert out.series[("C", "R")]["2020"].value == pytest.approx((10 + 0.5 * 40) / 1.5)
    assert out.series[("D", "R")]["2020"].value == 40


def test_validate_and_period_end():
    assert validate_changes([Change("A", "B", 1.5, date(2021, 1, 1))])[0].startswith("A -> B")
    assert period_end("2024Q4") == date(2024, 12, 31) and period_end("2024-02") == date(2024, 2, 29)
