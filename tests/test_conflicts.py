"""No lost updates: two people edit the same task or report; the second save of a stale version is
refused with what changed, and nothing of it is written — on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from fastapi.testclient import TestClient
from web_helpers import csrf_of, login

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services import accounts
from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.web.app import create_app

NANJING = "nj-implementation-2020"


@pytest.fixture
def db(any_default_url):
    database = connect(any_default_url)
    yield database
    database.dispose()


def _person(database, username: str) -> tuple[TestClient, dict]:
    client = TestClient(create_app(load_settings(database_url=database.url), database))
    assert login(client, username).status_code == 303
    return client, {"X-CSRF-Token": csrf_of(client)}


def test_second_stale_task_save_is_refused_with_what_changed(db):
    office, office_csrf = _person(db, "office")
    admin, admin_csrf = _person(db, "admin")
    task = office.get("/api/tasks", params={"plan": NANJING}).json()[0]
    seen_by_admin = admin.get(f"/api/tasks/{task['id']}").json()["task"]["row_version"]
    first = office.patch(
        f"/api/tasks/{task['id']}",
        json={"row_version": task["row_version"], "deadline": "2027-06-30"},
        headers=office_csrf,
    )
    assert first.status_code == 200, first.text
    second = admin.patch(
        f"/api/tasks/{task['id']}",
        json={"row_version": seen_by_admin, "deadline": "2030-01-01", "weight": 3},
        headers=admin_csrf,
    )
    assert second.status_code == 409
    body = second.json()
    assert body["changes"]["deadline"] == "2027-06-30"
    assert "deadline" in body["error"] and "office" in body["error"]
    now = office.get(f"/api/tasks/{task['id']}").json()["task"]
    assert now["deadline"] == "2027-06-30" and now["row_version"] == task["row_version"] + 1
    assert now["weight"] != 3  # nothing of the refused save was written


def test_a_change_of_supporting_units_alone_also_makes_a_version_stale(db):
    office, office_csrf = _person(db, "office")
    admin, admin_csrf = _person(db, "admin")
    task = office.get("/api/tasks", params={"plan": NANJING}).json()[0]
    first = office.patch(
        f"/api/tasks/{task['id']}",
        json={"row_version": task["row_version"], "supporting_units": ["市科技局"]},
        headers=office_csrf,
    )
    assert first.status_code == 200, first.text
    stale = admin.patch(
        f"/api/tasks/{task['id']}",
        json={"row_version": task["row_version"], "supporting_units": ["市教育局"]},
        headers=admin_csrf,
    )
    assert stale.status_code == 409
    assert "supporting units" in stale.json()["error"]
    assert office.get(f"/api/tasks/{task['id']}").json()["task"]["supporting_units"] == ["市科技局"]


def test_two_reporters_of_one_unit_resubmit_the_same_report(db):
    with db.write() as session:
        accounts.create_user(
            session,
            username="nj_kjj_2",
            password="yrdplan-demo",
            role="unit_reporter",
            unit_code="nj-kjj",
        )
    first, first_csrf = _person(db, "nj_kjj")
    second, second_csrf = _person(db, "nj_kjj_2")
    report = next(
        r
        for r in first.get("/api/reports").json()
        if r["review_state"] in ("submitted", "returned")
    )
    body = {
        "cycle_id": report["cycle_id"],
        "task_id": report["task_id"],
        "status": "on_track",
        "narrative": "第一位填报员的进展",
        "row_version": report["row_version"],
    }
    saved = first.post("/api/reports", json=body | {"percent": 40}, headers=first_csrf)
    assert saved.status_code in (200, 201), saved.text
    stale = second.post(
        "/api/reports",
        json=body | {"percent": 60, "narrative": "第二位填报员的进展"},
        headers=second_csrf,
    )
    assert stale.status_code == 409
    assert stale.json()["changes"]["percent"] == 40
    kept = first.get(f"/api/reports/{report['id']}").json()
    assert kept["percent"] == 40 and kept["narrative"] == "第一位填报员的进展"


def test_two_reviewers_decide_the_same_report(db):
    office, office_csrf = _person(db, "office")
    admin, admin_csrf = _person(db, "admin")
    report = next(r for r in office.get("/api/reports").json() if r["review_state"] == "submitted")
    decision = {"row_version": report["row_version"]}
    accepted = office.post(
        f"/api/reports/{report['id']}/review",
        json=decision | {"decision": "accept"},
        headers=office_csrf,
    )
    assert accepted.status_code == 200, accepted.text
    returned = admin.post(
        f"/api/reports/{report['id']}/review",
        json=decision | {"decision": "return", "comment": "请补充材料"},
        headers=admin_csrf,
    )
    assert returned.status_code == 409
    assert returned.json()["changes"]["review_state"] == "accepted"
    assert office.get(f"/api/reports/{report['id']}").json()["review_state"] == "accepted"


def test_the_command_line_refuses_a_stale_version_with_what_changed(db):
    office, office_csrf = _person(db, "office")
    task = office.get("/api/tasks", params={"plan": NANJING}).json()[0]
    office.patch(
        f"/api/tasks/{task['id']}",
        json={"row_version": task["row_version"], "deadline": "2027-06-30"},
        headers=office_csrf,
    )
    result = subprocess.run(
        [sys.executable, "-m", "yrdplan.cli.main", "tasks", "assign", str(task["id"])]
        + ["--deadline", "2031-01-01", "--version", str(task["row_version"]), "--db", db.url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "changed by someone else" in line and "2027-06-30" in line
    assert office.get(f"/api/tasks/{task['id']}").json()["task"]["deadline"] == "2027-06-30"


def test_the_task_form_comes_back_with_the_conflict(db):
    office, _ = _person(db, "office")
    task = office.get("/api/tasks", params={"plan": NANJING}).json()[0]
    with db.write() as session:
        from yrdplan.services import task_edits

        task_edits.update_task(
            session,
            task["id"],
            task_edits.TaskUpdate(deadline=date(2027, 6, 30)),
            user=SYSTEM_CALLER,
        )
    page = office.post(
        f"/tasks/{task['id']}",
        data={
            "csrf_token": csrf_of(office),
            "row_version": str(task["row_version"]),
            "deadline": "2030-12-31",
        },
    )
    assert page.status_code == 409
    # The message names the other person's change; the form keeps what this person typed.
    assert "2027-06-30" in page.text and 'value="2030-12-31"' in page.text


def _a_target(client, headers) -> dict:
    """A target added through the form (revision 1), as the API lists it."""
    fields = {"indicator_code": "RD_INTENSITY", "region_code": "320100", "year": "2033"}
    added = client.post(
        "/targets",
        json=fields | {"comparator": ">=", "value": "3.5", "reason": "规划纲要", "revision": "0"},
        headers=headers | {"Accept": "application/json"},
    )
    assert added.status_code == 200, added.text
    return next(
        t
        for t in client.get("/api/targets", params={"indicator": "RD_INTENSITY"}).json()
        if t["region_code"] == "320100" and t["year"] == 2033
    )


def _target_fields(target: dict, **changes) -> dict:
    fields = {
        "indicator_code": target["indicator_code"],
        "region_code": target["region_code"],
        "year": str(target["year"]),
        "comparator": target["comparator"],
        "value": str(target["value"]),
        "value_high": "" if target["value_high"] is None else str(target["value_high"]),
        "base_year": "" if target["base_year"] is None else str(target["base_year"]),
        "base_value": "" if target["base_value"] is None else str(target["base_value"]),
        "relative_change": ""
        if target["relative_change"] is None
        else str(target["relative_change"] * 100),
        "standard": target["standard"] or "",
        "revision": str(target["revision"]),
        "reason": "中期调整",
    }
    return fields | changes


def test_second_stale_target_revision_is_refused_with_what_changed(db):
    office, office_csrf = _person(db, "office")
    admin, admin_csrf = _person(db, "admin")
    target = _a_target(office, office_csrf)
    as_json = {"Accept": "application/json"}
    first = admin.post(
        "/targets",
        json=_target_fields(target, value="123.5"),
        headers=admin_csrf | as_json,
    )
    assert first.status_code == 200, first.text
    stale = office.post(
        "/targets",
        json=_target_fields(target, value="99", reason="另一位的修订"),
        headers=office_csrf | as_json,
    )
    assert stale.status_code == 409, stale.text
    body = stale.json()
    assert (
        body["changes"]["value"] == 123.5 and body["changes"]["revision"] == target["revision"] + 1
    )
    assert "value" in body["error"] and "admin" in body["error"]
    [now] = [
        t
        for t in office.get("/api/targets", params={"indicator": target["indicator_code"]}).json()
        if t["target_key"] == target["target_key"]
    ]
    assert now["value"] == 123.5 and now["revision"] == target["revision"] + 1


def test_the_target_form_carries_its_revision_and_comes_back_with_the_conflict(db):
    office, office_csrf = _person(db, "office")
    admin, admin_csrf = _person(db, "admin")
    target = _a_target(office, office_csrf)
    page = office.get(
        "/targets", params={"indicator": target["indicator_code"], "key": target["target_key"]}
    )
    assert f'name="revision" value="{target["revision"]}"' in page.text
    admin.post("/targets", json=_target_fields(target, value="777"), headers=admin_csrf)
    refused = office.post(
        "/targets", data=_target_fields(target, value="1") | {"csrf_token": csrf_of(office)}
    )
    assert refused.status_code == 409
    assert "777" in refused.text and "admin" in refused.text


def test_a_stale_target_row_on_the_command_line_is_one_error_line(db, tmp_path):
    office, office_csrf = _person(db, "office")
    target = _a_target(office, office_csrf)
    office.post("/targets", json=_target_fields(target, value="555"), headers=office_csrf)
    path = tmp_path / "targets.csv"
    path.write_text(
        "region_code,indicator_code,year,comparator,value,revision\n"
        f"{target['region_code']},{target['indicator_code']},{target['year']},"
        f"{target['comparator']},1,{target['revision']}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "yrdplan.cli.main", "targets", "import", str(path), "--db", db.url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "revised since" in line and "555" in line
    [now] = [
        t
        for t in office.get("/api/targets", params={"indicator": target["indicator_code"]}).json()
        if t["target_key"] == target["target_key"]
    ]
    assert now["value"] == 555
