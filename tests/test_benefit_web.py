"""The benefit-sharing pages and API: JSON twins, the OpenAPI schema, roles, the flow over HTTP."""

from __future__ import annotations

from importlib import resources

from web_helpers import csrf_of, login

from yrdplan.services import benefit
from yrdplan.store.audit import Actor
from yrdplan.store.repos import users as user_repo


def load_example(database, tmp_path):
    with database.read() as session:
        office = user_repo.to_info(session, user_repo.find_user(session, "office"))
    steps = [
        (benefit.import_catalogue, "benefit_indicators.csv"),
        (benefit.import_sites, "benefit_sites.csv"),
        (benefit.import_site_observations, "benefit_xinanjiang_2022_2024.csv"),
        (benefit.import_agreement, "benefit_xinanjiang.toml"),
    ]
    for function, name in steps:
        path = tmp_path / name
        path.write_bytes((resources.files("yrdplan.data") / name).read_bytes())
        with database.write(Actor(office.id, office.username)) as session:
            function(session, office, path)


def test_pages_need_a_login(client):
    assert client.get("/benefit", follow_redirects=False).status_code in (302, 303)
    assert client.get("/api/benefit/agreements").status_code == 401


def test_flow_over_the_api_and_json_twins(client, database, tmp_path):
    load_example(database, tmp_path)
    login(client, "office")
    token = csrf_of(client)
    answer = client.post(
        "/api/benefit/agreements/xinanjiang-jiekou/settle",
        json={"periods": ["2023"]},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 200, answer.text
    (outcome,) = answer.json()
    assert outcome["transfers"][0]["payer"] == "341000"  # the upstream pays in 2023
    settlement = outcome["settlement_id"]
    page = client.get(f"/benefit/settlements/{settlement}?format=json").json()
    assert page["status"] == "draft" and page["can_manage"] is True
    assert page["names"]["XAJ-JIEKOU"] == "新安江街口断面"
    assert page["result"]["detail"]["payer_role"] == "upstream"
    step = client.post(
        f"/api/benefit/settlements/{settlement}/confirm", headers={"X-CSRF-Token": token}
    )
    assert step.json() == {"id": settlement, "status": "confirmed"}
    listed = client.get("/api/benefit/settlements?agreement=xinanjiang-jiekou").json()
    assert [(s["period"], s["status"]) for s in listed] == [("2023", "confirmed")]
    index = client.get("/benefit?format=json").json()
    assert index["agreements"][0]["parties"][0]["name"] == "黄山市"
    what_if = client.get(
        "/benefit/agreements/xinanjiang-jiekou/what-if?period=2023&set=k0%3D0.7&format=json"
    ).json()
    assert what_if["what_if"]["transfers"][0]["payer"] == "330100"
    statement = client.get(f"/benefit/settlements/{settlement}/statement.xlsx?party=330100")
    assert statement.status_code == 200 and statement.content[:2] == b"PK"
    summary = client.get("/benefit/agreements/xinanjiang-jiekou/statement.docx")
    assert (
        summary.status_code == 200
        and "xinanjiang-jiekou.docx" in summary.headers["content-disposition"]
    )
    assert client.get("/benefit/agreements/xinanjiang-jiekou/statement.pdf").status_code == 400
    revised = client.post(
        "/api/benefit/import",
        data={"what": "data"},
        files={
            "file": (
                "r.csv",
                "site_code,indicator_code,period,value,source,vintage\n"
                "XAJ-JIEKOU,TP,2023,0.05,复核,2025-01-01\n".encode(),
            )
        },  # fmt: skip
        headers={"X-CSRF-Token": token},
    )
    assert revised.json()["revised"] == 1
    bad = client.post(
        "/api/benefit/import",
        data={"what": "data"},
        files={"file": ("r.csv", b"site_code,indicator_code,period,value\nNOPE,TP,2023,1\n")},
        headers={"X-CSRF-Token": token},
    )
    assert bad.status_code == 400 and "no site 'NOPE'" in bad.json()["error"]
    schema = client.get("/api/openapi.json").json()["paths"]
    assert "/benefit/settlements/{settlement_id}" in schema
    assert "/api/benefit/agreements/{code}/settle" in schema


def test_a_viewer_reads_but_cannot_settle(client, database, tmp_path):
    load_example(database, tmp_path)
    login(client, "viewer")
    assert (
        client.get("/benefit/agreements/xinanjiang-jiekou?format=json").json()["can_manage"]
        is False
    )
    refused = client.post(
        "/api/benefit/agreements/xinanjiang-jiekou/settle",
        json={},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert refused.status_code == 403
    assert client.get("/api/benefit/settlements").json() == []


def test_english_pages_and_a_stewards_sites(client, database, tmp_path):
    load_example(database, tmp_path)
    login(client, "office")
    token = csrf_of(client)
    client.post(
        "/api/benefit/agreements/xinanjiang-jiekou/settle", json={}, headers={"X-CSRF-Token": token}
    )
    client.get("/lang/en")
    for path in ("/benefit", "/benefit/agreements/xinanjiang-jiekou", "/benefit/settlements/2"):
        page = client.get(path).text
        assert "b." not in "".join(part.split("<", 1)[0] for part in page.split(">")), (
            path
        )  # no untranslated key left on the page
    assert "upstream pays downstream" in client.get("/benefit/settlements/2").text
    # a data steward of 南京 may not load data for the 街口 section (黄山 / 杭州)
    client.post("/logout", data={"csrf_token": token})
    login(client, "steward_nj")
    upload = client.post(
        "/benefit/import",
        data={"what": "data", "csrf_token": csrf_of(client)},
        files={"file": ("x.csv", b"site_code,indicator_code,period,value\nXAJ-JIEKOU,TP,2024,1\n")},
    )
    assert upload.status_code == 400 and "not one of your sites" in upload.text
