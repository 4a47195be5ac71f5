"""Completion rates and statuses on a synthetic plan whose numbers are checked by hand, on SQLite
and PostgreSQL; the CLI's documented JSON."""

from __future__ import annotations

import functools
import json
from datetime import date

import pytest
from delivery_helpers import make_plan
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.reports.task_text import status_reason_text
from yrdplan.services import completion, task_edits, tasks
from yrdplan.store.database import connect
from yrdplan.store.schema import Task

AS_OF = date(2025, 1, 1)


@pytest.fixture
def graded(any_default_url):
    """The synthetic plan on each backend, in the state this module's docstrings describe.

    1 completed by its deadline, 2 completed after it, 3 overdue (60 %), 4 split into three
    sub-tasks (two completed, one on track at 50 %, that one in 玄武区), 5 suspended.
    """
    database = connect(any_default_url)
    plan = make_plan(database)
    with database.write() as session:
        update = functools.partial(task_edits.update_task, user=SYSTEM_CALLER)
        update(
            session,
            plan.task(1),
            task_edits.TaskUpdate(lead_unit="t-jt", deadline=date(2024, 12, 31)),
        )
        update(
            session,
            plan.task(2),
            task_edits.TaskUpdate(lead_unit="测试交通局", deadline=date(2024, 6, 30)),
        )
        update(
            session,
            plan.task(3),
            task_edits.TaskUpdate(lead_unit="t-fg", deadline=date(2024, 6, 30)),
        )
        update(
            session,
            plan.task(4),
            task_edits.TaskUpdate(lead_unit="t-hb", deadline=date(2025, 12, 31)),
        )
        update(session, plan.task(5), task_edits.TaskUpdate(lead_unit="t-hb", is_suspended=True))
        subs = [
            task_edits.add_subtask(
                session,
                plan.task(4),
                title,
                change=task_edits.TaskUpdate(lead_unit=lead, deadline=date(2025, 12, 31)),
                user=SYSTEM_CALLER,
            )
            for title, lead in (("岸线整治", "t-hb"), ("生态修复", "t-hb"), ("湿地保护", "t-qx"))
        ]
        facts = {
            plan.task(1): (100, date(2024, 11, 30)),
            plan.task(2): (100, date(2024, 9, 1)),
            plan.task(3): (60, None),
            subs[0].id: (100, date(2024, 5, 1)),
            subs[1].id: (100, date(2024, 12, 1)),
            subs[2].id: (50, None),
        }
        for task_id, (percent, done) in facts.items():
            row = session.get(Task, task_id)
            row.percent, row.completed_on = percent, done
        subs[2].region_code = "320102"
        sub_ids = [s.id for s in subs]
    yield database, plan, sub_ids
    database.dispose()


def _by_group(rows):
    return {r["group"]: r for r in rows}


def test_statuses_follow_the_rule_and_say_which(graded):
    database, plan, subs = graded
    with database.read() as session:
        rows = {
            r["id"]: r for r in tasks.task_rows(session, plan.code, as_of=AS_OF, user=SYSTEM_CALLER)
        }
    status = {i: rows[i]["status"] for i in rows}
    assert status[plan.task(1)] == "completed"
    assert status[plan.task(2)] == "completed_late"
    assert status[plan.task(3)] == "overdue"
    assert status[plan.task(5)] == "suspended"
    assert [status[s] for s in subs] == ["completed", "completed", "on_track"]
    assert rows[plan.task(3)]["status_reason"] == {
        "code": "past_deadline",
        "deadline": "2024-06-30",
        "days": 185,
        "percent": 60.0,
    }
    assert (
        status_reason_text(rows[plan.task(3)]["status_reason"])
        == "完成时限 2024-06-30 已过 185 天，尚未完成（进度 60%）"
    )
    assert status_reason_text(rows[plan.task(2)]["status_reason"], "en") == (
        "completed on 2024-09-01, 63 days after the deadline 2024-06-30"
    )
    # Task 4 rolls up its sub-tasks: (100 + 100 + 50) / 3; 50.1 % of its time has elapsed.
    assert rows[plan.task(4)]["percent"] == pytest.approx(83.3)
    assert rows[plan.task(4)]["status"] == "on_track"
    # Listed as the plan reads: each parent followed by its sub-tasks.
    assert [r["label"] for r in rows.values()] == [
        "1.",
        "2.",
        "3.",
        "4.",
        "4.1",
        "4.2",
        "4.3",
        "5.",
    ]


