"""`yrdplan bulletin …` and `yrdplan evaluation …`: build writes the files and stores a draft,
list gives the documented JSON, publish and withdraw change the status, rebuild reproduces the
files, and errors are one clear line that changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import func, select
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.store.database import connect
from yrdplan.store.schema import AuditEntry, Bulletin, EvaluationAssessment

runner = CliRunner()
LIST_FIELDS = {
    "id", "kind", "title", "status", "scope", "plan", "cycle_id", "period", "as_of", "issuer",
    "snapshot_sha256", "simulated", "created_at", "published_at", "row_version",
}  # fmt: skip


def _run(*args: str):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_build_list_publish_rebuild_withdraw(default_url, tmp_path):
    out = tmp_path / "out"
    _run(
        "bulletin",
        "build",
        "--period",
        "2026",
        "--out",
        str(out),
        "--format",
        "xlsx,html",
        "--db",
        default_url,
    )
    files = sorted(p.name for p in out.iterdir())
    assert files == ["bulletin-2026-1.html", "bulletin-2026-1.xlsx"]
    rows = json.loads(_run("bulletin", "list", "--format", "json", "--db", default_url))
    assert len(rows) == 1 and set(rows[0]) == LIST_FIELDS
    assert (
        rows[0]["status"] == "draft"
        and rows[0]["scope"] == "period"
        and rows[0]["period"] == "2026"
    )
    _run("bulletin", "publish", "1", "--db", default_url)
    again = tmp_path / "again"
    _run(
        "bulletin",
        "rebuild",
        "1",
        "--out",
        str(again),
        "--format",
        "xlsx,html",
        "--db",
        default_url,
    )
    for name in files:
        assert (again / name).read_bytes() == (out / name).read_bytes()
    _run("bulletin", "withdraw", "1", "--reason", "数据有误", "--db", default_url)
    rows = json.loads(_run("bulletin", "list", "--format", "json", "--db", default_url))
    assert rows[0]["status"] == "withdrawn" and rows[0]["published_at"]


def test_evaluation_with_assessments(default_url, tmp_path):
    _run(
        "evaluation", "assess", "--plan", "nj-implementation-2020", "--stage", "mid_term",
        "--kind", "third_party", "--assessor", "某研究院", "--as", "assessor",
        "--score", "目标实现=75", "--text", "第三方意见", "--db", default_url,
    )  # fmt: skip
    out = tmp_path / "eval"
    _run(
        "evaluation", "build", "--plan", "nj-implementation-2020", "--stage", "mid_term",
        "--out", str(out), "--format", "html", "--db", default_url,
    )  # fmt: skip
    html = (out / "evaluation-nj-implementation-2020-mid_term-1.html").read_text(encoding="utf-8")
    assert "中期评估报告" in html and "第三方意见" in html and "尚未录入政府自评意见。" in html


def test_errors_are_one_line_and_change_nothing(default_url, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    database = connect(default_url)
    with database.read() as session:
        before = session.scalar(select(func.count(AuditEntry.id)))
    cases = [
        (["bulletin", "build", "--out", str(tmp_path), "--db", default_url], "not both"),
        (["bulletin", "build", "--cycle", "1", "--period", "2026", "--out", str(tmp_path), "--db", default_url], "not both"),
        (["bulletin", "build", "--period", "2026Q9", "--out", str(tmp_path), "--db", default_url], "2026Q9"),
        (["bulletin", "build", "--period", "2026", "--format", "odt", "--out", str(tmp_path), "--db", default_url], "odt"),
        (["evaluation", "build", "--plan", "nj-implementation-2020", "--stage", "midterm", "--out", str(tmp_path), "--db", default_url], "midterm"),
        (["bulletin", "publish", "7", "--db", default_url], "no bulletin 7"),
        (["evaluation", "assess", "--plan", "nj-implementation-2020", "--stage", "mid_term", "--kind", "third_party", "--assessor", "x", "--as", "office", "--db", default_url], "third-party"),
    ]  # fmt: skip
    for args, needle in cases:
        done = subprocess.run(
            [sys.executable, "-m", "yrdplan.cli.main", *args], capture_output=True, text=True
        )
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines
    with database.read() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == before
        assert session.scalar(select(func.count(Bulletin.id))) == 0
        assert session.scalar(select(func.count(EvaluationAssessment.id))) == 0
    assert list(tmp_path.iterdir()) == []
    database.dispose()


def test_an_evaluation_rebuilt_after_the_data_changed_gives_the_files_the_portal_serves(
    default_url, tmp_path
):
    """The README's walkthrough: build, publish, rebuild later from the same snapshot."""
    import io

    from docx import Document as read_docx
    from fastapi.testclient import TestClient

    from yrdplan.settings import load_settings
    from yrdplan.store.schema import Task
    from yrdplan.web.app import create_app

    out, again = tmp_path / "built", tmp_path / "again"
    _run(
        "evaluation", "build", "--plan", "nj-implementation-2020", "--stage", "mid_term",
        "--out", str(out), "--format", "docx,xlsx,html", "--db", default_url,
    )  # fmt: skip
    _run("bulletin", "publish", "1", "--db", default_url)
    database = connect(default_url)
    with database.write() as session:  # the data move on after the evaluation was built
        for task in session.scalars(select(Task)):
            task.title += "（已改）"
            task.percent = 100.0
    _run("bulletin", "rebuild", "1", "--out", str(again), "--db", default_url)
    stem = "evaluation-nj-implementation-2020-mid_term-1"
    for fmt in ("xlsx", "html"):
        assert (again / f"{stem}.{fmt}").read_bytes() == (out / f"{stem}.{fmt}").read_bytes()
    old, new = (read_docx(io.BytesIO((d / f"{stem}.docx").read_bytes())) for d in (out, again))
    assert [p.text for p in old.paragraphs] == [p.text for p in new.paragraphs]
    assert [[c.text for r in t.rows for c in r.cells] for t in old.tables] == [
        [c.text for r in t.rows for c in r.cells] for t in new.tables
    ]
    # An anonymous visitor downloads exactly those files from the portal.
    visitor = TestClient(create_app(load_settings(database_url=default_url), database))
    for fmt in ("xlsx", "html"):
        served = visitor.get(f"/public/bulletins/1/files/{fmt}")
        assert served.status_code == 200 and served.content == (out / f"{stem}.{fmt}").read_bytes()
    database.dispose()
