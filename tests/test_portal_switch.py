"""The public portal's switch on the settings page, on SQLite and PostgreSQL.

Open (the default): an anonymous visitor's home page is the portal, which shows what is
published. Closed by the office: the portal, its documents and downloads and the feedback form
answer 403 with a page that says the portal is closed, an anonymous visitor's home page is the
log-in, and signed-in users keep everything else. Every change is audited and shown with its
default and who made it.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_helpers import csrf_of, login, publish_a_bulletin

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import PermissionDenied
from yrdplan.services import bulletins, feedback, portal
from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.store.schema import PublicFeedback
from yrdplan.web.app import create_app

CLOSED_ZH = "公众参与门户已关闭"


@pytest.fixture
def site(any_default_url):
    """The demo database with one published 通报, served."""
    database = connect(any_default_url)
    bulletin_id = publish_a_bulletin(database)
    app = create_app(load_settings(database_url=database.url), database)
    yield app, database, bulletin_id
    database.dispose()


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False)


def _setting(client) -> dict:
    settings = client.get("/settings?format=json").json()["settings"]
    (switch,) = [s for s in settings if s["key"] == portal.PORTAL_OPEN_KEY]
    return switch


def _feedback_count(database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count(PublicFeedback.id)))


def _public_token(client) -> str:
    page = client.get("/login")  # an anonymous visitor's CSRF token, from any form
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_office_closes_and_reopens_the_portal(site):
    app, database, bulletin_id = site
    visitor, office = TestClient(app), TestClient(app)
    login(office, "office")

    # Open by default: shown with its default and no change yet.
    assert _setting(office) | {"changed": None} == {
        "key": "portal.open",
        "kind": "switch",
        "value": True,
        "default": True,
        "changed": None,
    }
    home = visitor.get("/", follow_redirects=False)
    assert home.headers["location"] == "/public"
    assert visitor.get(f"/public/bulletins/{bulletin_id}").status_code == 200
    token = _public_token(visitor)
    sent = visitor.post(
        "/api/feedback",
        json={"text": "建议公开更多数据", "bulletin_id": bulletin_id},
        headers={"X-CSRF-Token": token},
    )
    assert sent.status_code == 201

    # The office closes it on the settings page.
    page = office.get("/settings")
    assert 'id="setting-portal-open"' in page.text and "<select" in page.text
    assert _post(office, "/settings", key="portal.open", value="0").status_code == 200
    switch = _setting(office)
    assert (switch["value"], switch["default"], switch["changed"]["by"]) == (False, True, "office")
    entries = office.get("/api/audit?entity=instance_settings").json()["entries"]
    assert [(e["username"], e["entity_id"], e["new"]) for e in entries] == [
        ("office", "portal.open", {"value": "0"})
    ]

    # Closed: home is the log-in; the portal, documents, downloads and feedback say so.
    home = visitor.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/login"
    for path in (
        "/public",
        f"/public/bulletins/{bulletin_id}",
        f"/public/bulletins/{bulletin_id}/files/docx",
    ):
        page = visitor.get(path)
        assert page.status_code == 403 and CLOSED_ZH in page.text, path
        assert 'id="portal-closed"' in page.text and 'href="/login"' in page.text
        twin = visitor.get(path, headers={"Accept": "application/json"})
        assert twin.status_code == 403 and CLOSED_ZH in twin.json()["error"]
    before = _feedback_count(database)
    form = visitor.post(
        "/public/feedback",
        data={"csrf_token": token, "text": "还能提交吗", "bulletin_id": str(bulletin_id)},
        follow_redirects=False,
    )
    api = visitor.post(
        "/api/feedback",
        json={"text": "还能提交吗", "bulletin_id": bulletin_id},
        headers={"X-CSRF-Token": token},
    )
    assert form.status_code == api.status_code == 403
    assert CLOSED_ZH in api.json()["error"] and _feedback_count(database) == before
    visitor.get("/lang/en")
    page = visitor.get("/public")
    assert (
        "The public portal is closed" in page.text and CLOSED_ZH not in page.text.split("<main>")[1]
    )

    # Signed-in users keep the rest: the office still sees and downloads the bulletin.
    assert office.get("/").status_code == 200
    assert office.get(f"/bulletins/{bulletin_id}/files/docx").status_code == 200
    viewer = TestClient(app)
    login(viewer, "viewer")
    listed = viewer.get("/api/bulletins").json()
    assert [b["id"] for b in listed] == [bulletin_id]
    assert viewer.get("/public").status_code == 403  # the portal is closed for everyone

    # Reopened: everything is back.
    _post(office, "/settings", key="portal.open", value="on")
    assert _setting(office)["value"] is True
    assert visitor.get("/", follow_redirects=False).headers["location"] == "/public"
    assert visitor.get(f"/public/bulletins/{bulletin_id}/files/docx").status_code == 200


def test_only_the_office_switches_and_a_bad_value_is_named(site):
    app, database, _ = site
    office = TestClient(app)
    login(office, "office")
    refused = _post(office, "/settings", key="portal.open", value="maybe")
    assert refused.status_code == 400
    assert "neither on" in re.search(r'class="field-error" role="alert">([^<]*)', refused.text)[1]
    assert _setting(office)["changed"] is None
    viewer = TestClient(app)
    login(viewer, "viewer")
    assert _post(viewer, "/settings", key="portal.open", value="0").status_code == 403
    with database.read() as session:
        assert portal.portal_open(session) is True
    with database.write() as session, pytest.raises(PermissionDenied):
        portal.set_portal_open(session, False, None)


def test_the_use_cases_refuse_the_public_while_closed(site):
    _, database, bulletin_id = site
    with database.write() as session:
        portal.set_portal_open(session, False, SYSTEM_CALLER)
    with database.write() as session:
        for public_call in (
            lambda: bulletins.list_bulletins(session, None),
            lambda: bulletins.readable_bulletin(session, None, bulletin_id),
            lambda: bulletins.bulletin_file(session, None, bulletin_id, "docx"),
            lambda: feedback.submit_feedback(
                session, text="x", client="192.0.2.9", bulletin_id=bulletin_id
            ),
        ):
            with pytest.raises(portal.PortalClosed):
                public_call()
        # The office's own reads are not the public's.
        assert bulletins.readable_bulletin(session, SYSTEM_CALLER, bulletin_id).id == bulletin_id


def test_a_browser_s_kept_copy_is_not_revalidated_once_the_portal_is_closed(site):
    app, database, bulletin_id = site
    visitor = TestClient(app)
    paths = [
        "/public",
        f"/public/bulletins/{bulletin_id}",
        f"/public/bulletins/{bulletin_id}/files/xlsx",
    ]
    visitor.get("/public")  # the first visit sets the CSRF cookie the later answers are keyed on
    tags = {path: visitor.get(path).headers["etag"] for path in paths}
    assert {visitor.get(p, headers={"If-None-Match": t}).status_code for p, t in tags.items()} == {
        304
    }
    with database.write() as session:
        portal.set_portal_open(session, False, SYSTEM_CALLER)
    for path, tag in tags.items():
        assert visitor.get(path, headers={"If-None-Match": tag}).status_code == 403, path
