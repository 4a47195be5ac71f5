"""Delivery pages and their JSON twins, the report form, review, checklist upload, and the API
with session + CSRF or a Bearer token."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from delivery_helpers import make_plan
from typer.testing import CliRunner
from web_helpers import csrf_of, login

from yrdplan.analytics.completion import COMPLETION_DEFINITION
from yrdplan.cli.main import app as cli
from yrdplan.reports.task_text import status_reason_text

NANJING = "nj-implementation-2020"
DEMO_BADGE = '<span class="badge demo"'


def _open_cycle_id(client) -> int:
    cycles = client.get("/api/cycles", params={"plan": NANJING}).json()
    return next(c["id"] for c in cycles if c["status"] == "open")


def _token(database, username: str) -> str:
    result = CliRunner().invoke(cli, ["users", "token", username, "--db", database.url])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.mark.parametrize(
    "path",
    [
        "/tasks",
        f"/tasks/plan/{NANJING}",
        "/tasks/review",
        "/tasks/cycles",
        "/tasks/watch",
        f"/tasks/completion?plan={NANJING}",
    ],
)
def test_office_pages_show_the_demo_badge_and_have_json_twins(client, path):
    login(client, "office")
    page = client.get(path)
    assert page.status_code == 200
    assert DEMO_BADGE in page.text and "演示数据" in page.text
    twin = client.get(path + ("&" if "?" in path else "?") + "format=json")
    assert twin.status_code == 200 and isinstance(twin.json(), dict)


def test_board_filters_and_explains_statuses(client):
    login(client, "office")
    data = client.get(f"/tasks/plan/{NANJING}", params={"unit": "nj-jtj", "format": "json"}).json()
    assert data["tasks"] and all(
        "市交通运输局" in [t["lead_unit"], *t["supporting_units"]] for t in data["tasks"]
    )
    # Each status comes with its rule and that rule's numbers, put into words on the page.
    assert all(t["status_reason"]["code"] == t["status_rule"] for t in data["tasks"])
    board = client.get(f"/tasks/plan/{NANJING}", params={"unit": "nj-jtj"}).text
    assert all(status_reason_text(t["status_reason"]) in board for t in data["tasks"])
    overdue = client.get(
        f"/tasks/plan/{NANJING}", params={"status": "overdue", "format": "json"}
    ).json()
    assert {t["status"] for t in overdue["tasks"]} <= {"overdue"}
    page = client.get(f"/tasks/plan/{NANJING}", params={"area": data["options"]["areas"][0]})
    assert COMPLETION_DEFINITION["zh"] in page.text  # the completion definition beside the rate


def test_task_page_shows_history_reports_and_evidence(client):
    login(client, "office")
    tasks = client.get("/api/tasks", params={"plan": NANJING}).json()
    fourteen = next(t for t in tasks if t["label"] == "14.")
    data = client.get(f"/tasks/{fourteen['id']}?format=json").json()
    assert [s["label"] for s in data["subtasks"]] == ["14.1", "14.2", "14.3"]
    assert any(h["what"] == "task" for h in data["history"])
    page = client.get(f"/tasks/{fourteen['id']}")
    assert "变更记录" in page.text and "牵头单位" in page.text
    # Some demo report carries a text evidence file; it downloads as an attachment.
    reports = client.get("/api/reports").json()
    with_file = next(r for r in reports if r["evidence"])
    file = with_file["evidence"][0]
    response = client.get(f"/tasks/reports/{with_file['id']}/evidence/{file['id']}")
    assert response.status_code == 200 and "演示数据" in response.content.decode()
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_unit_reports_through_the_form_and_office_accepts(client, database):
    login(client, "nj_sthjj")
    mine = client.get("/tasks/mine?format=json").json()
    cycle = mine["cycles"][0]
    task = next(t for t in cycle["tasks"] if t["role"] == "lead" and not t["report"])
    form = {
        "csrf_token": csrf_of(client),
        "cycle_id": str(cycle["id"]),
        "task_id": str(task["id"]),
        "status": "on_track",
        "percent": "77",
        "narrative": "本月完成岸线整治验收",
        "blockers": "需省级协调跨界断面考核",
    }
    files = [("evidence", ("验收.txt", "验收合格".encode(), "text/plain"))]
    response = client.post("/tasks/mine/report", data=form, files=files, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    report = next(
        r
        for r in client.get("/api/reports", params={"task": task["id"]}).json()
        if r["cycle_id"] == cycle["id"]
    )
    assert report["percent"] == 77 and report["evidence"][0]["filename"] == "验收.txt"
    # The same form posted again (no row_version: opened before the report existed) conflicts,
    # and the page comes back with what was typed.
    again = client.post("/tasks/mine/report", data=form | {"narrative": "我的新文字"})
    assert again.status_code == 409 and "我的新文字" in again.text
    assert "saved by someone else" in again.text
    # The office accepts it on the review page.
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "office")
    assert f'data-report="{report["id"]}"' in client.get("/tasks/review").text
    response = client.post(
        f"/tasks/review/{report['id']}",
        data={
            "csrf_token": csrf_of(client),
            "decision": "accept",
            "row_version": str(report["row_version"]),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = client.get(f"/api/tasks/{task['id']}").json()["task"]
    assert after["reported_percent"] == 77
    watch = client.get("/tasks/watch?format=json").json()
    assert any(b["blockers"] == "需省级协调跨界断面考核" for b in watch["blockers"])


def test_form_rejects_a_forbidden_file_and_keeps_the_text(client):
    login(client, "nj_sthjj")
    cycle = client.get("/tasks/mine?format=json").json()["cycles"][0]
    task = next(t for t in cycle["tasks"] if not t["report"])
    form = {
        "csrf_token": csrf_of(client),
        "cycle_id": str(cycle["id"]),
        "task_id": str(task["id"]),
        "status": "on_track",
        "percent": "50",
        "narrative": "保留这段文字",
    }
    files = [("evidence", ("invoice.pdf", b"MZ\x90\x00binary", "application/pdf"))]
    response = client.post("/tasks/mine/report", data=form, files=files)
    assert response.status_code == 400 and "not a pdf file" in response.text
    assert "保留这段文字" in response.text
    assert not [
        r
        for r in client.get("/api/reports", params={"task": task["id"]}).json()
        if r["cycle_id"] == cycle["id"]
    ]


def test_api_with_bearer_token_and_with_session_csrf(client, database):
    reporter = {"Authorization": f"Bearer {_token(database, 'nj_jtj')}"}
    cycle_id = next(
        c["id"] for c in client.get("/api/cycles", headers=reporter).json() if c["status"] == "open"
    )
    mine = client.get("/api/tasks", params={"plan": NANJING}, headers=reporter).json()
    assert mine and all("市交通运输局" in [t["lead_unit"], *t["supporting_units"]] for t in mine)
    reports = client.get("/api/reports", params={"cycle": cycle_id}, headers=reporter).json()
    done = {r["task_id"] for r in reports if r["unit"] == "市交通运输局"}
    target = next(t for t in mine if t["lead_unit"] == "市交通运输局" and t["id"] not in done)
    body = {"cycle_id": cycle_id, "task_id": target["id"], "status": "on_track", "percent": 120}
    bad = client.post("/api/reports", json=body, headers=reporter)
    assert bad.status_code == 400 and "percent: must be from 0 to 100" in bad.json()["error"]
    created = client.post("/api/reports", json=body | {"percent": 64}, headers=reporter)
    assert created.status_code == 201, created.text
    report = created.json()
    upload = client.post(
        f"/api/reports/{report['id']}/evidence",
        files={"file": ("run.exe", b"MZ", "application/octet-stream")},
        headers=reporter,
    )
    assert upload.status_code == 400 and "not allowed" in upload.json()["error"]
    # The reporter cannot review; the office can, with the session and the CSRF header.
    review = {"decision": "return", "comment": "请补充佐证材料"}
    assert (
        client.post(
            f"/api/reports/{report['id']}/review", json=review, headers=reporter
        ).status_code
        == 403
    )
    login(client, "office")
    assert (
        client.post(f"/api/reports/{report['id']}/review", json=review).status_code == 403
    )  # no CSRF
    headers = {"X-CSRF-Token": csrf_of(client)}
    returned = client.post(f"/api/reports/{report['id']}/review", json=review, headers=headers)
    assert returned.status_code == 200 and returned.json()["review_state"] == "returned"
    stale = client.post(
        f"/api/reports/{report['id']}/review",
        json={"decision": "accept", "row_version": report["row_version"]},
        headers=headers,
    )
    assert stale.status_code == 409


def test_api_patch_task_with_optimistic_lock(client):
    login(client, "office")
    headers = {"X-CSRF-Token": csrf_of(client)}
    task = client.get("/api/tasks", params={"plan": NANJING}).json()[0]
    body = {"row_version": task["row_version"], "lead_unit": "市科技局", "deadline": "2027年底"}
    first = client.patch(f"/api/tasks/{task['id']}", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert (
        first.json()["task"]["lead_unit"] == "市科技局"
        and first.json()["task"]["deadline"] == "2027-12-31"
    )
    second = client.patch(
        f"/api/tasks/{task['id']}", json=body | {"lead_unit": "市教育局"}, headers=headers
    )
    assert second.status_code == 409
    assert client.get(f"/api/tasks/{task['id']}").json()["task"]["lead_unit"] == "市科技局"


def test_checklist_download_and_upload_through_the_web(client):
    from openpyxl import load_workbook

    login(client, "office")
    response = client.get(f"/tasks/plan/{NANJING}/checklist.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["责任清单"]
    sheet["C3"] = "市科技局"  # task 2's lead
    sheet["C4"] = "市科学局"  # a typo: refused with a suggestion
    out = io.BytesIO()
    book.save(out)
    upload = {"file": ("nj.xlsx", out.getvalue(), "application/octet-stream")}
    bad = client.post(
        f"/tasks/plan/{NANJING}/import", data={"csrf_token": csrf_of(client)}, files=upload
    )
    assert bad.status_code == 400 and "市科学局" in bad.text and "市科技局" in bad.text
    sheet["C4"] = "市发展改革委"
    out = io.BytesIO()
    book.save(out)
    upload = {"file": ("nj.xlsx", out.getvalue(), "application/octet-stream")}
    good = client.post(
        f"/tasks/plan/{NANJING}/import", data={"csrf_token": csrf_of(client)}, files=upload
    )
    assert good.status_code == 200 and 'id="import-ok"' in good.text
    rows = client.get("/api/tasks", params={"plan": NANJING}).json()
    assert rows[1]["lead_unit"] == "市科技局"


def test_checklist_api_upload_reads_the_stream_and_names_the_upload(client):
    from openpyxl import load_workbook

    login(client, "office")
    book = load_workbook(io.BytesIO(client.get(f"/tasks/plan/{NANJING}/checklist.xlsx").content))
    book["责任清单"]["C3"] = "市科技局"
    out = io.BytesIO()
    book.save(out)
    form = {"csrf_token": csrf_of(client), "plan": NANJING, "dry_run": "true"}
    upload = {"file": ("清单.xlsx", out.getvalue(), "application/octet-stream")}
    dry = client.post("/api/tasks/checklist", data=form, files=upload)
    assert dry.status_code == 200, dry.text
    answer = dry.json()
    assert answer["plan"] == NANJING and answer["tasks_changed"] == 1
    assert answer["changed"][0]["row"] == 3 and answer["changed"][0]["field"] == "lead_unit"
    # A dry run writes nothing.
    assert client.get("/api/tasks", params={"plan": NANJING}).json()[1]["lead_unit"] != "市科技局"
    book["责任清单"]["C4"] = "市科学局"
    out = io.BytesIO()
    book.save(out)
    upload = {"file": ("清单.xlsx", out.getvalue(), "application/octet-stream")}
    bad = client.post("/api/tasks/checklist", data=form, files=upload)
    assert (
        bad.status_code == 400 and "清单.xlsx, sheet 责任清单, row 4, column 牵头单位" in bad.text
    )


def test_unit_reporter_exports_only_its_own_part(client):
    from openpyxl import load_workbook

    login(client, "nj_kjj")
    response = client.get(f"/tasks/plan/{NANJING}/checklist.xlsx")
    rows = list(
        load_workbook(io.BytesIO(response.content))["责任清单"].iter_rows(values_only=True)
    )[1:]
    assert rows and all("市科技局" in (r[2] or "") + (r[3] or "") for r in rows)


def test_completion_page_has_offline_charts(client):
    login(client, "viewer")  # anonymous visitors see only the portal
    page = client.get(f"/tasks/completion?plan={NANJING}")
    assert page.status_code == 200
    assert (
        '<script src="/static/vendor/plotly.min.js">' in page.text
        and "cdn" not in page.text.lower()
    )
    # The figures are drawn from the rows of the JSON twin, their words put in at render time.
    data = client.get(f"/tasks/completion?plan={NANJING}&format=json").json()
    found = re.search(r'<script type="application/json" data-charts>(.*?)</script>', page.text)
    charts = json.loads(html.unescape(found.group(1)))
    assert set(charts) >= {"chart-area", "chart-unit", "chart-region", "chart-trend"}
    assert "charts" not in data
    bars = charts["chart-area"]["data"][0]
    assert bars["y"] == [r["group"] or "（未分组）" for r in data["by_area"]]
    assert bars["x"] == [round(r["rate"] * 100, 1) for r in data["by_area"]]
    assert charts["chart-area"]["layout"]["title"]["text"] == "按领域（规划部分）"
    assert client.get("/static/vendor/plotly.min.js").status_code == 200
    # Every number sits beside the definition.
    assert page.text.count(COMPLETION_DEFINITION["zh"][:20]) >= 5
    client.get("/lang/en")
    english = client.get(f"/tasks/completion?plan={NANJING}").text
    assert '"By area"' in english and COMPLETION_DEFINITION["en"][:20] in english


def test_english_pages(client):
    login(client, "office")
    client.get("/lang/en")
    page = client.get(f"/tasks/plan/{NANJING}")
    assert "Lead unit" in page.text and "Completion rate" in page.text and "Demo data" in page.text
    assert re.search(r"(on track|lagging|overdue|completed)", page.text)


def test_viewer_reads_but_cannot_write(client):
    login(client, "viewer")
    assert client.get(f"/tasks/plan/{NANJING}").status_code == 200
    headers = {"X-CSRF-Token": csrf_of(client)}
    task = client.get("/api/tasks", params={"plan": NANJING}).json()[0]
    assert (
        client.patch(
            f"/api/tasks/{task['id']}", json={"lead_unit": ""}, headers=headers
        ).status_code
        == 403
    )
    assert client.get("/tasks/review").status_code == 403
    cycle_id = _open_cycle_id(client)
    body = {"cycle_id": cycle_id, "task_id": task["id"], "status": "on_track", "percent": 1}
    assert client.post("/api/reports", json=body, headers=headers).status_code == 403


def test_openapi_lists_the_task_pages_and_their_aliases(client):
    schema = client.get("/api/openapi.json").json()
    names = set(schema["components"]["schemas"])
    assert {
        "TasksIndexPagePublic",
        "BoardPagePublic",
        "TaskPagePublic",
        "CompletionPagePublic",
        "WatchPagePublic",
    } <= names

    def answer(path: str) -> str:
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    assert answer("/tasks/{task_id}") == answer("/api/tasks/{task_id}") == "TaskPagePublic"
    assert answer("/tasks/watch") == answer("/api/delivery/watch") == "WatchPagePublic"
    assert answer("/tasks/completion") == "CompletionPagePublic"


def test_api_aliases_answer_what_the_pages_show(client):
    login(client, "office")
    board = client.get(f"/tasks/plan/{NANJING}", params={"format": "json"}).json()
    task_id = board["tasks"][0]["id"]
    page = client.get(f"/tasks/{task_id}", params={"format": "json"}).json()
    assert client.get(f"/api/tasks/{task_id}").json() == page
    assert page["assignment"]["units"]  # the office's form choices are in the JSON twin
    watch = client.get("/tasks/watch", params={"format": "json"}).json()
    assert client.get("/api/delivery/watch").json() == watch
    rows = client.get("/api/tasks", params={"plan": NANJING}).json()
    assert [r["id"] for r in rows] == [r["id"] for r in board["tasks"]]


def test_tasks_without_a_lead_unit_are_named_in_the_readers_language(client, database):
    make_plan(database, "t-unassigned")  # five tasks, none assigned yet
    login(client, "viewer")
    data = client.get("/tasks/completion?plan=t-unassigned&format=json").json()
    assert [r["group"] for r in data["by_unit"]] == [None]
    assert "（未分配）" in client.get("/tasks/completion?plan=t-unassigned").text
    client.get("/lang/en")
    english = client.get("/tasks/completion?plan=t-unassigned").text
    assert "(no lead unit)" in english and "未分配" not in english


def test_completion_api_answers_one_grouping_with_its_definition(client):
    login(client, "viewer")
    page = client.get(f"/tasks/completion?plan={NANJING}&format=json").json()
    by_unit = client.get("/api/completion", params={"plan": NANJING, "by": "unit"}).json()
    assert by_unit["by"] == "unit" and by_unit["definition"] == COMPLETION_DEFINITION
    assert [r["rate"] for r in by_unit["rows"]] == [r["rate"] for r in page["by_unit"]]
    trend = client.get("/api/completion", params={"plan": NANJING, "over_time": True}).json()
    assert trend["by"] == "date" and [r["as_of"] for r in trend["rows"]] == [
        r["as_of"] for r in page["trend"]
    ]
