"""A plan published as Word, PDF or OFD through import, review and confirm: the store, the
baselines' import into observations, the CLI and the web."""

import json

import pytest
from plan_documents import write_docx, write_ofd
from sqlalchemy import select
from typer.testing import CliRunner
from web_helpers import csrf_of, login

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import PermissionDenied
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.services.plans import (
    PlanMeta,
    active_user,
    confirm_version,
    import_baselines,
    import_plan,
    list_baselines,
)
from yrdplan.store.database import connect
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.schema import ObservationRecord, TargetRecord


def _observations(session, source):
    return {
        (o.indicator_code, o.period, o.value)
        for o in session.scalars(
            select(ObservationRecord).where(
                ObservationRecord.source == source, ObservationRecord.is_current.is_(True)
            )
        )
    }


def test_store_keeps_tables_baselines_and_target_kinds(any_default_url, tmp_path):
    parsed = parse_plan(write_docx(tmp_path / "indicators.docx"))
    database = connect(any_default_url)
    try:
        with database.write() as session:
            result = import_plan(
                session, parsed, PlanMeta(code="nj-14", region="320100"), user=SYSTEM_CALLER
            )
            assert result.targets == len(parsed.targets) == 8
        with database.read() as session:
            plan = plan_repo.find_plan(session, "nj-14")
            version = plan_repo.get_version(session, plan, 1)
            (table,) = plan_repo.tables_of(session, version)
            assert table.rows == parsed.tables[0].rows and table.is_indicator_table
            stored = plan_repo.as_extracted_targets(
                plan_repo.targets_of(session, version), plan_repo.nodes_of(session, version)
            )
            assert [(t.kind, t.table, t.note) for t in stored] == [
                (t.kind, t.table, t.note) for t in parsed.targets
            ]
            rows = list_baselines(session, "nj-14")
            assert [(r["indicator"], r["value"], r["year"], r["skip"]) for r in rows] == [
                ("地区生产总值增长", 4.6, 2020, None),
                ("全员劳动生产率", 22.0, 2020, "indicator"),
                ("细颗粒物(PM2.5)平均浓度", 31.0, 2020, None),
                ("森林覆盖率", 26.5, 2020, None),
            ]
        with database.write() as session:
            summary = confirm_version(session, "nj-14", user=SYSTEM_CALLER)
            assert summary["targets"] == 5  # the ones with a catalogue code and a year
            office = active_user(session, "office")
            first = import_baselines(session, office, "nj-14")
            assert (first["added"] + first["revised"], first["skipped"]) == (3, {"indicator": 1})
        with database.write() as session:
            again = import_baselines(session, active_user(session, "office"), "nj-14")
            assert again["unchanged"] == 3 and again["added"] == again["revised"] == 0
        with database.read() as session:
            assert _observations(session, "plan nj-14 v1") == {
                ("GDP_GROWTH", "2020", 4.6),
                ("PM25", "2020", 31.0),
                ("FOREST_COVERAGE", "2020", 26.5),
            }
            energy = session.scalar(
                select(TargetRecord).where(TargetRecord.target_key == "nj-14:ENERGY_INTENSITY:2025")
            )
            assert (energy.comparator, energy.base_year, energy.relative_change) == (
                "relative",
                2020,
                -0.14,
            )
    finally:
        database.dispose()


def test_only_the_office_and_the_regions_stewards_import_baselines(database, tmp_path):
    parsed = parse_plan(write_docx(tmp_path / "indicators.docx"))
    with database.write() as session:
        import_plan(session, parsed, PlanMeta(code="sz-14", region="320500"), user=SYSTEM_CALLER)
        import_plan(session, parsed, PlanMeta(code="nj-14", region="320100"), user=SYSTEM_CALLER)
    for username, plan in (("nj_fgw", "nj-14"), ("steward_nj", "sz-14")):
        with pytest.raises(PermissionDenied), database.write() as session:
            import_baselines(session, active_user(session, username), plan)
    with database.write() as session:
        result = import_baselines(session, active_user(session, "steward_nj"), "nj-14")
        assert result["added"] + result["revised"] == 3
    with database.read() as session:  # the refused ones wrote nothing
        assert _observations(session, "plan sz-14 v1") == set()


def test_cli_parses_imports_confirms_and_imports_baselines(database, tmp_path):
    runner = CliRunner()
    docx_path = write_docx(tmp_path / "indicators.docx")
    parsed = runner.invoke(cli, ["plan", "parse", str(docx_path), "--format", "json"])
    assert parsed.exit_code == 0, parsed.output
    data = json.loads(parsed.output)
    assert {"baselines", "tables"} <= set(data)
    assert sum(t["table"] == "t1" for t in data["targets"]) == 8
    assert {t["kind"] for t in data["targets"]} == {"binding", "indicative"}

    ofd = write_ofd(tmp_path / "plan.ofd", [["关于推进长三角一体化的实施方案", "一、总体要求",
                                             "到2025年，常住人口城镇化率达到75%以上。"]])  # fmt: skip
    db = ["--db", database.url]
    imported = runner.invoke(cli, ["plan", "import", str(ofd), "--code", "ofd-plan", *db])
    assert imported.exit_code == 0 and "1 targets" in imported.output, imported.output
    imported = runner.invoke(
        cli, ["plan", "import", str(docx_path), "--code", "nj-14", "--region", "320100", *db]
    )
    assert imported.exit_code == 0 and "8 targets" in imported.output, imported.output
    assert "4 baselines" in " ".join(imported.output.split())  # Rich wraps long lines
    assert runner.invoke(cli, ["plan", "confirm", "nj-14", *db]).exit_code == 0
    listed = runner.invoke(cli, ["plan", "baselines", "nj-14", "--format", "json", *db])
    assert [row["value"] for row in json.loads(listed.output)] == [4.6, 22.0, 31.0, 26.5]
    refused = runner.invoke(cli, ["plan", "baselines", "nj-14", "--import", *db])
    assert refused.exit_code != 0 and "--as" in str(refused.exception)
    done = runner.invoke(cli, ["plan", "baselines", "nj-14", "--import", "--as", "office", *db])
    assert done.exit_code == 0 and "skipped: 1 (indicator)" in " ".join(done.output.split())
    with database.read() as session:
        assert len(_observations(session, "plan nj-14 v1")) == 3


def test_web_import_review_and_baselines(client, database, tmp_path):
    login(client, "office")
    path = write_docx(tmp_path / "indicators.docx")
    with path.open("rb") as handle:
        response = client.post(
            "/plans/import",
            data={"csrf_token": csrf_of(client), "kind": "implementation_plan", "region": "320100"},
            files={"file": ("indicators.docx", handle, "application/octet-stream")},
            follow_redirects=False,
        )
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    data = client.get(url + "?format=json").json()
    sources = data["sources"]
    (table,) = sources["tables"]
    assert table["rows"][2][1] == "地区生产总值增长" and table["header_rows"] == 2
    assert [data["targets"][i]["table"] for i in table["target_indexes"]] == ["t1"] * 8
    assert sources["text_target_indexes"] == []
    assert [b["skip"] for b in sources["baselines"]] == [None, "indicator", None, None]
    page = client.get(url).text
    assert 'id="table-t1"' in page and 'id="baselines"' in page and "约束性" in page
    imported = client.post(
        url + "/baselines/import", data={"csrf_token": csrf_of(client)}, follow_redirects=False
    )
    assert imported.status_code == 303
    with database.read() as session:
        code = data["plan"]["code"]
        assert len(_observations(session, f"plan {code} v1")) == 3
