"""The monitoring pages, their JSON twins and the API; who may load or correct data."""

from __future__ import annotations

import json
import re
from pathlib import Path

from web_helpers import csrf_of, login

FIXTURE = Path(__file__).parent / "fixtures" / "monitoring" / "nanjing_observations.csv"
DEMO = '<span class="badge demo">演示数据</span>'


def _upload(client, path: Path, name: str | None = None, **fields):
    data = {"csrf_token": csrf_of(client), **fields}
    files = {"file": (name or path.name, path.read_bytes(), "text/csv")}
    return client.post("/indicators/import", data=data, files=files)


def test_indicator_list_shows_every_nanjing_target_with_its_calculation(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    page = client.get("/indicators?region=320100")
    assert page.status_code == 200 and DEMO in page.text
    twin = client.get("/indicators?region=320100&format=json").json()
    assert twin["simulated"] is True and len(twin["targets"]) == 15
    assert sum(twin["counts"].values()) == 15
    for row in twin["targets"]:
        assert row["status"] != "insufficient_data" and row["simulated"] is True
        assert f'data-indicator="{row["indicator_code"]}"' in page.text
    assert {i["code"] for i in twin["indicators"]} >= {"PM25", "GDP_PER_CAPITA"}


def test_indicator_page_chart_map_and_components(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    page = client.get("/indicators/RAIL_DENSITY")
    assert page.status_code == 200
    assert (
        '<script src="/static/vendor/plotly.min.js">' in page.text
        and "cdn" not in page.text.lower()
    )
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    assert len(re.findall(r"<path ", svg)) == 41
    twin = client.get("/indicators/RAIL_DENSITY?format=json").json()
    assert [r["code"] for r in twin["regions"]] == ["320100"]
    row = twin["rows"][0]
    assert row["how"] == "derived" and row["method"] == "cagr" and row["simulated"] is True
    # The chart is drawn from the twin's series and rows, in the reader's language.
    chart = _chart(page.text)
    names = [trace["name"] for trace in chart["data"]]
    assert (
        names[0] == "南京市（演示数据）"
        and any("目标路径" in n for n in names)
        and any("2025年目标" in n for n in names)
    )
    star = next(t for t in chart["data"] if "2025年目标" in t["name"])
    assert star["x"] == [2025] and star["y"] == [990.0]
    assert star["y"][0] == next(r["target_value"] for r in twin["rows"] if r["target_year"] == 2025)
    assert "<title>南京市：" in svg
    client.get("/lang/en")
    english = client.get("/indicators/RAIL_DENSITY").text
    assert any(t["name"] == "南京市 2025 target" for t in _chart(english)["data"])
    assert re.search(r"<title>南京市: (Achieved|On track|Moderate|Limited|Deteriorating)", english)
    assert len(twin["map"]) == 41 and {m["basis"] for m in twin["map"]} == {"target", "trend"}
    assert twin["tasks"] and twin["tasks"][0]["title"] == "共建轨道上的长三角"
    assert client.get("/static/vendor/plotly.min.js").status_code == 200


def _chart(html: str) -> dict:
    data = re.search(r"<script type=\"application/json\" data-charts>(.*?)</script>", html, re.S)
    return json.loads(data.group(1))["chart"]


def test_chosen_regions_and_unknown_codes(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    twin = client.get("/indicators/PM25?regions=310100,320000&format=json").json()
    assert [s["region_code"] for s in twin["series"]] == ["310100", "320000"]
    # The province is not observed: its mean is made from its 13 cities.
    assert twin["series"][1]["points"][0]["how"] == "aggregated"
    assert client.get("/indicators/PM25?regions=999999").status_code == 404
    assert client.get("/indicators/NOPE").status_code == 404


def test_region_page_lists_its_indicators(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    page = client.get("/regions/320100")
    assert 'id="region-indicators"' in page.text and DEMO in page.text
    twin = client.get("/regions/320100?format=json").json()["indicators"]
    assert twin["simulated"] is True
    basis = {r["basis"] for r in twin["rows"]}
    assert (
        basis == {"target", "trend"}
        and len([r for r in twin["rows"] if r["basis"] == "target"]) == 15
    )


def test_warnings_filter_and_lead_to_tasks_and_units(client):
    login(client, "office")
    assert _upload(client, FIXTURE).status_code == 200
    red = client.get("/api/warnings?level=red&basis=target").json()
    assert {w["region_code"] for w in red["warnings"]} == {"320100"}
    hitech = next(w for w in red["warnings"] if w["indicator_code"] == "HITECH_OUTPUT_SHARE")
    assert hitech["status"] == "deteriorating" and hitech["basis"] == "target"
    tasks = hitech["tasks"]
    assert tasks and all(t["region_code"] == "320100" for t in tasks)
    assert any(t["lead_unit"] for t in tasks)  # the delivery demo assigned lead units
    page = client.get("/warnings?level=red&basis=target")
    assert 'data-indicator="HITECH_OUTPUT_SHARE"' in page.text and "牵头单位" in page.text
    only_pm = client.get("/api/warnings?level=green&indicator=PM25&region=320100").json()
    assert {w["indicator_code"] for w in only_pm["warnings"]} == {"PM25"}
    # The schema names the levels, so a wrong one is refused by validation, naming the parameter.
    refused = client.get("/api/warnings?level=purple")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "query",
        "level",
        0,
    ]


def test_import_page_reports_problems_and_writes_nothing(client, tmp_path):
    login(client, "office")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "region_code,indicator_code,period,value\n320100,PM25,2024,abc\n", encoding="utf-8"
    )
    before = client.get("/api/observations?region=320100&indicator=PM25").json()
    page = _upload(client, bad)
    assert page.status_code == 400 and "导入失败" in page.text and "bad.csv" in page.text
    twin = client.post(
        "/indicators/import?format=json",
        data={"csrf_token": csrf_of(client)},
        files={"file": ("bad.csv", bad.read_bytes(), "text/csv")},
    ).json()
    assert twin["problems"][0]["row"] == 2 and twin["problems"][0]["column"] == "value"
    assert client.get("/api/observations?region=320100&indicator=PM25").json() == before


def test_steward_writes_only_own_regions(client, tmp_path):
    login(client, "steward_nj")
    mine = tmp_path / "nj.csv"
    mine.write_text(
        "region_code,indicator_code,period,value\n320102,PM25,2024,30\n", encoding="utf-8"
    )
    assert _upload(client, mine).status_code == 200  # a district of Nanjing is Nanjing's
    theirs = tmp_path / "sz.csv"
    theirs.write_text(
        "region_code,indicator_code,period,value\n320500,PM25,2024,30\n", encoding="utf-8"
    )
    refused = _upload(client, theirs)
    assert refused.status_code == 403 and "320500" in refused.text
    token = csrf_of(client)
    ok = client.post(
        "/api/observations",
        json=[
            {
                "region_code": "320100",
                "indicator_code": "PM25",
                "period": "2024",
                "value": 29.5,
                "note": "更正",
            }
        ],
        headers={"X-CSRF-Token": token},
    )
    assert ok.status_code == 200 and ok.json()["revised"] == 1
    no = client.post(
        "/api/observations",
        json=[{"region_code": "310100", "indicator_code": "PM25", "period": "2024", "value": 29.5}],
        headers={"X-CSRF-Token": token},
    )
    assert no.status_code == 403
    current = client.get("/api/observations?region=320100&indicator=PM25").json()
    latest = next(o for o in current if o["period"] == "2024")
    assert latest["value"] == 29.5 and latest["simulated"] is False and latest["note"] == "更正"


def test_correction_form_and_roles(client):
    assert (
        client.get("/indicators/import", follow_redirects=False).status_code == 303
    )  # log in first
    login(client, "viewer")
    assert client.get("/indicators/import").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "steward_nj")
    form = {
        "csrf_token": csrf_of(client),
        "region_code": "320100",
        "period": "2024",
        "value": "31",
        "note": "年鉴更正",
    }
    response = client.post("/indicators/PM25/values", data=form, follow_redirects=False)
    assert response.status_code == 303
    value = next(
        o
        for o in client.get("/api/observations?region=320100&indicator=PM25").json()
        if o["period"] == "2024"
    )
    assert value["value"] == 31 and value["note"] == "年鉴更正"
    form |= {"region_code": "320500"}
    assert client.post("/indicators/PM25/values", data=form).status_code == 403


def test_api_monitor_and_targets(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    rows = client.get("/api/monitor?region=320100").json()
    assert len(rows) == 15 and all(r["simulated"] for r in rows)
    assert set(rows[0]) == {
        "region_code", "indicator_code", "target_year", "target_value", "comparator", "base_period",
        "base_value", "latest_period", "latest_value", "expected_value", "observed_rate",
        "required_rate", "ratio", "projected_value", "status", "warning", "simulated",
    }  # fmt: skip
    past = client.get("/api/monitor?region=320100&indicator=PM25&until=2020").json()
    assert past[0]["latest_period"] == "2020"
    trends = client.get("/api/monitor?region=sunan&indicator=O3&trends=true").json()
    assert len(trends) == 5 and {r["comparator"] for r in trends} == {"none"}
    targets = client.get("/api/targets?region=320100").json()
    assert len(targets) == 15 and targets[0]["plan_id"] is not None
    assert client.get("/api/indicators/PM25").json()["targets"][0]["standard"] == "GB 3095-2012"


def test_openapi_lists_the_monitoring_page_models(client):
    schema = client.get("/api/openapi.json").json()
    names = set(schema["components"]["schemas"])
    assert {
        "IndicatorsPagePublic",
        "IndicatorPagePublic",
        "WarningsPagePublic",
        "MonitorApiRowPublic",
    } <= names
    for path in ("/indicators", "/indicators/{code}", "/warnings", "/api/warnings"):
        assert path in schema["paths"], path
    # The page and its API alias answer with one model.
    ref = schema["paths"]["/api/warnings"]["get"]["responses"]["200"]["content"]
    assert ref["application/json"]["schema"]["$ref"].endswith("/WarningsPagePublic")
