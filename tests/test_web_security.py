"""Security headers on every response, no inline script, request bodies limited while they stream."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import httpx
import pytest
from web_helpers import csrf_of, login

from yrdplan.web.middleware import CONTENT_SECURITY_POLICY

TEMPLATES = Path(str(resources.files("yrdplan.web") / "templates"))


@pytest.mark.parametrize(
    "path",
    ["/", "/?format=json", "/regions", "/static/app.css", "/api/openapi.json", "/no-such-page"],
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    # Other sites may not frame the app (clickjacking); its own pages may (bulletin previews).
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]


def test_no_template_has_inline_script_or_event_handlers():
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m.group(0)}" for m in inline.finditer(text)]
        found += [f"{path.name}: {m.group(0)}" for m in handler.finditer(text)]
        found += [f"{path.name}: javascript: URL" for _ in re.finditer("javascript:", text)]
    assert found == []


def test_api_docs_load_from_the_app_itself(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/static/") for source in sources)
    for source in sources:
        assert client.get(source).status_code == 200


def test_a_json_body_over_the_form_limit_is_refused(client):
    login(client, "office")
    body = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/tasks/1/subtasks",
        content=body,
        headers={"content-type": "application/json", "X-CSRF-Token": csrf_of(client)},
    )
    assert response.status_code == 413
    assert "max_upload_mb" in response.json()["error"]


# --- a real server: a 200 MB upload is refused while it streams ---------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


@pytest.fixture
def served(default_url):
    port = _free_port()
    env = os.environ | {"YRDPLAN_MAX_UPLOAD_MB": "5"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from yrdplan.cli.main import run; run()", "serve"]
        + ["--db", default_url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/login", timeout=2)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the server did not start")
            time.sleep(0.2)
    try:
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def _logged_in_client(base: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": "office", "password": "yrdplan-demo", "csrf_token": token}
    )
    home = client.get("/")
    return client, re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)


def _multipart_stream(total_mb: int, boundary: str):
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    chunk = b"x" * (1024 * 1024)
    for _ in range(total_mb):
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_200_mb_upload_is_refused_quickly_and_memory_stays_flat(served, declared):
    base, pid = served
    client, token = _logged_in_client(base)
    before = _peak_rss_mb(pid)
    boundary = "yrdplan-test-boundary"
    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "X-CSRF-Token": token,
    }
    if declared:
        # The whole size is declared up front: refused before a byte of the body is read.
        headers["content-length"] = str(200 * 1024 * 1024 + 200)
    body = _multipart_stream(200, boundary)
    started = time.monotonic()
    try:
        response = client.post("/plans/import", content=body, headers=headers)
        status, text = response.status_code, response.text
    except httpx.HTTPError:
        # The server may close the connection once it has answered; the answer is checked below.
        status, text = None, ""
    elapsed = time.monotonic() - started
    if status is None:  # read the refusal the server sent before closing
        pytest.fail(f"no answer from the server after {elapsed:.1f} s")
    assert status == 413, text[:300]
    assert "max_upload_mb" in text
    after = _peak_rss_mb(pid)
    assert after - before < 40, f"peak RSS grew from {before:.0f} MB to {after:.0f} MB"
    # The server still serves.
    assert client.get("/?format=json").status_code == 200


# --- in a real browser: the policy blocks nothing the pages need -------------------------------


@pytest.fixture
def browser_base(database):
    from browser import running_server

    from yrdplan.settings import load_settings
    from yrdplan.web.app import create_app

    app = create_app(load_settings(database_url=database.url), database)
    with running_server(app) as url:
        yield url


@pytest.mark.browser
def test_pages_work_under_the_policy_in_chromium(browser_base):
    from browser import browser_page, log_in, screenshot

    with browser_page() as page:
        violations = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        log_in(page, browser_base, "office")
        for path, ready in [
            ("/", "main"),
            ("/regions", "svg path"),
            ("/indicators/RD_INTENSITY", "#chart .main-svg"),
            ("/tasks/completion", "#chart-unit .main-svg"),
            ("/api/docs", ".swagger-ui .info"),
        ]:
            page.goto(browser_base + path)
            page.wait_for_selector(ready)
        screenshot(page, "security-api-docs")
        # The select that submits its form is wired by /static/app.js, not an inline handler.
        page.goto(browser_base + "/indicators")
        options = page.locator("select[name=region] option")
        page.select_option("select[name=region]", options.nth(1).get_attribute("value"))
        page.wait_for_url(re.compile(r".*region=\d{6}.*"))
    assert violations == []
