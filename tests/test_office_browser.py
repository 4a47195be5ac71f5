"""Issue 11's "done when", in a real headless Chromium and the browser only: as admin, a unit and
a reporter for it; as the office, an indicator with a formula and a target for it, a month of
observations imported from the downloaded template after fixing what the preview showed, and the
lagging margin — then the CLI, the API and the audit page show the same state."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from browser import browser_page, log_in, running_server, screenshot
from delivery_helpers import add_reporter, make_plan
from openpyxl import load_workbook
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services import cycles, task_edits
from yrdplan.settings import load_settings
from yrdplan.store.schema import Unit
from yrdplan.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(database):
    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


def _submit(page, form: str, **fields) -> None:
    for name, value in fields.items():
        selector = f"{form} [name={name}]"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state("networkidle")


def _log_out(page) -> None:
    page.click("header button.link, .account button.link")
    page.wait_for_load_state("networkidle")


def test_office_runs_from_the_browser(base_url, database, tmp_path):
    with browser_page() as page:
        log_in(page, base_url, "admin")
        page.goto(f"{base_url}/units")
        _submit(
            page,
            "#unit-form",
            code="sh-swj",
            name="上海市商务委员会",
            short_name="市商务委",
            kind="department",
            region_code="310000",
            contact="021-0000",
        )
        assert "已保存" in page.locator("#done").inner_text()
        page.goto(f"{base_url}/users")
        _submit(
            page,
            "#add-user",
            username="swj_rep",
            display_name="商务委填报员",
            role="unit_reporter",
            password="short",
        )
        assert page.locator(".field-error").inner_text() == "密码至少 8 位"
        assert page.input_value("#add-user [name=username]") == "swj_rep"  # kept as typed
        screenshot(page, "office-01-user-refused")
        _submit(page, "#add-user", unit_code="sh-swj", password="a-long-password")
        assert page.url.endswith("/users/swj_rep")
        screenshot(page, "office-02-user-page")
        _log_out(page)

        log_in(page, base_url, "office")
        page.goto(f"{base_url}/catalogue")
        _submit(
            page,
            "#indicator-form",
            code="EXP_M",
            name="月度出口额",
            unit="亿元",
            direction="higher",
            frequency="month",
            source="海关统计",
        )
        _submit(
            page,
            "#indicator-form",
            code="EXP_SHARE",
            name="出口额（万元）",
            unit="万元",
            direction="higher",
            frequency="month",
            formula="EXP_M * 10000 / (2 - 2)",
        )
        assert page.locator(".field-error").inner_text() == "公式除以常数零"
        screenshot(page, "office-03-formula-refused")
        _submit(page, "#indicator-form", formula="EXP_M * 10000")
        assert "EXP_SHARE" in page.locator("#done").inner_text()

        page.goto(f"{base_url}/targets?indicator=EXP_M")
        _submit(
            page,
            "#target-form",
            region_code="320100",
            year="2025",
            comparator=">=",
            value="300",
            reason="南京市外贸工作要点",
        )
        assert "新增 1" in page.locator("#done").inner_text()
        screenshot(page, "office-04-target")

        page.goto(f"{base_url}/imports")
        assert page.locator("#templates [data-kind=plans]").count() == 1
        screenshot(page, "office-05-imports")
        with page.expect_download() as download:
            page.click("a[href='/imports/templates/observations.csv']")
        template = tmp_path / "observations.csv"
        download.value.save_as(template)
        with template.open(encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle))
        rows = [["320100", "EXP_M", "2025-01", "25,5x"], ["320200", "EXP_M", "2025-01", "12"]]
        with template.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header[:4])
            writer.writerows(rows)
        page.select_option("#import-form [name=kind]", "observations")
        page.set_input_files("#import-form input[type=file]", str(template))
        page.click("#import-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        problem = page.locator("#problems tr.problem.error").first.inner_text()
        assert "2" in problem and "value" in problem
        assert page.locator("#confirm").count() == 0
        screenshot(page, "office-05b-preview-errors")
        page.click("#cancel")
        page.wait_for_load_state("networkidle")

        rows[0][3] = "25.5"
        with template.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header[:4])
            writer.writerows(rows)
        page.set_input_files("#import-form input[type=file]", str(template))
        page.click("#import-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "新增 2" in page.locator("#summary").inner_text().replace("\n", " ").replace(
            "  ", " "
        )
        screenshot(page, "office-06-preview-ok")
        page.click("#confirm")
        page.wait_for_load_state("networkidle")
        assert "已写入" in page.locator("#summary").inner_text()

        page.goto(f"{base_url}/settings")
        _submit(page, "#setting-delivery-lagging_margin", value="7.5")
        assert "office" in page.locator("#settings").inner_text()
        screenshot(page, "office-07-settings")
        page.goto(f"{base_url}/audit")
        audit = page.locator("body").inner_text()
        screenshot(page, "office-08-audit")

    # The CLI, the API and the audit page agree with what the browser did.
    runner = CliRunner()
    margin = runner.invoke(cli, ["tasks", "margin", "--db", database.url])
    assert "7.5" in margin.output
    users = runner.invoke(cli, ["users", "list", "--format", "json", "--db", database.url])
    assert any(u["username"] == "swj_rep" for u in json.loads(users.stdout))
    units = runner.invoke(cli, ["units", "list", "--format", "json", "--db", database.url])
    assert any(u["code"] == "sh-swj" for u in json.loads(units.stdout))
    with database.read() as session:
        from yrdplan.services.indicator_data import list_observations

        values = list_observations(session, indicator="EXP_M")
    assert sorted(v["value"] for v in values) == [12.0, 25.5]
    assert "instance_settings" in audit and "observations" in audit


def _cycles_due(database) -> None:
    """Tasks 1 and 2 led by 测试交通局 (t-jt, reporter jt1), task 4 by 测试生态环境局 (t-hb, with a
    contact); one open cycle due in 2 days, one in 5 days."""
    plan = make_plan(database, issued_on=date(date.today().year - 1, 1, 1))
    add_reporter(database, "jt1", "t-jt")
    add_reporter(database, "hb", "t-hb")
    with database.write() as session:
        for number, lead in ((1, "t-jt"), (2, "t-jt"), (4, "t-hb")):
            task_edits.update_task(
                session,
                plan.task(number),
                task_edits.TaskUpdate(lead_unit=lead),
                user=SYSTEM_CALLER,
            )
        session.query(Unit).filter(Unit.code == "t-hb").one().contact = "李科长 025-7654321"
        for name, due in (("2026年12月上旬调度", 2), ("2026年12月中旬调度", 5)):
            cycles.open_cycle(
                session,
                plan.code,
                name=name,
                opens_on=date.today() - timedelta(days=10),
                due_on=date.today() + timedelta(days=due),
                user=SYSTEM_CALLER,
            )


def test_reporting_reminders_from_the_settings_page_to_a_units_banner(base_url, database, tmp_path):
    _cycles_due(database)
    with browser_page() as page:
        log_in(page, base_url, "office")
        page.goto(f"{base_url}/settings")
        _submit(page, "#setting-reminders-days_before", value="2.5")
        assert page.locator(".field-error").inner_text() == "须为 0 到 90 之间的整数"
        assert page.input_value("#setting-reminders-days_before [name=value]") == "2.5"
        screenshot(page, "office-09-reminder-setting-refused")
        page.click("#reminders-link")
        page.wait_for_load_state("networkidle")
        units = page.locator("#reminders tbody tr")
        assert units.count() == 2  # the cycle due in 2 days: 交通局 and 生态环境局
        page.goto(f"{base_url}/settings")
        _submit(page, "#setting-reminders-days_before", value="5")
        settings = page.locator("#settings").inner_text()
        assert "截止日前几天开始提醒" in settings and "office" in settings
        screenshot(page, "office-10-reminder-settings")
        page.goto(f"{base_url}/tasks/reminders")
        table = page.locator("#reminders").inner_text()
        assert page.locator("#reminders tbody tr").count() == 4
        assert "李科长 025-7654321" in table and "2026年12月中旬调度" in table
        screenshot(page, "office-11-reminders")
        with page.expect_download() as download:
            page.click("#reminders-xlsx")
        path = tmp_path / "reminders.xlsx"
        download.value.save_as(path)
        rows = list(load_workbook(path).active.iter_rows(values_only=True))
        assert rows[0][5] == "责任单位" and len(rows) == 5
        _log_out(page)

        log_in(page, base_url, "jt1")
        page.goto(f"{base_url}/tasks/mine")
        banners = page.locator(".reminder")
        assert banners.count() == 2 and "本单位还有 2 项任务未报送" in banners.first.inner_text()
        screenshot(page, "office-12-reminder-banner")


def test_a_plan_document_through_the_imports_page(base_url, database):
    plan = Path(__file__).parent / "fixtures" / "plans" / "utf8_bom_plan.txt"
    with browser_page() as page:
        log_in(page, base_url, "office")
        page.goto(f"{base_url}/imports")
        page.select_option("#import-form [name=kind]", "plans")
        page.set_input_files("#import-form input[type=file]", str(plan))
        page.click("#import-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "草稿" in page.locator("#plan-draft").inner_text()
        assert "尚未写入" in page.locator("#summary").inner_text()
        screenshot(page, "office-13-plan-preview")
        page.click("#confirm")
        page.wait_for_load_state("networkidle")
        page.click("#plan-review")
        page.wait_for_load_state("networkidle")
        assert "/versions/1" in page.url
        screenshot(page, "office-14-plan-draft")
