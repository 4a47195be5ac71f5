"""`yrdplan disparity`, `convergence`, `benchmark`, `index build`: documented JSON, numbers that
match the analytics on the stored values, stored builds, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from yrdplan.analytics.disparity import decompose, disparity
from yrdplan.cli.main import app as cli
from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, PermissionDenied, YrdplanError
from yrdplan.services import index_builds, regional
from yrdplan.store.database import connect
from yrdplan.store.schema import ObservationRecord

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "index_demo.toml"
MEASURES = [
    "n",
    "mean",
    "sd",
    "cv",
    "weighted_cv",
    "theil_t",
    "theil_l",
    "ge2",
    "gini",
    "max_min_ratio",
]
OFFICE = UserInfo(id=0, username="system", role="office")


def _json(*args: str):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _stored(database, code: str, period: str) -> dict[str, float]:
    with database.read() as session:
        rows = session.execute(
            select(ObservationRecord.region_code, ObservationRecord.value).where(
                ObservationRecord.indicator_code == code,
                ObservationRecord.period == period,
                ObservationRecord.is_current,
            )
        ).all()
    return dict(rows)


def test_disparity_json_matches_the_analytics_on_stored_values(database, default_url):
    out = _json(
        "disparity", "--indicator", "GDP_PER_CAPITA", "--period", "2024", "--by", "province",
        "--weight", "POP", "--format", "json", "--db", default_url,
    )  # fmt: skip
    for name in MEASURES:
        assert name in out
    assert out["n"] == 41 and out["excluded"] == [] and out["simulated"] is True
    gdp, pop = _stored(database, "GDP", "2024"), _stored(database, "POP", "2024")
    cities = sorted(c for c in gdp if c.endswith("00") and not c.endswith("0000") or c == "310100")
    cities = [c for c in cities if c in pop]
    assert len(cities) == 41
    y = np.array([gdp[c] / pop[c] * 10000 for c in cities])
    w = np.array([pop[c] for c in cities])
    expected = disparity(y, w)
    assert out["cv"] == pytest.approx(expected.cv, abs=1e-12)
    assert out["weighted_cv"] == out["cv"]
    assert out["theil_l"] == pytest.approx(expected.theil_l, abs=1e-12)
    provinces = ["310000" if c == "310100" else c[:2] + "0000" for c in cities]
    parts = decompose(y, provinces, w, "theil_t")
    theil = out["decomposition"]["theil_t"]
    assert theil["between"] == pytest.approx(parts.between, abs=1e-12)
    assert theil["between"] + theil["within"] == pytest.approx(out["theil_t"], abs=1e-12)
    assert {g["name"] for g in theil["groups"]} == {"上海市", "江苏省", "浙江省", "安徽省"}
    assert set(theil["groups"][0]) >= {"name", "n", "mean", "share", "within"}
    assert set(out["decomposition"]) == {"theil_t", "theil_l"}


def test_disparity_unweighted_groups_bootstrap_and_permutation(default_url):
    out = _json(
        "disparity", "-i", "GDP_PER_CAPITA", "-p", "2024", "--regions", "320000",
        "--by", "sunan,suzhong,subei", "--bootstrap", "200", "--permutations", "199",
        "--seed", "4", "--format", "json", "--db", default_url,
    )  # fmt: skip
    assert out["n"] == 13 and out["weighted_cv"] is None
    groups = {g["name"]: g["n"] for g in out["decomposition"]["theil_t"]["groups"]}
    assert groups == {"苏南": 5, "苏中": 3, "苏北": 5}
    ci = out["intervals"]["cv"]
    assert ci["low"] <= out["cv"] <= ci["high"]
    assert 0 < out["permutation_test"]["p_value"] <= 1


def test_convergence_json(default_url):
    out = _json(
        "convergence", "--indicator", "GDP_PER_CAPITA", "--from", "2015", "--to", "2024",
        "--clubs", "province", "--format", "json", "--db", default_url,
    )  # fmt: skip
    assert [s["period"] for s in out["sigma"]] == [str(y) for y in range(2015, 2025)]
    assert out["n"] == 41 and out["beta_se"] > 0
    assert out["beta"] < 0 and out["half_life"] > 0  # the demo's poorer cities grow faster
    assert {c["code"] for c in out["clubs"]} == {
        "320000",
        "330000",
        "340000",
    }  # Shanghai alone: no club


def test_index_build_json_and_store(database, default_url):
    out = _json("index", "build", str(DEMO), "--format", "json", "--db", default_url)
    regions = out["regions"]
    assert len(regions) == 41
    for row in regions:
        assert set(row) >= {"code", "name", "score", "rank", "rank_p05", "rank_p95", "dimensions"}
        assert row["rank_p05"] <= row["rank_p95"]
        assert 0 <= row["score"] <= 100
        assert set(row["dimensions"]) == {
            "innovation", "infrastructure", "ecology", "public_service", "coordination", "green"
        }  # fmt: skip
    assert [r["rank"] for r in regions] == sorted(r["rank"] for r in regions)
    assert out["config"]["period"] == "2024" and len(out["config"]["indicators"]) == 19
    assert out["build"]["runs"] == 1000 and out["build"]["simulated"] is True
    table = regional.league_table(database)
    assert table["build"]["id"] == out["build"]["id"] and table["regions"] == regions
    again = _json("index", "build", str(DEMO), "--format", "json", "--db", default_url)
    assert [r["rank_p95"] for r in again["regions"]] == [r["rank_p95"] for r in regions]  # seeded
    listed = _json("index", "list", "--format", "json", "--db", default_url)
    assert [b["id"] for b in listed] == [again["build"]["id"], out["build"]["id"]]


def test_index_build_on_postgresql_too(any_default_url):
    database = connect(any_default_url)
    try:
        assert regional.league_table(database) is None
        built = index_builds.build_index(database, DEMO.read_text(encoding="utf-8"), OFFICE)
        assert regional.league_table(database, built["build"]["id"])["regions"] == built["regions"]
    finally:
        database.dispose()


def test_benchmark_anhui_against_the_best_of_hu_su_zhe(default_url):
    out = _json(
        "benchmark", "-i", "RD_INTENSITY", "-p", "2024", "--regions", "340000",
        "--peers", "310000,320000,330000", "--format", "json", "--db", default_url,
    )  # fmt: skip
    assert len(out["rows"]) == 16 and out["field_size"] == 41 and out["previous"] == "2023"
    best = max(r["value"] for r in out["rows"])
    assert out["peer_best"] >= best - 1e-9 or out["best"] == best
    for row in out["rows"]:
        assert row["gap_best"] == pytest.approx(out["best"] - row["value"])
        assert row["gap_peer_best"] == pytest.approx(max(out["peer_best"] - row["value"], 0))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["disparity", "-i", "NOPE", "-p", "2024"], "--indicator 'NOPE'"),
        (["disparity", "-i", "GDP", "-p", "2031"], "--period '2031': no GDP data"),
        (["disparity", "-i", "GDP", "-p", "2024", "--regions", "mars"], "--regions 'mars'"),
        (
            ["disparity", "-i", "GDP", "-p", "2024", "--by", "demo_zone"],
            "group 示范区两区一县 has none",
        ),
        (["disparity", "-i", "GDP", "-p", "2024", "--weight", "NOPE"], "--weight 'NOPE'"),
        (
            ["disparity", "-i", "GDP", "-p", "2024", "--regions", "310100"],
            "need at least two regions",
        ),
        (
            ["convergence", "-i", "GDP", "--from", "2024", "--to", "2015"],
            "--to '2015': must come after",
        ),
        (["index", "show"], "no index build yet"),
    ],
)
def test_errors_are_one_clear_line(default_url, args, message):
    result = runner.invoke(cli, [*args, "--db", default_url])
    # A YrdplanError reaches the entry point, which prints `error: …` and exits with 1.
    assert isinstance(result.exception, YrdplanError)
    assert message in str(result.exception)


def test_config_errors_name_the_file_and_field(tmp_path, database):
    bad = DEMO.read_text(encoding="utf-8").replace('direction = "lower"', 'direction = "down"', 1)
    with pytest.raises(InputError, match=r"x.toml: \[\[indicator\]\] #8 \(PM25\): direction"):
        index_builds.build_index(database, bad, OFFICE, where="x.toml")
    with pytest.raises(InputError, match="x.toml: unknown field 'colour'"):
        index_builds.build_index(database, 'colour = "red"\n' + bad, OFFICE, where="x.toml")
    with pytest.raises(PermissionDenied):
        index_builds.build_index(
            database, DEMO.read_text(encoding="utf-8"), UserInfo(5, "v", "viewer")
        )
    assert regional.league_table(database) is None  # nothing half-written


def test_conditional_beta_and_bad_covariate(database):
    with database.read() as session:
        absolute = regional.convergence_of(session, "GDP_PER_CAPITA", "2015", "2024")
        conditional = regional.convergence_of(
            session, "GDP_PER_CAPITA", "2015", "2024", covariates=["URBANIZATION"]
        )
        assert [c["code"] for c in conditional["covariates"]] == ["URBANIZATION"]
        assert conditional["beta"] != absolute["beta"] and conditional["n"] == 41
        with pytest.raises(InputError, match="--covariate 'G5_COVERAGE': no data in 2015"):
            regional.convergence_of(
                session, "GDP_PER_CAPITA", "2015", "2024", covariates=["G5_COVERAGE"]
            )


def test_results_follow_the_data(database):
    """A kept result is replaced when an observation changes (the key is the data state)."""
    from yrdplan.domain.indicators import Observation
    from yrdplan.store.repos import indicators as repo

    before = regional.disparity_over_time(database, "PM25")
    with database.write() as session:
        repo.add_observations(
            session, [Observation("320100", "PM25", "2024", 99.0, "test", "2025-06-30", False)]
        )
    after = regional.disparity_over_time(database, "PM25")
    assert after["latest"]["cv"] != before["latest"]["cv"]
    nanjing = next(v for v in after["values"] if v["code"] == "320100")
    assert nanjing["value"] == 99.0


def test_benchmark_at_county_level(database, default_url):
    from yrdplan.domain.indicators import Observation
    from yrdplan.store.repos import indicators as repo

    values = {"340102": 30.0, "340103": 36.0, "340104": 42.0, "330102": 25.0, "330105": 28.0}
    with database.write() as session:
        repo.add_observations(
            session,
            [
                Observation(c, "PM25", "2024", v, "test", "2025-06-30", False)
                for c, v in values.items()
            ],
        )
    out = _json(
        "benchmark", "-i", "PM25", "-p", "2024", "--regions", "340000", "--peers", "330000",
        "--level", "county", "--format", "json", "--db", default_url,
    )  # fmt: skip
    assert [r["code"] for r in out["rows"]] == ["340102", "340103", "340104"]
    assert out["best"] == 25.0 and out["peer_best"] == 25.0  # lower is better
    assert [r["gap_best"] for r in out["rows"]] == [5.0, 11.0, 17.0]
    assert [r["rank"] for r in out["rows"]] == [3, 4, 5]
    assert len(out["excluded"]) == 104 - 3 + 90 - 2  # every county without a value, listed


def test_a_period_that_cannot_be_measured_is_reported(database):
    over = regional.disparity_over_time(database, "GDP_GROWTH")  # 2020: negative growth rates
    assert "2020" not in [p["period"] for p in over["periods"]]
    assert [s["period"] for s in over["skipped"]] == ["2020"]
    assert "negative value" in over["skipped"][0]["detail"]
