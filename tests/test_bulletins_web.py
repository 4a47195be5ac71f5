"""The bulletin pages, the public portal and feedback over HTTP.

The role × route test walks every GET route of the bulletin, evaluation, feedback and public
areas (``app.routes``, so routes added later are walked too) as an anonymous visitor and as
each role that is not the office, with every path parameter pointing at a draft whose text
carries a marker: none may answer with the draft, nor show the marker anywhere (inside a .docx
too); the office may. Publishing makes it visible to all; withdrawing hides it again.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile

import pytest
from fastapi.testclient import TestClient
from web_helpers import app_routes, csrf_of, login

from yrdplan.domain.people import UserInfo
from yrdplan.services import bulletins as service
from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.store.repos import tasks as task_repo
from yrdplan.web.app import create_app

OFFICE = UserInfo(id=2, username="office", role="office")
MARKER = "草稿机密标记XYZ"
AREAS = re.compile(r"^/(bulletins|public|feedback|evaluations|api/bulletins|api/feedback)")
ROLES = (None, "viewer", "nj_kjj", "steward_nj", "assessor")


@pytest.fixture(scope="module")
def template(default_sqlite_template, tmp_path_factory):
    """The demo database with a draft evaluation (marked) and a draft 通报."""
    path = tmp_path_factory.mktemp("bulletin-web") / "web.db"
    shutil.copy(default_sqlite_template, path)
    database = connect(f"sqlite:///{path}")
    with database.write() as session:
        cycle = max(
            task_repo.cycles(session),
            key=lambda c: c.due_on if c.status == "closed" else c.opens_on.min,
        )
        draft = service.create_evaluation(session, OFFICE, "nj-implementation-2020", "mid_term")
        service.set_texts(session, OFFICE, draft.id, {"number": MARKER})
        other = service.create_bulletin(session, OFFICE, cycle_id=cycle.id)
        ids = (draft.id, other.id)
    database.dispose()
    return path, ids


@pytest.fixture
def site(template, tmp_path):
    path = tmp_path / "yrdplan.db"
    shutil.copy(template[0], path)
    database = connect(f"sqlite:///{path}")
    app = create_app(load_settings(database_url=database.url), database)
    yield app, database, template[1]
    database.dispose()


def _client(app, username):
    client = TestClient(app)
    if username:
        assert login(client, username).status_code == 303
    return client


def _public_token(client) -> str:
    """An anonymous visitor's CSRF token, from the portal's feedback form."""
    page = client.get("/public")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _get_routes(app):
    for route in app_routes(app):
        if "GET" in route.methods and AREAS.match(route.path):
            yield route.path


def _fill(path: str, bulletin_id: int) -> list[str]:
    path = path.replace("{bulletin_id}", str(bulletin_id)).replace("{feedback_id}", "1")
    if "{fmt}" in path:
        return [path.replace("{fmt}", f) for f in ("docx", "xlsx", "html", "pdf")]
    return [path, path + ("&" if "?" in path else "?") + "format=json"]


def _shows_marker(response) -> bool:
    if MARKER in response.text:
        return True
    body = response.content
    if body[:2] == b"PK":  # docx / xlsx: look inside
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return any(MARKER.encode() in archive.read(n) for n in archive.namelist())
    return False


@pytest.mark.parametrize("username", ROLES)
def test_nothing_unpublished_reaches_anyone_but_the_office(site, username):
    app, _, (draft, _other) = site
    client = _client(app, username)
    paths = [p for route in _get_routes(app) for p in _fill(route, draft)]
    assert any("/public/bulletins/" in p for p in paths) and any("/files/" in p for p in paths)
    for path in paths:
        response = client.get(path, follow_redirects=False)
        assert not _shows_marker(response), f"{username or 'anonymous'} saw the draft at {path}"
        if str(draft) in path.split("?")[0].split("/"):
            assert response.status_code in (303, 401, 403, 404), (path, response.status_code)
    if username is None:  # the API is for signed-in users; the portal is the public's
        assert client.get("/api/bulletins").status_code == 401
    else:
        assert client.get("/api/bulletins").json() == []
    portal = client.get("/public?format=json").json()
    assert portal["bulletins"] == portal["evaluations"] == [] and portal["completion"] is None


def test_the_office_sees_drafts_and_publication_opens_them(site):
    app, _, (draft, other) = site
    office = _client(app, "office")
    assert office.get(f"/bulletins/{draft}").status_code == 200
    docx = office.get(f"/bulletins/{draft}/files/docx")
    assert docx.status_code == 200 and _shows_marker(docx)
    token = csrf_of(office)
    assert office.post(f"/bulletins/{draft}/publish", data={"csrf_token": token}).status_code == 200
    anonymous = TestClient(app)
    page = anonymous.get(f"/public/bulletins/{draft}")
    assert page.status_code == 200 and "中期评估报告" in page.text
    assert _shows_marker(anonymous.get(f"/public/bulletins/{draft}/files/docx"))
    assert anonymous.get(f"/public/bulletins/{other}").status_code == 404
    portal = anonymous.get("/public?format=json").json()
    assert [b["id"] for b in portal["bulletins"] + portal["evaluations"]] == [draft]
    reply = office.post(
        f"/bulletins/{draft}/withdraw", data={"csrf_token": token, "reason": "数据复核"}
    )
    assert reply.status_code == 200 and "数据复核" in reply.text
    assert anonymous.get(f"/public/bulletins/{draft}").status_code == 404
    assert anonymous.get(f"/public/bulletins/{draft}/files/html").status_code == 404


def test_portal_shows_the_published_snapshot(site):
    app, database, (_draft, other) = site
    with database.write() as session:
        service.publish(session, OFFICE, other)
        snapshot = session.get(service.Bulletin, other).snapshot
    portal = TestClient(app).get("/public?format=json").json()
    assert portal["completion"]["bulletin_id"] == other
    assert portal["completion"]["overall"]["rate"] == snapshot["completion"]["overall"]["rate"]
    assert len(portal["dashboard"]["cities"]) == 41
    html = TestClient(app).get("/public").text
    main = html.split("<main>")[1].split("</main>")[0]
    assert "<svg" in main and not re.search(r"""(src|href)=["']?(https?:)?//""", main)


