"""The monitor through the store, on SQLite and PostgreSQL: hand-computed rows.

Every case imports its own indicators, targets and observations through the exchange formats
(so the import path is exercised too), runs the monitor for one indicator and compares each
calculation component with a number worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services.indicator_data import import_indicators, import_observations, import_targets
from yrdplan.services.monitor import PUBLIC_FIELDS, MonitorOptions, run_monitor
from yrdplan.store.database import connect
from yrdplan.store.schema import MonitorResult, MonitorRun

INDICATORS = """code,name,unit,direction,kind,aggregation,weight_indicator,formula
T_POP,测试人口,万人,higher,indicative,sum,,
T_SHARE,测试占比,%,higher,indicative,weighted_mean,T_POP,
T_PM,测试浓度,微克/立方米,lower,binding,mean,,
T_NUM,测试分子,公里,higher,indicative,sum,,
T_DEN,测试分母,平方公里,band,indicative,sum,,
T_RATIO,测试密度,公里/百平方公里,higher,indicative,recompute,,T_NUM / T_DEN * 100
T_ZERO,测试项目数,个,higher,indicative,sum,,
"""
JIANGSU = ["320100", "320200", "320300", "320400", "320500", "320600", "320700"]
JIANGSU += ["320800", "320900", "321000", "321100", "321200", "321300"]
OBSERVATIONS = "\n".join(
    [
        "region_code,indicator_code,period,value",
        "320100,T_SHARE,2015,40",
        "320100,T_SHARE,2020,50",
        "320200,T_SHARE,2015,30",
        "320200,T_SHARE,2020,33",
        "320300,T_SHARE,2020,20",
        "320100,T_PM,2015,50",
        "320100,T_PM,2018,45",
        "320100,T_PM,2020,42",
        "320100,T_NUM,2015,10",
        "320100,T_NUM,2020,20",
        "320100,T_DEN,2015,200",
        "320100,T_DEN,2020,250",
        "320100,T_ZERO,2015,0",
        "320100,T_ZERO,2020,4",
        # every Jiangsu city has T_POP: 100 + 10 i in 2015 and 110 + 10 i in 2020
        *[f"{code},T_POP,2015,{100 + 10 * i}" for i, code in enumerate(JIANGSU)],
        *[f"{code},T_POP,2020,{110 + 10 * i}" for i, code in enumerate(JIANGSU)],
    ]
)
TARGETS = """region_code,indicator_code,year,comparator,value,value_high,base_year,base_value,relative_change
320100,T_SHARE,2025,>=,60,,,,
320100,T_SHARE,2030,relative,,,2015,,0.5
320100,T_PM,2025,<=,35,,,,
320100,T_RATIO,2025,>=,10,,,,
320100,T_ZERO,2025,>=,10,,,,
320100,T_POP,2025,>=,100,,,,
320200,T_SHARE,2025,between,35,40,,,
320300,T_SHARE,2025,>=,50,,,,
320000,T_POP,2025,>=,2000,,,,
sunan,T_PM,2025,<=,35,,,,
"""


@pytest.fixture
def loaded(any_default_url, tmp_path):
    database = connect(any_default_url)
    files = {"ind.csv": INDICATORS, "obs.csv": OBSERVATIONS, "tgt.csv": TARGETS}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with database.write() as session:
        import_indicators(session, tmp_path / "ind.csv")
    with database.write() as session:
        import_targets(session, tmp_path / "tgt.csv", user=SYSTEM_CALLER)
        import_observations(
            session, tmp_path / "obs.csv", vintage="2025-01-01", progress=False, user=SYSTEM_CALLER
        )
    yield database
    database.dispose()


def _rows(database, indicator: str, **options) -> list[dict]:
    with database.write() as session:
        return run_monitor(session, MonitorOptions(indicator=indicator, **options)).rows


def _one(rows, region, year=None, comparator=None, group=None) -> dict:
    found = [
        r
        for r in rows
        if r["region_code"] == region
        and (year is None or r["target_year"] == year)
        and (comparator is None or r["comparator"] == comparator)
        and r["group_code"] == group
    ]
    assert len(found) == 1, found
    return found[0]


def test_compound_rates_trajectory_and_projection(loaded):
    row = _one(_rows(loaded, "T_SHARE"), "320100", 2025)
    observed = (50 / 40) ** (1 / 5) - 1  # 0.045640
    required = (60 / 40) ** (1 / 10) - 1  # 0.041380
    assert row["base_period"] == "2015" and row["base_value"] == 40
    assert row["latest_period"] == "2020" and row["latest_value"] == 50
    assert row["observed_rate"] == pytest.approx(observed)
    assert row["required_rate"] == pytest.approx(required)
    assert row["ratio"] == pytest.approx(observed / required)  # 1.1029 >= 0.95
    assert row["expected_value"] == pytest.approx(50.0)  # 40 + (60 - 40) * 5/10
    assert row["projected_value"] == pytest.approx(60.0)  # slope 2/yr, 5 more years
    assert (row["status"], row["warning"], row["method"]) == ("on_track", "green", "cagr")
    assert row["simulated"] is False


def test_relative_target_is_base_times_one_plus_change(loaded):
    row = _one(_rows(loaded, "T_SHARE"), "320100", 2030)
    assert row["comparator"] == "relative"
    assert row["target_value"] == pytest.approx(40 * 1.5)  # base 2015 value × (1 + 0.5)
    assert row["required_rate"] == pytest.approx(1.5 ** (1 / 15) - 1)
    assert row["status"] == "on_track"


def test_lower_is_better_binding(loaded):
    row = _one(_rows(loaded, "T_PM"), "320100", 2025, group=None)
    # The engine's own worked example: 50 -> 42 over 5 years against <= 35 by 2025.
    assert row["ratio"] == pytest.approx(0.978, abs=5e-4)
    assert row["expected_value"] == pytest.approx(42.5)  # 50 + (35 - 50) * 5/10
    assert row["status"] == "on_track" and row["warning"] == "green"


def test_band_target(loaded):
    row = _one(_rows(loaded, "T_SHARE"), "320200", 2025)
    # Distance to [35, 40]: 5 at the base (30), 2 at the latest (33).
    assert row["method"] == "band"
    assert row["observed_rate"] == pytest.approx((2 - 5) / 5)
    assert row["required_rate"] == pytest.approx(-5 / 10)
    assert row["ratio"] == pytest.approx(1.2)
    assert row["expected_value"] == pytest.approx(32.5)  # halfway from 30 to the band's edge
    assert row["status"] == "on_track"


def test_derived_indicator_from_its_formula(loaded):
    row = _one(_rows(loaded, "T_RATIO"), "320100", 2025)
    # 10 / 200 * 100 = 5 in 2015, 20 / 250 * 100 = 8 in 2020.
    assert (row["base_value"], row["latest_value"]) == (pytest.approx(5.0), pytest.approx(8.0))
    assert row["ratio"] == pytest.approx(((8 / 5) ** 0.2 - 1) / (2**0.1 - 1))
    assert row["how"] == "derived"


def test_zero_baseline_uses_linear_rates(loaded):
    row = _one(_rows(loaded, "T_ZERO"), "320100", 2025)
    assert row["method"] == "linear"
    assert row["observed_rate"] == pytest.approx(4 / 5)  # (4 - 0) / 5 years
    assert row["required_rate"] == pytest.approx(10 / 10)
    assert row["ratio"] == pytest.approx(0.8) and row["status"] == "moderate"


def test_target_already_met_and_insufficient_data(loaded):
    met = _one(_rows(loaded, "T_POP"), "320100", 2025)
    assert met["status"] == "achieved" and met["warning"] == "green"  # 110 >= 100 already
    lonely = _one(_rows(loaded, "T_SHARE"), "320300", 2025)
    # No judgement without data: no warning level (yrdplan.analytics.warnings), shown grey.
    assert lonely["status"] == "insufficient_data" and lonely["warning"] is None
    assert lonely["latest_value"] == 20 and lonely["ratio"] is None


def test_province_value_is_aggregated_from_its_cities(loaded):
    row = _one(_rows(loaded, "T_POP"), "320000", 2025)
    base = sum(100 + 10 * i for i in range(13))  # 2080
    latest = sum(110 + 10 * i for i in range(13))  # 2210
    assert (row["base_value"], row["latest_value"]) == (base, latest)
    assert row["how"] == "aggregated" and row["status"] == "achieved"


def test_weighted_mean_needs_every_city(loaded):
    rows = _rows(loaded, "T_SHARE", region="320000", include_trends=True)
    # Only three of Jiangsu's 13 cities have T_SHARE: no provincial value is made up.
    assert rows == []


def test_group_target_applies_to_each_member(loaded):
    rows = [r for r in _rows(loaded, "T_PM") if r["group_code"] == "sunan"]
    assert sorted(r["region_code"] for r in rows) == [
        "320100",
        "320200",
        "320400",
        "320500",
        "321100",
    ]
    nanjing = _one(rows, "320100", group="sunan")
    assert nanjing["ratio"] == pytest.approx(0.978, abs=5e-4)
    assert {r["status"] for r in rows if r["region_code"] != "320100"} == {"insufficient_data"}


def test_run_is_stored_with_its_components(loaded):
    with loaded.write() as session:
        result = run_monitor(session, MonitorOptions(indicator="T_SHARE"))
    with loaded.read() as session:
        run = session.get(MonitorRun, result.run_id)
        stored = session.scalars(
            select(MonitorResult).where(MonitorResult.run_id == result.run_id)
        ).all()
        assert run.rows == len(stored) == len(result.rows) == 4
        assert run.scope == {"indicator": "T_SHARE"}
        row = next(
            r for r in stored if r.region_code == "320100" and r.components["target_year"] == 2025
        )
        assert row.status == "on_track" and row.warning == "green"
        assert row.components["expected_value"] == pytest.approx(50.0)
        assert session.scalar(select(func.count()).select_from(MonitorRun)) >= 1
    public = result.public_rows()[0]
    assert tuple(public) == PUBLIC_FIELDS
    assert all(not isinstance(v, float) or math.isfinite(v) for v in public.values())


def test_until_recomputes_a_past_assessment(loaded):
    row = _one(_rows(loaded, "T_PM", until="2018"), "320100", 2025, group=None)
    assert row["latest_period"] == "2018" and row["latest_value"] == 45
    assert row["observed_rate"] == pytest.approx((45 / 50) ** (1 / 3) - 1)
