"""The web shell: pages and their JSON twins, log-in with CSRF and throttling, language, tokens."""

import json
import re

from typer.testing import CliRunner
from web_helpers import csrf_of, login

from yrdplan.cli.main import app as cli


def test_home_page_is_chinese_by_default_and_has_a_json_twin(client):
    login(client, "viewer")
    page = client.get("/")
    assert page.status_code == 200
    assert "长三角一体化规划实施监测系统" in page.text and 'lang="zh-CN"' in page.text
    twin = client.get("/?format=json").json()
    assert twin["counts"]["cities"] == 41 and twin["counts"]["counties"] == 305
    assert f">{twin['counts']['cities']}<" in page.text


def test_the_overview_twin_is_the_same_in_both_languages(client):
    login(client, "office")
    zh = client.get("/?format=json").json()
    client.get("/lang/en")
    en = client.get("/?format=json").json()
    assert zh == en
    assert set(zh["completion_definition"]) == {"zh", "en"} and zh["user"]["role"] == "office"
    assert zh["completion_definition"]["en"][:20] in client.get("/").text


def test_the_pages_of_the_shell_are_in_the_schema_with_their_models(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, model in [
        ("/", "OverviewPagePublic"),
        ("/regions", "RegionsPagePublic"),
        ("/regions/{code}", "RegionPagePublic"),
        ("/audit", "AuditPagePublic"),
        ("/api/audit", "AuditPagePublic"),
        ("/api/me", "MePublic"),
        ("/office", "OfficeHubPublic"),
    ]:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content["application/json"]["schema"]["$ref"].endswith(model), path


def test_an_anonymous_visitor_is_sent_to_the_portal_or_to_log_in(client):
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/public"
    page = client.get("/tasks/completion?plan=nj-implementation-2020", follow_redirects=False)
    assert page.status_code == 303
    assert (
        page.headers["location"] == "/login?next=/tasks/completion%3Fplan%3Dnj-implementation-2020"
    )
    for path in ("/api/regions", "/api/indicators", "/regions?format=json"):
        refused = client.get(path)
        assert refused.status_code == 401 and refused.json() == {"error": "log in first"}, path
    # After logging in from that redirect, the visitor lands where they were going.
    token = csrf_of(client)
    landed = client.post(
        "/login",
        data={
            "username": "viewer",
            "password": "yrdplan-demo",
            "csrf_token": token,
            "next": "/tasks/completion?plan=nj-implementation-2020",
        },
        follow_redirects=False,
    )
    assert landed.headers["location"] == "/tasks/completion?plan=nj-implementation-2020"


def test_regions_page_draws_41_cities(client):
    login(client, "viewer")
    page = client.get("/regions")
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    assert len(re.findall(r"<path ", svg)) == 41
    assert 'data-code="320100"' in svg and "南京" in svg
    twin = client.get("/regions?format=json").json()
    assert len(twin["cities"]) == 41 and {g["code"] for g in twin["groups"]} >= {
        "central",
        "demo_zone",
    }


def test_english_switch(client):
    login(client, "viewer")
    response = client.get("/lang/en?next=/regions", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/regions"
    page = client.get("/regions")
    assert "The 41 cities of the YRD" in page.text and 'lang="en"' in page.text


def test_language_switch_does_not_redirect_off_site(client):
    response = client.get("/lang/en?next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_login_and_logout(client):
    response = login(client, "office")
    assert response.status_code == 303
    assert "长三角区域合作办公室" in client.get("/").text
    assert client.get("/api/me").json()["role"] == "office"
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert client.get("/api/me").status_code == 401


def test_wrong_password_is_refused(client):
    response = login(client, "office", "wrong-password")
    assert response.status_code == 401 and "用户名或密码不正确" in response.text


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "office", "password": "yrdplan-demo"})
    assert response.status_code == 403
    assert client.get("/api/me").status_code == 401


def test_repeated_failures_are_throttled_even_with_the_right_password(client):
    for _ in range(5):
        assert login(client, "viewer", "nope-nope").status_code == 401
    response = login(client, "viewer")
    assert response.status_code == 429 and "登录失败次数过多" in response.text
    assert login(client, "office").status_code == 303  # other accounts are unaffected


def test_api_token(client, database):
    result = CliRunner().invoke(cli, ["users", "token", "steward_nj", "--db", database.url])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "data_steward" and me["region_codes"] == ["320100"]
    assert client.get("/api/me", headers={"Authorization": "Bearer yrd_wrong"}).status_code == 401


def test_unknown_region_page_is_404_with_message(client):
    login(client, "viewer")
    page = client.get("/regions/999999")
    assert page.status_code == 404 and "unknown region code" in page.text
    assert client.get("/regions/999999?format=json").json() == {
        "error": "unknown region code '999999'"
    }


def test_no_asset_comes_from_another_host(client):
    for path in ("/", "/regions", "/login"):
        html = client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_openapi_lists_the_api(client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/regions" in spec["paths"] and "/api/me" in spec["paths"]


def test_audit_page_is_for_the_office_and_shows_changes(client):
    assert client.get("/audit").status_code in (303, 401) or "登录" in client.get("/audit").text
    login(client, "viewer")
    assert client.get("/audit").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "office")
    data = client.get("/audit?entity=users&format=json").json()
    assert data["entries"] and {e["entity"] for e in data["entries"]} == {"users"}
    inserts = [e for e in data["entries"] if e["action"] == "insert"]
    # The log says a password was set, never what its hash is.
    assert inserts and all(e["new"]["password_hash"] == "<redacted>" for e in inserts)


def test_user_defined_region_group(database):
    result = CliRunner().invoke(
        cli,
        [
            "regions",
            "group-add",
            "benchmark",
            "--name",
            "对标城市",
            "--member",
            "320100",
            "--member",
            "330100",
            "--db",
            database.url,
        ],
    )
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(
        cli, ["regions", "list", "--group", "benchmark", "--format", "json", "--db", database.url]
    )
    assert [r["name"] for r in json.loads(listed.stdout)] == ["南京市", "杭州市"]
    bad = CliRunner().invoke(
        cli,
        ["regions", "group-add", "bad", "--name", "x", "--member", "999999", "--db", database.url],
    )
    assert bad.exit_code != 0
