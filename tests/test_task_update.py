"""One task update for three callers: the task page's form, ``PATCH /api/tasks/{id}`` and
``yrdplan tasks assign`` read a change with ``TaskUpdate.from_fields`` and refuse it in the same
words, naming the field."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner
from web_helpers import csrf_of, login

from yrdplan.cli.main import app as cli
from yrdplan.errors import FieldError
from yrdplan.services.task_edits import KEEP, MilestoneIn, TaskUpdate

NANJING = "nj-implementation-2020"


def test_text_and_json_values_read_the_same():
    typed = TaskUpdate.from_fields(
        {
            "lead_unit": "市科技局",
            "supporting_units": ["市教育局", "市财政局"],
            "deadline": "2027年底",
            "start_date": date(2026, 1, 1),
            "milestones": [{"title": "立项", "due_date": date(2026, 6, 30)}],
            "is_major_project": True,
            "planned_investment": 12.5,
            "upper_task_id": 7,
        }
    )
    texted = TaskUpdate.from_fields(
        {
            "lead_unit": " 市科技局 ",
            "supporting_units": "市教育局，市财政局",
            "deadline": "2027年底",
            "start_date": "2026-01-01",
            "milestones": "2026-06-30：立项",
            "is_major_project": "on",
            "planned_investment": "12.5",
            "upper_task_id": "7",
        }
    )
    assert typed.deadline == texted.deadline == date(2027, 12, 31)
    assert typed.milestones == texted.milestones == [MilestoneIn("立项", date(2026, 6, 30))]
    assert (typed.lead_unit, typed.supporting_units) == (texted.lead_unit, texted.supporting_units)
    assert typed.start_date == texted.start_date and typed.upper_task_id == texted.upper_task_id
    assert typed.is_major_project is texted.is_major_project is True
    assert float(texted.planned_investment) == typed.planned_investment
    # What is not named stays; an empty value clears; a null flag is left alone.
    change = TaskUpdate.from_fields({"deadline": "", "lead_unit": "", "is_suspended": None})
    assert (change.deadline, change.deadline_note, change.lead_unit) == (None, "", None)
    assert change.is_suspended is KEEP and change.milestones is KEEP


@pytest.mark.parametrize(
    "fields, field, key",
    [
        ({"deadline": "明年春天"}, "deadline", "fe.deadline"),
        ({"start_date": "2026/01/01"}, "start_date", "fe.date"),
        ({"upper_task_id": "第七项"}, "upper_task_id", "fe.not_task"),
        ({"is_suspended": "maybe"}, "is_suspended", "fe.flag"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(fields, field, key):
    with pytest.raises(FieldError) as caught:
        TaskUpdate.from_fields(fields)
    assert (caught.value.field, caught.value.key) == (field, key)


def test_form_api_and_cli_refuse_a_bad_deadline_in_the_same_words(client, database):
    login(client, "office")
    task = client.get("/api/tasks", params={"plan": NANJING}).json()[0]
    headers = {"X-CSRF-Token": csrf_of(client)}
    api = client.patch(f"/api/tasks/{task['id']}", json={"deadline": "明年春天"}, headers=headers)
    assert api.status_code == 400
    cli_run = CliRunner().invoke(
        cli, ["tasks", "assign", str(task["id"]), "--deadline", "明年春天", "--db", database.url]
    )
    assert cli_run.exit_code == 1
    assert str(cli_run.exception) == api.json()["error"]
    assert api.json()["error"].startswith("deadline: '明年春天'")
    form = {
        "csrf_token": csrf_of(client),
        "row_version": str(task["row_version"]),
        "lead_unit": "",
        "deadline": "明年春天",
    }
    page = client.post(f"/tasks/{task['id']}", data=form)
    assert page.status_code == 400
    assert "完成时限：“明年春天”不是有效的完成时限" in page.text
    # Nothing was written by any of them.
    after = client.get(f"/api/tasks/{task['id']}").json()["task"]
    assert after["row_version"] == task["row_version"]


def test_the_form_takes_a_form_body_only(client):
    login(client, "office")
    task = client.get("/api/tasks", params={"plan": NANJING}).json()[0]
    answer = client.post(
        f"/tasks/{task['id']}", json=[1, 2, 3], headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert answer.status_code == 400 and "request body" in answer.text
    after = client.get(f"/api/tasks/{task['id']}").json()["task"]
    assert after["row_version"] == task["row_version"]