def test_completion_by_plan_area_unit_region_checked_by_hand(graded):
    database, plan, _ = graded
    with database.read() as session:
        by_plan = completion.completion_rows(session, plan.code, "plan", as_of=AS_OF)
        by_area = _by_group(completion.completion_rows(session, plan.code, "area", as_of=AS_OF))
        by_unit = _by_group(completion.completion_rows(session, plan.code, "unit", as_of=AS_OF))
        by_region = _by_group(completion.completion_rows(session, plan.code, "region", as_of=AS_OF))
    # 4 tasks count (5 is suspended): 1 + 1 + 0 + 2/3 completed.
    assert by_plan == [
        {
            "group": "t-plan",
            "total": 4.0,
            "completed": pytest.approx(8 / 3),
            "suspended": 1,
            "rate": pytest.approx(2 / 3),
        }
    ]
    assert (by_area["交通"]["total"], by_area["交通"]["completed"]) == (3.0, 2.0)
    assert by_area["生态"]["total"] == 1.0 and by_area["生态"]["completed"] == pytest.approx(2 / 3)
    assert by_area["生态"]["suspended"] == 1
    # By unit: each task not split further, once for its lead unit.
    assert {g: (r["completed"], r["total"], r["suspended"]) for g, r in by_unit.items()} == {
        "测试交通局": (2.0, 2.0, 0),
        "测试发展改革委": (0.0, 1.0, 0),
        "测试生态环境局": (2.0, 2.0, 1),
        "测试区": (0.0, 1.0, 0),
    }
    assert by_region["南京市"]["rate"] == pytest.approx(0.8)
    assert by_region["玄武区"] == {
        "group": "玄武区",
        "total": 1.0,
        "completed": 0.0,
        "suspended": 0,
        "rate": 0.0,
    }


def test_completion_over_time(graded):
    database, plan, _ = graded
    with database.read() as session:
        rows = completion.completion_trend(session, plan.code, [date(2024, 10, 1), AS_OF])
    # 2024-10-01: task 2 and one sub-task (1/3) were done.
    assert [(r["as_of"], round(r["completed"], 4), r["total"]) for r in rows] == [
        ("2024-10-01", 1.3333, 4.0),
        ("2025-01-01", 2.6667, 4.0),
    ]


def test_decomposed_task_counts_in_the_upper_plan(graded):
    database, plan, _ = graded
    upper_plan = "js-regional-coordination-2020"
    with database.read() as session:
        upper = next(
            r["id"]
            for r in tasks.task_rows(session, upper_plan, user=SYSTEM_CALLER)
            if r["title"] == "健全区域发展监测预警"
        )
        before = completion.completion_rows(session, upper_plan, "plan", as_of=AS_OF)[0]
    with database.write() as session:
        task_edits.update_task(
            session, plan.task(1), task_edits.TaskUpdate(upper_task_id=upper), user=SYSTEM_CALLER
        )
    with database.read() as session:
        after = completion.completion_rows(session, upper_plan, "plan", as_of=AS_OF)[0]
        row = next(
            r
            for r in tasks.task_rows(session, upper_plan, as_of=AS_OF, user=SYSTEM_CALLER)
            if r["id"] == upper
        )
    # The upper task's only child (our task 1) is completed: it counts 1 in its own plan.
    assert row["percent"] == 100.0
    assert after["completed"] == pytest.approx(before["completed"] + 1)
    assert after["total"] == before["total"]


def test_unknown_grouping_is_a_clear_error(graded):
    database, plan, _ = graded
    with database.read() as session, pytest.raises(Exception, match="--by 'city'"):
        completion.completion_rows(session, plan.code, "city")


def test_cli_completion_json_has_the_documented_fields(graded):
    database, plan, _ = graded
    result = CliRunner().invoke(
        cli,
        [
            "completion",
            "--plan",
            plan.code,
            "--by",
            "area",
            "--as-of",
            "2025-01-01",
            "--format",
            "json",
            "--db",
            database.url,
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["group"] for r in rows] == ["交通", "生态"]
    assert {"group", "total", "completed", "rate"} <= set(rows[0])
    assert rows[0]["rate"] == pytest.approx(2 / 3)
