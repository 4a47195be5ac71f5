"""Issue 11's "done when", in a real headless Chromium and the browser only: as admin, a unit and
a reporter for it; as the office, an indicator with a formula and a target for it, a month of
observations imported from the downloaded template after fixing what the preview showed, and the
lagging margin — then the CLI, the API and the audit page show the same state."""

from __future__ import annotations

import csv
import json

import pytest
from browser import browser_page, log_in, running_server, screenshot
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.settings import load_settings
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
        assert "at least 8" in page.locator(".field-error").inner_text()
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
        assert "zero" in page.locator(".field-error").inner_text()
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
        screenshot(page, "office-05-preview-errors")
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
