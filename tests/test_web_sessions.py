"""Server-side sessions: every way a session ends, on SQLite and PostgreSQL; log-in throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from web_helpers import csrf_of, login

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.errors import InputError, PermissionDenied
from yrdplan.services import accounts
from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.store.repos.users import find_user, to_info
from yrdplan.store.schema import WebSession, utcnow
from yrdplan.web.app import create_app
from yrdplan.web.deps import SESSION_COOKIE


@pytest.fixture
def db(any_default_url):
    database = connect(any_default_url)
    yield database
    database.dispose()


def _client(database, **settings) -> TestClient:
    app = create_app(load_settings(database_url=database.url, **settings), database)
    return TestClient(app)


def _logged_in(database, username="office", **settings) -> tuple[TestClient, str]:
    client = _client(database, **settings)
    assert login(client, username).status_code == 303
    return client, client.cookies[SESSION_COOKIE]


def _with_cookie(database, cookie: str) -> TestClient:
    """A second browser that stole (copied) the cookie."""
    thief = _client(database)
    thief.cookies.set(SESSION_COOKIE, cookie)
    return thief


def _opens_audit(client: TestClient) -> bool:
    return client.get("/audit?format=json").status_code == 200


def test_cookie_holds_only_a_random_id_and_the_store_only_its_hash(db):
    client, cookie = _logged_in(db)
    assert _opens_audit(client)
    assert len(cookie) >= 40 and "office" not in cookie
    with db.read() as session:
        ids = list(session.scalars(select(WebSession.id)))
    assert len(ids) == 1 and cookie not in ids and len(ids[0]) == 64


def test_logout_ends_the_session_for_a_copied_cookie(db):
    client, cookie = _logged_in(db)
    thief = _with_cookie(db, cookie)
    assert _opens_audit(thief)
    response = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert thief.get("/audit?format=json").status_code == 401
    page = thief.get("/audit", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    with db.read() as session:
        assert session.scalar(select(WebSession.end_reason)) == "logout"


def test_password_change_ends_every_session(db):
    _, cookie = _logged_in(db)
    with db.write() as session:
        accounts.change_password(session, SYSTEM_CALLER, "office", "a-new-password-1")
    assert not _opens_audit(_with_cookie(db, cookie))
    client = _client(db)
    assert login(client, "office", "a-new-password-1").status_code == 303
    assert _opens_audit(client)


def test_own_password_change_needs_the_current_password(db):
    with db.write() as session:
        office = to_info(session, find_user(session, "office"))
    with pytest.raises(InputError, match="current_password"), db.write() as session:
        accounts.change_password(session, office, "office", "a-new-password-1", "wrong")
    with pytest.raises(PermissionDenied), db.write() as session:
        accounts.change_password(session, office, "admin", "a-new-password-1")


def test_role_change_ends_every_session(db):
    _, cookie = _logged_in(db)
    with db.write() as session:
        accounts.change_role(session, SYSTEM_CALLER, "office", "viewer")
    assert not _opens_audit(_with_cookie(db, cookie))


def test_disabling_a_user_ends_sessions_and_tokens(db):
    _, cookie = _logged_in(db)
    with db.write() as session:
        token = accounts.issue_token(session, find_user(session, "office").id, "script")
    bearer = {"Authorization": f"Bearer {token}"}
    assert _client(db).get("/api/me", headers=bearer).status_code == 200
    with db.write() as session:
        accounts.set_active(session, SYSTEM_CALLER, "office", False)
    assert not _opens_audit(_with_cookie(db, cookie))
    assert _client(db).get("/api/me", headers=bearer).status_code == 401
    assert login(_client(db), "office").status_code == 401


def test_the_last_admin_cannot_be_disabled_or_demoted(db):
    with pytest.raises(InputError, match="last active admin"), db.write() as session:
        accounts.set_active(session, SYSTEM_CALLER, "admin", False)
    with pytest.raises(InputError, match="last active admin"), db.write() as session:
        accounts.change_role(session, SYSTEM_CALLER, "admin", "office")


def test_idle_timeout_ends_a_session(db):
    client, _ = _logged_in(db, session_idle_minutes=30)
    assert _opens_audit(client)
    with db.write() as session:
        session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert not _opens_audit(client)


def test_use_keeps_a_session_alive(db):
    client, _ = _logged_in(db, session_idle_minutes=30)
    with db.write() as session:
        session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(minutes=29)))
    assert _opens_audit(client)  # stamps last_seen_at anew
    with db.read() as session:
        seen = session.scalar(select(WebSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)


def test_absolute_lifetime_ends_an_active_session(db):
    client, _ = _logged_in(db)
    with db.write() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not _opens_audit(client)


def test_admin_sees_and_ends_a_users_sessions(db):
    _, office_cookie = _logged_in(db, "office")
    _logged_in(db, "office")
    admin, _ = _logged_in(db, "admin")
    listed = admin.get("/api/users/office/sessions")
    assert listed.status_code == 200 and len(listed.json()) == 2
    viewer, _ = _logged_in(db, "viewer")
    assert viewer.get("/api/users/office/sessions").status_code == 403
    headers = {"X-CSRF-Token": csrf_of(admin)}
    ended = admin.delete("/api/users/office/sessions", headers=headers)
    assert ended.status_code == 200 and ended.json() == {"ended": 2}
    assert not _opens_audit(_with_cookie(db, office_cookie))
    assert admin.get("/api/users/office/sessions").json() == []


def test_delete_without_csrf_token_is_refused(db):
    admin, _ = _logged_in(db, "admin")
    assert admin.delete("/api/users/office/sessions").status_code == 403


def test_throttling_by_user_name(db):
    client = _client(db, login_max_failures=3)
    for _ in range(3):
        assert login(client, "office", "wrong-password").status_code == 401
    assert login(client, "office").status_code == 429


def test_throttling_by_client_address_across_user_names(db):
    client = _client(db, login_max_failures=3, login_max_failures_per_client=5)
    for name in ["a1", "a2", "a3", "a4", "a5"]:  # a few guesses each: no single name trips
        assert login(client, name, "guess-guess").status_code == 401
    assert login(client, "office").status_code == 429  # the right password, the same address
