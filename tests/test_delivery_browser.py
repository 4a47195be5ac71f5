"""Issue 4's "done when", in a real headless Chromium: export the Nanjing checklist, assign a
unit in Excel, import it, open a cycle, report as the unit, accept and return as the office, and
see statuses and completion rates change — in the browser and from the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from browser import browser_page, log_in, running_server, screenshot
from openpyxl import load_workbook
from typer.testing import CliRunner

from yrdplan.cli.main import app as cli
from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services import tasks as task_service
from yrdplan.settings import load_settings
from yrdplan.web.app import create_app

pytestmark = pytest.mark.browser
NANJING = "nj-implementation-2020"


@pytest.fixture
def base_url(database):
    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


def _completion(database) -> dict:
    result = CliRunner().invoke(
        cli, ["completion", "--plan", NANJING, "--format", "json", "--db", database.url]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


def _log_out(page) -> None:
    page.click("button.link")  # the header's 退出
    page.wait_for_load_state("networkidle")


def test_checklist_cycle_report_review_in_chromium(base_url, database, tmp_path):
    with database.read() as session:
        rows = task_service.task_rows(session, NANJING, user=SYSTEM_CALLER)
    open_rows = [
        r for r in rows if r["status"] not in ("completed", "completed_late") and not r["depth"]
    ]
    target, other = open_rows[0], open_rows[1]
    before = _completion(database)

    with browser_page() as page:
        # The office exports the checklist from the task board.
        log_in(page, base_url, "office")
        page.goto(f"{base_url}/tasks/plan/{NANJING}")
        screenshot(page, "delivery-01-board-before")
        with page.expect_download() as download:
            page.click("#export")
        exported = tmp_path / "nanjing.xlsx"
        download.value.save_as(exported)

        # Units are assigned in Excel: 市科技局 takes over two open tasks.
        book = load_workbook(exported)
        sheet = book["责任清单"]
        header = {cell.value: cell.column for cell in sheet[1]}
        for row in range(2, sheet.max_row + 1):
            label = sheet.cell(row=row, column=header["序号"]).value
            if label in (target["label"], other["label"]):
                sheet.cell(row=row, column=header["牵头单位"], value="市科技局")
                sheet.cell(row=row, column=header["配合单位"], value="市教育局、江宁区")
                sheet.cell(row=row, column=header["完成时限"], value="2027年底")
        filled = tmp_path / "nanjing-filled.xlsx"
        book.save(filled)

        page.set_input_files("#import-form input[type=file]", str(filled))
        page.click("#import-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "已导入" in page.locator("#import-ok").inner_text()
        screenshot(page, "delivery-02-import")

        # The office opens a reporting cycle.
        page.goto(f"{base_url}/tasks/cycles")
        page.fill("#open-cycle input[name=name]", "2026年浏览器测试调度")
        page.select_option("#open-cycle select[name=plan]", NANJING)
        page.fill("#open-cycle input[name=due_on]", (date.today() + timedelta(days=14)).isoformat())
        page.click("#open-cycle button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "2026年浏览器测试调度" in page.content()
        _log_out(page)

        # The unit reports on both tasks, one as completed with evidence and a blocker.
        log_in(page, base_url, "nj_kjj")
        page.goto(f"{base_url}/tasks/mine")
        cycle_section = page.locator("section[data-cycle]", has_text="2026年浏览器测试调度")
        card = cycle_section.locator(f"[id$='-{target['id']}']")
        card.locator("select[name=status]").select_option("completed")
        card.locator("input[name=percent]").fill("100")
        card.locator("textarea[name=narrative]").fill("已全面完成，通过验收")
        card.locator("textarea[name=blockers]").fill("后续运维经费需市级统筹")
        evidence = tmp_path / "验收报告.txt"
        evidence.write_text("验收合格（测试材料）", encoding="utf-8")
        card.locator("input[name=evidence]").set_input_files(str(evidence))
        card.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert "已报送" in page.locator("#flash").inner_text()
        card = page.locator("section[data-cycle]", has_text="2026年浏览器测试调度").locator(
            f"[id$='-{other['id']}']"
        )
        card.locator("input[name=percent]").fill("30")
        card.locator("textarea[name=narrative]").fill("正在推进前期工作")
        card.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        screenshot(page, "delivery-03-unit-reported")
        _log_out(page)

        # The office accepts one report and returns the other.
        log_in(page, base_url, "office")
        page.goto(f"{base_url}/tasks/review")
        screenshot(page, "delivery-04-review-queue")
        accepted = page.locator("section.report", has_text="已全面完成，通过验收")
        assert "验收报告.txt" in accepted.inner_text()
        accepted.locator("button.primary").click()
        page.wait_for_load_state("networkidle")
        returned = page.locator("section.report", has_text="正在推进前期工作")
        returned.locator("textarea[name=comment]").fill("请补充项目进度佐证材料")
        returned.locator("button.secondary").click()
        page.wait_for_load_state("networkidle")
        assert "已退回" in page.locator("#flash").inner_text()

        # Statuses and completion change.
        page.goto(f"{base_url}/tasks/plan/{NANJING}")
        row = page.locator(f"tr[data-task='{target['id']}']")
        assert row.get_attribute("data-status") == "completed"
        assert "市科技局" in row.locator("td.lead").inner_text()
        rate_text = page.locator("#plan-rate").inner_text()
        screenshot(page, "delivery-05-board-after")
        page.goto(f"{base_url}/tasks/{target['id']}")
        assert "已全面完成，通过验收" in page.locator("#reports").inner_text()
        assert "市科技局" in page.locator("#history").inner_text()
        screenshot(page, "delivery-06-task-page")
        page.goto(f"{base_url}/tasks/completion?plan={NANJING}")
        page.wait_for_selector("#chart-unit .main-svg")
        screenshot(page, "delivery-07-completion")
        page.goto(f"{base_url}/tasks/watch")
        assert "后续运维经费需市级统筹" in page.locator("#blockers").inner_text()
        screenshot(page, "delivery-08-watch")
        _log_out(page)

        # The unit sees the return and its comment.
        log_in(page, base_url, "nj_kjj")
        page.goto(f"{base_url}/tasks/mine")
        card = page.locator("section[data-cycle]", has_text="2026年浏览器测试调度").locator(
            f"[id$='-{other['id']}']"
        )
        assert "请补充项目进度佐证材料" in card.inner_text() and "退回修改" in card.inner_text()
        screenshot(page, "delivery-09-unit-sees-return")

    after = _completion(database)
    assert after["completed"] == pytest.approx(before["completed"] + 1)
    assert f"{after['rate']:.1%}" == rate_text
