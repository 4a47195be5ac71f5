"""The issue's "done when", in a real headless Chromium: a new user imports a CSV of
observations, sees each Nanjing 2025 target's status with its calculation, sees the warning
map, and follows a red indicator to the tasks and units behind it."""

from pathlib import Path

import pytest
from browser import browser_page, log_in, running_server, screenshot

from yrdplan.settings import load_settings
from yrdplan.web.app import create_app

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).parent / "fixtures" / "monitoring" / "nanjing_observations.csv"
RED = "#c0392b"


@pytest.fixture
def base_url(database):
    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


def test_import_statuses_map_and_red_indicator_to_units(base_url):
    with browser_page() as page:
        log_in(page, base_url, "office")
        page.click("nav.mainnav >> text=指标")
        page.wait_for_selector("#target-table")
        assert page.locator(".badge.demo").first.inner_text() == "演示数据"

        # 1. Import the statistics office's CSV.
        page.click("text=导入数据")
        page.set_input_files("#import-form input[type=file]", str(FIXTURE))
        page.fill("#import-form input[name=source]", "南京统计年鉴（测试样例）")
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#import-report")
        assert "24" in page.locator("#import-report").inner_text()
        screenshot(page, "monitoring-1-import")

        # 2. Each Nanjing 2025 target, with its status and calculation.
        page.goto(f"{base_url}/indicators")
        page.select_option("select[name=region]", "320100")
        page.wait_for_url("**region=320100")
        rows = page.locator("#target-table tbody tr")
        assert rows.count() == 15
        hitech = page.locator('#target-table tr[data-indicator="HITECH_OUTPUT_SHARE"]')
        assert hitech.get_attribute("data-warning") == "red"
        assert "趋势恶化" in hitech.inner_text() and "44.8" in hitech.inner_text()
        pm25 = page.locator('#target-table tr[data-indicator="PM25"]')
        assert pm25.get_attribute("data-status") == "achieved"
        screenshot(page, "monitoring-2-nanjing-targets")

        # 3. The indicator page: series against the path, the components, the warning map.
        hitech.locator("a").first.click()
        page.wait_for_selector("#chart .main-svg")  # plotly.js drew the chart, served locally
        calculation = page.locator("#calculation tbody tr").first
        assert calculation.get_attribute("data-warning") == "red"
        assert "-0.05%/年" in calculation.inner_text() and "+1.26%/年" in calculation.inner_text()
        nanjing = page.locator('#map svg path[data-code="320100"]')
        assert nanjing.get_attribute("fill") == RED
        assert page.locator("#map svg path").count() == 41
        screenshot(page, "monitoring-3-indicator")

        # 4. The warnings list, and from the red indicator to its tasks and units.
        page.goto(f"{base_url}/warnings?level=red&basis=target")
        card = page.locator('article[data-indicator="HITECH_OUTPUT_SHARE"][data-region="320100"]')
        assert card.count() == 1
        assert "牵头单位" in card.inner_text()
        screenshot(page, "monitoring-4-warnings")
        task = card.locator("a.task-link").first
        title = task.inner_text()
        task.click()
        page.wait_for_load_state("networkidle")
        assert "/tasks/" in page.url
        task_page = page.locator("main").inner_text()
        assert title.split(" ", 1)[1] in task_page and "牵头" in task_page
        screenshot(page, "monitoring-5-task")
