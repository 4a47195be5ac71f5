"""Reporting reminders: hand-made cycle dates give exactly the expected units; the settings on
the settings page change the list; a unit's banner on "my tasks" shows only its own reminders;
the office's list has its JSON twin, .xlsx and .csv downloads and the CLI's twin."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from delivery_helpers import add_reporter, audit_count, make_plan, user_info
from openpyxl import load_workbook
from typer.testing import CliRunner
from web_helpers import csrf_of, login

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import FieldError, PermissionDenied
from yrdplan.services import cycles, office_settings, reminders, task_edits
from yrdplan.store.schema import Unit

TODAY = date.today()


def _day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@pytest.fixture
def plan_cycles(database):
    """Leads: tasks 1 and 2 测试交通局 (t-jt), task 4 测试生态环境局 (t-hb), task 5 测试发展改革委
    (t-fg, with a contact); task 3 has no lead. Cycles of the plan, as of today:

    soon     due in 2 days  — t-jt reported task 1, t-hb reported task 4
    later    due in 5 days  — nothing reported
    overdue  due 1 day ago  — t-hb's report on task 4 was returned
    closed   due tomorrow, closed
    future   opens tomorrow, due in 2 days
    """
    plan = make_plan(database, issued_on=date(TODAY.year - 1, 1, 1))
    for username, unit in (("jt1", "t-jt"), ("hb", "t-hb"), ("qx", "t-qx")):
        add_reporter(database, username, unit)
    deadline = date(TODAY.year + 1, 12, 31)
    ids = {}
    with database.write() as session:
        for number, lead in ((1, "t-jt"), (2, "t-jt"), (4, "t-hb"), (5, "t-fg")):
            task_edits.update_task(
                session,
                plan.task(number),
                task_edits.TaskUpdate(lead_unit=lead, deadline=deadline),
                user=SYSTEM_CALLER,
            )
        session.query(Unit).filter(Unit.code == "t-fg").one().contact = "王科长 025-1234567"
        for name, opens, due in (
            ("soon", -20, 2),
            ("later", -20, 5),
            ("overdue", -30, -1),
            ("closed", -20, 1),
            ("future", 1, 2),
        ):
            cycle = cycles.open_cycle(
                session,
                plan.code,
                name=name,
                opens_on=_day(opens),
                due_on=_day(due),
                user=SYSTEM_CALLER,
            )
            ids[name] = cycle.id
        cycles.close_cycle(session, ids["closed"], user=SYSTEM_CALLER)
    for username, cycle, number in (("jt1", "soon", 1), ("hb", "soon", 4), ("hb", "overdue", 4)):
        with database.write() as session:
            cycles.submit_report(
                session,
                cycles.ReportIn(ids[cycle], plan.task(number), "on_track", 40, "推进中"),
                user=user_info(database, username),
            )
    office = user_info(database, "office")
    with database.write() as session:
        (returned,) = [
            r
            for r in cycles.list_reports(session, office, cycle_id=ids["overdue"])
            if r["unit_code"] == "t-hb"
        ]
        cycles.review_report(session, returned["id"], accept=False, comment="请补充", user=office)
    return plan, ids


def _owed(rows) -> list[tuple]:
    return [(r["cycle"], r["unit_code"], r["owed"], r["days_left"]) for r in rows]


def test_exactly_the_units_that_owe_reports_in_cycles_due_soon_or_overdue(database, plan_cycles):
    plan, ids = plan_cycles
    with database.read() as session:
        rows = reminders.due_reminders(session, today=TODAY)
    assert _owed(rows) == [
        ("overdue", "t-fg", 1, -1),
        ("overdue", "t-hb", 1, -1),  # returned: owed again
        ("overdue", "t-jt", 2, -1),
        ("soon", "t-fg", 1, 2),
        ("soon", "t-jt", 1, 2),  # task 1 is in, task 2 is not
    ]
    soon_jt = rows[-1]
    assert soon_jt["task_ids"] == [plan.task(2)] and soon_jt["tasks"] == "2. 改造高速公路"
    assert rows[0]["contact"] == "王科长 025-1234567" and rows[0]["overdue"]
    with database.read() as session:  # 3 days ahead is within the window, 4 is not
        earlier = {d: reminders.due_reminders(session, today=_day(d)) for d in (-1, -2)}
    assert {r["cycle"] for r in earlier[-1]} == {"soon", "overdue"}
    assert {r["cycle"] for r in earlier[-2]} == {"overdue"}


def test_the_settings_change_the_list_audited_and_refusals_write_nothing(
    client, database, plan_cycles
):
    assert login(client, "office").status_code == 303
    url = f"/tasks/reminders?format=json&as_of={TODAY}"
    before = client.get(url).json()
    assert (before["enabled"], before["days_before"]) == (True, 3)
    assert {r["cycle"] for r in before["rows"]} == {"soon", "overdue"}

    audited = audit_count(database)
    for value in ("-1", "2.5", "91", "abc"):
        refused = client.post(
            "/settings",
            data={"csrf_token": csrf_of(client), "key": "reminders.days_before", "value": value},
        )
        assert refused.status_code == 400 and 'class="field-error"' in refused.text
        assert f'value="{value}"' in refused.text  # what was typed comes back
    assert audit_count(database) == audited

    client.post(
        "/settings",
        data={"csrf_token": csrf_of(client), "key": "reminders.days_before", "value": "5"},
    )
    after = client.get(url).json()
    assert after["days_before"] == 5
    assert {r["cycle"] for r in after["rows"]} == {"soon", "later", "overdue"}
    assert [(r["unit_code"], r["owed"]) for r in after["rows"] if r["cycle"] == "later"] == [
        ("t-fg", 1),
        ("t-hb", 1),
        ("t-jt", 2),
    ]
    shown = {s["key"]: s for s in client.get("/settings?format=json").json()["settings"]}
    days = shown["reminders.days_before"]
    assert (days["value"], days["default"], days["changed"]["by"]) == (5, 3, "office")

    client.post(
        "/settings",
        data={"csrf_token": csrf_of(client), "key": "reminders.enabled", "value": "0"},
    )
    off = client.get(url).json()
    assert off["enabled"] is False and off["rows"] == []
    assert "报送提醒已关闭" in client.get(f"/tasks/reminders?as_of={TODAY}").text


def test_downloads_and_the_cli_give_the_same_list(client, database, plan_cycles, tmp_path):
    assert login(client, "office").status_code == 303
    page = client.get("/tasks/reminders")
    assert page.status_code == 200 and 'data-unit="t-fg"' in page.text
    assert "王科长 025-1234567" in page.text and "逾期 1 天" in page.text
    table = list(csv.reader(io.StringIO(client.get("/tasks/reminders.csv").text.lstrip("\ufeff"))))
    assert table[0][:2] == ["调度", "规划"] and len(table) == 6
    book = load_workbook(io.BytesIO(client.get("/tasks/reminders.xlsx").content))
    assert [list(r) for r in book.active.iter_rows(values_only=True)][1][4] == "t-fg"
    assert client.get("/tasks/reminders.pdf").status_code == 400

    shown = CliRunner().invoke(
        cli, ["cycles", "reminders", "--db", database.url, "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    assert [(r["cycle"], r["unit_code"]) for r in json.loads(shown.output)] == [
        (r[0], r[4]) for r in table[1:]
    ]
    out = tmp_path / "提醒.xlsx"
    written = CliRunner().invoke(
        cli, ["cycles", "reminders", "--db", database.url, "--out", str(out)]
    )
    assert written.exit_code == 0 and "5 reminders" in written.output
    rows = [list(r) for r in load_workbook(out).active.iter_rows(values_only=True)]
    assert [["" if c is None else str(c) for c in r] for r in rows] == table


def test_a_units_banner_shows_only_its_own_reminders(client, database, plan_cycles):
    plan, ids = plan_cycles
    expected = {"jt1": [ids["overdue"], ids["soon"]], "hb": [ids["overdue"]], "qx": []}
    for username, cycle_ids in expected.items():
        client.cookies.clear()
        assert login(client, username).status_code == 303
        mine = client.get("/tasks/mine?format=json").json()
        assert [r["cycle_id"] for r in mine["reminders"]] == cycle_ids
        page = client.get("/tasks/mine").text
        assert page.count(' reminder" role="status"') == len(cycle_ids)
        if username == "hb":
            assert "提醒：overdue 已于" in page and "本单位还有 1 项任务未报送" in page
        # A reporter does not see the office's list.
        assert client.get("/tasks/reminders?format=json").status_code == 403

    # Reminders off: the banner goes (the cached page is rebuilt, settings being data).
    client.cookies.clear()
    login(client, "office")
    client.post(
        "/settings",
        data={"csrf_token": csrf_of(client), "key": "reminders.enabled", "value": "0"},
    )
    client.cookies.clear()
    login(client, "jt1")
    assert client.get("/tasks/mine?format=json").json()["reminders"] == []
    assert ' reminder" role="status"' not in client.get("/tasks/mine").text


def test_reminders_need_the_office_and_a_caller(database, plan_cycles):
    with database.read() as session:
        with pytest.raises(PermissionDenied):
            reminders.office_reminders(session, user_info(database, "jt1"))
        with pytest.raises(PermissionDenied):
            reminders.office_reminders(session, None)
        with pytest.raises(FieldError) as refused:
            office_settings.change_setting(
                session, user_info(database, "office"), "reminders.enabled", "2"
            )
    assert refused.value.field == "reminders.enabled"
