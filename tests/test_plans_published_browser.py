"""In a real headless Chromium: import a plan published as PDF, review its indicator table
beside its targets and its baselines apart, import the baselines, confirm."""

import pytest
from browser import browser_page, log_in, running_server, screenshot
from plan_documents import INDICATOR_PLAN, print_pdf

from yrdplan.settings import load_settings
from yrdplan.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(database):
    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


def test_pdf_plan_review_shows_table_targets_and_baselines_apart(base_url, tmp_path):
    pdf = print_pdf(INDICATOR_PLAN, tmp_path / "nanjing-14.pdf")
    with browser_page() as page:
        log_in(page, base_url, "office")
        page.goto(base_url + "/plans")
        page.set_input_files("#import-form input[type=file]", str(pdf))
        page.fill("#import-form input[name=region]", "320100")
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#confirm")
        text_targets = page.locator("#targets").inner_text()
        assert "研发经费投入强度" in text_targets and "GB 3838-2002" in text_targets
        assert "7.1" not in text_targets  # a past result is no target
        table = page.locator("#table-t1")
        assert table.locator(".table-source th").first.inner_text() == "类别"
        assert table.locator(".table-targets tbody tr:not(.target-note)").count() == 8
        assert "约束性" in table.locator(".table-targets").inner_text()
        baselines = page.locator("#baselines")
        assert baselines.locator("tbody tr").count() == 7  # 3 in the text, 4 in the table
        assert "7.1" in baselines.inner_text() and "26.5" in baselines.inner_text()
        screenshot(page, "plan-published-review")
        page.click("#import-baselines button")
        page.wait_for_selector("#flash")
        assert page.locator("#flash").inner_text() == "已写入观测值 4 条，未变 0 条，未导入 3 条。"
        page.click("#confirm")
        page.wait_for_load_state("networkidle")
        assert "已确认" in page.locator(".plan-meta").inner_text()
        page.goto(base_url + "/indicators/PM25")
        page.wait_for_load_state("networkidle")
        screenshot(page, "plan-published-pm25")
