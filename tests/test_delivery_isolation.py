"""A unit reporter cannot read or write another unit's task, report or evidence through ANY route.

The test walks ``app.routes`` — every route of the app, including ones added later by other
areas — as the reporter of 市科技局, with every path parameter filled with an id of another
unit's task, report, evidence file or unit:

* a route with a task-, report-, file- or unit-like path parameter must answer 403 or 404 to
  every method it has;
* every delivery route that writes must refuse (403/404), whatever it is sent;
* no GET response of any route may contain the other unit's task title, report text or file
  name (marker strings planted for the test), also inside an exported .xlsx;
* and the audit log has not grown: nothing was written.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from delivery_helpers import audit_count
from sqlalchemy import select
from web_helpers import all_routes, csrf_of, login

from yrdplan.store.schema import EvidenceFile, ProgressReport, Task, TaskSupportingUnit, Unit

NANJING = "nj-implementation-2020"
REPORTER = "nj_kjj"  # 市科技局
MARKERS = ("机密任务标题XYZ", "机密进展叙述XYZ", "机密材料XYZ.txt")
SENSITIVE = re.compile(r"task|report|unit|file", re.I)
DELIVERY_PATHS = re.compile(
    r"^/(tasks|api/(tasks|reports|cycles|units|completion|review-queue|delivery))"
)


@pytest.fixture
def foreign(database):
    """Another unit's task (title marked), its report (narrative marked) and evidence file."""
    with database.write() as session:
        own = session.scalar(select(Unit).where(Unit.code == "nj-kjj"))
        supported = set(
            session.scalars(
                select(TaskSupportingUnit.task_id).where(TaskSupportingUnit.unit_id == own.id)
            )
        )
        report = next(
            r
            for r in session.scalars(select(ProgressReport).order_by(ProgressReport.id))
            if session.get(Task, r.task_id).lead_unit_id != own.id and r.task_id not in supported
        )
        task = session.get(Task, report.task_id)
        task.title = MARKERS[0]
        report.narrative = MARKERS[1]
        file = EvidenceFile(
            report_id=report.id,
            filename=MARKERS[2],
            content_type="text/plain; charset=utf-8",
            size=4,
            sha256="0" * 64,
            content=b"test",
        )
        session.add(file)
        session.flush()
        ids = {
            "task": task.id,
            "report": report.id,
            "file": file.id,
            "unit": task.lead_unit_id,
            "unit_code": session.get(Unit, task.lead_unit_id).code,
            "cycle": report.cycle_id,
        }
    return ids


def _value(name: str, ids: dict) -> str:
    lowered = name.lower()
    for key in ("report", "file", "task", "unit", "cycle"):
        if key in lowered:
            return str(ids[key])
    if "plan" in lowered:
        return NANJING
    if "code" in lowered or "region" in lowered:
        return "320100"
    if lowered in ("lang",):
        return "zh"
    return "1"


def _path(route, ids: dict) -> str:
    return re.sub(r"{([^}:]+)(:[^}]*)?}", lambda m: _value(m.group(1), ids), route.path)


def _body(ids: dict) -> dict:
    return {
        "cycle_id": ids["cycle"],
        "task_id": ids["task"],
        "report_id": ids["report"],
        "unit_id": ids["unit"],
        "status": "on_track",
        "percent": 50,
        "narrative": "越权写入",
        "blockers": "",
        "decision": "accept",
        "comment": "越权",
        "title": "越权子任务",
        "plan": NANJING,
        "name": "越权调度",
        "due_on": "2030-01-01",
        "lead_unit": "nj-kjj",
        "row_version": 1,
    }


def _text(response) -> str:
    content = response.content
    if content[:2] == b"PK":  # an .xlsx: look inside every part
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "".join(book.read(n).decode("utf-8", "ignore") for n in book.namelist())
    return content.decode("utf-8", "ignore")


def test_reporter_cannot_reach_another_units_task_report_or_evidence(client, database, foreign):
    app = client.app
    login(client, REPORTER)
    headers = {"X-CSRF-Token": csrf_of(client)}
    before = audit_count(database)
    query = {
        "format": "json",
        "plan": NANJING,
        "task": foreign["task"],
        "task_id": foreign["task"],
        "report": foreign["report"],
        "unit": foreign["unit_code"],
        "cycle": foreign["cycle"],
    }
    checked, leaks, allowed = [], [], []
    for route in all_routes(app):
        methods = set(getattr(route, "methods", None) or ()) - {"HEAD", "OPTIONS"}
        if not methods or route.path.startswith(("/static", "/logout", "/login", "/lang")):
            continue
        params = re.findall(r"{([^}:]+)", route.path)
        sensitive = any(SENSITIVE.search(p) for p in params)
        url = _path(route, foreign)
        for method in sorted(methods):
            if method == "GET":
                response = client.get(url, params=query, headers=headers)
                text = _text(response)
                leaks += [(url, m) for m in MARKERS if m in text]
                if sensitive and response.status_code not in (403, 404):
                    allowed.append((method, url, response.status_code))
                checked.append((method, url))
                continue
            if not (sensitive or DELIVERY_PATHS.match(route.path)):
                continue  # other areas' writes hold no tasks, reports or evidence
            response = client.request(method, url, json=_body(foreign), headers=headers)
            if response.status_code == 422:  # a form or upload route: send it that way
                form = {k: str(v) for k, v in _body(foreign).items()} | {
                    "csrf_token": headers["X-CSRF-Token"]
                }
                files = {
                    "file": ("x.txt", b"x", "text/plain"),
                    "evidence": ("x.txt", b"x", "text/plain"),
                }
                response = client.request(method, url, data=form, files=files, headers=headers)
            if response.status_code not in (403, 404):
                allowed.append((method, url, response.status_code))
            checked.append((method, url))
    assert leaks == []
    assert allowed == []
    assert audit_count(database) == before
    # The walk really covered the delivery routes (and is not vacuous).
    paths = {u for _, u in checked}
    assert f"/api/tasks/{foreign['task']}" in paths
    assert f"/tasks/reports/{foreign['report']}/evidence/{foreign['file']}" in paths
    assert f"/api/reports/{foreign['report']}/evidence/{foreign['file']}" in paths
    assert len(checked) > 40


def test_the_same_ids_work_for_the_office(client, foreign):
    """The control: the foreign ids are real, so the 403/404s above are about permission."""
    login(client, "office")
    assert MARKERS[0] in client.get(f"/api/tasks/{foreign['task']}").text
    assert MARKERS[1] in client.get(f"/api/reports/{foreign['report']}").text
    response = client.get(f"/tasks/reports/{foreign['report']}/evidence/{foreign['file']}")
    assert response.status_code == 200 and response.content == b"test"


def test_the_reporter_sees_its_own(client):
    login(client, REPORTER)
    rows = client.get("/api/tasks", params={"plan": NANJING}).json()
    assert rows and all("市科技局" in [r["lead_unit"], *r["supporting_units"]] for r in rows)
    assert client.get(f"/api/tasks/{rows[0]['id']}").status_code == 200
