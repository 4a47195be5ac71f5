"""The web shell in a real headless Chromium: log in, home, the 41-city map, English."""

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


def test_login_home_and_map(base_url):
    with browser_page() as page:
        page.goto(base_url + "/")
        assert page.url == base_url + "/public"  # not logged in: the public portal
        log_in(page, base_url, "office")
        assert "长三角一体化规划实施监测系统" in page.title()
        assert page.locator(".who").inner_text().startswith("长三角区域合作办公室")
        screenshot(page, "home-office")
        page.click("nav.mainnav >> text=地区")
        page.wait_for_selector("svg.map")
        assert page.locator("svg.map path").count() == 41
        # Each city on the map links to its page.
        page.locator('svg.map path[data-code="320100"]').click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/regions/320100")
        assert "玄武区" in page.content()
        page.go_back()
        screenshot(page, "regions-map")


def test_wrong_password_then_english(base_url):
    with browser_page() as page:
        log_in(page, base_url, "office", "not-the-password")
        assert page.locator(".alert").inner_text() == "用户名或密码不正确"
        page.click("a.lang")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == "Log in"
        screenshot(page, "login-english")