@pytest.mark.parametrize("username", ["viewer", "nj_kjj", "assessor"])
def test_only_the_office_writes(site, username):
    app, _, (draft, _other) = site
    client = _client(app, username)
    token = csrf_of(client)
    for path, data in (
        (f"/bulletins/{draft}/publish", {}),
        (f"/bulletins/{draft}/texts", {"text_summary": "x"}),
        (f"/bulletins/{draft}/pdf", {}),
        ("/bulletins", {"scope": "period", "period": "2026"}),
    ):
        response = client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
        assert response.status_code == 403, path
    api = client.post(f"/api/bulletins/{draft}/publish", headers={"X-CSRF-Token": token})
    assert api.status_code == 403


def test_feedback_limits_answers_and_privacy(site):
    app, database, (draft, _other) = site
    with database.write() as session:
        service.publish(session, OFFICE, draft)
    visitor = TestClient(app)
    token = _public_token(visitor)
    headers = {"X-CSRF-Token": token}
    too_long = visitor.post(
        "/api/feedback", json={"text": "长" * 1001, "bulletin_id": draft}, headers=headers
    )
    assert too_long.status_code == 400 and "1000" in too_long.json()["error"]
    unpublished = visitor.post(
        "/api/feedback",
        json={"text": "x", "bulletin_id": _other},
        headers={"X-CSRF-Token": token},
    )
    assert unpublished.status_code == 404  # a draft takes no feedback
    empty = visitor.post(
        "/api/feedback", json={"text": "  ", "bulletin_id": draft}, headers=headers
    )
    assert empty.status_code == 400
    sent = [
        visitor.post(
            "/api/feedback",
            json={"text": f"建议{n}", "contact": "138-0000-0000", "bulletin_id": draft},
            headers=headers,
        ).status_code
        for n in range(6)
    ]
    assert sent == [201] * 5 + [429]
    office = _client(app, "office")
    listed = office.get("/api/feedback").json()
    assert len(listed) == 5 and listed[0]["contact"] == "138-0000-0000"
    assert TestClient(app).get("/api/feedback").status_code in (401, 403)
    office_token = csrf_of(office)
    answer = office.post(
        f"/feedback/{listed[-1]['id']}/answer",
        data={"csrf_token": office_token, "answer": "已转有关部门研究", "publish": "1"},
    )
    assert answer.status_code == 200
    page = TestClient(app).get(f"/public/bulletins/{draft}")
    assert "已转有关部门研究" in page.text and "建议0" in page.text
    assert "138-0000-0000" not in page.text and "建议1" not in page.text  # unanswered stay private


def test_assessment_page_roles(site):
    app, _, _ids = site
    office = _client(app, "office")
    page = office.get("/evaluations/assess?plan=nj-implementation-2020&stage=mid_term&format=json")
    assert page.json()["may_enter"] == ["self"]
    assessor = _client(app, "assessor")
    assert assessor.get("/evaluations/assess?format=json").json()["may_enter"] == ["third_party"]
    token = csrf_of(assessor)
    refused = assessor.post(
        "/evaluations/assess",
        data={
            "csrf_token": token,
            "plan": "nj-implementation-2020",
            "stage": "mid_term",
            "kind": "self",
            "assessor": "x",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 403
    saved = assessor.post(
        "/evaluations/assess",
        data={
            "csrf_token": token,
            "plan": "nj-implementation-2020",
            "stage": "mid_term",
            "kind": "third_party",
            "assessor": "某大学长三角研究院",
            "dimension": ["目标实现", "协同机制"],
            "score": ["70", "65.5"],
            "text": "第三方意见。",
        },
    )
    assert saved.status_code == 200
    rows = office.get("/evaluations/assess?format=json").json()["assessments"]
    assert rows[0]["scores"] == {"目标实现": 70.0, "协同机制": 65.5}
    assert _client(app, "viewer").get("/evaluations/assess").status_code == 403
