"""Plan pages: who sees drafts, import by upload, review edits, confirmation, the diff page."""

import re

from test_plans_store import revised_nanjing
from web_helpers import csrf_of, login


def _import_revision(client, tmp_path):
    path = revised_nanjing(tmp_path)
    with path.open("rb") as handle:
        return client.post(
            "/plans/import",
            data={
                "csrf_token": csrf_of(client),
                "kind": "implementation_plan",
                "code": "nj-implementation-2020",
            },
            files={"file": ("nanjing-revised.txt", handle, "text/plain")},
            follow_redirects=False,
        )


def test_a_viewer_sees_confirmed_plans_and_their_targets(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    listing = client.get("/plans?format=json").json()
    assert len(listing["plans"]) == 5
    nanjing = next(p for p in listing["plans"] if p["code"] == "nj-implementation-2020")
    page = client.get(f"/plans/{nanjing['id']}")
    assert page.status_code == 200
    assert "<mark" in page.text and "研发投入强度达到3.2%以上" in re.sub(r"<[^>]+>", "", page.text)
    data = client.get(f"/plans/{nanjing['id']}?format=json").json()
    assert data["counts"]["tasks"] == 35
    assert {"RD_INTENSITY", "PM25", "ENERGY_INTENSITY"} <= {
        t["indicator_code"] for t in data["targets"]
    }


def test_office_imports_a_revision_reviews_and_confirms_it(client, tmp_path):
    login(client, "office")
    response = _import_revision(client, tmp_path)
    assert response.status_code == 303 and response.headers["location"].endswith("/versions/2")
    draft = client.get(response.headers["location"] + "?format=json").json()
    assert draft["version"]["status"] == "draft"
    node = next(n for n in draft["nodes"] if n["kind"] == "item" and n["ordinal"] == 1)
    edited = client.post(
        f"/plans/nodes/{node['id']}",
        data={
            "csrf_token": csrf_of(client),
            "title": "更新后的任务标题",
            "kind": "item",
            "is_task": "true",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    diff = client.get(f"/plans/{draft['plan']['id']}/diff?old=1&new=2&format=json").json()
    assert (
        diff["diff"]["summary"]["targets_changed"] == 1
        and diff["diff"]["summary"]["nodes_changed"] >= 1
    )
    confirmed = client.post(
        f"/plans/{draft['plan']['id']}/versions/2/confirm",
        data={"csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    tasks = client.get(f"/plans/{draft['plan']['id']}?format=json").json()
    assert tasks["version"]["status"] == "confirmed"
    assert next(n for n in tasks["nodes"] if n["id"] == node["id"])["title"] == "更新后的任务标题"


def test_drafts_are_hidden_from_the_public_and_the_viewer(client, tmp_path):
    login(client, "office")
    location = _import_revision(client, tmp_path).headers["location"]
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert client.get(location, follow_redirects=False).headers["location"].startswith("/login")
    login(client, "viewer")
    assert client.get(location).status_code == 404
    # The viewer still sees the version in force.
    assert (
        client.get(location.rsplit("/versions", 1)[0] + "?format=json").json()["version"]["number"]
        == 1
    )


def test_viewer_cannot_import_or_confirm(client, tmp_path):
    login(client, "viewer")
    assert _import_revision(client, tmp_path).status_code == 403
    response = client.post("/plans/2/versions/1/confirm", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 403


def test_upload_of_an_unsupported_file_is_a_clear_error(client):
    login(client, "office")
    response = client.post(
        "/plans/import",
        data={"csrf_token": csrf_of(client), "kind": "guidance"},
        files={"file": ("scan.pdf", b"%PDF-1.4 binary", "application/pdf")},
    )
    assert response.status_code == 400 and "scan.pdf" in response.text
    assert len(client.get("/plans?format=json").json()["plans"]) == 5


def test_office_suggests_and_confirms_links_to_the_parent_plan(client):
    login(client, "office")
    plans = {p["code"]: p["id"] for p in client.get("/plans?format=json").json()["plans"]}
    nanjing = plans["nj-implementation-2020"]
    assert client.get(f"/plans/{nanjing}/links?format=json").json()["links"] == []
    response = client.post(
        f"/plans/{nanjing}/links/suggest",
        data={"csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    links = client.get(f"/plans/{nanjing}/links?format=json").json()["links"]
    assert links and {x["status"] for x in links} == {"suggested"}
    decided = client.post(
        f"/plans/links/{links[0]['id']}",
        data={"csrf_token": csrf_of(client), "decision": "confirm"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    after = {
        x["id"]: x["status"]
        for x in client.get(f"/plans/{nanjing}/links?format=json").json()["links"]
    }
    assert after[links[0]["id"]] == "confirmed"


def test_the_plan_list_gives_codes_and_the_page_says_them_in_each_language(client):
    login(client, "viewer")
    twin = client.get("/plans?format=json").json()
    assert client.get("/api/plans").json() == twin
    nanjing = next(p for p in twin["plans"] if p["code"] == "nj-implementation-2020")
    assert nanjing["kind"] == "implementation_plan" and "kind_label" not in nanjing
    assert "implementation_plan" in twin["kinds"]
    assert "实施方案" in client.get("/plans").text
    client.get("/lang/en")
    assert "Implementation plan" in client.get("/plans").text
    # The plan page, its API twin and its diff and links pages name the plan alike.
    page = client.get(f"/plans/{nanjing['id']}?format=json").json()
    assert client.get(f"/api/plans/{nanjing['id']}").json() == page
    links = client.get(f"/plans/{nanjing['id']}/links?format=json").json()
    assert page["plan"] == links["plan"] == {k: nanjing[k] for k in page["plan"]}


def test_the_plan_pages_are_in_the_schema_with_their_models(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, model in [
        ("/plans", "PlansPagePublic"),
        ("/plans/{ref}", "PlanPagePublic"),
        ("/plans/{ref}/versions/{number}", "PlanPagePublic"),
        ("/plans/{ref}/diff", "DiffPagePublic"),
        ("/plans/{ref}/links", "LinksPagePublic"),
        ("/api/plans", "PlansPagePublic"),
        ("/api/plans/{ref}", "PlanPagePublic"),
    ]:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content["application/json"]["schema"]["$ref"].endswith(model), path
