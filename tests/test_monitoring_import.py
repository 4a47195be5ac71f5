"""Imports of indicators, targets and observations: exchange formats, all-or-nothing, revisions.

Bad input of every kind the issue names fails with a problem naming file, row and column, on
the command line with exit code 1, and writes nothing (the tables and the audit log are as
they were).
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services.import_report import ImportFailed
from yrdplan.services.imports import import_file
from yrdplan.services.indicator_data import import_observations, import_targets
from yrdplan.services.monitor import MonitorOptions, run_monitor
from yrdplan.store.repos import indicators as repo
from yrdplan.store.schema import AuditEntry, IndicatorRecord, ObservationRecord, TargetRecord

runner = CliRunner()


def _counts(database) -> tuple[int, ...]:
    with database.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (ObservationRecord, TargetRecord, IndicatorRecord, AuditEntry)
        )


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _cli(*args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


BAD_OBSERVATIONS = {
    "unknown region": (
        "320100,PM25,2024,30\n999999,PM25,2024,31\n",
        "row 3, column region_code",
        "unknown region",
    ),
    "unknown indicator": (
        "320100,PM2_5X,2024,30\n",
        "row 2, column indicator_code",
        "unknown indicator",
    ),
    "text in a number": ("320100,PM25,2024,三十\n", "row 2, column value", "not a number"),
    "duplicated key": (
        "320100,PM25,2024,30\n320100,PM25,2024,31\n",
        "row 3, column value",
        "duplicate of row 2",
    ),
    "wrong frequency": ("320100,PM25,2024Q3,30\n", "row 2, column period", "is by year"),
    "impossible value": (
        "320100,URBANIZATION,2024,130\n",
        "row 2, column value",
        "impossible value",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_OBSERVATIONS))
def test_bad_observations_write_nothing(case, database, default_url, tmp_path):
    body, where, message = BAD_OBSERVATIONS[case]
    path = _write(tmp_path, "obs.csv", "region_code,indicator_code,period,value\n" + body)
    before = _counts(database)
    with database.write() as session, pytest.raises(ImportFailed) as caught:
        import_observations(session, path, progress=False, user=SYSTEM_CALLER)
    assert any(where in str(p) and message in str(p) for p in caught.value.problems), (
        caught.value.problems
    )
    assert _counts(database) == before
    result = _cli("data", "import", str(path), "--db", default_url)
    assert result.exit_code == 1
    assert f"obs.csv, {where}" in result.stderr and "nothing written" in result.stderr
    assert _counts(database) == before
    # The web's way in: the upload's bytes and its name, through the same use case.
    upload = io.BytesIO(path.read_bytes())
    with database.write() as session, pytest.raises(ImportFailed) as caught:
        import_file(session, SYSTEM_CALLER, "observations", upload, name="上传.csv")
    assert any(f"上传.csv, {where}" in str(p) for p in caught.value.problems)
    assert _counts(database) == before


BAD_TARGETS = {
    "impossible comparator": (
        "320100,PM25,2025,>>,35,,",
        "row 2, column comparator",
        "unknown comparator",
    ),
    "unknown region": ("329999,PM25,2025,<=,35,,", "row 2, column region_code", "unknown region"),
    "text in a number": ("320100,PM25,2025,<=,三十五,,", "row 2, column value", "not a number"),
    "duplicated key": (
        "320100,PM25,2025,<=,35,,\n320100,PM25,2025,<=,30,,",
        "row 3",
        "duplicate of row 2",
    ),
    "band without its high edge": (
        "320100,PM25,2025,between,30,,",
        "row 2",
        "between needs value and value_high",
    ),
    "relative without base year": (
        "320100,PM25,2025,relative,,,-0.1",
        "row 2, column base_year",
        "needs base_year",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_bad_targets_write_nothing(case, database, default_url, tmp_path):
    body, where, message = BAD_TARGETS[case]
    header = "region_code,indicator_code,year,comparator,value,base_year,relative_change\n"
    path = _write(tmp_path, "targets.csv", header + body + "\n")
    before = _counts(database)
    result = _cli("targets", "import", str(path), "--db", default_url)
    assert result.exit_code == 1
    assert where in result.stderr and message in result.stderr, result.stderr
    assert _counts(database) == before


def test_indicator_import_requires_a_direction(database, default_url, tmp_path):
    path = _write(tmp_path, "ind.csv", "code,name,unit,direction\nX_NEW,新指标,个,\n")
    before = _counts(database)
    result = _cli("indicators", "import", str(path), "--db", default_url)
    assert result.exit_code == 1 and "row 2, column direction" in result.stderr
    assert _counts(database) == before


def test_indicator_and_target_exchange_formats(database, default_url, tmp_path):
    indicators = _write(
        tmp_path,
        "ind.csv",
        "code,name,unit,direction,name_en,kind,aggregation\nX_GREEN,绿道长度,公里,higher,Greenway length,binding,sum\n",
    )
    result = _cli("indicators", "import", str(indicators), "--db", default_url)
    assert result.exit_code == 0 and "1 added" in result.stdout
    shown = json.loads(_cli("indicators", "show", "X_GREEN", "--db", default_url).stdout)
    assert (shown["direction"], shown["kind"], shown["aggregation"]) == ("higher", "binding", "sum")
    targets = _write(
        tmp_path,
        "t.csv",
        "region_code,indicator_code,year,comparator,value,value_high,base_year,base_value,relative_change,standard\n"
        "320100,X_GREEN,2025,>=,500,,2020,300,,\n"
        "310100,PM25,2025,<=,,,,,,GB 3095-2012\n"
        "320500,ENERGY_INTENSITY,2025,relative,,,2020,,-10%,\n",
    )
    result = _cli("targets", "import", str(targets), "--db", default_url)
    assert result.exit_code == 0, result.stderr
    listed = json.loads(
        _cli(
            "targets", "list", "--indicator", "X_GREEN", "--format", "json", "--db", default_url
        ).stdout
    )
    assert listed[0]["base_value"] == 300 and listed[0]["comparator"] == ">="
    with database.write() as session:
        rows = run_monitor(session, MonitorOptions(region="310100", indicator="PM25")).rows
        relative = run_monitor(
            session, MonitorOptions(region="320500", indicator="ENERGY_INTENSITY")
        ).rows
    assert rows[0]["target_value"] == 35  # GB 3095-2012 grade II, from monitoring.toml
    assert relative[0]["comparator"] == "relative" and relative[0]["base_period"] == "2020"
    assert relative[0]["target_value"] == pytest.approx(relative[0]["base_value"] * 0.9)


def test_target_revisions_are_kept(database, tmp_path):
    header = "region_code,indicator_code,year,comparator,value\n"
    with database.write() as session:
        import_targets(
            session,
            _write(tmp_path, "a.csv", header + "320100,PM25,2027,<=,33\n"),
            user=SYSTEM_CALLER,
        )
    with database.write() as session:
        report = import_targets(
            session,
            _write(tmp_path, "b.csv", header + "320100,PM25,2027,<=,30\n"),
            user=SYSTEM_CALLER,
        )
        assert report.revised == 1
        history = repo.target_history(session, "table:320100:PM25:2027")
        assert [(t.revision, t.value, t.is_current) for t in history] == [
            (1, 33, False),
            (2, 30, True),
        ]


def test_observations_are_revised_not_overwritten(database, default_url, tmp_path):
    header = "region_code,indicator_code,period,value,source,vintage\n"
    first = _write(
        tmp_path,
        "v1.csv",
        header + "320100,PM25,2023,31,年鉴,2024-06-30\n320100,PM25,2024,29,快报,2025-01-20\n",
    )
    second = _write(tmp_path, "v2.csv", header + "320100,PM25,2024,30,年鉴,2025-06-30\n")
    older = _write(tmp_path, "v0.csv", header + "320100,PM25,2024,27,初报,2024-12-31\n")
    assert _cli("data", "import", str(first), "--db", default_url).exit_code == 0
    again = _cli("data", "import", str(first), "--db", default_url)
    assert "0 added, 0 revised, 2 unchanged" in again.stdout
    assert "1 revised" in _cli("data", "import", str(second), "--db", default_url).stdout
    assert "kept as history" in _cli("data", "import", str(older), "--db", default_url).stdout
    with database.read() as session:
        history = repo.observation_history(session, "320100", "PM25")
        rows = [(h.period, h.value, h.vintage) for h in history if h.period == "2024"]
        current = {
            o.period: o.value
            for o in repo.observations(session, regions=["320100"], indicators=["PM25"])
        }
        past = {
            o.period: o.value
            for o in repo.observations(
                session, vintage="2025-03-01", regions=["320100"], indicators=["PM25"]
            )
        }
    # Every revision is there: the simulated demo value, the flash estimate, the yearbook, the first report.
    assert ("2024", 29.0, "2025-01-20") in rows and ("2024", 27.0, "2024-12-31") in rows
    assert current["2024"] == 30.0 and past["2024"] == 29.0
    as_then = json.loads(
        _cli(
            "monitor",
            "--region",
            "320100",
            "--indicator",
            "PM25",
            "--vintage",
            "2025-03-01",
            "--format",
            "json",
            "--db",
            default_url,
        ).stdout
    )
    now = json.loads(
        _cli(
            "monitor",
            "--region",
            "320100",
            "--indicator",
            "PM25",
            "--format",
            "json",
            "--db",
            default_url,
        ).stdout
    )
    assert (as_then[0]["latest_value"], now[0]["latest_value"]) == (29.0, 30.0)


def test_wide_table_with_chinese_headers_and_names(database, tmp_path):
    path = _write(
        tmp_path,
        "宽表.csv",
        "地区,指标,2022,2023,2024\n南京市,细颗粒物平均浓度,28,29,27\n苏州,PM2.5年均浓度,30,31,29\n",
    )
    with database.write() as session:
        report = import_observations(
            session, path, source="测试", vintage="2025-02-01", progress=False, user=SYSTEM_CALLER
        )
    assert report.read == 6
    with database.read() as session:
        values = {
            (o.region_code, o.period): o.value
            for o in repo.observations(session, indicators=["PM25"])
            if o.period == "2024"
        }
    assert values[("320100", "2024")] == 27 and values[("320500", "2024")] == 29


def test_missing_denominator_is_a_warning(database, tmp_path):
    # County 320102 has no area observation: railway density cannot be computed there.
    path = _write(
        tmp_path, "rail.csv", "region_code,indicator_code,period,value\n320102,RAIL_KM,2024,40\n"
    )
    with database.write() as session:
        report = import_observations(session, path, progress=False, user=SYSTEM_CALLER)
    kinds = {p.kind: p for p in report.problems}
    assert "missing_denominator" in kinds and "AREA_KM2" in kinds["missing_denominator"].message
    assert report.added == 1
