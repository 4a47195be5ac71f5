"""Responsibility checklists: export, edit in Excel (openpyxl), import; all or nothing; errors that
name sheet, row, column and value; and an unchanged export imports as no change at all."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from delivery_helpers import audit_count, make_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.domain.tasks import CHECKLIST_HEADERS, STANDING_DEADLINE_PHRASES
from yrdplan.services import checklists, task_edits
from yrdplan.services import tasks as task_service
from yrdplan.store.database import connect

NANJING = "nj-implementation-2020"


def _export(database, plan=NANJING, **options) -> bytes:
    buffer = io.BytesIO()
    with database.read() as session:
        checklists.export_checklist(session, plan, buffer, **({"user": SYSTEM_CALLER} | options))
    return buffer.getvalue()


def _import(database, content: bytes, **options):
    with database.write() as session:
        return checklists.import_checklist(
            session, io.BytesIO(content), **({"user": SYSTEM_CALLER} | options)
        )


def _edit(content: bytes, edits: dict[tuple[int, str], object]) -> bytes:
    """Change cells by (Excel row, header) as a user would in Excel."""
    book = load_workbook(io.BytesIO(content))
    sheet = book["责任清单"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    for (row, header), value in edits.items():
        sheet.cell(row=row, column=columns[header], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content))["责任清单"]
    return list(sheet.iter_rows(values_only=True))


def test_export_has_the_documented_headers_and_one_row_per_task(database):
    content = _export(database)
    book = load_workbook(io.BytesIO(content))
    sheet = book["责任清单"]
    assert tuple(c.value for c in sheet[1])[:8] == CHECKLIST_HEADERS
    rows = _rows(content)[1:]
    assert len(rows) == 38  # 35 tasks and the demo's 3 sub-tasks of task 14
    assert rows[0][0] == "1." and rows[0][2] == "市规划资源局"
    assert sheet.freeze_panes == "C2"
    assert rows[14][0] == "14.1" and rows[14][8].startswith(f"{NANJING}:")


def test_export_of_one_units_part(database):
    rows = _rows(_export(database, unit="nj-sthjj"))[1:]
    assert rows and all("市生态环境局" in (r[2] or "") + (r[3] or "") for r in rows)


def test_unchanged_export_imports_as_no_change_sqlite_and_postgresql(any_default_url):
    database = connect(any_default_url)
    try:
        content = _export(database)
        before = audit_count(database)
        result = _import(database, content)
        assert result.rows == 38 and result.changed == [] and result.created == []
        assert audit_count(database) == before
    finally:
        database.dispose()


def test_units_filled_in_excel_are_imported(database):
    content = _export(database)
    # Row 2 is task 1; give it another lead (by abbreviation) and supporting units.
    edited = _edit(
        content,
        {
            (2, "牵头单位"): "市发改委",
            (2, "配合单位"): "市规划资源局，市交通局",
            (2, "完成时限"): "2026年底",
            (2, "阶段目标"): "2025-06-30：完成中期评估\n2026-12-31：全面完成",
        },
    )
    result = _import(database, edited)
    assert {c["field"] for c in result.changed} == {
        "lead_unit",
        "supporting_units",
        "deadline",
        "milestones",
    }
    assert any(w.kind == "unit_abbreviation" for w in result.warnings)
    with database.read() as session:
        row = task_service.task_rows(session, NANJING, user=SYSTEM_CALLER)[0]
    assert row["lead_unit"] == "市发展改革委"
    assert row["supporting_units"] == ["市规划资源局", "市交通运输局"]
    assert row["deadline"] == "2026-12-31"
    assert [m["title"] for m in row["milestones"]] == ["完成中期评估", "全面完成"]
    # And the file now round-trips unchanged again.
    before = audit_count(database)
    assert _import(database, _export(database)).changed == []
    assert audit_count(database) == before


def test_unknown_unit_is_refused_with_did_you_mean_and_nothing_changes(database):
    content = _edit(
        _export(database),
        {(2, "牵头单位"): "市发展改革局", (3, "配合单位"): "市规划资源局、不存在的单位"},
    )
    before = audit_count(database)
    with pytest.raises(checklists.ChecklistRejected) as caught:
        _import(database, content)
    errors = [p for p in caught.value.problems if p.severity == "error"]
    first = errors[0]
    assert (first.sheet, first.row, first.column, first.value) == (
        "责任清单",
        2,
        "牵头单位",
        "市发展改革局",
    )
    assert "did you mean “市发展改革委”" in first.message
    assert any(p.row == 3 and p.value == "不存在的单位" for p in errors)
    assert "责任清单" in str(caught.value) and "row 2" in str(caught.value)
    assert audit_count(database) == before


def test_one_bad_row_means_no_row_is_applied(database):
    content = _edit(
        _export(database),
        {(2, "牵头单位"): "市科技局", (4, "完成时限"): "明年春天"},
    )
    before = audit_count(database)
    with pytest.raises(checklists.ChecklistRejected, match="完成时限"):
        _import(database, content)
    assert audit_count(database) == before
    with database.read() as session:
        assert (
            task_service.task_rows(session, NANJING, user=SYSTEM_CALLER)[0]["lead_unit"]
            == "市规划资源局"
        )


def test_status_column_sets_suspension_only(database):
    content = _edit(_export(database), {(2, "状态"): "暂停实施", (3, "状态"): "已完成"})
    result = _import(database, content)
    assert [c["field"] for c in result.changed] == ["is_suspended"]
    assert any(w.kind == "status_computed" and w.row == 3 for w in result.warnings)
    with database.read() as session:
        rows = task_service.task_rows(session, NANJING, user=SYSTEM_CALLER)
    assert rows[0]["status"] == "suspended"


def test_new_row_without_key_adds_a_task(database):
    book = load_workbook(io.BytesIO(_export(database)))
    sheet = book["责任清单"]
    sheet.append(["36.", "新增：推进宁马一体化", "市发展改革委", "", "2027-12-31", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    result = _import(database, out.getvalue())
    assert result.created == ["+1"]
    with database.read() as session:
        assert (
            task_service.task_rows(session, NANJING, user=SYSTEM_CALLER)[-1]["title"]
            == "新增：推进宁马一体化"
        )


def test_a_file_of_another_plan_is_refused(database):
    with pytest.raises(Exception, match="is for plan nj-implementation-2020"):
        _import(database, _export(database), plan_ref="js-implementation-2020")


# --- the round trip as a property ---------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.sampled_from(list("南京市推进长三角一体化完成率，。；：（）—=1.0 abcXYZ\n")),
    max_size=40,
)
_UNITS = ["测试交通局", "测试生态环境局", "测试发展改革委", "测试区"]


@st.composite
def assignments(draw):
    lead = draw(st.sampled_from([None, *_UNITS]))
    support = draw(st.lists(st.sampled_from(_UNITS), max_size=3, unique=True))
    choice = draw(st.sampled_from(["date", "none", "standing"]))
    due = draw(st.dates(date(2020, 1, 1), date(2035, 12, 31))) if choice == "date" else None
    note = draw(st.sampled_from(STANDING_DEADLINE_PHRASES)) if choice == "standing" else ""
    milestones = draw(
        st.lists(
            st.tuples(_TEXT, st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2035, 12, 31)))),
            max_size=3,
        )
    )
    return task_edits.TaskUpdate(
        lead_unit=lead,
        supporting_units=support,
        deadline=due,
        deadline_note=note,
        milestones=[task_edits.MilestoneIn(t, d) for t, d in milestones],
        progress_text=draw(_TEXT),
        is_suspended=draw(st.booleans()),
    )


@pytest.fixture
def synthetic(database):
    return make_plan(database)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(assignments(), min_size=5, max_size=5))
def test_round_trip_changes_nothing_whatever_the_store_holds(database, synthetic, changes):
    with database.write() as session:
        for number, change in enumerate(changes, start=1):
            task_edits.update_task(session, synthetic.task(number), change, user=SYSTEM_CALLER)
    content = _export(database, synthetic.code)
    before = audit_count(database)
    result = _import(database, content)
    assert result.changed == [] and result.created == []
    assert audit_count(database) == before


# --- command line ---------------------------------------------------------------------------------


def test_cli_export_list_import(database, tmp_path):
    runner = CliRunner()
    xlsx = tmp_path / "nj.xlsx"
    result = runner.invoke(
        cli, ["tasks", "export", "--plan", NANJING, "--xlsx", str(xlsx), "--db", database.url]
    )
    assert result.exit_code == 0, result.output
    edited = tmp_path / "nj-edited.xlsx"
    edited.write_bytes(_edit(xlsx.read_bytes(), {(2, "牵头单位"): "市科技局"}))
    result = runner.invoke(cli, ["tasks", "import", str(edited), "--db", database.url])
    assert result.exit_code == 0, result.output
    assert "Changed 1 of 38 tasks" in result.stdout
    result = runner.invoke(
        cli, ["tasks", "list", "--plan", "2", "--format", "json", "--db", database.url]
    )
    rows = json.loads(result.stdout)
    assert {
        "id",
        "plan",
        "label",
        "title",
        "lead_unit",
        "supporting_units",
        "deadline",
        "status",
        "percent",
    } <= set(rows[0])
    assert rows[0]["plan"] == NANJING and rows[0]["lead_unit"] == "市科技局"


def test_cli_import_error_is_one_line_and_exit_1(database, tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_edit(_export(database), {(5, "牵头单位"): "市发改局"}))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "yrdplan.cli.main",
            "tasks",
            "import",
            str(bad),
            "--db",
            database.url,
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: checklist not imported")
    assert "row 5, column 牵头单位" in run.stderr
