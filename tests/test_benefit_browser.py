"""The issue's "done when" in headless Chromium: a new user uploads the pollutant indicators, the
街口 section, three years of monitoring data and a 黄山 ↔ 杭州 water-compensation agreement,
settles the three years (one reversed), reads every input's source, confirms one and downloads
its Word statement."""

from importlib import resources

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


@pytest.fixture
def files(tmp_path):
    names = (
        "benefit_indicators.csv",
        "benefit_sites.csv",
        "benefit_xinanjiang_2022_2024.csv",
        "benefit_xinanjiang.toml",
    )
    for name in names:
        (tmp_path / name).write_bytes((resources.files("yrdplan.data") / name).read_bytes())
    return tmp_path


def upload(page, what: str, path) -> None:
    page.select_option("#benefit-import select[name=what]", what)
    page.set_input_files("#benefit-import input[type=file]", str(path))
    page.click("#benefit-import button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_water_compensation_from_upload_to_statement(base_url, files, tmp_path):
    with browser_page() as page:
        log_in(page, base_url, "office")
        page.click("nav.mainnav >> text=利益补偿")
        page.wait_for_selector("#benefit-import")
        upload(page, "indicators", files / "benefit_indicators.csv")
        assert page.locator("#imported").count() == 1
        upload(page, "sites", files / "benefit_sites.csv")
        upload(page, "data", files / "benefit_xinanjiang_2022_2024.csv")
        upload(page, "agreement", files / "benefit_xinanjiang.toml")
        assert page.url.endswith("/benefit/agreements/xinanjiang-jiekou")
        assert "黄山市" in page.locator("main").inner_text()

        page.click("#settle-form button[type=submit]")
        page.wait_for_selector("#settlements tr[data-period='2024']")
        rows = page.locator("#settlements tbody tr")
        assert rows.count() == 3
        texts = [rows.nth(i).inner_text() for i in range(3)]
        assert "杭州市 → 黄山市 6,000.00" in texts[0]
        assert "黄山市 → 杭州市 1,653.74" in texts[1]  # 2023 is reversed
        assert "杭州市 → 黄山市 3,000.00" in texts[2]
        screenshot(page, "benefit-1-agreement")

        page.locator("#settlements tr[data-period='2023'] a").first.click()
        page.wait_for_selector("#inputs")
        assert page.locator("#p-value").inner_text() == "1.0327"
        inputs = page.locator("#inputs tbody tr")
        first = inputs.first.inner_text()
        assert "simulated" in first and "2024-03-31" in first and "新安江街口断面" in first
        assert (
            "0.85 × (1.18182 + 1.3125 + 1.25 + 1.11538) / 4" in page.locator("#steps").inner_text()
        )
        screenshot(page, "benefit-2-settlement")

        page.click("#step-form button[type=submit]")
        page.wait_for_selector("#history tbody tr:nth-child(2)")
        assert "已确认" in page.locator("#status-line").inner_text()
        assert "office" in page.locator("#history").inner_text()
        with page.expect_download() as download:
            page.click("text=结算单 Word")
        target = tmp_path / "statement.docx"
        download.value.save_as(target)
        from docx import Document

        paragraphs = [p.text for p in Document(str(target)).paragraphs]
        assert "新安江流域街口断面横向生态补偿协议（示例）2023年度结算单" in paragraphs
        screenshot(page, "benefit-3-confirmed")

        page.goto(f"{base_url}/benefit/agreements/xinanjiang-jiekou")
        page.fill("#what-if-form input[name=period]", "2024")
        page.fill("#what-if-form textarea[name=changes]", "k0=0.7")
        page.click("#what-if-form button[type=submit]")
        page.wait_for_selector("#compare")
        assert "6,000.00" in page.locator("#what-if-transfers").inner_text()
        screenshot(page, "benefit-4-what-if")

        page.goto(f"{base_url}/benefit")
        statuses = page.locator("#settlements tbody tr")
        assert [statuses.nth(i).get_attribute("data-status") for i in range(3)] == [
            "draft",
            "confirmed",
            "draft",
        ]
        screenshot(page, "benefit-5-index")
