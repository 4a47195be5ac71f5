"""The issue's "done when", in a real headless Chromium: the disparity of an indicator across
the 41 cities over time with its decomposition by province and by 苏南/苏中/苏北, σ and β
convergence, the map; the office builds the index from the shipped config and everyone reads
the ranking with its rank intervals; benchmarking Anhui's cities against 沪苏浙."""

import pytest
from browser import browser_page, log_in, running_server, screenshot

from yrdplan.settings import load_settings
from yrdplan.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(database):
    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


def test_disparity_index_and_benchmark_in_the_browser(base_url):
    with browser_page() as page:
        # 1. Disparity over time, decomposed by province, with the map.
        log_in(page, base_url, "viewer")  # anonymous visitors see only the portal
        page.goto(f"{base_url}/")
        page.click("nav.mainnav >> text=区域协调")
        page.wait_for_selector("#trend-chart .main-svg")  # plotly drew the series
        page.wait_for_selector("#decomp-chart .main-svg")
        assert page.locator("#groups tbody tr").count() == 4
        assert "江苏省" in page.locator("#groups").inner_text()
        assert page.locator("#map svg path").count() == 41
        assert page.locator("#convergence").is_visible()
        assert page.locator(".badge.demo").first.inner_text() == "演示数据"
        screenshot(page, "regional-1-disparity-province")

        # 2. The same by 苏南/苏中/苏北, unweighted.
        page.select_option("select[name=grouping]", "jiangsu")
        page.uncheck("input[type=checkbox][name=weighted]")
        page.click("#disparity-form button[type=submit]")
        page.wait_for_url("**grouping=jiangsu**")
        page.wait_for_selector("#decomp-chart .main-svg")
        groups = page.locator("#groups").inner_text()
        assert "苏南" in groups and "苏中" in groups and "苏北" in groups
        screenshot(page, "regional-2-disparity-jiangsu")

        # 3. No index yet; the office builds it from the shipped config.
        page.click("nav.regional-nav >> text=一体化指数")
        page.wait_for_selector("#no-build")
        page.click("form[action='/logout'] button")
        log_in(page, base_url, "office")
        page.goto(f"{base_url}/regional/index")
        page.click("#build-form button[type=submit]")
        page.wait_for_selector("#league")
        page.wait_for_selector("#interval-chart .main-svg")
        rows = page.locator("#league tbody tr")
        assert rows.count() == 41
        first = rows.first
        assert first.get_attribute("data-rank") == "1"
        p05, p95 = int(first.get_attribute("data-p05")), int(first.get_attribute("data-p95"))
        assert p05 <= p95 and f"{p05}–{p95}" in first.inner_text()
        assert page.locator("#weights tbody tr").count() == 19
        screenshot(page, "regional-3-index")

        # 4. Benchmarking: Anhui's 16 cities against the best of 沪苏浙.
        page.click("nav.regional-nav >> text=对照学习")
        page.wait_for_selector("#gap-chart .main-svg")
        assert page.locator("#benchmark tbody tr").count() == 16
        assert "合肥市" in page.locator("#benchmark").inner_text()
        screenshot(page, "regional-4-benchmark")

        # 5. English.
        page.goto(f"{base_url}/lang/en?next=/regional")
        page.wait_for_selector("#trend-chart .main-svg")
        assert "Regional coordination" in page.locator("h1").inner_text()
