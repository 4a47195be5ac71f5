"""`yrdplan monitor`, `indicators`, `targets` and `data` from the command line; the demo data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.demo.indicators import City, simulate
from yrdplan.store.schema import MonitorRun, ObservationRecord, TargetRecord, TaskIndicator

runner = CliRunner()
FIXTURE = Path(__file__).parent / "fixtures" / "monitoring" / "nanjing_observations.csv"
FIELDS = [
    "region_code", "indicator_code", "target_year", "target_value", "comparator", "base_period",
    "base_value", "latest_period", "latest_value", "expected_value", "observed_rate",
    "required_rate", "ratio", "projected_value", "status", "warning",
]  # fmt: skip
STATUSES = {"achieved", "on_track", "moderate", "limited", "deteriorating", "insufficient_data"}


def _json(*args: str):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result


def test_monitor_json_has_exactly_the_documented_fields(default_url):
    rows, result = _json("monitor", "--region", "320100", "--format", "json", "--db", default_url)
    assert len(rows) == 15  # the Nanjing plan's 2025 targets
    for row in rows:
        assert list(row) == FIELDS
        assert row["status"] in STATUSES and row["warning"] in {"green", "yellow", "orange", "red"}
        assert row["target_year"] == 2025 and row["status"] != "insufficient_data"
    assert "simulated" in result.stderr  # the demo values are said to be simulated
    energy = next(r for r in rows if r["indicator_code"] == "ENERGY_INTENSITY")
    assert energy["comparator"] == "relative" and energy["base_period"] == "2017"
    assert energy["target_value"] == pytest.approx(energy["base_value"] * 0.9)  # 较2017年下降10%


def test_cli_import_then_nanjing_statuses(database, default_url):
    result = runner.invoke(cli, ["data", "import", str(FIXTURE), "--db", default_url])
    assert result.exit_code == 0 and "24 observations read; 0 added, 24 revised" in result.stdout
    rows, _ = _json("monitor", "--region", "320100", "--format", "json", "--db", default_url)
    by_code = {r["indicator_code"]: r for r in rows}
    hitech = by_code["HITECH_OUTPUT_SHARE"]
    # 45.0 (2015) -> 44.8 (2024) against >= 51 by 2025: a falling share, hence red.
    assert hitech["observed_rate"] == pytest.approx((44.8 / 45.0) ** (1 / 9) - 1)
    assert hitech["required_rate"] == pytest.approx((51 / 45.0) ** (1 / 10) - 1)
    assert (hitech["status"], hitech["warning"]) == ("deteriorating", "red")
    assert (by_code["PM25"]["status"], by_code["PM25"]["warning"]) == ("achieved", "green")
    tech = by_code["TECH_PROGRESS_CONTRIB"]
    assert tech["ratio"] == pytest.approx(((66 / 60) ** (1 / 9) - 1) / ((70 / 60) ** 0.1 - 1))
    assert tech["status"] == "moderate"
    table = runner.invoke(
        cli, ["monitor", "--region", "320100", "--db", default_url], env={"COLUMNS": "200"}
    )
    assert "HITECH_OUTPUT_SHARE" in table.stdout and "deteriorating" in table.stdout
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(MonitorRun)) == 2


def test_monitor_refuses_unknown_codes(default_url):
    result = runner.invoke(cli, ["monitor", "--region", "999999", "--db", default_url])
    assert result.exit_code != 0
    result = runner.invoke(cli, ["monitor", "--indicator", "NOPE", "--db", default_url])
    assert result.exit_code != 0


def test_lists_and_csv_round_trip(default_url, tmp_path):
    catalogue, _ = _json("indicators", "list", "--format", "json", "--db", default_url)
    assert {i["code"] for i in catalogue} >= {"PM25", "RAIL_DENSITY"}
    targets, _ = _json(
        "targets", "list", "--region", "320100", "--format", "json", "--db", default_url
    )
    assert len(targets) == 15
    exported = runner.invoke(
        cli,
        [
            "data",
            "list",
            "--region",
            "320100",
            "--indicator",
            "PM25",
            "--format",
            "csv",
            "--db",
            default_url,
        ],
    ).stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 10 and rows[0]["simulated"] == "True" and rows[0]["source"] == "simulated"
    # The export is the long exchange format: importing it back changes nothing.
    path = tmp_path / "back.csv"
    path.write_text(exported, encoding="utf-8")
    again = runner.invoke(cli, ["data", "import", str(path), "--db", default_url])
    assert "10 unchanged" in again.stdout


def test_demo_data_is_simulated_labelled_and_complete(database):
    with database.read() as session:
        rows = session.execute(
            select(ObservationRecord.source, ObservationRecord.is_simulated, func.count()).group_by(
                ObservationRecord.source, ObservationRecord.is_simulated
            )
        ).all()
        cities = session.scalar(select(func.count(func.distinct(ObservationRecord.region_code))))
        years = session.scalars(select(ObservationRecord.period).distinct()).all()
        linked = set(session.scalars(select(TaskIndicator.indicator_code)))
        nanjing = set(
            session.scalars(
                select(TargetRecord.indicator_code).where(TargetRecord.region_code == "320100")
            )
        )
    assert [(source, simulated) for source, simulated, _ in rows] == [("simulated", True)]
    assert cities == 41 and sorted(years) == [str(y) for y in range(2015, 2025)]
    assert nanjing - {"INDUSTRY_LANDMARKS"} <= linked  # every Nanjing target leads to tasks


def test_generator_is_seeded_and_plausible():
    cities = [
        City("320100", "320000", 824.0, 11.8, 6595.0),
        City("341200", "340000", 790.0, 1.5, 10153.0),
    ]
    years = list(range(2015, 2025))
    first = simulate(cities, years, np.random.default_rng(7), {"320000": 22, "340000": 33})
    again = simulate(cities, years, np.random.default_rng(7), {"320000": 22, "340000": 33})
    assert all(np.array_equal(first[k], again[k], equal_nan=True) for k in first)
    assert (first["GDP"][0] / first["POP"][0]).min() > (first["GDP"][1] / first["POP"][1]).max()
    assert (first["POP_URBAN"] < first["POP"]).all() and (first["FOREST_COVERAGE"] <= 80).all()
    assert np.isnan(first["G5_COVERAGE"][:, :4]).all() and (first["G5_COVERAGE"][:, 4:] > 0).all()
    assert (np.diff(first["PM25"], axis=1).mean() < 0) and (np.diff(first["O3"], axis=1).mean() > 0)
