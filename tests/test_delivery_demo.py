"""The delivery demo: units and reporters for the seed plans, the Nanjing plan's 35 tasks
assigned, simulated reporting from a seeded generator (same seed and day, same rows), every
generated row flagged as simulated; and the CLI over it."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.demo import delivery as demo_delivery
from yrdplan.demo.default_content import DEMO_ACCOUNTS, add_demo_accounts
from yrdplan.services.setup import init_database
from yrdplan.store.database import connect
from yrdplan.store.schema import (
    EvidenceFile,
    Plan,
    PlanUnit,
    ProgressReport,
    ReportingCycle,
    Task,
    Unit,
    User,
)

NANJING = "nj-implementation-2020"
DAY = date(2026, 5, 20)


@pytest.fixture(scope="module")
def bare_template(tmp_path_factory):
    """`yrdplan init --no-demo`, once."""
    path = tmp_path_factory.mktemp("bare") / "bare.db"
    init_database(f"sqlite:///{path}", with_demo=False)
    return path


def _demo_rows(path, today: date) -> list[tuple]:
    database = connect(f"sqlite:///{path}")
    try:
        with database.write() as session:
            demo_delivery.load_demo_units(session)
            add_demo_accounts(session)
            demo_delivery.load_demo_delivery(session, today=today)
        with database.read() as session:
            reports = session.execute(
                select(
                    ProgressReport.task_id,
                    ProgressReport.cycle_id,
                    ProgressReport.percent,
                    ProgressReport.status,
                    ProgressReport.review_state,
                    ProgressReport.submitted_at,
                    ProgressReport.blockers,
                ).order_by(ProgressReport.id)
            ).all()
            tasks = session.execute(
                select(
                    Task.id, Task.lead_unit_id, Task.deadline, Task.percent, Task.completed_on
                ).order_by(Task.id)
            ).all()
        return [tuple(r) for r in reports] + [tuple(t) for t in tasks]
    finally:
        database.dispose()


def test_the_generator_is_reproducible(bare_template, tmp_path):
    first, second, third = (tmp_path / f"{n}.db" for n in "abc")
    for path in (first, second, third):
        shutil.copy(bare_template, path)
    rows = _demo_rows(first, DAY)
    assert rows == _demo_rows(second, DAY)
    assert rows != _demo_rows(third, date(2026, 11, 20))  # another day: other cycles


def test_demo_content_is_assigned_and_labelled(database):
    with database.read() as session:
        plan = session.scalar(select(Plan).where(Plan.code == NANJING))
        tasks = session.scalars(select(Task).where(Task.plan_id == plan.id)).all()
        top = [t for t in tasks if t.parent_task_id is None]
        assert len(top) == 35 and all(t.lead_unit_id for t in top)
        assert all(t.is_simulated for t in tasks)
        assert (
            session.scalar(
                select(func.count())
                .select_from(ProgressReport)
                .where(ProgressReport.is_simulated.is_(False))
            )
            == 0
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(ReportingCycle)
                .where(ReportingCycle.is_simulated.is_(False))
            )
            == 0
        )
        assert session.scalar(select(func.count()).select_from(ProgressReport)) > 50
        groups = session.scalars(select(Unit.name).where(Unit.kind == "working_group")).all()
        assert len(groups) == 13 and "应急协同专题工作组" in groups
        # The Jiangsu plans register the working groups; Nanjing its departments and districts.
        registered = session.scalar(
            select(func.count()).select_from(PlanUnit).where(PlanUnit.plan_id == plan.id)
        )
        assert registered >= 30
        fgw = session.scalar(select(User).where(User.username == "nj_fgw"))
        assert fgw.role == "unit_reporter" and session.get(Unit, fgw.unit_id).name == "市发展改革委"
        files = session.scalars(select(EvidenceFile.content)).all()
        assert files and all("演示数据".encode() in f for f in files)
    assert {a.username for a in DEMO_ACCOUNTS} >= {"nj_fgw", "nj_kjj", "nj_jtj", "nj_sthjj"}


def test_cli_units_cycles_and_reports(database, tmp_path):
    runner = CliRunner()
    db = ["--db", database.url]
    result = runner.invoke(cli, ["units", "list", "--plan", NANJING, "--format", "json", *db])
    assert result.exit_code == 0 and any(
        u["name"] == "市交通运输局" for u in json.loads(result.stdout)
    )
    result = runner.invoke(
        cli, ["units", "add", "nj-test", "市测试局", "--alias", "测试局", "--plan", NANJING, *db]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["units", "add", "nj-test", "重复", *db])
    assert result.exit_code != 0
    result = runner.invoke(
        cli, ["cycles", "open", "--plan", NANJING, "--name", "CLI调度", "--due", "2099-01-31", *db]
    )
    assert result.exit_code == 0, result.output
    cycle = json.loads(runner.invoke(cli, ["cycles", "list", "--format", "json", *db]).stdout)[0]
    assert cycle["name"] == "CLI调度"
    listed = json.loads(
        runner.invoke(cli, ["tasks", "list", "--plan", NANJING, "--format", "json", *db]).stdout
    )
    label = next(
        r["label"] for r in listed if r["status"] not in ("completed", "completed_late")
    ).rstrip(".")
    result = runner.invoke(
        cli,
        [
            "tasks",
            "assign",
            label,
            "--plan",
            NANJING,
            "--lead",
            "市测试局",
            "--deadline",
            "2027年6月",
            *db,
        ],
    )
    assert result.exit_code == 0 and "lead_unit" in result.stdout
    result = runner.invoke(
        cli,
        [
            "users",
            "add",
            "cli_rep",
            "--role",
            "unit_reporter",
            "--unit",
            "nj-test",
            "--password",
            "yrdplan-demo",
            *db,
        ],
    )
    assert result.exit_code == 0, result.output
    evidence = tmp_path / "进展.txt"
    evidence.write_text("材料", encoding="utf-8")
    submit = [
        "cycles", "submit", "--as", "cli_rep", "--cycle", str(cycle["id"]), "--task", label,
        "--plan", NANJING, "--status", "on_track", "--percent", "35", "--evidence", str(evidence), *db,
    ]  # fmt: skip
    result = runner.invoke(cli, submit)
    assert result.exit_code == 0, result.output
    report_id = int(result.stdout.split()[-1])
    result = runner.invoke(cli, ["cycles", "accept", str(report_id), "--as", "cli_rep", *db])
    assert result.exit_code != 0  # a reporter cannot accept
    result = runner.invoke(cli, ["cycles", "accept", str(report_id), "--as", "office", *db])
    assert result.exit_code == 0, result.output
    rows = json.loads(
        runner.invoke(cli, ["tasks", "list", "--plan", NANJING, "--format", "json", *db]).stdout
    )
    row = next(r for r in rows if r["label"] == f"{label}.")
    assert (row["lead_unit"], row["percent"], row["deadline"]) == ("市测试局", 35.0, "2027-06-30")
    result = runner.invoke(
        cli, ["cycles", "completeness", str(cycle["id"]), "--format", "json", *db]
    )
    mine = next(r for r in json.loads(result.stdout) if r["unit"] == "市测试局")
    assert (mine["expected"], mine["submitted"], mine["on_time"]) == (1, 1, 1)
    result = runner.invoke(cli, ["tasks", "show", label, "--plan", NANJING, *db])
    assert json.loads(result.stdout)["reports"][0]["percent"] == 35
    result = runner.invoke(cli, ["tasks", "margin", "20", *db])
    assert "20 percentage points" in result.stdout
    result = runner.invoke(cli, ["cycles", "close", str(cycle["id"]), *db])
    assert result.exit_code == 0
    result = runner.invoke(
        cli, ["tasks", "split", label, "子任务一", "--plan", NANJING, "--lead", "市测试局", *db]
    )
    assert result.exit_code == 0 and "/1)" in result.stdout
    result = runner.invoke(
        cli, ["cycles", "reports", "--task", str(row["id"]), "--format", "json", *db]
    )
    assert json.loads(result.stdout)[0]["review_state"] == "accepted"
    result = runner.invoke(
        cli, ["cycles", "return", str(report_id), "--as", "office", "--comment", "x", *db]
    )
    assert result.exit_code != 0  # accepted reports are locked
