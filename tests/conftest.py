"""Shared fixtures: fresh databases (SQLite and a real PostgreSQL), an initialised default, the app.

The PostgreSQL server is a real one started by the test run (the ``pgserver`` wheel ships its
binaries); tests that need it fail, never skip, when it cannot start.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from yrdplan.services.setup import init_database
from yrdplan.store.database import Database, connect

# `repeatable` (CI): the same examples every run; found failures are kept as @example in the tests.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

SEEDS = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL server for the whole run; yields an admin URL (psycopg 3, Unix socket)."""
    import pgserver

    datadir = tmp_path_factory.mktemp("pgdata")
    server = pgserver.get_server(datadir, cleanup_mode="stop")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/tmp/…
    yield uri.replace("postgresql://", "postgresql+psycopg://", 1)
    server.cleanup()


def _with_database(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def create_pg_database(admin_url: str, template: str | None = None) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        clause = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    engine.dispose()
    return _with_database(admin_url, name)


@contextmanager
def pg_database(admin_url: str, template: str | None = None) -> Iterator[str]:
    """A new database for the block, dropped after it with whatever still holds it (CI machines
    can be short of disk)."""
    url = create_pg_database(admin_url, template)
    try:
        yield url
    finally:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            name = make_url(url).database
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """A new, empty PostgreSQL database for this test, dropped after it."""
    with pg_database(pg_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'yrdplan.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> Iterator[str]:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with pg_database(request.getfixturevalue("pg_server")) as url:
        yield url


@pytest.fixture(scope="session")
def default_sqlite_template(tmp_path_factory) -> Path:
    """`yrdplan init` run once; tests get copies of the file."""
    path = tmp_path_factory.mktemp("template") / "default.db"
    init_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def default_url(default_sqlite_template, tmp_path) -> str:
    """An initialised embedded-default SQLite database of this test's own."""
    path = tmp_path / "yrdplan.db"
    shutil.copy(default_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def default_pg_template(pg_server) -> str:
    url = create_pg_database(pg_server)
    init_database(url)
    return make_url(url).database


@pytest.fixture
def pg_default_url(pg_server, default_pg_template) -> Iterator[str]:
    """An initialised default PostgreSQL database of this test's own, dropped after it."""
    with pg_database(pg_server, template=default_pg_template) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_default_url(request) -> Iterator[str]:
    """An initialised default database on each backend (the PostgreSQL one dropped after)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("default_url")
        return
    template = request.getfixturevalue("default_pg_template")
    with pg_database(request.getfixturevalue("pg_server"), template) as url:
        yield url


@pytest.fixture
def database(default_url) -> Iterator[Database]:
    db = connect(default_url)
    yield db
    db.dispose()


@pytest.fixture
def client(database):
    from fastapi.testclient import TestClient

    from yrdplan.settings import load_settings
    from yrdplan.web.app import create_app

    app = create_app(load_settings(database_url=database.url), database)
    with TestClient(app) as test_client:
        yield test_client
