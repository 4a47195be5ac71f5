"""Regional pages and API: JSON twins with their models, a build only by the office, pages
that read stored builds and never build one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web_helpers import csrf_of, login

from yrdplan.services import regional

DEMO = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "index_demo.toml"


def test_disparity_page_and_twin(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    page = client.get("/regional")
    assert page.status_code == 200 and "区域协调发展评价" in page.text
    assert 'id="trend-chart"' in page.text and "<svg" in page.text  # chart container and map
    data = client.get("/regional?format=json").json()
    assert data["indicator"] == "GDP_PER_CAPITA" and data["weight"] == "POP"
    assert [p["period"] for p in data["periods"]][:1] == ["2015"] and len(data["periods"]) == 10
    for point in data["periods"]:
        assert point["between"] + point["within"] == pytest.approx(point["theil_t"], abs=1e-12)
    groups = data["decomposition"]["theil_t"]["groups"]
    assert {g["code"] for g in groups} == {"310000", "320000", "330000", "340000"}
    assert len(data["map"]) == 41 and all(c["bin"] is not None for c in data["map"])
    assert data["convergence"]["n"] == 41 and data["simulated"] is True
    jiangsu = client.get("/regional?grouping=jiangsu&weighted=false&format=json").json()
    codes = {g["code"] for g in jiangsu["decomposition"]["theil_t"]["groups"]}
    assert codes == {"sunan", "suzhong", "subei"} and jiangsu["weight"] is None
    assert jiangsu["regions"] == "320000" and jiangsu["latest"]["n"] == 13
    assert jiangsu["latest"]["weighted_cv"] is None


def test_disparity_page_agrees_with_the_cli_object(client, database):
    login(client, "viewer")  # anonymous visitors see only the portal
    data = client.get("/regional?format=json").json()
    with database.read() as session:
        cli = regional.disparity_of(
            session, "GDP_PER_CAPITA", data["latest_period"], by="province", weight="POP"
        )
    assert data["latest"]["theil_t"] == pytest.approx(cli["theil_t"], abs=1e-12)
    api = client.get(
        "/api/regional/disparity",
        params={"indicator": "GDP_PER_CAPITA", "period": "2024", "by": "province", "weight": "POP"},
    ).json()
    assert api["cv"] == pytest.approx(cli["cv"], abs=1e-12)


def test_bad_input_is_a_clear_400(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    response = client.get("/regional?indicator=NOPE&format=json")
    assert response.status_code in (400, 404) and "NOPE" in response.json()["error"]
    response = client.get("/regional?grouping=colour&format=json")
    assert response.status_code == 400 and "grouping 'colour'" in response.json()["error"]


def test_index_page_reads_builds_and_only_the_office_builds(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    empty = client.get("/regional/index?format=json").json()
    assert empty["build"] is None and empty["regions"] == []
    assert client.get("/regional/index?format=json").json()["build"] is None  # a GET never builds
    login(client, "viewer")
    denied = client.post(
        "/api/index/builds", json={"config": DEMO.read_text(encoding="utf-8")},
        headers={"X-CSRF-Token": csrf_of(client)},
    )  # fmt: skip
    assert denied.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "office")
    built = client.post(
        "/regional/index/build", data={"csrf_token": csrf_of(client)}, follow_redirects=False
    )
    assert built.status_code == 303
    data = client.get("/regional/index?format=json").json()
    assert data["build"]["runs"] == 1000 and len(data["regions"]) == 41 and data["can_build"]
    for row in data["regions"]:
        assert (
            row["rank_p05"] <= row["rank"] <= row["rank_p95"] or row["rank_p05"] <= row["rank_p95"]
        )
        assert len(row["dimensions"]) == 6
    page = client.get("/regional/index").text
    assert page.count('class="rank-interval"') == 41  # no rank without its interval
    latest = client.get("/api/index/builds/latest").json()
    assert latest["regions"] == data["regions"]


def test_benchmark_page(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    data = client.get("/regional/benchmark?format=json").json()
    assert data["indicator"] == "RD_INTENSITY" and data["period"] == "2024"
    assert len(data["rows"]) == 16 and data["field_size"] == 41
    assert all(r["gap_best"] >= 0 and r["gap_peer_best"] >= 0 for r in data["rows"])
    assert client.get("/regional/benchmark").status_code == 200


def test_openapi_lists_the_page_models(client):
    schema = client.get("/api/openapi.json").json()
    names = set(schema["components"]["schemas"])
    assert {"DisparityPagePublic", "IndexPagePublic", "BenchmarkPagePublic"} <= names
    assert "/api/regional/convergence" in schema["paths"]


@pytest.mark.parametrize(
    ("path", "params", "service"),
    [
        (
            "/api/regional/disparity",
            {"indicator": "GDP_PER_CAPITA", "period": "2024", "by": "province"},
            lambda s: regional.disparity_of(s, "GDP_PER_CAPITA", "2024", by="province"),
        ),
        (
            "/api/regional/convergence",
            {"indicator": "GDP_PER_CAPITA", "start": "2015", "end": "2024", "clubs": "province"},
            lambda s: regional.convergence_of(
                s, "GDP_PER_CAPITA", "2015", "2024", clubs="province"
            ),
        ),
        (
            "/api/regional/benchmark",
            {"indicator": "RD_INTENSITY", "regions": "340000", "peers": "310000,320000"},
            lambda s: regional.benchmark_of(
                s, "RD_INTENSITY", None, regions="340000", peers="310000,320000"
            ),
        ),
    ],
)
def test_the_api_answers_the_object_the_command_prints(client, database, path, params, service):
    """The declared models describe the commands' objects whole: nothing dropped or added."""
    login(client, "viewer")
    with database.read() as session:
        expected = json.loads(json.dumps(service(session)))  # floats round-trip exactly
    assert client.get(path, params=params).json() == expected
