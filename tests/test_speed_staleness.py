"""Nothing kept ready goes stale: every cached view and every ETag changes as soon as its data do.

Each test reads views (twice: the second read is served from what was kept, and a conditional
GET with the first ETag answers 304), writes through the ordinary paths (the API, a service, a
write session), and reads again: the page or JSON twin shows the new value, and the old ETag no
longer matches.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from web_helpers import login

from yrdplan.services.accounts import issue_token
from yrdplan.store import computed
from yrdplan.store.schema import ObservationRecord, Region, Task, User
from yrdplan.store.versions import read_versions

ALL_LEVELS = "level=red&level=orange&level=yellow&level=green"


def _token(database, username: str) -> dict[str, str]:
    with database.write() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return {"Authorization": f"Bearer {issue_token(session, user_id, 'test')}"}


def _kept(client, url: str, headers: dict | None = None):
    """Read ``url`` twice (built, then kept) and check its ETag revalidates to 304."""
    headers = headers or {}
    first = client.get(url, headers=headers)
    assert first.status_code == 200, (url, first.text[:300])
    # The first read of a fresh database stores its monitoring run: a write, so a new ETag.
    second = client.get(url, headers=headers)
    assert second.content == first.content
    again = client.get(url, headers={**headers, "If-None-Match": second.headers["etag"]})
    assert again.status_code == 304, url
    return second


def _changed(client, url: str, before, headers: dict | None = None):
    """Read ``url`` again with the old ETag: a full, different answer."""
    headers = {**(headers or {}), "If-None-Match": before.headers["etag"]}
    after = client.get(url, headers=headers)
    assert after.status_code == 200, url
    assert after.headers["etag"] != before.headers["etag"]
    assert after.content != before.content, url
    return after


def _pm25(rows: list[dict], region: str = "320100") -> dict:
    return next(r for r in rows if r["indicator_code"] == "PM25" and r["region_code"] == region)


def test_a_new_observation_reaches_every_monitoring_view(client, database):
    login(client, "viewer")  # anonymous visitors see only the portal
    views = {
        "overview": "/?format=json",
        "indicators": "/indicators?format=json",
        "indicator": "/indicators/PM25?format=json",
        "indicator_page": "/indicators/PM25",
        "region": "/regions/320100?format=json",
        "warnings": f"/warnings?format=json&basis=all&{ALL_LEVELS}&region=320100",
        "warnings_page": f"/warnings?basis=all&{ALL_LEVELS}",
        "api_warnings": f"/api/warnings?basis=all&{ALL_LEVELS}",
    }
    before = {name: _kept(client, url) for name, url in views.items()}
    assert _pm25(before["indicator"].json()["rows"])["latest_value"] == pytest.approx(30.55)

    # A steward's new value, through the API: Nanjing's PM2.5 for 2025, far above the target.
    response = client.post(
        "/api/observations",
        json=[{"region_code": "320100", "indicator_code": "PM25", "period": "2025", "value": 80}],
        headers=_token(database, "steward_nj"),
    )
    assert response.status_code == 200, response.text

    after = {name: _changed(client, url, before[name]) for name, url in views.items()}
    for name, rows in (
        ("indicator", after["indicator"].json()["rows"]),
        ("region", after["region"].json()["indicators"]["rows"]),
        ("warnings", after["warnings"].json()["warnings"]),
        ("api_warnings", after["api_warnings"].json()["warnings"]),
    ):
        row = _pm25(rows)
        assert (row["latest_period"], row["latest_value"]) == ("2025", 80.0), name
        assert row["warning"] in ("red", "orange"), name
    levels_before = before["overview"].json()["warnings"]["by_level"]
    levels_after = after["overview"].json()["warnings"]["by_level"]
    assert levels_after["green"] == levels_before["green"] - 1
    assert sum(levels_after.values()) == sum(levels_before.values())
    pm25 = _pm25(after["indicators"].json()["targets"])
    assert (pm25["latest_period"], pm25["latest_value"]) == ("2025", 80.0)


def test_a_correction_in_a_write_session_reaches_the_kept_rows(client, database):
    login(client, "viewer")  # anonymous visitors see only the portal
    """Not only the API: any write session bumps the versions (here an edited value in place)."""
    url = "/indicators/PM25?format=json"
    before = _kept(client, url)
    with database.write() as session:
        row = session.scalars(
            select(ObservationRecord)
            .where(
                ObservationRecord.region_code == "320100",
                ObservationRecord.indicator_code == "PM25",
                ObservationRecord.period == "2024",
                ObservationRecord.is_current.is_(True),
            )
            .limit(1)
        ).one()
        row.value = 31.5
    after = _changed(client, url, before)
    assert _pm25(after.json()["rows"])["latest_value"] == 31.5


def test_a_renamed_city_reaches_the_region_list_the_map_and_its_page(client, database):
    login(client, "viewer")  # anonymous visitors see only the portal
    views = ["/regions?format=json", "/regions", "/regions/320100?format=json", "/api/regions"]
    before = {url: _kept(client, url) for url in views}
    with database.write() as session:
        city = session.scalars(
            select(Region).where(Region.code == "320100", Region.valid_to.is_(None))
        ).one()
        city.name = "宁城市"
    after = {url: _changed(client, url, before[url]) for url in views}
    cities = {c["code"]: c for c in after["/regions?format=json"].json()["cities"]}
    assert cities["320100"]["name"] == "宁城市"
    assert ">宁城<" in after["/regions"].text  # the map's label
    assert after["/regions/320100?format=json"].json()["region"]["name"] == "宁城市"


def test_a_write_that_rolls_back_leaves_nothing_of_it_kept(client, database):
    """A view read inside a write session sees that session's change, and is not kept: after the
    rollback, pages show the data as they were."""
    from yrdplan.web.views import regions as region_views

    login(client, "viewer")
    before = _kept(client, "/regions?format=json")
    with pytest.raises(RuntimeError), database.write() as session:
        city = session.scalars(
            select(Region).where(Region.code == "320100", Region.valid_to.is_(None))
        ).one()
        city.name = "宁城市"
        inside = computed.cached(session, ("regions.view",), region_views.regions_page)
        assert {c.code: c.name for c in inside.cities}["320100"] == "宁城市"
        raise RuntimeError("roll back")
    again = client.get("/regions?format=json")
    assert again.content == before.content
    assert {c["code"]: c["name"] for c in again.json()["cities"]}["320100"] == "南京市"


def test_reports_reach_the_reporter_the_review_queue_and_completion(client, database):
    login(client, "viewer")  # anonymous visitors see only the portal
    reporter, office = _token(database, "nj_fgw"), _token(database, "office")
    mine = _kept(client, "/tasks/mine?format=json", reporter)
    review = _kept(client, "/tasks/review?format=json", office)
    completion = _kept(client, "/tasks/completion?format=json")
    overview = _kept(client, "/?format=json")
    cycle = next(c for c in mine.json()["cycles"] if c["status"] == "open")
    task = next(
        t
        for t in cycle["tasks"]
        if t["role"] == "lead" and not t["report"] and (t["percent"] or 0) < 100
    )

    submitted = client.post(
        "/api/reports",
        json={
            "cycle_id": cycle["id"],
            "task_id": task["id"],
            "status": "completed",
            "percent": 100,
            "narrative": "已完成",
        },
        headers=reporter,
    )
    assert submitted.status_code == 201, submitted.text
    report = submitted.json()
    mine = _changed(client, "/tasks/mine?format=json", mine, reporter)
    shown = next(t for c in mine.json()["cycles"] for t in c["tasks"] if t["id"] == task["id"])
    assert shown["report"]["review_state"] == "submitted"
    review = _changed(client, "/tasks/review?format=json", review, office)
    assert report["id"] in {r["id"] for r in review.json()["queue"]}

    accepted = client.post(
        f"/api/reports/{report['id']}/review",
        json={"decision": "accept", "row_version": report["row_version"]},
        headers=office,
    )
    assert accepted.status_code == 200, accepted.text
    # The accepted report moves the task itself: "my tasks" keeps its tasks apart from its
    # reports, and both parts show the change.
    mine = _changed(client, "/tasks/mine?format=json", mine, reporter)
    assert next(t for t in mine.json()["tasks"] if t["id"] == task["id"])["percent"] == 100
    shown = next(t for c in mine.json()["cycles"] for t in c["tasks"] if t["id"] == task["id"])
    assert (shown["percent"], shown["report"]["review_state"]) == (100, "accepted")
    completion = _changed(client, "/tasks/completion?format=json", completion)
    overview = _changed(client, "/?format=json", overview)
    plan = task["plan"]
    row = next(r for r in completion.json()["by_plan"] if r["group"] == plan)
    summary = next(p for p in overview.json()["plans"] if p["code"] == plan)
    assert summary["completion"]["completed"] == pytest.approx(row["completed"])


def test_a_page_view_reads_what_is_kept_and_builds_nothing(client, database):
    login(client, "viewer")  # anonymous visitors see only the portal
    urls = ["/?format=json", "/warnings?format=json", "/regions", "/tasks/completion?format=json"]
    # The first round stores the monitoring run (a write); the second builds on it.
    for url in urls * 2:
        assert client.get(url).status_code == 200
    with database.read() as session:
        computed.settle(session)  # what the stored run made stale is built again first
        built = computed.build_count(session)
        versions = read_versions(session)
    for url in urls * 3:
        assert client.get(url).status_code == 200
    with database.read() as session:
        assert computed.build_count(session) == built
        assert read_versions(session) == versions


def test_a_write_bumps_the_versions_of_the_tables_it_wrote_and_a_rollback_none(database):
    with database.read() as session:
        before = read_versions(session)
    with database.write() as session:
        session.scalars(select(Region).where(Region.code == "320100")).first().name_en = "Nanjing!"
    with database.read() as session:
        after = read_versions(session)
    assert after["regions"] == before.get("regions", 0) + 1
    assert {k: v for k, v in after.items() if k != "regions"} == before
    with pytest.raises(RuntimeError), database.write() as session:
        session.scalars(select(Region).where(Region.code == "320100")).first().name_en = "x"
        session.flush()
        raise RuntimeError("changed my mind")
    with database.read() as session:
        assert read_versions(session) == after


def test_a_write_builds_again_what_pages_asked_for_before_the_next_page_view(
    client, database, monkeypatch
):
    """Compute on write (when switched on): a result in demand is built again right after a write
    that changes its data, so the next view reads it ready; what nobody asked for is not built."""
    monkeypatch.setattr(computed, "COMPUTE_ON_WRITE", True)
    login(client, "viewer")
    url = "/tasks/completion?format=json"
    for _ in range(2):  # the first read stores the monitoring run; the second builds on it
        before = client.get(url).json()
    with database.read() as session:
        computed.settle(session)
        built = computed.build_count(session)
    with database.write() as session:
        task = session.scalar(select(Task).where(Task.completed_on.is_(None)).order_by(Task.id))
        task.completed_on, task.percent = task.deadline or date(2024, 6, 30), 100.0
    with database.read() as session:
        computed.settle(session)
        rebuilt = computed.build_count(session)
    assert rebuilt > built  # built again without a request
    after = client.get(url).json()
    with database.read() as session:
        assert computed.build_count(session) == rebuilt  # and the page view built nothing
    assert after != before


def test_a_retitled_task_reaches_the_indicator_page_that_keeps_its_series(client, database):
    """The page keeps its tasks apart from its series and map; a task's change reaches the page."""
    login(client, "viewer")
    url = "/indicators/PM25?format=json"
    before = _kept(client, url)
    task_id = before.json()["tasks"][0]["id"]
    with database.write() as session:
        session.get(Task, task_id).title = "细颗粒物协同治理（改）"
    after = _changed(client, url, before).json()
    assert (
        next(t for t in after["tasks"] if t["id"] == task_id)["title"] == "细颗粒物协同治理（改）"
    )
    assert after["series"] == before.json()["series"]
    assert after["map"] == before.json()["map"]
