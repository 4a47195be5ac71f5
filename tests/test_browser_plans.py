"""The plan review flow in a real headless Chromium: upload a revision, review, edit, confirm, diff."""

import pytest
from browser import browser_page, log_in, running_server, screenshot
from test_plans_store import revised_nanjing

from yrdplan.settings import load_settings
from yrdplan.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(database):
    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


def test_review_flow(base_url, tmp_path):
    with browser_page() as page:
        log_in(page, base_url, "office")
        page.goto(base_url + "/plans")
        page.set_input_files("#import-form input[type=file]", str(revised_nanjing(tmp_path)))
        page.select_option("#import-form select[name=code]", "nj-implementation-2020")
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#confirm")
        assert page.url.endswith("/versions/2")
        # Targets are highlighted in the source text beside their node.
        assert page.locator(".node-source mark").count() >= 14
        assert "3.5" in page.locator("#targets").inner_text()
        screenshot(page, "plan-review-draft")
        # Correct a node's title through its edit form.
        first_item = page.locator(".node.kind-item").first
        first_item.locator("details.edit summary").click()
        first_item.locator("input[name=title]").fill("加强区域协同（修订）")
        first_item.locator("button[type=submit]").click()
        page.wait_for_selector("#confirm")
        assert "加强区域协同（修订）" in page.locator(".node.kind-item").first.inner_text()
        page.click("#confirm")
        page.wait_for_load_state("networkidle")
        assert "已确认" in page.locator(".plan-meta").inner_text()
        page.click("text=版本差异")
        page.wait_for_selector("#diff-summary")
        assert (
            "3.2 → 3.5" in page.locator("body").inner_text().replace("\n", " ")
            or "3.5" in page.content()
        )
        screenshot(page, "plan-diff")
