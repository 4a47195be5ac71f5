"""Many workers, one database: two app processes' worth of state give the same answers.

Each "worker" is an app of its own with its own engine, pool and kept results (what a second
process or machine has); both serve one database. A write through one is seen at once by the
other, and an ETag made by one is honoured by the other. On SQLite and on PostgreSQL; and
``yrdplan serve --workers 2`` on PostgreSQL answers like a single app.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from yrdplan.services.accounts import issue_token
from yrdplan.settings import load_settings
from yrdplan.store.database import connect
from yrdplan.store.schema import Plan, User
from yrdplan.web.app import create_app

PAGES = [
    "/?format=json",
    "/regions?format=json",
    "/regions/320100?format=json",
    "/indicators?format=json",
    "/indicators/PM25?format=json",
    "/warnings?format=json",
    "/tasks/completion?format=json",
    "/plans?format=json",
]


_TOKENS: dict[str, str] = {}


def _reader(url: str) -> dict[str, str]:
    """One viewer's token per database (anonymous visitors reach only the public portal), the
    same for every worker, as one person's requests would be."""
    if url not in _TOKENS:
        database = connect(url)
        with database.write() as session:
            user_id = session.scalar(select(User.id).where(User.username == "viewer"))
            _TOKENS[url] = issue_token(session, user_id, "reader")
        database.dispose()
    return {"Authorization": f"Bearer {_TOKENS[url]}"}


def _worker(url: str) -> TestClient:
    database = connect(url)
    return TestClient(create_app(load_settings(database_url=url), database), headers=_reader(url))


def test_two_workers_give_the_same_answers_before_and_after_a_write(any_default_url):
    first, second = _worker(any_default_url), _worker(any_default_url)
    for url in PAGES:  # the first reads store the monitoring run; both then agree
        first.get(url)
    for url in PAGES:
        a, b = first.get(url), second.get(url)
        assert a.status_code == b.status_code == 200, url
        assert a.json() == b.json(), url
        assert a.headers["etag"] == b.headers["etag"], url
        assert second.get(url, headers={"If-None-Match": a.headers["etag"]}).status_code == 304

    database = first.app.state.database
    with database.write() as session:
        user_id = session.scalar(select(User.id).where(User.username == "steward_nj"))
        token = issue_token(session, user_id, "test")
    written = first.post(
        "/api/observations",
        json=[{"region_code": "320100", "indicator_code": "PM25", "period": "2025", "value": 80}],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert written.status_code == 200, written.text
    rows = second.get("/indicators/PM25?format=json").json()["rows"]
    nanjing = next(r for r in rows if r["region_code"] == "320100")
    assert (nanjing["latest_period"], nanjing["latest_value"]) == ("2025", 80.0)
    for url in PAGES:
        assert first.get(url).json() == second.get(url).json(), url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


@pytest.mark.postgres
def test_serve_with_two_workers_answers_like_one_app(pg_default_url):
    url = pg_default_url
    single = _worker(url)
    port = _free_port()
    command = [sys.executable, "-c", "from yrdplan.cli.main import run; run()", "serve"]
    server = subprocess.Popen(
        [*command, "--db", url, "--port", str(port), "--workers", "2"],
        env=os.environ | {"YRDPLAN_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                _get(port, "/plans?format=json", _reader(url))
                break
            except OSError:
                assert time.time() < deadline, "server did not start"
                time.sleep(0.3)
        for path in PAGES:
            _get(port, path, _reader(url))  # every worker may store or build what it needs first
        for path in PAGES:
            expected = single.get(path).json()
            # Several requests: the two workers take turns, and each must agree.
            answers = {_get(port, path, _reader(url)) for _ in range(4)}
            assert len(answers) == 1, path
            assert json.loads(answers.pop()) == expected, path
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def test_a_second_worker_takes_what_the_first_built_until_the_data_change(default_url):
    from yrdplan.store import computed

    first, second = _worker(default_url), _worker(default_url)
    url = "/tasks/completion?format=json"
    for _ in range(2):  # the first read stores the monitoring run; the second builds on it
        expected = first.get(url).json()
    with second.app.state.database.read() as session:
        computed.settle(session)
        built = computed.build_count(session)
    assert second.get(url).json() == expected
    with second.app.state.database.read() as session:
        assert computed.build_count(session) == built  # taken from computed_results, not built

    with second.app.state.database.write() as session:  # a write: the shared copy is stale
        plan = session.scalars(select(Plan).where(Plan.status == "confirmed")).first()
        plan.title = "改过的标题"
    titles = {row["group"]: row["title"] for row in second.get(url).json()["by_plan"]}
    assert titles[plan.code] == "改过的标题"
    assert first.get(url).json() == second.get(url).json()
