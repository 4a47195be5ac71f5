"""The regions database: counts, parents, groups, history, and the documented CLI JSON."""

import json
from collections import Counter
from datetime import date

import pytest
from typer.testing import CliRunner

from yrdplan.cli.main import app
from yrdplan.ingest.regions import area_km2, read_builtin_groups, read_regions
from yrdplan.store.repos import regions as region_repo


@pytest.fixture(scope="module")
def regions():
    return read_regions()


def test_levels_and_counts(regions):
    current = [r for r in regions if r.valid_to is None]
    counts = Counter(r.level for r in current)
    assert counts == {"region": 1, "province": 4, "city": 41, "county": 305}


def test_every_region_has_a_known_parent(regions):
    codes = {r.code for r in regions}
    for region in regions:
        if region.level == "region":
            assert region.parent_code is None
        else:
            assert region.parent_code in codes, region
            assert region.province_code in {"310000", "320000", "330000", "340000"}


def test_shanghai_is_one_city_with_its_districts(regions):
    shanghai = [r for r in regions if r.level == "city" and r.province_code == "310000"]
    assert [(r.code, r.name) for r in shanghai] == [("310100", "上海市")]
    districts = [r for r in regions if r.parent_code == "310100" and r.valid_to is None]
    assert len(districts) == 16
    assert "浦东新区" in {r.name for r in districts}


def test_builtin_groups(regions):
    groups = {g.code: g for g in read_builtin_groups(regions)}
    assert len(groups["cities"].members) == 41
    assert len(groups["central"].members) == 27
    assert (
        len(groups["sunan"].members) + len(groups["suzhong"].members) + len(groups["subei"].members)
        == 13
    )
    assert sorted(groups["demo_zone"].members) == ["310118", "320509", "330421"]


def test_area_of_a_square_degree_matches_hand_computation():
    from shapely.geometry import box

    # Sinusoidal projection of the 1°×1° cell from the equator: width R·Δλ·cos(φ) averaged over
    # φ∈[0°,1°] (≈0.99995) times height R·Δφ; R·π/180 = 111.195 km → 111.195² × 0.99995 ≈ 12364.
    assert area_km2(box(0, 0, 1, 1)) == pytest.approx(12364, rel=1e-3)


def test_yrd_area_is_close_to_the_official_figure(regions):
    # The plan outline gives 35.8万 km² for the YRD's 41 cities; outlines include some water.
    yrd = next(r for r in regions if r.level == "region")
    assert yrd.area_km2 == pytest.approx(358_000, rel=0.03)


def test_history_as_of_a_date(database):
    with database.read() as session:
        before = {
            r.code: r.name
            for r in region_repo.list_regions(session, level="county", as_of=date(2020, 12, 31))
        }
        after = {
            r.code: r.name
            for r in region_repo.list_regions(session, level="county", as_of=date(2022, 1, 1))
        }
    assert before["330104"] == "江干区" and "330114" not in before
    assert after["330114"] == "钱塘区" and "330104" not in after
    # The 2021 adjustment replaced Hangzhou's 10 urban districts by 10 others.
    assert len(before) == len(after) == 305
    assert before["330103"] == "下城区" and after["330105"] == "拱墅区" and "330103" not in after


def test_cli_regions_json_is_the_documented_shape(default_url):
    result = CliRunner().invoke(
        app, ["regions", "list", "--level", "city", "--format", "json", "--db", default_url]
    )
    assert result.exit_code == 0, result.output
    cities = json.loads(result.stdout)
    assert len(cities) == 41
    assert set(cities[0]) == {
        "code",
        "name",
        "level",
        "parent_code",
        "province_code",
        "valid_from",
        "valid_to",
    }
    nanjing = next(c for c in cities if c["name"] == "南京市")
    assert nanjing == {
        "code": "320100",
        "name": "南京市",
        "level": "city",
        "parent_code": "320000",
        "province_code": "320000",
        "valid_from": None,
        "valid_to": None,
    }


def test_cli_group_filter_and_csv(default_url):
    result = CliRunner().invoke(
        app, ["regions", "list", "--group", "苏南", "--format", "csv", "--db", default_url]
    )
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "code,name,level,parent_code,province_code,valid_from,valid_to"
    assert {line.split(",")[1] for line in lines[1:]} == {
        "南京市",
        "无锡市",
        "常州市",
        "苏州市",
        "镇江市",
    }
