"""The issue's "done when", in a real headless Chromium: the office builds the demo bulletin,
writes its overall assessment, publishes it; an anonymous visitor sees it — and only it — on the
public portal, downloads the Word file and leaves feedback, which the office answers."""

import io
import re

import pytest
from browser import SCREENSHOTS, browser_page, log_in, running_server, screenshot
from docx import Document as read_docx
from web_helpers import publish_a_bulletin

from yrdplan.settings import load_settings
from yrdplan.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(database):
    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


def test_build_publish_and_read_as_the_public(base_url):
    with browser_page() as page:
        log_in(page, base_url, "office")
        page.click("nav.mainnav >> text=通报评估")
        page.wait_for_selector("#build-cycle")
        page.click("#build-cycle button[type=submit]")  # the newest cycle is preselected
        page.wait_for_selector("#texts-form")
        assert page.locator("#bulletin-status").inner_text() == "草稿"
        page.fill("#texts-form textarea[name=text_summary]", "各责任单位按计划推进，总体进展顺利。")
        page.fill("#texts-form input[name=text_number]", "长三角办〔2026〕1号")
        page.click("#texts-form button[type=submit]")
        page.wait_for_selector("text=并重新生成文件")
        frame = page.frame_locator("iframe.doc-preview")
        assert "总体进展顺利" in frame.locator("body").inner_text()
        assert frame.locator("figure svg").count() >= 3
        screenshot(page, "bulletins-1-draft")
        # A full-page capture leaves frames blank in headless chromium; the preview gets its own.
        page.locator("iframe.doc-preview").screenshot(
            path=str(SCREENSHOTS / "bulletins-1-draft-preview.png")
        )
        bulletin_url = page.url
        bulletin_id = int(re.search(r"/bulletins/(\d+)", bulletin_url).group(1))

        # Before publication an anonymous visitor finds nothing.
        page.click("form[action='/logout'] button")
        page.goto(f"{base_url}/public")
        assert page.locator(".public-list li.muted").count() == 2
        assert page.goto(f"{base_url}/public/bulletins/{bulletin_id}").status == 404

        log_in(page, base_url, "office")
        page.goto(bulletin_url)
        page.click("#publish-form button")
        page.wait_for_selector("#withdraw-form")
        assert page.locator("#bulletin-status").inner_text() == "已发布"
        page.click("form[action='/logout'] button")

        page.goto(f"{base_url}/public")
        page.wait_for_selector("#completion")
        link = page.locator(".public-list a")
        assert link.count() == 1 and "通报" in link.inner_text()
        assert page.locator("#dashboard svg path").count() == 41
        screenshot(page, "bulletins-2-portal")
        link.click()
        page.wait_for_selector("#feedback-form")
        with page.expect_download() as download:
            page.click(".downloads a:text('.docx')")
        word = read_docx(io.BytesIO(open(download.value.path(), "rb").read()))
        assert "各责任单位按计划推进，总体进展顺利。" in [p.text for p in word.paragraphs]
        page.fill("#feedback-form textarea[name=text]", "建议公开更多重大项目进展。")
        page.click("#feedback-form button[type=submit]")
        page.wait_for_selector("text=感谢您的意见建议")
        screenshot(page, "bulletins-3-public-bulletin")

        log_in(page, base_url, "office")
        page.goto(f"{base_url}/feedback")
        item = page.locator("[data-feedback]").first
        item.locator("textarea[name=answer]").fill("感谢建议，将在下期通报中增加重大项目进展。")
        item.locator("input[name=publish]").check()
        item.locator("button[type=submit]").click()
        page.wait_for_selector("text=已保存答复")
        page.click("form[action='/logout'] button")
        page.goto(f"{base_url}/public/bulletins/{bulletin_id}")
        assert "将在下期通报中增加重大项目进展" in page.locator("#feedback").inner_text()


def test_an_anonymous_visitor_sees_the_portal_until_the_office_closes_it(database, base_url):
    publish_a_bulletin(database)
    with browser_page() as page:
        page.goto(base_url)  # the home page of someone not logged in is the portal
        assert page.url == f"{base_url}/public"
        page.wait_for_selector("#dashboard")
        nav = page.locator("nav.mainnav a").all_inner_texts()
        assert nav == ["首页", "公众参与"], nav  # nothing a visitor would be sent away from
        assert page.locator(".public-list a").count() == 1
        screenshot(page, "portal-1-anonymous")
        page.goto(f"{base_url}/indicators")
        assert page.url.startswith(f"{base_url}/login?next=/indicators")

        log_in(page, base_url, "office")
        page.goto(f"{base_url}/settings")
        page.select_option("#setting-portal-open select[name=value]", "0")
        page.click("#setting-portal-open button[type=submit]")
        page.wait_for_selector("#done")
        screenshot(page, "portal-2-settings-closed")
        page.click("form[action='/logout'] button")

        page.goto(base_url)
        assert page.url.startswith(f"{base_url}/login")
        response = page.goto(f"{base_url}/public")
        assert response.status == 403
        assert "公众参与门户已关闭" in page.locator("#portal-closed").inner_text()
        screenshot(page, "portal-3-closed")
